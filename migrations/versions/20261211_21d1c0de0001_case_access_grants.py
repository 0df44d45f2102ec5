"""Need to know inside a team: the reasons support workers give to open a colleague's case

In a scheme with the ``assigned`` access rule a support worker opens her own cases and those with no worker; a
colleague's case opens once she has given a reason, which lets her open it until the end of that day
(docs/organisations.md, "Need to know"). Each reason is a row here, encrypted under the client's data key.

Revision ID: 21d1c0de0001
Revises: 21b1c0de0001
Create Date: 2026-12-11 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "21d1c0de0001"
down_revision = "21b1c0de0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_access_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_case_access_grants_client_id_clients")),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_case_access_grants_referral_id_referrals")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_case_access_grants_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_access_grants")),
    )
    with op.batch_alter_table("case_access_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_access_grants_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_access_grants_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index("ix_case_access_grants_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_case_access_grants_user_id_referral_id_expires_at",
            ["user_id", "referral_id", "expires_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("case_access_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_case_access_grants_user_id_referral_id_expires_at")
        batch_op.drop_index("ix_case_access_grants_created_at_id")
        batch_op.drop_index(batch_op.f("ix_case_access_grants_referral_id"))
        batch_op.drop_index(batch_op.f("ix_case_access_grants_client_id"))
    op.drop_table("case_access_grants")
