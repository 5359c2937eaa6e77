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
