"""bench/capacity.py's end of run: the knees, the q→a ratios by round, the waits kept."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from asterisk_conf.sandbox.sandbox import Sandbox
from bench.callpath import UNFILTERED_EXCLUDES, service_unfiltered
from bench.capacity import (
    EVENTS,
    Ramp,
    main,
    read_waits,
    service_figures,
    summarize,
    summarize_waits,
    write_waits,
)
from bench.figures import StepRate


def ramp(setup: str, round_: int, scale: float) -> Ramp:
    waits = [scale * v for v in range(1, 601)]  # p99: 594 × scale
    return Ramp(setup, round_, [StepRate(10, 10.0, 600, 0)], {10.0: waits})


RAMPS = [
    ramp("alone", 1, 1.0),
    ramp("full", 1, 1.1),
    ramp("alone", 2, 1.0),
    ramp("full", 2, 0.9),
]


def test_the_summary_pairs_each_round_of_full_with_alones_round(
    capsys: pytest.CaptureFixture[str],
) -> None:
    summarize(RAMPS)
    printed = capsys.readouterr().out
    assert "full/alone = 1.00 (median knees)" in printed
    full = next(line for line in printed.splitlines() if "full/alone     10/s" in line)
    # pooled p99 646.8 (1.1 × 588): the slower round's tail; the interval, from the rounds
    # drawn again, reaches down to the faster round's 0.90
    assert "646.8 ms against   594.0 (1200 and 1200 calls, 2 rounds): 1.09 [0.90, " in full
    assert full.endswith("round by round 1.10, 0.90")
    aa = next(line for line in printed.splitlines() if "alone/alone    10/s" in line)
    assert ": 1.00 [" in aa and aa.endswith("round by round 1.00")  # identical rounds


def test_alone_against_itself_pairs_every_even_round_with_the_odd_one_before(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # six rounds of alone: the fourth ran 20 % slower — the A/A must show it (round 2
    # over round 1 alone would say 1.00 and hide how far the box drifts)
    scales = [1.0, 1.0, 1.0, 1.2, 1.0, 1.0]
    summarize([ramp("alone", n, scale) for n, scale in enumerate(scales, start=1)])
    printed = capsys.readouterr().out.splitlines()
    aa = next(line for line in printed if "alone/alone    10/s" in line)
    assert aa.endswith("round by round 1.00, 1.20, 1.00")
    low, high = (float(v) for v in aa.split("[")[1].split("]")[0].split(", "))
    assert low <= 1.0 and high >= 1.2  # pairs drawn again: the drift widens the interval


def test_every_wait_is_kept_a_line_each(tmp_path: Path) -> None:
    path = tmp_path / "waits.csv"
    write_waits(RAMPS, path)
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 600
    assert rows[0] == {"setup": "alone", "round": "1", "rate": "10.0", "q_to_a_ms": "1.0"}
    assert {(r["setup"], r["round"]) for r in rows} == {
        ("alone", "1"),
        ("full", "1"),
        ("alone", "2"),
        ("full", "2"),
    }


def test_a_waits_file_in_no_folder_is_refused_before_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = tmp_path / "missing" / "waits.csv"
    monkeypatch.setattr("sys.argv", ["capacity.py", "--waits-csv", str(nowhere)])
    monkeypatch.setattr("signal.signal", lambda *_: None)

    async def started(_args: object) -> None:
        raise AssertionError("the run started with a waits file it cannot write")

    monkeypatch.setattr("bench.capacity.run", started)
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    assert f"--waits-csv: no folder {nowhere.parent}" in capsys.readouterr().err


def test_the_waits_kept_give_the_same_figures_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "waits.csv"
    write_waits(RAMPS, path)
    summarize(RAMPS)
    printed = capsys.readouterr().out
    summarize_waits(read_waits([path]))
    again = capsys.readouterr().out
    assert again.strip() and again.strip() in printed
    assert "1.09 [0.90, " in again


def test_with_cel_on_both_sides_the_service_s_own_share_is_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # CEL costs 10 %, the service 5 % on top: full/alone 1.16 hides the split, full/cel shows it
    summarize([ramp(setup, n, scale) for n in (1, 2) for setup, scale in RATIOS.items()])
    printed = capsys.readouterr().out.splitlines()
    line = {
        label: next(x for x in printed if f"  {label} " in x and "/s:" in x)
        for label in RATIOS_SHOWN
    }
    for label, shown in RATIOS_SHOWN.items():
        assert f"): {shown} [" in line[label]
        assert line[label].endswith(f"round by round {shown}, {shown}")


RATIOS = {"alone": 1.0, "cel": 1.1, "full": 1.155}
RATIOS_SHOWN = {"cel/alone": "1.10", "full/alone": "1.16", "full/cel": "1.05"}


def test_two_runs_read_together_keep_their_rounds_apart(tmp_path: Path) -> None:
    # a run of three rounds, then one of two: the second's rounds are 5 and 6, so
    # alone's third round (paired with nothing) is never paired with the next run's first
    first, second = tmp_path / "x.csv", tmp_path / "y.csv"
    write_waits([ramp("alone", n, 1.0) for n in (1, 2, 3)] + [ramp("full", 3, 1.1)], first)
    write_waits([ramp("alone", n, 2.0) for n in (1, 2)] + [ramp("full", 1, 2.2)], second)
    found = {(r.setup, r.round): r.waits[10.0][-1] for r in read_waits([first, second])}
    assert found == {
        ("alone", 1): 600.0,
        ("alone", 2): 600.0,
        ("alone", 3): 600.0,
        ("full", 3): pytest.approx(660.0),
        ("alone", 5): 1200.0,
        ("alone", 6): 1200.0,
        ("full", 5): pytest.approx(1320.0),
    }


def test_a_file_that_is_no_waits_file_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "steps.csv"
    other.write_text("set-up,offer\nalone,10\n")
    monkeypatch.setattr("sys.argv", ["capacity.py", "--from-waits", str(other)])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    assert f"--from-waits: {other}: not a file --waits-csv wrote (KeyError('round'))" in (
        capsys.readouterr().err
    )


def test_a_waits_file_with_no_waits_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = tmp_path / "waits.csv"
    write_waits([], kept)  # a run stopped before its first answered call: the header only
    monkeypatch.setattr("sys.argv", ["capacity.py", "--from-waits", str(kept)])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    assert f"--from-waits: {kept}: no waits in it" in capsys.readouterr().err


class _Asterisk:
    def __init__(self) -> None:
        self.commands: list[str] = []

    def cli(self, command: str) -> str:
        self.commands.append(command)
        return ""


def test_unfiltered_gives_the_service_every_event_of_its_classes_then_restores(
    tmp_path: Path,
) -> None:
    conf = tmp_path / "etc/asterisk/manager.conf"
    conf.parent.mkdir(parents=True)
    golden = (Path(__file__).parent.parent / "golden/asterisk/manager.conf").read_bytes()
    conf.write_bytes(golden)
    box = SimpleNamespace(root=tmp_path, asterisk=_Asterisk())
    with service_unfiltered(cast(Sandbox, box), "hotline"):
        text = conf.read_text()
        assert "action(include)" not in text
        service = text.split("[hotline]\n")[1].split("\n[")[0].splitlines()
        write = service.index("write = agent,call,originate,user")
        excludes = [f"eventfilter(action(exclude),name({e})) =" for e in UNFILTERED_EXCLUDES]
        assert service[write + 1 : write + 4] == excludes
        assert [line for line in text.splitlines() if "eventfilter" in line] == excludes
        others = text.split("[hotline-publish]")[1]
        assert others == golden.decode().split("[hotline-publish]")[1]  # untouched
        assert box.asterisk.commands == ["manager reload"]
    assert conf.read_bytes() == golden
    assert box.asterisk.commands == ["manager reload", "manager reload"]


def test_an_unknown_set_up_is_refused_before_the_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["capacity.py", "--setups", "full,ful"])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    assert "--setups: ful: not a set-up" in capsys.readouterr().err


def test_the_service_s_figures_are_differences_of_two_scrapes() -> None:
    before = {EVENTS: 1000.0, 'hotline_ami_actions_total{action="QueueStatus"}': 3.0}
    after = {EVENTS: 1280.0, 'hotline_ami_actions_total{action="QueueStatus"}': 5.0}
    _lag99, actions, streamed = service_figures(before, after)
    assert (actions, streamed) == (2.0, 280.0)


@pytest.mark.parametrize("empty", ["before", "after"])
def test_a_scrape_the_service_did_not_answer_gives_no_figures(empty: str) -> None:
    """An empty scrape is not a count of 0: without this, events a call went negative."""
    scrape = {EVENTS: 1000.0, 'hotline_ami_actions_total{action="QueueStatus"}': 3.0}
    before, after = ({}, scrape) if empty == "before" else (scrape, {})
    assert all(math.isnan(v) for v in service_figures(before, after))
