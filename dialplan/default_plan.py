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

WORKING_HOURS = (Hours(9 * 60, 13 * 60), Hours(15 * 60 + 30, 19 * 60 + 30))
MAX_WAIT_S = 300


def default_plan(entry_number: str, queue: str) -> Plan:
    """The shipped plan for callers of ``entry_number``, served by ``queue``."""
    return Plan(
        entry_numbers=(entry_number,),
        start="greeting",
        name="default",
        nodes=(
            Play("greeting", PROMPT_GREETING, next="holiday_greeting"),
            HolidayGreeting(
                "holiday_greeting",
                greetings=tuple(
                    (key, f"{HOLIDAY_PROMPT_PREFIX}{key}") for key in HOLIDAY_GREETINGS
                ),
                next="working_hours",
            ),
            TimeSwitch(
                "working_hours",
                hours=tuple((day, WORKING_HOURS) for day in Weekday if day <= Weekday.FRI),
                open="queue",
                closed="after_hours",
                holiday="after_hours",
                make_up_day=Weekday.MON,
            ),
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
