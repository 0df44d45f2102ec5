"""A tiny plain-SQLAlchemy model with encrypted fields, and helpers for the field tests: never the Flask app."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import ForeignKey, LargeBinary, Table, Uuid, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from diversion.crypto.fields import encrypted
from diversion.crypto.provider import KeyStoreProvider


class Base(DeclarativeBase):
    """A bare declarative base, as the app's models use."""


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    family_name = encrypted("family_name", client_id_attr=None)
    given_name = encrypted("given_name", client_id_attr=None)
    date_of_birth = encrypted("date_of_birth", client_id_attr=None, kind="date")
    phone = encrypted("phone", client_id_attr=None)
    email = encrypted("email", client_id_attr=None)
    address = encrypted("address", client_id_attr=None)
    aliases = encrypted("aliases", client_id_attr=None)
    gp = encrypted("gp", client_id_attr=None)
    safe_contact = encrypted("safe_contact", client_id_attr=None)
    notes = encrypted("notes", client_id_attr=None)

    def __init__(self, **kwargs: Any) -> None:
        self.id = kwargs.pop("id", None) or uuid.uuid4()
        super().__init__(**kwargs)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id"), nullable=True)
    _text: Mapped[bytes | None] = mapped_column("text", LargeBinary, nullable=True)
    text = encrypted("text")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    totp_secret = encrypted("totp_secret", purpose="user")


CLIENTS: Table = Client.__table__  # type: ignore[assignment]
NOTES: Table = Note.__table__  # type: ignore[assignment]
# Nine text fields and a date: ten fields of one client.
TEXT_FIELDS = {
    "family_name": "O'Brien",
    "given_name": "Ruth",
    "phone": "07700 900123",
    "email": "ruth@example.org",
    "address": "12 Station Road",
    "aliases": "Ruthie",
    "gp": "Dr Patel, High St surgery",
    "safe_contact": "Text only, never voicemail",
    "notes": "Prefers morning appointments.",
}


class Referral(Base):
    __tablename__ = "referrals"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    notes = encrypted("notes", deferred=True)


def make_client(engine: Engine, provider: KeyStoreProvider, **values: Any) -> uuid.UUID:
    """Create a client the way the app must: key store first, then the main transaction."""
    client_id = uuid.uuid4()
    provider.new_client_key(client_id)
    with Session(engine) as session:
        session.add(Client(id=client_id, **values))
        session.commit()
    return client_id


def raw(engine: Engine, table: str, column: str, row_id: Any) -> bytes | None:
    """The stored ciphertext of one field, read past the descriptor."""
    with engine.connect() as conn:
        value = conn.exec_driver_sql(f"SELECT {column} FROM {table} WHERE id = ?", (row_id,)).scalar()  # noqa: S608
    return None if value is None else bytes(value)


def put_raw(engine: Engine, table: Table, column: str, row_id: Any, value: bytes | None) -> None:
    """Overwrite a stored ciphertext, as an attacker with database access would."""
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == row_id).values({column: value}))


def assert_unreadable_logged(caplog: pytest.LogCaptureFixture, secret: str, row_id: Any) -> None:
    """A security record names the row; no record carries the plaintext."""
    records = [r for r in caplog.records if r.name == "diversion.security"]
    texts = [r.getMessage() + repr(r.__dict__) for r in records]
    assert any(str(row_id) in text for text in texts), "no security event for the row"
    assert all(r.levelno == logging.WARNING for r in records)
    for text in texts:
        assert secret not in text


class BrokenStore:
    """A key provider whose key store is down."""

    def key_for_client(self, client_id: str) -> tuple[str, bytes]:
        raise RuntimeError("connection refused to keystore at 10.0.0.5 for client " + client_id)

    def client_key(self, client_id: str, key_id: str) -> bytes:
        raise RuntimeError("connection refused to keystore at 10.0.0.5 for client " + client_id)

    def user_key(self, key_id: str) -> bytes:
        raise RuntimeError("down")

    def active_user_key(self) -> tuple[str, bytes]:
        raise RuntimeError("down")
