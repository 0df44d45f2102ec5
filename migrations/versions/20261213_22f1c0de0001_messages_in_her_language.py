"""Messages in her language: each scheme's approved wordings of her reminders, per language, and each reminder's
language

``message_wordings`` keeps one row per approved version of a language's messages in a scheme (the text message, the
email's subject and the email), never edited: a change is the next number (docs/languages.md, "Messages in her
language"). Each message in ``notifications`` records the language its wording is in, and why it is English when she
speaks another. No wording is approved by the upgrade: until a manager approves her language, her reminders go in
English, as they did before.

Revision ID: 22f1c0de0001
Revises: 22c1c0de0001
Create Date: 2026-12-13 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "22f1c0de0001"
down_revision = "22c1c0de0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "message_wordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("language_code", sa.String(length=8), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sms_body", sa.Text(), nullable=False),
        sa.Column("email_subject", sa.Text(), nullable=False),
        sa.Column("email_body", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("number >= 1", name=op.f("ck_message_wordings_number_positive")),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_message_wordings_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(["scheme_id"], ["schemes.id"], name=op.f("fk_message_wordings_scheme_id_schemes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_wordings")),
        sa.UniqueConstraint("scheme_id", "language_code", "number", name="uq_message_wordings_scheme_language_number"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("language_fallback", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("language_fallback")
        batch_op.drop_column("language_code")
    op.drop_table("message_wordings")
