"""Ending the background tasks a part started, when the part stops.

The usual ``task.cancel()`` then ``await task`` under ``suppress(CancelledError)``
swallows two cancels alike: the task's own (wanted) and the *caller's* — a stop that
is itself cancelled (a shutdown that gave up on it) would run on as if nothing
happened. ``cancel_and_wait`` waits with ``asyncio.wait``, which never raises a
waited task's cancellation but lets the caller's go on up.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(*tasks: asyncio.Future[Any] | None) -> None:
    """Cancels ``tasks`` (``None`` and finished ones are skipped) and waits until each
    has ended. A task ending cancelled is no error; the first one that ended with an
    error raises it here, as ``await task`` would have."""
    live = [task for task in tasks if task is not None]
    for task in live:
        task.cancel()
    if not live:
        return
    await asyncio.wait(live)
    for task in live:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
