"""The callback dispatcher against the fake AMI server and an in-memory store: what it
originates, what it never dials twice, which leases it keeps, and what AMI's events
become in the store."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from callback import dispatch
from callback.attempts import OTHER_HALF_SUFFIX, NoLiveAttempt
from callback.dispatch import Dispatcher
from callback.model import (
    AgentAnswered,
    AttemptEnded,
    AttemptResult,
    Callback,
    Kind,
    State,
)
from callback.repo import Claim
from calls.cel import CelRow
from core import names
from core.settings import Settings
from tests.adapter.conftest import ClientFactory, eventually
from tests.adapter.fake_ami import FakeAmi

NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
NUMBER = "13800138000"
R = AttemptResult


def claimed(attempt_id: str, previous: str | None = None, **changes: Any) -> Claim:
    callback = Callback(
        id=uuid.uuid4(),
        kind=Kind.VOICEMAIL,
        state=State.DISPATCHING,
        number=NUMBER,
        created_at=NOW - timedelta(minutes=5),
        priority_at=NOW - timedelta(minutes=5),
        not_before=NOW - timedelta(seconds=7),
        attempt_id=attempt_id,
        lease_until=NOW + timedelta(seconds=60),
    )
    return Claim(replace(callback, **changes), previous)


class Store:
    """The store's functions (callback/repo.py), in memory; every call is kept."""

    def __init__(self, claims: list[Claim] | None = None) -> None:
        self.waiting = list(claims or [])
        self.limits: list[int] = []
        self.renewed: list[list[str]] = []
        self.calls: list[tuple[Any, ...]] = []

    async def claim(
        self,
        _pool: Any,
        _dispatcher: str,
        _now: datetime,
        _lease_s: float,
        limit: int,
        *,
        fresh: bool = True,
    ) -> list[Claim]:
        self.limits.append(limit)
        can = [c for c in self.waiting if fresh or c.previous_attempt_id is not None][:limit]
        self.waiting = [c for c in self.waiting if c not in can]
        return can

    async def renew(self, _pool: Any, attempt_ids: list[str], _until: datetime) -> int:
        self.renewed.append(list(attempt_ids))
        return len(attempt_ids)

    async def apply(
        self,
        _pool: Any,
        callback_id: uuid.UUID,
        event: Any,
        _now: datetime,
        _actor: Any = None,
        *,
        attempt_id: str | None = None,
    ) -> None:
        self.calls.append(("apply", callback_id, event, attempt_id))

    async def attempt_started(
        self, _pool: Any, callback_id: uuid.UUID, attempt_id: str, _at: datetime
    ) -> None:
        self.calls.append(("started", callback_id, attempt_id))

    async def attempt_ended(
        self,
        _pool: Any,
        attempt_id: str,
        _at: datetime,
        result: AttemptResult,
        *,
        agent: str | None = None,
        cause: str | None = None,
    ) -> None:
        self.calls.append(("ended", attempt_id, result, agent))

    def applied(self) -> list[tuple[Any, str | None]]:
        return [(c[2], c[3]) for c in self.calls if c[0] == "apply"]

    def ended(self) -> list[tuple[str, AttemptResult, str | None]]:
        return [(c[1], c[2], c[3]) for c in self.calls if c[0] == "ended"]


def cel_answer(attempt_id: str, channame: str) -> CelRow:
    return CelRow("ANSWER", NOW, attempt_id + "-x", attempt_id, channame=channame)


async def never_notified(_wake: Callable[[], None]) -> None:
    await asyncio.Event().wait()


class Owners:
    """Agent state's side (``dispatch.Owners``): the signed-in owners' slots; every
    seat taken and given up is kept, with the Originates sent before it."""

    def __init__(self, fake: FakeAmi, slots: dict[str, int], *, seat: bool = True) -> None:
        self.fake = fake
        self.slots = slots
        self.seat = seat
        self.calls: list[tuple[str, str, int]] = []  # (what, owner, Originates sent before)

    def owner_slot(self, job_number: str) -> int | None:
        return self.slots.get(job_number)

    async def offer_owned(self, job_number: str) -> bool:
        self.calls.append(("seat", job_number, len(self.fake.named("Originate"))))
        return self.seat

    async def owned_offer_over(self, job_number: str) -> None:
        self.calls.append(("over", job_number, len(self.fake.named("Originate"))))


