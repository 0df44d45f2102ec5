"""Who asked for an account's confirmation: the administrator who changed it may not confirm it

Revision ID: 18a1c0de0001
Revises: f17d4a5b6c07
Create Date: 2026-12-06 04:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '18a1c0de0001'
down_revision = 'f17d4a5b6c07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation_asked_by_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_users_confirmation_asked_by_id_users'), 'users', ['confirmation_asked_by_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_confirmation_asked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('confirmation_asked_by_id')
