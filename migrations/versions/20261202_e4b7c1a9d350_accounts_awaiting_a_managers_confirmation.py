"""Accounts awaiting a manager's confirmation after an administrator creates or resets them

Revision ID: e4b7c1a9d350
Revises: c3e8a41f0d92
Create Date: 2026-12-02 13:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e4b7c1a9d350'
down_revision = 'c3e8a41f0d92'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_needed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmation_reason', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('confirmation_reason')
        batch_op.drop_column('confirmation_needed_at')