Make = Callable[..., Awaitable[tuple[Dispatcher, Store]]]


@pytest.fixture
async def make(
    fake: FakeAmi, client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Make]:
    monkeypatch.setattr(dispatch, "RESULT_WAIT_S", 0.05)
    made: list[Dispatcher] = []

    async def build(
        claims: list[Claim] | None = None,
        *,
        cel: dict[str, list[CelRow]] | None = None,
        is_open: Callable[[datetime], bool] = lambda _now: True,
        anyone_idle: Callable[[], bool] = lambda: True,
        owners: Owners | None = None,
        **settings: Any,
    ) -> tuple[Dispatcher, Store]:
        ami = await client()
        store = Store(claims)
        rows = cel or {}

        async def cel_rows(_pool: Any, linkedid: str) -> list[CelRow]:
            return rows.get(linkedid, [])

        dispatcher = Dispatcher(
            ami,
            None,
            Settings(**{"callback_max_waiting": 2, "callback_poll_s": 0.05, **settings}),
            is_open=is_open,
            anyone_idle=anyone_idle,
            owners=owners,
            open_at=lambda moment: moment,
            store=store,
            cel_rows=cel_rows,
            listen=never_notified,
            clock=lambda: NOW,
        )
        dispatcher.attach()
        made.append(dispatcher)
        return dispatcher, store

    yield build
    for dispatcher in made:
        await dispatcher.stop()


def live_channels(fake: FakeAmi, channels: dict[str, str]) -> None:
    """Status answers with these channels (Uniqueid -> name)."""

    def reply(_action: dict[str, str]) -> list[dict[str, str]]:
        items = [
            {"Event": "Status", "Uniqueid": uid, "Linkedid": uid, "Channel": name}
            for uid, name in channels.items()
        ]
        return [
            {"Response": "Success", "EventList": "start", "Message": "Channels will follow"},
            *items,
            {"Event": "StatusComplete", "EventList": "Complete"},
        ]

    fake.replies["status"] = reply


async def callback_step(fake: FakeAmi, attempt: str, step: str, **headers: str) -> None:
    await fake.send_event(
        Event="UserEvent",
        UserEvent=names.EVENT_CALLBACK,
        Uniqueid=attempt,
        Attempt=attempt,
        Step=step,
        **headers,
    )


# ---- originate ----------------------------------------------------------------------------


async def test_a_claim_is_originated_once_into_the_callback_queue(
    fake: FakeAmi, make: Make
) -> None:
    claim = claimed("a-1")
    dispatcher, store = await make(
        [claim], entry_number="12333", callback_confirm_timeout_s=25, callback_ring_timeout_s=35
    )
    assert await dispatcher.dispatch_once() == 1
    (sent,) = fake.named("Originate")
    assert sent.headers["Channel"] == names.CALLBACK_CHANNEL
    assert sent.headers["Context"] == names.CALLBACK_AGENT
    assert (sent.headers["Exten"], sent.headers["Priority"]) == ("s", "1")
    assert sent.headers["ChannelId"] == "a-1"
    assert sent.headers["OtherChannelId"] == "a-1" + OTHER_HALF_SUFFIX
    assert sent.headers["CallerID"] == "12333"
    assert sent.headers["Async"] == "true"
    assert int(sent.headers["Timeout"]) >= 60_000
    assert set(sent.all("Variable")) == {
        f"{names.CALLBACK_ATTEMPT_VAR}=a-1",
        f"{names.CALLBACK_NUMBER_VAR}={NUMBER}",
        f"{names.CALLBACK_CONFIRM_S_VAR}=25",
        f"{names.CALLBACK_RING_S_VAR}=35",
        f"__{names.ANNOUNCE_VAR}=0",
    }
    assert ("started", claim.callback.id, "a-1") in store.calls
    assert dispatcher.figures.last_lag_s == 7.0
    assert await dispatcher.dispatch_once() == 0
    assert len(fake.named("Originate")) == 1


