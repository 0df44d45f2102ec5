"""Synthetic cases for demonstrations and training: every state, two years of referrals across the demo courts,
about 89% completion among finished cases (the reference scheme's rate).

Names are plainly made up (family names end in -test, -sample, -demo...), phone numbers are UK mobiles from the
07700 1xxxxx range that phonenumbers accepts, and nothing resembles a real person. Rows are written directly
(not through the intake services) so that referral dates can lie in the past; the rules still hold for them.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from diversion.appointments.models import Appointment
from diversion.assessments.models import EXPLOITATION_INDICATORS, Assessment, AssessmentDomain, Domain
from diversion.auth.models import User
from diversion.care_plans.models import CarePlan, CarePlanAction, CarePlanGoal, OnwardReferral, Service
from diversion.clients.models import Client
from diversion.clients.services import SafeContact, birth_year_band, name_dob_index_value
from diversion.courts.models import Court
from diversion.db import transaction
from diversion.extensions import db
from diversion.keyring import key_provider, keystore
from diversion.referrals.calendar import from_london, is_working_day, today
from diversion.referrals.models import Consent, ConsentPurpose, Referral, State
from diversion.referrals.services import CONSENT_WORDING_VERSION, urn_index_value

GIVEN = [
    "Amber",
    "Bella",
    "Cara",
    "Dawn",
    "Erin",
    "Faye",
    "Gemma",
    "Holly",
    "Isla",
    "Jade",
    "Kelly",
    "Leah",
    "Mia",
    "Nina",
    "Olive",
    "Paige",
    "Rosa",
    "Sian",
    "Tara",
    "Vicky",
    "Zoe",
]
FAMILY_STEMS = [
    "Ash",
    "Birch",
    "Cole",
    "Dale",
    "Elm",
    "Fern",
    "Glen",
    "Hart",
    "Ivy",
    "Kent",
    "Lark",
    "Moor",
    "North",
    "Oak",
    "Pike",
    "Reed",
    "Stone",
    "Vale",
    "West",
    "Yew",
]
FAMILY_ENDINGS = ["test", "sample", "demo", "example", "fiction"]
PLACES = ["Drop-in centre", "Women's centre", "Court interview room", "Outreach van"]
GOALS = {
    "accommodation": ("Find somewhere safe to live", "Housing options appointment"),
    "drugs": ("Reduce crack use", "First appointment at the drug service"),
    "physical_health": ("Register with a GP", "GP registration form"),
    "money": ("Sort out benefits", "Benefits advice session"),
    "exiting": ("Join the women's group", "Attend the Tuesday group"),
}
SERVICES_FOR = {
    "accommodation": Service.HOUSING,
    "drugs": Service.DRUG_TREATMENT,
    "physical_health": Service.GP,
    "money": Service.BENEFITS_ADVICE,
    "exiting": Service.GROUP_PROGRAMME,
}


def _weekday_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _at(day: date, rng: random.Random) -> datetime:
    return from_london(day, time(rng.choice([10, 11, 13, 14, 15]), rng.choice([0, 30])))


class _Case:
    """One synthetic case being written."""

    def __init__(self, rng: random.Random, court: Court, worker: User, referred_on: date, outcome: str) -> None:
        self.rng, self.court, self.worker, self.referred_on, self.outcome = rng, court, worker, referred_on, outcome
        self.client_id = uuid.uuid4()
        self.referral_id = uuid.uuid4()
        self.rows: list[object] = []

    def client(self) -> Client:
        rng = self.rng
        family = rng.choice(FAMILY_STEMS) + rng.choice(FAMILY_ENDINGS)
        born = self.referred_on - timedelta(days=rng.randint(19 * 365, 55 * 365))
        client = Client(id=self.client_id)
        client.given_name = rng.choice(GIVEN)
        client.family_name = family
        client.date_of_birth = born
        client.phone = f"+447700{rng.randint(100000, 199999)}"
        client.safe_contact = SafeContact(
            rng.random() < 0.7,
            rng.random() < 0.3,
            None,
            rng.choice(["after 10am", "never after 8pm", "weekday mornings", ""]),
        ).to_json()
        client.birth_year_band = birth_year_band(born)
        client.name_dob_index = name_dob_index_value(family, born)
        return client

    def referral(self) -> Referral:
        rng = self.rng
        referral = Referral(
            id=self.referral_id,
            client_id=self.client_id,
            court_id=self.court.id,
            offence_code="SOA1959_S1",
            first_hearing_date=self.referred_on,
            return_date=_weekday_on_or_after(self.referred_on + timedelta(days=21)),
            state=State.REFERRED.value,
            referred_on=self.referred_on,
            assigned_worker_id=self.worker.id,
            urn_index=b"",
        )
        urn = (
            f"{rng.choice(['01', '20', '42'])}{rng.choice(['AB', 'CD', 'NT', 'RV'])}{rng.randint(10000, 99999)}"
            f"{self.referred_on:%y}"
        )
        referral.urn = urn
        referral.urn_index = urn_index_value(urn)
        referral.notes = rng.choice(["Referred at the first hearing.", "Legal adviser asked for an interview.", None])
        return referral

    def consent(self, purpose: ConsentPurpose, given: bool, on: date) -> Consent:
        return Consent(
            referral_id=self.referral_id,
            purpose=purpose.value,
            is_given=given,
            wording_version=CONSENT_WORDING_VERSION,
            recorded_at=_at(on, self.rng),
            recorded_by_id=self.worker.id,
        )

    def appointment(
        self, number: int, on: date, outcome: str | None, supersedes: Appointment | None = None
    ) -> Appointment:
        appointment = Appointment(
            id=uuid.uuid4(),
            client_id=self.client_id,
            referral_id=self.referral_id,
            number=number,
            starts_at=_at(on, self.rng),
            duration_minutes=60,
            location=self.rng.choice(PLACES),
            worker_id=self.worker.id,
            outcome=outcome,
            outcome_recorded_at=_at(on, self.rng) if outcome else None,
            outcome_recorded_by_id=self.worker.id if outcome else None,
            supersedes_id=supersedes.id if supersedes else None,
            rebook_reason="She did not come; rebooked by phone" if supersedes else None,
            booked_by_id=self.worker.id,
        )
        self.rows.append(appointment)
        return appointment

    def assessment(self, on: date) -> None:
        rng = self.rng
        assessment = Assessment(
            id=uuid.uuid4(),
            client_id=self.client_id,
            referral_id=self.referral_id,
            completed_at=_at(on, rng),
            completed_by_id=self.worker.id,
        )
        for position, domain in enumerate(Domain):
            row = AssessmentDomain(
                id=uuid.uuid4(),
                client_id=self.client_id,
                assessment_id=assessment.id,
                domain=domain.value,
                position=position,
                need_level=rng.randint(0, 3),
                wellbeing_score=rng.randint(2, 8),
            )
            assessment.domains.append(row)
        flagged = rng.random() < 0.2
        assessment.exploitation_indicators = json.dumps(
            rng.sample(sorted(EXPLOITATION_INDICATORS), 2) if flagged else []
        )
        assessment.has_safeguarding_flag = flagged
        self.flagged = flagged
        self.rows.append(assessment)

    def plan(self, on: date, agreed: bool) -> None:
        rng = self.rng
        plan = CarePlan(
            id=uuid.uuid4(),
            client_id=self.client_id,
            referral_id=self.referral_id,
            is_agreed=agreed,
            agreed_at=_at(on, rng) if agreed else None,
            agreed_by_id=self.worker.id if agreed else None,
        )
        for position, domain in enumerate(rng.sample(sorted(GOALS), rng.randint(1, 3))):
            goal_text, action_text = GOALS[domain]
            goal = CarePlanGoal(
                id=uuid.uuid4(), client_id=self.client_id, plan_id=plan.id, domain=domain, position=position
            )
            goal.text = goal_text
            action = CarePlanAction(
                id=uuid.uuid4(),
                client_id=self.client_id,
                goal_id=goal.id,
                position=0,
                owner="client",
                status=rng.choice(["to_do", "in_progress", "done"]),
            )
            action.text = action_text
            goal.actions.append(action)
            plan.goals.append(goal)
            plan.onward_referrals.append(
                OnwardReferral(
                    plan_id=plan.id,
                    position=position,
                    service=SERVICES_FOR[domain].value,
                    status=rng.choice(["made", "accepted", "attended", "declined"]),
                    status_changed_at=_at(on, rng),
                )
            )
        self.rows.append(plan)


def _outcome_for(rng: random.Random, return_date: date, on: date) -> str:
    """Finished cases: about 10% declined; of the rest 89% completed, 7% not completed, 4% withdrawn."""
    if return_date >= on:
        return rng.choice(["REFERRED", "OPTED_IN", "OPTED_IN", "ASSESSED", "ASSESSED", "COMPLETED"])
    if rng.random() < 0.10:
        return "DECLINED"
    roll = rng.random()
    return "COMPLETED" if roll < 0.89 else ("NOT_COMPLETED" if roll < 0.96 else "WITHDRAWN")


def _build(case: _Case, on: date) -> Referral:
    referral = case.referral()
    outcome = case.outcome
    start = case.referred_on
    rows = case.rows
    if outcome == "DECLINED":
        rows.append(case.consent(ConsentPurpose.SUPPORT, False, start))
        referral.state, referral.outcome_date = State.DECLINED.value, start
        return referral
    if outcome == "REFERRED":
        return referral
    rows += [
        case.consent(ConsentPurpose.SUPPORT, True, start),
        case.consent(ConsentPurpose.SHARE_WITH_COURT_CPS, True, start),
        case.consent(ConsentPurpose.REMINDERS, case.rng.random() < 0.6, start),
    ]
    referral.state, referral.consent_date = State.OPTED_IN.value, start
    first_day = _weekday_on_or_after(start + timedelta(days=case.rng.randint(1, 4)))
    if first_day >= on and not referral.state_enum.is_final:
        # Nothing can have happened yet at an appointment still to come.
        outcome = "OPTED_IN"
    if outcome == "OPTED_IN":
        case.appointment(1, first_day if first_day < on else _weekday_on_or_after(on + timedelta(days=1)), None)
        return referral
    if case.rng.random() < 0.15 and first_day + timedelta(days=3) < referral.return_date:
        missed = case.appointment(1, first_day, "did_not_attend")
        first_day = _weekday_on_or_after(first_day + timedelta(days=2))
        first = case.appointment(1, first_day, "attended", supersedes=missed)
    else:
        first = case.appointment(1, first_day, "attended")
    del first
    if outcome == "WITHDRAWN":
        referral.state, referral.outcome_date = State.WITHDRAWN.value, first_day + timedelta(days=2)
        referral.withdrawal_reason = "She chose to leave the scheme."
        return referral
    case.assessment(first_day)
    referral.has_safeguarding_flag = case.flagged
    referral.state = State.ASSESSED.value
    second_day = _weekday_on_or_after(first_day + timedelta(days=case.rng.randint(5, 9)))
    if second_day >= referral.return_date:
        second_day = _weekday_on_or_after(first_day + timedelta(days=1))
    if second_day >= on and outcome in ("COMPLETED", "ASSESSED"):
        outcome = "ASSESSED"
    if outcome == "NOT_COMPLETED":
        case.appointment(2, second_day, "did_not_attend")
        referral.state, referral.outcome_date = State.NOT_COMPLETED.value, referral.return_date
        return referral
    if outcome == "ASSESSED":
        return referral
    case.appointment(2, second_day, "attended")
    case.plan(second_day, agreed=True)
    referral.state, referral.outcome_date = State.COMPLETED.value, second_day
    return referral


def seed_cases(count: int, seed: int, courts: list[Court], workers: list[User]) -> Iterator[str]:
    """Write ``count`` synthetic cases, in batches; yields a progress line per batch."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    on = today()
    written = 0
    while written < count:
        batch = min(200, count - written)
        cases = []
        for _ in range(batch):
            referred_on = _weekday_on_or_after(on - timedelta(days=rng.randint(0, 730)))
            return_date = _weekday_on_or_after(referred_on + timedelta(days=21))
            cases.append(
                _Case(rng, rng.choice(courts), rng.choice(workers), referred_on, _outcome_for(rng, return_date, on))
            )
        keystore().create_data_keys([case.client_id for case in cases])
        key_provider().prefetch([case.client_id for case in cases])
        with transaction():
            for case in cases:
                db.session.add(case.client())
                db.session.flush()
                referral = _build(case, on)
                if referral.state in (
                    State.COMPLETED.value,
                    State.NOT_COMPLETED.value,
                    State.WITHDRAWN.value,
                    State.DECLINED.value,
                ):
                    referral.final_at = from_london(referral.outcome_date, time(17, 0))
                db.session.add(referral)
                db.session.flush()
                db.session.add_all(case.rows)
        written += batch
        yield f"  {written} of {count} demo cases written"
