"""A member of the roster: who the agent is, which desk phone, which queues.

Plain data (no SQL): the pure reconcile plan and the carrier read it; the repository
builds it from rows. ``extension`` is the account's home desk phone; hot desking seats
the member at another phone for a session (``seat``, from the agent's stored ``phone``:
``agent_state.seats``), and the queue member rings the phone it is seated at.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import names
from core.actor import Role


@dataclass(frozen=True)
class Member:
    job_number: str
    name: str
    extension: str
    role: Role
    pin_hash: str
    queues: tuple[tuple[str, int], ...]  # (queue, penalty): the agent's own queues
    owner_slot: int | None = None  # agents.owner_slot: its penalty in the owners' queue
    seat: str | None = None  # the desk phone of this session, when not the home one
    # an owned callback is being offered to this agent: its member is in the owners' queue
    # (only then — every member there is walked by app_queue on each device-state change)
    owner_offer: bool = False

    @property
    def phone(self) -> str:
        """The desk phone the member rings: the session's, else the home extension."""
        return self.seat or self.extension

    @property
    def asterisk_queues(self) -> tuple[tuple[str, int], ...]:
        """Every queue Asterisk has this member in now: the agent's own and, while an
        owned callback is offered to it, the owners' queue at its slot (core/names.py)."""
        if self.owner_slot is None or not self.owner_offer:
            return self.queues
        return (*self.queues, (names.OWNER_QUEUE, self.owner_slot))

    @property
    def possible_queues(self) -> tuple[str, ...]:
        """Every queue the member may be in (a sign-out removes it from each): the
        owners' queue too, wherever the agent has a slot (a restarted service does not
        know whether an offer had put it there)."""
        own = tuple(queue for queue, _ in self.queues)
        return own if self.owner_slot is None else (*own, names.OWNER_QUEUE)

    @property
    def lamp_queue(self) -> str | None:
        """The queue whose pause the lamp shows (``names.lamp_hint``): the member is
        paused in all its queues at once, so one stands for them — the same one every
        time (the lowest name); None for an agent in no queue."""
        return min((queue for queue, _ in self.queues), default=None)

    @property
    def interface(self) -> str:
        """The queue member Asterisk rings: a Local channel that dials the desk phone."""
        return names.member_interface(self.phone)

    @property
    def state_interface(self) -> str:
        """The phone's device, so ``ringinuse=no`` sees its calls."""
        return names.state_interface(self.phone)
