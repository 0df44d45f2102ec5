"""API token names: what each token is for, so a user can tell theirs apart

Revision ID: 5a1d0c2e9b7f
Revises: db657267271c
Create Date: 2026-11-29 16:05:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '5a1d0c2e9b7f'
down_revision = 'db657267271c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=60), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('name')
