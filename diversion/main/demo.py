"""Demonstration data for a laptop or a training copy: courts and one user per role. Refused in production."""

from __future__ import annotations

from collections.abc import Iterator

from flask import current_app
from sqlalchemy import func, select

from diversion.admin.services import court_by_code, create_user, save_court
from diversion.auth.services import find_user_by_email
from diversion.extensions import db
from diversion.main.demo_cases import seed_cases
from diversion.referrals.models import Referral

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


def seed_demo(clients: int = 0, seed: int = 1) -> Iterator[str]:
    """Create what is missing of the demo set and describe the sign-ins. Running it twice adds nothing."""
    if current_app.config["IS_PRODUCTION"]:
        raise SystemExit("Demo data is refused in production.")
    for code, name in DEMO_COURTS:
        if court_by_code(code) is None:
            save_court(code, name)
    yield "Demo sign-ins (every user sets up an authenticator app at first sign-in):"
    for email, role, court, who in DEMO_USERS:
        if find_user_by_email(email) is None:
            create_user(email, role, court, DEMO_PASSWORD)
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
