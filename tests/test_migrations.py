"""Migrations: an empty database goes to head and back to base, and the models match the migrations."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from diversion.extensions import db
from tests.conftest import build_app, dispose_app, make_environ


def test_upgrade_to_head_matches_models_and_downgrades_to_base(databases, master_keys, tmp_path) -> None:
    url = databases.new("migrate")
    app = build_app(make_environ(url, f"sqlite:///{tmp_path / 'ks.db'}", master_keys, tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations disagree: {differences}"
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"users", "courts", "audit_events", "audit_head", "user_sessions", "api_tokens"} <= tables
        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()
    dispose_app(app)


def test_foreign_keys_are_enforced(app, app_ctx) -> None:
    """On SQLite too (PRAGMA foreign_keys=ON on every connection): a user pointing at no court is refused."""
    insert = sa.text(
        "INSERT INTO users (id, email, display_name, role, court_id, password_hash, must_change_password,"
        " is_disabled, failed_login_count, created_at, updated_at) VALUES (:id, 'x@example.org', 'X', 'court',"
        " 999999, 'x', false, false, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    row_id = uuid.uuid4().hex if db.engine.dialect.name == "sqlite" else str(uuid.uuid4())
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(insert, {"id": row_id})
