"""Publishing a compiled plan to Asterisk (an adapter): write the files atomically,
reload the dialplan over AMI with the ``hotline-publish`` user, check that Asterisk
took it, and restore the previous files (and reload again) on any failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.errors import HotlineError
from dialplan.compiler import Compiled


class PublishFailed(HotlineError):
    """Asterisk did not take the plan; the previous version is live again."""

    code = "dialplan.publish_failed"


class Publisher(Protocol):
    async def publish(self, compiled: Sequence[Compiled], entry: str, calendar: str) -> None:
        """Make exactly ``compiled`` (the live version first, then those kept for callers
        still in them), ``entry`` (``compile_entry``) and ``calendar``
        (``compile_calendar``) what Asterisk runs; raise ``PublishFailed`` with the
        previous files restored and reloaded if Asterisk does not take them."""
        ...
