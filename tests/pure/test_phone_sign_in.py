"""What a desk phone hears after ``*11``, table-driven over the service's answers, and
that the keys it collected go to the service and nowhere else."""

from __future__ import annotations

from typing import Any

import pytest

from agent_state.member import Member
from agent_state.model import Agent, IllegalTransition, Source, State
from agent_state.phone_sign_in import PhoneSignIn
from agent_state.pins import InvalidPin
from agent_state.seats import NotHomePhone, PhoneTaken
from agent_state.service import NotAllowed
from agent_state.sign_in import LockedOut, SignInOverloaded, WrongCredentials
from ami.errors import AmiNotConnected
from core.actor import Role
from core.names import RESULT_VAR, FeatureResult

MEMBER = Member("1001", "坐席", "2001", Role.AGENT, "x", (("12333", 0),))


class FakeCall:
    def __init__(self, channel: str, endpoint: str, keys: list[str]) -> None:
        self.channel = channel
        self._endpoint = endpoint
        self.keys = keys
        self.prompts: list[str] = []
        self.variables: dict[str, str] = {}

    def arg(self, n: int) -> str:
        return self._endpoint if n == 1 else ""

    async def get_data(self, prompt: str, *, timeout_ms: int, max_digits: int) -> str:
        self.prompts.append(prompt.rsplit("/", 1)[-1])
        return self.keys.pop(0)

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value


class FakeService:
    def __init__(self, outcome: Agent | Exception) -> None:
        self.outcome = outcome
        self.asked: list[tuple[Any, ...]] = []

    def may_sit_at(self, extension: str) -> bool:
        return extension == MEMBER.extension  # the one desk phone here

    async def sign_in(self, job: str, pin: str, *, source: Source, extension: str) -> Agent:
        self.asked.append((job, pin, source, extension))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@pytest.mark.parametrize(
    ("outcome", "heard"),
    [
        (Agent("1001", State.IDLE), FeatureResult.SIGNED_IN),
        (Agent("1001", State.BUSY), FeatureResult.SIGNED_IN_BUSY),
        (WrongCredentials("no"), FeatureResult.WRONG_PIN),
        (InvalidPin("no"), FeatureResult.WRONG_PIN),
        (LockedOut("no", until="x"), FeatureResult.LOCKED_OUT),
        (SignInOverloaded("no"), FeatureResult.TRY_LATER),
        (PhoneTaken("no"), FeatureResult.PHONE_TAKEN),  # hot desking: another agent's there
        (NotHomePhone("no"), FeatureResult.NOT_ALLOWED),  # hot desking off
        (NotAllowed("no"), FeatureResult.NOT_ALLOWED),
        (IllegalTransition("no"), FeatureResult.NOT_ALLOWED),
        (AmiNotConnected("no"), FeatureResult.UNAVAILABLE),
    ],
)
async def test_the_phone_hears_the_services_answer(
    outcome: Agent | Exception, heard: FeatureResult
) -> None:
    service = FakeService(outcome)
    call = FakeCall("PJSIP/2001-0000002a", "2001", ["1001", "7319"])
    await PhoneSignIn(service, "/p/").answer(call)  # type: ignore[arg-type]
    assert call.variables == {RESULT_VAR: heard.value}
    assert call.prompts == ["agent-enter-job-number", "agent-enter-pin"]
    assert service.asked == [("1001", "7319", Source.PHONE, "2001")]


@pytest.mark.parametrize(
    ("channel", "endpoint"),
    [
        ("PJSIP/2009-00000001", "2009"),  # not a desk phone (seats.Desks.may_sit_at)
        ("PJSIP/2009-00000001", "2001"),  # claims another phone's endpoint
        ("PJSIP/pstn-trunk-00000001", "pstn-trunk"),
        ("PJSIP/2001-00000001", ""),
    ],
)
async def test_a_phone_that_is_not_the_agents_is_refused_before_any_key(
    channel: str, endpoint: str
) -> None:
    service = FakeService(Agent("1001", State.IDLE))
    call = FakeCall(channel, endpoint, ["1001", "7319"])
    await PhoneSignIn(service, "/p").answer(call)  # type: ignore[arg-type]
    assert call.variables == {RESULT_VAR: FeatureResult.NOT_ALLOWED.value}
    assert call.prompts == [] and service.asked == []
