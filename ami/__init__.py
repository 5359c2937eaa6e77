"""The AMI adapter: the only package that imports panoramisk.

Guards panoramisk 1.4's measured bugs (asterisk.md §7) and refuses AMI injection
(§8).  The rest of the project sees ``AmiClient``, ``AmiEvent`` and our own errors.
"""

from ami.client import AmiClient, ConnectionState, Reply
from ami.errors import (
    AmiActionFailed,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
    AmiNotStreamed,
    AmiOutcomeUnknown,
)

__all__ = [
    "AmiActionFailed",
    "AmiAuthError",
    "AmiClient",
    "AmiConnectionLost",
    "AmiError",
    "AmiNotConnected",
    "AmiNotStreamed",
    "AmiOutcomeUnknown",
    "ConnectionState",
    "Reply",
]
