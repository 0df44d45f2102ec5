"""Cases in every state across two courts, on fixed dates around the first quarter of 2026, and their figures counted
by hand (shared by the report page tests and the API tests).

Each case is made through the services (so it is a real case, with a client and encrypted fields), then its state
and dates are set with one UPDATE so it falls in a known month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import update

from diversion.courts.models import Court
from diversion.extensions import db
from diversion.referrals.models import FINAL_STATES, Referral, State
from tests.factories import create_court, create_referral, create_user

Q1_2026 = (date(2026, 1, 1), date(2026, 3, 31))
FAMILY_NAME = "Reportcanary"  # every client's family name starts with this: it must never reach a report
d = date


@dataclass(frozen=True)
class Row:
    """count cases of this court in this state, with these dates."""

    count: int
    court: str  # "a" or "b"
    state: State
    referred_on: date
    consent_date: date | None = None
    outcome_date: date | None = None


ROWS = [
    # Court A: 8 completed, 1 not completed, 1 withdrawn in the quarter -> 8 of 10.
    Row(3, "a", State.COMPLETED, d(2026, 1, 5), d(2026, 1, 6), d(2026, 1, 28)),
    Row(3, "a", State.COMPLETED, d(2026, 1, 5), d(2026, 1, 6), d(2026, 2, 15)),
    Row(2, "a", State.COMPLETED, d(2026, 1, 5), d(2026, 1, 6), d(2026, 3, 31)),  # the quarter's last day
    Row(1, "a", State.NOT_COMPLETED, d(2025, 12, 10), d(2025, 12, 11), d(2026, 1, 1)),  # its first day
    Row(1, "a", State.WITHDRAWN, d(2026, 2, 2), d(2026, 2, 3), d(2026, 2, 20)),
    Row(2, "a", State.DECLINED, d(2026, 3, 1), None, d(2026, 3, 2)),
    Row(1, "a", State.DECLINED, d(2025, 12, 20), None, d(2025, 12, 21)),  # before the quarter
    Row(2, "a", State.OPTED_IN, d(2026, 3, 10), d(2026, 3, 11)),
    Row(1, "a", State.REFERRED, d(2026, 3, 31)),
    Row(1, "a", State.ASSESSED, d(2025, 11, 1), d(2025, 11, 2)),  # open since before the quarter
    Row(1, "a", State.COMPLETED, d(2026, 3, 15), d(2026, 3, 16), d(2026, 4, 1)),  # finished just after it
    Row(1, "a", State.REFERRED, d(2026, 4, 2)),  # after the quarter
    Row(1, "a", State.COMPLETED, d(2025, 12, 1), d(2025, 12, 2), d(2025, 12, 31)),  # finished just before it
    # Court B.
    Row(1, "b", State.COMPLETED, d(2026, 1, 20), d(2026, 1, 21), d(2026, 2, 10)),
    Row(1, "b", State.NOT_COMPLETED, d(2026, 2, 1), d(2026, 2, 2), d(2026, 3, 5)),
    Row(1, "b", State.NOT_COMPLETED, d(2026, 2, 1), None, d(2026, 3, 5)),  # never opted in; return date passed
    Row(1, "b", State.DECLINED, d(2026, 1, 3), None, d(2026, 1, 4)),
    Row(1, "b", State.REFERRED, d(2026, 2, 14)),
]

# Counted by hand from ROWS for the first quarter of 2026.
EXPECTED_A = {
    "referred": 8 + 1 + 2 + 2 + 1 + 1,  # 15: referred 5 Jan, 2 Feb, 1 Mar (2), 10 Mar (2), 31 Mar, 15 Mar
    "declined": 2,
    "opted_in": 8 + 1 + 2 + 1,  # 12: consent 6 Jan (8), 3 Feb, 11 Mar (2), 16 Mar
    "completed": 8,
    "not_completed": 1,
    "withdrawn": 1,
    "in_progress": 2 + 1 + 1 + 1,  # 5: opted in (2), referred 31 Mar, assessed since November, finished 1 April
}
EXPECTED_B = {
    "referred": 5,
    "declined": 1,
    "opted_in": 2,
    "completed": 1,
    "not_completed": 2,
    "withdrawn": 0,
    "in_progress": 1,
}
EXPECTED_ALL = {key: EXPECTED_A[key] + EXPECTED_B[key] for key in EXPECTED_A}
# Court A by month of outcome: (completed, not completed, withdrawn).
MONTHS_A = {(2026, 1): (3, 1, 0), (2026, 2): (3, 0, 1), (2026, 3): (2, 0, 0)}


@dataclass
class Cases:
    court_a: Court
    court_b: Court
    referrals: list[Referral]


def build_cases() -> Cases:
    """Two courts and the cases of ROWS."""
    courts = {"a": create_court(), "b": create_court()}
    worker = create_user(role="worker")
    made = []
    for row in ROWS:
        for _ in range(row.count):
            # Built twice by some tests: each is a different woman, whatever the names made before (new_person).
            referral = create_referral(
                court=courts[row.court], worker=worker, family_name=f"{FAMILY_NAME}{len(made)}", new_person=True
            )
            values: dict[str, Any] = {
                "state": row.state.value,
                "referred_on": row.referred_on,
                "consent_date": row.consent_date,
                "outcome_date": row.outcome_date,
                "final_at": datetime(
                    row.outcome_date.year, row.outcome_date.month, row.outcome_date.day, 12, tzinfo=UTC
                )
                if row.state in FINAL_STATES and row.outcome_date
                else None,
            }
            db.session.execute(update(Referral).where(Referral.id == referral.id).values(**values))
            made.append(referral)
    db.session.commit()
    db.session.expire_all()
    return Cases(courts["a"], courts["b"], made)
