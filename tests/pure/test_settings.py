"""The one settings object: defaults, file, environment, sandbox secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import load_settings, redact_url


def test_defaults_follow_the_design(tmp_path: Path) -> None:
    s = load_settings({"HOTLINE_SANDBOX_DIR": str(tmp_path)})
    assert (s.http_host, s.http_port, s.ami_port, s.sip_port, s.trunk_port) == (
        "127.0.0.1",
        8080,
        5038,
        5060,
        5061,
    )
    assert (s.queue, s.ring_timeout_s, s.wrap_up_s, s.sandbox_postgres_port) == (
        "12333",
        10,
        30,
        5433,
    )
    assert s.ami_secret == "" and s.database_url == ""


def test_environment_beats_the_toml_file(tmp_path: Path) -> None:
    config = tmp_path / "hotline.toml"
    config.write_text('http_port = 9000\nwrap_up_s = 20\nqueue = "100"\n')
    s = load_settings(
        {
            "HOTLINE_CONFIG": str(config),
            "HOTLINE_WRAP_UP_S": "5",
            "HOTLINE_SANDBOX_DIR": str(tmp_path),
        }
    )
    assert (s.http_port, s.wrap_up_s, s.queue) == (9000, 5, "100")


def test_unknown_key_in_file_is_an_error_that_names_it(tmp_path: Path) -> None:
    config = tmp_path / "hotline.toml"
    config.write_text("wrapup = 20\n")
    with pytest.raises(ConfigError, match="wrapup"):
        load_settings({"HOTLINE_CONFIG": str(config)})


def test_bad_number_is_an_error_that_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="http_port"):
        load_settings({"HOTLINE_HTTP_PORT": "eighty", "HOTLINE_SANDBOX_DIR": str(tmp_path)})


def test_sandbox_secrets_fill_what_is_unset_and_never_show(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state/secrets.json").write_text(
        json.dumps({"ami_service": "s3cret-ami-value-000", "db_password": "pw-db-value-0000000"})
    )
    s = load_settings({"HOTLINE_SANDBOX_DIR": str(tmp_path)})
    assert s.ami_secret == "s3cret-ami-value-000"
    assert s.database_url == "postgresql://hotline:pw-db-value-0000000@127.0.0.1:5433/hotline"
    assert "s3cret" not in repr(s) and "pw-db" not in repr(s)
    assert s.database_url_redacted == "postgresql://hotline:***@127.0.0.1:5433/hotline"


def test_database_url_from_environment_wins_over_the_sandbox(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state/secrets.json").write_text(json.dumps({"db_password": "x" * 20}))
    s = load_settings(
        {"HOTLINE_SANDBOX_DIR": str(tmp_path), "DATABASE_URL": "postgresql://u:p@db.example:5432/h"}
    )
    assert s.database_url == "postgresql://u:p@db.example:5432/h"


def test_redact_url_keeps_user_and_host() -> None:
    assert redact_url("postgresql://a:b@h:1/d") == "postgresql://a:***@h:1/d"
    assert redact_url("postgresql:///d") == "postgresql:///d"


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_a_number_that_is_not_finite_is_an_error_that_names_the_setting(
    tmp_path: Path, raw: str
) -> None:
    # float() takes each of these; a wait of NaN or infinity would break a timer later
    with pytest.raises(ConfigError, match=r"callback_poll_s.*finite"):
        load_settings({"HOTLINE_CALLBACK_POLL_S": raw, "HOTLINE_SANDBOX_DIR": str(tmp_path)})


def test_a_number_from_the_toml_file_is_checked_the_same_way(tmp_path: Path) -> None:
    config = tmp_path / "hotline.toml"
    config.write_text("confirm_wait_s = nan\n")
    with pytest.raises(ConfigError, match=r"confirm_wait_s.*finite"):
        load_settings({"HOTLINE_CONFIG": str(config), "HOTLINE_SANDBOX_DIR": str(tmp_path)})
