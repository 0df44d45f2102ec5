"""Revision 21f1c0de0001: a snapshot kept before reports were by scheme belongs to the one organisation there was,
over all its schemes, and its re-run counts them again; a downgrade takes the two columns away and keeps the row."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from diversion.extensions import db
from tests.conftest import build_app, dispose_app, make_environ

BEFORE = "21a1c0de0001"


def test_a_snapshot_kept_before_belongs_to_the_organisation_over_its_schemes(databases, master_keys, tmp_path) -> None:
    url = databases.new("snapshots")
    app = build_app(make_environ(url, f"sqlite:///{tmp_path / 'ks.db'}", master_keys, tmp_path))
    with app.app_context():
        upgrade(revision=BEFORE)
        snapshots = sa.table(
            "return_snapshots",
            sa.column("id", sa.Uuid()),
            sa.column("created_at", sa.DateTime(timezone=True)),
            sa.column("period_start", sa.Date()),
            sa.column("period_end", sa.Date()),
            sa.column("period_kind", sa.String()),
            sa.column("indicators_hash", sa.String()),
            sa.column("cases_hash", sa.String()),
            sa.column("case_count", sa.Integer()),
            sa.column("figures", sa.JSON()),
        )
        kept = uuid.uuid4()
        db.session.execute(
            snapshots.insert().values(
                id=kept,
                created_at=datetime(2026, 4, 2, 9, tzinfo=UTC),
                period_start=date(2026, 1, 1),
                period_end=date(2026, 3, 31),
                period_kind="quarter",
                indicators_hash="0" * 64,
                cases_hash="0" * 64,
                case_count=0,
                figures={},
            )
        )
        db.session.commit()
        db.session.remove()
        upgrade()
        organisation, schemes = db.session.execute(
            sa.text("SELECT organisation_id, scheme_ids FROM return_snapshots WHERE id = :id"),
            {"id": kept.hex if db.engine.dialect.name == "sqlite" else str(kept)},
        ).one()
        assert organisation == 1
        assert (json.loads(schemes) if isinstance(schemes, str) else schemes) == [1]
        db.session.rollback()
        downgrade(revision=BEFORE)
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("return_snapshots")}
        assert "organisation_id" not in columns
        assert "scheme_ids" not in columns
        assert db.session.execute(sa.text("SELECT count(*) FROM return_snapshots")).scalar_one() == 1
        db.session.rollback()
    dispose_app(app)
