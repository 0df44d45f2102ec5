"""Cases across two courts and two support workers around the first quarter of 2026, with appointments, plans with
onward referrals, assessments with safeguarding flags, reviews and equality-monitoring consents, and every outcome
figure counted by hand.

Each case is made through the services (a real case, with a client and encrypted fields), then its dates are set
with UPDATEs so it falls on a known day. One woman (X) has two referrals in the quarter: per-person figures count
her once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from diversion.appointments.models import Appointment
from diversion.assessments.models import Assessment, Domain
from diversion.auth.models import User
from diversion.care_plans.models import CarePlan, OnwardReferral
from diversion.clients.models import Client
from diversion.courts.models import Court
from diversion.dates import today
from diversion.extensions import db
from diversion.outcomes import reviews
from diversion.outcomes.models import Review
from diversion.referrals.consent import record_consent
from diversion.referrals.models import Referral
from tests.factories import attend, book, create_court, create_referral, create_user

Q1 = (date(2026, 1, 1), date(2026, 3, 31))
FAMILY_NAME = "Outcomecanary"  # every client's family name starts with this: it must never reach a report
d = date


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@dataclass
class Built:
    court_a: Court
    court_b: Court
    worker_1: User
    worker_2: User
    cases: dict[str, Referral] = field(default_factory=dict)


# Counted by hand (see the module docstring and the comments in build_cases).
EXPECTED_ALL = {
    "referrals": 8,  # X1 X2 C3 C4 C5 D C7 C8 (C6 referred in December, E in April)
    "women_referred": 7,  # X once
    "opted_in": 7,  # X1 X2 C3 C4 C5 C7 C8
    "declined": 1,  # D
    "completed": 5,  # X1 X2 C3 C6 C7
    "not_completed": 1,  # C4
    "withdrawn": 1,  # C5
    "finished": 7,
    "appointments_with_outcome": 9,  # two each for X1 X2 C3 C7, C4's did-not-attend; C6's in December, E's in April
    "did_not_attend": 1,
    "safeguarding": 2,  # X (twice flagged, once counted), C7; C6's flag was raised in December
    "reviewed_cases": 4,  # X1 C3 C6 C7
    "onward_made": 6,
    "onward_taken_up": 3,
}
EXPECTED_A = {
    "referrals": 6,
    "women_referred": 5,
    "opted_in": 5,
    "declined": 1,
    "completed": 4,
    "not_completed": 1,
    "withdrawn": 1,
    "finished": 6,
    "appointments_with_outcome": 7,
    "did_not_attend": 1,
    "safeguarding": 1,
    "reviewed_cases": 3,
    "onward_made": 5,
    "onward_taken_up": 3,
}
EXPECTED_WORKER_2 = {"referrals": 3, "completed": 2, "finished": 2, "opted_in": 3, "women_referred": 3}
MEDIAN_ALL, MEDIAN_A, MEDIAN_B = 30.0, 22.5, 30.0  # 15 15 30 30 32; 15 15 30 32; 30
SERVICES_ALL = {"housing": (5, 2), "drug_treatment": (1, 1)}  # (made, taken up)
# Mean change in wellbeing: accommodation (3 + 4 + 2 + 0) / 4, drugs (3 - 1 + 2 + 0) / 4, the rest as drugs.
DISTANCE_ALL = {"accommodation": 2.25, "drugs": 1.0}
DISTANCE_A = {"accommodation": 3.0, "drugs": 1.33}
AGE_BANDS_ALL = {"25-34": 2, "45-54": 1}
ETHNICITY_ALL = {"white": 1, "black": 1, "not_recorded": 1}


def _review(referral: Referral, worker: User, on: date, score: int, accommodation: int | None = None) -> Review:
    scores = {domain.value: str(score) for domain in Domain}
    if accommodation is not None:
        scores["accommodation"] = str(accommodation)
    data = reviews.ReviewInput(today(), {domain.value: "1" for domain in Domain}, scores)
    review = reviews.record_review(referral, data, worker)
    db.session.execute(update(Review).where(Review.id == review.id).values(reviewed_on=on))
    return review


def _set_dates(referral: Referral, *, referred: date, consent: date | None, outcome: date | None, state: str) -> None:
    values: dict[str, Any] = {"referred_on": referred, "consent_date": consent, "outcome_date": outcome, "state": state}
    values["final_at"] = noon(outcome) if outcome and state not in ("OPTED_IN", "REFERRED", "ASSESSED") else None
    db.session.execute(update(Referral).where(Referral.id == referral.id).values(**values))
    if outcome is None:
        return
    # The programme's rows fall just before the outcome: appointments 3 and 2 days, the assessment 5 days.
    appointments = db.session.scalars(
        select(Appointment).where(Appointment.referral_id == referral.id).order_by(Appointment.number)
    ).all()
    for offset, appointment in zip((3, 2), appointments, strict=False):
        appointment.starts_at = noon(outcome - timedelta(days=offset))
    db.session.execute(
        update(Assessment)
        .where(Assessment.referral_id == referral.id)
        .values(completed_at=noon(outcome - timedelta(days=5)))
    )
    db.session.execute(update(CarePlan).where(CarePlan.referral_id == referral.id).values(agreed_at=noon(outcome)))


def _plan(referral: Referral) -> CarePlan:
    return db.session.scalars(select(CarePlan).where(CarePlan.referral_id == referral.id)).one()


def _onward(referral: Referral, service: str, status: str, position: int) -> None:
    db.session.add(OnwardReferral(plan_id=_plan(referral).id, position=position, service=service, status=status))


def _onward_status(referral: Referral, status: str) -> None:
    db.session.execute(update(OnwardReferral).where(OnwardReferral.plan_id == _plan(referral).id).values(status=status))


def _flag(referral: Referral) -> None:
    db.session.execute(
        update(Assessment).where(Assessment.referral_id == referral.id).values(has_safeguarding_flag=True)
    )


def _client(referral: Referral, **values: Any) -> None:
    db.session.execute(update(Client).where(Client.id == referral.client_id).values(**values))


def build_cases() -> Built:
    """The cases, as the module docstring and EXPECTED_* describe them."""
    built = Built(create_court(), create_court(), create_user(role="worker"), create_user(role="worker"))
    a, b, w1, w2 = built.court_a, built.court_b, built.worker_1, built.worker_2
    number = iter(range(100))

    def make(name: str, state: str, court: Court, worker: User, **extra: Any) -> Referral:
        referral = create_referral(
            state=state, court=court, worker=worker, family_name=f"{FAMILY_NAME}{next(number)}", **extra
        )
        built.cases[name] = referral
        return referral

    x1 = make("X1", "COMPLETED", a, w1)
    x2 = make("X2", "COMPLETED", a, w1, link_client_id=x1.client_id)
    c3 = make("C3", "COMPLETED", a, w2)
    c4 = make("C4", "OPTED_IN", a, w1)
    attend(appointment=book(referral=c4, worker=w1), worker=w1, outcome="did_not_attend")
    c5 = make("C5", "OPTED_IN", a, w1)
    c6 = make("C6", "COMPLETED", a, w1)
    dd = make("D", "REFERRED", a, w1)
    c7 = make("C7", "COMPLETED", b, w2)
    c8 = make("C8", "OPTED_IN", b, w2)
    book(referral=c8, worker=w2)  # never given an outcome
    e = make("E", "COMPLETED", a, w1)

    # Reviews (recorded today, then dated): X1's latest in the quarter scores 8 (+3); C3 4 (-1), accommodation 9
    # (+4); C6 7 (+2); C7 5 (0) in March and 9 in April (outside the quarter).
    _review(x1, w1, d(2026, 2, 1), 6)
    _review(x1, w1, d(2026, 3, 1), 8)
    _review(c3, w2, d(2026, 3, 31), 4, accommodation=9)
    _review(c6, w1, d(2026, 1, 10), 7)
    _review(c7, w2, d(2026, 3, 15), 5)
    _review(c7, w2, d(2026, 4, 10), 9)

    # Equality monitoring: X on both referrals (counted once), C3, C7; C4 gave it and withdrew it.
    for referral in (x1, x2, c3, c7, c4):
        record_consent(referral, "equality_monitoring", True, w1)
    record_consent(c4, "equality_monitoring", False, w1)
    _client(x1, ethnicity_code="white", birth_year_band=1990)  # 34 at the end of 2026's first quarter: 25-34
    _client(c3, ethnicity_code="black", birth_year_band=1970)  # 54: 45-54
    _client(c7, ethnicity_code=None, birth_year_band=1990)

    _set_dates(x1, referred=d(2026, 1, 5), consent=d(2026, 1, 6), outcome=d(2026, 1, 20), state="COMPLETED")
    _set_dates(x2, referred=d(2026, 2, 10), consent=d(2026, 2, 11), outcome=d(2026, 2, 25), state="COMPLETED")
    _set_dates(c3, referred=d(2026, 3, 1), consent=d(2026, 3, 2), outcome=d(2026, 3, 31), state="COMPLETED")
    _set_dates(c4, referred=d(2026, 1, 15), consent=d(2026, 1, 16), outcome=d(2026, 2, 5), state="NOT_COMPLETED")
    _set_dates(c5, referred=d(2026, 2, 1), consent=d(2026, 2, 2), outcome=d(2026, 2, 20), state="WITHDRAWN")
    _set_dates(c6, referred=d(2025, 12, 1), consent=d(2025, 12, 2), outcome=d(2026, 1, 2), state="COMPLETED")
    _set_dates(dd, referred=d(2026, 1, 8), consent=None, outcome=d(2026, 1, 9), state="DECLINED")
    _set_dates(c7, referred=d(2026, 2, 1), consent=d(2026, 2, 2), outcome=d(2026, 3, 3), state="COMPLETED")
    _set_dates(c8, referred=d(2026, 3, 20), consent=d(2026, 3, 21), outcome=None, state="OPTED_IN")
    _set_dates(e, referred=d(2026, 4, 2), consent=d(2026, 4, 3), outcome=d(2026, 4, 20), state="COMPLETED")
    # Appointments at the edges: C4's did-not-attend on 1 February; C8's unresolved one in March; C3's second at
    # 23:30 on 31 March in London (22:30 UTC, in the quarter); E's first at 00:30 on 1 April in London (out).
    for referral, moment in (
        (c4, noon(d(2026, 2, 1))),
        (c8, noon(d(2026, 3, 25))),
        (e, datetime(2026, 3, 31, 23, 30, tzinfo=UTC)),
    ):
        first = db.session.scalars(select(Appointment).where(Appointment.referral_id == referral.id)).first()
        first.starts_at = moment
    second_c3 = db.session.scalars(
        select(Appointment).where(Appointment.referral_id == c3.id, Appointment.number == 2)
    ).one()
    second_c3.starts_at = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    # C6's assessment (flagged) in December, outside the quarter; its plan agreed on 2 January, inside.
    db.session.execute(
        update(Assessment).where(Assessment.referral_id == c6.id).values(completed_at=noon(d(2025, 12, 20)))
    )
    for referral in (x1, x2, c6, c7):
        _flag(referral)
    # Onward referrals (each plan has housing, made): X2's accepted; C3's attended, with drug treatment accepted and
    # a GP registration only suggested.
    _onward_status(x2, "accepted")
    _onward_status(c3, "attended")
    _onward(c3, "drug_treatment", "accepted", 1)
    _onward(c3, "gp", "suggested", 2)
    db.session.commit()
    db.session.expire_all()
    return built
