"""Command groups for ``flask --app wsgi ...``: courts, users, keys, audit, demo data, the daily case sweep.

Commands print ids and counts; they never print a client's sensitive values.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup

from diversion.errors import DomainError

courts_cli = AppGroup("courts", help="Manage courts.")
users_cli = AppGroup("users", help="Manage users and API tokens.")
keys_cli = AppGroup("keys", help="Master keys and encryption.")
audit_cli = AppGroup("audit", help="The audit log.")
demo_cli = AppGroup("demo", help="Demonstration data.")
clients_cli = AppGroup("clients", help="Client records.")
cases_cli = AppGroup("cases", help="Case housekeeping: the daily sweep.")
webhooks_cli = AppGroup("webhooks", help="Webhooks for partners: send the deliveries that are due (docs/webhooks.md).")
notifications_cli = AppGroup("notifications", help="Messages: the RQ worker that sends them.")
retention_cli = AppGroup("retention", help="Retention: erasing clients past the retention period.")
backup_cli = AppGroup("backup", help="Backups of the main database and the key store, kept apart.")
venues_cli = AppGroup("venues", help="The venues where appointments are held.")
appointments_cli = AppGroup("appointments", help="Appointments: moving old plaintext places into encrypted fields.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@courts_cli.command("add")
@click.argument("code")
@click.argument("name")
def courts_add(code: str, name: str) -> None:
    """Add a court with a CODE and a NAME."""
    from diversion.admin.services import save_court

    try:
        court = save_court(code, name)
    except DomainError as error:
        _fail(error.message)
    click.echo(f"Court {court.code} added.")


@venues_cli.command("add")
@click.argument("name")
@click.argument("address")
def venues_add(name: str, address: str) -> None:
    """Add a venue with a NAME and an ADDRESS (the agency's own place)."""
    from diversion.venues.services import save_venue

    try:
        venue = save_venue(name, address)
    except DomainError as error:
        _fail(error.message)
    click.echo(f"Venue {venue.id} added.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["worker", "manager", "court", "cps", "admin", "operator"]))
@click.option("--court", "court_code", default=None, help="Court code, for court users.")
@click.option("--org", "organisation", default=None, help="Organisation slug (workers, managers, administrators).")
@click.option("--scheme", "schemes", multiple=True, help="Scheme slug, for workers and managers; repeat for more.")
@click.option("--courts", "cps_courts", default="", help="Court codes a CPS user covers, separated by commas.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--name", "display_name", default=None, help="The name shown for them. Default: the email before the @.")
def users_create(
    email: str,
    role: str,
    court_code: str | None,
    organisation: str | None,
    schemes: tuple[str, ...],
    cps_courts: str,
    password_stdin: bool,
    display_name: str | None,
) -> None:
    """Create a user. They set up their authenticator at first sign-in. While the service holds one organisation
    with one scheme, --org and --scheme may be left out (docs/organisations.md)."""
    from diversion.admin.services import create_user
    from diversion.auth.names import name_from_email

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if display_name is None:
        display_name = name_from_email(email)
    try:
        user, issued = create_user(
            email,
            role,
            court_code,
            password,
            display_name=display_name,
            organisation=organisation,
            schemes=list(schemes) or None,
            cps_courts=[code.strip() for code in cps_courts.split(",") if code.strip()] or None,
        )
    except DomainError as error:
        _fail(error.message)
    click.echo(f"User {user.email} ({user.display_name}) created with role {user.role}.")
    if issued:
        click.echo(f"Temporary password (shown once; changed at first sign-in): {issued}")


@users_cli.command("disable")
@click.argument("email")
def users_disable(email: str) -> None:
    """Disable a user, ending their sessions and API tokens."""
    from diversion.admin.services import disable_user
    from diversion.auth.services import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        _fail("No user with that email address.")
    disable_user(user)
    click.echo(f"User {user.email} disabled.")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="Command line", show_default=True, help="What the token is for (shown in lists).")
def users_token(email: str, name: str) -> None:
    """Print a new API token for the user (shown once)."""
    from diversion.auth.services import find_user_by_email
    from diversion.auth.tokens import create_api_token

    user = find_user_by_email(email)
    if user is None or user.is_disabled:
        _fail("No active user with that email address.")
    click.echo(create_api_token(user, name=name))


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the audit chain; exit 1 naming the first bad event."""
    from diversion.audit.services import verify_chain

    report = verify_chain()
    if report.ok:
        click.echo(f"Audit chain intact: {report.checked} events checked.")
        return
    where = f"event {report.bad_event_id}" if report.bad_event_id is not None else "the chain head"
    click.echo(
        f"Audit chain broken at {where}: {report.problem} ({report.checked} events checked before it).", err=True
    )
    sys.exit(1)


@demo_cli.command("seed")
@click.option(
    "--clients", default=0, show_default=True, help="Synthetic clients to add, once: cases as of today (docs/demo.md)."
)
@click.option(
    "--seed", default=1, show_default=True, help="Random seed: the same seed on the same day, the same cases."
)
def demo_seed(clients: int, seed: int) -> None:
    """Add demo courts and one user per role, and print their sign-in details. With --clients, cases that make today
    look like a day in a living service: a third open, today's court-day list, new CPS notices, reviews."""
    from diversion.main.demo import seed_demo

    for line in seed_demo(clients=clients, seed=seed):
        click.echo(line)


@cases_cli.command("sweep")
@click.option(
    "--today",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Sweep as if it were this London date (YYYY-MM-DD); default today.",
)
def cases_sweep(on: datetime | None) -> None:
    """Mark open cases whose return date has passed NOT_COMPLETED, make any missing outcome notices, then queue and
    send the reminders, digests and notice emails that are due, and the webhook deliveries due (docs/webhooks.md), on
    RQ when REDIS_URL is set. Deletes expired one-time keys (docs/idempotency.md) and expired drafts (docs/drafts.md).
    Checks the audit chain too: when it is broken, says where on standard error, emails the managers and exits 1.
    From 90 days before the bundled bank holidays run out, emails each manager once to say so (docs/calendar.md).

    Safe to run as often as you like (cron, a systemd timer): a second run changes nothing more and sends nothing
    twice. Messages always go by the real clock, whatever --today says."""
    from diversion.audit.review import check_chain_and_alert
    from diversion.drafts.services import sweep_expired as sweep_expired_drafts
    from diversion.idempotency.services import sweep_expired
    from diversion.notices.services import make_missing_notices, sweep_kept
    from diversion.notifications.horizon import alert_managers_of_horizon
    from diversion.notifications.services import sweep_messages
    from diversion.referrals.sweep import sweep_passed_return_dates
    from diversion.webhooks.services import report_line
    from diversion.webhooks.services import send_due as send_due_webhooks

    day = on.date() if on is not None else None
    moved = sweep_passed_return_dates(day)
    made = make_missing_notices()
    click.echo(f"Cases swept: {moved} moved to NOT_COMPLETED; {made} missing notices made.")
    expired = sweep_expired()
    if expired:
        click.echo(f"One-time keys swept: {expired} expired keys deleted.")
    kept = sweep_kept()
    if kept:
        click.echo(f"Notices swept: what {kept} notices kept for the CPS of erased clients destroyed after 35 days.")
    drafts = sweep_expired_drafts()
    if drafts:
        click.echo(f"Drafts swept: {drafts} expired drafts deleted.")
    # The audit chain is checked before messages go, so an alert to managers goes out in this same sweep.
    chain = check_chain_and_alert()
    told = alert_managers_of_horizon()
    if told:
        click.echo(f"Bank holidays are known only to {_horizon_text()}: {told} managers emailed.")
    hooks = send_due_webhooks()
    if hooks.statuses or hooks.enqueued:
        click.echo(report_line(hooks))
    click.echo(sweep_messages().line())
    if not chain.ok:
        where = f"event {chain.bad_event_id}" if chain.bad_event_id is not None else "the chain head"
        _fail(f"Audit chain broken at {where}: {chain.problem}. Managers have been alerted.")


def _horizon_text() -> str:
    from diversion.dates import bank_holidays_known_until, long_date

    return long_date(bank_holidays_known_until())


@notifications_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def notifications_worker(burst: bool) -> None:
    """Send queued messages from the RQ queue (needs REDIS_URL)."""
    from flask import current_app

    from diversion.notifications.jobs import run_worker

    if not current_app.config.get("REDIS_URL"):
        _fail("REDIS_URL is not set: without it the sweep sends messages itself.")
    run_worker(burst=burst)


@webhooks_cli.command("deliver")
def webhooks_deliver() -> None:
    """Send the webhook deliveries that are due, retries included (on RQ when REDIS_URL is set). The sweep does this
    too; run it more often (every minute) for prompt retries."""
    from diversion.webhooks.services import report_line, send_due

    click.echo(report_line(send_due()))


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app."""
    from diversion.appointments.commands import appointments_migrate_locations
    from diversion.clients.commands import clients_erase
    from diversion.keys.commands import KEYS_COMMANDS
    from diversion.organisations.commands import ORGANISATION_COMMANDS
    from diversion.privacy.commands import BACKUP_COMMANDS, RETENTION_COMMANDS, clients_export

    for command in KEYS_COMMANDS:
        keys_cli.add_command(command)
    clients_cli.add_command(clients_erase)
    clients_cli.add_command(clients_export)
    for command in RETENTION_COMMANDS:
        retention_cli.add_command(command)
    for command in BACKUP_COMMANDS:
        backup_cli.add_command(command)
    appointments_cli.add_command(appointments_migrate_locations)
    for group in (
        courts_cli,
        users_cli,
        keys_cli,
        audit_cli,
        demo_cli,
        clients_cli,
        cases_cli,
        notifications_cli,
        retention_cli,
        backup_cli,
        venues_cli,
        appointments_cli,
        webhooks_cli,
        *ORGANISATION_COMMANDS,
    ):
        app.cli.add_command(group)
