"""Apps on databases of their own, with data committed (not rolled back), for tests that look at what reaches the
disk, a dump, a copy of the database or another process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from tests.conftest import DatabaseFactory, build_app, dispose_app, make_environ

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CommittedApp:
    """An app on its own main database and key store, migrated to head."""

    app: Flask
    environ: dict[str, str]
    kind: str
    pg_url: str
    tmp: Path
    extra_databases: list[str] = field(default_factory=list)

    @property
    def main_url(self) -> str:
        """The main database's URL."""
        return self.environ["DATABASE_URL"]

    @property
    def keys_url(self) -> str:
        """The key store's URL."""
        return self.environ["DIVERSION_KEYSTORE_URL"]

    def cli(self, *args: str) -> Any:
        """Run a command in this process, in a fresh app context, as the operator would."""
        return self.app.test_cli_runner().invoke(args=list(args))

    def flask(self, *args: str, master_keys: str | None = None, **options: Any) -> subprocess.CompletedProcess[str]:
        """Run ``flask --app wsgi ...`` in another process against these databases."""
        return subprocess.run(
            flask_command(*args), env=self.process_env(master_keys), cwd=ROOT, capture_output=True, text=True, **options
        )

    def process_env(self, master_keys: str | None = None) -> dict[str, str]:
        """The environment for another process using these databases (and these or other master keys)."""
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DIVERSION_", "DATABASE_"))}
        env.update(self.environ)
        env["PYTHONUNBUFFERED"] = "1"
        if master_keys is not None:
            env["DIVERSION_MASTER_KEYS"] = master_keys
        return env

    def sqlite_files(self) -> dict[str, bytes]:
        """The bytes of every SQLite file of both databases, with their -wal, -journal and -shm files."""
        files: dict[str, bytes] = {}
        for url in (self.main_url, self.keys_url):
            path = Path(sa.make_url(url).database or "")
            for suffix in ("", "-wal", "-journal", "-shm"):
                candidate = path.with_name(path.name + suffix)
                if candidate.exists():
                    files[candidate.name] = candidate.read_bytes()
        return files

    def pg_dump(self, url: str) -> bytes:
        """A plain-text pg_dump of a PostgreSQL database, as a backup would hold it."""
        parsed = sa.make_url(url)
        result = subprocess.run(
            [
                "pg_dump",
                "--no-owner",
                "-h",
                parsed.host or "127.0.0.1",
                "-p",
                str(parsed.port or 5432),
                "-U",
                parsed.username or "postgres",
                "-d",
                parsed.database or "",
            ],
            capture_output=True,
            check=True,
        )
        return result.stdout

    def copy_main_database(self) -> str:
        """A copy of the main database, as a backup: returns its URL. Closes this app's connections first."""
        dispose_app(self.app)
        if self.kind == "sqlite":
            import sqlite3

            source = Path(sa.make_url(self.main_url).database or "")
            target = source.with_name(f"copy-{uuid.uuid4().hex[:8]}.db")
            with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
                src.backup(dst)
            src.close()
            dst.close()
            return f"sqlite:///{target}"
        name = f"diversion_copy_{uuid.uuid4().hex[:10]}"
        source_name = sa.make_url(self.main_url).database
        admin = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source_name}"'))
        admin.dispose()
        self.extra_databases.append(name)
        return sa.make_url(self.pg_url).set(database=name).render_as_string(hide_password=False)

    def drop_extra_databases(self) -> None:
        """Drop the copies made by copy_main_database on PostgreSQL."""
        if not self.extra_databases:
            return
        admin = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            for name in self.extra_databases:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def flask_command(*args: str) -> list[str]:
    """The flask command line, with this interpreter."""
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


@pytest.fixture
def committed_app(
    databases: DatabaseFactory, master_keys: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., CommittedApp]]:
    """Make apps on fresh databases (or on given ones), migrated; every app made is disposed of at the end."""
    made: list[CommittedApp] = []

    def make(
        *, keys: str | None = None, main_url: str | None = None, keys_url: str | None = None, **overrides: Any
    ) -> CommittedApp:
        instance = tmp_path / f"instance-{len(made)}"
        instance.mkdir()
        environ = make_environ(
            main_url or databases.new("main"), keys_url or databases.new("keys"), keys or master_keys, instance
        )
        application = build_app(environ, **overrides)
        with application.app_context():
            upgrade()
        made.append(CommittedApp(application, environ, databases.kind, request.config.getoption("--pg-url"), tmp_path))
        return made[-1]

    yield make
    for committed in made:
        dispose_app(committed.app)
        committed.drop_extra_databases()
