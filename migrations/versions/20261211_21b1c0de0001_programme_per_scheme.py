"""The programme holds the reminder lead times, the retention period and the consent wordings, per scheme

Each scheme keeps its own register of consent wordings (``consent_wordings.scheme_id``): the existing wordings are
the first scheme's, and any other scheme already added gets a copy of the wordings in use. Every programme version
now names, besides its steps, deadline rule and at-risk days (docs/organisations.md, "Programmes"):

- ``reminder_lead_times``: the deployment's ``REMINDER_LEAD_TIMES`` setting when it set one (the environment this
  migration runs in), else the default, the day before at 10am and two hours before;
- ``retention_years``: 6, the shorter of the client identity and support content periods the configuration held;
- ``consent_wordings``: the id of its scheme's wording in use for each purpose.

So a case keeps reading her the words it read her, and its reminders and retention stay as they were.

A downgrade is refused once a scheme other than the first has wordings of its own: the register it goes back to has
one version number per purpose for the whole service.

Revision ID: 21b1c0de0001
Revises: 21a1c0de0001
Create Date: 2026-12-11 09:00:00.000000

"""

import json
import os

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "21b1c0de0001"
down_revision = "21a1c0de0001"
branch_labels = None
depends_on = None

DEFAULT_LEAD_TIMES = ["1d@10:00", "2h"]
RETENTION_YEARS = 6
PURPOSES = ("support", "share_with_court_cps", "reminders", "equality_monitoring")


def _lead_times():
    configured = [item.strip() for item in os.environ.get("REMINDER_LEAD_TIMES", "").split(",") if item.strip()]
    return configured or DEFAULT_LEAD_TIMES


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table("consent_wordings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheme_id", sa.Integer(), nullable=True))
    first = bind.execute(sa.text("SELECT MIN(id) FROM schemes")).scalar()
    if first is not None:
        bind.execute(sa.text("UPDATE consent_wordings SET scheme_id = :first"), {"first": first})
        # A scheme added before this migration gets the wordings in use, as they are (same number, version, text).
        others = bind.execute(sa.text("SELECT id FROM schemes WHERE id <> :first"), {"first": first}).scalars().all()
        for scheme_id in others:
            bind.execute(
                sa.text(
                    "INSERT INTO consent_wordings (scheme_id, purpose, number, version, text, published_at, "
                    "published_by_id) SELECT :scheme, w.purpose, w.number, w.version, w.text, w.published_at, "
                    "w.published_by_id FROM consent_wordings w WHERE w.scheme_id = :first AND w.number = "
                    "(SELECT MAX(n.number) FROM consent_wordings n WHERE n.scheme_id = :first "
                    "AND n.purpose = w.purpose)"
                ),
                {"scheme": scheme_id, "first": first},
            )
    with op.batch_alter_table("consent_wordings", schema=None) as batch_op:
        batch_op.alter_column("scheme_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("uq_consent_wordings_purpose_number", type_="unique")
        batch_op.drop_constraint("uq_consent_wordings_purpose_version", type_="unique")
        batch_op.create_unique_constraint(
            "uq_consent_wordings_scheme_purpose_number", ["scheme_id", "purpose", "number"]
        )
        batch_op.create_unique_constraint(
            "uq_consent_wordings_scheme_purpose_version", ["scheme_id", "purpose", "version"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_consent_wordings_scheme_id_schemes"), "schemes", ["scheme_id"], ["id"]
        )

    # Each version's settings are made whole. A version is never edited by the service; this fills in what the
    # configuration said for every version alike, so no case's rules change.
    in_use = {}
    for row in bind.execute(
        sa.text(
            "SELECT w.scheme_id, w.purpose, w.id FROM consent_wordings w WHERE w.number = "
            "(SELECT MAX(n.number) FROM consent_wordings n WHERE n.scheme_id = w.scheme_id "
            "AND n.purpose = w.purpose)"
        )
    ):
        in_use.setdefault(row.scheme_id, {})[row.purpose] = row.id
    lead_times = _lead_times()
    for row in bind.execute(sa.text("SELECT id, scheme_id, settings_json FROM programme_versions")).all():
        settings = json.loads(row.settings_json)
        settings.setdefault("reminder_lead_times", lead_times)
        settings.setdefault("retention_years", RETENTION_YEARS)
        settings.setdefault("consent_wordings", {purpose: in_use[row.scheme_id][purpose] for purpose in PURPOSES})
        bind.execute(
            sa.text("UPDATE programme_versions SET settings_json = :settings WHERE id = :id"),
            {"settings": json.dumps(settings, sort_keys=True), "id": row.id},
        )


def downgrade():
    bind = op.get_bind()
    first = bind.execute(sa.text("SELECT MIN(scheme_id) FROM consent_wordings")).scalar()
    others = bind.execute(
        sa.text("SELECT COUNT(*) FROM consent_wordings WHERE scheme_id <> :first"), {"first": first}
    ).scalar()
    if others:
        raise RuntimeError(
            "Cannot downgrade: schemes other than the first have consent wordings of their own, and the register "
            "before this revision has one set for the whole service."
        )
    for row in bind.execute(sa.text("SELECT id, settings_json FROM programme_versions")).all():
        settings = json.loads(row.settings_json)
        for key in ("reminder_lead_times", "retention_years", "consent_wordings"):
            settings.pop(key, None)
        bind.execute(
            sa.text("UPDATE programme_versions SET settings_json = :settings WHERE id = :id"),
            {"settings": json.dumps(settings, sort_keys=True), "id": row.id},
        )
    with op.batch_alter_table("consent_wordings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_consent_wordings_scheme_id_schemes"), type_="foreignkey")
        batch_op.drop_constraint("uq_consent_wordings_scheme_purpose_version", type_="unique")
        batch_op.drop_constraint("uq_consent_wordings_scheme_purpose_number", type_="unique")
        batch_op.create_unique_constraint("uq_consent_wordings_purpose_number", ["purpose", "number"])
        batch_op.create_unique_constraint("uq_consent_wordings_purpose_version", ["purpose", "version"])
        batch_op.drop_column("scheme_id")
