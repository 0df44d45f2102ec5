"""The audit chain's seal across a master-key rotation; an erased woman's pending notice kept for the CPS

Revision ID: 18b2c0de0002
Revises: 18d4e0de0004
Create Date: 2026-12-07 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "18b2c0de0002"
down_revision = "18d4e0de0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("seal_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("seal_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("seal_key_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("seal_mac", sa.String(length=64), nullable=True))
    with op.batch_alter_table("outcome_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("subject_erasure_reason", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("kept_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("kept_urn", sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outcome_notices_kept_until"), ["kept_until"], unique=False)


def downgrade():
    with op.batch_alter_table("outcome_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_notices_kept_until"))
        batch_op.drop_column("kept_urn")
        batch_op.drop_column("kept_until")
        batch_op.drop_column("subject_erasure_reason")
        batch_op.drop_column("subject_erased_at")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("seal_mac")
        batch_op.drop_column("seal_key_id")
        batch_op.drop_column("seal_digest")
        batch_op.drop_column("seal_seq")
        batch_op.drop_column("first_digest")
