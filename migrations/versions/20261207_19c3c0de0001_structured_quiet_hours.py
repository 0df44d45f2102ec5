"""Contact preferences in one place: quiet hours move into her safe-contact record, "safe times" become the note

Revision ID: 19c3c0de0001
Revises: 18b2c0de0002
Create Date: 2026-12-07 12:00:00.000000

Her quiet hours were a row of ``reminder_preferences`` ("HH:MM-HH:MM", encrypted) and her free-text "safe times" a
key of the encrypted JSON in ``clients.safe_contact``. After this revision that JSON holds both, as
``"quiet_hours": {"from", "to"}`` and ``"note"`` (docs/notifications.md, "Contact preferences"), and the table is
dropped. Values are decrypted and encrypted again under her own data key, as the app writes them: the migration runs
in the app's context (``flask db upgrade``), which binds the key provider. Only ids are logged.

- The free text moves to the note unchanged.
- Recorded quiet hours move unchanged.
- Where no quiet hours were recorded and the free text is exactly a span of hours ("18:00-22:00", "9:00 to 17:30"),
  it names when contact is SAFE, so her quiet hours become the rest of the day (22:00-18:00, 17:30-09:00). Any other
  text ("after 6pm only") is not guessed at: it stays a note, shown where reminders are set, for her worker to turn
  into quiet hours.
- A client already erased (her key destroyed) has nothing to move: her row of ``reminder_preferences`` goes with
  the table. A value that cannot be read stops the upgrade (run ``keys verify``): nothing is dropped unread.

Downgrade puts quiet hours back into ``reminder_preferences`` and the note back under "safe_times".
"""

import json
import logging
import re
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from diversion.crypto.fields import ERASED, encrypted, is_unreadable

# revision identifiers, used by Alembic.
revision = "19c3c0de0001"
down_revision = "18b2c0de0002"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*(?:-|to)\s*(\d{1,2}):(\d{2})\s*$")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Base(DeclarativeBase):
    """The two encrypted values this revision reads and writes, placed as the app places them (table, column, row
    id, her id), so the ciphertexts are the app's own."""


class _Client(_Base):
    __tablename__ = "clients"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    safe_contact = encrypted("safe_contact", client_id_attr=None)


class _Preference(_Base):
    __tablename__ = "reminder_preferences"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    quiet_hours = encrypted("quiet_hours")


_clients = _Client.__table__
_preferences = _Preference.__table__


def _hh_mm(hour: str, minute: str) -> str | None:
    text = f"{int(hour):02d}:{minute}"
    return text if _HH_MM.match(text) else None


def _span(text: str) -> tuple[str, str] | None:
    """("HH:MM", "HH:MM") from "H:MM-HH:MM" or "H:MM to HH:MM"; None for anything else or an empty span."""
    match = _SPAN.match(text or "")
    if not match:
        return None
    start, end = _hh_mm(match[1], match[2]), _hh_mm(match[3], match[4])
    if start is None or end is None or start == end:
        return None
    return start, end


def _read(obj, name: str, what: str):
    value = getattr(obj, name)
    if value is ERASED:
        return ERASED
    if is_unreadable(value):
        raise RuntimeError(f"{what} cannot be read (run keys verify); nothing was changed")
    return value


def _client(connection, client_id: uuid.UUID) -> tuple[_Client, dict] | None:
    row = connection.execute(sa.select(_clients.c.id, _clients.c.safe_contact).where(_clients.c.id == client_id)).one()
    client = _Client(id=row.id, _safe_contact=row.safe_contact)
    if row.safe_contact is None:
        return client, {}
    value = _read(client, "safe_contact", f"clients.safe_contact of {row.id}")
    if value is ERASED:
        return None
    return client, json.loads(value)


def _write(connection, client: _Client, data: dict) -> None:
    client.safe_contact = json.dumps(data)
    connection.execute(_clients.update().where(_clients.c.id == client.id).values(safe_contact=client._safe_contact))


def upgrade():
    connection = op.get_bind()
    hours_of = {}
    for row in connection.execute(sa.select(_preferences.c.id, _preferences.c.client_id, _preferences.c.quiet_hours)):
        if row.quiet_hours is None:
            continue
        preference = _Preference(id=row.id, client_id=row.client_id, _quiet_hours=row.quiet_hours)
        value = _read(preference, "quiet_hours", f"reminder_preferences.quiet_hours of {row.id}")
        if value is not ERASED and (span := _span(value)) is not None:
            hours_of[row.client_id] = span
    with_contact = connection.execute(sa.select(_clients.c.id).where(_clients.c.safe_contact.is_not(None))).scalars()
    moved = 0
    for client_id in sorted(set(with_contact) | set(hours_of), key=str):
        found = _client(connection, client_id)
        if found is None:
            continue
        client, data = found
        note = data.pop("safe_times", None)
        data.setdefault("note", note or "")
        hours = hours_of.get(client_id)
        if hours is None and (safe := _span(note or "")) is not None:
            # The times she gave are when contact is safe: quiet the rest of the day.
            hours = (safe[1], safe[0])
        if data.get("quiet_hours") is None:
            data["quiet_hours"] = {"from": hours[0], "to": hours[1]} if hours else None
        _write(connection, client, data)
        moved += 1
    logger.info("Contact preferences of %d clients moved to the structured record.", moved)
    op.drop_table("reminder_preferences")


def downgrade():
    table = op.create_table(
        "reminder_preferences",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("quiet_hours", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_reminder_preferences_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_preferences")),
        sa.UniqueConstraint("client_id", name=op.f("uq_reminder_preferences_client_id")),
    )
    connection = op.get_bind()
    with_contact = connection.execute(sa.select(_clients.c.id).where(_clients.c.safe_contact.is_not(None))).scalars()
    for client_id in list(with_contact):
        found = _client(connection, client_id)
        if found is None:
            continue
        client, data = found
        hours = data.pop("quiet_hours", None)
        data["safe_times"] = data.pop("note", "") or ""
        _write(connection, client, data)
        if isinstance(hours, dict) and hours.get("from") and hours.get("to"):
            preference = _Preference(id=uuid.uuid4(), client_id=client_id)
            preference.quiet_hours = f"{hours['from']}-{hours['to']}"
            now = datetime.now(UTC)
            connection.execute(
                table.insert().values(
                    id=preference.id,
                    client_id=client_id,
                    quiet_hours=preference._quiet_hours,
                    created_at=now,
                    updated_at=now,
                )
            )
