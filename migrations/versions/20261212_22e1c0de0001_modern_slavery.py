"""Modern slavery: organisations that are first responders, and the National Referral Mechanism task's outcome

Where her needs assessment shows signs of exploitation, the case asks her worker to consider a National Referral
Mechanism referral, or a Duty to Notify where the organisation is a first responder (docs/modern-slavery.md). The
organisation's setting is a plain boolean, false for every organisation already on the service; each case's outcome
is a row of its own, its outcome and date plain (the funder return counts them) and its note encrypted under her
data key.

Revision ID: 22e1c0de0001
Revises: 22a1c0de0001
Create Date: 2026-12-12 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "22e1c0de0001"
down_revision = "22a1c0de0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_first_responder", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "nrm_decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('nrm_referred', 'duty_to_notify', 'declined', 'not_applicable')",
            name=op.f("ck_nrm_decisions_outcome_known"),
        ),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_nrm_decisions_client_id_clients")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_nrm_decisions_referral_id_referrals")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_nrm_decisions_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nrm_decisions")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_nrm_decisions_referral_id")),
    )
    with op.batch_alter_table("nrm_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nrm_decisions_client_id"), ["client_id"], unique=False)


def downgrade():
    with op.batch_alter_table("nrm_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nrm_decisions_client_id"))
    op.drop_table("nrm_decisions")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("is_first_responder")
