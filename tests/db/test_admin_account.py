"""``hotline accounts add-admin``: the first admin, its password from the environment or
standard input (never the arguments), audited; run again, it resets that password."""

from __future__ import annotations

import dataclasses
import io

import asyncpg
import pytest

from accounts import repo
from accounts.passwords import PasswordCost, Passwords
from core.actor import Role
from core.settings import Settings
from db.migrate import migrate
from hotline import cli
from hotline.admin_account import PASSWORD_ENV, add_admin, read_password

PASSWORD = "first admin passphrase"


@pytest.fixture
async def migrated(fresh_db: str, settings: Settings) -> Settings:
    conn = await asyncpg.connect(fresh_db)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return dataclasses.replace(settings, database_url=fresh_db)


async def _account_and_audit(url: str, job: str) -> tuple[object, list[tuple[str, str]]]:
    conn = await asyncpg.connect(url)
    try:
        account = await repo.account(conn, job)
        rows = await conn.fetch("SELECT actor, what, detail::text FROM account_audit ORDER BY id")
    finally:
        await conn.close()
    assert all(PASSWORD not in r["detail"] and "argon2" not in r["detail"] for r in rows)
    return account, [(r["actor"], r["what"]) for r in rows]


async def test_the_first_admin_is_created_then_its_password_reset(migrated: Settings) -> None:
    assert await add_admin(migrated, "1098", "管理员", PASSWORD) == "created"
    account, audit = await _account_and_audit(migrated.database_url, "1098")
    assert isinstance(account, repo.Account) and account.role is Role.ADMIN
    passwords = Passwords(PasswordCost.of(migrated))
    assert account.password_hash and passwords.verify(PASSWORD, account.password_hash)
    assert account.extension is None and account.pin_hash is None
    assert audit == [("hotline-cli", "created")]
    assert await add_admin(migrated, "1098", "管理员", PASSWORD + "!") == "password reset"
    account, audit = await _account_and_audit(migrated.database_url, "1098")
    assert isinstance(account, repo.Account) and account.password_hash
    assert passwords.verify(PASSWORD + "!", account.password_hash)
    assert audit[-1] == ("hotline-cli", "password_reset")


def test_the_command_reads_the_password_from_the_environment(
    migrated: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", migrated.database_url)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    for field in ("time_cost", "memory_kib", "parallelism"):
        monkeypatch.setenv(
            f"HOTLINE_PASSWORD_{field.upper()}", str(getattr(PasswordCost(1, 1024, 1), field))
        )
    assert cli.main(["accounts", "add-admin", "1097", "--name", "值班管理员"]) == 0
    assert "admin 1097: created" in capsys.readouterr().out
    # a name with a line break, or a short password, is refused (exit 2, a message)
    assert cli.main(["accounts", "add-admin", "1097", "--name", "a\nb"]) == 2
    monkeypatch.setenv(PASSWORD_ENV, "short")
    assert cli.main(["accounts", "add-admin", "1096", "--name", "管"]) == 2
    assert "12" in capsys.readouterr().err


def test_the_password_comes_from_the_environment_or_one_line_of_stdin() -> None:
    assert read_password({PASSWORD_ENV: PASSWORD}, io.StringIO("ignored\n")) == PASSWORD
    assert read_password({}, io.StringIO(PASSWORD + "\r\nsecond line\n")) == PASSWORD
    with pytest.raises(Exception, match=PASSWORD_ENV):
        read_password({}, io.StringIO(""))


def test_no_password_option_exists_on_the_command_line() -> None:
    with pytest.raises(SystemExit):
        cli.main(["accounts", "add-admin", "1097", "--name", "管", "--password", PASSWORD])
