"""The service in Welsh: each account's chosen language, and each court's default for its staff

``users.language`` is the language a person chose on their account ("en" or "cy"; none: their court's default, else
English); ``courts.default_language`` is the language a court's staff read the service in when they have not chosen
(docs/languages.md, "The service in Welsh"). Every court starts in English, as the service was.

Revision ID: 2301c0de0001
Revises: 22f1c0de0001
Create Date: 2026-12-14 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "2301c0de0001"
down_revision = "22f1c0de0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("courts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_language", sa.String(length=8), server_default="en", nullable=False))


def downgrade():
    with op.batch_alter_table("courts", schema=None) as batch_op:
        batch_op.drop_column("default_language")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
