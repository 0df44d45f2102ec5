"""Configuration classes, chosen by DIVERSION_CONFIG and filled from the environment.

Nothing here runs at import time: ``load_config`` reads the environment when the app is built, so tests and the CLI
can pass their own. Production fails fast, with one line saying what is missing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar


class ConfigError(SystemExit):
    """A setting is missing or unsafe. Subclasses SystemExit so the process stops with the message alone."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Config:
    """Settings shared by every environment."""

    NAME = "base"
    SERVICE_NAME = "Court diversion case system"
    ORGANISATION_NAME = "Diversion support service"
    # The same names for people reading the service in Welsh (docs/languages.md, "The service in Welsh").
    SERVICE_NAME_CY = "System achosion dargyfeirio o'r llys"
    ORGANISATION_NAME_CY = "Gwasanaeth cymorth dargyfeirio"

    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # Sessions and cookies.
    SESSION_COOKIE_NAME = "diversion_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=10)
    # The pending (password checked, second factor not yet) state lives this long.
    LOGIN_PENDING_TIMEOUT = timedelta(minutes=10)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=10)

    # Login throttling: the 11th failure within the window is refused, even with the right password.
    LOGIN_MAX_FAILURES = 10
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
    LOGIN_RATE_LIMIT = "30 per minute;300 per hour"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_ENABLED = True
    # Redis down: each worker keeps counting in its own memory (the same limits, per process) until Redis answers
    # again, so sign-in keeps working and stays limited. A short timeout keeps an unreachable Redis from stalling it.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS: ClassVar[dict[str, Any]] = {"socket_connect_timeout": 1, "socket_timeout": 1}

    # Request size limits, in bytes: a larger body is refused with 413 before it is read (diversion/request_limits.py).
    # The longest form (a needs assessment with every note filled) is a few tens of kilobytes; only a document's upload
    # route takes more (below).
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    MAX_FORM_PARTS = 1000
    # A document's upload route alone (diversion/request_limits.py, takes_upload): a file of up to 10 MB (the rule is
    # diversion/documents/services.py's), and room for the form around it (title, CSRF token, multipart boundaries).
    UPLOAD_MAX_CONTENT_LENGTH = 10 * 1024 * 1024 + 64 * 1024

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the session's own lifetime bounds the token

    PASSWORD_MIN_LENGTH = 12
    # Argon2id cost; tests lower it.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 2

    TOTP_ISSUER = "Court diversion"
    RECOVERY_CODE_COUNT = 10

    HSTS = False
    LOG_LEVEL = "INFO"
    LOG_JSON = True

    # Messages. Reminders go at the lead times of the case's programme (each scheme's, kept by its manager:
    # docs/organisations.md, "Programmes"); none is sent within this minimum notice of the start.
    REMINDER_MIN_NOTICE = timedelta(minutes=30)
    # The daily digests to workers and managers go at the first sweep after this London time.
    DIGEST_AT = "07:30"
    NOTIFY_MAX_ATTEMPTS = 5
    NOTIFY_RETRY_BASE = timedelta(minutes=1)
    NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
    RQ_QUEUE = "notifications"
    SMTP_PORT = 25
    SMTP_STARTTLS = False
    MAIL_FROM = "no-reply@localhost"
    SERVICE_URL = "http://127.0.0.1:5000"

    # Audit events are kept this many whole years from when they were written (one chain for the service). A
    # client's record is kept for her cases' programme's retention period, each scheme's (docs/privacy.md).
    AUDIT_RETENTION_YEARS = 7

    # A manager may reverse a decline or withdrawal this many days after it, while the CPS has not acknowledged
    # its outcome notice (docs/reversals.md).
    DECISION_REVERSAL_DAYS = 14

    # A draft of a long form is kept this long after it was last saved, and autosaved this often while she types
    # (docs/drafts.md).
    DRAFT_EXPIRY = timedelta(days=7)
    DRAFT_AUTOSAVE_SECONDS = 20

    # Webhooks for partners (docs/webhooks.md): a receiver answers 2xx within WEBHOOK_TIMEOUT or the attempt failed;
    # failed attempts are retried with backoff (the base doubled, at most WEBHOOK_RETRY_MAX apart) for
    # WEBHOOK_RETRY_WINDOW from the event; WEBHOOK_PAUSE_AFTER failures in a row pause the subscription.
    # WEBHOOKS_ALLOW_LOCAL lets a target be http:// and on this machine (127.0.0.1, ::1): development and tests only.
    WEBHOOK_TIMEOUT = 10.0
    WEBHOOK_RETRY_BASE = timedelta(seconds=30)
    WEBHOOK_RETRY_MAX = timedelta(hours=1)
    WEBHOOK_RETRY_WINDOW = timedelta(hours=24)
    WEBHOOK_PAUSE_AFTER = 20
    WEBHOOKS_ALLOW_LOCAL = False

    DEMO_SEED_ON_FIRST_RUN = False
    IS_PRODUCTION = False
    TESTING = False


