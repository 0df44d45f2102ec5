"""Commands: the retention run, the subject access export, backups and restores. Output names ids and counts; the
export alone prints her data, to standard output, for the person answering her request. A refusal is click's own
ClickException: "Error: ..." on standard error and exit status 1, as the other commands say it (diversion/cli.py)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from diversion.clients.services import get_client
from diversion.errors import DomainError


def _organisation(slug: str | None) -> Any:
    """The organisation ``--org`` names; while the service holds one, it may be left out. A clear error otherwise."""
    from diversion.organisations.services import only_organisation, organisation_by_slug

    if slug:
        found = organisation_by_slug(slug)
        if found is None:
            raise click.ClickException(f"There is no organisation {slug!r}.")
        return found
    found = only_organisation()
    if found is None:
        raise click.ClickException("Name the organisation with --org SLUG: the service holds more than one.")
    return found


ORG_HELP = "The organisation's short name; may be left out while the service holds one."


@click.command("run")
@click.option("--org", "org", default=None, help=ORG_HELP)
@click.option("--dry-run", is_flag=True, help="Say who would be erased; erase nobody.")
@click.option(
    "--today",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as if it were this London date (YYYY-MM-DD); default today.",
)
@with_appcontext
def retention_run(org: str | None, dry_run: bool, on: datetime | None) -> None:
    """Crypto-shred every client of the organisation past the retention period who is not under a legal hold. The
    audit events past their own period are deleted from the service's one audit log."""
    from diversion.privacy.retention import run_retention

    organisation = _organisation(org)
    run = run_retention(on.date() if on else None, dry_run=dry_run, organisation=organisation)
    if dry_run:
        click.echo(
            f"Dry run for {organisation.slug} on {run.on.isoformat()}: {run.due} clients due for erasure; "
            f"{run.held} under legal hold; "
            f"{run.audit_events} audit events past their period."
        )
        return
    for client_id in run.erased:
        click.echo(f"Client {client_id} erased (retention).")
    for client_id, cause in sorted(run.failed.items()):
        click.echo(f"Client {client_id} not erased: {cause}.", err=True)
    click.echo(
        f"Retention run for {organisation.slug} on {run.on.isoformat()}: {len(run.erased)} clients erased; "
        f"{run.held} under legal hold; "
        f"{len(run.failed)} failed; {run.audit_events} audit events past their period deleted."
    )
    if run.failed:
        sys.exit(1)


@click.command("export")
@click.argument("client_id")
@click.option("--org", "org", default=None, help=ORG_HELP)
@with_appcontext
def clients_export(client_id: str, org: str | None) -> None:
    """Print everything held about a client of the organisation as JSON (subject access); the export is audited."""
    from diversion.privacy.export import export_client

    organisation = _organisation(org)
    client = get_client(client_id)
    if client is None or client.organisation_id != organisation.id:
        # Another organisation's client is answered as no client at all.
        raise click.ClickException("No client with that id.")
    made = export_client(client, None, "json")
    click.echo(json.dumps(made.as_dict(), indent=2, sort_keys=True))


@click.command("create")
@click.option("--main", "main_path", required=True, type=click.Path(path_type=Path), help="New file for the main DB.")
@click.option(
    "--keys",
    "keys_path",
    required=True,
    type=click.Path(path_type=Path),
    help="New file for the key store, in another directory (other storage, kept briefly).",
)
@with_appcontext
def backup_create(main_path: Path, keys_path: Path) -> None:
    """Back up the main database and the key store to two separate files."""
    from diversion.privacy.backups import BackupError, create_backup

    try:
        files = create_backup(main_path, keys_path)
    except (BackupError, DomainError) as error:
        raise click.ClickException(str(error) if isinstance(error, BackupError) else error.message) from None
    click.echo(f"Main database backed up to {files.main}.")
    click.echo(f"Key store backed up to {files.keys}: store it apart from the main backup, and not for long.")


@click.command("restore")
@click.option("--main", "main_path", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None)
@click.option("--keys", "keys_path", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None)
@click.option(
    "--ids-file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="Your register of erased clients, kept outside both backups: one client id per line.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def backup_restore(main_path: Path | None, keys_path: Path | None, ids_file: Any, yes: bool) -> None:
    """Restore the main database and/or the key store from backups, then erase again everyone erased before."""
    from diversion.keys.services import erased_ids_from
    from diversion.privacy.backups import BackupError, restore_backup

    try:
        register = erased_ids_from(ids_file) if ids_file is not None else []
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if not yes:
        click.confirm("This replaces the live data with the backup. Continue?", abort=True)
    try:
        report = restore_backup(main_path, keys_path, register)
    except (BackupError, DomainError) as error:
        raise click.ClickException(str(error) if isinstance(error, BackupError) else error.message) from None
    for name in report.unread:
        click.echo(f"Warning: the live {name} could not be read before the restore; pass --ids-file.", err=True)
    click.echo(f"Restored: {', '.join(report.restored)}.")
    click.echo(
        f"Erasures re-applied: {report.keys_destroyed} data keys destroyed again; "
        f"{report.clients_marked} clients marked erased again. Now run keys verify."
    )


RETENTION_COMMANDS = (retention_run,)
BACKUP_COMMANDS = (backup_create, backup_restore)
