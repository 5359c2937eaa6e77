"""The sign-in policy, table-driven: the PIN's form, when wrong PINs lock, for whom, and
the worker that keeps scrypt off the event loop."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from agent_state.pin_checker import PinChecker
from agent_state.pins import InvalidPin, check_pin_policy, hash_pin, verify_pin
from agent_state.sign_in import (
    LockoutPolicy,
    SignInOverloaded,
    origin_key,
    phone_origin,
    web_origin,
)

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
POLICY = LockoutPolicy(max_failures=5, window=timedelta(minutes=15), lock_for=timedelta(minutes=15))


@pytest.mark.parametrize(
    ("pin", "ok"),
    [
        ("2468", True),
        ("123456789012", True),
        ("0000", True),
        ("123", False),  # too short
        ("1234567890123", False),  # too long
        ("", False),
        ("12a4", False),
        ("１２３４", False),  # full-width digits are not what a desk phone keys
        ("12 34", False),
        ("1234\n", False),
        ("٣٤٥٦", False),  # Arabic-Indic digits: str.isdigit() would let them through
        (1234, False),
        (None, False),
    ],
)
def test_a_pin_is_4_to_12_ascii_digits(pin: object, ok: bool) -> None:
    if ok:
        assert check_pin_policy(pin) == pin
    else:
        with pytest.raises(InvalidPin) as refused:
            check_pin_policy(pin)
        assert refused.value.code == "input.invalid_pin"
        if isinstance(pin, str) and pin.strip():
            assert pin not in refused.value.message  # the message never repeats a PIN


def test_a_pin_outside_the_policy_is_never_hashed_or_stored() -> None:
    with pytest.raises(InvalidPin):
        hash_pin("12")
    stored = hash_pin("2468")
    assert verify_pin("2468", stored) and not verify_pin("2469", stored)


@pytest.mark.parametrize(
    ("failures", "locked_until"),
    [
        (1, None),
        (4, None),
        (5, NOW + timedelta(minutes=15)),  # the fifth wrong PIN locks
        (9, NOW + timedelta(minutes=15)),
    ],
)
def test_wrong_pins_lock_at_the_limit(failures: int, locked_until: datetime | None) -> None:
    assert POLICY.lock_after(failures, NOW) == locked_until


@pytest.mark.parametrize(
    ("policy", "failures", "locked"),
    [
        (LockoutPolicy(max_failures=1), 1, True),
        (LockoutPolicy(max_failures=3), 2, False),
        (LockoutPolicy(max_failures=3), 3, True),
    ],
)
def test_the_limit_is_a_setting(policy: LockoutPolicy, failures: int, locked: bool) -> None:
    assert (policy.lock_after(failures, NOW) is not None) is locked


def test_only_failures_inside_the_window_count() -> None:
    assert POLICY.window_start(NOW) == NOW - timedelta(minutes=15)


@pytest.mark.parametrize(
    "bad", [{"max_failures": 0}, {"window": timedelta(0)}, {"lock_for": timedelta(seconds=-1)}]
)
def test_a_policy_that_never_or_always_locks_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        LockoutPolicy(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("origin", "key"),
    [
        (phone_origin("2001"), "phone:2001"),
        (web_origin("192.0.2.7"), "web:192.0.2.7"),
        (web_origin(None), "web"),
        ("127.0.0.1", "127.0.0.1"),
        ("a b\r\nc\x00", "abc"),  # never a control character or space in the key
        ("", "unknown"),
        ("x" * 500, "x" * 100),
    ],
)
def test_a_lock_is_keyed_by_where_the_sign_in_came_from(origin: str, key: str) -> None:
    assert origin_key(origin) == key


def test_the_same_job_number_from_two_places_has_two_keys() -> None:
    """A stranger's wrong PINs lock their own phone out, never the agent's desk phone."""
    assert origin_key(phone_origin("2009")) != origin_key(phone_origin("2001"))


async def test_pin_checks_run_off_the_event_loop_and_past_the_bound_are_shed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checker = PinChecker(pending_max=3)
    stored = hash_pin("2468")
    threads: set[str] = set()
    release = threading.Event()

    def slow_verify(pin: str, stored_: str) -> bool:
        threads.add(threading.current_thread().name)
        release.wait(5)
        return verify_pin(pin, stored_)

    monkeypatch.setattr("agent_state.pin_checker.verify_pin", slow_verify)
    try:
        waiting = [asyncio.ensure_future(checker.verify("2468", stored)) for _ in range(3)]
        await asyncio.sleep(0)
        with pytest.raises(SignInOverloaded) as shed:
            await checker.verify("2468", stored)  # refused at once, not queued
        assert shed.value.code == "agent.sign_in_overloaded"
        assert checker.shed == 1 and checker.pending == 3
        release.set()
        assert await asyncio.gather(*waiting) == [True, True, True]
    finally:
        release.set()
        checker.close()
    assert threads and all(name.startswith("pin-check") for name in threads)
    for _ in range(100):  # the thread's done-callbacks come back through the loop
        if checker.pending == 0:
            break
        await asyncio.sleep(0.01)
    assert checker.pending == 0
