"""Reports by scheme: a return snapshot keeps its organisation and schemes; indexes for a scheme's counts

Reports count only the cases of the manager's schemes, one of them or all (docs/organisations.md, "Reports"). A kept
snapshot now records the organisation and the schemes it was made over, so that running it again counts exactly
those, and only that organisation's managers see it. The snapshots kept before organisations counted every case of
the one organisation there was, so they belong to it, over all its schemes.

Three indexes on referrals begin with the scheme and then the date a figure counts by (referral, consent, outcome),
so that a manager's report reads only her schemes' cases of the period (diversion/reports/models.py).

Revision ID: 21f1c0de0001
Revises: 21d1c0de0001
Create Date: 2026-12-11 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "21f1c0de0001"
down_revision = "21d1c0de0001"
branch_labels = None
depends_on = None


SCHEME_INDEXES = {
    "ix_referrals_scheme_id_referred_on_court_id": ["scheme_id", "referred_on", "court_id"],
    "ix_referrals_scheme_id_consent_date_court_id": ["scheme_id", "consent_date", "court_id"],
    "ix_referrals_scheme_id_outcome_date_state": ["scheme_id", "outcome_date", "state", "court_id", "referred_on"],
}


def upgrade():
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for name, columns in SCHEME_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table("return_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("scheme_ids", sa.JSON(), nullable=True))
    bind = op.get_bind()
    kept = bind.execute(sa.text("SELECT count(*) FROM return_snapshots")).scalar_one()
    if kept:
        organisation = bind.execute(sa.text("SELECT min(id) FROM organisations")).scalar_one()
        schemes = [
            row[0]
            for row in bind.execute(
                sa.text("SELECT id FROM schemes WHERE organisation_id = :organisation ORDER BY id"),
                {"organisation": organisation},
            )
        ]
        snapshots = sa.table("return_snapshots", sa.column("organisation_id"), sa.column("scheme_ids", sa.JSON()))
        bind.execute(snapshots.update().values(organisation_id=organisation, scheme_ids=schemes))
    with op.batch_alter_table("return_snapshots", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("scheme_ids", existing_type=sa.JSON(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_return_snapshots_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_return_snapshots_organisation_id_created_at", ["organisation_id", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for name in SCHEME_INDEXES:
            batch_op.drop_index(name)
    with op.batch_alter_table("return_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_return_snapshots_organisation_id_created_at")
        batch_op.drop_constraint(batch_op.f("fk_return_snapshots_organisation_id_organisations"), type_="foreignkey")
        batch_op.drop_column("scheme_ids")
        batch_op.drop_column("organisation_id")