async def test_an_owned_escalation_is_offered_to_its_signed_in_owner_for_the_rest_of_its_time(
    fake: FakeAmi, make: Make
) -> None:
    # created 5 minutes ago, the owner's time is 10: 300 s left for the owner alone
    claim = claimed("a-1", kind=Kind.ESCALATION, owner="1002")
    owners = Owners(fake, {"1002": 42})
    dispatcher, _ = await make([claim], owners=owners, callback_owner_wait_s=600)
    assert await dispatcher.dispatch_once() == 1
    (sent,) = fake.named("Originate")
    assert {
        f"{names.CALLBACK_OWNER_SLOT_VAR}=42",
        f"{names.CALLBACK_OWNER_WAIT_VAR}=300",
    } <= set(sent.all("Variable"))
    plain = claimed("a-2")
    other, _ = await make([plain], owners=owners, callback_owner_wait_s=600)
    await other.dispatch_once()
    # the queued half answers the Originate only once an agent took it: the owner's wait
    # is part of the Originate's timeout
    first, second = fake.named("Originate")
    assert int(first.headers["Timeout"]) - int(second.headers["Timeout"]) == 300_000
    assert not any(v.startswith(names.CALLBACK_OWNER_SLOT_VAR) for v in second.all("Variable"))
    # the owner's member took its seat in the owners' queue before the Originate; only
    # the owned callback asked for one
    assert owners.calls == [("seat", "1002", 0)]


async def test_an_owners_seat_is_given_up_when_its_attempt_ends(fake: FakeAmi, make: Make) -> None:
    """Members in the owners' queue cost Asterisk on every device-state change: the
    seat lasts as long as the owned attempt, however it ends."""
    owners = Owners(fake, {"1002": 42})
    dispatcher, store = await make(
        [claimed("a-1", kind=Kind.ESCALATION, owner="1002")],
        owners=owners,
        callback_owner_wait_s=600,
    )
    await dispatcher.dispatch_once()
    await callback_step(fake, "a-1", "left", QueueStatus="TIMEOUT")
    assert await eventually(lambda: store.ended() == [("a-1", R.NO_AGENT, None)])
    assert await eventually(lambda: owners.calls == [("seat", "1002", 0), ("over", "1002", 1)])


async def test_an_owned_escalation_whose_owner_could_not_be_seated_is_kept_for_them(
    fake: FakeAmi, make: Make
) -> None:
    """Signed out between the slot and the seat (or AMI away): not offered to anyone
    else yet — the owner's time is not over."""
    owners = Owners(fake, {"1002": 42}, seat=False)
    claim = claimed("a-1", kind=Kind.ESCALATION, owner="1002")
    dispatcher, store = await make([claim], owners=owners, callback_owner_wait_s=600)
    assert await dispatcher.dispatch_once() == 1
    assert not fake.named("Originate")
    ((event, _),) = store.applied()
    assert event == AttemptEnded(R.NO_AGENT, NOW + timedelta(seconds=300))
    assert owners.calls == [("seat", "1002", 0)]


async def test_an_owned_escalation_whose_owner_is_signed_out_is_kept_for_them(
    fake: FakeAmi, make: Make
) -> None:
    claim = claimed("a-1", kind=Kind.ESCALATION, owner="1002")
    owners = Owners(fake, {})
    dispatcher, store = await make([claim], owners=owners, callback_owner_wait_s=600)
    assert await dispatcher.dispatch_once() == 1
    assert not fake.named("Originate")
    ((event, _),) = store.applied()
    assert event == AttemptEnded(R.NO_AGENT, NOW + timedelta(seconds=300))
    assert owners.calls == []  # no seat for a signed-out owner


async def test_no_dispatch_outside_working_hours(fake: FakeAmi, make: Make) -> None:
    dispatcher, store = await make([claimed("a-1")], is_open=lambda _now: False)
    assert await dispatcher.dispatch_once() == 0
    assert store.limits == [] and fake.named("Originate") == []


async def test_nothing_is_claimed_while_no_agent_is_idle(fake: FakeAmi, make: Make) -> None:
    """Agent first: with nobody idle app_queue would only hold the callback (or turn it
    away at once when nobody is signed in, and it would be offered again and again)."""
    idle = False
    dispatcher, _store = await make([claimed("a-1")], anyone_idle=lambda: idle)
    assert await dispatcher.dispatch_once() == 0
    assert fake.named("Originate") == []
    idle = True
    assert await dispatcher.dispatch_once() == 1


