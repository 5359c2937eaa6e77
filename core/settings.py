"""The one settings object, read once by the composition root and passed down.

Sources, later ones winning:
1. the defaults below (design.md "Defaults");
2. a TOML file named by ``HOTLINE_CONFIG`` (flat keys, the field names below);
3. environment variables ``HOTLINE_<FIELD>`` (upper case) and ``DATABASE_URL``;
4. for the AMI secret and the database URL only, when still unset: the sandbox's
   generated secrets in ``<sandbox_dir>/state/secrets.json``.

Nothing else in the project reads the environment.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError

ENV_PREFIX = "HOTLINE_"
SANDBOX_STATE = Path("state")  # the sandbox's state folder, under sandbox_dir
SECRETS_FILE = SANDBOX_STATE / "secrets.json"
SANDBOX_ROOT = "sid-root"  # the sandbox's Debian root, under sandbox_dir


@dataclass(frozen=True)
class Settings:
    # HTTP (aiohttp): pages, JSON API, /healthz
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # AMI: the service's least-privilege user (asterisk.md §8)
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "hotline"
    ami_secret: str = field(default="", repr=False)
    ami_action_timeout_s: float = 5.0
    # publishing dial plans (issue 10): a user of its own that may reload the dialplan
    ami_publish_username: str = "hotline-publish"
    ami_publish_secret: str = field(default="", repr=False)
    # Asterisk's config folder, in Asterisk's file system (compiled plans go to
    # <asterisk_config_dir>/hotline-plans, seen from here under asterisk_root)
    asterisk_config_dir: str = "/etc/asterisk"
    # FastAGI: the desk phone's sign-in (the PIN never crosses AMI); only Asterisk's
    # address (ami_host) may connect
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    # Signing in: PIN checks run on one worker thread; past this many waiting, refused
    sign_in_pending_max: int = 8
    # Lockout after wrong PINs, per job number *and* phone or client address
    sign_in_max_failures: int = 5
    sign_in_failure_window_s: int = 900
    sign_in_lockout_s: int = 900
    # Supervisors' and admins' passwords: argon2id's cost (RFC 9106's low-memory choice:
    # about 0.2 s and 64 MiB a hash); a stored hash with other values is re-hashed at the
    # next good sign-in. Tests lower them.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4
    # The desk phones' extensions an agent may be given ("2001-2010,3001"); empty: any digits
    desk_phones: str = ""
    # The extensions an admin may add desk phones at (/admin/phones), published to
    # Asterisk; never one of desk_phones (those are the rendered pjsip.conf's own)
    published_phones: str = "3001-3999"
    # Hot desking: an agent signs in at any desk phone (*11 there, or naming it on the
    # web) and its queue member rings that phone for the session; false: only at the
    # agent's own (home) extension, as a centre with fixed seats may want
    hot_desking: bool = True
    # BLF lamps: desk phones' BLF keys on the hint agent<job> show the agent's state: the
    # service sets Custom:agent<job> for wrap-up, idle, busy and signed out (2 a call),
    # and the hint holds the session's desk phone, whose ringing and in use Asterisk
    # shows itself (agent_state/hints.py). Off where no phone watches them: each change
    # costs Asterisk a walk of every queue member (app_queue; README "Capacity")
    blf_lamps: bool = True
    # how often (s) the service looks whether a dialplan reload wiped the lamps' hints
    # (one ExtensionState), and puts them back if so
    lamp_hints_check_s: float = 5.0
    # glibc's malloc_trim this often (s; 0: never): free pages back to the kernel, or
    # RSS creeps up under load (README "Capacity", the soak)
    memory_trim_s: float = 60.0
    # PostgreSQL
    database_url: str = field(default="", repr=False)
    # SIP as Asterisk listens for it
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    trunk_host: str = "127.0.0.1"
    trunk_port: int = 5061
    # the outbound trunk (departments R11b, callbacks): where Asterisk sends those calls
    outbound_host: str = "127.0.0.1"
    outbound_port: int = 5062
    # Calls
    queue: str = "12333"
    entry_number: str = "12333"
    ring_timeout_s: int = 10  # R3: about two ring cycles (China: 1 s on, 4 s off)
    wrap_up_s: int = 30  # R4
    hold_reminder_s: int = 30  # R9: a caller on hold hears the reminder this often
    voicemail_max_s: int = 120  # a caller's message for a callback is cut at this length
    # Callbacks (issue 11; R11a, R12, R13)
    # false: this service takes callbacks in and serves their API but calls nobody back
    # (a centre working its callbacks by hand for a while; the tests of other things)
    callback_dispatch: bool = True
    # nobody idle took a callback, or the agent did not confirm: offered again this
    # much later (never counted against the citizen)
    callback_no_agent_retry_s: int = 60
    # a dispatcher's claim on a callback lasts this long unless renewed (it is renewed
    # while the attempt's channel lives), so only a crash between claim and call is redone
    callback_lease_s: float = 60.0
    callback_poll_s: float = 5.0  # the fallback when no NOTIFY comes
    # callbacks waiting in the queue at once (each holds a Local channel; inbound first)
    callback_max_waiting: int = 2
    # a callback with an owner is offered only to them this long from when it was due,
    # then to anyone
    callback_owner_wait_s: float = 600.0
    # the agent confirms (a key, or the API) within this long, or the attempt ends
    callback_confirm_timeout_s: int = 30
    callback_ring_timeout_s: int = 30  # the citizen's phone rings this long
    # retries: attempts in all, and the spacing between them (only in working hours)
    callback_attempts: int = 3
    callback_retry_spacing_s: int = 1800
    # numbers a callback may call: mainland mobiles and landlines; international too if set
    callback_allow_international: bool = False
    # an escalation's default due time: the end of this many working days after today's
    callback_due_working_days: int = 1
    # per call category, its own working days ("建议投诉=5,劳动关系=2"); others: the above
    callback_due_days_by_category: str = ""
    # the centre's name in the R12 callback script the agent reads: 「您好,这里是<name>,…」
    centre_name: str = "12333人力资源和社会保障服务热线"
    # where Asterisk keeps the callers' messages (Asterisk's file system, under
    # asterisk_root): <voicemail_spool_dir>/<context>/<box>/INBOX/msgNNNN.{wav,txt}
    voicemail_spool_dir: str = "/var/spool/asterisk/voicemail"
    # a closed callback's voicemail message is removed from the spool (AMI VoicemailRemove)
    # this many days after it closed; 0: messages are kept for ever (no sweep)
    callback_voicemail_retention_days: int = 90
    # desk-phone feature code to escalate the call just ended (R11a); during a call the
    # agent presses feature_escalate_in_call
    feature_escalate: str = "*31"
    feature_escalate_in_call: str = "*5"
    # Agent states, tuning
    # a request to leave idle waits this long for Asterisk's confirmation before the API
    # answers with the agent as it then is (ringing, busy pending …)
    confirm_wait_s: float = 1.0
    # when the caller hangs up first, app_queue's AgentComplete comes a few ms before the
    # dialplan's R4 pause: the service waits this long for it before pausing the member
    # itself (0: at once — a second pause, a walk of every queue member, README "Capacity")
    wrap_up_pause_wait_s: float = 0.3
    # on SIGTERM (or a step-down) each part of the service gets this long to stop; one
    # that takes longer is logged with where its tasks wait and left (hotline/waits.py)
    stop_timeout_s: float = 10.0
    # a phone a reconcile saw UNAVAILABLE is lost only if it still is this much later
    # (after an Asterisk restart phones are UNAVAILABLE until their first qualify)
    phone_lost_grace_s: float = 8.0
    # how many of its own recent pause commands per agent the service remembers, to tell
    # their echoes from pauses made behind its back
    echo_memory: int = 8
    # how often the sign-out schedule (R2c) is looked at
    schedule_tick_s: float = 10.0
    # desk-phone feature codes (design.md defaults)
    feature_sign_in: str = "*11"
    feature_sign_out: str = "*12"
    feature_idle: str = "*21"
    feature_busy: str = "*22"
    # Where Asterisk reads our prompts, as a path in Asterisk's own file system
    prompts_dir: str = "/var/lib/hotline/prompts"
    # The centre's working hours, the default plan's time switch (a plan an admin
    # publishes has its own): "mon-fri 09:00-13:00 15:30-19:30; sat 09:00-12:00", or
    # "always" (no time switch: a 24-hour centre; the tests, which must not depend on
    # the hour they run at)
    working_hours: str = "mon-fri 09:00-13:00 15:30-19:30"
    # The prompt the default plan's R6 greeting plays: the standard's greeting. The tests
    # name the sandbox's 2-second stand-in (greeting-short), so that a test call reaches
    # the queue in 2 s, not after the ~10 s greeting; one test plays the real one in full
    greeting_prompt: str = "greeting"
    # Dial plans (issue 10): besides the live version, this many versions that were live
    # before stay loaded, so a caller mid-menu finishes in the version they began in
    dialplan_keep_versions: int = 2
    # the calendar compiled with a publish covers yesterday to this many days ahead
    dialplan_calendar_days: int = 400
    # Prompts (issue 10): the service writes <prompts_dir>/<language>/<name>.wav itself,
    # so it runs where Asterisk's files are. asterisk_root is where Asterisk's file
    # system appears on this host: / on the same host, a shared mount's point, or (filled
    # in when a sandbox is set up here) the sandbox's root. audio_tools_in_root runs sox
    # and espeak-ng chrooted into asterisk_root (the sandbox has them; the host need not).
    asterisk_root: Path = Path("/")
    audio_tools_in_root: bool = False
    prompt_max_bytes: int = 10_000_000  # an upload, as sent: refused (413) past this
    prompt_min_s: float = 0.2  # a prompt's duration after conversion
    prompt_max_s: float = 120.0
    prompt_silence_dbfs: float = -50.0  # a recording whose peak stays below is silence
    # The development sandbox
    sandbox_dir: Path = Path("/var/cache/hotline")
    sandbox_mirror: str = ""  # empty: taken from the host's apt sources at run time
    sandbox_postgres_port: int = 5433
    # Staffing advice (reports/, Erlang C): agents enough for this share of callers
    # answered within staffing_answer_s of joining the queue (15 秒接通率 ≥ 90 %)
    staffing_target: float = 0.9
    staffing_answer_s: float = 15.0
    # Calendar days (reports, date filters) are the centre's local days
    timezone: str = "Asia/Shanghai"
    # CEL: Asterisk appends its rows to <cel_spool_dir>/cel.csv (Asterisk's file system,
    # under asterisk_root); the loader (``hotline cel-load``, beside Asterisk) moves the
    # file aside every cel_load_every_s and COPYs it into the cel table, and keeps a
    # loaded file cel_spool_keep_s (a late write to it is still loaded) before deleting it
    cel_spool_dir: str = "/var/spool/asterisk/hotline-cel"
    cel_load_every_s: float = 0.5
    cel_spool_keep_s: float = 60.0
    # Call records: how often and how far back the CEL backfill looks
    backfill_every_s: float = 60.0
    backfill_days: int = 7
    backfill_batch: int = 100  # calls rebuilt per page (a page is folded without a pause)
    backfill_grace_s: float = 15.0
    # Retention (retention/): CEL by whole calls, the agent-state and sign-in audit by
    # row, hourly; 0 keeps for ever. CEL must outlive backfill_days.
    cel_retention_days: int = 90
    audit_retention_days: int = 730  # a finished call is the live recorder's for this long
    # The agents' live stream (server-sent events)
    sse_keepalive_s: float = 15.0  # a comment line this often keeps proxies from closing it
    sse_queue_size: int = 1000  # changes a client may lag behind before it is cut off
    # The pages' session cookie is sent only over HTTPS when true: set it when the pages
    # are served (through a proxy) over HTTPS; false suits the loopback default
    page_cookie_secure: bool = False
    # The journal (issue 9): writes that wait for PostgreSQL while it is away, in a SQLite
    # file under state_dir (the sandbox's state folder when the sandbox is set up here),
    # or at journal_path; replayed with a backoff from first_s doubling up to max_s
    state_dir: Path = Path("/var/lib/hotline")
    journal_path: str = ""
    journal_retry_first_s: float = 0.5
    journal_retry_max_s: float = 5.0
    # Logs: "auto" = console on a terminal, JSON otherwise
    log_format: str = "auto"
    log_level: str = "info"

    @property
    def database_url_redacted(self) -> str:
        """The database URL without its password, for logs and status output."""
        return redact_url(self.database_url)

    @property
    def journal_file(self) -> Path:
        """``journal_path``, else one file per database under ``state_dir``: a journal
        is replayed only into the database it was written for."""
        if self.journal_path:
            return Path(self.journal_path)
        where = redact_url(self.database_url)
        name = where.rsplit("/", 1)[-1].split("?", 1)[0] or "db"
        tag = zlib.crc32(where.encode()) & 0xFFFF_FFFF
        return self.state_dir / f"{JOURNAL_PREFIX}{name}-{tag:08x}{JOURNAL_SUFFIX}"


JOURNAL_PREFIX = "journal-"
JOURNAL_SUFFIX = ".sqlite3"


def journal_database(path: Path) -> str | None:
    """The database a journal under ``state_dir`` was written for (its name, as in
    ``Settings.journal_file``); None for a file that is no such journal."""
    file = path.name
    if not (file.startswith(JOURNAL_PREFIX) and file.endswith(JOURNAL_SUFFIX)):
        return None
    name, _, tag = file[len(JOURNAL_PREFIX) : -len(JOURNAL_SUFFIX)].rpartition("-")
    return name if name and len(tag) == 8 else None


def redact_url(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def _coerce(name: str, raw: Any, target: Any) -> Any:
    try:
        if isinstance(target, bool):
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(target, int):
            return int(raw)
        if isinstance(target, float):
            number = float(raw)
            if not math.isfinite(number):  # "nan", "inf": no duration or share is either
                raise ConfigError(f"setting {name}={raw!r} should be a finite number")
            return number
        if isinstance(target, Path):
            return Path(str(raw))
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}={raw!r} should be a {type(target).__name__}") from exc


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build the settings from ``environ`` (usually ``os.environ``) and the files it names."""
    defaults = Settings()
    names = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}

    config_path = environ.get(ENV_PREFIX + "CONFIG")
    if config_path:
        try:
            data = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read HOTLINE_CONFIG={config_path}: {exc}") from exc
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"unknown settings in {config_path}: {', '.join(unknown)}")
        values.update(data)

    for name in names:
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ:
            values[name] = environ[env_name]
    if environ.get("DATABASE_URL"):
        values["database_url"] = environ["DATABASE_URL"]

    coerced = {k: _coerce(k, v, getattr(defaults, k)) for k, v in values.items()}
    settings = dataclasses.replace(defaults, **coerced)
    if "state_dir" not in coerced and (settings.sandbox_dir / SECRETS_FILE).is_file():
        # development: the sandbox's state folder, next to its secrets
        settings = dataclasses.replace(settings, state_dir=settings.sandbox_dir / SANDBOX_STATE)
    if "asterisk_root" not in coerced and (settings.sandbox_dir / SECRETS_FILE).is_file():
        # development: Asterisk and the audio tools live in the sandbox's root
        settings = dataclasses.replace(
            settings,
            asterisk_root=settings.sandbox_dir / SANDBOX_ROOT,
            audio_tools_in_root=coerced.get("audio_tools_in_root", True),
        )
    return _fill_from_sandbox(settings)


def sandbox_secrets(sandbox_dir: Path) -> dict[str, Any]:
    """The sandbox's generated secrets, or ``{}`` when no sandbox was set up here."""
    path = sandbox_dir / SECRETS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the sandbox secrets {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} does not hold a JSON object")
    return data


def sandbox_database_url(settings: Settings, secrets: Mapping[str, Any]) -> str:
    password = secrets["db_password"]
    return f"postgresql://hotline:{password}@127.0.0.1:{settings.sandbox_postgres_port}/hotline"


def _fill_from_sandbox(settings: Settings) -> Settings:
    if settings.ami_secret and settings.ami_publish_secret and settings.database_url:
        return settings
    secrets = sandbox_secrets(settings.sandbox_dir)
    if not secrets:
        return settings
    changes: dict[str, Any] = {}
    if not settings.ami_secret and settings.ami_username == "hotline":
        changes["ami_secret"] = secrets.get("ami_service", "")
    if not settings.ami_publish_secret and settings.ami_publish_username == "hotline-publish":
        changes["ami_publish_secret"] = secrets.get("ami_publish", "")
    if not settings.database_url and "db_password" in secrets:
        changes["database_url"] = sandbox_database_url(settings, secrets)
    return dataclasses.replace(settings, **changes)
