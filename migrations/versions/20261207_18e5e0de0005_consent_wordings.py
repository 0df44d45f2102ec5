"""The register of consent wordings: each ledger line points at the version of the words she was read

Revision ID: 18e5e0de0005
Revises: 18a1c0de0001
Create Date: 2026-12-07 09:00:00.000000

The first version of each purpose is the wording the consent page showed until now (version "2026-1"). Every
existing ledger line is pointed at it: the page only ever showed that wording, and a different version string could
only have come from an API client, which the API accepted without any words behind it, so it names no other text.
A downgrade puts each line's version name back as its string.

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "18e5e0de0005"
down_revision = "18a1c0de0001"
branch_labels = None
depends_on = None

FIRST_VERSION = "2026-1"
FIRST_PUBLISHED = datetime(2026, 11, 29, tzinfo=UTC)
# The words of diversion/referrals/wording.py before the register, exactly as the consent page showed them.
FIRST_WORDINGS = {
    "support": (
        "I agree to take part in the diversion scheme: to meet a support worker for a needs assessment and to "
        "make a Care Action Plan with them before my return date at court."
    ),
    "share_with_court_cps": (
        "I agree that the scheme tells the court and the Crown Prosecution Service whether I went to my "
        "appointments and whether I completed the scheme. They are not told what I say in my assessment or "
        "my plan."
    ),
    "reminders": (
        "I agree to be sent reminders of my appointments by text message or email. A reminder does not say "
        "what the appointment is for."
    ),
    "equality_monitoring": (
        "I agree that my ethnic group may be recorded and counted, without my name, in reports on who the "
        "scheme reaches. Saying no changes nothing about my support."
    ),
}
PURPOSES = "'support', 'share_with_court_cps', 'reminders', 'equality_monitoring'"


def upgrade():
    wordings = op.create_table(
        "consent_wordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(f"purpose IN ({PURPOSES})", name=op.f("ck_consent_wordings_purpose_known")),
        sa.CheckConstraint("number >= 1", name=op.f("ck_consent_wordings_number_positive")),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_consent_wordings_published_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_wordings")),
        sa.UniqueConstraint("purpose", "number", name="uq_consent_wordings_purpose_number"),
        sa.UniqueConstraint("purpose", "version", name="uq_consent_wordings_purpose_version"),
    )
    op.bulk_insert(
        wordings,
        [
            {"purpose": purpose, "number": 1, "version": FIRST_VERSION, "text": text, "published_at": FIRST_PUBLISHED}
            for purpose, text in FIRST_WORDINGS.items()
        ],
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wording_id", sa.Integer(), nullable=True))
    # Each line onto the first version of its purpose (see above: no other words ever existed).
    op.execute(
        "UPDATE consents SET wording_id = (SELECT consent_wordings.id FROM consent_wordings"
        " WHERE consent_wordings.purpose = consents.purpose AND consent_wordings.number = 1)"
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.alter_column("wording_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_consents_wording_id_consent_wordings"), "consent_wordings", ["wording_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_consents_wording_id"), ["wording_id"], unique=False)
        batch_op.drop_column("wording_version")


def downgrade():
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wording_version", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE consents SET wording_version = (SELECT consent_wordings.version FROM consent_wordings"
        " WHERE consent_wordings.id = consents.wording_id)"
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.alter_column("wording_version", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_index(batch_op.f("ix_consents_wording_id"))
        batch_op.drop_constraint(batch_op.f("fk_consents_wording_id_consent_wordings"), type_="foreignkey")
        batch_op.drop_column("wording_id")
    op.drop_table("consent_wordings")
