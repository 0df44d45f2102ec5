"""Alembic environment for Flask-Migrate: batch mode for SQLite, our UTC type rendered as a plain DateTime."""

import logging

from alembic import context
from flask import current_app

config = context.config
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_metadata():
    return current_app.extensions["migrate"].db.metadata


def render_item(type_, obj, autogen_context):
    """Render the app's own column types as the portable types they store, so migrations import nothing of ours."""
    from diversion.db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline():
    context.configure(
        url=get_engine().url.render_as_string(hide_password=False),
        target_metadata=get_metadata(),
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        # An autogenerate that finds nothing writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)

    with get_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by rebuilding it (copy, drop, rename). With foreign keys enforced, dropping a
            # table that other rows point at (a user's sessions, her schemes) fails, and deferring the checks does
            # not help: the drop counts the rows as broken for good. So, as Alembic's documentation advises for
            # batch migrations, enforcement is off while the migrations run (the pragma only takes effect outside a
            # transaction, so it is sent on the driver's connection before one begins), every reference is checked
            # before the commit, and enforcement comes back on.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
            # Alembic runs SQLite's migrations without one transaction around them all: what is left open is ended
            # here, or the pragma below would not take effect.
            if sqlite and connection.in_transaction():
                connection.commit()
        finally:
            if sqlite:
                if connection.in_transaction():
                    connection.rollback()
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def create_keystore_schema():
    """The key store's one table, made here so that `db upgrade` sets up both databases: the app never makes it when
    it starts (diversion/keyring.py). Idempotent, and the same whichever revision the main database is moved to."""
    from diversion.keyring import create_keystore_schema as create

    create(current_app)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
    create_keystore_schema()
