"""Stand-ins for parts of issue 10 that other work delivers; each names what replaces it.

- ``DefaultPrompts``   → the prompt library in ``ivr/`` (its ``known_prompts``)
"""

from __future__ import annotations

from collections.abc import Mapping

from dialplan.model import DEFAULT_LANGUAGE, Language
from ivr.prompts import DEFAULT_PROMPTS


class DefaultPrompts:
    """The shipped prompts, in Mandarin only."""

    def known_prompts(self) -> Mapping[Language, frozenset[str]]:
        return {DEFAULT_LANGUAGE: frozenset(p.name for p in DEFAULT_PROMPTS)}
