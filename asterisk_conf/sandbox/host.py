"""Host-side facts and actions the sandbox needs: processes, mounts, tools, apt."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from core.errors import SandboxError, SandboxNotRootError, SandboxToolMissingError
from core.logging import get_logger

log = get_logger("sandbox")

# command -> Debian package that provides it on the host
HOST_TOOLS = {
    "debootstrap": "debootstrap",
    "chroot": "coreutils",
    "mount": "mount",
    "umount": "mount",
}


def require_root() -> None:
    if os.geteuid() != 0:
        raise SandboxNotRootError(
            "the sandbox needs root (debootstrap, chroot, mounts): run it with sudo or as root"
        )


def ensure_host_tools() -> None:
    """Install missing host tools with apt when possible, or say which are missing."""
    missing = sorted({pkg for tool, pkg in HOST_TOOLS.items() if shutil.which(tool) is None})
    if not missing:
        return
    if shutil.which("apt-get") is None:
        raise SandboxToolMissingError(
            f"missing host packages {', '.join(missing)} and no apt-get to install them"
        )
    log.info("installing host packages", packages=missing)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SandboxToolMissingError(
                f"could not install {', '.join(missing)} with apt: {result.stderr.strip()[-500:]}"
            )


def run(
    argv: Sequence[str],
    *,
    timeout: float = 600,
    check: bool = True,
    input_text: str | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run a command; on failure raise a SandboxError that shows its last output.

    The program is found on the host's PATH even when ``env`` (meant for what runs
    inside the root) carries another one.
    """
    program = shutil.which(argv[0]) or argv[0]
    argv = [program, *argv[1:]]
    try:
        result = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            input=input_text,
            env=env,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise SandboxError(f"{argv[0]} took more than {timeout:.0f} s: {' '.join(argv)}") from exc
    except FileNotFoundError as exc:
        raise SandboxToolMissingError(f"{argv[0]} is not installed") from exc
    if check and result.returncode != 0:
        tail = (result.stderr or result.stdout).strip()[-1500:]
        raise SandboxError(f"{' '.join(argv[:4])} … failed ({result.returncode}): {tail}")
    return result.stdout


# ---- mounts -------------------------------------------------------------------


def _unescape_mount_path(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def mounts_under(path: Path) -> list[Path]:
    """Mount points at or below ``path``, deepest first (the order to unmount them)."""
    prefix = str(path.resolve())
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        for line in fh:
            mount_point = _unescape_mount_path(line.split()[4])
            if mount_point == prefix or mount_point.startswith(prefix + "/"):
                found.append(Path(mount_point))
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def is_mounted(path: Path) -> bool:
    return path.resolve() in {m.resolve() for m in mounts_under(path)}


def unmount_all_under(path: Path) -> None:
    """Unmount everything below ``path``; refuse to go on if anything stays mounted."""
    for _ in range(3):
        points = mounts_under(path)
        if not points:
            return
        for point in points:
            run(["umount", str(point)], check=False)
        for point in mounts_under(path):
            run(["umount", "--lazy", str(point)], check=False)
    left = mounts_under(path)
    if left:
        raise SandboxError(f"cannot unmount {', '.join(map(str, left))}; stop what uses them")


def remove_tree_safely(path: Path) -> None:
    """Delete a root that may still hold bind mounts: unmount first, never cross a mount."""
    if not path.exists():
        return
    unmount_all_under(path)
    run(["rm", "-rf", "--one-file-system", "--", str(path)])


# ---- processes ---------------------------------------------------------------


def _pids() -> Iterator[int]:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            yield int(entry.name)


def process_root(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/root")
    except OSError:
        return None


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def pids_in_root(root: Path) -> list[int]:
    """Every process whose file-system root is ``root`` (the chroot's processes)."""
    target = str(root.resolve())
    return [pid for pid in _pids() if pid != os.getpid() and process_root(pid) == target]


def pid_alive_in_root(pid: int, root: Path, name: str) -> bool:
    return process_root(pid) == str(root.resolve()) and process_name(pid) == name


def kill_all_in_root(root: Path, grace_s: float = 5.0) -> None:
    """SIGTERM every process in the root, then SIGKILL what is left after ``grace_s``."""
    pids = pids_in_root(root)
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while pids_in_root(root) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids_in_root(root):
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + grace_s
    while pids_in_root(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pids_in_root(root):
        raise SandboxError(f"processes survive SIGKILL in {root}: {pids_in_root(root)}")


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


# ---- the Debian mirror ---------------------------------------------------------


def debian_mirror_from_host(
    sources_list: Path = Path("/etc/apt/sources.list"),
    sources_dir: Path = Path("/etc/apt/sources.list.d"),
) -> str:
    """The host's own Debian mirror (never written into the repo: read at run time)."""
    candidates: list[str] = []
    if sources_list.exists():
        for line in sources_list.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb":
                uri = next((p for p in parts[1:] if not p.startswith("[")), "")
                candidates.append(uri)
    if sources_dir.is_dir():
        for path in sorted(sources_dir.glob("*.sources")):
            for stanza in path.read_text().split("\n\n"):
                fields = _deb822(stanza)
                if "deb" in fields.get("types", "").split():
                    candidates.extend(fields.get("uris", "").split())
    for uri in candidates:
        if uri.rstrip("/").endswith("/debian"):
            return uri.rstrip("/")
    raise SandboxError(
        "no Debian mirror in the host's apt sources; set HOTLINE_SANDBOX_MIRROR to one"
    )


def _deb822(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in stanza.splitlines():
        if line.startswith("#") or ":" not in line or line[:1].isspace():
            continue
        key, value = line.split(":", 1)
        fields[key.strip().lower()] = value.strip()
    return fields
