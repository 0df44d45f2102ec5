"""Someone referred before: a court's referral flagged as a possible earlier client; a client merged into another

Revision ID: 19b2c0de0001
Revises: 19d4e0de0001
Create Date: 2026-12-08 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "19b2c0de0001"
down_revision = "19d4e0de0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("possible_previous_referral", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_referrals_possible_previous_referral"), ["possible_previous_referral"], unique=False
        )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_clients_merged_into_id_clients"), "clients", ["merged_into_id"], ["id"])


def downgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_clients_merged_into_id_clients"), type_="foreignkey")
        batch_op.drop_column("merged_into_id")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_possible_previous_referral"))
        batch_op.drop_column("possible_previous_referral")
