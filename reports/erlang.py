"""Erlang C, pure: how many agents a half hour needs for a service level.

The model (M/M/N, callers wait and never give up): calls arrive at random (Poisson) at
``arrivals`` per period, each takes ``handle_s`` of an agent's time (talk + wrap-up).
The offered traffic is ``A = arrivals × handle_s / period_s`` erlangs. With ``N > A``
agents, the probability that a caller must wait at all is Erlang C::

    C(N, A) = N·B(N, A) / (N − A·(1 − B(N, A)))

where ``B`` is Erlang B, computed by its stable recursion ``B(0) = 1,
B(k) = A·B(k−1) / (k + A·B(k−1))`` (no factorials, no overflow at hundreds of agents).
The share answered within ``answer_s`` (the 15 秒接通率 of the model) is::

    SL(N) = 1 − C(N, A) · exp(−(N − A) · answer_s / handle_s)

The agents needed are the fewest ``N`` with ``SL(N) ≥ target``. Erlang C ignores
callers who give up, so it errs on the safe side for a centre's 15 秒接通率 (whose
denominator counts those callers too).
"""

from __future__ import annotations

import math

MAX_AGENTS = 10_000  # a search bound far above any centre (standard.md "Scale")


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability with ``agents`` servers and ``traffic`` erlangs."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return b


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a caller waits; 1.0 when the agents cannot keep up (N ≤ A)."""
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = erlang_b(agents, traffic)
    return agents * b / (agents - traffic * (1 - b))


def service_level(agents: int, traffic: float, handle_s: float, answer_s: float) -> float:
    """Share of callers answered within ``answer_s`` seconds."""
    if traffic == 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waits = erlang_c(agents, traffic)
    return 1.0 - waits * math.exp(-(agents - traffic) * answer_s / handle_s)


def traffic_of(arrivals: float, handle_s: float, period_s: float) -> float:
    """Offered traffic in erlangs: arrivals in ``period_s`` times the handle time."""
    return arrivals * handle_s / period_s


def agents_needed(
    arrivals: float, handle_s: float, *, period_s: float, answer_s: float, target: float
) -> int:
    """The fewest agents that answer ``target`` of the callers within ``answer_s``."""
    if not 0 < target < 1:
        raise ValueError("target must be a share between 0 and 1")
    if arrivals <= 0 or handle_s <= 0:
        return 0
    traffic = traffic_of(arrivals, handle_s, period_s)
    agents = max(1, math.floor(traffic) + 1)
    while service_level(agents, traffic, handle_s, answer_s) < target:
        agents += 1
        if agents > MAX_AGENTS:
            raise ValueError("no staffing reaches the target")
    return agents
