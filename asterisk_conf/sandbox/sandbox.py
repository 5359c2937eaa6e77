"""``hotline sandbox up | down | status``: the pieces of the sandbox, in order."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import secrets as secrets_module
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from ami import AmiClient
from asterisk_conf.model import (
    PUBLISH_READ,
    PUBLISH_WRITE,
    SERVICE_EVENTS,
    SERVICE_READ,
    SERVICE_WRITE,
    AmiUser,
    AsteriskConf,
    DeskPhone,
)
from asterisk_conf.render import FILES, render, write_config
from asterisk_conf.sandbox import bench_leftovers, host, rootfs, throwaway
from asterisk_conf.sandbox.services import (
    AsteriskService,
    CelLoaderService,
    PostgresService,
    root_user,
)
from core import names
from core.errors import HotlineError
from core.logging import get_logger
from core.settings import (
    SANDBOX_ROOT,
    SANDBOX_STATE,
    SECRETS_FILE,
    Settings,
    redact_url,
    sandbox_database_url,
)
from db.migrate import migrate
from deskphones.assembly import stored_files as stored_phone_files
from deskphones.publish import read_files, write_files
from dialplan.assembly import live_files
from dialplan.publish import read_folder, write_folder
from ivr.audio import AudioTools
from ivr.prompt_files import PromptLibrary
from ivr.prompt_service import limits_of
from ivr.prompts import default_prompts, generated_command

log = get_logger("sandbox")

# Desk phones the sandbox knows: the demo agents use 2001-2003, tests the rest.
SANDBOX_EXTENSIONS = tuple(str(ext) for ext in range(2001, 2011))
DEMO_JOB_NUMBERS = ("1001", "1002", "1003")
DEMO_ADMIN = "1099"  # the demo's admin account: a password, no desk phone
DEMO_ADMIN_PASSWORD = "demo_admin_password"  # noqa: S105 - its key in the secrets file
# Job numbers that get a BLF lamp in the sandbox: agent 10NN sits at desk phone 20NN.
SANDBOX_JOB_NUMBERS = tuple(str(int(ext) - 1000) for ext in SANDBOX_EXTENSIONS)
OBSERVER_USER = "observer"
# R9: the hold class's folder plays in name order: the wait, then the reminder
HOLD_WAIT_FILE = "00-wait.wav"
HOLD_REMINDER_FILE = "01-reminder.wav"
PUBLISH_USER = "hotline-publish"
# The tests' greeting (setting greeting_prompt): a tone of this length in place of the
# standard's ~10 s greeting, so that a test call reaches the queue in seconds
SHORT_GREETING = "greeting-short"
SHORT_GREETING_S = 2.0
SHORT_GREETING_HZ = 440


@dataclass(frozen=True)
class UpReport:
    build_seconds: float
    total_seconds: float
    asterisk_pid: int
    postgres_pid: int | None
    database_url: str  # redacted


class Sandbox:
    def __init__(self, settings: Settings, *, bench_phones: int = 0) -> None:
        self.settings = settings
        # bench/capacity.py and bench/soak.py render the bench phones for a run, then
        # render without them again (AsteriskConf.bench_phones)
        self.bench_phones = bench_phones
        self.base = settings.sandbox_dir
        self.root = self.base / SANDBOX_ROOT
        self.secrets_path = self.base / SECRETS_FILE
        self.asterisk = AsteriskService(self.root)
        self.postgres = PostgresService(self.root, settings.sandbox_postgres_port)
        self.cel_loader = CelLoaderService(self.base, self.root)

    # ---- the three commands ---------------------------------------------------

    def up(self) -> UpReport:
        started = time.monotonic()
        host.require_root()
        host.ensure_host_tools()
        with self._lock():
            mirror = self.settings.sandbox_mirror or host.debian_mirror_from_host()
            build_s = rootfs.ensure_root(self.root, mirror)
            rootfs.ensure_added_packages(self.root)
            rootfs.mount_runtime(self.root)
            secrets = self.ensure_secrets()
            pg_pid = None
            if self.manages_postgres(secrets):
                # PostgreSQL first: the CEL loader writes Asterisk's rows there from its first call
                pg_pid = self.postgres.start()
                self.postgres.ensure_database(secrets["db_password"])
                asyncio.run(_migrate(self.database_url(secrets)))
                self._remove_stale_journals(secrets)
            changed = self._install_config(secrets)
            self._make_cel_spool()
            self._install_prompts()
            self._install_short_greeting()
            self._install_hold_music()
            was_running = self.asterisk.pid() is not None
            if was_running and "modules.conf" in changed:
                log.info("asterisk modules changed; restarting it")
                self.asterisk.stop()
            pid = self.asterisk.start(self.settings.ami_host, self.settings.ami_port)
            if was_running and changed and "modules.conf" not in changed:
                log.info("asterisk config changed; reloading", files=sorted(changed))
                self.asterisk.cli("core reload")
            url = self.database_url(secrets)
            self.start_cel_loader()
            self._end_killed_bench_run(secrets)
        total = time.monotonic() - started
        log.info("sandbox up", seconds=round(total, 1), build_seconds=round(build_s, 1))
        return UpReport(build_s, total, pid, pg_pid, redact_url(url))

    def down(self) -> None:
        host.require_root()
        with self._lock():
            self.cel_loader.stop()
            if self.root.exists():
                self.asterisk.stop()
                with contextlib.suppress(Exception):
                    self.postgres.stop()
                host.kill_all_in_root(self.root)
            host.unmount_all_under(self.root)
        log.info("sandbox down")

    def status(self) -> list[str]:
        built = "complete" if rootfs.is_complete(self.root) else "not built"
        lines = [f"root        {self.root} ({built})"]
        pid = self.asterisk.pid()
        if pid:
            lines.append(
                f"asterisk    running, pid {pid}; AMI {self.settings.ami_host}:"
                f"{self.settings.ami_port}, SIP udp {self.settings.sip_host}:"
                f"{self.settings.sip_port}"
            )
        else:
            lines.append("asterisk    stopped")
        pg = self.postgres.pid()
        lines.append(
            f"postgresql  running, pid {pg}; 127.0.0.1:{self.settings.sandbox_postgres_port}"
            if pg
            else "postgresql  stopped"
        )
        loader = self.cel_loader.pid()
        lines.append(
            f"cel loader  running, pid {loader}; log {self.cel_loader.log_file}"
            if loader
            else "cel loader  stopped"
        )
        mounts = host.mounts_under(self.root) if self.root.exists() else []
        lines.append("mounts      " + (", ".join(map(str, mounts)) if mounts else "none"))
        others = [
            p
            for p in (host.pids_in_root(self.root) if self.root.exists() else [])
            if p not in {pid, pg}
        ]
        if others:
            lines.append(f"other       {len(others)} processes in the root")
        return lines

    # ---- pieces -------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.base.mkdir(parents=True, exist_ok=True)
        with open(self.base / "sandbox.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def ensure_secrets(self) -> dict[str, Any]:
        """Generated once per machine, kept in the state folder (0600), never in the repo."""
        current: dict[str, Any] = {}
        if self.secrets_path.exists():
            current = json.loads(self.secrets_path.read_text())
        wanted = {"ami_service", "ami_publish", "ami_observer", "db_password"}
        wanted.add(DEMO_ADMIN_PASSWORD)  # the demo admin's (hotline demo seed)
        phones = current.setdefault("phones", {})
        pins = current.setdefault("demo_pins", {})
        if not (
            wanted - set(current)
            or set(SANDBOX_EXTENSIONS) - set(phones)
            or set(DEMO_JOB_NUMBERS) - set(pins)
        ):
            return current
        for key in wanted - set(current):
            current[key] = secrets_module.token_urlsafe(24)
        for ext in SANDBOX_EXTENSIONS:
            phones.setdefault(ext, secrets_module.token_urlsafe(18))
        for job_number in DEMO_JOB_NUMBERS:
            pins.setdefault(job_number, f"{secrets_module.randbelow(10**6):06d}")
        self.secrets_path.parent.mkdir(parents=True, exist_ok=True)
        self.secrets_path.parent.chmod(0o700)
        tmp = self.secrets_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(current, indent=2))
        tmp.chmod(0o600)
        os.replace(tmp, self.secrets_path)
        return current

    def manages_postgres(self, secrets: dict[str, Any]) -> bool:
        """Run PostgreSQL only when the settings point at the sandbox's own (or at none)."""
        url = self.settings.database_url
        return not url or url == sandbox_database_url(self.settings, secrets)

    def database_url(self, secrets: dict[str, Any]) -> str:
        return self.settings.database_url or sandbox_database_url(self.settings, secrets)

    def asterisk_conf(self, secrets: dict[str, Any]) -> AsteriskConf:
        s = self.settings
        users = (
            AmiUser(
                s.ami_username,
                secrets["ami_service"],
                SERVICE_READ,
                SERVICE_WRITE,
                "the hotline service: least privilege (asterisk.md §8)",
                only_events=SERVICE_EVENTS,
            ),
            AmiUser(
                PUBLISH_USER,
                secrets["ami_publish"],
                PUBLISH_READ,
                PUBLISH_WRITE,
                "dial-plan publishing only: reload, then dialplan show (asterisk_conf/model.py)",
            ),
            AmiUser(
                OBSERVER_USER,
                secrets["ami_observer"],
                "all",
                "user",
                "sandbox only: tests and benches watch every event through it",
                # all events, VarSet and Newexten too: at bench load a 100 ms stall of
                # the bench's loop would cost it the session
                write_timeout_ms=5000,
            ),
        )
        phones = tuple(DeskPhone(ext, secrets["phones"][ext]) for ext in SANDBOX_EXTENSIONS)
        return AsteriskConf(
            ami_host=s.ami_host,
            ami_port=s.ami_port,
            agi_host=s.agi_host,
            agi_port=s.agi_port,
            ami_users=users,
            sip_host=s.sip_host,
            sip_port=s.sip_port,
            trunk_host=s.trunk_host,
            trunk_port=s.trunk_port,
            entry_number=s.entry_number,
            queue=s.queue,
            ring_timeout_s=s.ring_timeout_s,
            prompts_dir=s.prompts_dir,
            desk_phones=phones,
            cel_spool_dir=s.cel_spool_dir,
            feature_sign_in=s.feature_sign_in,
            feature_sign_out=s.feature_sign_out,
            feature_idle=s.feature_idle,
            feature_busy=s.feature_busy,
            lamps=SANDBOX_JOB_NUMBERS,
            outbound_host=s.outbound_host,
            outbound_port=s.outbound_port,
            hold_reminder_s=s.hold_reminder_s,
            voicemail_max_s=s.voicemail_max_s,
            feature_escalate=s.feature_escalate,
            feature_escalate_in_call=s.feature_escalate_in_call,
            callback_confirm_timeout_s=s.callback_confirm_timeout_s,
            callback_ring_timeout_s=s.callback_ring_timeout_s,
            debug_log=True,
            bench_phones=self.bench_phones,
        )

    def _install_config(self, secrets: dict[str, Any]) -> set[str]:
        """Render into the root's /etc/asterisk, which holds only our files; the changed ones."""
        etc = self.root / "etc/asterisk"
        files = render(self.asterisk_conf(secrets))
        samples = self.root / "etc/asterisk.debian-samples"
        samples.mkdir(exist_ok=True)
        for path in etc.iterdir():
            # folders are left alone (the dial plan's published versions live in one)
            if path.name not in FILES and not path.is_dir():
                shutil.move(str(path), samples / path.name)
        before = {name: _digest(etc / name) for name in FILES}
        gid = root_user(self.root, "asterisk").gid
        write_config(files, etc, gid=gid)
        changed = {name for name in FILES if before[name] != _digest(etc / name)}
        if self._install_plans(gid, secrets):
            changed.add(names.PLANS_DIR)
        if self._install_phones(secrets):
            changed.add(names.PHONES_DIR)
        return changed

    @property
    def cel_spool(self) -> Path:
        """Where Asterisk appends its CEL rows, as this host sees the root."""
        return self.root / self.settings.cel_spool_dir.lstrip("/")

    @property
    def bench_mark(self) -> Path:
        """Where a bench run keeps the highest CEL id before its calls (bench_leftovers)."""
        return self.base / bench_leftovers.MARK_FILE

    def _end_killed_bench_run(self, secrets: dict[str, Any]) -> None:
        """A bench run killed before its clean-up: its calls hung up, its members
        removed, and its CEL rows deleted once the loader (just started) has loaded
        what the spool still held."""
        if not bench_leftovers.killed(self.bench_mark):
            return
        try:
            calls = bench_leftovers.hang_up_all(self.asterisk.cli)
            members, rows = asyncio.run(self._clear_bench_run(secrets))
        except (HotlineError, OSError, asyncpg.PostgresError) as exc:
            # never a failed `up` for it: the mark stays, and the next `up` tries again
            log.warning("a killed bench run not cleared; the next up tries again", error=repr(exc))
            return
        log.info("a killed bench run cleared", calls=calls, members=members, cel_rows=rows)

    async def _clear_bench_run(self, secrets: dict[str, Any]) -> tuple[int, int | None]:
        s = self.settings
        ami = AmiClient(s.ami_host, s.ami_port, s.ami_username, secrets["ami_service"])
        await ami.start()
        try:
            members = await bench_leftovers.remove_members(ami, self.asterisk.cli)
        finally:
            await ami.close()
        url = self.database_url(secrets)
        return members, await bench_leftovers.end(url, self.cel_spool, self.bench_mark, within_s=30)

    def _remove_stale_journals(self, secrets: dict[str, Any]) -> None:
        """The journals of throwaway databases dropped since (throwaway.py)."""
        state = self.base / SANDBOX_STATE
        databases = asyncio.run(throwaway.database_names(self.database_url(secrets)))
        removed = throwaway.remove_stale(state, databases)
        if removed:
            log.info("journals of dropped throwaway databases removed", count=removed)

    def _make_cel_spool(self) -> None:
        """Asterisk's to write in (it makes each new cel.csv), the loader's to empty."""
        asterisk = root_user(self.root, "asterisk")
        self.cel_spool.mkdir(parents=True, exist_ok=True)
        os.chown(self.cel_spool, asterisk.uid, asterisk.gid)
        self.cel_spool.chmod(0o770)

    def start_cel_loader(self) -> int:
        """``hotline cel-load`` on the sandbox's spool and database (started again if it
        runs); its pid."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        env.update(
            DATABASE_URL=self.database_url(self.ensure_secrets()),
            HOTLINE_ASTERISK_ROOT=str(self.root),
            HOTLINE_CEL_SPOOL_DIR=self.settings.cel_spool_dir,
            HOTLINE_CEL_LOAD_EVERY_S=str(self.settings.cel_load_every_s),
            HOTLINE_CEL_SPOOL_KEEP_S=str(self.settings.cel_spool_keep_s),
            HOTLINE_LOG_FORMAT=self.settings.log_format,
        )
        return self.cel_loader.start(env)

    def _install_phones(self, secrets: dict[str, Any]) -> bool:
        """The desk phones admins published (deskphones/), as stored; whether changed."""
        folder = self.root / "etc/asterisk" / names.PHONES_DIR
        wanted = asyncio.run(stored_phone_files(self.database_url(secrets)))
        if read_files(folder) == wanted:
            return False
        write_files(folder, wanted)
        return True

    @property
    def plans_dir(self) -> Path:
        """Where the publisher writes compiled plans, as this host sees the root."""
        return self.root / "etc/asterisk" / names.PLANS_DIR

    def _install_plans(self, gid: int, secrets: dict[str, Any]) -> bool:
        """The dial plan Asterisk starts with: the live version and those kept with it
        from the database (the default plan while none was published), the entry numbers
        and the calendar, compiled into ``names.PLANS_DIR``; whether anything changed."""
        wanted = asyncio.run(_live_plan_files(self.database_url(secrets), self.settings))
        if read_folder(self.plans_dir) == wanted:
            return False
        write_folder(self.plans_dir, wanted, gid)
        return True

    def _install_prompts(self) -> None:
        """The default prompts inside the root (``<prompts_dir>/zh/``), made with the
        root's own sox and espeak-ng, again only when missing or their text changed."""
        folder = self.root / self.settings.prompts_dir.lstrip("/")
        library = PromptLibrary(folder, AudioTools(self.root), limits_of(self.settings))
        made = asyncio.run(library.ensure_defaults(default_prompts()))
        if made:
            log.info("prompts generated", count=len(made))

    def reload_plans(self) -> bool:
        """The live plan files again, as these settings compile them (a test switches
        the default plan's greeting so), and Asterisk's dialplan reloaded when they
        changed; whether they did."""
        secrets = self.ensure_secrets()
        gid = root_user(self.root, "asterisk").gid
        with self._lock():
            changed = self._install_plans(gid, secrets)
            if changed:
                self.asterisk.cli("dialplan reload")
        return changed

    def _install_short_greeting(self) -> None:
        """The tests' stand-in greeting (``SHORT_GREETING``): a tone Asterisk plays like
        any prompt; made again only when its length changed."""
        inside = f"{self.settings.prompts_dir}/{names.PROMPT_DEFAULT_LANGUAGE}"
        target = self.root / f"{inside}/{SHORT_GREETING}.wav".lstrip("/")
        stamp = target.with_name(f".{SHORT_GREETING}.seconds")
        wanted = f"{SHORT_GREETING_S:g}"
        if target.exists() and stamp.exists() and stamp.read_text() == wanted:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        host.run(
            [
                "chroot",
                str(self.root),
                *generated_command(
                    f"{inside}/{SHORT_GREETING}.wav", SHORT_GREETING_S, tone_hz=SHORT_GREETING_HZ
                ),
            ],
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
        )
        target.chmod(0o644)
        stamp.write_text(wanted)

    def _install_hold_music(self) -> None:
        """R9: the hold class's folder: ``hold_reminder_s`` of silence, then the reminder
        (the prompt in the default language). Rebuilt only when the length or the
        reminder changed."""
        inside = f"{self.settings.prompts_dir}/{names.HOLD_MOH_CLASS}"
        folder = self.root / inside.lstrip("/")
        folder.mkdir(parents=True, exist_ok=True)
        lang_dir = f"{self.settings.prompts_dir}/{names.PROMPT_DEFAULT_LANGUAGE}"
        (self.root / lang_dir.lstrip("/")).mkdir(parents=True, exist_ok=True)
        # made with the default prompts just before (_install_prompts)
        reminder = self.root / f"{lang_dir}/{names.PROMPT_HOLD_REMINDER}.wav".lstrip("/")
        wait = folder / HOLD_WAIT_FILE
        stamp = folder.with_suffix(".seconds")  # outside: music on hold plays all it finds
        wanted = str(self.settings.hold_reminder_s)
        if not wait.exists() or not stamp.exists() or stamp.read_text() != wanted:
            host.run(
                [
                    "chroot",
                    str(self.root),
                    *generated_command(f"{inside}/{HOLD_WAIT_FILE}", float(wanted)),
                ],
                timeout=60,
                env={"PATH": "/usr/bin:/bin"},
            )
            wait.chmod(0o644)
            stamp.write_text(wanted)
        target = folder / HOLD_REMINDER_FILE
        if not target.exists() or target.read_bytes() != reminder.read_bytes():
            shutil.copyfile(reminder, target)
            target.chmod(0o644)


async def _migrate(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


async def _live_plan_files(database_url: str, settings: Settings) -> dict[str, str]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2, timeout=10)
    try:
        return await live_files(pool, settings, datetime.now(UTC))
    finally:
        await pool.close()


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""
