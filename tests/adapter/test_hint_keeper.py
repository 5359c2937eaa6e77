"""The lamp hints' keeper against a fake AMI that keeps a small dialplan of hints: the
hints follow the sessions' desk phones, are written only through the publishing user's
session (never the service's), and come back after a reload wiped them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

import pytest

from agent_state.hint_keeper import HintKeeper
from agent_state.hints import Seat
from agent_state.model import Agent, State
from agent_state.service import Change
from ami import AmiClient
from ami.client import session
from core import names
from core.errors import ConfigError
from tests.adapter.conftest import ClientFactory
from tests.adapter.fake_ami import FakeAmi, Received, Reply

_ADD = re.compile(r"^dialplan add extension ([^,]+),hint,(\S+) into (\S+) replace$")
QUEUE = "12333"
RENDERED = {"agent1001": "Custom:agent1001", "agent1002": "Custom:agent1002"}


class Hints:
    """Asterisk's hints as the fake has them; a reload puts back the rendered ones."""

    def __init__(self, fake: FakeAmi) -> None:
        self.fake = fake
        self.hints = dict(RENDERED)
        fake.replies["extensionstate"] = self.state
        fake.replies["extensionstatelist"] = self.listing
        fake.replies["command"] = self.command

    def reload(self) -> None:
        self.hints = dict(RENDERED)

    def state(self, action: dict[str, str]) -> Reply:
        hint = self.hints.get(action["Exten"], "") if action["Context"] == names.AGENTS else ""
        return [{"Response": "Success", "Exten": action["Exten"], "Hint": hint}]

    def listing(self, _action: dict[str, str]) -> Reply:
        items = [
            {"Event": "ExtensionStatus", "Exten": e, "Context": names.AGENTS, "Hint": h}
            for e, h in self.hints.items()
        ]
        return [
            {"Response": "Success", "EventList": "start", "Message": "Statuses will follow"},
            *items,
            {"Event": "ExtensionStateListComplete", "EventList": "Complete"},
        ]

    def command(self, action: dict[str, str]) -> Reply:
        match = _ADD.match(action["Command"])
        if match is None or match.group(3) != names.AGENTS:
            return [{"Response": "Success", "Output": "No such command"}]
        exten, devices, _context = match.groups()
        self.hints[exten] = devices
        said = f"Extension '{exten},hint,{devices}()' added into '{names.AGENTS}' context"
        return [{"Response": "Success", "Message": "Command output follows", "Output": said}]


def writes(fake: FakeAmi) -> list[Received]:
    return fake.named("command")


def change(job: str, before: str | None, after: str | None) -> Change:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    state = {None: State.LOGGED_OUT}
    return Change(
        Agent(job, state.get(before, State.IDLE), phone=before),
        Agent(job, state.get(after, State.IDLE), phone=after),
        "SignIn",
        "web",
        now,
    )


async def keeper(
    fake: FakeAmi, client: ClientFactory, desk_phones: Callable[[], dict[str, str]]
) -> HintKeeper:
    ami = await client()
    publisher = "hotline-publish"

    def opener() -> AbstractAsyncContextManager[AmiClient]:
        return session("127.0.0.1", fake.port, publisher, fake.secret)

    def seats() -> dict[str, Seat]:  # every member in queue 12333: its pause in the hint
        return {job: Seat(phone, QUEUE) for job, phone in desk_phones().items()}

    return HintKeeper(ami, opener, seats, check_every_s=0.05)


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not in time"
        await asyncio.sleep(0.01)


async def test_the_first_round_puts_each_signed_in_agents_phone_into_its_hint(
    fake: FakeAmi, client: ClientFactory
) -> None:
    hints = Hints(fake)
    hints.hints["agent1002"] = "Custom:agent1002&PJSIP/2009"  # signed out while away
    keep = await keeper(fake, client, lambda: {"1001": "2003"})
    await keep.keep()
    assert hints.hints["agent1001"] == names.lamp_hint("1001", "2003", QUEUE)
    assert hints.hints["agent1002"] == "Custom:agent1002"
    assert names.LAMP_HINTS_MARK in hints.hints
    # written as the publishing user, in a session of its own; read as the service
    logins = [a.headers.get("Username") for a in fake.named("login")]
    assert logins == ["hotline", "hotline-publish"]
    by_connection = {a.connection for a in writes(fake)}
    list_on = {a.connection for a in fake.named("extensionstatelist")}
    assert len(by_connection) == 1 and by_connection != list_on
    await keep.keep()  # nothing changed: the mark is there, nothing is written
    assert len(writes(fake)) == 3