async def test_at_most_max_waiting_attempts_in_flight(fake: FakeAmi, make: Make) -> None:
    dispatcher, store = await make([claimed(f"a-{n}") for n in range(4)], callback_max_waiting=2)
    assert await dispatcher.dispatch_once() == 2
    assert await dispatcher.dispatch_once() == 0
    assert store.limits == [2] and len(fake.named("Originate")) == 2
    await fake.send_event(Event="Hangup", Uniqueid="a-0", Channel="Local/a-0@x-1;1")
    assert await eventually(lambda: len(dispatcher.attempts) == 1)
    assert await dispatcher.dispatch_once() == 1
    assert store.limits == [2, 1]


# ---- a crashed dispatcher's claim ------------------------------------------------------------


async def test_a_reclaimed_attempt_whose_channel_lives_is_adopted_not_dialled(
    fake: FakeAmi, make: Make
) -> None:
    live_channels(fake, {"0d-1": "Local/0d-1@hotline-callback-queue-0001;1"})
    rows = {"0d-1": [cel_answer("0d-1", f"PJSIP/{names.OUTBOUND_TRUNK}-00000007")]}
    claim = claimed("e0-1", previous="0d-1")
    dispatcher, store = await make([claim], cel=rows)
    assert await dispatcher.dispatch_once() == 1
    assert fake.named("Originate") == []
    assert await dispatcher.renew() == 1
    assert store.renewed == [["e0-1"]]  # the store knows the claim by its new id
    await fake.send_event(Event="Hangup", Uniqueid="0d-1", Channel="x")
    ended = AttemptEnded(R.ANSWERED, None)
    assert await eventually(lambda: store.applied() == [(ended, "e0-1")])
    assert store.ended() == [("0d-1", R.ANSWERED, None)]
    assert fake.named("Originate") == []


async def test_an_adopted_attempt_learns_its_agent_from_the_result(
    fake: FakeAmi, make: Make
) -> None:
    """The agent step came while no service listened (killed, then adopted): the
    result step carries the agent too, so the callback is still the agent's."""
    live_channels(fake, {"0d-1": "Local/0d-1@hotline-callback-queue-0001;1"})
    dispatcher, store = await make([claimed("e0-1", previous="0d-1")])
    assert await dispatcher.dispatch_once() == 1
    await callback_step(fake, "0d-1", "result", DialStatus="ANSWER", Cause="16", Agent="1007")
    assert await eventually(
        lambda: (
            store.applied() == [(AgentAnswered("1007"), "e0-1"), (AttemptEnded(R.ANSWERED), "e0-1")]
        )
    )
    assert store.ended() == [("0d-1", R.ANSWERED, "1007")]


async def test_a_reclaimed_attempt_that_reached_the_citizen_is_never_dialled_again(
    fake: FakeAmi, make: Make
) -> None:
    live_channels(fake, {})
    rows = {"0d-1": [cel_answer("0d-1", f"PJSIP/{names.OUTBOUND_TRUNK}-00000007")]}
    dispatcher, store = await make([claimed("e0-1", previous="0d-1")], cel=rows)
    await dispatcher.dispatch_once()
    assert fake.named("Originate") == []
    assert store.applied() == [(AttemptEnded(R.ANSWERED, None), "e0-1")]
    assert store.ended() == [("0d-1", R.ANSWERED, None)]


def cel_agent(attempt_id: str, job_number: str) -> CelRow:
    """The dialplan's CELGenUserEvent on the attempt's ;1 half once an agent took it."""
    extra = json.dumps({"extra": f"agent={job_number}"})
    return CelRow(
        "USER_DEFINED",
        NOW,
        attempt_id,
        attempt_id,
        userdeftype=names.CEL_CALLBACK_AGENT,
        extra=extra,
    )


