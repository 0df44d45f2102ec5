"""The database: its declarative base and Flask-SQLAlchemy object, column mixins, the UTC datetime type and the
transaction helper. ``diversion.extensions`` lists ``db`` with the other extensions the factory binds to the app."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator, Uuid, event, update
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from diversion.errors import Conflict

# Constraint names are stable across SQLite and PostgreSQL, so migrations can alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model of the main database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back an aware datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Naive datetimes are refused: store times in UTC.")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UUIDPrimaryKey:
    """A UUID primary key made in Python, so the id is known before the insert and cannot be guessed."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)

    def __init__(self, **kwargs: Any) -> None:
        # The id, and the owning client's id, are set before any other attribute: encrypted attributes bind their
        # ciphertext to both when they are assigned.
        self.id = kwargs.pop("id", None) or uuid.uuid4()
        if "client_id" in kwargs:
            self.client_id = kwargs.pop("client_id")
        super().__init__(**kwargs)


class Timestamps:
    """created_at and updated_at, in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


def refuse_changes(model: type, error: type[Exception], *, edited: str, deleted: str) -> None:
    """Make rows of ``model`` fixed once written: an UPDATE raises ``error(edited)`` and a DELETE ``error(deleted)``
    (the wordings people were shown or sent are kept exactly as they were)."""

    def refuse_edit(mapper: Any, connection: Any, target: Any) -> None:
        # Reached only when a column really changed.
        raise error(edited)

    def refuse_delete(mapper: Any, connection: Any, target: Any) -> None:
        raise error(deleted)

    event.listen(model, "before_update", refuse_edit)
    event.listen(model, "before_delete", refuse_delete)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite starts transactions on its own and breaks SAVEPOINT; hand transaction control to SQLAlchemy
    # (the recipe in SQLAlchemy's SQLite dialect docs), which emits BEGIN itself in _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def configure_engine(engine: Engine) -> None:
    """On SQLite: foreign keys on, WAL for concurrent readers, a wait instead of 'database is locked', and
    transactions (with savepoints) that behave as on PostgreSQL."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_pragmas):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)


@contextmanager
def transaction(*, expire: bool = True) -> Iterator[Any]:
    """One unit of work: commit at the end, roll back on any error. Services use this; helpers only flush.

    ``expire=False`` keeps what the session has loaded after the commit, for a unit of work that only appends
    records nothing else on the page reads (the audit of a page's reads): the page then renders from what it had,
    not from the database again."""
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = keep and expire
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        session.expire_on_commit = keep


def claim_version(record: Any, read: int | None, stale: str) -> None:
    """Move a versioned record (``id`` and ``version`` columns) to its next version inside the caller's transaction,
    only if its version is still ``read``, the one the caller was shown. The check and the claim are one UPDATE, so
    of two saves at the same moment one passes and the other gets Conflict(stale) instead of overwriting it."""
    model = type(record)
    moved = db.session.execute(
        update(model)
        .where(model.id == record.id, model.version == read)
        .values(version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Conflict(stale)
    set_committed_value(record, "version", (read or 0) + 1)
