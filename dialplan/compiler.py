"""Compile a dial plan into Asterisk dialplan text (pure, deterministic, golden-tested).

A published version's nodes become contexts of their own (``names.plan_context``), so
a caller mid-menu stays in the version they started in while the entry numbers jump to
the live one. Nothing from the plan reaches the text but whitelisted names
(``dialplan.model``'s patterns) and values of known shape; free text (a plan's name, a
department's name) never does.

What a caller keys reaches no dialplan code: a menu is ``Background()`` + ``WaitExten()``
in the node's own context, so a key can only select one of that context's fixed
one-key extensions (anything else lands in ``i``); no variable ever holds a caller's
key. While queued, a key leaves app_queue only if ``names.QUEUE_EXIT`` has it, and that
context holds only the keep-your-place keys the published plans use.

The files (``files``/``plan_files``), all under ``names.PLANS_DIR``: ``entry.conf``
(``[from-pstn]`` → the live version, and the queue exit), ``calendar.conf``
(``[hotline-calendar]``), ``plan-v<N>.conf`` for each version kept, and the live
version's queue announcements (``dialplan.queue_settings``, ``queues.inc``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from core import names
from core.errors import HotlineError
from dialplan.model import (
    DEFAULT_LANGUAGE,
    DTMF_DIGIT,
    ENTRY_NUMBER,
    HOLIDAY_KEY,
    HangUp,
    HolidayGreeting,
    Hours,
    Menu,
    Node,
    Plan,
    Play,
    Queue,
    SetLanguage,
    TimeSwitch,
    Transfer,
    Voicemail,
)
from dialplan.queue_settings import QUEUES_FILE, Announce, announcements, compile_queue_settings
from ivr.calendar import Day, DayKind

ENTRY_FILE = "entry.conf"
CALENDAR_FILE = "calendar.conf"
PLAN_FILE = re.compile(r"^plan-v[0-9]+\.conf$")

_TIMEZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]{0,31}(/[A-Za-z0-9_+-]{1,32}){0,2}$")
_PATH_PART = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")
_LANG = f"${{{names.LANGUAGE_VAR}}}"
_HEADER = "; Compiled by hotline (dialplan/compiler.py) — do not edit by hand."
# what a keep-your-place key is called as an extension of the queue node's context
_KEY_NAMES = {"*": "star", "#": "hash"}


class CompileError(HotlineError):
    """A value would not be inert in the compiled text (refused, never escaped)."""

    code = "dialplan.compile_refused"


@dataclass(frozen=True)
class CompileOptions:
    prompts_dir: str  # prompts live at <prompts_dir>/<language>/<name>.wav
    timezone: str  # the centre's, for the time switch and the calendar's date
    transfer_timeout_s: int = 30  # how long a department's number rings (R11b)

    def validated(self) -> CompileOptions:
        parts = self.prompts_dir.strip("/").split("/")
        if not self.prompts_dir.startswith("/") or not all(_PATH_PART.fullmatch(p) for p in parts):
            raise CompileError(f"prompts_dir={self.prompts_dir!r} is not a plain absolute path")
        if not _TIMEZONE.fullmatch(self.timezone):
            raise CompileError(f"timezone={self.timezone!r} is not a time zone name")
        if not 5 <= self.transfer_timeout_s <= 300:
            raise CompileError(f"transfer_timeout_s={self.transfer_timeout_s} not in 5..300")
        return self


@dataclass(frozen=True)
class Compiled:
    version: int
    text: str  # the file plan-v<N>.conf
    contexts: Mapping[str, int]  # each context it defines → its extension count (the check)
    keep_place_digits: frozenset[str] = field(default=frozenset())  # for names.QUEUE_EXIT
    # queue → its announcements (the live version's become ``QUEUES_FILE``)
    announced: Mapping[str, Announce] = field(default_factory=dict)

    @property
    def marker(self) -> str:
        """The context the publisher looks for in Asterisk (the entry jumps to it)."""
        return names.plan_marker(self.version)

    @property
    def file_name(self) -> str:
        return f"plan-v{self.version}.conf"


# ---- the text ------------------------------------------------------------------------------

Step = str | tuple[str, str]  # an application, or (label, application)
Extensions = list[tuple[str, list[Step]]]


def _context(name: str, extensions: Extensions) -> list[str]:
    lines = ["", f"[{name}]"]
    for exten, steps in extensions:
        for index, step in enumerate(steps):
            label, app = step if isinstance(step, tuple) else ("", step)
            priority = ("1" if index == 0 else "n") + (f"({label})" if label else "")
            lead = f"exten => {exten}," if index == 0 else " same => "
            lines.append(f"{lead}{priority},{app}")
    return lines


def count_extensions(text: str) -> dict[str, int]:
    """Each context of a compiled text → how many extensions it defines (what Asterisk's
    ``dialplan show`` must list after a reload)."""
    counts: dict[str, set[str]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("["):
            current = line[1:].split("]", 1)[0]
            counts.setdefault(current, set())
        elif line.startswith("exten => "):
            counts[current].add(line.removeprefix("exten => ").split(",", 1)[0])
    return {name: len(extens) for name, extens in counts.items()}


def _goto(version: int, node_id: str) -> str:
    return f"Goto({names.plan_context(version, node_id)},s,1)"


def _play(options: CompileOptions, prompt: str) -> str:
    return f"Playback({options.prompts_dir}/{_LANG}/{prompt})"


def _node_events(version: int, node_id: str) -> list[Step]:
    """Every node first says where the caller is (the call record's menu path)."""
    return [
        f"UserEvent({names.EVENT_NODE},Node: {node_id},Version: {version},PromptLanguage: {_LANG})",
        f"CELGenUserEvent({names.CEL_NODE},{version}/{node_id}/{_LANG})",
    ]


def _greeting_done() -> list[Step]:
    """The IVR hands the caller to a destination (names.EVENT_GREETING's meaning)."""
    return [
        f"UserEvent({names.EVENT_GREETING},Status: ${{PLAYBACKSTATUS}})",
        f"CELGenUserEvent({names.CEL_GREETING_DONE},${{PLAYBACKSTATUS}})",
    ]


def _today(options: CompileOptions) -> str:
    return f"Gosub({names.CALENDAR},${{STRFTIME(${{EPOCH}},{options.timezone},%Y%m%d)}},1)"


def _key_exten(digit: str) -> str:
    return "key-" + _KEY_NAMES.get(digit, digit)


# ---- nodes ---------------------------------------------------------------------------------


def _menu(node: Menu, version: int, options: CompileOptions) -> Extensions:
    tries = names.TRIES_VAR
    retry = f"GotoIf($[${{{tries}}} < {node.retries}]?s,menu)"
    extensions: Extensions = [
        (
            "s",
            [
                *_node_events(version, node.id),
                f"Set({tries}=0)",
                ("menu", f"Set({tries}=$[${{{tries}}} + 1])"),
                f"Background({options.prompts_dir}/{_LANG}/{node.prompt})",
                f"WaitExten({node.timeout_s})",
            ],
        )
    ]
    extensions += [(digit, [_goto(version, target)]) for digit, target in node.choices]
    for exten, prompt in (("i", node.invalid_prompt), ("t", node.timeout_prompt)):
        steps: list[Step] = [_play(options, prompt)] if prompt else []
        extensions.append((exten, [*steps, retry, _goto(version, node.after_retries)]))
    return extensions


def _time_switch(node: TimeSwitch, version: int, options: CompileOptions) -> Extensions:
    tz, closed = options.timezone, names.plan_context(version, node.closed)
    is_open = f"{names.plan_context(version, node.open)},s,1"
    on_holiday = node.holiday if node.holiday is not None else node.closed
    steps: list[Step] = [
        *_node_events(version, node.id),
        _today(options),
        f'GotoIf($["${{{names.DAY_KIND_VAR}}}" = "{DayKind.HOLIDAY.value}"]'
        f"?{names.plan_context(version, on_holiday)},s,1)",
        f'GotoIf($["${{{names.DAY_KIND_VAR}}}" = "{DayKind.MAKE_UP.value}"]?make_up)',
    ]
    for weekday, hours in node.hours:
        steps += [
            f"GotoIfTime({_span(h)},{weekday.name.lower()},*,*,{tz}?{is_open})" for h in hours
        ]
    steps.append(f"Goto({closed},s,1)")
    make_up: list[Step] = [
        f"GotoIfTime({_span(h)},*,*,*,{tz}?{is_open})" for h in node.hours_of(node.make_up_day)
    ]
    make_up.append(f"Goto({closed},s,1)")
    first = make_up[0]
    assert isinstance(first, str)
    steps += [("make_up", first), *make_up[1:]]
    return [("s", steps)]


def _span(hours: Hours) -> str:
    """GotoIfTime's range includes its end minute; ``Hours`` ends before its ``end``."""
    return f"{Hours.hhmm(hours.start)}-{Hours.hhmm(hours.end - 1)}"


def _holiday_greeting(node: HolidayGreeting, version: int, options: CompileOptions) -> Extensions:
    steps: list[Step] = [*_node_events(version, node.id), _today(options)]
    steps += [
        f'GotoIf($["${{{names.HOLIDAY_VAR}}}" = "{key}"]?w_{key})' for key, _ in node.greetings
    ]
    steps.append(_goto(version, node.next))
    for key, prompt in node.greetings:
        steps += [(f"w_{key}", _play(options, prompt)), _goto(version, node.next)]
    return [("s", steps)]


_NOBODY = ("JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL")


def _queue(node: Queue, version: int) -> Extensions:
    here = names.plan_context(version, node.id)
    wait = str(node.max_wait_s) if node.max_wait_s else ""
    nobody = " | ".join(f'"${{QUEUESTATUS}}" = "{s}"' for s in _NOBODY)
    result = f"UserEvent({names.EVENT_QUEUE_RESULT},Queue: {node.queue},Status: ${{QUEUESTATUS}})"
    steps: list[Step] = [
        *_node_events(version, node.id),
        *_greeting_done(),
        # a key that leaves app_queue (names.QUEUE_EXIT) comes back to this context
        f"Set({names.QUEUE_NODE_VAR}={here})",
        # keep your place: the callback's priority is the time the caller joined
        f"Set({names.QUEUE_JOINED_VAR}=${{EPOCH}})",
        f"Queue({node.queue},,,,{wait})",
        ("result", f"Set({names.QUEUE_NODE_VAR}=)"),
        result,
    ]
    if node.on_max_wait:
        target = names.plan_context(version, node.on_max_wait)
        steps.append(f'GotoIf($["${{QUEUESTATUS}}" = "TIMEOUT"]?{target},s,1)')
    steps += [
        f"GotoIf($[{nobody}]?{names.plan_context(version, node.when_nobody)},s,1)",
        "Hangup()",
    ]
    # a key of another node's keep-your-place left the queue: back in, at the same place
    back: list[Step] = [f"Queue({node.queue},,,,{wait},,,,${{QUEUEPOSITION}})", "Goto(s,result)"]
    extensions: Extensions = [("s", steps), ("i", back)]
    if node.keep_place_digit is not None and node.keep_place is not None:
        number = "HL_KEEP_NUMBER"
        event = (
            f"UserEvent({names.EVENT_KEEP_PLACE},Queue: {node.queue},Position: ${{QUEUEPOSITION}},"
            f"JoinedAt: ${{FILTER(0-9,${{{names.QUEUE_JOINED_VAR}}})}},Number: ${{{number}}})"
        )
        keep: list[Step] = [
            f"Set({names.QUEUE_NODE_VAR}=)",
            f"Set({number}=${{FILTER(0-9,${{CALLERID(num)}})}})",
            event,
            # the caller hears the number that will be called back, digit by digit
            f"Gosub({names.KEEP_PLACE_CONFIRM},s,1(${{{number}}}))",
            _goto(version, node.keep_place),
        ]
        extensions.append((_key_exten(node.keep_place_digit), keep))
    return extensions


def _transfer(node: Transfer, version: int, options: CompileOptions) -> Extensions:
    dial = f"Dial(PJSIP/{node.number}@{names.OUTBOUND_TRUNK},{options.transfer_timeout_s})"
    steps: list[Step] = [*_node_events(version, node.id), *_greeting_done(), dial]
    if node.on_failure:
        steps += [
            'GotoIf($["${DIALSTATUS}" = "ANSWER"]?done)',
            _goto(version, node.on_failure),
        ]
    steps.append(("done", "Hangup()"))
    return [("s", steps)]


def _node(node: Node, version: int, options: CompileOptions) -> Extensions:  # noqa: PLR0911
    events = _node_events(version, node.id)
    match node:
        case Play():
            return [("s", [*events, _play(options, node.prompt), _goto(version, node.next)])]
        case SetLanguage():
            lang = f"Set({names.LANGUAGE_VAR}={node.language.value})"
            return [("s", [*events, lang, _goto(version, node.next)])]
        case Menu():
            return _menu(node, version, options)
        case TimeSwitch():
            return _time_switch(node, version, options)
        case HolidayGreeting():
            return _holiday_greeting(node, version, options)
        case Queue():
            return _queue(node, version)
        case Voicemail():
            handler = f"Set(CHANNEL(hangup_handler_push)={names.VOICEMAIL_DONE},s,1)"
            # "s" only: our prompt is the greeting; "u" without a recorded one would
            # make Asterisk invent an English "the person at extension …"
            leave = f"VoiceMail({names.voicemail_mailbox()},s)"
            body = [_play(options, node.prompt), handler, leave, "Hangup()"]
            return [("s", [*events, *_greeting_done(), *body])]
        case Transfer():
            return _transfer(node, version, options)
        case HangUp():
            played = [_play(options, node.prompt)] if node.prompt else []
            return [("s", [*events, *played, "Hangup()"])]


# ---- the files -----------------------------------------------------------------------------


def compile_plan(plan: Plan, version: int, options: CompileOptions) -> Compiled:
    """Plan ``version``'s contexts: the marker (``names.plan_marker``), then one per node.
    Version 0 is the shipped default plan, run while nothing was ever published."""
    options.validated()
    if version < 0:
        raise CompileError(f"version={version!r} must be a whole number, 0 or more")
    lines = [_HEADER, f"; dial plan version {version}"]
    # R8 is on unless the plan turns it off; inherited (__) so the member leg sees it
    announce: list[Step] = [] if plan.announce_job_number else [f"Set(__{names.ANNOUNCE_VAR}=0)"]
    start: list[Step] = [*announce, _goto(version, plan.start)]
    lines += _context(names.plan_marker(version), [("s", start)])
    for node in plan.nodes:
        lines += _context(names.plan_context(version, node.id), _node(node, version, options))
    text = "\n".join(lines) + "\n"
    digits = frozenset(
        n.keep_place_digit
        for n in plan.nodes
        if isinstance(n, Queue) and n.keep_place_digit and n.keep_place
    )
    return Compiled(version, text, count_extensions(text), digits, announcements(plan.nodes))


def compile_entry(
    live: Mapping[str, int], options: CompileOptions, keep_place_digits: Iterable[str] = ()
) -> str:
    """``[from-pstn]``: each entry number → the start of its live version; and
    ``names.QUEUE_EXIT``, which holds only the keep-your-place keys in use."""
    options.validated()
    lines = [_HEADER]
    entries: Extensions = []
    for number, version in sorted(live.items()):
        if not ENTRY_NUMBER.fullmatch(number) or version < 0:
            raise CompileError(f"entry {number!r} → version {version!r} is not compilable")
        entries.append((number, _entry_steps(number, version)))
    lines += _context(names.FROM_PSTN, entries)
    exits: Extensions = []
    for digit in sorted(set(keep_place_digits)):
        if not DTMF_DIGIT.fullmatch(digit):
            raise CompileError(f"keep-your-place key {digit!r} is not a DTMF key")
        exits.append((digit, [f"Goto(${{{names.QUEUE_NODE_VAR}}},{_key_exten(digit)},1)"]))
    exits.append(("i", ["Hangup()"]))
    lines += _context(names.QUEUE_EXIT, exits)
    return "\n".join(lines) + "\n"


def _entry_steps(number: str, version: int) -> list[Step]:
    return [
        f"NoOp(hotline entry {number})",
        # whatever happens next, the call's end is written to Asterisk's own record (CEL)
        f"Set(CHANNEL(hangup_handler_push)={names.CALL_END},s,1)",
        "Answer()",
        f"UserEvent({names.EVENT_ENTRY},Entry: {number})",
        f"Set({names.VERSION_VAR}={version})",
        f"Set({names.LANGUAGE_VAR}={DEFAULT_LANGUAGE.value})",
        f"Goto({names.plan_marker(version)},s,1)",
    ]


def _ordinary(day: Day) -> bool:
    kind = DayKind.REST if day.day.isoweekday() >= 6 else DayKind.WORKING
    return day.kind is kind and day.holiday is None


def compile_calendar(days: Iterable[Day]) -> str:
    """``[hotline-calendar]``: one extension per date that is not an ordinary one (a
    holiday, a 调休 make-up day, an override); any other date (``_XXXXXXXX``) is a
    working day Monday to Friday and a rest day at the weekend. Gosub'd with
    ``YYYYMMDD``, it sets ``names.DAY_KIND_VAR`` and ``names.HOLIDAY_VAR``."""
    by_date: dict[date, Day] = {d.day: d for d in days}
    extensions: Extensions = []
    for when in sorted(by_date):
        day = by_date[when]
        if _ordinary(day):
            continue
        if day.holiday is not None and not HOLIDAY_KEY.fullmatch(day.holiday):
            raise CompileError(f"{when}: holiday key {day.holiday!r} is not a-z, 0-9, _")
        steps: list[Step] = [
            f"Set({names.DAY_KIND_VAR}={day.kind.value})",
            f"Set({names.HOLIDAY_VAR}={day.holiday or ''})",
            "Return()",
        ]
        extensions.append((when.strftime("%Y%m%d"), steps))
    weekday = "${STRFTIME(${STRPTIME(${EXTEN},UTC,%Y%m%d)},UTC,%u)}"
    kind = f"${{IF($[{weekday} > 5]?{DayKind.REST.value}:{DayKind.WORKING.value})}}"
    ordinary: list[Step] = [
        f"Set({names.HOLIDAY_VAR}=)",
        f"Set({names.DAY_KIND_VAR}={kind})",
        "Return()",
    ]
    extensions.append(("_XXXXXXXX", ordinary))
    return "\n".join([_HEADER, *_context(names.CALENDAR, extensions)]) + "\n"


def plan_files(compiled: Sequence[Compiled], entry: str, calendar: str) -> dict[str, str]:
    """``{file name: text}`` of everything under ``names.PLANS_DIR``."""
    out = {ENTRY_FILE: entry, CALENDAR_FILE: calendar}
    # app_queue's announcements are queue settings: the live version's (the first)
    out[QUEUES_FILE] = compile_queue_settings(compiled[0].announced if compiled else {})
    out.update({c.file_name: c.text for c in compiled})
    return out


def files(
    live: Sequence[tuple[Plan, int]], calendar_days: Iterable[Day], options: CompileOptions
) -> dict[str, str]:
    """Everything under ``names.PLANS_DIR`` for ``live``: the live plan and its version
    first (its entry numbers go to it), then the versions kept for callers still in
    them. ``hotline sandbox up`` and the publisher both start from here."""
    if not live:
        raise CompileError("nothing to compile: no live plan")
    compiled = [compile_plan(plan, version, options) for plan, version in live]
    plan, version = live[0]
    digits = frozenset().union(*(c.keep_place_digits for c in compiled))
    entry = compile_entry(dict.fromkeys(plan.entry_numbers, version), options, digits)
    return plan_files(compiled, entry, compile_calendar(calendar_days))
