"""Synthetic cases for demonstrations and training: the service in mid-stream on the day the seed runs
(docs/demo.md).

A seed made on any day looks alive on that day. Counting from the service's today (working days as the calendar
has them), it makes:

- about a third of the cases open, in every open state (referred, opted in, assessed), their return dates spread over
  the next three weeks: about one in four at risk (a return date within the programme's at-risk working days), some
  with an appointment gone by and no outcome recorded, some with an appointment today;
- the court-day list of the court day (today, or the next working day when today is not one) at the first court
  given, the demo court user's: about ten cases, most completed, one withdrawn, a few still open on the day;
- a few cases finished in the last week, whose outcome notices the CPS has still to see;
- two years of finished cases before that, about 89% completion among them (the reference scheme's rate), with
  follow-up reviews on about two in five completed cases, some in the current quarter so that distance travelled
  has figures;
- open cases shared in turn among the support workers and managers given, so everyone has a caseload;
- as many appointments as the scheme's programme has (appointment 1 the needs assessment, the last the Care Action
  Plan, any between them attendance): a completed case of a three-appointment scheme attended three.

The same ``seed`` on the same day makes the same cases (their ids aside, which are random).

Names are plainly made up (family names end in -test, -sample, -demo...), phone numbers are UK mobiles from the
07700 1xxxxx range that phonenumbers accepts, and nothing resembles a real person. Rows are written directly
(not through the intake services) so that referral dates can lie in the past; the rules still hold for them.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from diversion.appointments.models import Appointment
from diversion.assessments.models import EXPLOITATION_INDICATORS, Assessment, AssessmentDomain, Domain
from diversion.auth.models import User
from diversion.care_plans.models import CarePlan, CarePlanAction, CarePlanGoal, OnwardReferral, Service
from diversion.clients.contact import QuietHours
from diversion.clients.models import Client
from diversion.clients.services import SafeContact, birth_year_band, name_dob_index_under, organisation_index_key
from diversion.courts.models import Court
from diversion.dates import from_london, is_working_day, long_date, today
from diversion.db import transaction
from diversion.extensions import db
from diversion.keyring import key_provider, keystore
from diversion.organisations.models import Scheme
from diversion.organisations.services import current_version, schemes_serving
from diversion.outcomes.models import Review, ReviewDomain
from diversion.referrals.caseload import at_risk_cutoff
from diversion.referrals.models import Consent, ConsentPurpose, Referral, State
from diversion.referrals.programme import DEFAULT_PROGRAMME, parse_programme
from diversion.referrals.urns import urn_index_value
from diversion.referrals.wording import scheme_wordings
from diversion.reports.services import quarter_of, quarter_period
from diversion.venues.services import list_venues

DEMO_QUIET_HOURS = {
    "after 10am": QuietHours(time(20), time(10)),
    "never after 8pm": QuietHours(time(20), time(8)),
}

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
# The agency's venues (made by diversion/main/demo.py), and where appointments are held: mostly a venue, sometimes
# somewhere else, which is kept encrypted under her key like any place she might be staying.
DEMO_VENUES = [
    ("Drop-in centre", "12 Canal Street, Northgate NG1 4AB"),
    ("Women's centre", "3 Mill Lane, Riverside RV2 7CD"),
    ("Court interview room", "Northgate Magistrates' Court, Castle Square, Northgate NG1 1AA"),
]
ELSEWHERE = "Outreach van, car park behind the station"
PLACES = [*(name for name, _address in DEMO_VENUES), ELSEWHERE]
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
# How long the court adjourns a case for diversion: about three weeks, to a working day.
ADJOURNMENT = timedelta(days=21)
# The court-day list's length: about ten cases, fewer in a small seed (a sixth of it at most).
COURT_DAY_CASES = 10
# Open cases take the open states in turn: two in five assessed, two in five opted in, one in five referred.
OPEN_STATE_CYCLE = ("ASSESSED", "OPTED_IN", "REFERRED", "ASSESSED", "OPTED_IN")
# Completed cases at least this old may have a follow-up review, about two in five of them.
REVIEW_AFTER = timedelta(days=14)
REVIEW_SHARE = 0.4
# However the dice fall, this many reviews lie in the current quarter (the dashboard's default period).
REVIEWS_THIS_QUARTER = 3
NEW_URN_TRIES = 1000
FINAL = (State.COMPLETED.value, State.NOT_COMPLETED.value, State.WITHDRAWN.value, State.DECLINED.value)


def _weekday_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _weekday_on_or_before(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def _working_days_after(day: date, count: int) -> date:
    """The ``count``-th working day after ``day``."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def _working_days_between(start: date, end: date) -> list[date]:
    """The working days after ``start`` and before ``end``."""
    days = []
    day = start + timedelta(days=1)
    while day < end:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def court_day_of(on: date) -> date:
    """The court day whose list the seed fills: ``on`` itself, or the next working day when courts do not sit."""
    return on if is_working_day(on) else _working_days_after(on, 1)


