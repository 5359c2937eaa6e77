"""The journals of dropped test and bench databases are removed at ``sandbox up``;
every other journal is kept (asterisk_conf/sandbox/throwaway.py)."""

from __future__ import annotations

from pathlib import Path

from asterisk_conf.sandbox import throwaway
from core.settings import Settings, journal_database


def journal_of(state: Path, database: str) -> Path:
    settings = Settings(
        database_url=f"postgresql://hotline:secret@127.0.0.1:5433/{database}", state_dir=state
    )
    return settings.journal_file


def test_a_journal_names_the_database_it_was_written_for(tmp_path: Path) -> None:
    assert journal_database(journal_of(tmp_path, "hotline_test_0123abcd4567")) == (
        "hotline_test_0123abcd4567"
    )
    assert journal_database(journal_of(tmp_path, "my-centre")) == "my-centre"
    for other in ("secrets.json", "journal-.sqlite3", "journal-x-1.sqlite3", "journal-x-y"):
        assert journal_database(tmp_path / other) is None, other


def test_only_journals_of_dropped_throwaway_databases_are_stale(tmp_path: Path) -> None:
    dropped_test = journal_of(tmp_path, throwaway.for_tests())
    dropped_bench = journal_of(tmp_path, throwaway.for_bench())
    running = throwaway.for_tests()
    kept = [
        journal_of(tmp_path, running),  # a test still running: its database is there
        journal_of(tmp_path, "hotline"),  # the sandbox's own, even were it dropped
        journal_of(tmp_path, "hotline_testing"),  # not a throwaway name
        tmp_path / "secrets.json",
    ]
    files = [dropped_test, dropped_bench, *kept]
    stale = throwaway.stale_journals(files, databases=["postgres", running])
    assert set(stale) == {
        dropped_test,
        dropped_bench,
        *(dropped_test.with_name(dropped_test.name + s) for s in ("-wal", "-shm")),
        *(dropped_bench.with_name(dropped_bench.name + s) for s in ("-wal", "-shm")),
    }


def test_removing_counts_journals_and_takes_their_side_files(tmp_path: Path) -> None:
    journal = journal_of(tmp_path, throwaway.for_bench())
    wal = journal.with_name(journal.name + "-wal")
    keep = journal_of(tmp_path, "hotline")
    for path in (journal, wal, keep):
        path.write_bytes(b"")
    assert throwaway.remove(throwaway.stale_journals(tmp_path.iterdir(), ["hotline"])) == 1
    assert sorted(tmp_path.iterdir()) == [keep]
