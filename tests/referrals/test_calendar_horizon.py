"""The calendar's horizon (docs/calendar.md): the bundled bank holidays end with one year; past it no weekday is
taken for a working day without a warning, and the managers hear of it 90 days before."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path

import govuk_bank_holidays
import pytest
from sqlalchemy import select

from diversion.appointments.services import NeedsOverride, booking_warnings
from diversion.dates import (
    bank_holidays,
    bank_holidays_known_until,
    from_london,
    horizon_warning,
    is_working_day,
    usual_bank_holidays,
    working_days_between,
)
from diversion.extensions import db
from diversion.notifications.models import StaffMessage
from tests.factories import book, create_referral, create_user, log_in_as

WARNING = "Bank holidays after 31 December 2028 are not known yet"
# Years of the bundled data with a one-off bank holiday (jubilees, a coronation, a state funeral) or a moved one
# (VE day, 2020): no rule foresees those.
ONE_OFF_YEARS = {2012, 2020, 2022, 2023}


def _installed_dates() -> list[date]:
    """England and Wales's bank holidays, read straight from the installed package's own data file."""
    path = Path(govuk_bank_holidays.__file__).with_name("bank-holidays.json")
    events = json.loads(path.read_text(encoding="utf-8"))["england-and-wales"]["events"]
    return sorted(date.fromisoformat(event["date"]) for event in events)


def test_the_horizon_is_the_end_of_the_last_year_of_the_installed_data() -> None:
    installed = _installed_dates()
    assert bank_holidays_known_until() == date(installed[-1].year, 12, 31)
    assert bank_holidays() == frozenset(installed)
    # Today's package: when it is upgraded, this and docs/calendar.md change with it.
    assert bank_holidays_known_until() == date(2028, 12, 31)


def test_the_warning_names_the_horizon_and_only_for_days_past_it() -> None:
    assert horizon_warning(date(2028, 12, 31)) is None
    assert horizon_warning(date(2028, 12, 31), None) is None
    assert horizon_warning(date(2029, 1, 1)) == WARNING
    assert horizon_warning(date(2026, 12, 1), date(2029, 6, 1)) == WARNING


@pytest.mark.parametrize("year", sorted({day.year for day in _installed_dates()} - ONE_OFF_YEARS))
def test_the_usual_rules_give_every_ordinary_year_of_the_data(year: int) -> None:
    assert usual_bank_holidays(year) == {day for day in _installed_dates() if day.year == year}


def test_past_the_horizon_the_usual_bank_holidays_are_not_working_days() -> None:
    # 2029: Christmas on a Tuesday, Good Friday 30 March, the early May bank holiday on the 7th.
    for holiday in (date(2029, 1, 1), date(2029, 3, 30), date(2029, 4, 2), date(2029, 5, 7), date(2029, 12, 25)):
        assert not is_working_day(holiday), holiday
    assert is_working_day(date(2029, 12, 27))
    # 2032: Christmas on a Saturday and Boxing Day on a Sunday, so the Monday and Tuesday after are holidays.
    assert not is_working_day(date(2032, 12, 27))
    assert not is_working_day(date(2032, 12, 28))
    assert is_working_day(date(2032, 12, 29))
    # Across the horizon: Friday 29 December 2028, then Tuesday 2 January 2029 (the Monday is New Year's Day).
    assert working_days_between(date(2028, 12, 28), date(2029, 1, 2)) == 2


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.mark.clock("2028-12-20 10:00")
def test_booking_past_the_horizon_warns_and_needs_a_reason(worker) -> None:
    case = create_referral(state="OPTED_IN", worker=worker, return_date=date(2029, 2, 1))
    inside = from_london(date(2028, 12, 29), time(10))
    past = from_london(date(2029, 1, 10), time(10))
    assert booking_warnings(inside, 60, None) == []
    assert booking_warnings(past, 60, None) == [f"{WARNING}: check the day is not one."]
    with pytest.raises(NeedsOverride) as caught:
        book(referral=case, worker=worker, number=1, starts_at=past, override_reason=None)
    assert WARNING in caught.value.message
    assert book(referral=case, worker=worker, number=1, starts_at=past, override_reason="Checked: not one").number == 1


@pytest.mark.clock("2028-12-01 10:00")
def test_the_case_and_the_caseload_warn_when_the_count_runs_past_the_horizon(client, worker) -> None:
    inside = create_referral(state="OPTED_IN", worker=worker, return_date=date(2028, 12, 22))
    past = create_referral(state="OPTED_IN", worker=worker, return_date=date(2029, 1, 12))
    log_in_as(client, worker)
    assert WARNING not in client.get(f"/cases/{inside.id}").get_data(as_text=True)
    page = client.get(f"/cases/{past.id}").get_data(as_text=True)
    assert f"({WARNING}: the count leaves out only the usual ones.)" in page
    assert WARNING in client.get("/cases?tab=mine").get_data(as_text=True)
    with db.session.begin_nested():
        past.state = "WITHDRAWN"
    assert WARNING not in client.get("/cases?tab=mine").get_data(as_text=True)


@pytest.fixture
def sweep(app, app_ctx):
    runner = app.test_cli_runner()
    return lambda: runner.invoke(args=["cases", "sweep"])


def _horizon_emails() -> list[StaffMessage]:
    return list(db.session.scalars(select(StaffMessage).where(StaffMessage.dedupe_key.like("calendar-horizon:%"))))


def test_the_sweep_emails_each_manager_once_from_90_days_before_the_horizon(sweep, clock) -> None:
    managers = [create_user(role="manager"), create_user(role="manager")]
    create_user(role="worker")
    away = create_user(role="manager")
    with db.session.begin_nested():
        away.disabled_at = away.created_at
        away.is_disabled = True
    clock.move_to(from_london(date(2028, 10, 1), time(23, 30)))
    assert sweep().exit_code == 0
    assert _horizon_emails() == []
    clock.move_to(from_london(date(2028, 10, 2), time(0, 30)))
    result = sweep()
    assert result.exit_code == 0, result.output
    assert "Bank holidays are known only to 31 December 2028: 2 managers emailed." in result.output
    emails = _horizon_emails()
    assert sorted(email.user_id for email in emails) == sorted(manager.id for manager in managers)
    assert {email.subject for email in emails} == {"Bank holiday dates run out soon"}
    assert all("up to 31 December 2028" in email.body for email in emails)
    for later in (timedelta(hours=1), timedelta(days=30), timedelta(days=100)):
        clock.move_to(from_london(date(2028, 10, 2), time(0, 30)) + later)
        again = sweep()
        assert again.exit_code == 0
        assert "managers emailed" not in again.output
    assert len(_horizon_emails()) == 2
