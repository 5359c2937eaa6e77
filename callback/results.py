"""How a dial to the citizen ended, from Asterisk's words (pure).

The citizen leg's ``DIALSTATUS`` (app_dial) says what happened; its ``HANGUPCAUSE``
(Q.850) says more when the status is vague (``CONGESTION``, ``CHANUNAVAIL``). The
Originate's ``Reason`` is not used: on PJSIP a busy callee shows as reason 0, like a
reject or an unknown endpoint (asterisk.md §4).
"""

from __future__ import annotations

from callback.model import AttemptResult

R = AttemptResult

# app_dial's DIALSTATUS → the result, when the status alone says it
_BY_STATUS = {
    "ANSWER": R.ANSWERED,
    "NOANSWER": R.NO_ANSWER,
    "BUSY": R.BUSY,
    # the agent's side hung up while the citizen's phone rang: the agent gave the attempt
    # up, which is never counted against the citizen
    "CANCEL": R.NOT_CONFIRMED,
    # the privacy manager's answers (the callee refused the call) and Dial's own
    # argument errors: failed, whatever the cause
    "DONTCALL": R.FAILED,
    "TORTURE": R.FAILED,
    "INVALIDARGS": R.FAILED,
}

# Q.850 causes that say more than a vague status
_BY_CAUSE = {
    1: R.INVALID_NUMBER,  # unallocated (unassigned) number (SIP 404)
    22: R.INVALID_NUMBER,  # number changed (SIP 410)
    28: R.INVALID_NUMBER,  # invalid number format (SIP 484)
    17: R.BUSY,  # user busy (SIP 486)
    18: R.NO_ANSWER,  # no user responding (SIP 408/480)
    19: R.NO_ANSWER,  # no answer from user (alerted)
    20: R.NO_ANSWER,  # subscriber absent (a mobile switched off)
}


def attempt_result(dial_status: str, cause: str) -> AttemptResult:
    """The result of one dial to the citizen. ``CONGESTION``, ``CHANUNAVAIL`` and an
    unknown or missing status go by the cause, and are ``FAILED`` when it says nothing
    more (the trunk down, a reject, congestion)."""
    status = dial_status.strip().upper()
    known = _BY_STATUS.get(status)
    if known is not None:
        return known
    return _BY_CAUSE.get(_cause(cause), R.FAILED)


def _cause(text: str) -> int:
    try:
        return int(text)  # int() allows spaces around
    except ValueError:
        return 0
