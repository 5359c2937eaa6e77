"""core/tasks.py: a part's stop ends its tasks, and a stop that is cancelled stays so."""

from __future__ import annotations

import asyncio

import pytest

from core.tasks import cancel_and_wait


def test_every_task_is_cancelled_and_ended_and_none_is_skipped() -> None:
    async def run() -> list[bool]:
        tasks = [asyncio.create_task(asyncio.sleep(60)) for _ in range(3)]
        done = asyncio.create_task(asyncio.sleep(0))
        await done
        await cancel_and_wait(*tasks, None, done)
        return [t.cancelled() for t in tasks] + [done.cancelled()]

    assert asyncio.run(run()) == [True, True, True, False]


def test_a_task_that_had_failed_raises_its_error_at_the_stop() -> None:
    async def broken() -> None:
        raise RuntimeError("the loop broke")

    async def run() -> None:
        task = asyncio.create_task(broken())
        await asyncio.sleep(0)
        await cancel_and_wait(task)

    with pytest.raises(RuntimeError, match="the loop broke"):
        asyncio.run(run())


def test_a_stop_that_is_cancelled_while_it_waits_is_cancelled_not_finished() -> None:
    # the task takes a moment to wind down after its cancel; meanwhile the stop's own
    # caller gives up on it: the stop must end there, not run on to its next line
    async def slow_to_end(wound_down: asyncio.Event) -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)
            wound_down.set()
            raise

    async def run() -> tuple[bool, bool]:
        wound_down = asyncio.Event()
        after_the_wait: list[str] = []

        async def stop() -> None:
            task = asyncio.create_task(slow_to_end(wound_down))
            await asyncio.sleep(0)
            await cancel_and_wait(task)
            after_the_wait.append("ran on")

        stopping = asyncio.create_task(stop())
        await asyncio.sleep(0.01)
        stopping.cancel()
        await asyncio.wait({stopping})
        await asyncio.wait_for(wound_down.wait(), 1.0)
        return stopping.cancelled(), bool(after_the_wait)

    assert asyncio.run(run()) == (True, False)
