"""Fixtures for the crypto tests: key rings, key stores on SQLite and PostgreSQL, key providers, security logs.

None of this needs the Flask app. PostgreSQL tests run in a throwaway database created for the session and dropped
at the end; when PostgreSQL cannot be reached they are skipped on a laptop and fail under CI=true.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextvars import Token
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    # Run as the pytest console script, the project root is not on sys.path unless a config puts it there.
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from diversion.crypto.keys import KeyRing, MasterKey  # noqa: E402
from diversion.crypto.keystore import KeyStore  # noqa: E402
from diversion.crypto.provider import (  # noqa: E402
    KeyProvider,
    KeyStoreProvider,
    bind_key_provider,
    key_provider,
    reset_key_provider,
)
from tests.crypto.field_models import Base  # noqa: E402

POSTGRES_URL = os.environ.get("CRYPTO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def master(key_id: str) -> MasterKey:
    """A random master key with the given id."""
    return MasterKey(key_id, secrets.token_bytes(32))


@pytest.fixture
def keyring() -> KeyRing:
    """A key ring with one random master key, ``k1``."""
    return KeyRing([master("k1")])


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (per xdist worker), dropped afterwards."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        conn = admin.connect()
    except OperationalError as error:
        admin.dispose()
        message = f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} is unreachable: {error.orig}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    name = f"crypto_test_{secrets.token_hex(6)}"
    # The name is made here from hex digits; identifiers cannot be bound parameters.
    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def keystore_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A key-store URL on each database, with no ``data_keys`` table yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'keystore.db'}"
    url: str = request.getfixturevalue("postgres_database_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS data_keys")
    engine.dispose()
    return url


@pytest.fixture
def keystore(keystore_url: str, keyring: KeyRing) -> Iterator[KeyStore]:
    """A key store with its schema, on each database."""
    store = KeyStore(keystore_url, keyring)
    store.ensure_schema()
    yield store
    store.close()


@pytest.fixture
def security_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Records logged on ``diversion.security``, captured even if app logging stopped propagation."""
    logger = logging.getLogger("diversion.security")
    logger.addHandler(caplog.handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(previous)


@pytest.fixture
def ring() -> KeyRing:
    """Two master keys, k2 active."""
    return KeyRing([MasterKey("k2", secrets.token_bytes(32)), MasterKey("k1", secrets.token_bytes(32))])


@pytest.fixture
def store(tmp_path: Path, ring: KeyRing) -> Iterator[KeyStore]:
    """A key store in its own SQLite file."""
    keystore = KeyStore(f"sqlite:///{tmp_path / 'keystore.db'}", ring)
    keystore.ensure_schema()
    yield keystore
    keystore.close()


@pytest.fixture
def engine() -> Iterator[Engine]:
    """The main database, in memory."""
    main = create_engine("sqlite://")
    Base.metadata.create_all(main)
    yield main
    main.dispose()


@pytest.fixture
def provider(ring: KeyRing, store: KeyStore) -> Iterator[KeyStoreProvider]:
    """A provider bound for the test, as the app binds one per request."""
    with key_provider(KeyStoreProvider(ring, store)) as bound:
        assert isinstance(bound, KeyStoreProvider)
        yield bound


@pytest.fixture
def new_request(ring: KeyRing, store: KeyStore, provider: KeyStoreProvider) -> Iterator[Callable[[], KeyStoreProvider]]:
    """Binds a fresh provider, as for the next request; every binding is undone when the test ends."""
    tokens: list[Token[KeyProvider | None]] = []

    def bind() -> KeyStoreProvider:
        fresh = KeyStoreProvider(ring, store)
        tokens.append(bind_key_provider(fresh))
        return fresh

    yield bind
    for token in reversed(tokens):
        reset_key_provider(token)
