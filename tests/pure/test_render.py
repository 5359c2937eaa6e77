"""The Asterisk config renderer: golden files, and refusal of unsafe values.

Regenerate the golden files after an intended change with
``HOTLINE_UPDATE_GOLDEN=1 pytest tests/pure/test_render.py`` and review the diff.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from ami.events import STREAMED_NAMES
from asterisk_conf.model import (
    SERVICE_EVENTS,
    SERVICE_READ,
    SERVICE_WRITE,
    AmiUser,
    AsteriskConf,
    DeskPhone,
)
from asterisk_conf.render import FILES, render
from asterisk_conf.sandbox.sandbox import OBSERVER_USER, SANDBOX_EXTENSIONS, Sandbox
from core import names
from core.errors import UnsafeValueError
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = Path(__file__).parent.parent / "golden" / "asterisk"

CONF = AsteriskConf(
    ami_host="127.0.0.1",
    ami_port=5038,
    ami_users=(
        AmiUser(
            "hotline",
            "service-secret-0123456789",
            SERVICE_READ,
            SERVICE_WRITE,
            "the hotline service",
            only_events=SERVICE_EVENTS,
        ),
        AmiUser(
            "hotline-publish",
            "publish-secret-0123456789",
            "system",
            "command",
            "dial-plan publishing only",
        ),
    ),
    sip_host="127.0.0.1",
    sip_port=5060,
    trunk_host="127.0.0.1",
    trunk_port=5061,
    entry_number="12333",
    queue="12333",
    ring_timeout_s=10,
    prompts_dir="/var/lib/hotline/prompts",
    lamps=("1001", "1002"),
    desk_phones=(
        DeskPhone("2001", "phone-2001-password"),
        DeskPhone("2002", "phone-2002-password"),
    ),
)


@pytest.mark.parametrize("name", FILES)
def test_rendered_file_matches_golden(name: str) -> None:
    text = render(CONF)[name]
    golden = GOLDEN / name
    if os.environ.get("HOTLINE_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        pytest.skip(f"golden {name} written, not compared: review the diff, rerun without it")
    assert text == golden.read_text(encoding="utf-8")


def test_render_is_deterministic() -> None:
    assert render(CONF) == render(dataclasses.replace(CONF))


def test_manager_conf_gives_the_service_least_privilege() -> None:
    manager = render(CONF)["manager.conf"]
    section = manager.split("[hotline]")[1].split("\n[")[0]
    assert "read = agent,call,user,system" in section
    assert "write = agent,call,originate,user" in section
    assert "permit = 127.0.0.1/255.255.255.255" in section
    # only what a handler reads: an include filter each, nothing else (asterisk.md §8's
    # VarSet, Newexten and TestEvent among what is left out)
    filters = [line for line in section.splitlines() if line.startswith("eventfilter")]
    assert filters == [f"eventfilter(action(include),name({e})) =" for e in STREAMED_NAMES]
    assert {"AgentConnect", "QueueCallerJoin", "Hangup", "UserEvent"} <= set(STREAMED_NAMES)
    assert not {"VarSet", "Newexten", "TestEvent", "Newstate"} & set(STREAMED_NAMES)
    assert "timestampevents = yes" in manager


def manager_users(manager_conf: str) -> dict[str, set[str]]:
    """Each AMI user of a rendered manager.conf and its read classes."""
    users: dict[str, set[str]] = {}
    section = ""
    for line in manager_conf.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section != "general" and line.startswith("read = "):
            users[section] = set(line.removeprefix("read = ").split(","))
    return users


def sandbox_conf() -> AsteriskConf:
    """What the sandbox (and a deployment modelled on it) renders, with stand-in secrets."""
    secret = "stand-in-secret-0123456789"
    secrets = {
        "ami_service": secret,
        "ami_publish": secret,
        "ami_observer": secret,
        "phones": dict.fromkeys(SANDBOX_EXTENSIONS, secret),
    }
    return Sandbox(Settings()).asterisk_conf(secrets)


@pytest.mark.parametrize("conf", [CONF, sandbox_conf()], ids=["model", "sandbox"])
def test_no_production_ami_user_reads_dtmf(conf: AsteriskConf) -> None:
    """DTMF events carry every digit a phone keys, a PIN too: only the sandbox's own
    observer may read them."""
    users = manager_users(render(conf)["manager.conf"])
    production = {name: read for name, read in users.items() if name != OBSERVER_USER}
    assert {"hotline", "hotline-publish"} <= production.keys()
    for name, read in production.items():
        assert not read & {"dtmf", "all"}, f"AMI user {name} reads {sorted(read)}"


def test_observer_user_exists_only_when_given() -> None:
    assert "[observer]" not in render(CONF)["manager.conf"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"entry_number": "12333\n[evil]"}, "entry_number"),
        ({"queue": "12333;x"}, "queue"),
        ({"prompts_dir": "/var/lib/${SHELL(id)}"}, "prompts_dir"),
        ({"desk_phones": (DeskPhone("2001,x", "phone-2001-password"),)}, "extension"),
        ({"desk_phones": (DeskPhone("2001", "short"),)}, "password"),
        (
            {
                "desk_phones": (
                    DeskPhone("2001", "phone-2001-password"),
                    DeskPhone("2001", "phone-2001-password"),
                )
            },
            "share",
        ),
        (
            {"ami_users": (AmiUser("hot line", "service-secret-0123456789", "all", "all", "x"),)},
            "ami user",
        ),
        (
            {"ami_users": (AmiUser("hotline", "secret\nwrite=all-0123456", "all", "all", "x"),)},
            "secret",
        ),
        ({"sip_host": "127.0.0.1\n"}, "sip_host"),
        ({"ring_timeout_s": 0}, "ring_timeout_s"),
    ],
)
def test_unsafe_values_are_refused_before_rendering(change: dict[str, object], field: str) -> None:
    with pytest.raises(UnsafeValueError) as caught:
        render(dataclasses.replace(CONF, **change))  # type: ignore[arg-type]
    assert field in str(caught.value)
    assert caught.value.code == "input.unsafe_value"


def test_bench_phones_only_when_asked() -> None:
    """bench/capacity.py and bench/soak.py render bench phones for a run: endpoints with
    a static contact on the one answering SIPp, and members through agents-local; never
    otherwise (the golden files above have none)."""
    files = render(dataclasses.replace(CONF, bench_phones=2, bench_phone_port=5090))
    pjsip, extensions = files["pjsip.conf"], files["extensions.conf"]
    assert "contact = sip:30000@" in pjsip and "contact = sip:30001@" in pjsip
    assert "sip:30002@" not in pjsip
    assert "include => hl-bench-local" in extensions
    assert "[hl-bench-alone]" in extensions
    assert "[hl-bench-answer]" in extensions  # answered in the dialplan unless "sipp"
    plain = render(CONF)
    assert "30000" not in plain["pjsip.conf"] and "hl-bench" not in plain["extensions.conf"]
    with pytest.raises(UnsafeValueError):
        render(dataclasses.replace(CONF, bench_phones=10001))


def test_an_ami_users_write_timeout_is_rendered_only_when_set_and_checked() -> None:
    """The sandbox's observer reads every event: it gets a longer writetimeout than
    Asterisk's 100 ms, so a bench's stalled loop does not cost it the session."""
    watcher = AmiUser("watcher", "w" * 20, "all", "user", "p", write_timeout_ms=5000)
    text = render(dataclasses.replace(CONF, ami_users=(*CONF.ami_users, watcher)))["manager.conf"]
    assert text.count("writetimeout") == 1
    assert "write = user\nwritetimeout = 5000\n" in text
    for bad in (0, 99, 60_001, "5000\nread=all"):
        with pytest.raises(UnsafeValueError):
            render(
                dataclasses.replace(
                    CONF, ami_users=(dataclasses.replace(watcher, write_timeout_ms=bad),)
                )
            )


def test_cel_records_exactly_the_event_types_its_readers_use() -> None:
    """Every event type the CEL readers compare against is recorded (a type read but not
    recorded would rebuild every call wrong), and nothing else is (each row costs
    Asterisk's CEL thread an INSERT)."""
    read = set()
    for module in ("calls/cel.py", "callback/attempts.py"):
        text = (ROOT / module).read_text()
        read |= set(re.findall(r"eventtype\s*(?:==|=)\s*\"([A-Z_]+)\"", text))
    read |= set(re.findall(r"eventtype = '([A-Z_]+)'", (ROOT / "calls/queries.sql").read_text()))
    assert read == set(names.CEL_EVENTS)
    conf = render(dataclasses.replace(CONF, cel_spool_dir="/var/spool/asterisk/hotline-cel"))
    assert f"events = {','.join(names.CEL_EVENTS)}\n" in conf["cel.conf"]
    assert "apps = queue\n" in conf["cel.conf"]


def test_cel_goes_to_the_spool_file_in_the_fields_the_loader_reads() -> None:
    """cel_custom writes the fields in names.CEL_SPOOL_FIELDS order to the spool file;
    without a spool folder CEL is off and cel_custom is not loaded. Asterisk never
    connects to PostgreSQL (cel_pgsql is never loaded)."""
    conf = render(dataclasses.replace(CONF, cel_spool_dir="/var/spool/asterisk/hotline-cel"))
    custom = conf["cel_custom.conf"]
    assert "[/var/spool/asterisk/hotline-cel/cel.csv]\n" in custom
    fields = ",".join(name for name, _ in names.CEL_SPOOL_FIELDS)
    assert f"\nfields = {fields}\n" in custom
    assert 'quote_escape_character = "\nquoting_method = all\n' in custom
    assert "noload = cel_custom.so" not in conf["modules.conf"]
    assert "noload = cel_pgsql.so" in conf["modules.conf"]
    assert "enable = yes" in conf["cel.conf"]
    off = render(dataclasses.replace(CONF, cel_spool_dir=None))
    assert "[" not in off["cel_custom.conf"]
    assert "noload = cel_custom.so" in off["modules.conf"]
    assert "enable = no" in off["cel.conf"]


@pytest.mark.parametrize(
    "folder", ["var/spool/cel", "/var/spool/../etc", "/var/spool/cel]\n[x", "/var/spool/a b"]
)
def test_a_cel_spool_folder_that_is_no_plain_path_is_refused(folder: str) -> None:
    with pytest.raises(UnsafeValueError):
        render(dataclasses.replace(CONF, cel_spool_dir=folder))
