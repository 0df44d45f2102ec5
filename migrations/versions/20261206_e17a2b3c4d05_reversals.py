"""Reversals: a manager puts right a decline or withdrawal; the outcome notice is superseded by a correction

Revision ID: e17a2b3c4d05
Revises: d17e5a1d0c02
Create Date: 2026-12-06 02:05:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e17a2b3c4d05'
down_revision = 'd17e5a1d0c02'
branch_labels = None
depends_on = None


def upgrade():
    # A case may now have several notices over time (a notice, its correction, a later outcome): only one of them
    # is in force. The unique constraint on referral_id becomes a plain index.
    with op.batch_alter_table('outcome_notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corrects_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('returned_to', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint('uq_outcome_notices_referral_id', type_='unique')
        batch_op.create_index(batch_op.f('ix_outcome_notices_referral_id'), ['referral_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outcome_notices_corrects_id'), ['corrects_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_outcome_notices_corrects_id_outcome_notices'), 'outcome_notices', ['corrects_id'], ['id']
        )

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reversal_reason', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('reversal_reason')

    op.execute("DELETE FROM outcome_notices WHERE corrects_id IS NOT NULL")
    with op.batch_alter_table('outcome_notices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outcome_notices_corrects_id_outcome_notices'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_outcome_notices_corrects_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_outcome_notices_referral_id'))
        batch_op.create_unique_constraint('uq_outcome_notices_referral_id', ['referral_id'])
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('returned_to')
        batch_op.drop_column('corrects_id')