def _at(day: date, rng: random.Random) -> datetime:
    return from_london(day, time(rng.choice([10, 11, 13, 14, 15]), rng.choice([0, 30])))


class _Case:
    """One synthetic case: what the plan decided about it, then the rows written for it.

    ``outcome`` is the state it ends in; ``stage`` says where an open case stands with its appointments:
    ``upcoming`` (the next one is booked, today or later), ``unresolved`` (the last one has passed with no outcome
    recorded), ``missed`` (she did not come and it is rebooked, or on the return date, not) or ``to_book``.
    """

    def __init__(
        self,
        rng: random.Random,
        court: Court,
        worker: User,
        referred_on: date,
        outcome: str,
        *,
        return_date: date | None = None,
        stage: str | None = None,
        finished_on: date | None = None,
        urn: str = "",
    ) -> None:
        self.rng, self.court, self.worker, self.referred_on, self.outcome = rng, court, worker, referred_on, outcome
        self.return_date = return_date or _weekday_on_or_after(referred_on + ADJOURNMENT)
        self.stage, self.finished_on, self.urn = stage, finished_on, urn
        self.reviewed_on: date | None = None
        self.client_id = uuid.uuid4()
        self.referral_id = uuid.uuid4()
        self.rows: list[object] = []
        # The id of each purpose's wording, set by seed_cases before any row is written.
        self.wordings: dict[ConsentPurpose, int] = {}
        self.flagged = False
        self.scores: dict[str, tuple[int, int]] = {}
        self.venue_ids: dict[str, uuid.UUID] = {}  # by name, set before the rows are written
        # The organisation, scheme and programme version that hold the case, set before the rows are written, and
        # how many appointments that programme has.
        self.organisation_id = self.scheme_id = self.programme_version_id = 0
        self.index_key = b""  # the organisation's name and date-of-birth index key
        self.appointments = 2

    def key(self) -> tuple[object, ...]:
        """What the plan decided, for comparing two plans (the ids are left out: they are random)."""
        return (
            self.court.id,
            self.worker.id,
            self.referred_on,
            self.return_date,
            self.outcome,
            self.stage,
            self.finished_on,
            self.reviewed_on,
            self.urn,
        )

    def client(self) -> Client:
        rng = self.rng
        family = rng.choice(FAMILY_STEMS) + rng.choice(FAMILY_ENDINGS)
        born = self.referred_on - timedelta(days=rng.randint(19 * 365, 55 * 365))
        client = Client(id=self.client_id, organisation_id=self.organisation_id)
        client.given_name = rng.choice(GIVEN)
        client.family_name = family
        client.date_of_birth = born
        client.phone = f"+447700{rng.randint(100000, 199999)}"
        may_text, may_voicemail = rng.random() < 0.7, rng.random() < 0.3
        note = rng.choice(["after 10am", "never after 8pm", "weekday mornings", ""])
        # What she said, and the quiet hours her worker made of it (no further draw: the seed's cases stay the same).
        client.safe_contact = SafeContact(may_text, may_voicemail, None, note, DEMO_QUIET_HOURS.get(note)).to_json()
        client.birth_year_band = birth_year_band(born)
        client.name_dob_index = name_dob_index_under(self.index_key, family, born)
        return client

    def referral(self) -> Referral:
        rng = self.rng
        referral = Referral(
            id=self.referral_id,
            client_id=self.client_id,
            court_id=self.court.id,
            organisation_id=self.organisation_id,
            scheme_id=self.scheme_id,
            programme_version_id=self.programme_version_id,
            offence_code="SOA1959_S1",
            first_hearing_date=self.referred_on,
            return_date=self.return_date,
            state=State.REFERRED.value,
            referred_on=self.referred_on,
            assigned_worker_id=self.worker.id,
            urn_index=b"",
        )
        referral.urn = self.urn
        referral.urn_index = urn_index_value(self.urn)
        referral.notes = rng.choice(["Referred at the first hearing.", "Legal adviser asked for an interview.", None])
        return referral

    def consent(self, purpose: ConsentPurpose, given: bool, on: date) -> Consent:
        return Consent(
            referral_id=self.referral_id,
            purpose=purpose.value,
            is_given=given,
            wording_id=self.wordings[purpose],
            recorded_at=_at(on, self.rng),
            recorded_by_id=self.worker.id,
        )

    def appointment(
        self, number: int, on: date, outcome: str | None, supersedes: Appointment | None = None
    ) -> Appointment:
        # Drawn in this order so that a seed makes the same cases as before venues existed.
        starts_at = _at(on, self.rng)
        place = self.rng.choice(PLACES)
        appointment = Appointment(
            id=uuid.uuid4(),
            client_id=self.client_id,
            referral_id=self.referral_id,
            number=number,
            starts_at=starts_at,
            duration_minutes=60,
            worker_id=self.worker.id,
            outcome=outcome,
            outcome_recorded_at=_at(on, self.rng) if outcome else None,
            outcome_recorded_by_id=self.worker.id if outcome else None,
            supersedes_id=supersedes.id if supersedes else None,
            rebook_reason="She did not come; rebooked by phone" if supersedes else None,
            booked_by_id=self.worker.id,
        )
        if place in self.venue_ids:
            appointment.venue_id = self.venue_ids[place]
        else:
            appointment.elsewhere = place
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
            need, score = rng.randint(0, 3), rng.randint(2, 8)
            self.scores[domain.value] = (need, score)
            row = AssessmentDomain(
                id=uuid.uuid4(),
                client_id=self.client_id,
                assessment_id=assessment.id,
                domain=domain.value,
                position=position,
                need_level=need,
                wellbeing_score=score,
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

    def review(self, on: date) -> None:
        """A follow-up review: mostly a little better than at the assessment, sometimes worse."""
        rng = self.rng
        review = Review(id=uuid.uuid4(), client_id=self.client_id, referral_id=self.referral_id, reviewed_on=on)
        review.recorded_by_id = self.worker.id
        review.notes = rng.choice(["Follow-up review at the drop-in.", "Follow-up review by phone.", None])
        for position, domain in enumerate(Domain):
            need, score = self.scores[domain.value]
            review.domains.append(
                ReviewDomain(
                    domain=domain.value,
                    position=position,
                    need_level=max(0, need - rng.choice([0, 0, 1, 1, 2])),
                    wellbeing_score=min(10, max(1, score + rng.choice([-1, 0, 1, 1, 2, 2, 3]))),
                )
            )
        self.rows.append(review)


# --- the plan: what each case is, decided before anything is written ---


def _past_outcome(rng: random.Random) -> str:
    """Finished cases: about 10% declined; of the rest 89% completed, 7% not completed, 4% withdrawn."""
    if rng.random() < 0.10:
        return "DECLINED"
    roll = rng.random()
    return "COMPLETED" if roll < 0.89 else ("NOT_COMPLETED" if roll < 0.96 else "WITHDRAWN")


class _Planner:
    """Decides the cases of one seed, in a fixed order of draws from one random generator."""

    def __init__(self, seed: int, on: date, courts: list[Court], workers: list[User], home: Court) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.on, self.courts, self.workers, self.home = on, courts, workers, home
        self.court_day = court_day_of(on)
        self.urns: set[str] = set()
        self.open_count = 0

    def case(self, court: Court, referred_on: date, outcome: str, *, listed: bool = False, **kwargs: object) -> _Case:
        """One case; ``listed`` for those made for the court-day list, which no other case at the home court joins."""
        rng = self.rng
        if outcome in ("REFERRED", "OPTED_IN", "ASSESSED"):
            # Open cases are dealt out in turn, so every support worker and manager has a caseload.
            worker = self.workers[self.open_count % len(self.workers)]
            self.open_count += 1
        else:
            worker = rng.choice(self.workers)
        case = _Case(
            random.Random(rng.getrandbits(64)),  # noqa: S311 - demo data, not security
            court,
            worker,
            referred_on,
            outcome,
            urn=self._urn(referred_on),
            **kwargs,  # type: ignore[arg-type]
        )
        if not listed and case.court.id == self.home.id and case.return_date == self.court_day:
            case.court = next((court for court in self.courts if court.id != self.home.id), case.court)
        return case

    def _urn(self, referred_on: date) -> str:
        # Distinct, as open cases' URNs must be (the unique index on open cases' URNs).
        rng = self.rng
        for _ in range(NEW_URN_TRIES):
            urn = (
                f"{rng.choice(['01', '20', '42'])}{rng.choice(['AB', 'CD', 'NT', 'RV'])}{rng.randint(10000, 99999)}"
                f"{referred_on:%y}"
            )
            if urn not in self.urns:
                self.urns.add(urn)
                return urn
        raise RuntimeError("Too many demo cases for distinct URNs.")

    def plan(self, count: int) -> list[_Case]:
        court_day = min(COURT_DAY_CASES, count // 6)
        court_day_open = court_day // 4
        open_rest = max(0, round(count / 3) - court_day_open)
        recent = min(max(3, count // 40), count - court_day - open_rest)
        past = count - court_day - open_rest - recent
        cases = self.court_day_cases(court_day, court_day_open)
        cases += self.open_cases(open_rest)
        cases += self.recent_cases(recent)
        cases += self.past_cases(past)
        self.reviews(cases)
        return cases

    def court_day_cases(self, count: int, still_open: int) -> list[_Case]:
        """The court day's list at the home court: one withdrawn, ``still_open`` not finished by the day, the rest
        completed."""
        referred_on = _weekday_on_or_before(self.court_day - ADJOURNMENT)
        cases = []
        for index in range(count):
            if index < still_open:
                outcome, stage = ("ASSESSED", "missed") if index % 2 == 0 else ("OPTED_IN", "unresolved")
            else:
                outcome, stage = ("WITHDRAWN" if index == still_open and count >= 4 else "COMPLETED"), None
            cases.append(
                self.case(self.home, referred_on, outcome, listed=True, return_date=self.court_day, stage=stage)
            )
        return cases

    def open_cases(self, count: int) -> list[_Case]:
        """Open cases, their return dates over the next three weeks; about one in four at risk."""
        on, rng = self.on, self.rng
        threshold = DEFAULT_PROGRAMME["at_risk_working_days"]
        # The working days left on a case referred today: the most an open case can have.
        longest = len(_working_days_between(on, _weekday_on_or_after(on + ADJOURNMENT))) + 1
        seen: Counter[str] = Counter()
        cases = []
        for index in range(count):
            outcome = OPEN_STATE_CYCLE[index % len(OPEN_STATE_CYCLE)]
            number = seen[outcome]
            seen[outcome] += 1
            if number % 4 == 0:
                low, high = 1, threshold
            elif outcome == "REFERRED":
                # Not yet opted in: referred in the last few days.
                low, high = longest - 3, longest
            elif outcome == "ASSESSED":
                # Assessed: appointment 1 has been and gone, so referred a few working days ago at least.
                low, high = threshold + 1, longest - 3
            else:
                low, high = threshold + 1, longest
            low = max(1, min(low, longest))
            high = max(low, min(high, longest))
            return_date = _working_days_after(on, rng.randint(low, high))
            referred_on = _weekday_on_or_before(min(on, return_date - ADJOURNMENT))
            stages = (
                ("upcoming", "unresolved", "to_book") if outcome == "ASSESSED" else ("upcoming", "unresolved", "missed")
            )
            stage = stages[number % 3] if outcome != "REFERRED" else None
            cases.append(self.case(rng.choice(self.courts), referred_on, outcome, return_date=return_date, stage=stage))
        return cases

    def recent_cases(self, count: int) -> list[_Case]:
        """Cases finished in the last week, ahead of their return dates: the CPS's new notices. One in four is a
        withdrawal."""
        on, rng = self.on, self.rng
        days = _working_days_between(on - timedelta(days=7), on) or [on - timedelta(days=1)]
        cases = []
        for index in range(count):
            finished_on = rng.choice(days)
            referred_on = _weekday_on_or_before(finished_on - timedelta(days=rng.randint(7, 13)))
            outcome = "WITHDRAWN" if index % 4 == 3 else "COMPLETED"
            cases.append(self.case(rng.choice(self.courts), referred_on, outcome, finished_on=finished_on))
        return cases

    def past_cases(self, count: int) -> list[_Case]:
        """Two years of finished cases, each's return date gone by."""
        on, rng = self.on, self.rng
        cases = []
        for _ in range(count):
            referred_on = _weekday_on_or_before(on - timedelta(days=rng.randint(30, 730)))
            cases.append(self.case(rng.choice(self.courts), referred_on, _past_outcome(rng)))
        return cases

    def reviews(self, cases: list[_Case]) -> None:
        """Review dates for about two in five completed cases whose return date is a fortnight gone or more (a case
        completes before its return date, so the review comes after the assessment); the latest few reviewed in the
        current quarter, the dashboard's default period."""
        on, rng = self.on, self.rng
        quarter_start = quarter_period(*quarter_of(on)).start
        eligible = [
            case
            for case in cases
            if case.outcome == "COMPLETED" and case.finished_on is None and case.return_date + REVIEW_AFTER <= on
        ]
        eligible.sort(key=lambda case: case.return_date, reverse=True)
        for number, case in enumerate(eligible):
            earliest = case.return_date + REVIEW_AFTER
            if number < REVIEWS_THIS_QUARTER:
                start, latest = max(earliest, quarter_start), on
            elif rng.random() < REVIEW_SHARE:
                start, latest = earliest, min(on, earliest + timedelta(days=120))
            else:
                continue
            day = start + timedelta(days=rng.randint(0, (latest - start).days))
            weekday = _weekday_on_or_before(day)
            case.reviewed_on = weekday if weekday >= start else day


def plan_cases(
    count: int, seed: int, courts: list[Court], workers: list[User], home: Court | None = None, on: date | None = None
) -> list[_Case]:
    """The cases a seed makes on a day (default today), nothing written: the same for the same seed and day."""
    return _Planner(seed, on or today(), courts, workers, home or courts[0]).plan(count)


# --- writing a case's rows ---


def _opt_in(case: _Case, referral: Referral) -> None:
    start = case.referred_on
    case.rows += [
        case.consent(ConsentPurpose.SUPPORT, True, start),
        case.consent(ConsentPurpose.SHARE_WITH_COURT_CPS, True, start),
        case.consent(ConsentPurpose.REMINDERS, case.rng.random() < 0.6, start),
    ]
    referral.state, referral.consent_date = State.OPTED_IN.value, start


def _assess(case: _Case, referral: Referral, day: date) -> None:
    case.appointment(1, day, "attended")
    case.assessment(day)
    referral.has_safeguarding_flag = case.flagged
    referral.state = State.ASSESSED.value


def _build_open(case: _Case, referral: Referral, on: date) -> None:
    """An open case where it stands today: its next appointment booked, gone by unrecorded, missed, or not yet
    booked."""
    rng = case.rng
    _opt_in(case, referral)
    gone = _working_days_between(case.referred_on, on)
    future = _working_days_between(on, case.return_date)[:3]
    can_today = is_working_day(on) and case.referred_on < on < case.return_date
    slot = on if can_today and (not future or rng.random() < 0.3) else (rng.choice(future) if future else None)
    stage = case.stage
    number = 1
    if case.outcome == "ASSESSED":
        first_day = rng.choice(gone[:3]) if gone else case.referred_on
        _assess(case, referral, first_day)
        gone = [day for day in gone if day > first_day]
        number = 2
        # A longer programme: some of the appointments between the first and the last attended already, each on a
        # working day after the one before.
        for _ in range(rng.randint(0, case.appointments - 2) if case.appointments > 2 else 0):
            if len(gone) < 2:
                break
            day = rng.choice(gone[:2])
            case.appointment(number, day, "attended")
            gone = [later for later in gone if later > day]
            number += 1
    if stage in ("unresolved", "missed") and not gone:
        stage = "upcoming"
    if stage == "unresolved":
        case.appointment(number, gone[-1], None)
    elif stage == "missed":
        missed = case.appointment(number, rng.choice(gone[-3:]), "did_not_attend")
        if slot is not None:
            case.appointment(number, slot, None, supersedes=missed)
    elif stage == "upcoming" and slot is not None:
        case.appointment(number, slot, None)


def _build_finished(case: _Case, referral: Referral, on: date) -> None:
    """A case finished: completed, withdrawn, or not completed by its return date."""
    rng = case.rng
    _opt_in(case, referral)
    end = case.finished_on or min(on, case.return_date)
    days = _working_days_between(case.referred_on, end) or [case.referred_on]
    first_day = days[min(len(days) - 1, rng.randint(0, 2))]
    later = [day for day in days if day > first_day]
    if rng.random() < 0.15 and len(later) > 3:
        missed = case.appointment(1, first_day, "did_not_attend")
        first_day = later[1]
        later = [day for day in later if day > first_day]
        case.appointment(1, first_day, "attended", supersedes=missed)
    else:
        case.appointment(1, first_day, "attended")
    if case.outcome == "WITHDRAWN":
        referral.state = State.WITHDRAWN.value
        referral.outcome_date = case.finished_on or (later[0] if later else first_day)
        referral.withdrawal_reason = "She chose to leave the scheme."
        return
    case.assessment(first_day)
    referral.has_safeguarding_flag = case.flagged
    referral.state = State.ASSESSED.value
    # The last appointment about a week after the first (a few days more for each appointment between them): the day
    # it finished on, or a working day before the end.
    last = case.appointments
    last_day = case.finished_on or (
        later[min(len(later) - 1, rng.randint(3, 6) + 3 * (last - 2))] if later else first_day
    )
    # Those between the first and the last (none in a two-appointment programme), attended in order.
    between = [day for day in later if day < last_day]
    if last > 2:
        days = sorted(rng.sample(between, last - 2)) if len(between) >= last - 2 else [last_day] * (last - 2)
        for number, day in enumerate(days, start=2):
            case.appointment(number, day, "attended")
    if case.outcome == "NOT_COMPLETED":
        case.appointment(last, last_day, "did_not_attend")
        referral.state, referral.outcome_date = State.NOT_COMPLETED.value, case.return_date
        return
    case.appointment(last, last_day, "attended")
    case.plan(last_day, agreed=True)
    referral.state, referral.outcome_date = State.COMPLETED.value, last_day
    if case.reviewed_on is not None:
        case.review(case.reviewed_on)


def _build(case: _Case, on: date) -> Referral:
    referral = case.referral()
    if case.outcome == "DECLINED":
        case.rows.append(case.consent(ConsentPurpose.SUPPORT, False, case.referred_on))
        referral.state, referral.outcome_date = State.DECLINED.value, case.referred_on
    elif case.outcome in ("OPTED_IN", "ASSESSED"):
        _build_open(case, referral, on)
    elif case.outcome != "REFERRED":
        _build_finished(case, referral, on)
    if referral.state in FINAL:
        referral.final_at = from_london(referral.outcome_date, time(17, 0))
    return referral


def seed_cases(
    count: int,
    seed: int,
    courts: list[Court],
    workers: list[User],
    home: Court | None = None,
    scheme: Scheme | None = None,
) -> Iterator[str]:
    """Write ``count`` synthetic cases of ``scheme`` (default: the first scheme serving the first court), in
    batches; yields a progress line per batch and then what was made. ``home`` (default the first court) is the
    court whose court-day list is made."""
    on = today()
    scheme = scheme or schemes_serving(courts[0].id)[0]
    version = current_version(scheme.id)
    appointments = parse_programme(json.loads(version.settings_json)).required_appointments
    cases = plan_cases(count, seed, courts, workers, home, on)
    # Every demo consent is on the scheme's wording in use now (the plan is made without the database, so it is set
    # here).
    wordings = {purpose: wording.id for purpose, wording in scheme_wordings(scheme.id).items()}
    venue_ids = {venue.name: venue.id for venue in list_venues(scheme.organisation_id, active_only=True)}
    index_key = organisation_index_key(scheme.organisation_id)
    for case in cases:
        case.wordings = wordings
        case.venue_ids = venue_ids
        case.index_key = index_key
        case.organisation_id, case.scheme_id = scheme.organisation_id, scheme.id
        case.programme_version_id, case.appointments = version.id, appointments
    written = 0
    while written < count:
        batch = cases[written : written + 200]
        keystore().create_data_keys([case.client_id for case in batch])
        key_provider().prefetch([case.client_id for case in batch])
        with transaction():
            for case in batch:
                db.session.add(case.client())
                db.session.flush()
                db.session.add(_build(case, on))
                db.session.flush()
                db.session.add_all(case.rows)
        written += len(batch)
        yield f"  {written} of {count} demo cases written"
    states = Counter(case.outcome for case in cases)
    opened = [case for case in cases if case.outcome in ("REFERRED", "OPTED_IN", "ASSESSED")]
    cutoff = at_risk_cutoff(on)
    at_risk = sum(1 for case in opened if case.return_date <= cutoff)
    home = home or courts[0]
    court_day = court_day_of(on)
    listed = sum(1 for case in cases if case.court.id == home.id and case.return_date == court_day)
    reviewed = sum(1 for case in cases if case.reviewed_on is not None)
    yield (
        f"  {len(opened)} open ({states['REFERRED']} referred, {states['OPTED_IN']} opted in, {states['ASSESSED']} "
        f"assessed; {at_risk} at risk), {listed} on {home.code}'s court-day list for "
        f"{long_date(court_day, weekday=True, year=False)}, {reviewed} completed cases reviewed"
    )
