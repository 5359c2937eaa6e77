"""Build the Debian sid root once and keep it cached outside the checkout.

Safety rules (design.md "Building the root safely"):
- package scripts may not start services inside the root (``policy-rc.d`` exits 101);
- the "complete" marker is written last, and names the recipe it was built from;
- a root without a matching marker is half-built or stale: everything mounted under
  it is unmounted first, then it is deleted with ``rm --one-file-system``.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

from asterisk_conf.sandbox import host
from core.errors import SandboxError
from core.logging import get_logger

log = get_logger("sandbox")

SUITE = "sid"
PACKAGES = (
    "asterisk",
    "asterisk-core-sounds-en",
    "asterisk-moh-opsound-wav",
    "sip-tester",
    "espeak-ng",
    "sox",
    "postgresql",
)
# Packages added after roots were built: installed into an existing root in place
# (``ensure_added_packages``) rather than by rebuilding it, and with PACKAGES into a
# new one. sox reads mp3 uploads through libsox-fmt-mp3 (in sid a transitional name
# for the sox-ng library, which already decodes mp3 and Ogg Vorbis).
ADDED_PACKAGES = ("libsox-fmt-mp3",)
# Bump when the build steps change in a way the package list does not show.
RECIPE_VERSION = 1
MARKER = ".hotline-complete"
APT_OPTIONS = ("-o", "Acquire::Check-Valid-Until=false", "-o", "Acquire::Retries=3")


def recipe_id() -> str:
    text = f"{RECIPE_VERSION}|{SUITE}|{' '.join(PACKAGES)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_complete(root: Path) -> bool:
    marker = root / MARKER
    try:
        return marker.read_text().strip() == recipe_id()
    except OSError:
        return False


def mount_runtime(root: Path) -> None:
    """``/proc`` and ``/dev`` inside the root; idempotent, private (nothing propagates back)."""
    for target, argv in (
        (root / "proc", ["mount", "-t", "proc", "proc"]),
        (root / "dev", ["mount", "--bind", "/dev"]),
    ):
        if host.is_mounted(target):
            continue
        target.mkdir(parents=True, exist_ok=True)
        host.run([*argv, str(target)])
        host.run(["mount", "--make-private", str(target)], check=False)


_ENV = {
    "DEBIAN_FRONTEND": "noninteractive",
    "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
}


def missing_packages(installed: str, wanted: tuple[str, ...]) -> list[str]:
    """Of ``wanted``, those ``dpkg-query -W -f '${Package} ${Status}\\n'`` does not
    list as installed."""
    ok = {
        line.split()[0].split(":")[0]
        for line in installed.splitlines()
        if line.split() and line.endswith("install ok installed")
    }
    return [p for p in wanted if p not in ok]


def ensure_added_packages(root: Path) -> list[str]:
    """Install ``ADDED_PACKAGES`` missing from a complete root; the ones installed."""
    query = host.run(
        ["chroot", str(root), "dpkg-query", "-W", "-f", "${Package} ${Status}\n"],
        env=_ENV,
        check=False,
    )
    missing = missing_packages(query, ADDED_PACKAGES)
    if not missing:
        return []
    log.info("apt install into the existing root", packages=missing)
    for argv in (
        ["apt-get", *APT_OPTIONS, "update", "-qq"],
        ["apt-get", *APT_OPTIONS, "install", "-y", "-qq", "--no-install-recommends", *missing],
    ):
        host.run(["chroot", str(root), *argv], env=_ENV, timeout=900)
    host.run(["chroot", str(root), "apt-get", "clean"], env=_ENV)
    return missing


def ensure_root(root: Path, mirror: str) -> float:
    """Make sure a complete root exists; return the seconds spent building (0 if cached)."""
    if is_complete(root):
        return 0.0
    started = time.monotonic()
    if root.exists():
        log.warning("sandbox root is half-built or stale; rebuilding it", root=str(root))
        host.kill_all_in_root(root)
        host.remove_tree_safely(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    log.info("debootstrap", suite=SUITE, root=str(root))
    host.run(["debootstrap", "--variant=minbase", SUITE, str(root), mirror], timeout=1200)
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text(
        "#!/bin/sh\n# hotline sandbox: package scripts never start services\nexit 101\n"
    )
    policy.chmod(0o755)
    shutil.copyfile("/etc/resolv.conf", root / "etc/resolv.conf")
    mount_runtime(root)
    env = {
        "DEBIAN_FRONTEND": "noninteractive",
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
    }
    log.info("apt install", packages=list(PACKAGES))
    host.run(["chroot", str(root), "apt-get", *APT_OPTIONS, "update", "-qq"], env=env, timeout=900)
    host.run(
        [
            "chroot",
            str(root),
            "apt-get",
            *APT_OPTIONS,
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            *PACKAGES,
            *ADDED_PACKAGES,
        ],
        env=env,
        timeout=1800,
    )
    host.run(["chroot", str(root), "apt-get", "clean"], env=env)
    if not (root / "usr/sbin/asterisk").exists():
        raise SandboxError("apt finished but /usr/sbin/asterisk is missing in the root")
    (root / MARKER).write_text(recipe_id() + "\n")  # last: the root is complete
    elapsed = time.monotonic() - started
    log.info("sandbox root built", seconds=round(elapsed, 1))
    return elapsed
