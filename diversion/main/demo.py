"""Demonstration data for a laptop or a training copy: two organisations, each running a scheme at courts of its own,
their venues and staff, court staff at every court, a CPS user covering them all and a platform operator. Refused in
production (docs/demo.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta

from flask import current_app
from sqlalchemy import func, select

from diversion.admin.services import court_by_code, create_user, save_court
from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.auth.names import name_from_email
from diversion.auth.services import find_user_by_email
from diversion.courts.models import Court
from diversion.dates import from_london, today
from diversion.db import transaction
from diversion.extensions import db
from diversion.main.demo_cases import DEMO_VENUES, seed_cases
from diversion.notices.models import OutcomeNotice
from diversion.notices.services import make_missing_notices
from diversion.organisations.models import Organisation, Scheme
from diversion.organisations.services import (
    add_organisation,
    add_scheme,
    link_court,
    organisation_by_slug,
    scheme_by_slug,
)
from diversion.referrals.models import Referral
from diversion.referrals.programme import DEFAULT_PROGRAMME, programme_with_appointments
from diversion.venues.services import save_venue, venue_by_name

DEMO_PASSWORD = "diversion-demo-2026"  # noqa: S105 - demo data, refused in production
# The name a new database gives the organisation the first edition's data moved into; the seed renames it.
FIRST_EDITION_NAME = "Main organisation"


@dataclass(frozen=True)
class DemoOrganisation:
    """A charity of the demo, the scheme it runs and where: its courts, venues and staff (worker, manager, admin)."""

    slug: str
    name: str
    scheme_slug: str
    scheme_name: str
    appointments: int
    courts: list[tuple[str, str]]
    venues: list[tuple[str, str]]
    staff: list[tuple[str, str, str | None, str]]


# The organisation every new database starts with (slug "main", scheme "diversion"): the first edition's
# two-appointment court diversion scheme.
DEMO_COURTS = [
    ("NTH", "Northgate Magistrates' Court"),
    ("RVS", "Riverside Magistrates' Court"),
    ("EBR", "Eastbridge Magistrates' Court"),
]
MAIN = DemoOrganisation(
    slug="main",
    name="Open Door Women's Project",
    scheme_slug="diversion",
    scheme_name=str(DEFAULT_PROGRAMME["name"]),
    appointments=2,
    courts=DEMO_COURTS,
    venues=DEMO_VENUES,
    staff=[
        ("worker@example.org", "worker", None, "Sam, support worker"),
        ("manager@example.org", "manager", None, "Jo, service manager"),
        ("admin@example.org", "admin", None, "Alex, administrator"),
    ],
)
# Courts made with Welsh as their staff's language (docs/languages.md, "The service in Welsh"), to show it.
WELSH_COURTS = frozenset({"EBR"})
# A second charity running a three-appointment Engagement and Support Order at courts of its own.
ESO = DemoOrganisation(
    slug="eso-north",
    name="Northfield Women's Trust",
    scheme_slug="eso",
    scheme_name="Engagement and Support Order",
    appointments=3,
    courts=[("HLB", "Hillbrook Magistrates' Court"), ("MRT", "Moorton Magistrates' Court")],
    venues=[("Hillbrook women's hub", "8 Quarry Road, Hillbrook HB3 2EF")],
    staff=[
        ("worker.eso@example.org", "worker", None, "Lena, support worker"),
        ("manager.eso@example.org", "manager", None, "Ruth, service manager"),
        ("admin.eso@example.org", "admin", None, "Femi, administrator"),
    ],
)
DEMO_ORGANISATIONS = [MAIN, ESO]
# Users of no organisation: court staff at every demo court, the CPS covering them all, the platform operator.
PARTNER_USERS = [
    ("court@example.org", "court", "NTH", "Priya, legal adviser at Northgate"),
    ("court.riverside@example.org", "court", "RVS", "court staff at Riverside"),
    ("court.eastbridge@example.org", "court", "EBR", "court staff at Eastbridge, which reads the service in Welsh"),
    ("court.hillbrook@example.org", "court", "HLB", "court staff at Hillbrook"),
    ("court.moorton@example.org", "court", "MRT", "court staff at Moorton"),
    ("cps@example.org", "cps", None, "Tom, CPS caseworker, every demo court"),
]
OPERATOR_USERS = [("operator@example.org", "operator", None, "Kai, platform operator")]
# Every demo user: (email, role, court code, who).
DEMO_USERS = (
    [user for organisation in DEMO_ORGANISATIONS for user in organisation.staff] + PARTNER_USERS + OPERATOR_USERS
)
# The names shown for the demo users wherever they are named (a user missing here is named from their email).
DEMO_NAMES = {
    "worker@example.org": "Sam Okafor",
    "manager@example.org": "Jo Whitfield",
    "admin@example.org": "Alex Morgan",
    "worker.eso@example.org": "Lena Novak",
    "manager.eso@example.org": "Ruth Adeyemi",
    "admin.eso@example.org": "Femi Lawal",
    "court@example.org": "Priya Shah",
    "court.riverside@example.org": "Dan Riley",
    "court.eastbridge@example.org": "Meg Doyle",
    "court.hillbrook@example.org": "Owen Price",
    "court.moorton@example.org": "Nadia Khan",
    "cps@example.org": "Tom Brennan",
    "operator@example.org": "Kai Lindqvist",
}
# The second organisation's cases: a quarter as many as the first's, and never fewer than this.
ESO_SHARE, ESO_MIN_CASES = 4, 12


def seed_demo(clients: int = 0, seed: int = 1) -> Iterator[str]:
    """Create what is missing of the demo set and describe the sign-ins. Running it twice adds nothing."""
    if current_app.config["IS_PRODUCTION"]:
        raise SystemExit("Demo data is refused in production.")
    schemes = {demo.slug: _organisation_and_scheme(demo) for demo in DEMO_ORGANISATIONS}
    every_court = [court_by_code(code) for demo in DEMO_ORGANISATIONS for code, _name in demo.courts]
    yield f"Demo sign-ins, every password {DEMO_PASSWORD} (every user sets up an authenticator app at first sign-in):"
    for demo in DEMO_ORGANISATIONS:
        scheme = schemes[demo.slug]
        codes = ", ".join(code for code, _name in demo.courts)
        yield (f"{scheme.organisation.name} ({demo.slug}): {scheme.name}, {demo.appointments} appointments, at {codes}")
        for user in demo.staff:
            yield _user(*user, organisation=demo.slug, scheme=demo.scheme_slug)
    yield "Courts and CPS (status only):"
    for user in PARTNER_USERS:
        yield _user(*user, cps_courts=every_court)
    yield "The platform (organisations, no cases):"
    for user in OPERATOR_USERS:
        yield _user(*user)
    if clients:
        added = False
        for number, demo in enumerate(DEMO_ORGANISATIONS):
            scheme = schemes[demo.slug]
            existing = db.session.scalar(
                select(func.count()).select_from(Referral).where(Referral.scheme_id == scheme.id)
            )
            if existing:
                yield f"{existing} cases already exist in {scheme.name}: no demo cases added."
                continue
            count = clients if number == 0 else max(ESO_MIN_CASES, clients // ESO_SHARE)
            # Each organisation's cases from a seed of its own, so the second's are not the first's again.
            yield from _cases(demo, scheme, count, seed + 10_000 * number)
            added = True
        if added:
            yield _demo_notices(find_user_by_email("cps@example.org"))


def _organisation_and_scheme(demo: DemoOrganisation) -> Scheme:
    """The organisation, its scheme serving its courts, and its venues, made when missing. The organisation a new
    database starts with keeps its slug; only the name it was given by the upgrade changes to the demo's."""
    organisation = organisation_by_slug(demo.slug)
    if organisation is None:
        organisation = add_organisation(demo.slug, demo.name)
    elif organisation.name == FIRST_EDITION_NAME:
        _rename(organisation, demo.name)
    scheme = scheme_by_slug(organisation, demo.scheme_slug)
    courts = [court_by_code(code) or _new_court(code, name) for code, name in demo.courts]
    if scheme is None:
        settings = programme_with_appointments(demo.scheme_name, demo.appointments)
        scheme = add_scheme(organisation, demo.scheme_slug, demo.scheme_name, courts, settings=settings)
    with transaction():
        for court in courts:
            link_court(scheme, court)
    for name, address in demo.venues:
        if venue_by_name(name, organisation.id) is None:
            save_venue(name, address, organisation=organisation.slug)
    return scheme


