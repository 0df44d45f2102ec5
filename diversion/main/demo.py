"""Demonstration data for a laptop or a training copy: courts, venues and one user per role. Refused in production."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta

from flask import current_app
from sqlalchemy import func, select

from diversion.admin.services import court_by_code, create_user, save_court
from diversion.auth.models import User
from diversion.auth.names import name_from_email
from diversion.auth.services import find_user_by_email
from diversion.dates import from_london, today
from diversion.db import transaction
from diversion.extensions import db
from diversion.main.demo_cases import DEMO_VENUES, seed_cases
from diversion.notices.models import OutcomeNotice
from diversion.notices.services import make_missing_notices
from diversion.organisations.services import organisation_for
from diversion.referrals.models import Referral
from diversion.venues.services import save_venue, venue_by_name

DEMO_PASSWORD = "diversion-demo-2026"  # noqa: S105 - demo data, refused in production
DEMO_COURTS = [
    ("NTH", "Northgate Magistrates' Court"),
    ("RVS", "Riverside Magistrates' Court"),
    ("EBR", "Eastbridge Magistrates' Court"),
]
DEMO_USERS = [
    ("worker@example.org", "worker", None, "Sam, support worker"),
    ("manager@example.org", "manager", None, "Jo, service manager"),
    ("court@example.org", "court", "NTH", "Priya, legal adviser at Northgate"),
    ("court.riverside@example.org", "court", "RVS", "court staff at Riverside"),
    ("cps@example.org", "cps", None, "Tom, CPS caseworker"),
    ("admin@example.org", "admin", None, "Alex, administrator"),
]
# The names shown for the demo users wherever they are named (a user missing here is named from their email).
DEMO_NAMES = {
    "worker@example.org": "Sam Okafor",
    "manager@example.org": "Jo Whitfield",
    "court@example.org": "Priya Shah",
    "court.riverside@example.org": "Dan Riley",
    "cps@example.org": "Tom Brennan",
    "admin@example.org": "Alex Morgan",
}


def seed_demo(clients: int = 0, seed: int = 1) -> Iterator[str]:
    """Create what is missing of the demo set and describe the sign-ins. Running it twice adds nothing."""
    if current_app.config["IS_PRODUCTION"]:
        raise SystemExit("Demo data is refused in production.")
    for code, name in DEMO_COURTS:
        if court_by_code(code) is None:
            save_court(code, name)
    organisation = organisation_for(None)
    for name, address in DEMO_VENUES:
        if venue_by_name(name, organisation.id) is None:
            save_venue(name, address, organisation=organisation.slug)
    yield "Demo sign-ins (every user sets up an authenticator app at first sign-in):"
    for email, role, court, who in DEMO_USERS:
        if find_user_by_email(email) is None:
            create_user(email, role, court, DEMO_PASSWORD, display_name=DEMO_NAMES.get(email) or name_from_email(email))
        yield f"  {role:<8} {email:<30} {DEMO_PASSWORD}   ({who})"
    if clients:
        existing = db.session.scalar(select(func.count()).select_from(Referral)) or 0
        if existing:
            yield f"{existing} cases already exist: no demo cases added."
            return
        courts = [court_by_code(code) for code, _name in DEMO_COURTS]
        workers = [
            find_user_by_email(email) for email, role, _court, _who in DEMO_USERS if role in ("worker", "manager")
        ]
        yield from seed_cases(clients, seed, courts, workers)
        yield _demo_notices(find_user_by_email("cps@example.org"))


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
