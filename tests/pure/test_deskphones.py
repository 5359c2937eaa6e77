"""Published desk phones, pure: the extension and password rules, the digest, and the
rendered files — no value that could change a file's meaning gets in (asterisk.md §5)."""

from __future__ import annotations

import hashlib

import pytest

from core import names
from core.errors import InvalidInput, UnsafeValueError
from deskphones.model import (
    DeskPhone,
    InvalidPhonePassword,
    check_extension,
    check_password,
    new_phone,
    render_files,
)
from deskphones.publish import lacking, parse_endpoints
from pages.admin_forms import AccountForm, check_account

WITHIN = frozenset(str(n) for n in range(3001, 3010))
STATIC = frozenset({"2001", "2002"})
GOOD = "a-Good.pass~word1"


@pytest.mark.parametrize(
    "extension",
    ["", "30a1", "3001\n[evil]", "3001;x", " 3001", "2001", "4001", "3" * 21, None, 3001],
)
def test_an_extension_is_digits_in_the_range_and_no_static_phone(extension: object) -> None:
    with pytest.raises(InvalidInput):
        check_extension(extension, WITHIN, STATIC)


def test_an_extension_in_the_range_is_taken() -> None:
    assert check_extension("3001", WITHIN, STATIC) == "3001"


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "x" * 65,
        "has space inside",
        "semi;colon12345",
        "new\nline123456",
        'quo"te123456',
        "hash#1234567890",
        "back\\slash12345",
        "dollar${x}12345",
        "汉字密码汉字密码汉字密码",
        None,
    ],
)
def test_a_password_outside_the_charset_is_refused(password: object) -> None:
    with pytest.raises(InvalidPhonePassword) as refused:
        check_password(password)
    if isinstance(password, str) and len(password) > 3:
        assert password not in refused.value.message  # never repeated


def test_the_digest_is_md5_of_user_realm_password_and_no_password_is_kept() -> None:
    phone = new_phone("3001", GOOD)
    assert phone.realm == names.PHONE_REALM
    assert (
        phone.digest
        == hashlib.md5(
            f"3001:{names.PHONE_REALM}:{GOOD}".encode(), usedforsecurity=False
        ).hexdigest()
    )
    files = render_files([phone])
    assert GOOD not in "".join(files.values())


def test_the_files_hold_each_active_phone_and_only_those() -> None:
    on, off = new_phone("3001", GOOD), DeskPhone("3002", "hotline", "0" * 32, active=False)
    files = render_files([off, on])
    pjsip, dialplan = files[names.PHONES_PJSIP_FILE], files[names.PHONES_DIALPLAN_FILE]
    assert "[3001]\ntype = endpoint" in pjsip and "[3001]\ntype = aor" in pjsip
    assert f"password_digest = MD5:{on.digest}" in pjsip and "realm = hotline" in pjsip
    assert "password =" not in pjsip and "3002" not in pjsip + dialplan
    assert f"[{names.PHONES_LOCAL}]\nexten => 3001,1,Set(CHANNEL(hangup_handler_push)" in dialplan
    assert "Dial(PJSIP/3001,,b(" in dialplan
    assert f"[{names.PHONES_LAMPS}]\nexten => 3001,hint,PJSIP/3001\n" in dialplan


def test_no_phone_still_gives_both_contexts() -> None:
    dialplan = render_files([])[names.PHONES_DIALPLAN_FILE]
    assert f"[{names.PHONES_LOCAL}]" in dialplan and f"[{names.PHONES_LAMPS}]" in dialplan


@pytest.mark.parametrize(
    "phone",
    [
        DeskPhone("3001\n[evil]", "hotline", "0" * 32),
        DeskPhone("3001", "hot;line", "0" * 32),
        DeskPhone("3001", "hotline", "0" * 31 + "\n"),
        DeskPhone("3001", "hotline", "Z" * 32),
    ],
)
def test_a_stored_value_that_could_change_the_file_is_refused(phone: DeskPhone) -> None:
    with pytest.raises(UnsafeValueError):
        render_files([phone])


def test_two_phones_on_one_extension_are_refused() -> None:
    with pytest.raises(UnsafeValueError):
        render_files([new_phone("3001", GOOD), new_phone("3001", GOOD + "x")])


ENDPOINTS = """
 Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>
==========================================================================================

 Endpoint:  2001                                                 Unavailable   0 of inf
     InAuth:  2001-auth/2001
 Endpoint:  3001                                                 Not in use    0 of inf
 Endpoint:  pstn-trunk                                           Not in use    0 of inf
""".splitlines()


def test_the_check_reads_the_endpoints_and_wants_exactly_the_active_ones() -> None:
    shown = parse_endpoints(ENDPOINTS)
    assert {"2001", "3001", "pstn-trunk"} <= shown and "<Endpoint" not in shown
    on, off = new_phone("3001", GOOD), DeskPhone("3002", "hotline", "0" * 32, active=False)
    contexts = {names.PHONES_LOCAL: 1, names.PHONES_LAMPS: 1}
    assert lacking([on, off], WITHIN, shown, contexts) == []
    assert lacking([on, new_phone("3003", GOOD)], WITHIN, shown, contexts)[0] == "no endpoint 3003"
    assert lacking([off], WITHIN, shown, {}) == ["endpoint 3001 still there"]
    assert lacking([on], WITHIN, shown, {names.PHONES_LOCAL: 1})  # no lamp


FORM = AccountForm("1050", "新坐席", "agent", "2001", ("12333",), "2468")


def test_a_good_agent_form_passes_and_gives_the_phone_pin_and_queue() -> None:
    account, given, errors = check_account(FORM, {"2001"}, {"12333"}, new=True)
    assert errors == {} and account is not None and given is not None
    assert (given.extension, given.pin, given.queues, given.password) == (
        "2001",
        "2468",
        (("12333", 0),),
        None,
    )


def test_every_mistake_of_a_form_is_at_its_field() -> None:
    form = AccountForm("10x", "", "agent", "9999", ("777",), "12")
    _, _, errors = check_account(form, {"2001"}, {"12333"}, new=True)
    assert set(errors) == {"job_number", "name", "extension", "pin", "queues"}
    _, _, errors = check_account(AccountForm("1051", "主管", "admin"), set(), set(), new=True)
    assert errors == {"password": "admin.agents.need_password"}


def test_a_static_phone_is_refused_even_without_a_range() -> None:
    with pytest.raises(InvalidInput, match="static"):
        check_extension("2001", frozenset(), STATIC)


def test_the_published_range_may_not_meet_the_static_phones() -> None:
    from core.errors import ConfigError
    from core.settings import Settings
    from deskphones.assembly import ranges

    static, within = ranges(Settings(desk_phones="2001-2010", published_phones="3001-3002"))
    assert static == {str(n) for n in range(2001, 2011)} and within == {"3001", "3002"}
    with pytest.raises(ConfigError):
        ranges(Settings(desk_phones="2001-2010", published_phones="2010-2020"))
