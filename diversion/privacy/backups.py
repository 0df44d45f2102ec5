"""Backups of the main database and the key store, to separate files, and a restore that re-applies erasures.

SQLite is copied with its online backup API (a consistent copy while the app runs); PostgreSQL with ``pg_dump`` in
its custom format, restored with ``pg_restore``. The key store goes to its own file, to be kept apart from the main
database's backups and for a short time only: see docs/privacy.md.

A restore first reads, from the live databases, who is erased (the main database's erased clients and the key
store's tombstones), restores, then erases them again (``keys reapply-erasures``), so a backup made before an
erasure never brings her back. A register of erasures kept outside both backups can be passed as well.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from diversion.clients.models import Client
from diversion.errors import ValidationFailed
from diversion.extensions import db
from diversion.keyring import keystore
from diversion.keys.services import reapply_erasures


class BackupError(Exception):
    """A backup or restore step failed; the message names the step, never a value."""


@dataclass
class BackupFiles:
    """Where the two backups were written."""

    main: Path
    keys: Path


@dataclass
class RestoreReport:
    """What a restore re-applied."""

    restored: list[str]
    keys_destroyed: int
    clients_marked: int
    # Live databases that could not be read before the restore: erasures only they knew of need the register.
    unread: list[str]


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _pg_args(url: sa.URL) -> tuple[list[str], dict[str, str]]:
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed on this machine.")
    return path


def _copy_sqlite(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def backup_database(engine: sa.Engine, target: Path) -> None:
    """Write a consistent copy of one database to ``target`` (a new file)."""
    url = engine.url
    if target.exists():
        raise BackupError(f"{target.name} exists already: choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        _copy_sqlite(_sqlite_path(url), target)
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        command = [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            *args,
            "-f",
            str(target),
            "-d",
            url.database or "",
        ]
        result = subprocess.run(command, env=env, capture_output=True, check=False)  # noqa: S603 - fixed program
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed with exit code {result.returncode}.")
    else:
        raise BackupError(f"No backup method for {url.get_backend_name()} databases.")
    target.chmod(0o600)


def restore_database(engine: sa.Engine, source: Path) -> None:
    """Replace one database's contents with a backup made by ``backup_database``."""
    if not source.is_file():
        raise BackupError(f"{source.name} is not a backup file.")
    url = engine.url
    engine.dispose()
    if url.get_backend_name() == "sqlite":
        _copy_sqlite(source, _sqlite_path(url))
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        command = [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            *args,
            "-d",
            url.database or "",
            str(source),
        ]
        result = subprocess.run(command, env=env, capture_output=True, check=False)  # noqa: S603 - fixed program
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed with exit code {result.returncode}.")
    else:
        raise BackupError(f"No restore method for {url.get_backend_name()} databases.")


def create_backup(main_target: Path, keys_target: Path) -> BackupFiles:
    """Back up the main database and the key store to two separate files."""
    if main_target.resolve().parent == keys_target.resolve().parent:
        raise ValidationFailed("Write the key-store backup to another directory than the main database's backup")
    backup_database(db.engine, main_target)
    backup_database(keystore().engine, keys_target)
    return BackupFiles(main_target, keys_target)


def _live_erasures() -> tuple[set[str], list[str]]:
    """Who is erased now, by either database, and which database could not be read (lost, being replaced)."""
    erased: set[str] = set()
    unreadable = []
    try:
        erased.update(keystore().shredded_client_ids())
    except SQLAlchemyError:
        unreadable.append("key store")
    try:
        erased.update(str(cid) for cid in db.session.scalars(select(Client.id).where(Client.erased_at.is_not(None))))
    except SQLAlchemyError:
        db.session.rollback()
        unreadable.append("main database")
    return erased, unreadable


def restore_backup(main_source: Path | None, keys_source: Path | None, register: Iterable[str] = ()) -> RestoreReport:
    """Restore either or both databases from backups, then erase again everyone erased before the restore."""
    if main_source is None and keys_source is None:
        raise ValidationFailed("Name a main-database backup, a key-store backup, or both")
    erased, unread = _live_erasures()
    erased |= {str(uuid.UUID(text)) for text in register}
    db.session.remove()
    restored = []
    if keys_source is not None:
        restore_database(keystore().engine, keys_source)
        restored.append("key store")
    if main_source is not None:
        restore_database(db.engine, main_source)
        restored.append("main database")
    destroyed, marked = reapply_erasures(sorted(erased))
    return RestoreReport(restored, destroyed, marked, unread)
