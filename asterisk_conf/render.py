"""Render the Asterisk configuration: a pure function of ``AsteriskConf``."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import jinja2

from asterisk_conf.model import MAX_CALLBACK_WAIT_S, TRANSFER_TIMEOUT_S, AsteriskConf
from core import names

FILES = (
    "asterisk.conf",
    "modules.conf",
    "logger.conf",
    "manager.conf",
    "pjsip.conf",
    "extensions.conf",
    "features.conf",
    "queues.conf",
    "musiconhold.conf",
    "voicemail.conf",
    "rtp.conf",
    "cdr.conf",
    "cel.conf",
    "cel_custom.conf",
)
SECRET_FILES = frozenset({"manager.conf", "pjsip.conf"})

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("asterisk_conf", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # noqa: S701 - Asterisk config, not HTML; values are whitelisted instead
)


def render(conf: AsteriskConf) -> dict[str, str]:
    """Return ``{file name: text}`` for every config file the hotline owns."""
    conf.validated()
    context: dict[str, object] = {f.name: getattr(conf, f.name) for f in dataclasses.fields(conf)}
    context["names"] = names  # the names the dialplan shares with the code
    context["hold_music_dir"] = conf.hold_music_dir
    context["max_callback_wait_s"] = MAX_CALLBACK_WAIT_S
    context["bench_phone_range"] = conf.bench_phone_range
    context["transfer_timeout_s"] = TRANSFER_TIMEOUT_S
    return {name: _ENV.get_template(name + ".j2").render(context) for name in FILES}


def write_config(files: dict[str, str], dest: Path, gid: int | None = None) -> None:
    """Write each file atomically (temp file + rename); files with secrets get mode 0640."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=dest)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o640 if name in SECRET_FILES else 0o644)
            if gid is not None:
                os.chown(tmp, 0, gid)
            os.replace(tmp, dest / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
