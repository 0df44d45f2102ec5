"""The demo seed makes a day that looks like a living service (docs/demo.md): a third of the cases open in every open
state, some at risk and some with appointments gone by unrecorded, about ten cases on the court user's court-day
list, new CPS notices, follow-up reviews, and a caseload for every support worker and manager. It does so in two
organisations: the first runs the two-appointment scheme, the second a three-appointment Engagement and Support
Order at courts of its own, its clients' blind indexes keyed with its own salt."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from diversion.admin.services import court_by_code
from diversion.appointments.models import Appointment
from diversion.appointments.services import unresolved_appointments
from diversion.auth.models import User
from diversion.auth.services import find_user_by_email
from diversion.care_plans.models import CarePlan
from diversion.clients.models import Client
from diversion.clients.services import find_clients, name_dob_index_value
from diversion.courts.models import Court
from diversion.dates import is_working_day, today
from diversion.db import transaction
from diversion.extensions import db
from diversion.main.demo import DEMO_COURTS, DEMO_USERS, ESO, ESO_MIN_CASES, MAIN, seed_demo
from diversion.main.demo_cases import plan_cases
from diversion.notices.models import OutcomeNotice
from diversion.organisations.models import Organisation, ProgrammeVersion, Scheme, cps_courts, scheme_courts
from diversion.organisations.services import organisation_by_slug, scheme_by_slug, schemes_serving
from diversion.outcomes import queries as outcome_queries
from diversion.outcomes.models import Review
from diversion.referrals.caseload import appointments_on, at_risk_cutoff, caseload
from diversion.referrals.models import OPEN_STATES, Consent, ConsentWording, Referral, State
from diversion.referrals.programme import programme_for, scheme_programme
from diversion.referrals.queries import court_day
from diversion.referrals.states import step_progress
from diversion.reports.services import default_period
from diversion.scoping import cases_filter
from diversion.venues.models import Venue

# A small seed keeps the tests quick; the shares are the same as for `make run`'s 160.
CLIENTS = 60


def _seed(clients: int = CLIENTS, seed: int = 1) -> list[str]:
    return list(seed_demo(clients=clients, seed=seed))


def _scheme(demo=MAIN) -> Scheme:
    return scheme_by_slug(organisation_by_slug(demo.slug), demo.scheme_slug)


def _cases(demo=MAIN) -> list[Referral]:
    """The cases of one demo organisation's scheme (by default the first's)."""
    return list(db.session.scalars(select(Referral).where(Referral.scheme_id == _scheme(demo).id)))


def _appointments(case: Referral) -> list[Appointment]:
    return list(db.session.scalars(select(Appointment).where(Appointment.referral_id == case.id)))


def _support_users(demo=MAIN) -> list:
    return [find_user_by_email(entry[0]) for entry in demo.staff if entry[1] in ("worker", "manager")]


def _court_users_court():
    code = next(entry[2] for entry in DEMO_USERS if entry[1] == "court")
    return court_by_code(code)


def _court_user(court):
    """Someone who reads the court-day list of ``court``."""
    from tests.factories import create_user

    return create_user(role="court", court=court)


def test_about_a_third_of_the_demo_cases_are_open_in_every_open_state(app_ctx) -> None:
    _seed()
    cases = _cases()
    assert len(cases) == CLIENTS
    states = Counter(case.state for case in cases)
    opened = sum(states[state.value] for state in OPEN_STATES)
    assert 0.28 <= opened / CLIENTS <= 0.4, states
    for state in OPEN_STATES:
        assert states[state.value] >= 2, (state, states)
    for state in (State.COMPLETED, State.WITHDRAWN):
        assert states[state.value] >= 1, (state, states)


def test_some_open_demo_cases_are_at_risk_some_have_unresolved_appointments_some_are_seen_today(app_ctx) -> None:
    _seed()
    opened = [case for case in _cases() if case.is_open]
    cutoff = at_risk_cutoff()
    at_risk = [case for case in opened if case.return_date <= cutoff]
    assert 3 <= len(at_risk) < len(opened) / 2, (len(at_risk), len(opened))
    assert all(case.return_date >= today() for case in opened)
    unresolved = unresolved_appointments()
    assert len(unresolved) >= 3
    every_open = {case.id for demo in (MAIN, ESO) for case in _cases(demo) if case.is_open}
    assert {appointment.referral_id for appointment in unresolved} <= every_open
    # Tuesday: a working day, so the caseload's Today view has appointments.
    assert appointments_on(today())


def test_todays_court_day_list_at_the_court_users_court_has_about_ten_cases(app_ctx) -> None:
    _seed()
    listed = court_day(today(), user=_court_user(_court_users_court()))
    states = Counter(item.referral.state for item in listed)
    assert 8 <= len(listed) <= 12, states
    assert states[State.COMPLETED.value] >= len(listed) // 2, states
    assert states[State.WITHDRAWN.value] == 1, states
    assert any(item.referral.is_open for item in listed), states
    # The other courts' lists for the day are not swollen by it.
    for code, _name in DEMO_COURTS:
        if code != _court_users_court().code:
            assert len(court_day(today(), user=_court_user(court_by_code(code)))) < 5


@pytest.mark.clock("2026-12-05 10:00")
def test_on_a_saturday_the_court_day_list_is_mondays(app_ctx) -> None:
    _seed()
    court = _court_users_court()
    assert today() == date(2026, 12, 5)
    assert court_day(today(), user=_court_user(court)) == []
    assert 8 <= len(court_day(date(2026, 12, 7), user=_court_user(court))) <= 12
    assert all(is_working_day(case.return_date) for case in _cases())


def test_the_cps_inbox_has_a_few_new_notices(app_ctx) -> None:
    _seed()
    new = list(db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.acknowledged_at.is_(None))))
    assert 3 <= len(new) <= 15, len(new)
    assert all(notice.decision is None for notice in new)
    assert all(notice.outcome_date >= today() - timedelta(days=7) for notice in new)
    decided = db.session.scalar(
        select(func.count()).select_from(OutcomeNotice).where(OutcomeNotice.decision.is_not(None))
    )
    assert decided >= 10


@pytest.mark.parametrize(
    "quarter",
    [
        pytest.param("mid", id="mid-quarter"),
        pytest.param("start", id="first-working-day-of-a-quarter", marks=pytest.mark.clock("2027-01-04 09:00")),
    ],
)
def test_completed_demo_cases_have_follow_up_reviews_and_distance_travelled_has_figures(app_ctx, quarter) -> None:
    _seed()
    reviews = list(db.session.scalars(select(Review)))
    assert len(reviews) >= 5
    cases = {case.id: case for demo in (MAIN, ESO) for case in _cases(demo)}
    for review in reviews:
        case = cases[review.referral_id]
        assert case.state == State.COMPLETED.value
        assert case.outcome_date < review.reviewed_on <= today()
        assert len(review.domains) == 12
    # The dashboard's default period (this quarter) has wellbeing changes to show.
    period = default_period()
    scope = outcome_queries.Scope(period.start, period.end)
    rows = db.session.execute(outcome_queries.wellbeing_change(scope)).all()
    assert rows


def test_every_demo_worker_and_manager_has_open_cases_of_their_own(app_ctx) -> None:
    _seed()
    users = _support_users()
    assert {user.role for user in users} == {"worker", "manager"}
    opened = sum(1 for case in _cases() if case.is_open)
    for user in users:
        mine = caseload("mine", user).total
        assert mine >= max(5, opened // (2 * len(users))), (user.role, mine, opened)


def test_the_same_seed_on_the_same_day_plans_the_same_cases(app_ctx) -> None:
    _seed(clients=0)
    courts = [court_by_code(code) for code, _name in DEMO_COURTS]
    users = _support_users()
    first = [case.key() for case in plan_cases(CLIENTS, 1, courts, users)]
    assert first == [case.key() for case in plan_cases(CLIENTS, 1, courts, users)]
    assert first != [case.key() for case in plan_cases(CLIENTS, 2, courts, users)]
    # A day later the cases keep their shape but their dates move with the day.
    later = plan_cases(CLIENTS, 1, courts, users, on=today() + timedelta(days=1))
    assert [case.key() for case in later] != first


def _count(table) -> int:
    return db.session.scalar(select(func.count()).select_from(table)) or 0


def test_seeding_demo_cases_twice_adds_nothing(app_ctx) -> None:
    _seed(clients=12)
    tables = (
        Organisation,
        Scheme,
        ProgrammeVersion,
        scheme_courts,
        Court,
        User,
        cps_courts,
        Venue,
        Client,
        Referral,
        Appointment,
        Review,
        OutcomeNotice,
    )
    counts = [_count(table) for table in tables]
    names = [organisation.name for organisation in db.session.scalars(select(Organisation).order_by(Organisation.id))]
    second = _seed(clients=12)
    assert "12 cases already exist in Court diversion: no demo cases added." in second
    assert f"{ESO_MIN_CASES} cases already exist in Engagement and Support Order: no demo cases added." in second
    assert [_count(table) for table in tables] == counts
    assert [
        organisation.name for organisation in db.session.scalars(select(Organisation).order_by(Organisation.id))
    ] == names


# --- two organisations ---


def test_the_demo_has_two_organisations_each_running_its_scheme_at_its_own_courts(app_ctx) -> None:
    lines = _seed(clients=0)
    main, eso = organisation_by_slug(MAIN.slug), organisation_by_slug(ESO.slug)
    # The organisation a new database starts with is given a charity's name; the second is made with its own.
    assert main.name == MAIN.name
    assert eso.name == ESO.name
    assert eso.index_salt
    for demo, organisation, appointments in ((MAIN, main, 2), (ESO, eso, 3)):
        scheme = _scheme(demo)
        assert scheme.organisation_id == organisation.id
        assert scheme_programme(scheme.id).required_appointments == appointments
        assert sorted(court.code for court in scheme.courts) == sorted(code for code, _name in demo.courts)
        for code, _name in demo.courts:
            assert [found.id for found in schemes_serving(court_by_code(code).id)] == [scheme.id]
        assert any(line.startswith(f"{organisation.name} ({demo.slug}):") for line in lines), lines
        # Its own venues, and its own worker, manager and administrator, in its scheme.
        venues = db.session.scalars(select(Venue.name).where(Venue.organisation_id == organisation.id)).all()
        assert sorted(venues) == sorted(name for name, _address in demo.venues)
        for email, role, _court, _who in demo.staff:
            user = find_user_by_email(email)
            assert (user.role, user.organisation_id) == (role, organisation.id)
            assert [found.id for found in user.schemes] == ([scheme.id] if role != "admin" else [])
    # The programme the second scheme's cases follow has three appointments, the last the Care Action Plan.
    steps = scheme_programme(_scheme(ESO).id).steps
    assert [(step.number, step.produces) for step in steps] == [(1, "assessment"), (2, None), (3, "care_plan")]


def test_court_staff_at_every_demo_court_a_cps_user_covering_them_all_and_a_platform_operator(app_ctx) -> None:
    lines = _seed(clients=0)
    codes = {code for demo in (MAIN, ESO) for code, _name in demo.courts}
    court_users = list(db.session.scalars(select(User).where(User.role == "court")))
    assert {user.court.code for user in court_users} == codes
    cps = find_user_by_email("cps@example.org")
    assert {court.code for court in cps.cps_courts} == codes
    assert cps.organisation_id is None
    operator = find_user_by_email("operator@example.org")
    assert operator.role == "operator"
    assert operator.organisation_id is None
    # Every demo user is printed with the password, once.
    for email, role, _court, _who in DEMO_USERS:
        assert sum(1 for line in lines if email in line.split()) == 1, email
        assert find_user_by_email(email).role == role


def test_a_cps_user_of_an_earlier_demo_is_given_the_courts_added_since(app_ctx) -> None:
    _seed(clients=0)
    cps = find_user_by_email("cps@example.org")
    with transaction():
        cps.cps_courts = [court for court in cps.cps_courts if court.code in {code for code, _name in DEMO_COURTS}]
    _seed(clients=0)
    assert {court.code for court in cps.cps_courts} >= {code for code, _name in ESO.courts}


def test_a_first_organisation_already_renamed_keeps_its_name(app_ctx) -> None:
    with transaction():
        organisation_by_slug(MAIN.slug).name = "Our Own Charity"
    _seed(clients=0)
    assert organisation_by_slug(MAIN.slug).name == "Our Own Charity"


def test_the_second_organisations_cases_are_in_its_scheme_and_take_three_appointments(app_ctx) -> None:
    _seed()
    eso, scheme = organisation_by_slug(ESO.slug), _scheme(ESO)
    cases = _cases(ESO)
    assert len(cases) == max(ESO_MIN_CASES, CLIENTS // 4)
    assert len(_cases(MAIN)) == CLIENTS
    eso_courts = {code for code, _name in ESO.courts}
    for case in cases:
        assert (case.organisation_id, case.court.code in eso_courts) == (eso.id, True)
        assert case.client.organisation_id == eso.id
        assert case.programme_version.scheme_id == scheme.id
        assert programme_for(case).required_appointments == 3
        assert {appointment.number for appointment in _appointments(case)} <= {1, 2, 3}
    # None of the first organisation's cases is at its courts, or in its organisation.
    assert not [case for case in _cases(MAIN) if case.court.code in eso_courts or case.organisation_id == eso.id]
    states = Counter(case.state for case in cases)
    assert states[State.COMPLETED.value] >= 3, states
    assert sum(states[state.value] for state in OPEN_STATES) >= 3, states
    agreed = set(db.session.scalars(select(CarePlan.referral_id).where(CarePlan.is_agreed.is_(True))))
    for case in cases:
        attended = sorted(a.number for a in _appointments(case) if a.outcome == "attended")
        if case.state == State.COMPLETED.value:
            # Completed only after the third appointment, which is when the plan was agreed.
            assert attended == [1, 2, 3], attended
            assert case.id in agreed
            assert all(item.is_done for item in step_progress(case))
        elif case.is_open:
            assert not all(item.is_done for item in step_progress(case))
    # The first organisation's completed cases took two.
    for case in _cases(MAIN):
        if case.state == State.COMPLETED.value:
            assert sorted(a.number for a in _appointments(case) if a.outcome == "attended") == [1, 2]


def test_each_organisations_consents_are_on_its_own_schemes_wordings(app_ctx) -> None:
    """The words she was read are her scheme's register, never another organisation's."""
    _seed()
    for demo in (MAIN, ESO):
        scheme = _scheme(demo)
        used = set(
            db.session.scalars(
                select(ConsentWording.scheme_id)
                .join(Consent, Consent.wording_id == ConsentWording.id)
                .join(Referral, Referral.id == Consent.referral_id)
                .where(Referral.scheme_id == scheme.id)
            )
        )
        assert used == {scheme.id}, demo.slug


def test_the_second_organisations_clients_are_found_only_through_its_own_blind_index(app_ctx) -> None:
    _seed()
    main, eso = organisation_by_slug(MAIN.slug), organisation_by_slug(ESO.slug)
    for demo, own, other in ((ESO, eso, main), (MAIN, main, eso)):
        client = _cases(demo)[0].client
        found = find_clients(client.family_name, client.date_of_birth, [own.id])
        assert client.id in {item.id for item in found}
        assert client.id not in {item.id for item in find_clients(client.family_name, client.date_of_birth, [other.id])}
        # Under the other organisation's key, her name and date of birth make another index value.
        assert client.name_dob_index == name_dob_index_value(client.family_name, client.date_of_birth, own.id)
        assert client.name_dob_index != name_dob_index_value(client.family_name, client.date_of_birth, other.id)


def test_each_organisations_staff_see_only_its_cases(app_ctx) -> None:
    _seed()
    eso_ids, main_ids = {case.id for case in _cases(ESO)}, {case.id for case in _cases(MAIN)}
    for demo, own in ((ESO, eso_ids), (MAIN, main_ids)):
        for user in _support_users(demo):
            assert caseload("mine", user).total >= 2, user.role
            assert set(db.session.scalars(select(Referral.id).where(cases_filter(user)))) == own


def test_the_second_organisations_court_day_list_is_at_its_first_court(app_ctx) -> None:
    _seed()
    home = court_by_code(ESO.courts[0][0])
    listed = court_day(today(), user=_court_user(home))
    assert listed
    assert {item.referral.id for item in listed} <= {case.id for case in _cases(ESO)}


def test_one_demo_court_reads_the_service_in_welsh(app_ctx) -> None:
    lines = _seed(clients=0)
    languages = {code: court_by_code(code).default_language for code, _name in DEMO_COURTS}
    assert languages == {"NTH": "en", "RVS": "en", "EBR": "cy"}
    assert any("court.eastbridge@example.org" in line and "Welsh" in line for line in lines), lines
