"""The contact log: calls, texts, visits and the rest on a case, between its appointments

Each contact is a row: the case, her client id (whose data key encrypts with whom and what happened), kind,
direction, when it happened, who logged it and when (docs/contacts.md).

Revision ID: 22b1c0de0001
Revises: 21f1c0de0001
Create Date: 2026-12-12 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "22b1c0de0001"
down_revision = "21f1c0de0001"
branch_labels = None
depends_on = None

KINDS = ("call", "text", "visit", "at_court", "outreach", "email", "letter")


def upgrade():
    kinds = ", ".join(f"'{kind}'" for kind in KINDS)
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("logged_by_id", sa.Uuid(), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("with_whom", sa.LargeBinary(), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f("ck_contacts_kind_known")),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_contacts_direction_known")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_contacts_client_id_clients")),
        sa.ForeignKeyConstraint(["logged_by_id"], ["users.id"], name=op.f("fk_contacts_logged_by_id_users")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_contacts_referral_id_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "ix_contacts_referral_id_contacted_at_id", ["referral_id", "contacted_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_referral_id_contacted_at_id")
        batch_op.drop_index(batch_op.f("ix_contacts_client_id"))
    op.drop_table("contacts")
