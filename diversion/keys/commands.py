"""The ``keys`` command line: a new master key line, the key store's table, and the operations on every encrypted
value (rotate, reindex, verify, sweep orphans, re-apply erasures after a restore), each a thin wrapper around
diversion/keys/services.py with a progress display. Output names tables, columns, row ids and client ids, and
counts; never a value.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from diversion.crypto.errors import KeyConfigurationError, KeyStoreError, KeyStoreUnavailable
from diversion.crypto.keys import generate_master_key_line
from diversion.keyring import create_keystore_schema, keyring
from diversion.keys.services import (
    DEFAULT_BATCH,
    erased_ids_from,
    reapply_erasures,
    reindex_blind_indexes,
    rotate_keys,
    sweep_orphan_keys,
    verify_encryption,
)


class LineProgress:
    """A progress bar on a terminal; elsewhere (logs, pipes) a line per whole percent, so a log shows how far it got."""

    def __init__(self) -> None:
        self._label: str | None = None
        self._percent = -1
        self._stack = ExitStack()
        self._bar: Any = None
        self._interactive = sys.stdout.isatty()

    def __call__(self, label: str, done: int, total: int) -> None:
        if label != self._label:
            self.close()
            self._label = label
            self._percent = -1
            if self._interactive:
                self._bar = self._stack.enter_context(click.progressbar(length=max(total, 1), label=label))
        if self._bar is not None:
            self._bar.length = max(total, 1)
            self._bar.update(done - self._bar.pos)
            return
        percent = 100 * done // total if total else 100
        if percent != self._percent:
            self._percent = percent
            click.echo(f"{label}: {done} of {total} ({percent}%)")

    def close(self) -> None:
        """Finish the current bar, if any."""
        self._stack.close()
        self._bar = None


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


batch_option = click.option(
    "--batch-size", default=DEFAULT_BATCH, show_default=True, type=click.IntRange(1), help="Rows per transaction."
)


@click.command("generate")
@with_appcontext
def keys_generate() -> None:
    """Print a new master key line (id:base64key) for DIVERSION_MASTER_KEYS."""
    click.echo(generate_master_key_line())


@click.command("init")
@with_appcontext
def keys_init() -> None:
    """Create the key store's table when it is missing. Safe to run again; `db upgrade` runs it too."""
    try:
        create_keystore_schema(current_app)
    except KeyStoreUnavailable as error:
        _fail(str(error))
    click.echo("Key store ready.")


@click.command("rotate")
@batch_option
@with_appcontext
def keys_rotate(batch_size: int) -> None:
    """Put every data key, user secret and blind index under the active master key; resumable."""
    progress = LineProgress()
    try:
        report = rotate_keys(batch_size, progress)
    except KeyConfigurationError as error:
        progress.close()
        _fail(str(error))
    progress.close()
    click.echo(
        f"Data keys rewrapped: {report.rewrapped}; user secrets rewritten: {report.user_fields}; index values "
        f"rewritten: {report.reindex.rewritten} ({report.reindex.unchanged} already current)."
    )
    for client_id, reason in sorted(report.key_failures.items()):
        click.echo(f"data key of client {client_id} not rewrapped: {reason}", err=True)
    for table, column, row_id in report.user_failures:
        click.echo(f"unreadable: table={table} column={column} row={row_id}", err=True)
    for table, row_id in report.reindex.unreadable:
        click.echo(f"index not rebuilt (value unreadable): table={table} row={row_id}", err=True)
    if report.audit is not None:
        chain = report.audit.chain
        if not chain.ok:
            where = f"event {chain.bad_event_id}" if chain.bad_event_id is not None else "the chain head"
            click.echo(f"audit chain not sealed: broken at {where}: {chain.problem}", err=True)
        elif report.audit.sealed_to is not None:
            sealed_to = report.audit.sealed_to
            click.echo(f"Audit chain checked and sealed under {keyring().active.id} up to event {sealed_to}.")
    if not report.ok:
        _fail(f"{keyring().active.id} is not yet protecting everything; see above, then run keys verify.")
    click.echo(f"Everything is under master key {keyring().active.id}. Run keys verify, then remove the old keys.")


@click.command("reindex")
@batch_option
@with_appcontext
def keys_reindex(batch_size: int) -> None:
    """Rebuild the blind indexes (name + date of birth, URN) under the current index keys."""
    progress = LineProgress()
    report = reindex_blind_indexes(batch_size, progress)
    progress.close()
    click.echo(f"Index values rewritten: {report.rewritten}; already current: {report.unchanged}.")
    for table, row_id in report.unreadable:
        click.echo(f"index not rebuilt (value unreadable): table={table} row={row_id}", err=True)
    if report.unreadable:
        _fail(f"{len(report.unreadable)} index values could not be rebuilt; run keys verify.")


@click.command("verify")
@batch_option
@with_appcontext
def keys_verify(batch_size: int) -> None:
    """Decrypt every encrypted value and unwrap every data key; exit 1 naming each record that fails."""
    progress = LineProgress()
    report = verify_encryption(batch_size, progress, on_failure=lambda line: click.echo(line, err=True))
    progress.close()
    click.echo(
        f"Checked {report.checked} encrypted values in {report.rows} rows; {report.erased_rows} values of erased "
        f"clients skipped."
    )
    if not report.ok:
        failed = len(report.failures) + len(report.keys_failed) + len(report.erased_with_live_key)
        _fail(f"{failed} {'check' if failed == 1 else 'checks'} failed; each is named above.")
    click.echo("Every encrypted value is readable.")


@click.command("sweep-orphans")
@click.option("--older-than-hours", default=24, show_default=True, type=click.IntRange(1), help="Minimum age.")
@click.option("--max", "max_orphans", default=1000, show_default=True, type=click.IntRange(1), help="Safety limit.")
@with_appcontext
def keys_sweep_orphans(older_than_hours: int, max_orphans: int) -> None:
    """Delete data keys of clients that never made it into the main database."""
    try:
        deleted = sweep_orphan_keys(timedelta(hours=older_than_hours), max_orphans)
    except KeyStoreError as error:
        _fail(f"{error} Is DATABASE_URL the main database that goes with this key store?")
    click.echo(f"Orphan data keys deleted: {deleted}.")


@click.command("reapply-erasures")
@click.option(
    "--ids-file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="Your register of erased clients: one client id per line.",
)
@with_appcontext
def keys_reapply_erasures(ids_file: Any) -> None:
    """After a restore, destroy again the keys of erased clients and mark erased those whose keys are gone."""
    try:
        register = erased_ids_from(ids_file) if ids_file is not None else []
    except ValueError as error:
        _fail(str(error))
    destroyed, completed = reapply_erasures(register)
    click.echo(f"Data keys destroyed again: {destroyed}; clients marked erased again: {completed}.")


KEYS_COMMANDS = (
    keys_generate,
    keys_init,
    keys_rotate,
    keys_reindex,
    keys_verify,
    keys_sweep_orphans,
    keys_reapply_erasures,
)
