"""The agent console's words (``/agent``)."""

from __future__ import annotations

ZH: dict[str, str] = {
    "console.title": "坐席工作台",
    "console.state": "当前状态",
    "console.for": "持续",
    "console.busy_pending": "(置忙待生效)",
    "console.sign_out_pending": "(签出待生效)",
    "console.pin": "PIN",
    "console.sign_in": "签入",
    "console.idle": "示闲",
    "console.busy": "置忙",
    "console.busy_reason": "置忙原因",
    "console.sign_out": "签出",
}

EN: dict[str, str] = {
    "console.title": "Agent console",
    "console.state": "State",
    "console.for": "for",
    "console.busy_pending": " (busy pending)",
    "console.sign_out_pending": " (sign-out pending)",
    "console.pin": "PIN",
    "console.sign_in": "Sign in",
    "console.idle": "Idle",
    "console.busy": "Busy",
    "console.busy_reason": "Reason",
    "console.sign_out": "Sign out",
}
