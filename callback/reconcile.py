"""Attempts whose events the dispatcher may have missed, checked against Asterisk.

Two questions, asked after a crash (a claim taken up again when its lease ran out) or a
reconnect (events lost meanwhile): is the attempt's channel still alive (AMI ``Status``,
by the ChannelId the Originate gave it), and if not, what did Asterisk record about it
(its CEL rows, ``linkedid`` = the attempt id)? A live channel is adopted: followed as if
this dispatcher had sent it. A finished one ends by what CEL says: its result
(``attempts.recorded_result``: whom it reached, and the citizen dial's status) and which
agent took it (``attempts.taken_by``), so an attempt the citizen answered while no
service listened still ends answered *with its agent*, who can then record the outcome,
and one the agent never confirmed is not counted against the citizen. The decisions
are the pure functions of ``callback.attempts``; here only the asking and the writing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from ami import AmiClient, AmiError
from ami.actions import ChannelStatus, Getvar
from ami.events import ChannelStatusItem
from callback import repo
from callback.attempts import (
    Attempt,
    DispatchFigures,
    reached,
    recorded_result,
    taken_by,
    unfinished_result,
)
from callback.model import AgentAnswered, AttemptResult, Event
from calls.cel import CelRow
from core import names
from core.logging import get_logger

log = get_logger("callback")

CelRows = Callable[[Any, str], Awaitable[list[CelRow]]]
Settle = Callable[[Attempt, AttemptResult], Awaitable[None]]
Apply = Callable[[Attempt, Event], Awaitable[None]]
ResultOf = Callable[[str, str], AttemptResult]


class Reconciler:
    """The dispatcher's checks against Asterisk; it shares the dispatcher's followed
    attempts and figures, and writes through the dispatcher's ``settle`` and ``apply``."""

    def __init__(
        self,
        ami: AmiClient,
        pool: Any,
        cel_rows: CelRows,
        result_of: ResultOf,
        attempts: MutableMapping[str, Attempt],
        *,
        figures: DispatchFigures,
        settle: Settle,
        apply: Apply,
    ) -> None:
        self.ami = ami
        self.pool = pool
        self.cel_rows = cel_rows
        self.result_of = result_of  # a dial's DIALSTATUS and cause -> AttemptResult
        self.attempts = attempts  # the dispatcher's, by channel id
        self.figures = figures
        self.settle = settle
        self.apply = apply

    async def crashed_claim(self, claim: repo.Claim, bound: Any) -> bool:
        """A claim whose previous attempt a crashed dispatcher may have sent: True when
        that attempt settles the claim (adopted, or ended), so nothing is dialled."""
        callback, old = claim.callback, claim.previous_attempt_id
        assert old is not None and callback.attempt_id is not None
        bound = bound.bind(previous_attempt=old)
        try:
            live = await self.live_channels()
        except AmiError as exc:
            bound.warning("cannot ask Asterisk about a crashed claim; not dialling", error=exc.code)
            return True  # the lease runs out and the next claim asks again
        followed = self.attempts.get(old)
        if old in live:
            attempt = followed or Attempt(callback, old, callback.attempt_id, bound, adopted=True)
            attempt.callback, attempt.claim_id, attempt.channel = (
                callback,
                callback.attempt_id,
                live[old],
            )
            self.attempts[old] = attempt
            self.figures.adopted += 1
            bound.info("callback attempt still alive: adopted, not dialled")
            await self.adopt_agent(attempt)
            return True
        rows = await self.cel_rows(self.pool, old)
        if followed is not None:
            followed.settled = True  # its channel is gone: the claim's result below is its end
            self.attempts.pop(old, None)
        if recorded_result(rows, self.result_of) is None:
            bound.info("crashed claim never rang: dialling")
            return False
        attempt = Attempt(callback, old, callback.attempt_id, bound, adopted=True)
        await self._end_as_recorded(attempt, rows)
        return True

    async def adopt_agent(self, attempt: Attempt) -> None:
        """The new claim forgot who took the attempt (``Claimed`` clears the agent): the
        attempt's channel still knows it."""
        if attempt.agent is None:
            try:
                reply = await self.ami.send(
                    Getvar(names.CALLBACK_AGENT_VAR, channel=attempt.channel_id)
                )
            except AmiError as exc:
                attempt.log.info("adopted attempt's agent not known", error=exc.code)
                return
            agent = reply.headers.get("Value", "")
            attempt.agent = agent if agent.isdigit() else None
        if attempt.agent is not None:
            await self.apply(attempt, AgentAnswered(attempt.agent))

    async def live_channels(self) -> dict[str, str]:
        """Every live channel's name by its Uniqueid. ``Status``, not
        ``CoreShowChannels``: the service's AMI user may not send that one."""
        reply = await self.ami.send(ChannelStatus())
        return {e.uniqueid: e.channel for e in reply.events if isinstance(e, ChannelStatusItem)}

    async def verify(self, attempts: Iterable[Attempt]) -> None:
        """Events may have been missed: a followed attempt whose channel is gone ends by
        what CEL says about it."""
        try:
            live = await self.live_channels()
        except AmiError as exc:
            log.warning("callback attempts not checked", error=exc.code)
            return
        for attempt in attempts:
            attempt.adopted = True  # its steps may have been missed
            if attempt.channel_id in live:
                attempt.channel = attempt.channel or live[attempt.channel_id]
            elif not attempt.settled:
                await self.end_from_cel(attempt)

    async def end_without_result(self, attempt: Attempt) -> None:
        """An attempt whose channel ended with no result step heard: one whose steps may
        have been missed (adopted) ends as CEL recorded it, any other by the steps heard."""
        if attempt.adopted:
            await self.end_from_cel(attempt)
            return
        result = unfinished_result(
            agent_answered=attempt.agent is not None, confirmed=attempt.confirmed
        )
        await self.settle(attempt, result)

    async def end_from_cel(self, attempt: Attempt) -> None:
        """An attempt whose channel is gone and whose steps may have been missed."""
        await self._end_as_recorded(attempt, await self.cel_rows(self.pool, attempt.channel_id))

    async def _end_as_recorded(self, attempt: Attempt, rows: list[CelRow]) -> None:
        agent = taken_by(rows)
        if attempt.agent is None and agent is not None:
            attempt.agent = agent
            attempt.log = attempt.log.bind(agent=agent)
            await self.apply(attempt, AgentAnswered(agent))  # who may record the outcome
        attempt.log.info("callback attempt ended as Asterisk recorded", reached=reached(rows).value)
        result = recorded_result(rows, self.result_of) or AttemptResult.NO_AGENT
        await self.settle(attempt, result)
