"""Drafts: what she typed into a long form, kept encrypted until the form is saved or the draft expires

Revision ID: f17d4a5b6c07
Revises: e17a2b3c4d05
Create Date: 2026-12-06 04:00:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "f17d4a5b6c07"
down_revision = "e17a2b3c4d05"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "drafts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_drafts_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_drafts_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("author_id", "kind", "target", name="uq_drafts_author_kind_target"),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index("ix_drafts_expires_at", ["expires_at"], unique=False)
        batch_op.create_index("ix_drafts_client_id", ["client_id"], unique=False)


def downgrade():
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index("ix_drafts_client_id")
        batch_op.drop_index("ix_drafts_expires_at")
    op.drop_table("drafts")
