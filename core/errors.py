"""The root error and its stable codes.

Every error the service raises on purpose is a ``HotlineError`` with a ``code``
that never changes once published: HTTP responses, logs and operators' runbooks
key on it.  Messages say what to do, not just what went wrong.
"""

from __future__ import annotations


class HotlineError(Exception):
    """Root of every error raised on purpose by this project."""

    code = "hotline.error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        # machine-readable facts for the caller (e.g. ``until`` of a lockout); JSON values
        self.details = details

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class ConfigError(HotlineError):
    """A setting is missing or has a value the service cannot use."""

    code = "config.invalid"


class UnsafeValueError(HotlineError):
    """A value would change the meaning of the AMI, dialplan or config text it goes into."""

    code = "input.unsafe_value"


class InvalidInput(HotlineError):
    """A request's body or parameters are malformed; the message says which and why."""

    code = "input.invalid"


class NotFound(HotlineError):
    code = "not_found"


class Unauthorized(HotlineError):
    """No session, or one that expired: sign in first."""

    code = "auth.required"


class Forbidden(HotlineError):
    """Signed in, but this person may not do this."""

    code = "auth.forbidden"


class SandboxError(HotlineError):
    """The development sandbox (Asterisk + PostgreSQL in a Debian sid root) failed."""

    code = "sandbox.failed"


class SandboxNotRootError(SandboxError):
    code = "sandbox.not_root"


class SandboxToolMissingError(SandboxError):
    code = "sandbox.tool_missing"


class DatabaseError(HotlineError):
    code = "db.failed"


class MigrationError(DatabaseError):
    code = "db.migration_failed"