async def test_a_reclaimed_attempt_that_ended_answered_keeps_its_agent_from_cel(
    fake: FakeAmi, make: Make
) -> None:
    """The agent who took it may record the outcome: the callback and the attempt row
    carry their job number, read from what Asterisk recorded."""
    live_channels(fake, {})
    trunk = f"PJSIP/{names.OUTBOUND_TRUNK}-00000007"
    rows = {"0d-1": [cel_agent("0d-1", "1007"), cel_answer("0d-1", trunk)]}
    dispatcher, store = await make([claimed("e0-1", previous="0d-1")], cel=rows)
    await dispatcher.dispatch_once()
    assert fake.named("Originate") == []
    assert store.applied() == [
        (AgentAnswered("1007"), "e0-1"),
        (AttemptEnded(R.ANSWERED, None), "e0-1"),
    ]
    assert store.ended() == [("0d-1", R.ANSWERED, "1007")]


MEMBER_ANSWERED = cel_answer("0d-1", "Local/2001@agents-local-00000003;1")


def cel_hangup(attempt_id: str, dial_status: str, cause: int = 16) -> CelRow:
    """The attempt's ;1 half ends: cel_pgsql keeps its DIALSTATUS (the citizen's dial)."""
    extra = json.dumps({"hangupcause": cause, "hangupsource": "", "dialstatus": dial_status})
    return CelRow("HANGUP", NOW, attempt_id, attempt_id, extra=extra)


@pytest.mark.parametrize(
    ("rows", "result"),
    [
        # the agent never confirmed: not counted against the citizen
        ([MEMBER_ANSWERED, cel_hangup("0d-1", "")], R.NOT_CONFIRMED),
        ([MEMBER_ANSWERED, cel_hangup("0d-1", "NOANSWER")], R.NO_ANSWER),
        ([MEMBER_ANSWERED, cel_hangup("0d-1", "BUSY", 17)], R.BUSY),
        ([cel_answer("0d-1", "Local/0d-1@q-1;2")], R.NO_AGENT),
    ],
)
async def test_a_reclaimed_attempt_that_ended_counts_as_ended(
    fake: FakeAmi, make: Make, rows: list[CelRow], result: AttemptResult
) -> None:
    live_channels(fake, {})
    dispatcher, store = await make([claimed("e0-1", previous="0d-1")], cel={"0d-1": rows})
    await dispatcher.dispatch_once()
    assert fake.named("Originate") == []
    ((event, attempt),) = store.applied()
    assert isinstance(event, AttemptEnded) and event.result is result and attempt == "e0-1"


async def test_a_reclaimed_claim_that_never_rang_is_dialled(fake: FakeAmi, make: Make) -> None:
    live_channels(fake, {})
    dispatcher, _store = await make([claimed("e0-1", previous="0d-1")])
    await dispatcher.dispatch_once()
    (sent,) = fake.named("Originate")
    assert sent.headers["ChannelId"] == "e0-1"


# ---- leases ---------------------------------------------------------------------------------


async def test_leases_are_renewed_while_the_channel_lives(fake: FakeAmi, make: Make) -> None:
    dispatcher, store = await make([claimed("a-1")], callback_lease_s=0.15)
    dispatcher.start()
    assert await eventually(lambda: len(fake.named("Originate")) == 1)
    assert await eventually(lambda: store.renewed.count(["a-1"]) >= 3)
    await fake.send_event(Event="Hangup", Uniqueid="a-1", Channel="x")
    assert await eventually(lambda: dispatcher.attempts == {})
    renewals = len(store.renewed)
    await asyncio.sleep(0.2)  # a renewal would come every 0.05 s
    assert len(store.renewed) == renewals


# ---- what the dialplan reports ---------------------------------------------------------------


async def test_steps_become_store_calls(fake: FakeAmi, make: Make) -> None:
    claim = claimed("a-1")
    dispatcher, store = await make([claim])
    await dispatcher.dispatch_once()
    await callback_step(fake, "a-1", "agent", Agent="1001")
    assert await eventually(lambda: store.applied() == [(AgentAnswered("1001"), "a-1")])
    await callback_step(fake, "a-1", "confirmed", Agent="1001")
    await callback_step(fake, "a-1", "result", DialStatus="NOANSWER", Cause="19")
    retry = NOW + timedelta(seconds=Settings().callback_retry_spacing_s)
    ended = (AttemptEnded(R.NO_ANSWER, retry), "a-1")
    assert await eventually(lambda: store.applied()[1:] == [ended])
    assert store.ended() == [("a-1", R.NO_ANSWER, "1001")]
    await fake.send_event(Event="Hangup", Uniqueid="a-1", Channel="x")
    await asyncio.sleep(0.1)  # past RESULT_WAIT_S: the hangup adds nothing
    assert len(store.applied()) == 2 and dispatcher.attempts == {}


