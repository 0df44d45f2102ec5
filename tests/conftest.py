"""Test set-up: one database per run (SQLite or PostgreSQL, chosen with --db), migrations applied once, and a
transaction rolled back after each test.

PostgreSQL runs get a database of their own, created and dropped here, so runs never share state. With --db=postgresql
an unreachable server fails the run: it is never a skip.
"""

from __future__ import annotations

import os
import re
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession

from diversion.crypto.keys import generate_master_key_line
from tests.clock import SUITE_NOW, named_moment

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=["sqlite", "postgresql"], default=os.environ.get("TEST_DB", "sqlite"))
    parser.addoption("--pg-url", default=os.environ.get("PG_TEST_URL", DEFAULT_PG_URL))
    parser.addoption(
        "--share",
        default=None,
        metavar="K/N",
        help="run only the K-th of N shares of the collected tests (K from 1), each test in exactly one share",
    )


def share_of(nodeid: str, shares: int) -> int:
    """Which of ``shares`` shares a test belongs to, from 1: fixed by its id alone, so the same test is in the same
    share on every machine and every run, and the shares together hold every test once (docs/testing.md)."""
    return zlib.crc32(nodeid.encode()) % shares + 1


def _parse_share(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"([1-9][0-9]*)/([1-9][0-9]*)", value)
    if match is None or int(match[1]) > int(match[2]):
        raise pytest.UsageError(f"--share takes K/N with 1 <= K <= N, not {value!r}")
    return int(match[1]), int(match[2])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--share K/N``, keep the K-th share of the tests and deselect the rest (``make test-dates``)."""
    value = config.getoption("--share")
    if value is None:
        return
    share, shares = _parse_share(value)
    kept = [item for item in items if share_of(item.nodeid, shares) == share]
    config.hook.pytest_deselected(items=[item for item in items if share_of(item.nodeid, shares) != share])
    items[:] = kept


def pytest_configure(config: pytest.Config) -> None:
    """Keep time-machine's clock functions patched for the whole run, reading the real time between tests (a travel
    to now that ticks). When its last travel ends, time-machine unpatches them, and a thread reading the clock at
    that instant fails with "Not currently time-travelling": limits' in-memory rate-limit storage expires its
    counters from a timer thread. Each test's own clock (the ``clock`` fixture) travels on top of this one, and
    ``make test-dates`` still moves what runs between tests, since this reads the machine's clock (docs/testing.md).
    It is never stopped: the process ends with it."""
    time_machine.travel(datetime.now(UTC), tick=True).start()


def pytest_report_header(config: pytest.Config) -> str:
    share = config.getoption("--share")
    return f"database: {config.getoption('--db')}" + (f", share {share} of the tests" if share else "")


class DatabaseFactory:
    """Makes throwaway databases for the run: SQLite files, or PostgreSQL databases on the server."""

    def __init__(self, kind: str, pg_url: str, tmp: Path) -> None:
        self.kind = kind
        self.pg_url = pg_url
        self.tmp = tmp
        self.created: list[str] = []

    def _admin_engine(self) -> sa.Engine:
        return sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)

    def check_server(self) -> None:
        """Fail (never skip) when PostgreSQL was asked for and cannot be reached."""
        if self.kind != "postgresql":
            return
        try:
            with self._admin_engine().connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as error:
            pytest.exit(f"PostgreSQL at {self.pg_url} is unreachable: {type(error).__name__}", returncode=3)

    def new(self, label: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.tmp / f'{label}-{uuid.uuid4().hex[:8]}.db'}"
        name = f"diversion_{label}_{uuid.uuid4().hex[:10]}"
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise ValueError(name)
        with self._admin_engine().connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return sa.make_url(self.pg_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every PostgreSQL database this run made."""
        if not self.created:
            return
        engine = self._admin_engine()
        with engine.connect() as connection:
            for name in self.created:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Coordinates]:
    """Every test's "now": SUITE_NOW, or the moment its ``@pytest.mark.clock(...)`` names; running on from there
    unless ``tick=False`` (tests/clock.py). Autouse fixtures come first, so the test's other fixtures see it too."""
    marker = request.node.get_closest_marker("clock")
    start = named_moment(marker.args[0]) if marker is not None else SUITE_NOW
    tick = marker.kwargs.get("tick", True) if marker is not None else True
    with time_machine.travel(start, tick=tick) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def databases(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(
        request.config.getoption("--db"), request.config.getoption("--pg-url"), tmp_path_factory.mktemp("db")
    )
    factory.check_server()
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def master_keys() -> str:
    """This run's own master key (two, to exercise key ids): never the development key file."""
    return ",".join([generate_master_key_line("test1"), generate_master_key_line("test0")])


def make_environ(database_url: str, keystore_url: str, master_keys: str, instance: Path) -> dict[str, str]:
    """The environment a test app (or the e2e server) is built from."""
    return {
        "DIVERSION_CONFIG": "testing",
        "DATABASE_URL": database_url,
        "DIVERSION_KEYSTORE_URL": keystore_url,
        "DIVERSION_MASTER_KEYS": master_keys,
        "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
        "NOTIFY_OUTBOX_FILE": str(instance / "outbox.jsonl"),
    }


def build_app(environ: dict[str, str], **overrides: Any) -> Flask:
    """A testing app from an environment, with overrides. Dispose of it with dispose_app."""
    from diversion import create_app

    return create_app("testing", overrides=overrides or None, environ=environ)


def dispose_app(application: Flask) -> None:
    """Close every pooled connection of an app: its databases and its key store."""
    from diversion.extensions import db
    from diversion.keyring import KEYSTORE_EXTENSION

    with application.app_context():
        for engine in db.engines.values():
            engine.dispose()
    application.extensions[KEYSTORE_EXTENSION].close()


@pytest.fixture
def fresh_app(app_environ: dict[str, str], db_session: Any) -> Iterator[Callable[..., Flask]]:
    """Build throwaway apps on the run's database and keys; routes can be added before their first request."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        application = build_app(app_environ, **overrides)
        application.test_client_class = IsolatedClient
        made.append(application)
        return application

    yield make
    for application in made:
        dispose_app(application)


@pytest.fixture(scope="session")
def app_environ(databases: DatabaseFactory, master_keys: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    instance = tmp_path_factory.mktemp("instance")
    # The key store is a database of its own, of the same kind as the main one.
    return make_environ(databases.new("main"), databases.new("keys"), master_keys, instance)


class ConnectionBoundSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session picks an engine per model; in tests everything goes through the one connection
    whose transaction is rolled back."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind


class IsolatedClient(FlaskClient):
    """Each request gets a fresh app context (its own g and database session), as in production, even while the
    test itself holds one open to call services."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from flask import has_app_context

        from diversion.extensions import db

        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            # What the test reads next comes from the database, not from before the request.
            db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(app_environ: dict[str, str]) -> Iterator[Flask]:
    """The app, with migrations applied once for the run."""
    from flask_migrate import upgrade

    application = build_app(app_environ)
    application.test_client_class = IsolatedClient
    with application.app_context():
        upgrade()
    yield application
    dispose_app(application)


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """A transaction per test: services commit to a savepoint, and everything is rolled back at the end."""
    from diversion.extensions import db

    # No app context stays pushed during the test: each request gets its own, as in production, and its own
    # session from the registry, all bound to the one connection whose transaction is rolled back at the end.
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
    original = db.session
    db.session = db._make_scoped_session(
        {"class_": ConnectionBoundSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
    )
    try:
        yield db.session
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    """A test client with CSRF protection on, as in production."""
    return app.test_client()


@pytest.fixture
def app_ctx(app: Flask, db_session: Any) -> Iterator[Flask]:
    """An app context over the per-test transaction, for calling services directly."""
    with app.test_request_context():
        yield app
