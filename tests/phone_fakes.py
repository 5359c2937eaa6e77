"""``FakePhonePublisher`` takes Asterisk's place for the desk phones in the db and web
tiers: it records what it was handed and fails when told to
(tests/e2e/test_desk_phones.py is the real thing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from deskphones.model import DeskPhone
from deskphones.publish import PhonesNotPublished


@dataclass
class FakePhonePublisher:
    published: list[list[DeskPhone]] = field(default_factory=list)
    fail: bool = False

    async def publish(self, phones: Sequence[DeskPhone], within: frozenset[str]) -> None:
        if self.fail:
            raise PhonesNotPublished("Asterisk did not take the desk phones (a test's fault)")
        self.published.append(list(phones))
