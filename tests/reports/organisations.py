"""Two organisations on one service, for the reports' wall between them: cases of every kind, made through the
services today (so in the current quarter), and their figures counted by hand.

- Northgate Women's Trust (org A) runs two schemes: the Northgate diversion scheme (two appointments, court NA1 and
  a court it shares with the other charity) and the Southport engagement orders (three appointments, court NA2).
- Eastfield Charity (org B) runs one scheme at court EB1 and the shared court. Its clients' family names carry a
  marker that must never reach anything of org A's, and it has more of everything, so a count that took in any of
  its cases would be off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diversion.auth.models import User
from diversion.courts.models import Court
from diversion.referrals.models import Referral, State
from tests.factories import (
    attend,
    book,
    create_court,
    create_organisation,
    create_referral,
    create_scheme,
    create_user,
    save_agreed_plan,
    save_full_assessment,
)

MARKER = "Eastfieldmarker"  # every org B client's family name starts with this

# The completion report's figures of the current quarter, by hand (see build_organisations).
NORTHGATE = {
    "referred": 6,  # 2 completed, declined, opted in, withdrawn at NA1; referred at the shared court
    "declined": 1,
    "opted_in": 4,  # the 2 completed, the opted-in, the withdrawn
    "completed": 2,
    "not_completed": 0,
    "withdrawn": 1,
    "in_progress": 2,  # the opted-in, the one referred at the shared court
}
SOUTHPORT = {
    "referred": 2,
    "declined": 0,
    "opted_in": 2,
    "completed": 1,  # three appointments attended; the other has two of three
    "not_completed": 0,
    "withdrawn": 0,
    "in_progress": 1,  # two of three appointments: still assessed
}
ORG_A = {key: NORTHGATE[key] + SOUTHPORT[key] for key in NORTHGATE}
ORG_B = {
    "referred": 9,
    "declined": 2,
    "opted_in": 4,
    "completed": 4,
    "not_completed": 0,
    "withdrawn": 0,
    "in_progress": 3,
}
# At the shared court: one of Northgate's cases, three of Eastfield's.
SHARED_COURT = {
    "referred": 4,
    "declined": 0,
    "opted_in": 0,
    "completed": 0,
    "not_completed": 0,
    "withdrawn": 0,
    "in_progress": 4,
}
# Outcome figures of the quarter (diversion/outcomes/services.py MEASURES).
OUTCOMES_NORTHGATE = {
    "referrals": 6,
    "completed": 2,
    "finished": 3,
    "declined": 1,
    "opted_in": 4,
    "appointments_with_outcome": 4,  # two for each completed case
    "onward_made": 2,  # one in each completed case's plan
}
OUTCOMES_SOUTHPORT = {
    "referrals": 2,
    "completed": 1,
    "finished": 1,
    "declined": 0,
    "opted_in": 2,
    "appointments_with_outcome": 5,  # three and two
    "onward_made": 1,  # the completed order's plan
}
OUTCOMES_A = {key: OUTCOMES_NORTHGATE[key] + OUTCOMES_SOUTHPORT[key] for key in OUTCOMES_NORTHGATE}
OUTCOMES_B = {
    "referrals": 9,
    "completed": 4,
    "finished": 4,
    "declined": 2,
    "opted_in": 4,
    "appointments_with_outcome": 8,
    "onward_made": 4,
}


@dataclass
class Organisations:
    org_a: Any
    org_b: Any
    northgate: Any
    southport: Any
    eastfield: Any
    na1: Court
    na2: Court
    eb1: Court
    shared: Court
    manager_a: User  # both of org A's schemes
    manager_northgate: User  # Northgate's only
    manager_b: User
    worker_northgate: User
    worker_southport: User
    worker_b: User
    cases: dict[str, list[Referral]] = field(default_factory=dict)

    def ids(self, *schemes: str) -> set[str]:
        """The case ids of these schemes ("northgate", "southport", "eastfield")."""
        return {str(case.id) for name in schemes for case in self.cases[name]}


def _three_appointments(referral: Referral, worker: User, attended: int) -> Referral:
    """Appointments 1 to ``attended`` of a three-appointment order: the first makes the assessment, the third the
    Care Action Plan."""
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    save_full_assessment(referral, worker)
    attend(appointment=book(referral=referral, worker=worker, number=2), worker=worker)
    if attended == 3:
        attend(appointment=book(referral=referral, worker=worker, number=3), worker=worker)
        save_agreed_plan(referral, worker)
    return referral


def build_organisations() -> Organisations:
    """The two organisations, their schemes, courts, staff and cases."""
    org_a = create_organisation(slug="northgate-trust", name="Northgate Women's Trust")
    org_b = create_organisation(slug="eastfield", name="Eastfield Charity")
    northgate = create_scheme(organisation=org_a, slug="northgate", appointments=2)
    northgate.name = "Northgate diversion scheme"
    southport = create_scheme(organisation=org_a, slug="southport-eso", appointments=3)
    southport.name = "Southport engagement orders"
    eastfield = create_scheme(organisation=org_b, slug="eastfield-diversion", appointments=2)
    eastfield.name = "Eastfield diversion scheme"
    from diversion.extensions import db

    db.session.commit()
    na1 = create_court(name="Northgate Magistrates' Court", schemes=[northgate])
    na2 = create_court(name="Southport Magistrates' Court", schemes=[southport])
    eb1 = create_court(name="Eastfield Magistrates' Court", schemes=[eastfield])
    shared = create_court(name="Shared Magistrates' Court", schemes=[northgate, eastfield])
    worker_northgate = create_user(role="worker", organisation=org_a, schemes=[northgate])
    worker_southport = create_user(role="worker", organisation=org_a, schemes=[southport])
    worker_b = create_user(role="worker", organisation=org_b, schemes=[eastfield])
    built = Organisations(
        org_a=org_a,
        org_b=org_b,
        northgate=northgate,
        southport=southport,
        eastfield=eastfield,
        na1=na1,
        na2=na2,
        eb1=eb1,
        shared=shared,
        manager_a=create_user(role="manager", organisation=org_a, schemes=[northgate, southport]),
        manager_northgate=create_user(role="manager", organisation=org_a, schemes=[northgate]),
        manager_b=create_user(role="manager", organisation=org_b, schemes=[eastfield]),
        worker_northgate=worker_northgate,
        worker_southport=worker_southport,
        worker_b=worker_b,
    )

    def made(state: str, court: Court, worker: User, **kwargs: Any) -> Referral:
        return create_referral(state=state, court=court, worker=worker, **kwargs)

    built.cases["northgate"] = [
        *(made(State.COMPLETED, na1, worker_northgate) for _ in range(2)),
        made(State.DECLINED, na1, worker_northgate),
        made(State.OPTED_IN, na1, worker_northgate),
        made(State.WITHDRAWN, na1, worker_northgate),
        made(State.REFERRED, shared, worker_northgate),
    ]
    built.cases["southport"] = [
        _three_appointments(made(State.OPTED_IN, na2, worker_southport), worker_southport, 3),
        _three_appointments(made(State.OPTED_IN, na2, worker_southport), worker_southport, 2),
    ]
    marked = iter(range(100))

    def marker() -> dict[str, Any]:
        return {"family_name": f"{MARKER}{next(marked)}", "new_person": True}

    built.cases["eastfield"] = [
        *(made(State.COMPLETED, eb1, worker_b, **marker()) for _ in range(4)),
        *(made(State.DECLINED, eb1, worker_b, **marker()) for _ in range(2)),
        *(made(State.REFERRED, shared, worker_b, **marker()) for _ in range(3)),
    ]
    return built