class DevelopmentConfig(Config):
    """A laptop: SQLite in instance/, keys generated into instance/ on first run."""

    NAME = "development"
    DEBUG = False
    DEMO_SEED_ON_FIRST_RUN = True
    LOG_JSON = False
    WEBHOOKS_ALLOW_LOCAL = True


class TestConfig(Config):
    """The test suite: fast hashing, its own keys, CSRF on unless a test turns it off."""

    NAME = "testing"
    TESTING = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    LOGIN_RATE_LIMIT = "1000 per minute"
    WEBHOOKS_ALLOW_LOCAL = True


class ProductionConfig(Config):
    """Behind a load balancer, over TLS. Secrets and keys must come from the environment."""

    NAME = "production"
    IS_PRODUCTION = True
    SESSION_COOKIE_SECURE = True
    HSTS = True
    # https:// targets on public addresses only (docs/webhooks.md), whatever an override says.
    WEBHOOKS_ALLOW_LOCAL = False


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}


def _as_dict(cls: type[Config]) -> dict[str, Any]:
    return {key: getattr(cls, key) for key in dir(cls) if key.isupper()}


def load_config(
    instance_path: str, environ: Mapping[str, str] | None = None, name: str | None = None
) -> dict[str, Any]:
    """Build the settings for the named configuration from the environment. Raises ConfigError when unsafe."""
    env = os.environ if environ is None else environ
    name = name or env.get("DIVERSION_CONFIG", "development")
    if name not in CONFIGS:
        raise ConfigError(f"DIVERSION_CONFIG must be one of {', '.join(CONFIGS)}; got {name!r}.")
    cls = CONFIGS[name]
    settings = _as_dict(cls)
    instance = Path(instance_path)

    if cls.IS_PRODUCTION:
        required = ("SECRET_KEY", "DATABASE_URL", "DIVERSION_MASTER_KEYS", "DIVERSION_KEYSTORE_URL")
        missing = [key for key in required if not env.get(key)]
        if missing:
            raise ConfigError(f"Production configuration refuses to start: {', '.join(missing)} not set.")

    settings["SECRET_KEY"] = env.get("SECRET_KEY") or None
    settings["SQLALCHEMY_DATABASE_URI"] = _database_url(env.get("DATABASE_URL"), instance / "diversion.db")
    settings["DIVERSION_KEYSTORE_URL"] = _database_url(env.get("DIVERSION_KEYSTORE_URL"), instance / "keystore.db")
    settings["DIVERSION_MASTER_KEYS"] = env.get("DIVERSION_MASTER_KEYS") or None
    settings["DIVERSION_KEY_FILE"] = str(instance / "master-keys.txt")
    settings["REDIS_URL"] = env.get("REDIS_URL") or None
    if settings["REDIS_URL"]:
        settings["RATELIMIT_STORAGE_URI"] = settings["REDIS_URL"]
    settings["NOTIFY_API_KEY"] = env.get("NOTIFY_API_KEY") or None
    settings["NOTIFY_OUTBOX_FILE"] = env.get("NOTIFY_OUTBOX_FILE") or str(instance / "outbox.jsonl")
    for key in ("NOTIFY_BASE_URL", "MAIL_FROM", "SERVICE_URL", "RQ_QUEUE", "DIGEST_AT"):
        settings[key] = env.get(key) or settings[key]
    settings["NOTIFY_SMS_TEMPLATE_ID"] = env.get("NOTIFY_SMS_TEMPLATE_ID") or None
    settings["NOTIFY_EMAIL_TEMPLATE_ID"] = env.get("NOTIFY_EMAIL_TEMPLATE_ID") or None
    settings["SMTP_HOST"] = env.get("SMTP_HOST") or None
    settings["SMTP_PORT"] = int(env.get("SMTP_PORT") or settings["SMTP_PORT"])
    settings["SMTP_USERNAME"] = env.get("SMTP_USERNAME") or None
    settings["SMTP_PASSWORD"] = env.get("SMTP_PASSWORD") or None
    settings["SMTP_STARTTLS"] = (env.get("SMTP_STARTTLS") or "").lower() in ("1", "true", "yes") or settings[
        "SMTP_STARTTLS"
    ]
    for key in ("MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE", "MAX_FORM_PARTS"):
        settings[key] = _positive_int(env, key, settings[key])
    settings["LOG_LEVEL"] = env.get("LOG_LEVEL", settings["LOG_LEVEL"])
    settings["TRUSTED_PROXIES"] = int(env.get("DIVERSION_TRUSTED_PROXIES", "0") or 0)
    return settings


def _positive_int(env: Mapping[str, str], key: str, default: int) -> int:
    value = env.get(key)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{key} must be a whole number above 0; got {value!r}.")
    return number


def _database_url(value: str | None, default_file: Path) -> str:
    if not value:
        return f"sqlite:///{default_file}"
    if value.startswith("postgres://"):
        value = "postgresql+psycopg://" + value.removeprefix("postgres://")
    elif value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
    return value
