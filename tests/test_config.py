"""Configuration: production refuses to start without its secrets and keys, with one line saying which."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_config
from diversion import create_app
from diversion.crypto.keys import generate_master_key_line

GOOD = {
    "DIVERSION_CONFIG": "production",
    "SECRET_KEY": "s" * 40,
    "DATABASE_URL": "sqlite://",
    "DIVERSION_KEYSTORE_URL": "sqlite://",
    "DIVERSION_MASTER_KEYS": generate_master_key_line("prod1"),
}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "DIVERSION_MASTER_KEYS", "DIVERSION_KEYSTORE_URL"])
def test_production_refuses_to_start_without_each_secret(tmp_path: Path, missing: str) -> None:
    environ = {key: value for key, value in GOOD.items() if key != missing}
    with pytest.raises(ConfigError) as caught:
        create_app(environ=environ)
    message = str(caught.value)
    assert missing in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("keys", "needle"),
    [
        pytest.param("prod1:" + "QUFB", "32 bytes", id="short"),
        pytest.param(generate_master_key_line("dev1234"), "development key", id="development"),
        pytest.param("nonsense", "id:base64key", id="malformed"),
    ],
)
def test_production_refuses_short_malformed_or_development_keys(keys: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app(environ={**GOOD, "DIVERSION_MASTER_KEYS": keys})
    assert needle in str(caught.value)


def test_production_sets_secure_cookies_and_hsts() -> None:
    app = create_app(environ=GOOD)
    app.extensions["diversion.keystore"].close()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/sign-in")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie


def test_unknown_configuration_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DIVERSION_CONFIG"):
        load_config(str(tmp_path), environ={"DIVERSION_CONFIG": "staging"})


def test_postgres_urls_use_psycopg_3(tmp_path: Path) -> None:
    settings = load_config(str(tmp_path), environ={"DATABASE_URL": "postgresql://u@h/db"})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_default_database_is_sqlite_in_instance(tmp_path: Path) -> None:
    settings = load_config(str(tmp_path), environ={})
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'diversion.db'}"
    assert settings["DIVERSION_KEYSTORE_URL"] == f"sqlite:///{tmp_path / 'keystore.db'}"


def test_gunicorn_entry_point_prints_one_line_and_exits(tmp_path: Path) -> None:
    """The process stops with the message alone, not a traceback."""
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        env={"DIVERSION_CONFIG": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Production configuration refuses to start: SECRET_KEY, DATABASE_URL, DIVERSION_MASTER_KEYS,"
        " DIVERSION_KEYSTORE_URL not set."
    ]


def test_development_generates_key_file_with_private_mode(tmp_path: Path) -> None:
    from diversion.crypto.keys import load_or_create_key_file

    path = tmp_path / "instance" / "master-keys.txt"
    line = load_or_create_key_file(path)
    assert line.startswith("dev")
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key_file(path) == line
