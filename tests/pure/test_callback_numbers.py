"""The numbers a callback may call: mainland mobiles and landlines, nothing special."""

from __future__ import annotations

import pytest

from callback.numbers import InvalidNumber, check_number

ACCEPTED = [
    ("13912345678", "13912345678"),
    ("19912345678", "19912345678"),
    ("139 1234 5678", "13912345678"),
    ("139-1234-5678", "13912345678"),
    (" 13912345678 ", "13912345678"),
    ("+8613912345678", "13912345678"),
    ("+86 139 1234 5678", "13912345678"),
    ("008613912345678", "13912345678"),
    ("8613912345678", "13912345678"),
    ("01062345678", "01062345678"),  # Beijing: 2-digit area code, 8 digits
    ("010-6234-5678", "01062345678"),
    ("021 62345678", "02162345678"),
    ("0991-2345678", "09912345678"),  # Ürümqi: 3-digit area code, 7 digits
    ("0991 23456789", "099123456789"),  # 3-digit area code, 8 digits: 12 in all
    ("0102345678", "0102345678"),  # 2-digit area code, 7 digits: 10 in all
    ("+86 10 62345678", "01062345678"),  # international form drops the trunk 0
    ("+86 991 2345678", "09912345678"),
    ("0086 010 62345678", "01062345678"),
]


@pytest.mark.parametrize(("raw", "digits"), ACCEPTED)
def test_mainland_mobiles_and_landlines_are_accepted(raw: str, digits: str) -> None:
    assert check_number(raw, allow_international=False) == digits
    assert check_number(raw, allow_international=True) == digits


REFUSED = [
    ("", "empty"),
    ("   ", "empty"),
    ("1" * 33, "too_long"),
    ("1391234567x", "characters"),
    ("139\t12345678", "characters"),
    ("13912345678\n", "characters"),
    ("139\x0012345678", "characters"),
    ("１３９１２３４５６７８", "characters"),  # full-width digits
    ("139.1234.5678", "characters"),
    ("(010) 12345678", "characters"),
    ("139+12345678", "characters"),
    ("++8613912345678", "characters"),
    ("+", "characters"),
    ("110", "special"),
    ("12345", "special"),
    ("12333", "special"),
    ("10086", "special"),
    ("95588", "special"),
    ("96123", "special"),
    ("4008001234", "special"),
    ("800 810 1234", "special"),
    ("+86 95588", "special"),
    ("1391234567", "pattern"),  # 10 digits
    ("139123456789", "pattern"),  # 12 digits
    ("12912345678", "pattern"),  # 12x is not a mobile prefix
    ("86 010 62345678", "pattern"),  # 86 goes only before a mobile
    ("62345678", "pattern"),  # no area code
    ("010623456", "pattern"),  # 6-digit local number
    ("0106234567890", "pattern"),  # 10-digit local number
    ("01062345", "pattern"),
    ("01011234567", "pattern"),  # a local number does not start with 1
    ("01001234567", "pattern"),
    ("0112345678", "pattern"),  # 011 is no area code
    ("0012025550123", "international"),
    ("+1 202 555 0123", "international"),
    ("+44 20 7946 0958", "international"),
]


@pytest.mark.parametrize(("raw", "reason"), REFUSED)
def test_anything_else_is_refused_with_its_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        check_number(raw, allow_international=False)
    assert caught.value.code == "callback.invalid_number"
    assert caught.value.details == {"reason": reason}
    assert caught.value.message.startswith("cannot call this number back: ")


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("+1 202 555 0123", "0012025550123"),
        ("0044 20 7946 0958", "00442079460958"),
        ("+4917612345", "004917612345"),  # 10 digits past 00
        ("+1234567", "001234567"),  # 7: the shortest
        ("+123456789012345", "00123456789012345"),  # 15: E.164's longest
        ("+86 139 1234 5678", "13912345678"),  # still national
    ],
)
def test_international_numbers_when_an_admin_allows_them(raw: str, digits: str) -> None:
    assert check_number(raw, allow_international=True) == digits


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("+123456", "pattern"),  # 6 digits
        ("+1234567890123456", "pattern"),  # 16 digits
        ("000123456789", "pattern"),  # no country code starts with 0
        ("+86 12345", "special"),  # +86 stays mainland rules
        ("+86 4008001234", "special"),
    ],
)
def test_even_allowed_international_numbers_must_look_like_e164(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        check_number(raw, allow_international=True)
    assert caught.value.details == {"reason": reason}
