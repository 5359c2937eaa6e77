"""Asterisk and PostgreSQL running inside the sandbox root, and the CEL loader beside them.

Asterisk and PostgreSQL are started through ``chroot``; they are ordinary host processes
whose root is the sandbox root, so ``host.pids_in_root`` finds them and nothing else.  A
killed sandbox leaves pid files, control sockets and lock files behind: each ``start``
checks them against the live processes and removes what is stale. The CEL loader
(``hotline cel-load``) is a host process of the checkout's own code, as in production
it runs beside Asterisk, not inside the service.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from asterisk_conf.sandbox import host
from core import safety
from core.errors import SandboxError
from core.logging import get_logger

log = get_logger("sandbox")


@dataclass(frozen=True)
class RootUser:
    uid: int
    gid: int


def root_user(root: Path, name: str) -> RootUser:
    """Numeric ids of a user of the root (they need not match the host's)."""
    for line in (root / "etc/passwd").read_text().splitlines():
        parts = line.split(":")
        if parts[0] == name:
            return RootUser(int(parts[2]), int(parts[3]))
    raise SandboxError(f"user {name} does not exist in the sandbox root")


def _own_dir(path: Path, user: RootUser, mode: int = 0o755) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, user.uid, user.gid)
    path.chmod(mode)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def ami_answers(host_addr: str, port: int, timeout: float = 2.0) -> bool:
    """True when an AMI banner comes back from ``host_addr:port``."""
    try:
        with socket.create_connection((host_addr, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64).startswith(b"Asterisk Call Manager")
    except OSError:
        return False


class AsteriskService:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.run_dir = root / "run/asterisk"
        self.pid_file = self.run_dir / "asterisk.pid"

    def pid(self) -> int | None:
        pid = _read_pid(self.pid_file)
        if pid is not None and host.pid_alive_in_root(pid, self.root, "asterisk"):
            return pid
        return None

    def cli(self, command: str, timeout: float = 30) -> str:
        return host.run(["chroot", str(self.root), "asterisk", "-rx", command], timeout=timeout)

    def _clear_stale(self) -> None:
        for name in ("asterisk.pid", "asterisk.ctl"):
            (self.run_dir / name).unlink(missing_ok=True)

    def start(self, ami_host: str, ami_port: int, timeout: float = 60) -> int:
        pid = self.pid()
        if pid is not None:
            return pid
        stray = [p for p in host.pids_in_root(self.root) if host.process_name(p) == "asterisk"]
        if stray:
            raise SandboxError(f"an asterisk without a pid file runs in the root: {stray}")
        if ami_answers(ami_host, ami_port, timeout=0.5):
            raise SandboxError(
                f"something outside the sandbox already answers AMI on {ami_host}:{ami_port}"
            )
        self._clear_stale()
        user = root_user(self.root, "asterisk")
        _own_dir(self.run_dir, user, 0o775)
        log.info("starting asterisk")
        host.run(["chroot", str(self.root), "/usr/sbin/asterisk", "-n"], timeout=30)
        self.wait_ready(ami_host, ami_port, timeout)
        pid = self.pid()
        if pid is None:
            raise SandboxError("asterisk started but wrote no pid file")
        return pid

    def wait_ready(self, ami_host: str, ami_port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self.run_dir / "asterisk.ctl").exists():
                out = host.run(
                    ["chroot", str(self.root), "asterisk", "-rx", "core waitfullybooted"],
                    timeout=timeout,
                    check=False,
                )
                if "fully booted" in out.lower() and ami_answers(ami_host, ami_port):
                    return
            time.sleep(0.2)
        messages = self.root / "var/log/asterisk/messages.log"
        tail = messages.read_text(errors="replace")[-1500:] if messages.exists() else ""
        raise SandboxError(f"asterisk did not become ready within {timeout:.0f} s\n{tail}")

    def stop(self, timeout: float = 15) -> None:
        pid = self.pid()
        if pid is None:
            self._clear_stale()
            return
        host.run(
            ["chroot", str(self.root), "asterisk", "-rx", "core stop now"],
            timeout=timeout,
            check=False,
        )
        deadline = time.monotonic() + timeout
        while self.pid() is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        self._clear_stale()


class PostgresService:
    """PostgreSQL from the root, on loopback, with its data inside the root."""

    data_dir = "/var/lib/hotline/pgdata"
    socket_dir = "/run/hotline-pg"
    log_file = "/var/lib/hotline/postgresql.log"

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port

    def _bin(self, name: str) -> str:
        versions = sorted(
            (p for p in (self.root / "usr/lib/postgresql").glob("*/bin") if p.is_dir()),
            key=lambda p: int(p.parent.name),
        )
        if not versions:
            raise SandboxError("no PostgreSQL in the sandbox root")
        return "/" + str((versions[-1] / name).relative_to(self.root))

    def _as_postgres(self, *argv: str, input_text: str | None = None, timeout: float = 60) -> str:
        user = root_user(self.root, "postgres")
        return host.run(
            ["chroot", f"--userspec={user.uid}:{user.gid}", str(self.root), *argv],
            input_text=input_text,
            timeout=timeout,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/var/lib/postgresql"},
        )

    def pid(self) -> int | None:
        pid = _read_pid(self.root / self.data_dir.lstrip("/") / "postmaster.pid")
        if pid is not None and host.pid_alive_in_root(pid, self.root, "postgres"):
            return pid
        return None

    def _clear_stale(self) -> None:
        (self.root / self.data_dir.lstrip("/") / "postmaster.pid").unlink(missing_ok=True)
        for lock in (self.root / self.socket_dir.lstrip("/")).glob(".s.PGSQL.*"):
            lock.unlink(missing_ok=True)

    def _initdb(self, user: RootUser) -> None:
        data = self.root / self.data_dir.lstrip("/")
        if (data / "PG_VERSION").exists():
            return
        if data.exists():  # a half-made cluster from an interrupted run
            host.run(["rm", "-rf", "--one-file-system", "--", str(data)])
        _own_dir(data, user, 0o700)
        log.info("initdb", data_dir=self.data_dir)
        self._as_postgres(
            self._bin("initdb"),
            "-D",
            self.data_dir,
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=peer",
            "--auth-host=scram-sha-256",
            timeout=120,
        )

    def start(self) -> int:
        user = root_user(self.root, "postgres")
        _own_dir(self.root / "var/lib/hotline", user, 0o755)
        _own_dir(self.root / self.socket_dir.lstrip("/"), user, 0o775)
        self._initdb(user)
        pid = self.pid()
        if pid is not None:
            return pid
        self._clear_stale()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.socket_dir} "
            "-c dynamic_shared_memory_type=mmap -c max_connections=200"
        )
        log.info("starting postgresql", port=self.port)
        self._as_postgres(
            self._bin("pg_ctl"),
            "-D",
            self.data_dir,
            "-l",
            self.log_file,
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            timeout=90,
        )
        pid = self.pid()
        if pid is None:
            raise SandboxError("postgresql started but its pid file names no live process")
        return pid

    def ensure_database(self, password: str) -> None:
        """The ``hotline`` role (may create databases, for tests) and its database."""
        safety.secret("database password", password)
        sql = (
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hotline') THEN "  # noqa: S608 - the one value, the password, passed the whitelist above
            "CREATE ROLE hotline LOGIN CREATEDB; END IF; END $$;\n"
            f"ALTER ROLE hotline PASSWORD '{password}';\n"
            "SELECT 'CREATE DATABASE hotline OWNER hotline' WHERE NOT EXISTS "
            "(SELECT FROM pg_database WHERE datname = 'hotline')\\gexec\n"
        )
        self._as_postgres(
            self._bin("psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            self.socket_dir,
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-f",
            "-",
            input_text=sql,
        )

    def stop(self) -> None:
        if self.pid() is None:
            self._clear_stale()
            return
        self._as_postgres(
            self._bin("pg_ctl"),
            "-D",
            self.data_dir,
            "-m",
            "fast",
            "-w",
            "-t",
            "30",
            "stop",
            timeout=45,
        )


class CelLoaderService:
    """``hotline cel-load`` for the sandbox: started (again) by every ``sandbox up``, so
    it runs the checkout's current code; its log is ``cel-loader.log`` in the state folder."""

    LOG_KEEP_BYTES = 10 << 20

    def __init__(self, base: Path, root: Path) -> None:
        self.pid_file = base / "cel-loader.pid"
        self.log_file = base / "cel-loader.log"
        self.root = root
        self._process: subprocess.Popen[bytes] | None = None

    def pid(self) -> int | None:
        pid = _read_pid(self.pid_file)
        return pid if pid is not None and pid in self.running() else None

    def running(self) -> list[int]:
        """Every live ``hotline cel-load`` on this sandbox's root (its environment says
        which): the one in the pid file, and any a killed ``up`` left behind."""
        marker = f"HOTLINE_ASTERISK_ROOT={self.root}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
                if b"hotline.cli\0cel-load" not in cmdline:
                    continue
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:  # gone meanwhile
                continue
        return found

    def start(self, env: dict[str, str]) -> int:
        self.stop()
        if self.log_file.exists() and self.log_file.stat().st_size > self.LOG_KEEP_BYTES:
            self.log_file.replace(self.log_file.with_suffix(".log.1"))
        with open(self.log_file, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", "cel-load"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives the command that started it
                cwd=Path(__file__).resolve().parents[2],
            )
        self._process = process  # held: a child still running is no resource to warn about
        self.pid_file.write_text(f"{process.pid}\n")
        self._stop(self.running(), keep=process.pid)  # one still starting when stop() looked
        log.info("cel loader started", pid=process.pid, log=str(self.log_file))
        return process.pid

    def stop(self, timeout: float = 10) -> None:
        """Every loader of this root stopped (SIGTERM, then SIGKILL after ``timeout``)."""
        self._stop(self.running(), timeout=timeout)
        self.pid_file.unlink(missing_ok=True)

    def _stop(self, found: list[int], *, keep: int | None = None, timeout: float = 10) -> None:
        pids = [pid for pid in found if pid != keep]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while (left := [p for p in self.running() if p in pids]) and time.monotonic() < deadline:
            for pid in left:
                _reap(pid)
            time.sleep(0.05)
        for pid in [p for p in self.running() if p in pids]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _reap(pid)


def _reap(pid: int) -> None:
    """Collect a child of this process that ended (else it stays a zombie, still "alive")."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
