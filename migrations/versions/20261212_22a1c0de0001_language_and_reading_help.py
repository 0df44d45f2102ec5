"""Her preferred language, her interpreter need and its language, and a note of the help she needs with reading

The language and the interpreter need are ISO 639-1 codes and a yes/no, plain columns because reports count them;
the reading-help note is free text about her, encrypted under her data key like her other notes
(docs/languages.md). Existing clients start with nothing recorded: not asked yet.

Revision ID: 22a1c0de0001
Revises: 22b1c0de0001
Create Date: 2026-12-12 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "22a1c0de0001"
down_revision = "22b1c0de0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("is_interpreter_needed", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("interpreter_language_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("reading_help", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("reading_help")
        batch_op.drop_column("interpreter_language_code")
        batch_op.drop_column("is_interpreter_needed")
        batch_op.drop_column("language_code")
