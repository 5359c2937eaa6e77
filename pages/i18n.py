"""Every word the pages show, in Chinese (the default) and English: one catalog keyed by
message id, pure. Templates never hold a word of their own (``tests/pure/test_i18n.py``
checks both: every id in both languages, no text outside ``t(...)`` in a template).

The glossary is the standard's: 示闲 idle, 置忙 busy, 签入 sign in, 签出 sign out,
话后处理 wrap-up, 工号 job number. Signing in to the *pages* is 登录 / 退出 (log in,
log out), so it is never mistaken for an agent's 签入 / 签出 to the queue.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from agent_state.model import Agent, State


class Language(enum.Enum):
    ZH = "zh"
    EN = "en"


DEFAULT = Language.ZH

ZH: dict[str, str] = {
    "app.title": "12333 热线",
    "lang.name": "中文",
    "lang.switch": "English",
    "nav.signed_in_as": "工号 {job}",
    "nav.log_out": "退出",
    "role.agent": "坐席",
    "role.supervisor": "班长",
    "role.admin": "管理员",
    "signin.title": "登录",
    "signin.job_number": "工号",
    "signin.kind": "登录方式",
    "signin.kind_pin": "坐席:工号 + PIN",
    "signin.kind_password": "班长、管理员:工号 + 密码",
    "signin.secret": "PIN 或密码",
    "signin.submit": "登录",
    "home.title": "首页",
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
    "state.logged_out": "已签出",
    "state.idle": "示闲",
    "state.ringing": "振铃",
    "state.on_call": "通话中",
    "state.wrap_up": "话后处理",
    "state.busy": "置忙",
    "state.busy_because": "置忙({reason})",
    "busy_reason.manual": "手动",
    "busy_reason.break": "休息",
    "busy_reason.ring_no_answer": "未接听",
    "busy_reason.phone_unreachable": "话机离线",
    "busy_reason.reconciled": "系统校正",
    "busy_reason.supervisor": "班长置忙",
    "error.title": "出错了",
    "error.code": "错误代码",
    "error.back": "返回",
    "error.generic": "操作未成功,请稍后再试。",
    "error.auth.required": "请先登录。",
    "error.auth.forbidden": "您的角色无权访问此页面。",
    "error.auth.csrf_invalid": "表单已过期或来源不明,请刷新页面后重试。",
    "error.input.invalid": "输入有误,请检查。",
    "error.input.invalid_pin": "PIN 为 4 至 12 位数字。",
    "error.input.invalid_password": "密码格式不正确。",
    "error.agent.wrong_credentials": "工号或 PIN(密码)不正确。",
    "error.agent.locked_out": "错误次数过多,登录已被锁定,请稍后再试或联系班长解锁。",
    "error.agent.sign_in_overloaded": "登录人数过多,请稍后再试。",
    "error.agent.illegal_transition": "当前状态下不能这样操作。",
    "error.agent.not_allowed": "不允许此操作。",
    "error.not_found": "未找到。",
    "error.db.unavailable": "数据库暂时不可用,请稍后再试。",
}

EN: dict[str, str] = {
    "app.title": "12333 hotline",
    "lang.name": "English",
    "lang.switch": "中文",
    "nav.signed_in_as": "Job number {job}",
    "nav.log_out": "Log out",
    "role.agent": "Agent",
    "role.supervisor": "Supervisor",
    "role.admin": "Admin",
    "signin.title": "Log in",
    "signin.job_number": "Job number",
    "signin.kind": "Log in with",
    "signin.kind_pin": "Agents: job number + PIN",
    "signin.kind_password": "Supervisors, admins: job number + password",
    "signin.secret": "PIN or password",
    "signin.submit": "Log in",
    "home.title": "Home",
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
    "state.logged_out": "Signed out",
    "state.idle": "Idle",
    "state.ringing": "Ringing",
    "state.on_call": "On a call",
    "state.wrap_up": "Wrap-up",
    "state.busy": "Busy",
    "state.busy_because": "Busy ({reason})",
    "busy_reason.manual": "manual",
    "busy_reason.break": "break",
    "busy_reason.ring_no_answer": "missed a call",
    "busy_reason.phone_unreachable": "phone offline",
    "busy_reason.reconciled": "reconciled",
    "busy_reason.supervisor": "by a supervisor",
    "error.title": "Something went wrong",
    "error.code": "Error code",
    "error.back": "Back",
    "error.generic": "That did not work; please try again later.",
    "error.auth.required": "Please log in first.",
    "error.auth.forbidden": "Your role may not open this page.",
    "error.auth.csrf_invalid": "The form expired or came from elsewhere; reload and try again.",
    "error.input.invalid": "Please check what you entered.",
    "error.input.invalid_pin": "A PIN is 4 to 12 digits.",
    "error.input.invalid_password": "That is not a valid password.",
    "error.agent.wrong_credentials": "Wrong job number or PIN (password).",
    "error.agent.locked_out": "Too many wrong tries: logging in is locked for a while; "
    "a supervisor can lift it.",
    "error.agent.sign_in_overloaded": "Too many people logging in at once; try again shortly.",
    "error.agent.illegal_transition": "That cannot be done in the current state.",
    "error.agent.not_allowed": "That is not allowed.",
    "error.not_found": "Not found.",
    "error.db.unavailable": "The database is unavailable for a moment; try again shortly.",
}

CATALOG: dict[Language, dict[str, str]] = {Language.ZH: ZH, Language.EN: EN}


def language(code: str | None) -> Language:
    """The language a cookie or link names; Chinese for anything else."""
    try:
        return Language(code) if code else DEFAULT
    except ValueError:
        return DEFAULT


def t(lang: Language, key: str, **values: object) -> str:
    """The message ``key`` in ``lang``; an unknown id is a bug (``KeyError``), not a page
    with a missing word."""
    text = CATALOG[lang][key]
    return text.format(**values) if values else text


def error_text(lang: Language, code: str) -> str:
    """What a page says of an error, by its stable code."""
    key = f"error.{code}"
    return t(lang, key if key in CATALOG[lang] else "error.generic")


def state_text(lang: Language, agent: Agent) -> str:
    """The agent's state as the console shows it: 示闲, 置忙(休息), … and anything pending."""
    if agent.state is State.BUSY and agent.busy_reason is not None:
        reason = t(lang, f"busy_reason.{agent.busy_reason.value}")
        text = t(lang, "state.busy_because", reason=reason)
    else:
        text = t(lang, f"state.{agent.state.value}")
    if agent.busy_pending is not None:
        text += t(lang, "console.busy_pending")
    if agent.sign_out_pending:
        text += t(lang, "console.sign_out_pending")
    return text


def duration_text(elapsed: timedelta) -> str:
    """``1:02:03`` / ``02:03``: how long a state has lasted (the same in both languages)."""
    seconds = max(int(elapsed.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
