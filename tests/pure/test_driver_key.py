"""The driver lock's key: one per Asterisk, the same in every process, a valid int4 pair."""

from __future__ import annotations

from hotline.standby import NAMESPACE, driver_key


def test_the_same_asterisk_gives_the_same_key_and_another_a_different_one() -> None:
    assert driver_key("127.0.0.1", 5038) == driver_key("127.0.0.1", 5038)
    assert driver_key("PBX.example", 5038) == driver_key("pbx.example", 5038)
    assert driver_key("127.0.0.1", 5038) != driver_key("127.0.0.1", 5039)
    assert driver_key("127.0.0.1", 5038) != driver_key("10.0.0.1", 5038)


def test_the_key_fits_pg_try_advisory_lock_int4_int4() -> None:
    for host in ("127.0.0.1", "pbx", "a" * 200):
        namespace, key = driver_key(host, 5038)
        assert namespace == NAMESPACE
        assert 0 <= namespace < 2**31 and 0 <= key < 2**31
