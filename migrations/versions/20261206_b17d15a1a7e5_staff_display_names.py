"""Staff display names: every user has a name shown wherever a person is named

Revision ID: b17d15a1a7e5
Revises: e4b7c1a9d350
Create Date: 2026-12-06 01:15:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b17d15a1a7e5'
down_revision = 'e4b7c1a9d350'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=100), nullable=True))

    # Existing accounts are named by the part of their email before the @
    # until they (or an administrator) give a name.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE users SET display_name = substr(split_part(email, '@', 1), 1, 100)")
    else:
        op.execute(
            "UPDATE users SET display_name = CASE WHEN instr(email, '@') > 1 "
            "THEN substr(email, 1, min(instr(email, '@') - 1, 100)) ELSE substr(email, 1, 100) END"
        )
    op.execute("UPDATE users SET display_name = substr(email, 1, 100) WHERE display_name = ''")

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('display_name', existing_type=sa.String(length=100), nullable=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('display_name')