async def test_an_answered_result_waits_for_the_outcome(fake: FakeAmi, make: Make) -> None:
    dispatcher, store = await make([claimed("a-1")])
    await dispatcher.dispatch_once()
    await callback_step(fake, "a-1", "result", DialStatus="ANSWER", Cause="16")
    assert await eventually(lambda: store.applied() == [(AttemptEnded(R.ANSWERED), "a-1")])


@pytest.mark.parametrize(
    ("steps", "result"),
    [((), R.NO_AGENT), (("agent",), R.NOT_CONFIRMED), (("agent", "confirmed"), R.FAILED)],
)
async def test_a_hangup_without_a_result(
    fake: FakeAmi, make: Make, steps: tuple[str, ...], result: AttemptResult
) -> None:
    dispatcher, store = await make([claimed("a-1")])
    await dispatcher.dispatch_once()
    for step in steps:
        await callback_step(fake, "a-1", step, Agent="1001")
    await fake.send_event(Event="Hangup", Uniqueid="a-1", Channel="x")
    assert await eventually(lambda: [e[1] for e in store.ended()] == [result])


async def test_a_result_without_confirmation(fake: FakeAmi, make: Make) -> None:
    dispatcher, store = await make([claimed("a-1")])
    await dispatcher.dispatch_once()
    await callback_step(fake, "a-1", "agent", Agent="1001")
    await callback_step(fake, "a-1", "result", DialStatus=names.CALLBACK_NOT_CONFIRMED, Cause="16")
    assert await eventually(lambda: store.ended() == [("a-1", R.NOT_CONFIRMED, "1001")])


async def test_a_queue_half_that_left_unanswered(fake: FakeAmi, make: Make) -> None:
    dispatcher, store = await make([claimed("a-1")])
    await dispatcher.dispatch_once()
    await callback_step(fake, "a-1", "left", QueueStatus="TIMEOUT")
    assert await eventually(lambda: store.ended() == [("a-1", R.NO_AGENT, None)])


async def test_a_failed_originate_response_ends_the_attempt(fake: FakeAmi, make: Make) -> None:
    dispatcher, store = await make([claimed("a-1")])
    await dispatcher.dispatch_once()
    await fake.send_event(Event="OriginateResponse", Response="Failure", Uniqueid="a-1")
    assert await eventually(lambda: store.ended() == [("a-1", R.NO_AGENT, None)])


async def test_confirm_sets_the_variable_on_the_agent_half(fake: FakeAmi, make: Make) -> None:
    dispatcher, _store = await make([claimed("a-1")])
    with pytest.raises(NoLiveAttempt):
        await dispatcher.confirm("a-1")  # not dispatched yet
    await dispatcher.dispatch_once()
    await dispatcher.confirm("a-1")
    (sent,) = fake.named("Setvar")
    assert sent.headers == {
        "Action": "Setvar",
        "ActionID": sent.headers["ActionID"],
        "Variable": names.CALLBACK_CONFIRMED_VAR,
        "Value": "1",
        "Channel": "a-1",  # the ;1 half's Uniqueid: Asterisk finds a channel by it
    }


async def test_an_originate_without_a_reply_is_never_sent_again(fake: FakeAmi, make: Make) -> None:
    fake.silent_actions.add("originate")
    live_channels(fake, {})
    dispatcher, store = await make([claimed("a-1"), claimed("b-1")], callback_lease_s=2.0)
    assert await dispatcher.dispatch_once() == 2  # waits out each one's action timeout
    assert list(dispatcher.attempts) == ["a-1", "b-1"]  # followed, checked a lease/2 later
    assert await eventually(lambda: dispatcher.attempts == {})  # no channel, no CEL rows
    assert sorted(store.ended()) == [("a-1", R.NO_AGENT, None), ("b-1", R.NO_AGENT, None)]
    assert len(fake.named("Originate")) == 2
