"""Requests from the edges (the web API, desk-phone feature codes) as model events,
and who may make them: parsed once, decided once. Pure.

Every edge turns what a person asked for into a model ``Event`` here, and the service
asks ``refusal`` before it steps the agent: an agent acts on itself; a supervisor may
also force any agent busy or sign it out. ``ForceBusy`` with any reason but
``supervisor`` is the service's own (reconciling) and is never a request.
"""

from __future__ import annotations

import enum

from agent_state.model import (
    BusyReason,
    Event,
    ForceBusy,
    GoBusy,
    GoIdle,
    SignIn,
    SignOut,
    Source,
)
from core.actor import Actor
from core.errors import InvalidInput


class Asked(enum.Enum):
    """What a person may ask for, by the word the API and the phone use."""

    SIGN_IN = "sign_in"
    IDLE = "idle"
    BUSY = "busy"
    SIGN_OUT = "sign_out"
    FORCE_BUSY = "force_busy"


# the busy reasons an agent may give for its own 置忙
AGENT_BUSY_REASONS = {BusyReason.MANUAL.value: BusyReason.MANUAL, "break": BusyReason.BREAK}


def parse(word: str, *, source: Source, reason: str | None = None) -> Event:
    """The model event for a request word (``idle``, ``busy`` …), or ``InvalidInput``."""
    try:
        asked = Asked(word)
    except ValueError:
        words = ", ".join(a.value for a in Asked)
        raise InvalidInput(f"unknown request {word!r}: one of {words}") from None
    if reason is not None and asked is not Asked.BUSY:
        raise InvalidInput("only a busy request takes a reason")
    if asked is Asked.SIGN_IN:
        return SignIn(source=source)
    if asked is Asked.IDLE:
        return GoIdle(source=source)
    if asked is Asked.SIGN_OUT:
        return SignOut(source=source)
    if asked is Asked.FORCE_BUSY:
        return ForceBusy(source=source, reason=BusyReason.SUPERVISOR)
    if reason is None:
        return GoBusy(source=source)
    if reason not in AGENT_BUSY_REASONS:
        raise InvalidInput("an agent may ask for busy with reason manual or break")
    return GoBusy(source=source, reason=AGENT_BUSY_REASONS[reason])


def refusal(actor: Actor, job_number: str, event: Event) -> str | None:
    """Why ``actor`` may not ask for ``event`` on agent ``job_number``; ``None`` if it may."""
    if isinstance(event, ForceBusy):
        if event.reason is not BusyReason.SUPERVISOR:
            return "only the service itself reconciles an agent"
        return None if actor.is_supervisor else "only a supervisor forces an agent busy"
    if not isinstance(event, SignIn | SignOut | GoIdle | GoBusy):
        return f"{type(event).__name__} is not a request"
    own = job_number == actor.job_number
    if own or (actor.is_supervisor and isinstance(event, SignOut)):
        return None
    return "an agent changes only its own state; a supervisor may force busy or sign out"
