"""The simulator: key presses and a moment walk a caller through a plan as Asterisk would."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import InvalidInput
from core.settings import Settings
from dialplan.default_plan import (
    PROMPT_GREETING,
    WorkingHoursError,
    default_plan,
    parse_working_hours,
)
from dialplan.model import Language, Plan
from dialplan.plan_json import parse_plan
from dialplan.simulate import Walk, simulate
from ivr.calendar import Day, DayKind
from tests.pure.dialplan_examples import changed, plan_json

TZ = ZoneInfo("Asia/Shanghai")
PLAN = parse_plan(plan_json())

# a fake calendar: weekends rest, except what a test names
SPECIAL = {
    date(2026, 10, 1): Day(date(2026, 10, 1), DayKind.HOLIDAY, "national_day"),
    date(2026, 2, 14): Day(date(2026, 2, 14), DayKind.MAKE_UP),  # 调休: a working Saturday
    date(2026, 12, 1): Day(date(2026, 12, 1), DayKind.REST),  # an admin's day off: a Tuesday
    date(2026, 12, 5): Day(date(2026, 12, 5), DayKind.WORKING),  # an admin's working Saturday
}


def day_of(day: date) -> Day:
    if day in SPECIAL:
        return SPECIAL[day]
    return Day(day, DayKind.WORKING if day.isoweekday() <= 5 else DayKind.REST)


MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=TZ)


def walk(keys: str, at: datetime = MONDAY_10, plan: Plan = PLAN, **kwargs: bool) -> Walk:
    return simulate(plan, keys, at, day_of, **kwargs)


def path(w: Walk) -> list[str]:
    return [s.node for s in w.steps]


def test_two_menus_take_the_caller_to_the_queue_they_chose() -> None:
    w = walk("11")
    assert path(w) == ["greeting", "holiday", "hours", "language", "main", "pension"]
    assert (w.ends, w.node, w.detail) == ("queue", "pension", "pension")
    assert w.steps[3].note == "pressed 1" and w.steps[3].heard == ("choose-language",)
    assert w.steps[0].heard == ("greeting",) and w.steps[1].heard == ()


def test_a_department_by_the_second_menu() -> None:
    w = walk("12")
    assert (w.ends, w.node, w.detail) == ("transfer", "labour_inspection", "09915550000")


def test_the_language_choice_holds_for_the_rest_of_the_call() -> None:
    w = walk("21")
    assert path(w)[3:] == ["language", "uyghur", "main", "pension"]
    languages = {s.node: s.language for s in w.steps}
    assert languages["language"] is Language.MANDARIN
    assert languages["main"] is Language.UYGHUR and languages["pension"] is Language.UYGHUR


def test_silence_times_out_each_try_then_after_retries() -> None:
    w = walk("")
    language, main = w.steps[3], w.steps[4]
    assert language.heard == ("choose-language", "no-key") * 2  # retries: 2
    assert language.note == "no key (timeout), no key (timeout), after 2 tries"
    assert main.heard == ("main-menu",) * 3  # no timeout prompt: the menu again
    assert (w.ends, w.node) == ("queue", "pension")  # main's after_retries


def test_an_unknown_key_plays_invalid_and_counts_as_a_try() -> None:
    w = walk("912")
    assert w.steps[3].heard == ("choose-language", "invalid", "choose-language")
    assert w.steps[3].note == "pressed 9 (invalid), pressed 1"
    assert w.node == "labour_inspection"
    w = walk("99")  # two invalid keys: the language menu's two tries are used up
    assert w.steps[3].note == "pressed 9 (invalid), pressed 9 (invalid), after 2 tries"
    assert w.steps[4].node == "main"


def test_a_menu_key_that_replays_the_menu() -> None:
    w = walk("101")
    assert path(w)[3:] == ["language", "main", "main", "pension"]


@pytest.mark.parametrize(
    ("at", "branch", "note"),
    [
        (MONDAY_10, "language", "open: 10:00 in 09:00-13:00 (2026-11-30 mon, working)"),
        (
            datetime(2026, 11, 30, 13, 30, tzinfo=TZ),
            "after_hours",
            "closed: 13:30 not in 09:00-13:00, 15:30-19:30 (2026-11-30 mon, working)",
        ),
        (
            datetime(2026, 11, 30, 19, 45, tzinfo=TZ),
            "after_hours",
            "closed: 19:45 not in 09:00-13:00, 15:30-19:30 (2026-11-30 mon, working)",
        ),
        (
            datetime(2026, 11, 28, 10, 0, tzinfo=TZ),
            "after_hours",
            "closed: 10:00 not in no hours (2026-11-28 sat, rest)",
        ),
        (
            datetime(2026, 2, 14, 10, 0, tzinfo=TZ),
            "language",
            "open: 10:00 in 09:00-13:00 (2026-02-14 sat, make_up)",
        ),
        (
            datetime(2026, 10, 1, 10, 0, tzinfo=TZ),
            "after_hours",
            "holiday (national_day) at 10:00",
        ),
    ],
    ids=["working day", "noon break", "after work", "saturday", "make-up saturday", "holiday"],
)
def test_the_time_switch_follows_the_calendar_and_the_clock(
    at: datetime, branch: str, note: str
) -> None:
    w = walk("11", at)
    hours = w.steps[2]
    assert (hours.node, hours.note) == ("hours", note)
    assert w.steps[3].node == branch


def test_a_make_up_day_keeps_the_hours_of_the_weekday_it_stands_for() -> None:
    make_up_saturday = datetime(2026, 2, 14, 10, 0, tzinfo=TZ)
    plan = changed(
        hours={"hours": {"mon": [["14:00", "18:00"]], "sat": [["09:00", "12:00"]]}},
    )
    assert walk("11", make_up_saturday, plan).steps[3].node == "after_hours"
    plan = changed(hours={"make_up_day": "sat", "hours": {"sat": [["09:00", "12:00"]]}})
    assert walk("11", make_up_saturday, plan).steps[3].node == "language"


def test_a_weekday_made_a_day_off_is_closed_all_day() -> None:
    tuesday_10 = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
    assert walk("11", tuesday_10).steps[3].node == "after_hours"
    assert walk("11", tuesday_10 - timedelta(days=7)).steps[3].node == "language"


def test_a_saturday_made_a_working_day_by_an_override_keeps_the_make_up_hours() -> None:
    saturday_10 = datetime(2026, 12, 5, 10, 0, tzinfo=TZ)
    assert walk("11", saturday_10).steps[3].node == "language"
    assert walk("11", saturday_10 + timedelta(days=7)).steps[3].node == "after_hours"


def test_a_holiday_plays_its_greeting_and_goes_to_the_holiday_branch() -> None:
    w = walk("11", datetime(2026, 10, 1, 10, 0, tzinfo=TZ))
    assert w.steps[1].heard == ("holiday-national_day",)
    assert w.steps[1].note == "greeting for national_day"
    assert path(w) == ["greeting", "holiday", "hours", "after_hours", "voicemail"]
    assert w.steps[-1].heard == ("voicemail",)
    assert (w.ends, w.node) == ("voicemail", "voicemail")
    assert w.keys_left == "11"  # nobody asked for them


def test_no_holiday_greeting_on_an_ordinary_day_or_a_holiday_without_one() -> None:
    assert walk("11").steps[1].heard == ()
    labour_day = Day(date(2026, 5, 1), DayKind.HOLIDAY, "labour_day")  # PLAN has no greeting
    w = simulate(PLAN, "11", datetime(2026, 5, 1, 10, 0, tzinfo=TZ), lambda _: labour_day)
    assert w.steps[1].heard == ()
    assert w.steps[1].note == "no greeting for 2026-05-01 fri, holiday"
    assert w.steps[3].node == "after_hours"


def test_a_queue_with_nobody_signed_in_sends_the_caller_on() -> None:
    w = walk("11", agents_signed_in=False)
    assert path(w)[-3:] == ["pension", "after_hours", "voicemail"]
    assert w.steps[-3].note == "nobody signed in to queue pension"
    assert w.ends == "voicemail"


def test_the_keep_place_key_in_the_queue_hands_the_caller_to_a_callback() -> None:
    w = walk("111")
    assert path(w)[-2:] == ["pension", "voicemail"]
    assert w.steps[-2].note == "pressed 1 to keep the place and be called back"
    assert w.keys_left == ""
    assert walk("112").ends == "queue"  # another key: the caller waits on


def test_a_wait_past_the_maximum_goes_on_max_wait() -> None:
    w = walk("11", agent_answers=False)
    assert path(w)[-2:] == ["pension", "voicemail"]
    assert w.steps[-2].note == "no agent answered within 300 s in queue pension"


def test_a_loop_without_input_ends_the_walk() -> None:
    w = walk("", datetime(2026, 11, 30, 20, 0, tzinfo=TZ), changed(after_hours={"next": "hours"}))
    assert (w.ends, w.node) == ("loop", "hours")
    assert path(w)[2:] == ["hours", "after_hours"]


def test_a_silent_caller_in_a_menu_that_starts_again_is_a_loop() -> None:
    w = walk("1", plan=changed(main={"after_retries": "main"}))
    assert (w.ends, w.node) == ("loop", "main")
    w = walk("101", plan=changed(main={"after_retries": "main"}))  # 0: hear it again
    assert (w.ends, w.node) == ("queue", "pension")


def test_a_deep_menu_is_no_loop() -> None:
    menus = [
        {
            "kind": "menu",
            "id": f"m{i}",
            "prompt": "main-menu",
            "choices": {"1": f"m{i + 1}"},
            "after_retries": "voicemail",
        }
        for i in range(150)
    ]
    raw = {
        "entry_numbers": ["12333"],
        "start": "m0",
        "nodes": [
            *menus,
            {"kind": "voicemail", "id": "m150", "prompt": "voicemail"},
            {"kind": "voicemail", "id": "voicemail", "prompt": "voicemail"},
        ],
    }
    w = walk("1" * 100, plan=parse_plan(raw))
    assert (w.ends, w.node) == ("voicemail", "voicemail")
    assert len(w.steps) == 102  # m0…m99 by key, m100 times out, voicemail


def test_a_node_that_does_not_exist_ends_the_walk_of_a_draft() -> None:
    w = walk("13", plan=changed(main={"choices": {"3": "nowhere"}}))
    assert (w.ends, w.node) == ("broken", "nowhere")


def test_keys_are_dtmf_only() -> None:
    with pytest.raises(InvalidInput):
        walk("1;2")
    assert walk("*#").ends == "queue"


def test_the_default_plan() -> None:
    plan = default_plan("12333", "hotline")
    w = simulate(plan, "", MONDAY_10, day_of)
    assert path(w) == ["greeting", "holiday_greeting", "working_hours", "queue"]
    assert (w.ends, w.detail) == ("queue", "hotline")
    w = simulate(plan, "", datetime(2026, 11, 30, 13, 30, tzinfo=TZ), day_of)
    assert path(w)[-2:] == ["after_hours", "voicemail"]
    w = simulate(plan, "", MONDAY_10, day_of, agents_signed_in=False)
    assert path(w)[-3:] == ["queue", "after_hours", "voicemail"]
    w = simulate(plan, "", MONDAY_10, day_of, agent_answers=False)
    assert path(w)[-3:] == ["queue", "all_busy", "voicemail"]
    w = simulate(plan, "", datetime(2026, 10, 1, 10, 0, tzinfo=TZ), day_of)
    assert w.steps[1].heard == ("holiday-national_day",)
    assert path(w)[-2:] == ["after_hours", "voicemail"]


def test_the_default_plan_greets_with_the_standards_greeting_unless_told_otherwise() -> None:
    """R6: the shipped plan plays ``greeting`` first; the setting ``greeting_prompt``
    (the tests' short stand-in) changes the prompt, not the path."""
    assert Settings().greeting_prompt == PROMPT_GREETING
    w = simulate(default_plan("12333", "hotline"), "", MONDAY_10, day_of)
    assert w.steps[0].heard == (PROMPT_GREETING,)
    w = simulate(
        default_plan("12333", "hotline", "always", "greeting-short"), "", MONDAY_10, day_of
    )
    assert w.steps[0].heard == ("greeting-short",)
    assert path(w) == ["greeting", "holiday_greeting", "queue"]


def test_the_centres_working_hours_setting_shapes_the_default_plan() -> None:
    plan = default_plan("12333", "hotline", "mon-fri 09:00-12:00; sat 10:00-11:00")
    saturday_10_30 = datetime(2026, 12, 5, 10, 30, tzinfo=TZ)
    assert walk("", saturday_10_30, plan).node == "queue"
    assert walk("", MONDAY_10 + timedelta(hours=3), plan).node == "voicemail"
    always = default_plan("12333", "hotline", "always")
    assert "working_hours" not in {n.id for n in always.nodes}
    assert walk("", datetime(2026, 10, 1, 3, 0, tzinfo=TZ), always).node == "queue"


@pytest.mark.parametrize(
    "text", ["", "mon-fri", "mon-fri 9:00-12:00", "fri-mon 09:00-12:00", "mon 12:00-09:00"]
)
def test_working_hours_that_do_not_read_are_refused(text: str) -> None:
    with pytest.raises(WorkingHoursError):
        parse_working_hours(text)
