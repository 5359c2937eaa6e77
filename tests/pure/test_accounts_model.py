"""Accounts, pure: the fields an admin gives, the shape each role needs, what each role
signs in with, argon2id hashing and re-hashing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accounts.model import (
    Account,
    Credential,
    Given,
    InvalidPassword,
    check_extension,
    check_name,
    check_password,
    check_queues,
    check_shape,
    on_phone,
    parse_extensions,
    refuse_misfits,
    with_role,
)
from accounts.passwords import PasswordCost, Passwords
from core.actor import Role
from core.errors import InvalidInput

CHEAP = PasswordCost(time_cost=1, memory_kib=1024, parallelism=1)
AGENT = Account("1001", "坐席", Role.AGENT, "2001", "scrypt$pin", None, (("12333", 0),))
SUPERVISOR = Account("1009", "主管", Role.SUPERVISOR, None, None, "$argon2id$pw")
ADMIN = Account("1099", "管理员", Role.ADMIN, None, None, "$argon2id$pw")

# asterisk.md §5's payloads, and others a name must not carry
REFUSED_NAMES = [
    "",
    "a\nb",
    "a\r\n[evil]",
    "nul\x00",
    "tab\there",
    "\x1b[31m",
    "a\u0085b",
    "a\u2028b",  # line separator
    "a\u200bb",  # zero-width space (a format character)
    " 前后空格",
    "x" * 101,
]
# inert text: stored and shown, never sent to Asterisk (a member is named by its job number)
INERT_NAMES = [
    "${SHELL(id)}",
    "$[1+1]",
    "#include /etc/passwd",
    "#exec /bin/sh",
    "[evil]",
    "_X.",
    "a;b,c",
    "a/b",
    'O\'Brien "quoted"',
    "阿依古丽·买买提",
    "😀",
    "x" * 100,
]


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_a_name_with_control_or_format_characters_is_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_name(name)


@pytest.mark.parametrize("name", INERT_NAMES)
def test_a_printable_name_is_kept_as_given(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("value", ["", "20a1", "２００１", "2001\n", "-1", "1" * 21, 2001, None])
def test_an_extension_is_digits(value: object) -> None:
    with pytest.raises(InvalidInput):
        check_extension(value)


def test_an_extension_is_one_of_the_desk_phones_when_they_are_known() -> None:
    phones = parse_extensions("2001-2010, 3001")
    assert check_extension("2010", phones) == "2010" and check_extension("3001", phones)
    with pytest.raises(InvalidInput, match="not one of the desk phones"):
        check_extension("2011", phones)
    assert check_extension("9999") == "9999"  # not known: any digits


@pytest.mark.parametrize("text", ["20a1", "2010-2001", "1-", "1-999999999"])
def test_a_desk_phone_setting_that_is_not_ranges_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_extensions(text)


@pytest.mark.parametrize(
    "password", ["short", "x" * 11, "x" * 1025, "twelve chars\n", "nul\x00nul-long-enough", 12]
)
def test_a_password_outside_the_policy_is_refused(password: object) -> None:
    with pytest.raises(InvalidPassword):
        check_password(password)


def test_a_passphrase_is_a_password() -> None:
    assert check_password("correct horse battery") == "correct horse battery"
    assert check_password("密码密码密码密码密码密码") == "密码密码密码密码密码密码"


@pytest.mark.parametrize(
    "raw",
    [
        "12333",
        [12333],
        ["12a"],
        [{"queue": "12333", "penalty": 101}],
        [{"queue": "12333", "penalty": True}],
        ["12333", "12333"],
        ["1"] * 21,
    ],
)
def test_bad_queues_are_refused(raw: object) -> None:
    with pytest.raises(InvalidInput):
        check_queues(raw)


def test_queues_as_numbers_or_with_penalties() -> None:
    assert check_queues(["12333", {"queue": "100", "penalty": 5}]) == (("12333", 0), ("100", 5))
    with pytest.raises(InvalidInput, match="not one of"):
        check_queues(["100"], known={"12333"})


SHAPES = [
    (AGENT, None),
    (replace(AGENT, pin_hash=None), "an agent needs an extension"),
    (replace(AGENT, extension=None), "an agent needs an extension"),
    (replace(AGENT, queues=()), "at least one queue"),
    (SUPERVISOR, None),
    (replace(SUPERVISOR, extension="2009", pin_hash="scrypt$pin", password_hash=None), None),
    (replace(SUPERVISOR, password_hash=None), "a supervisor needs a password"),
    (replace(SUPERVISOR, pin_hash="scrypt$pin"), "a PIN is for a desk phone"),
    (ADMIN, None),
    (replace(ADMIN, password_hash=None), "an admin needs a password"),
]


@pytest.mark.parametrize(("account", "refusal"), SHAPES)
def test_each_role_has_the_shape_it_works_with(account: Account, refusal: str | None) -> None:
    if refusal is None:
        assert check_shape(account) is account
    else:
        with pytest.raises(InvalidInput, match=refusal):
            check_shape(account)


def test_an_admin_keeps_no_phone_pin_or_queue_and_an_agent_no_password() -> None:
    supervisor_at_phone = replace(AGENT, role=Role.SUPERVISOR, password_hash="$argon2id$pw")
    admin = with_role(supervisor_at_phone, Role.ADMIN)
    assert (admin.extension, admin.pin_hash, admin.queues) == (None, None, ())
    assert admin.credentials == (Credential.PASSWORD,) and not on_phone(admin)
    agent = with_role(supervisor_at_phone, Role.AGENT)
    assert agent.password_hash is None and agent.credentials == (Credential.PIN,)


@pytest.mark.parametrize(
    ("role", "given"),
    [
        (Role.ADMIN, Given(extension="2001")),
        (Role.ADMIN, Given(pin="2468")),
        (Role.ADMIN, Given(queues=(("12333", 0),))),
        (Role.AGENT, Given(password="a long enough passphrase")),
    ],
)
def test_what_a_role_must_not_be_given_is_refused(role: Role, given: Given) -> None:
    with pytest.raises(InvalidInput):
        refuse_misfits(role, given)


def test_the_credentials_follow_the_role_and_a_disabled_account_has_none() -> None:
    assert AGENT.credentials == (Credential.PIN,) and on_phone(AGENT)
    assert SUPERVISOR.credentials == (Credential.PASSWORD,) and not on_phone(SUPERVISOR)
    # even if a row held both, an admin never signs in with a PIN, an agent never with a password
    odd_admin = replace(ADMIN, pin_hash="scrypt$pin", extension="2001")
    assert odd_admin.credentials == (Credential.PASSWORD,) and not on_phone(odd_admin)
    odd_agent = replace(AGENT, password_hash="$argon2id$pw")
    assert odd_agent.credentials == (Credential.PIN,)
    assert not replace(SUPERVISOR, disabled=True).signs_in_with(Credential.PASSWORD)


def test_a_secret_is_never_in_an_accounts_repr() -> None:
    account = replace(AGENT, pin_hash="scrypt$SECRET", password_hash="$argon2id$SECRET")
    assert "SECRET" not in repr(account)
    assert "hunter2hunter2" not in repr(Given(pin="2468", password="hunter2hunter2"))


def test_argon2id_hashes_verify_and_refuse() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert passwords.verify("correct horse battery", stored)
    assert not passwords.verify("correct horse batterY", stored)
    assert not passwords.verify("anything at all", "not-a-hash")
    assert not passwords.verify("anything at all", passwords.nobody)
    with pytest.raises(InvalidPassword):
        passwords.hash("short")


def test_a_hash_made_with_other_parameters_needs_a_rehash() -> None:
    old = Passwords(CHEAP).hash("correct horse battery")
    stronger = Passwords(replace(CHEAP, time_cost=2))
    assert stronger.needs_rehash(old) and not Passwords(CHEAP).needs_rehash(old)
    assert stronger.needs_rehash("scrypt$00$00")
    assert not stronger.needs_rehash(stronger.rehash("correct horse battery"))


def test_argon2_parameters_are_checked() -> None:
    with pytest.raises(ValueError):
        PasswordCost(time_cost=0)
    with pytest.raises(ValueError):
        PasswordCost(memory_kib=16, parallelism=4)
