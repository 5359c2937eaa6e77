"""The dial-plan compiler: golden files, determinism, and nothing typed becomes code.

Regenerate the golden files after an intended change with
``HOTLINE_UPDATE_GOLDEN=1 pytest tests/pure/test_compiler.py`` and review the diff.
"""

from __future__ import annotations

import copy
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core import names
from dialplan.compiler import (
    CompileError,
    CompileOptions,
    compile_calendar,
    compile_entry,
    compile_plan,
    count_extensions,
    files,
)
from dialplan.model import PlanError
from dialplan.plan_json import parse_plan
from dialplan.queue_settings import QUEUES_FILE, QueueSettingsError
from ivr.calendar import Day, DayKind

GOLDEN = Path(__file__).parent.parent / "golden" / "dialplan"
OPTIONS = CompileOptions("/var/lib/hotline/prompts", "Asia/Shanghai")

PLAN: dict[str, Any] = {
    "name": "12333 main",
    "entry_numbers": ["12333", "95512"],
    "start": "hours",
    "nodes": [
        {
            "kind": "time_switch",
            "id": "hours",
            "hours": {
                "mon": [["08:30", "12:00"], ["13:00", "17:30"]],
                "fri": [["08:30", "17:30"]],
                "sat": [["09:00", "24:00"]],
            },
            "open": "greeting",
            "closed": "closed",
            "holiday": "wish",
            "make_up_day": "fri",
        },
        {
            "kind": "holiday_greeting",
            "id": "wish",
            "greetings": {"spring_festival": "wish-spring_festival", "national_day": "wish-nd"},
            "next": "closed",
        },
        {"kind": "play", "id": "greeting", "prompt": "greeting", "next": "lang"},
        {
            "kind": "menu",
            "id": "lang",
            "prompt": "choose-language",
            "choices": {"1": "main", "2": "uyghur", "3": "kazakh"},
            "after_retries": "main",
            "timeout_s": 3,
            "retries": 2,
            "invalid_prompt": "invalid",
        },
        {"kind": "language", "id": "uyghur", "language": "ug", "next": "main"},
        {"kind": "language", "id": "kazakh", "language": "kk", "next": "main"},
        {
            "kind": "menu",
            "id": "main",
            "prompt": "main-menu",
            "choices": {"1": "pension", "2": "dept", "0": "queue", "#": "vm", "*": "main"},
            "after_retries": "closed",
            "timeout_prompt": "no-input",
        },
        {
            "kind": "menu",
            "id": "pension",
            "prompt": "pension-menu",
            "choices": {"1": "queue", "9": "main"},
            "after_retries": "queue",
        },
        {
            "kind": "queue",
            "id": "queue",
            "queue": "12333",
            "when_nobody": "vm",
            "max_wait_s": 300,
            "on_max_wait": "vm",
            "announce_position": True,
            "announce_every_s": 60,
            "keep_place_digit": "1",
            "keep_place": "callback",
        },
        {"kind": "play", "id": "callback", "prompt": "we-call-back", "next": "bye"},
        {
            "kind": "transfer",
            "id": "dept",
            "department": "社保中心",
            "number": "01065123456",
            "on_failure": "vm",
        },
        {"kind": "voicemail", "id": "vm", "prompt": "leave-message"},
        {"kind": "hang_up", "id": "closed", "prompt": "after-hours"},
        {"kind": "hang_up", "id": "bye"},
    ],
}

DAYS = (
    Day(date(2026, 2, 14), DayKind.MAKE_UP),  # a Saturday made a working day (调休)
    Day(date(2026, 2, 16), DayKind.HOLIDAY, "spring_festival"),
    Day(date(2026, 2, 17), DayKind.HOLIDAY, "spring_festival"),
    Day(date(2026, 2, 18), DayKind.WORKING),  # ordinary: left to the weekday rule
    Day(date(2026, 2, 21), DayKind.REST),  # ordinary Saturday
    Day(date(2026, 3, 2), DayKind.REST),  # an override: a Monday off, no holiday name
)


def compiled_files() -> dict[str, str]:
    kept = copy.deepcopy(PLAN)
    kept["nodes"][0]["open"] = "queue"  # an older version, kept for callers still in it
    return files([(parse_plan(PLAN), 12), (parse_plan(kept), 11)], DAYS, OPTIONS)


