"""An escalation's details added later (callback/amend.py): which fields change, where
the due time goes, and that a closed callback keeps what it had."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from callback.amend import Amendment, CallbackClosed, amend
from callback.model import Callback, Kind, State

AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
DEFAULT_DUE = AT + timedelta(days=1)
GIVEN = AT + timedelta(days=9)
DAYS = {"建议投诉": 5, "劳动关系": 2}


def due_for(category: str) -> datetime:
    return AT + timedelta(days=DAYS.get(category, 1))


def desk_phone(state: State = State.OPEN, **fields: object) -> Callback:
    base = Callback(
        id=uuid.uuid4(),
        kind=Kind.ESCALATION,
        state=state,
        number="13900139000",
        created_at=AT,
        priority_at=AT,
        not_before=AT,
        due_at=DEFAULT_DUE,
        owner="1001",
    )
    return Callback(**{**base.__dict__, **fields})


@pytest.mark.parametrize(
    ("due_by_default", "amendment", "due_at", "still_default"),
    [
        # the desk phone's default due time follows the category added
        (True, Amendment("建议投诉", "q"), AT + timedelta(days=5), False),
        (True, Amendment("劳动关系", "q"), AT + timedelta(days=2), False),
        # a due time the person gives wins
        (True, Amendment("建议投诉", "q", due_at=GIVEN), GIVEN, False),
        (False, Amendment("建议投诉", "q", due_at=GIVEN), GIVEN, False),
        # a due time that did not come from the default stays
        (False, Amendment("建议投诉", "q"), DEFAULT_DUE, False),
        # no category yet: nothing moves it
        (True, Amendment(question="q"), DEFAULT_DUE, True),
    ],
)
def test_the_due_time_follows_the_category_only_when_it_was_the_default(
    due_by_default: bool, amendment: Amendment, due_at: datetime, still_default: bool
) -> None:
    later = AT + timedelta(hours=1)
    done = amend(desk_phone(), amendment, due_by_default=due_by_default, due_for=due_for, now=later)
    assert done.callback.due_at == due_at
    assert done.due_by_default is still_default
    assert done.callback.question == "q"
    assert done.callback.updated_at == later
    assert done.callback.state is State.OPEN


def test_each_field_changed_is_one_change_and_the_same_again_none() -> None:
    amendment = Amendment("建议投诉", "希望周六开放", "办公室")
    first = amend(desk_phone(), amendment, due_by_default=True, due_for=due_for, now=AT)
    assert [(c.field, c.before, c.after) for c in first.changes] == [
        ("category", None, "建议投诉"),
        ("question", "", "希望周六开放"),
        ("department", None, "办公室"),
        ("due_at", DEFAULT_DUE, AT + timedelta(days=5)),
    ]
    again = amend(first.callback, amendment, due_by_default=False, due_for=due_for, now=AT)
    assert again.changes == () and again.callback == first.callback


def test_a_new_category_and_question_replace_the_old() -> None:
    before = desk_phone(category="劳动关系", question="旧问题")
    done = amend(
        before, Amendment("建议投诉", "新问题"), due_by_default=False, due_for=due_for, now=AT
    )
    assert (done.callback.category, done.callback.question) == ("建议投诉", "新问题")
    assert {c.field for c in done.changes} == {"category", "question"}


@pytest.mark.parametrize("state", [State.DISPATCHING, State.IN_PROGRESS])
def test_a_live_callback_being_worked_takes_the_details(state: State) -> None:
    done = amend(
        desk_phone(state), Amendment("建议投诉", "q"), due_by_default=True, due_for=due_for, now=AT
    )
    assert done.callback.state is state and done.callback.category == "建议投诉"


@pytest.mark.parametrize("state", [State.DONE, State.FAILED, State.CANCELLED])
def test_a_closed_callback_is_not_changed(state: State) -> None:
    with pytest.raises(CallbackClosed) as refused:
        amend(
            desk_phone(state),
            Amendment("建议投诉", "q"),
            due_by_default=True,
            due_for=due_for,
            now=AT,
        )
    assert refused.value.code == "callback.closed"
