# Shared set-up for scripts/demo and scripts/test: host packages and the venv.
# Sourced, not run. Everything here is idempotent and quick the second time.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

require_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "hotline: the sandbox needs root (debootstrap, chroot, mounts); run: sudo $0" >&2
        exit 1
    fi
}

# Host packages a fresh Debian 12 lacks: debootstrap for the sid root, venv for Python,
# and for the browser tests (tests/browser) Debian's chromium, which the playwright
# package drives (never a browser of its own), with CJK fonts so Chinese renders.
setup_host() {
    local missing=()
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
    command -v chroot >/dev/null || missing+=(coreutils)
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing host packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "hotline: needs Python >= 3.11 as python3" >&2; exit 1; }
}

# The venv, reinstalled only when pyproject.toml changed.
setup_venv() {
    local stamp=.venv/.hotline-installed want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing the Python environment (.venv)"
        python3 -m venv .venv
        .venv/bin/pip install -q --upgrade pip
        .venv/bin/pip install -q -e '.[dev]'
        echo "$want" > "$stamp"
    fi
}
