"""Desk-phone feature codes (*12 sign out, *21 idle, *22 busy), answered.

Signing in (*11) needs the PIN, which never crosses the AMI bus: it goes over FastAGI
(``agent_state.phone_sign_in``). For the others, the dialplan raises an
``AgentFeature`` user event naming the code and the calling endpoint; the answer is a
``FeatureResult`` word set on the channel, and the phone plays the matching prompt.
Identity is the endpoint (never the spoofable caller ID), checked against the
channel's name.
"""

from __future__ import annotations

import contextlib

from agent_state import requests
from agent_state.model import Agent, IllegalTransition, Source
from agent_state.service import AgentService, NotAllowed
from ami import AmiClient, AmiError
from ami.actions import Setvar
from ami.events import UserEvent
from core import names
from core.actor import Actor
from core.errors import Forbidden, HotlineError, NotFound
from core.logging import get_logger
from core.names import FeatureResult

log = get_logger("agent_state")

# the code word of the AgentFeature event -> the request word (agent_state.requests)
REQUEST_OF_CODE = {
    names.CODE_LOGOUT: requests.Asked.SIGN_OUT,
    names.CODE_IDLE: requests.Asked.IDLE,
    names.CODE_BUSY: requests.Asked.BUSY,
}


class FeatureCodes:
    def __init__(self, ami: AmiClient, service: AgentService) -> None:
        self.ami = ami
        self.service = service

    async def answer(self, event: UserEvent) -> None:
        endpoint = event.get("Endpoint")
        code = event.get("Code")
        result = await self._result(code, endpoint, event)
        log.info("desk phone feature code", endpoint=endpoint, code=code, result=result.value)
        with contextlib.suppress(AmiError):
            await self.ami.send(Setvar(names.RESULT_VAR, result.value, channel=event.channel))

    async def _result(self, code: str, endpoint: str, event: UserEvent) -> FeatureResult:
        member = self.service.by_extension(endpoint)
        if member is None or not event.channel.startswith(f"PJSIP/{endpoint}-"):
            return FeatureResult.NOT_ALLOWED
        try:
            asked = REQUEST_OF_CODE.get(code)
            if asked is None:
                return FeatureResult.NOT_ALLOWED
            actor = Actor(member.job_number, member.role)
            request = requests.parse(asked.value, source=Source.PHONE)
            agent = await self.service.request(actor, member.job_number, request)
        except (IllegalTransition, NotAllowed, NotFound, Forbidden):
            return FeatureResult.NOT_ALLOWED
        except HotlineError:
            return FeatureResult.UNAVAILABLE
        return _after(asked, agent)


def _after(asked: requests.Asked, agent: Agent) -> FeatureResult:
    if asked is requests.Asked.SIGN_OUT:
        pending = agent.sign_out_pending
        return FeatureResult.SIGN_OUT_PENDING if pending else FeatureResult.SIGNED_OUT
    return FeatureResult.IDLE if asked is requests.Asked.IDLE else FeatureResult.BUSY
