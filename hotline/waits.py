"""Where a stuck process waits: every pending asyncio task and the chain of awaits it is
suspended in, innermost last (``kill -USR2 <pid>`` logs it; a part of the service that
does not stop in time logs it too, ``hotline/serve.py``).

``Task.get_stack()`` gives a suspended coroutine's outermost frame only; the await that
holds it up is at the end of its ``cr_await`` chain, which ``awaiting`` follows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from core.logging import get_logger

log = get_logger("hotline.waits")

MAX_TASKS = 40  # a log line, not a dump: the first ones, by name


def awaiting(coro: Any) -> list[str]:
    """``coro``'s await chain as ``function (file:line)``, outermost first; the last
    item is what it waits on when that is not a coroutine (a future, a lock's waiter)."""
    chain: list[str] = []
    while coro is not None and len(chain) < 50:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        frame = frame or getattr(coro, "ag_frame", None)
        if frame is None:
            if not hasattr(coro, "cr_await"):
                # a future or task (awaited through its iterator), or another awaitable
                chain.append(type(coro).__name__.removesuffix("Iter"))
            break
        code = frame.f_code
        where = "/".join(code.co_filename.rsplit("/", 2)[-2:])
        chain.append(f"{code.co_qualname} ({where}:{frame.f_lineno})")
        coro = (
            getattr(coro, "cr_await", None)
            or getattr(coro, "gi_yieldfrom", None)
            or getattr(coro, "ag_await", None)
        )
    return chain


def pending() -> list[dict[str, Any]]:
    """The running loop's pending tasks (the calling one left out) and their chains."""
    current = asyncio.current_task()
    tasks = sorted(
        (t for t in asyncio.all_tasks() if t is not current and not t.done()),
        key=lambda t: t.get_name(),
    )
    return [{"task": t.get_name(), "awaits": awaiting(t.get_coro())} for t in tasks[:MAX_TASKS]]


def log_pending() -> None:
    """``kill -USR2``: one warning line with every pending task and what it waits on."""
    tasks = pending()
    log.warning("where the tasks wait", count=len(asyncio.all_tasks()), tasks=tasks)


async def within(part: str, stopping: Awaitable[None], timeout_s: float) -> bool:
    """Awaits ``stopping`` (a part's stop) for at most ``timeout_s``. Past it, logs the
    part and where every task waits (the stop's own task among them), cancels the stop
    and returns False: the caller goes on stopping the rest (what a stuck part held is
    replayed or read again at the next start), so SIGTERM always ends the process."""
    task = asyncio.ensure_future(stopping)
    task.set_name(f"stopping {part}")
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if task in done:
        task.result()  # its error, if any, as before
        return True
    log.error(
        "a part did not stop in time; stopping the rest",
        part=part,
        waited_s=timeout_s,
        tasks=pending(),
    )
    task.cancel()
    await asyncio.wait({task}, timeout=1.0)  # not for ever: it may ignore the cancel
    return False


async def the_rest_ended(timeout_s: float) -> bool:
    """After the stop: every task still pending (a part left behind) cancelled, and
    waited for at most ``timeout_s``. False, with where they wait logged, when some would
    not end: ``asyncio.run`` would then wait for them for ever on its way out."""
    current = asyncio.current_task()
    rest = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in rest:
        task.cancel()
    if not rest:
        return True
    _, still = await asyncio.wait(rest, timeout=timeout_s)
    if not still:
        return True
    log.error("tasks that would not end; exiting without them", tasks=pending())
    return False