def _new_court(code: str, name: str) -> Court:
    court = save_court(code, name, schemes=[])
    if code in WELSH_COURTS:
        with transaction():
            court.default_language = "cy"
    return court


def _rename(organisation: Organisation, name: str) -> None:
    with transaction():
        organisation.name = name
        record_event("organisation.renamed", object_type="organisation", object_id=organisation.id)


def _user(
    email: str,
    role: str,
    court: str | None,
    who: str,
    *,
    organisation: str | None = None,
    scheme: str | None = None,
    cps_courts: list[Court | None] | None = None,
) -> str:
    """Make the user when missing (a CPS user covering ``cps_courts``), and her sign-in line."""
    covered = [found for found in cps_courts or [] if found is not None] if role == "cps" else []
    user = find_user_by_email(email)
    if user is None:
        create_user(
            email,
            role,
            court,
            DEMO_PASSWORD,
            display_name=DEMO_NAMES.get(email) or name_from_email(email),
            organisation=organisation,
            schemes=[scheme] if scheme and role in ("worker", "manager") else None,
            cps_courts=[found.code for found in covered] or None,
        )
    elif covered and any(found not in user.cps_courts for found in covered):
        # A CPS user of an earlier demo covers the courts added since.
        with transaction():
            user.cps_courts.extend(found for found in covered if found not in user.cps_courts)
    return f"  {role:<8} {email:<30} {DEMO_PASSWORD}   ({who})"


def _cases(demo: DemoOrganisation, scheme: Scheme, count: int, seed: int) -> Iterator[str]:
    """``count`` demo cases of the scheme, at its organisation's courts, shared among its workers and managers."""
    yield f"{scheme.organisation.name}: {count} demo cases of {scheme.name}"
    courts = [court_by_code(code) for code, _name in demo.courts]
    workers = [find_user_by_email(email) for email, role, _court, _who in demo.staff if role in ("worker", "manager")]
    yield from seed_cases(count, seed, courts, workers, scheme=scheme)


def _demo_notices(cps: User | None) -> str:
    """The outcome notices of the closed demo cases, dated when each case closed, with the CPS's decision recorded
    on those more than a week old: the notices inbox then shows a week's new notices beside decided ones."""
    made = make_missing_notices()
    cutoff = today() - timedelta(days=7)
    decided = 0
    with transaction():
        for notice in db.session.scalars(select(OutcomeNotice)):
            notice.created_at = from_london(notice.outcome_date, time(17, 0))
            if cps is not None and notice.outcome_date < cutoff and notice.decision is None:
                notice.acknowledged_at = notice.created_at + timedelta(days=2)
                notice.acknowledged_by_id = cps.id
                notice.decision = "discontinued" if notice.outcome == "completed" else "proceeding"
                notice.decided_on = notice.outcome_date + timedelta(days=2)
                decided += 1
    return f"  {made} outcome notices made; the CPS has decided {decided} of them (those over a week old)"
