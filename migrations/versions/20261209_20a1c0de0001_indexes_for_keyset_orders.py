"""Indexes for the pages: the lists' newest-first order after each filter, a court's day, a worker's open cases

Each list pages newest first by (created_at, id); these indexes hold that order after the filter's equality (none,
court, state, return date), so a page reads its own rows and stops instead of sorting every case. A single-column
index that a new one starts with is dropped: the new one answers every query the old one did.

Revision ID: 20a1c0de0001
Revises: 19b2c0de0001
Create Date: 2026-12-09 09:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "20a1c0de0001"
down_revision = "19b2c0de0001"
branch_labels = None
depends_on = None

REFERRALS = (
    ("ix_referrals_created_at_id", ["created_at", "id"]),
    ("ix_referrals_court_id_created_at_id", ["court_id", "created_at", "id"]),
    ("ix_referrals_state_created_at_id", ["state", "created_at", "id"]),
    ("ix_referrals_return_date_created_at_id", ["return_date", "created_at", "id"]),
    ("ix_referrals_court_id_return_date", ["court_id", "return_date"]),
    ("ix_referrals_assigned_worker_id_state", ["assigned_worker_id", "state"]),
)
REFERRALS_REPLACED = (
    ("ix_referrals_court_id", ["court_id"]),
    ("ix_referrals_state", ["state"]),
    ("ix_referrals_return_date", ["return_date"]),
    ("ix_referrals_assigned_worker_id", ["assigned_worker_id"]),
)
NOTICES = (
    ("ix_outcome_notices_created_at_id", ["created_at", "id"]),
    ("ix_outcome_notices_court_id_created_at_id", ["court_id", "created_at", "id"]),
    ("ix_outcome_notices_superseded_at_acknowledged_at", ["superseded_at", "acknowledged_at"]),
)
NOTICES_REPLACED = (
    ("ix_outcome_notices_created_at", ["created_at"]),
    ("ix_outcome_notices_court_id", ["court_id"]),
)


def _swap(table, add, drop):
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, columns in add:
            batch_op.create_index(name, columns, unique=False)
        for name, _columns in drop:
            batch_op.drop_index(name)


def upgrade():
    _swap("referrals", REFERRALS, REFERRALS_REPLACED)
    _swap("outcome_notices", NOTICES, NOTICES_REPLACED)
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointments_supersedes_id", ["supersedes_id"], unique=False)


def downgrade():
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_supersedes_id")
    _swap("outcome_notices", NOTICES_REPLACED, NOTICES)
    _swap("referrals", REFERRALS_REPLACED, REFERRALS)