@pytest.mark.parametrize("name", sorted(compiled_files()))
def test_compiled_file_matches_golden(name: str) -> None:
    text = compiled_files()[name]
    golden = GOLDEN / name
    if os.environ.get("HOTLINE_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        pytest.skip(f"golden {name} written, not compared: review the diff, rerun without it")
    assert text == golden.read_text(encoding="utf-8")


def test_compiling_is_deterministic() -> None:
    assert compiled_files() == compiled_files()


def test_each_node_is_a_context_of_its_version_that_says_where_the_caller_is() -> None:
    compiled = compile_plan(parse_plan(PLAN), 12, OPTIONS)
    for node in PLAN["nodes"]:
        context = names.plan_context(12, node["id"])
        assert context in compiled.contexts
        section = compiled.text.split(f"[{context}]\n", 1)[1].split("\n[", 1)[0]
        first, second = section.splitlines()[:2]
        assert first == (
            f"exten => s,1,UserEvent({names.EVENT_NODE},Node: {node['id']},Version: 12,"
            f"PromptLanguage: ${{{names.LANGUAGE_VAR}}})"
        )
        assert (
            second == f" same => n,CELGenUserEvent({names.CEL_NODE},12/{node['id']}/${{HL_LANG}})"
        )
    assert compiled.marker == "hl-v12" and compiled.contexts["hl-v12"] == 1
    assert compiled.contexts["hl-v12-main"] == 8  # s, 5 keys, i, t
    assert compiled.keep_place_digits == {"1"}


def test_a_plan_may_turn_the_job_number_announcement_off() -> None:
    """R8 is on by default; off, the plan's start says so to the member leg (inherited)."""
    on = compile_plan(parse_plan(PLAN), 12, OPTIONS).text
    off = compile_plan(parse_plan({**PLAN, "announce_job_number": False}), 12, OPTIONS).text
    assert names.ANNOUNCE_VAR not in on
    marker = off.split("[hl-v12]\n", 1)[1].split("\n[", 1)[0]
    assert f"Set(__{names.ANNOUNCE_VAR}=0)" in marker


def test_entry_numbers_jump_to_the_live_version_only() -> None:
    entry = compiled_files()["entry.conf"]
    assert entry.count("Goto(hl-v12,s,1)") == 2 and "hl-v11" not in entry
    assert count_extensions(entry) == {names.FROM_PSTN: 2, names.QUEUE_EXIT: 2}


def test_queue_exit_holds_only_the_keep_your_place_keys_in_use() -> None:
    entry = compile_entry({"12333": 3}, OPTIONS, keep_place_digits=["#", "1"])
    exits = entry.split(f"[{names.QUEUE_EXIT}]\n", 1)[1].splitlines()
    assert exits == [
        "exten => #,1,Goto(${HL_QUEUE_NODE},key-hash,1)",
        "exten => 1,1,Goto(${HL_QUEUE_NODE},key-1,1)",
        "exten => i,1,Hangup()",
    ]


def test_calendar_lists_only_dates_that_are_not_ordinary() -> None:
    calendar = compile_calendar(DAYS)
    dates = re.findall(r"^exten => (\w+),1", calendar, re.MULTILINE)
    assert dates == ["20260214", "20260216", "20260217", "20260302", "_XXXXXXXX"]
    assert "Set(HL_HOLIDAY=spring_festival)" in calendar


# ---- injection: asterisk.md §5 ------------------------------------------------------------

PAYLOADS = (
    "x\n[evil]\nexten => _X.,1,System(id)",
    "x;comment",
    "x,y",
    "${SHELL(echo pwned-$(id -u))}",
    "$[1+1]",
    "#include /etc/passwd",
    "#exec /bin/sh",
    "[evil]",
    "_X.",
    "a/b",
    "../../etc/passwd",
    '"quoted"',
    "'quoted'",
    "x" * 1001,
    "x\x00y",
    "emoji😀",
    "x=>y",
    "x\\y",
)

# (path into the JSON form, whether the field is free text that is never compiled)
FIELDS = (
    (("entry_numbers", 0), False),
    (("start",), False),
    (("nodes", 2, "id"), False),
    (("nodes", 2, "prompt"), False),
    (("nodes", 2, "next"), False),
    (("nodes", 8, "queue"), False),
    (("nodes", 8, "keep_place_digit"), False),
    (("nodes", 10, "number"), False),
    (("nodes", 10, "department"), True),
    (("name",), True),
)


def _set(raw: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


# Every line of the compiled text, by position: what each part may hold.
_CONTEXT = re.compile(r"^\[[a-z][a-z0-9-]{0,63}\]$")
_EXTEN = re.compile(
    r"^(exten => ([0-9]{3,20}|[0-9*#]|[sit]|key-[0-9a-z]{1,4}|_XXXXXXXX|[0-9]{8}),1"
    r"| same => n(\([a-z_][a-z0-9_]{0,40}\))?),"
    r"[A-Z][A-Za-z]+\([A-Za-z0-9 _:/,.=&|<>!+%$@{}()\[\]\"*#?-]*\)$"
)
_COMMENT = re.compile(r"^; [^\n]*$")
# queues.inc: additions to a queue's section, and the announcement settings
_QUEUE_ADDITION = re.compile(r"^\[[A-Za-z0-9_-]{1,32}\]\(\+\)$")
_QUEUE_SETTING = re.compile(
    r"^((min-)?announce-frequency = [0-9]{1,3}|announce-position = (yes|no)"
    r"|announce-holdtime = yes)$"
)


def _lines_are_whitelisted(text: str) -> None:
    for line in text.splitlines():
        assert (
            line == ""
            or _CONTEXT.match(line)
            or _EXTEN.match(line)
            or _COMMENT.match(line)
            or _QUEUE_ADDITION.match(line)
            or _QUEUE_SETTING.match(line)
        ), line
        if line.startswith(";"):
            assert line.startswith(("; Compiled by hotline", "; dial plan version")), line


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
@pytest.mark.parametrize(
    ("path", "free_text"), FIELDS, ids=[".".join(map(str, p)) for p, _ in FIELDS]
)
def test_hostile_text_is_refused_or_inert(
    payload: str, path: tuple[Any, ...], free_text: bool
) -> None:
    raw = copy.deepcopy(PLAN)
    _set(raw, path, payload)
    try:
        plan = parse_plan(raw)
    except PlanError:
        return  # refused with a message naming the field: the API's 400
    assert free_text, f"{path} accepted {payload!r}"
    for text in files([(plan, 3)], DAYS, OPTIONS).values():
        assert payload not in text
        _lines_are_whitelisted(text)


def test_every_compiled_line_is_whitelisted() -> None:
    for text in compiled_files().values():
        _lines_are_whitelisted(text)


def _queues_inc(**queue_node: Any) -> str:
    plan = copy.deepcopy(PLAN)
    plan["nodes"][8].update(queue_node)
    return files([(parse_plan(plan), 3)], DAYS, OPTIONS)[QUEUES_FILE]


def test_a_queue_that_announces_gets_its_settings_in_queues_inc() -> None:
    text = _queues_inc(announce_position=True, announce_every_s=5)
    assert "[12333](+)" in text
    for line in ("announce-frequency = 5", "min-announce-frequency = 5"):
        assert line in text.splitlines()
    assert "announce-position = yes" in text and "announce-holdtime = yes" in text
    assert "announce-position = no" in _queues_inc(announce_position=False)


def test_a_plan_without_announcements_leaves_queues_conf_as_it_is() -> None:
    text = _queues_inc(announce_position=False, announce_every_s=0)
    assert text.splitlines() == [text.splitlines()[0]] and text.startswith("; Compiled by")


def test_only_the_live_versions_announcements_are_compiled() -> None:
    quiet = copy.deepcopy(PLAN)
    quiet["nodes"][8].update(announce_position=False, announce_every_s=0)
    live_quiet = files([(parse_plan(quiet), 4), (parse_plan(PLAN), 3)], DAYS, OPTIONS)
    assert "(+)" not in live_quiet[QUEUES_FILE]


def test_two_queue_nodes_announcing_differently_in_one_queue_are_refused() -> None:
    plan = copy.deepcopy(PLAN)
    plan["nodes"].append({**plan["nodes"][8], "id": "queue2", "announce_every_s": 30})
    with pytest.raises(QueueSettingsError):
        compile_plan(parse_plan(plan), 1, OPTIONS)


def test_caller_keys_only_select_fixed_extensions() -> None:
    """No application argument reads what a caller keyed (EXTEN only in the calendar,
    which is Gosub'd with our own date; no Read(), no INVALID_EXTEN)."""
    for name, text in compiled_files().items():
        assert "Read(" not in text and "INVALID_EXTEN" not in text
        if name != "calendar.conf":
            assert "${EXTEN}" not in text


@pytest.mark.parametrize(
    "options",
    [
        CompileOptions("/var/lib/${SHELL(id)}", "Asia/Shanghai"),
        CompileOptions("relative/prompts", "Asia/Shanghai"),
        CompileOptions("/var/lib/../etc", "Asia/Shanghai"),
        CompileOptions("/var/lib/hotline/prompts", "Asia/Shanghai,x"),
        CompileOptions("/var/lib/hotline/prompts", "UTC?evil"),
    ],
)
def test_unsafe_options_are_refused(options: CompileOptions) -> None:
    with pytest.raises(CompileError):
        compile_plan(parse_plan(PLAN), 1, options)


@pytest.mark.parametrize("key", ["Spring Festival", "x;y", "${SHELL(id)}", "春节"])
def test_a_holiday_key_outside_the_whitelist_is_refused(key: str) -> None:
    with pytest.raises(CompileError):
        compile_calendar([Day(date(2026, 2, 16), DayKind.HOLIDAY, key)])


def test_entry_refuses_what_is_not_a_number() -> None:
    with pytest.raises(CompileError):
        compile_entry({"12333\n[evil]": 1}, OPTIONS)
    with pytest.raises(CompileError):
        compile_entry({"12333": 1}, OPTIONS, keep_place_digits=["1,2"])
