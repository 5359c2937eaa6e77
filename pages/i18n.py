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
from pages.words import AREAS


class Language(enum.Enum):
    ZH = "zh"
    EN = "en"


DEFAULT = Language.ZH


def _joined(language: str) -> dict[str, str]:
    """One language's messages from every area; an id two areas define is a bug."""
    joined: dict[str, str] = {}
    for area in AREAS:
        words: dict[str, str] = getattr(area, language)
        clash = set(joined) & set(words)
        if clash:
            raise RuntimeError(f"message ids defined twice: {sorted(clash)}")
        joined.update(words)
    return joined


ZH = _joined("ZH")
EN = _joined("EN")

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
