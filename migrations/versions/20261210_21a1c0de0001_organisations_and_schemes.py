"""Organisations and schemes: every case, client, venue and staff account belongs to one organisation

One deployment now serves many charities (docs/organisations.md). A database from before this change holds one
scheme's data: it all moves into one organisation ("main") and one scheme ("diversion") that serves every court,
whose programme is version 1 with the first edition's two appointments. Support workers, managers and
administrators join that organisation (workers and managers its scheme), and each CPS user covers every court, as
before. The organisation keeps the service's blind-index key (its ``index_salt`` is empty), so its indexes stay
valid; organisations added later get their own.

Revision ID: 21a1c0de0001
Revises: 20a1c0de0001
Create Date: 2026-12-10 09:00:00.000000

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "21a1c0de0001"
down_revision = "20a1c0de0001"
branch_labels = None
depends_on = None

OPEN = "state IN ('ASSESSED', 'OPTED_IN', 'REFERRED')"
FIRST_PROGRAMME = {
    "name": "Court diversion",
    "steps": [{"number": 1, "produces": "assessment"}, {"number": 2, "produces": "care_plan"}],
    "deadline": "before_return_date",
    "at_risk_working_days": 5,
}


def _timestamps():
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade():
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("index_salt", sa.LargeBinary(length=32), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisations_slug")),
    )
    op.create_table(
        "schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("access", sa.String(length=16), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("access IN ('team', 'assigned')", name=op.f("ck_schemes_access_known")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_schemes_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schemes")),
        sa.UniqueConstraint("organisation_id", "slug", name="uq_schemes_organisation_slug"),
    )
    op.create_index(op.f("ix_schemes_organisation_id"), "schemes", ["organisation_id"], unique=False)
    op.create_table(
        "scheme_courts",
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["court_id"], ["courts.id"], name=op.f("fk_scheme_courts_court_id_courts")),
        sa.ForeignKeyConstraint(["scheme_id"], ["schemes.id"], name=op.f("fk_scheme_courts_scheme_id_schemes")),
        sa.PrimaryKeyConstraint("scheme_id", "court_id", name=op.f("pk_scheme_courts")),
    )
    op.create_index(op.f("ix_scheme_courts_court_id"), "scheme_courts", ["court_id"], unique=False)
    op.create_table(
        "user_schemes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["scheme_id"], ["schemes.id"], name=op.f("fk_user_schemes_scheme_id_schemes")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_schemes_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "scheme_id", name=op.f("pk_user_schemes")),
    )
    op.create_index(op.f("ix_user_schemes_scheme_id"), "user_schemes", ["scheme_id"], unique=False)
    op.create_table(
        "cps_courts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["court_id"], ["courts.id"], name=op.f("fk_cps_courts_court_id_courts")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_cps_courts_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "court_id", name=op.f("pk_cps_courts")),
    )
    op.create_index(op.f("ix_cps_courts_court_id"), "cps_courts", ["court_id"], unique=False)
    op.create_table(
        "programme_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("settings_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("number >= 1", name=op.f("ck_programme_versions_number_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_programme_versions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["scheme_id"], ["schemes.id"], name=op.f("fk_programme_versions_scheme_id_schemes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_versions")),
        sa.UniqueConstraint("scheme_id", "number", name="uq_programme_versions_scheme_number"),
    )

    # The first edition's data: one organisation, one scheme serving every court, its programme as version 1.
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO organisations (id, slug, name, index_salt, created_at, updated_at) "
            "VALUES (1, 'main', 'Main organisation', NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    bind.execute(
        sa.text(
            "INSERT INTO schemes (id, organisation_id, slug, name, access, created_at, updated_at) "
            "VALUES (1, 1, 'diversion', 'Court diversion', 'team', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    bind.execute(
        sa.text(
            "INSERT INTO programme_versions (id, scheme_id, number, settings_json, created_at) "
            "VALUES (1, 1, 1, :settings, CURRENT_TIMESTAMP)"
        ),
        {"settings": json.dumps(FIRST_PROGRAMME, sort_keys=True)},
    )
    if bind.dialect.name == "postgresql":
        for table in ("organisations", "schemes", "programme_versions"):
            bind.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)"))
    bind.execute(sa.text("INSERT INTO scheme_courts (scheme_id, court_id) SELECT 1, id FROM courts"))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    bind.execute(sa.text("UPDATE users SET organisation_id = 1 WHERE role IN ('worker', 'manager', 'admin')"))
    bind.execute(
        sa.text("INSERT INTO user_schemes (user_id, scheme_id) SELECT id, 1 FROM users WHERE role IN ('worker', 'manager')")
    )
    bind.execute(
        sa.text("INSERT INTO cps_courts (user_id, court_id) SELECT users.id, courts.id FROM users, courts WHERE role = 'cps'")
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_users_role_known"), "role IN ('worker', 'manager', 'court', 'cps', 'admin', 'operator')"
        )
        batch_op.create_check_constraint(
            op.f("ck_users_staff_have_an_organisation"),
            "(role IN ('worker', 'manager', 'admin')) = (organisation_id IS NOT NULL)",
        )
        batch_op.create_index(batch_op.f("ix_users_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_users_organisation_id_organisations"), "organisations", ["organisation_id"], ["id"]
        )

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    bind.execute(sa.text("UPDATE clients SET organisation_id = 1"))
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_clients_name_dob_index"))
        batch_op.create_index(
            "ix_clients_organisation_id_name_dob_index", ["organisation_id", "name_dob_index"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_clients_organisation_id_organisations"), "organisations", ["organisation_id"], ["id"]
        )

    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    bind.execute(sa.text("UPDATE venues SET organisation_id = 1"))
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(op.f("uq_venues_name"), type_="unique")
        batch_op.create_unique_constraint("uq_venues_organisation_name", ["organisation_id", "name"])
        batch_op.create_index(batch_op.f("ix_venues_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_venues_organisation_id_organisations"), "organisations", ["organisation_id"], ["id"]
        )

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("scheme_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("programme_version_id", sa.Integer(), nullable=True))
    bind.execute(sa.text("UPDATE referrals SET organisation_id = 1, scheme_id = 1, programme_version_id = 1"))
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        for column in ("organisation_id", "scheme_id", "programme_version_id"):
            batch_op.alter_column(column, existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_referrals_organisation_id_organisations"), "organisations", ["organisation_id"], ["id"]
        )
        batch_op.create_foreign_key(batch_op.f("fk_referrals_scheme_id_schemes"), "schemes", ["scheme_id"], ["id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_referrals_programme_version_id_programme_versions"),
            "programme_versions",
            ["programme_version_id"],
            ["id"],
        )
        batch_op.drop_index("uq_referrals_open_urn", sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.create_index(
            "uq_referrals_open_urn",
            ["organisation_id", "urn_index"],
            unique=True,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )
        batch_op.create_index("ix_referrals_scheme_id_created_at_id", ["scheme_id", "created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_referrals_organisation_id_created_at_id", ["organisation_id", "created_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_organisation_id_created_at_id")
        batch_op.drop_index("ix_referrals_scheme_id_created_at_id")
        batch_op.drop_index("uq_referrals_open_urn", sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.create_index(
            "uq_referrals_open_urn", ["urn_index"], unique=True, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN)
        )
        batch_op.drop_constraint(
            batch_op.f("fk_referrals_programme_version_id_programme_versions"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_referrals_scheme_id_schemes"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_referrals_organisation_id_organisations"), type_="foreignkey")
        batch_op.drop_column("programme_version_id")
        batch_op.drop_column("scheme_id")
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_venues_organisation_id_organisations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_venues_organisation_id"))
        batch_op.drop_constraint("uq_venues_organisation_name", type_="unique")
        batch_op.create_unique_constraint(op.f("uq_venues_name"), ["name"])
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_clients_organisation_id_organisations"), type_="foreignkey")
        batch_op.drop_index("ix_clients_organisation_id_name_dob_index")
        batch_op.create_index(batch_op.f("ix_clients_name_dob_index"), ["name_dob_index"], unique=False)
        batch_op.drop_column("organisation_id")
    op.drop_table("programme_versions")
    op.drop_index(op.f("ix_cps_courts_court_id"), table_name="cps_courts")
    op.drop_table("cps_courts")
    op.drop_index(op.f("ix_user_schemes_scheme_id"), table_name="user_schemes")
    op.drop_table("user_schemes")
    op.drop_index(op.f("ix_scheme_courts_court_id"), table_name="scheme_courts")
    op.drop_table("scheme_courts")
    op.execute("DELETE FROM users WHERE role = 'operator'")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_organisation_id_organisations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_organisation_id"))
        batch_op.drop_constraint(op.f("ck_users_staff_have_an_organisation"), type_="check")
        batch_op.drop_constraint(op.f("ck_users_role_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_users_role_known"), "role IN ('worker', 'manager', 'court', 'cps', 'admin')"
        )
        batch_op.drop_column("organisation_id")
    op.drop_index(op.f("ix_schemes_organisation_id"), table_name="schemes")
    op.drop_table("schemes")
    op.drop_table("organisations")
