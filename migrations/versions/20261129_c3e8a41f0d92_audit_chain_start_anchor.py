"""The audit chain's signed starting point, so events past their retention period can be deleted from its start

Revision ID: c3e8a41f0d92
Revises: 32f4b2d3c76a
Create Date: 2026-11-29 16:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3e8a41f0d92'
down_revision = '32f4b2d3c76a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_seq', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('first_prev_mac', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('anchor_key_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('anchor_mac', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('anchor_mac')
        batch_op.drop_column('anchor_key_id')
        batch_op.drop_column('first_prev_mac')
        batch_op.drop_column('first_seq')
