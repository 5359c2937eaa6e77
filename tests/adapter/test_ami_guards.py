"""Each guard of the AMI adapter: first panoramisk 1.4's own behaviour, reproduced
against the fake AMI server, then the adapter doing the right thing (asterisk.md §7, §8).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import structlog

from ami import (
    AmiActionFailed,
    AmiAuthError,
    AmiConnectionLost,
    AmiOutcomeUnknown,
    ConnectionState,
)
from ami.actions import CoreShowChannels, Originate, Ping, QueueAdd, QueuePause, QueueRemove
from ami.events import Event, UserEvent
from core.errors import UnsafeValueError
from tests.adapter.conftest import ClientFactory, eventually
from tests.adapter.fake_ami import FakeAmi

QUEUE_ADD = {
    "Action": "QueueAdd",
    "Queue": "12333",
    "Interface": "Local/2001@agents-local/n",
    "MemberName": "1001",
    "StateInterface": "PJSIP/2001",
    "Paused": "true",
}


# §7.1 ------------------------------------------------------------------------------------


async def test_panoramisk_never_resolves_a_successful_queueadd(
    fake: FakeAmi, raw_panoramisk: Any
) -> None:
    manager = await raw_panoramisk()
    future = manager.send_action(dict(QUEUE_ADD))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.shield(future), 0.5)
    assert len(fake.named("QueueAdd")) == 1  # Asterisk did add the member


async def test_adapter_resolves_queueadd(fake: FakeAmi, client: ClientFactory) -> None:
    ami = await client()
    reply = await ami.send(QueueAdd("12333", "Local/2001@agents-local/n", "1001", "PJSIP/2001"))
    assert reply.response == "Success" and reply.message == "Added interface to queue"
    sent = fake.named("QueueAdd")[0].headers
    assert sent["Paused"] == "true" and sent["MemberName"] == "1001"


# §7.2 ------------------------------------------------------------------------------------


async def test_panoramisk_drops_the_connection_on_originate_without_async(
    fake: FakeAmi, raw_panoramisk: Any
) -> None:
    manager = await raw_panoramisk()
    before = fake.disconnects
    manager.send_action(
        {
            "Action": "Originate",
            "Channel": "PJSIP/2001",
            "Context": "c",
            "Exten": "1",
            "Priority": "1",
        }
    )
    assert await eventually(lambda: fake.disconnects > before)


async def test_adapter_always_originates_async_with_a_channel_id(
    fake: FakeAmi, client: ClientFactory
) -> None:
    ami = await client()
    await ami.action(
        "Originate", {"Channel": "PJSIP/2001", "Context": "c", "Exten": "1", "Async": "False"}
    )
    typed = await ami.send(Originate("PJSIP/2002", "c", "1", channel_id="cb-0001"))
    first, second = fake.named("Originate")
    assert first.headers["Async"] == "true" and first.headers["ChannelId"]
    assert second.headers["ChannelId"] == "cb-0001"
    assert typed.events[0].get("Uniqueid") == "cb-0001"
    assert ami.is_ready and fake.disconnects == 0


# §7.3 ------------------------------------------------------------------------------------


def _two_user_events() -> bytes:
    return (
        b"Event: UserEvent\r\nUserEvent: first\r\n\r\nEvent: UserEvent\r\nUserEvent: second\r\n\r\n"
    )


async def test_panoramisk_loses_the_connection_when_a_handler_raises(
    fake: FakeAmi, raw_panoramisk: Any
) -> None:
    manager = await raw_panoramisk()
    seen: list[str] = []

    def handler(_manager: Any, message: Any) -> None:
        seen.append(message.UserEvent)
        raise RuntimeError("a bug in a handler")

    manager.register_event("UserEvent", handler)
    await fake.send_raw(_two_user_events())
    assert await eventually(lambda: fake.disconnects == 1)
    assert seen == ["first"]  # the rest of the chunk is lost


async def test_adapter_survives_a_raising_handler(fake: FakeAmi, client: ClientFactory) -> None:
    ami = await client()
    seen: list[str] = []

    def broken(_event: Event) -> None:
        raise RuntimeError("a bug in a handler")

    async def broken_async(_event: Event) -> None:
        raise RuntimeError("a bug in an async handler")

    ami.on_event("UserEvent", broken)
    ami.on_event("UserEvent", broken_async)
    ami.on_event("UserEvent", lambda e: seen.append(e.get("UserEvent")))
    await fake.send_raw(_two_user_events())
    assert await eventually(lambda: seen == ["first", "second"])
    await ami.action("Ping")
    assert ami.is_ready and fake.disconnects == 0


# §7.7 ------------------------------------------------------------------------------------

NAME = "张三丰"
EVENT = f"Event: UserEvent\r\nUserEvent: Caller\r\nCallerIDName: {NAME}\r\n\r\n".encode()
CUT = EVENT.index(NAME.encode()) + 1  # inside the first character's three bytes


async def test_panoramisk_drops_a_character_split_across_reads(
    fake: FakeAmi, raw_panoramisk: Any
) -> None:
    manager = await raw_panoramisk()
    names: list[str] = []
    manager.register_event("UserEvent", lambda m, e: names.append(e.CallerIDName))
    await fake.send_raw(EVENT, split_at=(CUT,))
    assert await eventually(lambda: bool(names))
    assert names == [NAME[1:]]


async def test_adapter_keeps_a_character_split_across_reads(
    fake: FakeAmi, client: ClientFactory
) -> None:
    ami = await client()
    events: list[Event] = []
    ami.on_event("UserEvent", events.append)
    await fake.send_raw(EVENT, split_at=(CUT, CUT + 1, len(EVENT) - 3))
    assert await eventually(lambda: bool(events))
    assert isinstance(events[0], UserEvent) and events[0].caller_id_name == NAME


# §8 injection ---------------------------------------------------------------------------

INJECTIONS = [
    "brb\r\n\r\nAction: UserEvent\r\nUserEvent: Injected",
    "brb\n\nAction: UserEvent\nUserEvent: Injected",
    "brb\rAction: UserEvent",
    "brb\x00",
]


async def test_panoramisk_sends_an_injected_action(fake: FakeAmi, raw_panoramisk: Any) -> None:
    manager = await raw_panoramisk()
    manager.send_action(
        {
            "Action": "QueuePause",
            "Interface": "Local/2001@agents-local/n",
            "Paused": "true",
            "Reason": INJECTIONS[1],
        }
    )
    assert await eventually(lambda: bool(fake.named("UserEvent")))
    assert fake.named("UserEvent")[0].headers["UserEvent"] == "Injected"


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_adapter_refuses_control_characters_before_sending(
    fake: FakeAmi, client: ClientFactory, payload: str
) -> None:
    ami = await client()
    before = len(fake.actions)
    with pytest.raises(UnsafeValueError, match="Reason"):
        await ami.action(
            "QueuePause",
            {"Interface": "Local/2001@agents-local/n", "Paused": "true", "Reason": payload},
        )
    with pytest.raises(UnsafeValueError):
        await ami.action("Originate", {"Channel": "PJSIP/2001", "Variable": ["A=1", payload]})
    with pytest.raises(UnsafeValueError):
        await ami.action("QueuePause", {payload: "x"})
    await asyncio.sleep(0.1)
    assert [a for a in fake.actions[before:] if a.name != "ping"] == []


async def test_values_stored_unescaped_by_asterisk_are_whitelisted() -> None:
    """asterisk.md §1: persistentmembers turns `|` and `;` in a reason into new members."""
    with pytest.raises(UnsafeValueError):
        QueuePause(
            "Local/2001@agents-local/n",
            True,
            reason="lunch|Local/6666@agents-local/n;0;0;Injected;PJSIP/6666;;0",
        ).headers()
    with pytest.raises(UnsafeValueError):
        QueueAdd("12333", "Local/2001@agents-local/n", "10;01", "PJSIP/2001").headers()


# §7.4, §7.8: nothing replayed behind our back -----------------------------------------


async def test_panoramisk_replays_a_pending_action_after_reconnect(
    fake: FakeAmi, raw_panoramisk: Any
) -> None:
    fake.fully_booted_on_login = True
    fake.silent_actions.add("queueremove")
    manager = await raw_panoramisk()
    manager.send_action({"Action": "QueueRemove", "Queue": "12333", "Interface": "Local/x/n"})
    assert await eventually(lambda: len(fake.named("QueueRemove")) == 1)
    fake.drop()
    assert await eventually(lambda: len(fake.named("QueueRemove")) == 2, timeout=4)


async def test_adapter_fails_in_flight_actions_and_replays_nothing(
    fake: FakeAmi, client: ClientFactory
) -> None:
    fake.fully_booted_on_login = True
    fake.silent_actions.add("queueremove")
    ready_calls: list[int] = []
    ami = await client(action_timeout=5, on_ready=lambda: ready_calls.append(1))
    pending = asyncio.ensure_future(ami.send(QueueRemove("12333", "Local/x/n")))
    assert await eventually(lambda: len(fake.named("QueueRemove")) == 1)
    fake.drop()
    with pytest.raises(AmiConnectionLost):
        await pending
    assert await eventually(lambda: ami.is_ready and fake.logins == 2)
    await asyncio.sleep(0.5)
    assert len(fake.named("QueueRemove")) == 1
    assert ami.reconnects == 1 and ready_calls == [1, 1]


# §7.6 ------------------------------------------------------------------------------------


async def test_panoramisk_keeps_a_timed_out_action_forever(
    fake: FakeAmi, raw_panoramisk: Any
) -> None:
    fake.silent_actions.add("queuepause")
    manager = await raw_panoramisk()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(
            manager.send_action({"Action": "QueuePause", "Interface": "x", "Paused": "true"}), 0.2
        )
    assert len(manager.protocol.responses) == 1


async def test_adapter_reports_outcome_unknown_cleans_up_and_never_resends(
    fake: FakeAmi, client: ClientFactory
) -> None:
    fake.silent_actions.add("queuepause")
    ami = await client()
    with pytest.raises(AmiOutcomeUnknown) as caught:
        await ami.send(QueuePause("Local/2001@agents-local/n", True, reason="manual"), timeout=0.2)
    assert caught.value.code == "ami.outcome_unknown"
    assert ami._manager is not None
    assert all(a["action"] != "QueuePause" for a in ami._manager.protocol.responses.values())
    await asyncio.sleep(0.5)
    assert len(fake.named("QueuePause")) == 1


# §7.5, §7.9: a frozen Asterisk ------------------------------------------------------------


async def test_panoramisk_never_notices_a_frozen_asterisk(
    fake: FakeAmi, raw_panoramisk: Any
) -> None:
    manager = await raw_panoramisk(ping_delay=0.2, ping_interval=0.2)
    manager.ping_delay = manager.ping_interval = 0.2  # its int() would make these 0
    fake.freeze()
    await asyncio.sleep(1.5)
    assert manager._connected and len(fake.named("Ping")) >= 2


async def test_adapter_detects_a_frozen_asterisk_and_recovers(
    fake: FakeAmi, client: ClientFactory
) -> None:
    ready_calls: list[float] = []
    ami = await client(on_ready=lambda: ready_calls.append(1))
    fake.freeze()
    loop = asyncio.get_running_loop()
    frozen_at = loop.time()
    assert await eventually(lambda: not ami.is_ready, timeout=3)
    detected_in = loop.time() - frozen_at
    assert detected_in < ami.keepalive_interval + ami.keepalive_timeout + 0.5
    fake.thaw()
    assert await eventually(lambda: ami.is_ready, timeout=5)
    assert len(ready_calls) == 2 and ami.reconnects == 1


async def test_an_asterisk_at_its_limit_is_slow_to_ping_but_kept(
    fake: FakeAmi, client: ClientFactory
) -> None:
    """Past the knee Asterisk answers a Ping late while its events keep coming: the
    session stays (a reconnect and resync would only add to its load); once the events
    stop too, it is dropped as a frozen one is."""
    ami = await client()
    fake.silent_actions.add("ping")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while len(fake.named("Ping")) < 4:  # three went unanswered past their timeout
        assert loop.time() < deadline, "the keepalive stopped pinging"
        await fake.send_event(Event="PeerStatus", Peer="PJSIP/2001", PeerStatus="Reachable")
        await asyncio.sleep(0.05)
    assert ami.is_ready and ami.reconnects == 0 and fake.connections == 1
    assert await eventually(lambda: not ami.is_ready, timeout=2)


# §7.4: a wrong secret --------------------------------------------------------------------


async def test_panoramisk_retries_a_wrong_secret_silently(
    fake: FakeAmi, raw_panoramisk: Any
) -> None:
    await raw_panoramisk(secret="wrong-secret-00000000")
    assert await eventually(lambda: fake.logins >= 2, timeout=4)


async def test_adapter_says_a_wrong_secret_is_wrong_and_stops(
    fake: FakeAmi, client: ClientFactory
) -> None:
    with pytest.raises(AmiAuthError, match="refused user 'hotline'") as caught:
        await client(secret="wrong-secret-00000000")
    assert caught.value.code == "ami.auth_failed"
    await asyncio.sleep(0.5)
    assert fake.logins == 1


async def test_adapter_stops_reconnecting_when_the_secret_becomes_wrong(
    fake: FakeAmi, client: ClientFactory
) -> None:
    ami = await client()
    fake.secret = "rotated-secret-000000"
    fake.drop()
    assert await eventually(lambda: ami.state is ConnectionState.AUTH_FAILED, timeout=3)
    await asyncio.sleep(1.0)
    assert fake.logins == 2


# logs ----------------------------------------------------------------------------------


async def test_connection_life_is_logged_without_the_secret(
    fake: FakeAmi, client: ClientFactory
) -> None:
    with structlog.testing.capture_logs() as logs:
        ami = await client()
        with pytest.raises(UnsafeValueError):
            await ami.action("UserEvent", {"UserEvent": "x\r\nAction: Logoff"})
        fake.drop()
        assert await eventually(lambda: ami.reconnects == 1)
        fake.secret = "rotated-secret-000000"
        fake.drop()
        assert await eventually(lambda: ami.state is ConnectionState.AUTH_FAILED)
    events = [entry["event"] for entry in logs]
    for expected in (
        "ami logged in",
        "ami value refused",
        "ami connection lost",
        "ami reconnected",
        "ami login refused; not retrying",
    ):
        assert expected in events
    assert all(entry.get("ami_user") == "hotline" for entry in logs if "ami" in entry)
    assert "right-secret" not in repr(logs)


async def test_a_login_refused_while_asterisk_shuts_down_is_retried(
    fake: FakeAmi, client: ClientFactory
) -> None:
    """Seen on a real `core restart now`: the old process answers Login with an error that
    is not about the secret; the adapter tries again instead of giving up."""
    ami = await client()
    refusals = {"left": 2}

    def login(action: dict[str, str]) -> list[dict[str, str]]:
        fake.logins += 1
        if refusals["left"]:
            refusals["left"] -= 1
            return [{"Response": "Error", "Message": "Asterisk is shutting down"}]
        return [{"Response": "Success", "Message": "Authentication accepted"}]

    fake.replies["login"] = login
    fake.drop()
    assert await eventually(lambda: ami.is_ready and ami.reconnects == 1, timeout=5)
    assert fake.logins == 4 and refusals["left"] == 0


# a list action Asterisk refuses -----------------------------------------------------------


def _permission_denied(_action: dict[str, str]) -> list[dict[str, str]]:
    # what Asterisk answers a user without the action's privilege: no list follows
    return [{"Response": "Error", "Message": "Permission denied"}]


async def test_panoramisk_waits_forever_for_the_items_of_a_refused_list(
    fake: FakeAmi, raw_panoramisk: Any
) -> None:
    fake.replies["coreshowchannels"] = _permission_denied
    manager = await raw_panoramisk()
    future = manager.send_action({"Action": "CoreShowChannels"}, as_list=True)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.shield(future), 0.3)


async def test_adapter_fails_a_refused_list_at_once(fake: FakeAmi, client: ClientFactory) -> None:
    fake.replies["coreshowchannels"] = _permission_denied
    ami = await client(action_timeout=30.0)
    started = asyncio.get_running_loop().time()
    with pytest.raises(AmiActionFailed) as caught:
        await ami.send(CoreShowChannels())
    # at once, not after the action timeout (an outcome-unknown would be the wrong error)
    assert asyncio.get_running_loop().time() - started < 5.0
    assert "Permission denied" in caught.value.message
    assert ami._manager is not None and ami._manager.protocol.responses == {}
    assert (await ami.send(Ping())).response == "Success"  # the connection goes on
