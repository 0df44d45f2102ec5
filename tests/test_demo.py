"""The demo seed makes a day that looks like a living service (docs/demo.md): a third of the cases open in every open
state, some at risk and some with appointments gone by unrecorded, about ten cases on the court user's court-day
list, new CPS notices, follow-up reviews, and a caseload for every support worker and manager."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from diversion.admin.services import court_by_code
from diversion.appointments.services import unresolved_appointments
from diversion.auth.services import find_user_by_email
from diversion.dates import is_working_day, today
from diversion.extensions import db
from diversion.main.demo import DEMO_COURTS, DEMO_USERS, seed_demo
from diversion.main.demo_cases import plan_cases
from diversion.notices.models import OutcomeNotice
from diversion.outcomes import queries as outcome_queries
from diversion.outcomes.models import Review
from diversion.referrals.caseload import appointments_on, at_risk_cutoff, caseload
from diversion.referrals.models import OPEN_STATES, Referral, State
from diversion.referrals.queries import court_day
from diversion.reports.services import default_period

# A small seed keeps the tests quick; the shares are the same as for `make run`'s 160.
CLIENTS = 60


def _seed(clients: int = CLIENTS, seed: int = 1) -> list[str]:
    return list(seed_demo(clients=clients, seed=seed))


def _cases() -> list[Referral]:
    return list(db.session.scalars(select(Referral)))


def _support_users() -> list:
    return [find_user_by_email(entry[0]) for entry in DEMO_USERS if entry[1] in ("worker", "manager")]


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
    assert {appointment.referral_id for appointment in unresolved} <= {case.id for case in opened}
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
    cases = {case.id: case for case in _cases()}
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


def test_seeding_demo_cases_twice_adds_nothing(app_ctx) -> None:
    _seed(clients=12)
    counts = (len(_cases()), db.session.scalar(select(func.count()).select_from(Review)))
    second = _seed(clients=12)
    assert "12 cases already exist: no demo cases added." in second
    assert (len(_cases()), db.session.scalar(select(func.count()).select_from(Review))) == counts
