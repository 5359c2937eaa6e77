"""A part that does not stop is logged with where it waits, and the stop goes on
(hotline/waits.py; serve's Service.stop bounds every part with it)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from structlog.testing import capture_logs

from core.errors import ConfigError
from core.settings import Settings
from hotline import waits
from hotline.serve import Service


async def _forever(never: asyncio.Event) -> None:
    await never.wait()


async def _stuck_stop(never: asyncio.Event) -> None:
    await _forever(never)


async def _stop_that_ignores_cancel(never: asyncio.Event) -> None:
    while not never.is_set():
        try:
            await never.wait()
        except asyncio.CancelledError:
            continue  # a bug of the kind this guards against


async def test_a_stop_that_hangs_is_logged_with_where_it_waits_and_left() -> None:
    never = asyncio.Event()
    with capture_logs() as logs:
        stopped = await waits.within("recorder", _stuck_stop(never), 0.05)
    assert stopped is False
    (line,) = [x for x in logs if x["event"] == "a part did not stop in time; stopping the rest"]
    assert line["part"] == "recorder"
    (stop,) = [t for t in line["tasks"] if t["task"] == "stopping recorder"]
    chain = stop["awaits"]
    assert chain[0].startswith("_stuck_stop (pure/test_waits.py:")
    assert chain[1].startswith("_forever (pure/test_waits.py:")
    assert chain[2].startswith("Event.wait (asyncio/locks.py:")
    assert chain[-1] == "Future"  # what Event.wait is suspended on


def test_a_stop_that_ignores_the_cancel_does_not_hold_the_caller() -> None:
    async def scene() -> float:
        never = asyncio.Event()
        loop = asyncio.get_running_loop()
        began = loop.time()
        with capture_logs():
            assert await waits.within("intake", _stop_that_ignores_cancel(never), 0.05) is False
        took = loop.time() - began
        never.set()  # the stuck stop ends; asyncio.run's own clean-up then sees none
        return took

    # a loop of its own: the stuck task must not outlive the test into another's loop
    assert asyncio.run(scene()) < 5  # the timeout, then at most a second for the cancel


async def test_a_stop_in_time_returns_true_and_its_error_is_raised() -> None:
    async def fine() -> None:
        await asyncio.sleep(0)

    async def failing() -> None:
        raise RuntimeError("pool gone")

    assert await waits.within("hints", fine(), 1.0) is True
    try:
        await waits.within("pool", failing(), 1.0)
    except RuntimeError as exc:
        assert str(exc) == "pool gone"
    else:
        raise AssertionError("the stop's error was swallowed")


async def test_usr2_logs_every_pending_task() -> None:
    never = asyncio.Event()
    task = asyncio.create_task(_stuck_stop(never), name="lamp-hints")
    await asyncio.sleep(0)
    with capture_logs() as logs:
        waits.log_pending()
    task.cancel()
    await asyncio.wait({task})
    (line,) = logs
    assert line["event"] == "where the tasks wait"
    (hints,) = [t for t in line["tasks"] if t["task"] == "lamp-hints"]
    assert hints["awaits"][1].startswith("_forever (")


def test_after_the_stop_the_rest_is_cancelled_and_one_that_will_not_end_is_named() -> None:
    async def scene() -> None:
        never = asyncio.Event()
        ends = asyncio.create_task(_stuck_stop(never), name="purge")
        stuck = asyncio.create_task(_stop_that_ignores_cancel(never), name="left-behind")
        await asyncio.sleep(0)
        try:
            with capture_logs() as logs:
                ended = await waits.the_rest_ended(0.05)
            assert ended is False
            assert ends.cancelled()  # a task that takes its cancel ends
            (line,) = logs
            assert line["event"] == "tasks that would not end; exiting without them"
            assert [t["task"] for t in line["tasks"]] == ["left-behind"]
            with capture_logs() as logs:
                assert await waits.the_rest_ended(0.05) is False  # still there
        finally:
            never.set()  # now both can end, whatever the asserts found
            await asyncio.wait({ends, stuck})

    asyncio.run(scene())

    async def nothing_left() -> None:
        with capture_logs() as logs:
            assert await waits.the_rest_ended(0.05) is True
        assert logs == []

    asyncio.run(nothing_left())


@pytest.mark.parametrize("timeout", [0.0, -1.0, float("nan"), float("inf")])
def test_a_stop_timeout_that_is_no_time_is_refused_at_the_start(timeout: float) -> None:
    # 0 or below would give every part no time at all; inf overflows the loop's timer
    settings = dataclasses.replace(Settings(), ami_secret="x" * 24, stop_timeout_s=timeout)
    with pytest.raises(ConfigError, match="HOTLINE_STOP_TIMEOUT_S"):
        Service(settings)
