"""Alerts: an event on a case that her worker, or the scheme's managers, must hear of at once

A safeguarding flag raised, a risk marked high, a missed appointment close to her return date, a message to her that
failed, a court's referral that may be someone referred before: each raises one row here for each person told
(docs/alerts.md). Codes, ids and times only; nothing of hers is stored, so nothing is encrypted.

Revision ID: 22d1c0de0001
Revises: 22e1c0de0001
Create Date: 2026-12-12 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "22d1c0de0001"
down_revision = "22e1c0de0001"
branch_labels = None
depends_on = None

KINDS = "'safeguarding_flag', 'high_risk', 'did_not_attend', 'message_failed', 'possible_match'"


def upgrade():
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_alerts_kind_known")),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["users.id"], name=op.f("fk_alerts_acknowledged_by_id_users")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_alerts_client_id_clients")),
        sa.ForeignKeyConstraint(["recipient_id"], ["users.id"], name=op.f("fk_alerts_recipient_id_users")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_alerts_referral_id_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("event_key", "recipient_id", name="uq_alerts_event_key_recipient_id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index(
            "ix_alerts_recipient_id_acknowledged_at", ["recipient_id", "acknowledged_at"], unique=False
        )
        batch_op.create_index(
            "ix_alerts_recipient_id_created_at_id", ["recipient_id", "created_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_recipient_id_created_at_id")
        batch_op.drop_index("ix_alerts_recipient_id_acknowledged_at")
        batch_op.drop_index(batch_op.f("ix_alerts_referral_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_client_id"))
    op.drop_table("alerts")
