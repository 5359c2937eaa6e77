"""``*11`` at a desk phone: sign in with job number and PIN over FastAGI.

The dialplan runs ``AGI(agi://<agi_host>:<agi_port>/sign-in,${CHANNEL(endpoint)})``;
here ``GET DATA`` plays the prompts and collects the keys, which travel only over that
private TCP connection — never a channel variable (no ``VarSet``), never a
``UserEvent``, never a log line. The answer is a ``FeatureResult`` word (not a secret)
set on the channel; the dialplan plays its prompt.

Identity is the calling endpoint (never the spoofable caller ID), cross-checked
against the channel's name, as for the other feature codes. Any desk phone will do
(hot desking, ``agent_state.seats``): the agent's member rings the phone it signed in
at, for the session; a phone another agent holds is refused (``phone_taken``).
"""

from __future__ import annotations

import re

from agent_state.model import Agent, IllegalTransition, Source, State
from agent_state.pins import InvalidPin
from agent_state.seats import NotHomePhone, PhoneTaken, UnknownPhone
from agent_state.service import AgentService, NotAllowed
from agent_state.sign_in import LockedOut, SignInOverloaded, WrongCredentials
from ami.agi import AgiCall, AgiError, AgiHangup
from core import names
from core.errors import HotlineError
from core.logging import get_logger
from core.names import FeatureResult
from dialplan.model import DEFAULT_LANGUAGE
from ivr.prompts import ENTER_JOB_NUMBER, ENTER_PIN, asterisk_path

log = get_logger("agent_state")

KEY_TIMEOUT_MS = 10_000
JOB_NUMBER_MAX = 20
_DIGITS = re.compile(r"[0-9]{1,20}")


class PhoneSignIn:
    def __init__(self, service: AgentService, prompts_dir: str) -> None:
        self.service = service
        self.prompts_dir = prompts_dir.rstrip("/")

    async def answer(self, call: AgiCall) -> None:
        endpoint = call.arg(1)
        result = await self._result(call, endpoint)
        log.info("desk phone sign-in", endpoint=endpoint, result=result.value)
        await call.set_variable(names.RESULT_VAR, result.value)

    async def _result(  # noqa: PLR0911 - one answer per outcome
        self, call: AgiCall, endpoint: str
    ) -> FeatureResult:
        desk = _DIGITS.fullmatch(endpoint) and self.service.may_sit_at(endpoint)
        if not desk or not call.channel.startswith(f"PJSIP/{endpoint}-"):
            return FeatureResult.NOT_ALLOWED
        job_number = await self._keys(call, ENTER_JOB_NUMBER, JOB_NUMBER_MAX)
        pin = await self._keys(call, ENTER_PIN, 12)
        try:
            agent = await self.service.sign_in(
                job_number, pin, source=Source.PHONE, extension=endpoint
            )
        except (WrongCredentials, InvalidPin):
            return FeatureResult.WRONG_PIN
        except LockedOut:
            return FeatureResult.LOCKED_OUT
        except SignInOverloaded:
            return FeatureResult.TRY_LATER
        except PhoneTaken:
            return FeatureResult.PHONE_TAKEN
        except (IllegalTransition, NotAllowed, NotHomePhone, UnknownPhone):
            return FeatureResult.NOT_ALLOWED
        except (AgiHangup, AgiError):
            raise
        except HotlineError:
            return FeatureResult.UNAVAILABLE
        return _signed_in(agent)

    async def _keys(self, call: AgiCall, prompt: str, max_digits: int) -> str:
        keys = await call.get_data(
            asterisk_path(self.prompts_dir, DEFAULT_LANGUAGE, prompt),
            timeout_ms=KEY_TIMEOUT_MS,
            max_digits=max_digits,
        )
        return "".join(c for c in keys if c.isdigit())


def _signed_in(agent: Agent) -> FeatureResult:
    return FeatureResult.SIGNED_IN if agent.state is State.IDLE else FeatureResult.SIGNED_IN_BUSY
