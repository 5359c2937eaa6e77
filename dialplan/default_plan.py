"""The dial plan the hotline ships with: today's path (greeting → queue), made right.

R6 greeting → R7 holiday greeting (on a holiday, its wish) → working hours by the
official calendar (Monday to Friday 09:00–13:00 and 15:30–19:30 Beijing time, as is
usual in Xinjiang; a 调休 make-up working day keeps Monday's hours; a holiday is after
hours) → open: the queue, where nobody signed in means the after-hours message (not
waiting for ever, as ``joinempty = yes`` did) and five minutes' wait means voicemail;
closed: the after-hours message, then voicemail (R12: every message becomes a callback).

``DEFAULT_PROMPT_TEXTS`` is what each prompt it plays says, in Mandarin; the prompts
work generates them.
"""

from __future__ import annotations

import re

from core.errors import ConfigError
from dialplan.model import (
    HolidayGreeting,
    Hours,
    Plan,
    Play,
    Queue,
    TimeSwitch,
    Voicemail,
    Weekday,
)
from ivr.prompts import GREETING

PROMPT_GREETING = "greeting"  # R6
PROMPT_AFTER_HOURS = "after-hours"
PROMPT_ALL_BUSY = "all-busy"
PROMPT_VOICEMAIL = "voicemail"
HOLIDAY_PROMPT_PREFIX = "holiday-"  # holiday-<key>: the holiday greeting node's prompts

# chinese_calendar's Holiday names (ivr.calendar's holiday keys) → the holiday's greeting
HOLIDAY_GREETINGS = {
    "new_years_day": "新年伊始,祝您元旦快乐。",
    "spring_festival": "新春佳节,祝您春节快乐。",
    "tomb_sweeping_day": "清明时节,祝您出行平安。",
    "labour_day": "五一劳动节,祝您节日快乐。",
    "dragon_boat_festival": "端午佳节,祝您端午安康。",
    "national_day": "国庆佳节,祝您国庆快乐。",
    "mid_autumn_festival": "中秋佳节,祝您中秋快乐、阖家团圆。",
}

DEFAULT_PROMPT_TEXTS: dict[str, str] = {
    PROMPT_GREETING: GREETING,
    PROMPT_AFTER_HOURS: "现在是非工作时间,我们将在工作时间内回电。",
    PROMPT_ALL_BUSY: "对不起,咨询员正忙。",
    PROMPT_VOICEMAIL: "请在提示音后留下您的姓名、电话和问题,留言完毕请挂机。",
    **{f"{HOLIDAY_PROMPT_PREFIX}{key}": text for key, text in HOLIDAY_GREETINGS.items()},
}

ALWAYS = "always"  # working_hours: no time switch at all (a 24-hour centre; the tests)
MAX_WAIT_S = 300

_DAY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?$")
_PERIOD = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-(([01][0-9]|2[0-3]):([0-5][0-9])|24:00)$")


class WorkingHoursError(ConfigError):
    code = "config.working_hours"


def parse_working_hours(text: str) -> tuple[tuple[Weekday, tuple[Hours, ...]], ...] | None:
    """The centre's working hours (setting ``working_hours``): ``;``-separated groups of
    a day or day range and its periods, e.g. ``mon-fri 09:00-13:00 15:30-19:30; sat
    09:00-12:00``; ``always`` (None): open round the clock, every day."""
    if text.strip() == ALWAYS:
        return None
    week: dict[Weekday, tuple[Hours, ...]] = {}
    for group in filter(None, (g.strip() for g in text.split(";"))):
        days, *periods = group.split()
        match = _DAY.fullmatch(days)
        if match is None or not periods:
            raise WorkingHoursError(
                f"working_hours: {group!r} should read like 'mon-fri 09:00-13:00 15:30-19:30'"
            )
        first = Weekday[match.group(1).upper()]
        last = Weekday[(match.group(2) or match.group(1)).upper()]
        if last < first:
            raise WorkingHoursError(f"working_hours: {days!r} runs backwards (say mon-fri)")
        hours = []
        for period in periods:
            if not _PERIOD.fullmatch(period):
                raise WorkingHoursError(f"working_hours: {period!r} is not HH:MM-HH:MM")
            start, end = (int(t[:2]) * 60 + int(t[3:]) for t in period.split("-"))
            if end <= start:
                raise WorkingHoursError(f"working_hours: {period!r} ends before it starts")
            hours.append(Hours(start, end))
        for day in Weekday:
            if first <= day <= last:
                week[day] = tuple(sorted(hours))
    if not week:
        raise WorkingHoursError("working_hours: no day is open; say 'always' for every hour")
    return tuple(sorted(week.items()))


WORKING_HOURS = "mon-fri 09:00-13:00 15:30-19:30"  # the setting's default


def default_plan(
    entry_number: str,
    queue: str,
    working_hours: str = WORKING_HOURS,
    greeting: str = PROMPT_GREETING,
) -> Plan:
    """The shipped plan for callers of ``entry_number``, served by ``queue``, open in
    ``working_hours`` (``parse_working_hours``; ``always``: no time switch), greeting
    with the prompt ``greeting`` (setting ``greeting_prompt``: the standard's R6
    greeting; the tests' short stand-in)."""
    hours = parse_working_hours(working_hours)
    after_greeting = "queue" if hours is None else "working_hours"
    switch = (
        ()
        if hours is None
        else (
            TimeSwitch(
                "working_hours",
                hours=hours,
                open="queue",
                closed="after_hours",
                holiday="after_hours",
                make_up_day=Weekday.MON,
            ),
        )
    )
    return Plan(
        entry_numbers=(entry_number,),
        start="greeting",
        name="default",
        nodes=(
            Play("greeting", greeting, next="holiday_greeting"),
            HolidayGreeting(
                "holiday_greeting",
                greetings=tuple(
                    (key, f"{HOLIDAY_PROMPT_PREFIX}{key}") for key in HOLIDAY_GREETINGS
                ),
                next=after_greeting,
            ),
            *switch,
            Queue(
                "queue",
                queue=queue,
                when_nobody="after_hours",
                max_wait_s=MAX_WAIT_S,
                on_max_wait="all_busy",
            ),
            Play("after_hours", PROMPT_AFTER_HOURS, next="voicemail"),
            Play("all_busy", PROMPT_ALL_BUSY, next="voicemail"),
            Voicemail("voicemail", PROMPT_VOICEMAIL),
        ),
    )
