"""Migrations: an empty database goes to head and back to base, and the models match the migrations."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from diversion.clients.contact import SafeContact
from diversion.clients.models import Client
from diversion.crypto.fields import encrypted
from diversion.extensions import db
from diversion.keyring import key_provider
from tests.conftest import build_app, dispose_app, make_environ


def test_upgrade_to_head_matches_models_and_downgrades_to_base(databases, master_keys, tmp_path) -> None:
    url = databases.new("migrate")
    app = build_app(make_environ(url, f"sqlite:///{tmp_path / 'ks.db'}", master_keys, tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations disagree: {differences}"
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"users", "courts", "audit_events", "audit_head", "user_sessions", "api_tokens"} <= tables
        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()
    dispose_app(app)


def test_foreign_keys_are_enforced(app, app_ctx) -> None:
    """On SQLite too (PRAGMA foreign_keys=ON on every connection): a user pointing at no court is refused."""
    insert = sa.text(
        "INSERT INTO users (id, email, display_name, role, court_id, password_hash, must_change_password,"
        " is_disabled, failed_login_count, created_at, updated_at) VALUES (:id, 'x@example.org', 'X', 'court',"
        " 999999, 'x', false, false, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    row_id = uuid.uuid4().hex if db.engine.dialect.name == "sqlite" else str(uuid.uuid4())
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(insert, {"id": row_id})


class _Base(DeclarativeBase):
    """Her two encrypted values as revision 18b2c0de0002 held them, placed as the app places them."""


class _OldClient(_Base):
    __tablename__ = "clients"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    safe_contact = encrypted("safe_contact", client_id_attr=None)


class _OldPreference(_Base):
    __tablename__ = "reminder_preferences"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    quiet_hours = encrypted("quiet_hours")


def _old_client(safe_contact: dict | None, quiet_hours: str | None) -> uuid.UUID:
    """A client as the app stored her before 19c3c0de0001: "safe times" in her JSON, quiet hours in their own row."""
    client_id = uuid.uuid4()
    key_provider().new_client_key(client_id)
    now = datetime.now(UTC)
    client = _OldClient(id=client_id)
    if safe_contact is not None:
        client.safe_contact = json.dumps(safe_contact)
    clients = sa.table(
        "clients", sa.column("id", sa.Uuid), sa.column("safe_contact", sa.LargeBinary),
        sa.column("created_at", sa.DateTime(timezone=True)), sa.column("updated_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    db.session.execute(
        clients.insert().values(id=client_id, safe_contact=client._safe_contact, created_at=now, updated_at=now)
    )
    if quiet_hours is not None:
        preference = _OldPreference(id=uuid.uuid4(), client_id=client_id)
        preference.quiet_hours = quiet_hours
        preferences = sa.table(
            "reminder_preferences", sa.column("id", sa.Uuid), sa.column("client_id", sa.Uuid),
            sa.column("quiet_hours", sa.LargeBinary), sa.column("created_at", sa.DateTime(timezone=True)),
            sa.column("updated_at", sa.DateTime(timezone=True)),
        )  # fmt: skip
        db.session.execute(
            preferences.insert().values(
                id=preference.id, client_id=client_id, quiet_hours=preference._quiet_hours, created_at=now,
                updated_at=now,
            )
        )  # fmt: skip
    db.session.commit()
    return client_id


def _stored_json(client_id: uuid.UUID) -> dict:
    row = db.session.execute(
        sa.select(sa.column("safe_contact", sa.LargeBinary))
        .select_from(sa.table("clients"))
        .where(sa.column("id", sa.Uuid) == client_id)
    ).scalar_one()
    return json.loads(_OldClient(id=client_id, _safe_contact=row).safe_contact)


def test_safe_times_become_the_note_and_quiet_hours_join_her_contact_preferences(
    databases, master_keys, tmp_path
) -> None:
    """Revision 19c3c0de0001 (docs/notifications.md, "Contact preferences"): the free text moves to the note,
    quiet hours move from reminder_preferences into her record, a span of safe hours becomes quiet hours for the rest
    of the day, and a downgrade puts both back."""
    url = databases.new("contact")
    app = build_app(make_environ(url, f"sqlite:///{tmp_path / 'ks.db'}", master_keys, tmp_path))
    with app.app_context():
        upgrade(revision="18b2c0de0002")
        both = _old_client({"may_text": True, "may_voicemail": False, "safe_times": "after 6pm only"}, "21:00-08:00")
        span = _old_client({"may_text": True, "may_voicemail": None, "safe_times": "18:00-22:00"}, None)
        hours_only = _old_client(None, "20:00-10:00")
        nothing = _old_client({"may_text": False, "may_voicemail": False, "safe_times": ""}, None)
        db.session.remove()
        upgrade()
        assert "reminder_preferences" not in sa.inspect(db.engine).get_table_names()
        db.session.expire_all()
        moved = _stored_json(both)
        assert "safe_times" not in moved
        assert moved == {
            "may_text": True,
            "may_voicemail": False,
            "note": "after 6pm only",
            "quiet_hours": {"from": "21:00", "to": "08:00"},
        }
        read = SafeContact.from_json(db.session.get(Client, both).safe_contact)
        assert (read.note, str(read.quiet_hours), read.may_text) == ("after 6pm only", "21:00-08:00", True)
        assert _stored_json(span)["quiet_hours"] == {"from": "22:00", "to": "18:00"}
        assert _stored_json(span)["note"] == "18:00-22:00"
        assert _stored_json(hours_only) == {"note": "", "quiet_hours": {"from": "20:00", "to": "10:00"}}
        assert _stored_json(nothing)["quiet_hours"] is None
        raw = db.session.execute(sa.text("SELECT safe_contact FROM clients")).scalars().all()
        assert not any(b"after 6pm" in bytes(value) for value in raw if value is not None)
        db.session.rollback()
        downgrade(revision="18b2c0de0002")
        back = _stored_json(both)
        assert back["safe_times"] == "after 6pm only"
        assert "quiet_hours" not in back
        assert "note" not in back
        rows = db.session.execute(
            sa.select(sa.column("id", sa.Uuid), sa.column("quiet_hours", sa.LargeBinary))
            .select_from(sa.table("reminder_preferences"))
            .where(sa.column("client_id", sa.Uuid) == both)
        ).all()
        assert len(rows) == 1
        assert _OldPreference(id=rows[0].id, client_id=both, _quiet_hours=rows[0].quiet_hours).quiet_hours == (
            "21:00-08:00"
        )
        db.session.rollback()
    dispose_app(app)
