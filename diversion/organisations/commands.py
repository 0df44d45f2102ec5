"""``flask orgs add SLUG NAME`` and ``flask schemes add ORG SLUG NAME --courts CODE,...`` (docs/organisations.md).

The platform operator's way to put a new charity on the service: the organisation, then its schemes, then its first
administrator (``flask users create EMAIL --role admin --org SLUG``), who adds the rest on the screens.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from diversion.errors import DomainError
from diversion.organisations.administration import APPOINTMENTS_MAX, APPOINTMENTS_MIN

orgs_cli = AppGroup("orgs", help="Organisations: the charities on the service.")
schemes_cli = AppGroup("schemes", help="Schemes: what an organisation runs, the courts each serves, its programme.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@orgs_cli.command("add")
@click.argument("slug")
@click.argument("name")
def orgs_add(slug: str, name: str) -> None:
    """Add an organisation with a short name SLUG (letters, digits, hyphens) and a NAME."""
    from diversion.organisations.services import add_organisation

    try:
        organisation = add_organisation(slug, name)
    except DomainError as error:
        _fail(error.message)
    click.echo(f"Organisation {organisation.slug} added.")


@schemes_cli.command("add")
@click.argument("org")
@click.argument("slug")
@click.argument("name")
@click.option("--courts", "court_codes", default="", help="The codes of the courts it serves, separated by commas.")
@click.option(
    "--appointments",
    type=click.IntRange(APPOINTMENTS_MIN, APPOINTMENTS_MAX),
    default=2,
    show_default=True,
    help="How many appointments its programme has: 1 produces the needs assessment, the last the Care Action Plan.",
)
@click.option(
    "--access",
    type=click.Choice(["team", "assigned"]),
    default="team",
    show_default=True,
    help="team: every worker opens every case; assigned: her own and unassigned ones, a colleague's with a reason.",
)
def schemes_add(org: str, slug: str, name: str, court_codes: str, appointments: int, access: str) -> None:
    """Add a scheme SLUG called NAME to the organisation ORG."""
    from diversion.admin.services import court_by_code
    from diversion.organisations.services import add_scheme, organisation_by_slug
    from diversion.referrals.programme import programme_with_appointments

    organisation = organisation_by_slug(org)
    if organisation is None:
        _fail(f"There is no organisation {org!r}.")
        return
    courts = []
    for code in filter(None, (part.strip() for part in court_codes.split(","))):
        court = court_by_code(code)
        if court is None:
            _fail(f"There is no court {code!r}.")
            return
        courts.append(court)
    try:
        scheme = add_scheme(
            organisation, slug, name, courts, settings=programme_with_appointments(name, appointments), access=access
        )
    except DomainError as error:
        _fail(error.message)
        return
    click.echo(f"Scheme {organisation.slug}/{scheme.slug} added, serving {len(courts)} courts.")


ORGANISATION_COMMANDS = (orgs_cli, schemes_cli)