async def test_a_session_that_starts_moves_or_ends_moves_the_hint(
    fake: FakeAmi, client: ClientFactory
) -> None:
    hints = Hints(fake)
    phones: dict[str, str] = {}
    keep = await keeper(fake, client, lambda: dict(phones))
    keep.start()
    try:
        await until(lambda: names.LAMP_HINTS_MARK in hints.hints)
        phones["1001"] = "2001"
        keep.changed(change("1001", None, "2001"))
        await until(lambda: hints.hints["agent1001"] == names.lamp_hint("1001", "2001", QUEUE))
        phones["1001"] = "2004"  # hot desking: signed out, signed in at another phone
        keep.changed(change("1001", "2001", "2004"))
        await until(lambda: hints.hints["agent1001"] == names.lamp_hint("1001", "2004", QUEUE))
        del phones["1001"]
        keep.changed(change("1001", "2004", None))
        await until(lambda: hints.hints["agent1001"] == "Custom:agent1001")
        written = len(writes(fake))
        keep.changed(change("1001", None, None))  # no session began, ended or moved
        checks = keep.checks
        await until(lambda: keep.checks >= checks + 2)  # two rounds since: nothing to write
        assert len(writes(fake)) == written
    finally:
        await keep.stop()


async def test_a_reload_that_wiped_the_hints_is_seen_and_put_right(
    fake: FakeAmi, client: ClientFactory
) -> None:
    hints = Hints(fake)
    keep = await keeper(fake, client, lambda: {"1001": "2001", "1002": "2002"})
    keep.start()
    try:
        await until(lambda: hints.hints.get("agent1002") == names.lamp_hint("1002", "2002", QUEUE))
        hints.reload()  # e.g. a published dial plan, or an admin's `dialplan reload`
        assert names.LAMP_HINTS_MARK not in hints.hints
        await until(
            lambda: (
                hints.hints.get("agent1001") == names.lamp_hint("1001", "2001", QUEUE)
                and hints.hints.get("agent1002") == names.lamp_hint("1002", "2002", QUEUE)
                and names.LAMP_HINTS_MARK in hints.hints
            )
        )
    finally:
        await keep.stop()


async def test_a_failed_write_is_tried_again(fake: FakeAmi, client: ClientFactory) -> None:
    hints = Hints(fake)
    phones = {"1001": "2001"}
    keep = await keeper(fake, client, lambda: dict(phones))
    await keep.keep()
    fake.replies["command"] = lambda _a: [{"Response": "Error", "Message": "Permission denied"}]
    phones["1002"] = "2002"
    keep.changed(change("1002", None, "2002"))
    keep.start()
    try:
        await until(lambda: len(writes(fake)) >= 5)  # tried, and tried again
        assert hints.hints["agent1002"] == "Custom:agent1002"
        fake.replies["command"] = hints.command
        await until(lambda: hints.hints["agent1002"] == names.lamp_hint("1002", "2002", QUEUE))
    finally:
        await keep.stop()


async def test_a_check_period_of_zero_is_refused(fake: FakeAmi, client: ClientFactory) -> None:
    with pytest.raises(ConfigError, match="lamp_hints_check_s"):
        HintKeeper(await client(), lambda: session("", 0, "", ""), dict, check_every_s=0)


async def test_a_phone_that_is_not_digits_is_left_out_and_holds_no_one_back(
    fake: FakeAmi, client: ClientFactory
) -> None:
    hints = Hints(fake)
    keep = await keeper(fake, client, lambda: {"1001": "2001", "1002": "2002\r\nAction: X"})
    await keep.keep()
    assert hints.hints["agent1001"] == names.lamp_hint("1001", "2001", QUEUE)
    assert hints.hints["agent1002"] == "Custom:agent1002"  # as rendered: nothing sent
    assert not any("Action" in a.headers.get("Command", "") for a in writes(fake))


async def test_a_session_change_in_the_same_step_as_the_stop_does_not_keep_it_running(
    fake: FakeAmi, client: ClientFactory
) -> None:
    """The service's stop signs agents out (a change wakes the keeper) and stops the
    keeper in one step. On Python 3.11 ``asyncio.wait_for`` returns the woken wait's
    result and drops that cancellation (fixed in 3.12): the keeper went round again and
    the service's stop waited for it for ever."""
    Hints(fake)
    keep = await keeper(fake, client, dict)
    keep.check_every_s = 60  # the next check far away: the keeper waits for a change
    keep.start()
    await until(lambda: bool(keep._wake._waiters))
    keep.changed(change("1001", None, "2001"))
    stopping = asyncio.ensure_future(keep.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)
    if stopping not in done:  # the keeper swallowed the cancel: once more, to clean up
        keep._task.cancel()  # type: ignore[union-attr]
        await stopping
    assert stopping in done, "the keeper went on after its stop"
