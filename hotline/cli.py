"""``hotline``: the command line.

hotline serve                     run the service (AMI + HTTP)
hotline sandbox up|down|status    the development Asterisk + PostgreSQL
hotline db migrate                apply database migrations (idempotent)
hotline cel-load                  move Asterisk's CEL file into the cel table, until
                                  stopped (run it beside Asterisk, as the sandbox does)
hotline demo seed                 demo agents 1001-1003 and admin 1099, printing their PINs
                                  and the admin's password
hotline accounts add-admin JOB --name NAME
                                  an admin account (password from HOTLINE_ADMIN_PASSWORD or
                                  standard input, never the arguments); an existing admin's
                                  password is reset
hotline demo call                 one real call through the sandbox, its journey printed
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from core.errors import HotlineError
from core.logging import configure_logging, get_logger
from core.settings import Settings, load_settings

log = get_logger("hotline")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="12333 hotline service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the service")
    sandbox = sub.add_parser("sandbox", help="the development Asterisk + PostgreSQL")
    sandbox.add_argument("action", choices=["up", "down", "status"])
    sub.add_parser("cel-load", help="load Asterisk's CEL file into the database, until stopped")
    db = sub.add_parser("db", help="database")
    db.add_argument("action", choices=["migrate"])
    demo = sub.add_parser("demo", help="demo data")
    demo.add_argument("action", choices=["seed", "call"])
    accounts = sub.add_parser("accounts", help="accounts")
    accounts_sub = accounts.add_subparsers(dest="action", required=True)
    add_admin = accounts_sub.add_parser(
        "add-admin", help="create an admin (password from HOTLINE_ADMIN_PASSWORD or stdin)"
    )
    add_admin.add_argument("job_number", help="the admin's job number (digits)")
    add_admin.add_argument("--name", required=True, help="the admin's name")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(os.environ)
        configure_logging(settings.log_format, settings.log_level)
        if args.command == "accounts":
            from hotline.admin_account import run

            return run(settings, args.job_number, args.name, os.environ)
        return _run(args, settings)
    except HotlineError as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from hotline.serve import serve

        asyncio.run(serve(settings))
        return 0
    if args.command == "sandbox":
        return _sandbox(args.action, settings)
    if args.command == "db":
        asyncio.run(_migrate(settings))
        return 0
    if args.command == "cel-load":
        asyncio.run(_cel_load(settings))
        return 0
    if args.command == "demo" and args.action == "call":
        from hotline.demo_call import demo_call

        configure_logging(settings.log_format, "warning")  # the journey is the output
        return asyncio.run(demo_call(settings))
    if args.command == "demo":
        asyncio.run(_seed(settings))
        return 0
    raise AssertionError(args.command)


def _sandbox(action: str, settings: Settings) -> int:
    from asterisk_conf.sandbox.sandbox import Sandbox

    sandbox = Sandbox(settings)
    if action == "up":
        report = sandbox.up()
        print(
            f"sandbox up in {report.total_seconds:.1f} s "
            f"(root built in {report.build_seconds:.1f} s)"
            if report.build_seconds
            else f"sandbox up in {report.total_seconds:.1f} s (cached root)"
        )
        print(
            f"  asterisk   pid {report.asterisk_pid}, AMI {settings.ami_host}:{settings.ami_port},"
            f" SIP udp {settings.sip_host}:{settings.sip_port}"
        )
        print(
            f"  database   {report.database_url}"
            + (f" (pid {report.postgres_pid})" if report.postgres_pid else " (external)")
        )
        print(f"  secrets    {sandbox.secrets_path}")
    elif action == "down":
        sandbox.down()
        print("sandbox down")
    else:
        print("\n".join(sandbox.status()))
    return 0


async def _migrate(settings: Settings) -> None:
    from db.migrate import migrate
    from db.pool import connect

    conn = await connect(settings)
    try:
        applied = await migrate(conn)
    finally:
        await conn.close()
    print(
        f"applied {len(applied)} migration(s)"
        + (": " + ", ".join(applied) if applied else "; database up to date")
    )


async def _cel_load(settings: Settings) -> None:
    from calls.cel_loader import run_loader
    from db.pool import connect

    spool = settings.asterisk_root / settings.cel_spool_dir.lstrip("/")
    await run_loader(
        lambda: connect(settings), spool, settings.cel_load_every_s, settings.cel_spool_keep_s
    )


async def _seed(settings: Settings) -> None:
    from asterisk_conf.sandbox.sandbox import DEMO_ADMIN, DEMO_ADMIN_PASSWORD, Sandbox
    from db.pool import connect
    from hotline.admin_account import add_admin
    from hotline.demo import DEMO_ADMIN_NAME, seed

    secrets = Sandbox(settings).ensure_secrets()
    pins = secrets["demo_pins"]
    conn = await connect(settings)
    try:
        agents = await seed(conn, pins)
    finally:
        await conn.close()
    print("demo agents (工号 job number / desk phone / PIN):")
    for agent in agents:
        print(f"  {agent.job_number}  {agent.name}  phone {agent.extension}  PIN {agent.pin}")
    password = secrets[DEMO_ADMIN_PASSWORD]
    await add_admin(settings, DEMO_ADMIN, DEMO_ADMIN_NAME, password)
    print("demo admin (工号 job number / password; signs in with the password, no phone):")
    print(f"  {DEMO_ADMIN}  {DEMO_ADMIN_NAME}  password {password}")


if __name__ == "__main__":
    sys.exit(main())
