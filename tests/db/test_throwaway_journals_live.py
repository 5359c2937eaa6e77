"""``sandbox up``'s removal of stale journals against the real PostgreSQL: a journal
whose test database still exists is kept, one whose database is gone is removed
(asterisk_conf/sandbox/throwaway.py)."""

from __future__ import annotations

from pathlib import Path

from asterisk_conf.sandbox import throwaway
from core.settings import Settings


def journal(state: Path, url: str) -> Path:
    path = Settings(database_url=url, state_dir=state).journal_file
    path.write_bytes(b"")
    return path


def remove_and_list(state: Path, databases: list[str]) -> tuple[int, list[Path]]:
    removed = throwaway.remove_stale(state, databases)
    return removed, sorted(state.iterdir())


async def test_only_the_journal_of_a_dropped_database_goes(
    tmp_path: Path, database_url: str, fresh_db: str
) -> None:
    server = database_url.rsplit("/", 1)[0]
    alive = journal(tmp_path, fresh_db)  # a hotline_test_… database of this test
    gone = journal(tmp_path, f"{server}/{throwaway.for_tests()}")  # never made, or dropped
    own = journal(tmp_path, database_url)  # the sandbox's own database
    databases = await throwaway.database_names(database_url)
    removed, left = remove_and_list(tmp_path, databases)
    assert (removed, left) == (1, sorted([alive, own])), gone
