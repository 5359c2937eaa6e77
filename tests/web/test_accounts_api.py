"""The admin's accounts API and password sign-in on a real PostgreSQL: create, change
role, reset PIN or password, disable, delete — validated, audited without a secret, the
agents' roster told; passwords for supervisors and admins only, inside the PIN lockout."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from accounts import repo
from accounts.passwords import PasswordCost, Passwords
from accounts.sign_in import PasswordSignIn
from agent_state.model import Source
from agent_state.sign_in import WrongCredentials
from core.settings import Settings
from tests.e2e.agents import PIN
from tests.web.conftest import ADMIN, ADMIN_PASSWORD, AGENT, OTHER, SUPERVISOR, Floor, open_floor

ACCOUNTS = "/api/admin/accounts"
PASSWORD = "a passphrase for the test"
NEW_PIN = "97531"


def agent_body(job: str = "1004", **changes: Any) -> dict[str, Any]:
    body = {
        "job_number": job,
        "name": "新坐席",
        "role": "agent",
        "extension": str(int(job) + 1000),
        "pin": NEW_PIN,
        "queues": ["12333"],
    }
    return {**body, **changes}


async def _create(floor: Floor, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await floor.client.post(ACCOUNTS, json=body, headers=await floor.admin_headers())
    return response.status, await response.json()


async def _put(floor: Floor, job: str, what: str, body: dict[str, Any]) -> tuple[int, Any]:
    response = await floor.client.put(
        f"{ACCOUNTS}/{job}/{what}", json=body, headers=await floor.admin_headers()
    )
    return response.status, await response.json()


async def _sign_in(floor: Floor, job: str, **secret: str) -> tuple[int, dict[str, Any]]:
    response = await floor.client.post("/api/sessions", json={"job_number": job, **secret})
    return response.status, await response.json()


async def _audit(floor: Floor, job: str) -> list[dict[str, Any]]:
    rows = await floor.pool.fetch(
        "SELECT actor, what, detail FROM account_audit WHERE job_number = $1 ORDER BY id", job
    )
    return [
        {"actor": r["actor"], "what": r["what"], "detail": json.loads(r["detail"])} for r in rows
    ]


# ---- creating, and the roster learning of it ---------------------------------------------------


async def test_a_new_agent_is_listed_audited_and_signs_in_at_once(floor: Floor) -> None:
    status, created = await _create(floor, agent_body())
    assert status == 201, created
    assert created == {
        "job_number": "1004",
        "name": "新坐席",
        "role": "agent",
        "extension": "2004",
        "queues": [{"queue": "12333", "penalty": 0}],
        "sign_in": ["pin"],
        "disabled": False,
    }
    listed = await floor.client.get(ACCOUNTS, headers=await floor.admin_headers())
    assert created in (await listed.json())["accounts"]
    assert floor.service.member("1004").extension == "2004"  # the roster learnt of it
    status, body = await _sign_in(floor, "1004", pin=NEW_PIN)
    assert (status, body["role"]) == (201, "agent")
    agent = await floor.service.sign_in("1004", NEW_PIN, source=Source.PHONE, extension="2004")
    assert agent.state.value == "idle"
    [audit] = await _audit(floor, "1004")
    assert (audit["actor"], audit["what"]) == (ADMIN, "created")
    assert audit["detail"]["credentials"] == ["pin"]


async def test_no_secret_reaches_the_audit_or_the_listing(floor: Floor) -> None:
    await _create(floor, agent_body())
    await _create(
        floor, {"job_number": "1050", "name": "主管", "role": "supervisor", "password": PASSWORD}
    )
    await _put(floor, "1004", "pin", {"pin": "86420"})
    await _put(floor, "1050", "password", {"password": PASSWORD + "!"})
    rows = await floor.pool.fetch("SELECT detail::text FROM account_audit")
    listed = await floor.client.get(ACCOUNTS, headers=await floor.admin_headers())
    seen = " ".join(r["detail"] for r in rows) + await listed.text()
    for secret in (NEW_PIN, "86420", PASSWORD, "scrypt", "argon2", "hash"):
        assert secret not in seen


async def test_a_supervisor_and_an_admin_sign_in_with_a_password(floor: Floor) -> None:
    supervisor = {"job_number": "1050", "name": "主管", "role": "supervisor", "password": PASSWORD}
    admin = {"job_number": "1051", "name": "管理员二", "role": "admin", "password": PASSWORD}
    assert (await _create(floor, supervisor))[0] == 201
    assert (await _create(floor, admin))[0] == 201
    assert (await _sign_in(floor, "1050", password=PASSWORD))[1]["role"] == "supervisor"
    status, body = await _sign_in(floor, "1051", password=PASSWORD)
    assert (status, body["role"]) == (201, "admin")
    listed = await floor.client.get(ACCOUNTS, headers={"Authorization": f"Bearer {body['token']}"})
    assert listed.status == 200  # the new admin uses the admin API
    assert (await _sign_in(floor, ADMIN, password=ADMIN_PASSWORD))[0] == 201
    assert (await _sign_in(floor, "1050", password=PASSWORD + "x"))[0] == 401


async def test_an_agent_cannot_sign_in_with_a_password(floor: Floor) -> None:
    status, body = await _sign_in(floor, AGENT, password=PIN * 4)
    assert (status, body["error"]) == (401, "agent.wrong_credentials")
    status, body = await _sign_in(floor, AGENT, pin=PIN, password=PASSWORD)
    assert status == 400  # one or the other


async def test_an_admin_never_signs_in_with_a_pin_on_the_web_or_at_a_phone(floor: Floor) -> None:
    # the supervisor at desk phone 2009 with PIN 2468 becomes an admin: phone and PIN go
    status, changed = await _put(floor, SUPERVISOR, "role", {"role": "admin", "password": PASSWORD})
    assert status == 200, changed
    assert (changed["extension"], changed["sign_in"], changed["queues"]) == (None, ["password"], [])
    assert SUPERVISOR not in floor.service.members
    assert (await _sign_in(floor, SUPERVISOR, pin=PIN))[0] == 401
    with pytest.raises(WrongCredentials):  # *11 at its old desk phone
        await floor.service.sign_in(SUPERVISOR, PIN, source=Source.PHONE, extension="2009")
    assert floor.service.by_extension("2009") is None  # the phone path refuses it first
    assert (await _sign_in(floor, SUPERVISOR, password=PASSWORD))[1]["role"] == "admin"


# ---- lockout -----------------------------------------------------------------------------------


async def test_wrong_passwords_lock_out_like_wrong_pins(fresh_db: str, settings: Settings) -> None:
    async with open_floor(fresh_db, settings) as floor:
        floor.service.sign_ins.policy = replace(floor.service.sign_ins.policy, max_failures=3)
        statuses = [
            (await _sign_in(floor, ADMIN, password="wrong passphrase"))[0] for _ in range(3)
        ]
        assert statuses == [401, 401, 423]
        status, body = await _sign_in(floor, ADMIN, password=ADMIN_PASSWORD)
        assert (status, body["error"]) == (423, "agent.locked_out") and body["until"]
        rows = await floor.pool.fetch(
            "SELECT what FROM sign_in_audit WHERE job_number = $1 ORDER BY id", ADMIN
        )
        assert [r["what"] for r in rows] == ["failed", "failed", "failed", "locked"]


async def test_a_good_password_hashed_with_other_parameters_is_rehashed(floor: Floor) -> None:
    stronger = Passwords(replace(PasswordCost(1, 1024, 1), time_cost=2))
    sign_in = PasswordSignIn(floor.pool, floor.service.sign_ins, stronger)
    before = await repo.account(floor.pool, ADMIN)
    assert before is not None and before.password_hash is not None
    assert stronger.needs_rehash(before.password_hash)
    await sign_in.check(ADMIN, ADMIN_PASSWORD, "127.0.0.1")
    after = await repo.account(floor.pool, ADMIN)
    assert after is not None and after.password_hash is not None
    assert after.password_hash != before.password_hash
    assert not stronger.needs_rehash(after.password_hash)
    assert stronger.verify(ADMIN_PASSWORD, after.password_hash)
    assert [a["what"] for a in await _audit(floor, ADMIN)] == ["password_rehashed"]


# ---- validation --------------------------------------------------------------------------------

INVALID = [
    ("job number not digits", agent_body(job_number="10a4")),
    ("name with a newline", agent_body(name="a\n[evil]")),
    ("name with NUL", agent_body(name="a\u0000b")),
    ("name too long", agent_body(name="名" * 101)),
    ("extension not digits", agent_body(extension="2004;")),
    ("extension a pattern", agent_body(extension="_X.")),
    ("PIN not digits", agent_body(pin="12ab")),
    ("no PIN", {k: v for k, v in agent_body().items() if k != "pin"}),
    ("no queue", agent_body(queues=[])),
    ("unknown queue", agent_body(queues=["999"])),
    ("agent with a password", agent_body(password=PASSWORD)),
    ("unknown role", agent_body(role="root")),
    ("unknown field", agent_body(is_admin=True)),
    (
        "short password",
        {"job_number": "1050", "name": "主管", "role": "supervisor", "password": "short"},
    ),
    (
        "admin with a phone",
        {
            "job_number": "1050",
            "name": "管",
            "role": "admin",
            "password": PASSWORD,
            "extension": "2005",
        },
    ),
    ("admin without a password", {"job_number": "1050", "name": "管", "role": "admin"}),
]


@pytest.mark.parametrize(("why", "body"), INVALID, ids=[i[0] for i in INVALID])
async def test_an_invalid_account_is_a_400_that_says_why(
    floor: Floor, why: str, body: dict[str, Any]
) -> None:
    status, answer = await _create(floor, body)
    assert status == 400, (why, answer)
    assert answer["error"].startswith("input.") and answer["message"]
    assert await floor.pool.fetchval("SELECT count(*) FROM account_audit") == 0


async def test_a_taken_job_number_or_desk_phone_is_a_409(floor: Floor) -> None:
    status, body = await _create(floor, agent_body(job=AGENT))
    assert (status, body["error"]) == (409, "account.conflict")
    status, body = await _create(floor, agent_body(extension="2002"))  # agent 1002's phone
    assert status == 409 and OTHER in body["message"]


async def test_an_extension_is_one_of_the_desk_phones_when_they_are_known(
    fresh_db: str, settings: Settings
) -> None:
    async with open_floor(fresh_db, settings, desk_phones="2001-2010") as floor:
        status, body = await _create(floor, agent_body(extension="2999"))
        assert status == 400 and "desk phones" in body["message"]
        assert (await _create(floor, agent_body(extension="2010")))[0] == 201


# ---- changing, disabling, deleting -------------------------------------------------------------


async def test_a_reset_pin_replaces_the_old_one_and_ends_the_sessions(floor: Floor) -> None:
    old_session = await floor.headers(AGENT)
    assert (await _put(floor, AGENT, "pin", {"pin": NEW_PIN}))[0] == 200
    assert (await _sign_in(floor, AGENT, pin=PIN))[0] == 401
    assert (await _sign_in(floor, AGENT, pin=NEW_PIN))[0] == 201
    assert (await floor.client.get("/api/agents", headers=old_session)).status == 401
    assert [a["what"] for a in await _audit(floor, AGENT)] == ["pin_reset"]


async def test_a_signed_in_agent_is_not_moved_or_removed_under_asterisk(floor: Floor) -> None:
    await floor.service.sign_in(OTHER, PIN, source=Source.WEB)
    status, body = await _put(floor, OTHER, "role", {"role": "supervisor"})
    assert (status, body["error"]) == (409, "account.conflict")
    assert (await _put(floor, OTHER, "disabled", {"disabled": True}))[0] == 409
    deleted = await floor.client.delete(f"{ACCOUNTS}/{OTHER}", headers=await floor.admin_headers())
    assert deleted.status == 409
    assert await _audit(floor, OTHER) == []


async def test_a_disabled_account_cannot_sign_in_until_enabled(floor: Floor) -> None:
    old_session = await floor.headers(AGENT)
    assert (await _put(floor, AGENT, "disabled", {"disabled": True}))[1]["disabled"] is True
    assert AGENT not in floor.service.members
    assert (await _sign_in(floor, AGENT, pin=PIN))[0] == 401
    assert (await floor.client.get("/api/agents", headers=old_session)).status == 401
    assert (await _put(floor, AGENT, "disabled", {"disabled": False}))[0] == 200
    assert (await _sign_in(floor, AGENT, pin=PIN))[0] == 201
    assert [a["what"] for a in await _audit(floor, AGENT)] == ["disabled", "enabled"]


async def test_a_deleted_account_is_gone_but_its_audit_stays(floor: Floor) -> None:
    headers = await floor.admin_headers()
    assert (await floor.client.delete(f"{ACCOUNTS}/{AGENT}", headers=headers)).status == 200
    assert AGENT not in floor.service.members
    assert (await _sign_in(floor, AGENT, pin=PIN))[0] == 401
    missing = await floor.client.delete(f"{ACCOUNTS}/{AGENT}", headers=headers)
    assert missing.status == 404
    audit = await floor.client.get(f"{ACCOUNTS}/{AGENT}/audit", headers=headers)
    [row] = (await audit.json())["audit"]
    assert (row["actor"], row["what"], row["detail"]["name"]) == (ADMIN, "deleted", "坐席1001")


async def test_an_admin_does_not_demote_disable_or_delete_itself(floor: Floor) -> None:
    headers = await floor.admin_headers()
    assert (await _put(floor, ADMIN, "role", {"role": "supervisor"}))[0] == 403
    assert (await _put(floor, ADMIN, "disabled", {"disabled": True}))[0] == 403
    assert (await floor.client.delete(f"{ACCOUNTS}/{ADMIN}", headers=headers)).status == 403


async def test_a_supervisor_becomes_an_agent_only_with_a_phone_pin_and_queue(
    floor: Floor,
) -> None:
    supervisor = {"job_number": "1050", "name": "主管", "role": "supervisor", "password": PASSWORD}
    await _create(floor, supervisor)
    status, body = await _put(floor, "1050", "role", {"role": "agent"})
    assert status == 400 and "extension" in body["message"]
    status, body = await _put(
        floor, "1050", "role", {"role": "agent", "extension": "2005", "pin": NEW_PIN}
    )
    assert status == 400 and "queue" in body["message"]
    given = {"role": "agent", "extension": "2005", "pin": NEW_PIN, "queues": ["12333"]}
    status, body = await _put(floor, "1050", "role", given)
    assert (status, body["role"], body["sign_in"]) == (200, "agent", ["pin"])
    assert (await _sign_in(floor, "1050", password=PASSWORD))[0] == 401  # no password now
    assert (await _sign_in(floor, "1050", pin=NEW_PIN))[1]["role"] == "agent"
    assert floor.service.member("1050").extension == "2005"


# ---- hostile names: refused, or stored inertly and never sent to Asterisk ----------------------

# asterisk.md §5: newline, ;, ,, ${SHELL(...)}, $[...], #include, #exec, [, _X., /, quotes,
# 1,000+ characters, NUL, emoji
HOSTILE_NAMES = {
    "newline": "a\n[evil]",
    "semicolon": "a;b",
    "comma": "a,b",
    "shell": "${SHELL(echo pwned-$(id -u))}",
    "expression": "$[1+1]",
    "include": "#include /etc/asterisk/manager.conf",
    "exec": "#exec /bin/sh",
    "bracket": "[evil]",
    "pattern": "_X.",
    "slash": "a/b",
    "quotes": "'\"`",
    "long": "x" * 1001,
    "nul": "a\u0000b",
    "emoji": "😀",
}


async def test_hostile_names_are_refused_or_kept_inert(floor: Floor) -> None:
    got = {}
    for n, (label, name) in enumerate(sorted(HOSTILE_NAMES.items())):
        job = str(1100 + n)
        status, body = await _create(floor, agent_body(job, name=name, extension=str(3000 + n)))
        got[label] = status
        if status == 201:
            assert body["name"] == name  # kept exactly, as text
            member = floor.service.member(job)
            # a queue member is named by its job number: the name never reaches Asterisk
            assert member.name == name and name not in member.interface + member.state_interface
    assert {label for label, status in got.items() if status == 400} == {"newline", "long", "nul"}
    assert set(got.values()) <= {201, 400}
