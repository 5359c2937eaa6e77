"""The pages' words: every message in both languages, every word of a template from the
catalog (none hard-coded), and the standard's glossary."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent_state.model import Agent, BusyReason, State
from agent_state.requests import AGENT_BUSY_REASONS
from core.actor import Role
from pages import i18n
from pages.i18n import EN, ZH, Language

TEMPLATES = Path(i18n.__file__).parent / "templates"
USED = re.compile(r"""\bt\(\s*["']([a-z_.]+)["']""")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
TAG = re.compile(r"<[^>]*>", re.S)


def test_every_message_is_in_both_languages() -> None:
    assert set(ZH) == set(EN)
    assert all(ZH[k].strip() and EN[k].strip() for k in ZH)


def test_every_message_a_template_names_exists() -> None:
    used = {key for page in TEMPLATES.glob("*.html") for key in USED.findall(page.read_text())}
    assert used, "no t(...) found: the pattern is wrong"
    used = {key for key in used if not key.endswith(".")}  # prefixes: the test below
    assert used - set(ZH) == set()


@pytest.mark.parametrize("page", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_no_word_is_hard_coded_in_a_template(page: str) -> None:
    """Outside ``{{ … }}`` and tags, a template holds no letter of any language."""
    text = TAG.sub(" ", JINJA.sub(" ", (TEMPLATES / page).read_text()))
    words = [w for w in text.split() if any(c.isalpha() for c in w)]
    assert words == []


def test_every_state_role_and_reason_has_its_words() -> None:
    """The keys the code builds (``state.<state>``, ``role.<role>``, ``busy_reason.<…>``)."""
    keys = {f"state.{s.value}" for s in State} | {f"role.{r.value}" for r in Role}
    keys |= {f"busy_reason.{b.value}" for b in BusyReason} | set(AGENT_BUSY_REASONS)
    keys = {k if "." in k else f"busy_reason.{k}" for k in keys}
    assert keys - set(ZH) == set()


AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("agent", "zh", "en"),
    [
        (Agent("1001"), "已签出", "Signed out"),
        (Agent("1001", State.IDLE, since=AT), "示闲", "Idle"),
        (Agent("1001", State.WRAP_UP, since=AT), "话后处理", "Wrap-up"),
        (Agent("1001", State.BUSY, BusyReason.BREAK, AT), "置忙(休息)", "Busy (break)"),
        (
            Agent("1001", State.IDLE, since=AT, busy_pending=BusyReason.MANUAL),
            "示闲(置忙待生效)",
            "Idle (busy pending)",
        ),
    ],
)
def test_state_words_follow_the_glossary(agent: Agent, zh: str, en: str) -> None:
    assert i18n.state_text(Language.ZH, agent) == zh
    assert i18n.state_text(Language.EN, agent) == en


def test_glossary_words_of_the_buttons() -> None:
    assert [ZH[f"console.{k}"] for k in ("sign_in", "idle", "busy", "sign_out")] == [
        "签入",
        "示闲",
        "置忙",
        "签出",
    ]
    assert ZH["signin.job_number"] == "工号"


def test_chinese_unless_english_is_asked_for() -> None:
    assert [i18n.language(c) for c in (None, "", "fr", "en", "zh")] == [
        Language.ZH,
        Language.ZH,
        Language.ZH,
        Language.EN,
        Language.ZH,
    ]


def test_an_error_code_without_words_of_its_own_gets_the_general_ones() -> None:
    assert i18n.error_text(Language.ZH, "agent.locked_out") == ZH["error.agent.locked_out"]
    assert i18n.error_text(Language.EN, "no.such_code") == EN["error.generic"]


def test_durations() -> None:
    assert i18n.duration_text(timedelta(seconds=65)) == "01:05"
    assert i18n.duration_text(timedelta(hours=1, seconds=3)) == "1:00:03"
    assert i18n.duration_text(timedelta(seconds=-3)) == "00:00"
