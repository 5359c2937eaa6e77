"""AMI errors, each with a stable code."""

from __future__ import annotations

from core.errors import HotlineError


class AmiError(HotlineError):
    code = "ami.failed"


class AmiAuthError(AmiError):
    """Login refused: a wrong secret, or an ACL that does not permit our address."""

    code = "ami.auth_failed"


class AmiNotConnected(AmiError):
    code = "ami.not_connected"


class AmiConnectionLost(AmiError):
    """The connection dropped while the action was in flight: its outcome is unknown."""

    code = "ami.connection_lost"


class AmiOutcomeUnknown(AmiError):
    """No reply in time. Never re-sent: reconcile instead (one Originate must not ring twice)."""

    code = "ami.outcome_unknown"


class AmiActionFailed(AmiError):
    """Asterisk answered ``Response: Error``."""

    code = "ami.action_failed"


class AmiNotStreamed(AmiError):
    """A handler for events Asterisk never sends this session: its user's event filter
    lets none of them through (``ami.events.STREAMED``), so the handler would never run."""

    code = "ami.not_streamed"
