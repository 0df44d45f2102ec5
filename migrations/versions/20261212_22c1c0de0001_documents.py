"""Documents: files on a case, their title and bytes encrypted under her data key

A document keeps, in plain columns, its case (and her client id, whose data key encrypts it), its type as found from
its content, its size and who uploaded it when; its title and the file are ciphertext (docs/encryption.md,
"Documents"). The file's column is binary: up to 10 MB of file and the cipher's few bytes more.

Revision ID: 22c1c0de0001
Revises: 22d1c0de0001
Create Date: 2026-12-12 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "22c1c0de0001"
down_revision = "22d1c0de0001"
branch_labels = None
depends_on = None

CONTENT_TYPES = (
    "'application/pdf', 'image/jpeg', 'image/png', "
    "'application/vnd.openxmlformats-officedocument.wordprocessingml.document'"
)


def upgrade():
    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.LargeBinary(), nullable=True),
        sa.Column("file", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(f"content_type IN ({CONTENT_TYPES})", name=op.f("ck_documents_content_type_known")),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_documents_size_positive")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_documents_client_id_clients")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_documents_referral_id_referrals")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_documents_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index("ix_documents_referral_uploaded", "documents", ["referral_id", "uploaded_at"], unique=False)


def downgrade():
    op.drop_index("ix_documents_referral_uploaded", table_name="documents")
    op.drop_table("documents")
