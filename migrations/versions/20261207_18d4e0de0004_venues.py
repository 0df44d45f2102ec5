"""Venues: the agency's own places, and an appointment's "somewhere else" encrypted under her key

Revision ID: 18d4e0de0004
Revises: 18e5e0de0005
Create Date: 2026-12-07 09:00:00.000000

The plaintext ``appointments.location`` column stays for now: moving its values into the encrypted field needs the
keys, so it is done by ``flask --app wsgi appointments migrate-locations`` after this upgrade (resumable, batch by
batch), which empties the column. A later migration drops it (docs/encryption.md, "Appointment places").
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "18d4e0de0004"
down_revision = "18e5e0de0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "venues",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
        sa.UniqueConstraint("name", name=op.f("uq_venues_name")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("venue_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("elsewhere", sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f("ix_appointments_venue_id"), ["venue_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_appointments_venue_id_venues"), "venues", ["venue_id"], ["id"])


def downgrade():
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_appointments_venue_id_venues"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_appointments_venue_id"))
        batch_op.drop_column("elsewhere")
        batch_op.drop_column("venue_id")
    op.drop_table("venues")
