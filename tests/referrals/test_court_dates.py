"""Court dates a court would accept (docs/court-dates.md), in the service and the web forms: a new referral's
return date after today unless a manager records a past case (audited); its first hearing in the last 90 days and not
in the future; a return date on a weekend, a bank holiday or past the calendar's horizon kept only with a reason, at
intake and on re-adjournment; every date from 1900 to 2100, none able to cause a server error; and every date's
error message naming its date.

The clock is Tuesday 1 December 2026, 10:00 in London: Sunday 6 December is a weekend day, Friday 25 and Monday
28 December 2026 (Boxing Day's substitute) are bank holidays, and 1 February 2029 is past the calendar's horizon."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from diversion.dates import today
from diversion.errors import Forbidden, ValidationFailed
from diversion.extensions import db
from diversion.referrals import intake
from diversion.referrals.court_dates import ReturnDateNeedsReason
from diversion.referrals.models import Referral, ReturnDateChange, State
from diversion.referrals.readjournment import change_return_date
from diversion.referrals.reads import return_date_changes
from diversion.referrals.sweep import sweep_passed_return_dates
from tests import pages
from tests.factories import (
    audit_events,
    create_court,
    create_referral,
    create_user,
    csrf_token,
    date_fields,
    log_in_as,
    raw_column,
    referral_input,
)

pytestmark = pytest.mark.clock("2026-12-01 10:00")

SUNDAY = date(2026, 12, 6)
BOXING_DAY_SUBSTITUTE = date(2026, 12, 28)
CHRISTMAS = date(2026, 12, 25)
PAST_HORIZON = date(2029, 2, 1)  # a Thursday
WORKING_DAY = date(2026, 12, 22)  # a Tuesday


def referrals() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Referral)) or 0)


def refuse(data, actor, error=ValidationFailed):
    """A referral that must be refused: the error, and nothing stored."""
    before = referrals()
    with pytest.raises(error) as caught:
        intake.create_referral(data, actor)
    assert referrals() == before
    return caught.value


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def manager(app_ctx):
    return create_user(role="manager")


# --- the service: a new referral's return date ---


@pytest.mark.parametrize("days", [0, -1, -30])
def test_a_return_date_today_or_passed_is_refused_for_a_new_referral(worker, days) -> None:
    data = referral_input(first_hearing_date=today() - timedelta(days=40), return_date=today() + timedelta(days=days))
    error = refuse(data, worker)
    assert error.fields == {
        "return_date": "The return date must be in the future. Only a manager can record a past case"
    }


def test_tomorrow_is_the_first_return_date_taken(worker) -> None:
    referral = intake.create_referral(referral_input(return_date=date(2026, 12, 2)), worker)
    assert referral.return_date == date(2026, 12, 2)


def test_a_manager_records_a_past_case_by_choosing_so_and_the_choice_is_audited(manager) -> None:
    data = referral_input(first_hearing_date=date(2026, 6, 1), return_date=date(2026, 7, 13))
    error = refuse(data, manager)
    assert error.fields["return_date"] == "The return date must be in the future, or choose that this is a past case"
    data.past_case = True
    referral = intake.create_referral(data, manager)
    assert (referral.first_hearing_date, referral.return_date) == (date(2026, 6, 1), date(2026, 7, 13))
    [event] = audit_events(case_id=referral.id, action="referral.created")
    assert event.details["past_case"] is True
    assert event.actor_id == manager.id
    # The daily sweep closes it as it would any case whose return date passed.
    sweep_passed_return_dates()
    assert referral.state == State.NOT_COMPLETED


def test_an_ordinary_referral_says_nothing_of_a_past_case_in_its_audit_event(worker) -> None:
    referral = intake.create_referral(referral_input(), worker)
    [event] = audit_events(case_id=referral.id, action="referral.created")
    assert "past_case" not in event.details


@pytest.mark.parametrize("role", ["worker", "court"])
def test_only_a_manager_may_record_a_past_case(app_ctx, role) -> None:
    court = create_court()
    actor = create_user(role=role, court=court if role == "court" else None)
    data = referral_input(court=court, first_hearing_date=date(2026, 10, 1), return_date=date(2026, 11, 30))
    data.past_case = True
    error = refuse(data, actor, Forbidden)
    assert error.status == 403
    assert error.message == "Only a manager can record a past case"


def test_a_past_case_whose_return_date_is_still_to_come_is_refused(manager) -> None:
    data = referral_input(return_date=WORKING_DAY)
    data.past_case = True
    error = refuse(data, manager)
    assert set(error.fields) == {"past_case"}
    assert "not a past case" in error.fields["past_case"]


# --- the service: the first hearing ---


def test_a_first_hearing_in_the_future_is_refused(worker) -> None:
    error = refuse(referral_input(first_hearing_date=date(2026, 12, 2), return_date=WORKING_DAY), worker)
    assert error.fields == {"first_hearing_date": "The first hearing date must be today or in the past"}


def test_a_first_hearing_today_or_90_days_ago_is_taken_and_91_days_ago_is_refused(worker) -> None:
    for days in (0, 90):
        first = today() - timedelta(days=days)
        assert intake.create_referral(referral_input(first_hearing_date=first), worker).first_hearing_date == first
    error = refuse(referral_input(first_hearing_date=today() - timedelta(days=91)), worker)
    assert error.fields == {
        "first_hearing_date": "The first hearing date must be in the last 90 days, on or after 2 September 2026"
    }


def test_a_past_case_may_have_a_first_hearing_older_than_90_days_but_not_in_the_future(manager) -> None:
    data = referral_input(first_hearing_date=date(2026, 1, 5), return_date=date(2026, 3, 2), past_case=True)
    assert intake.create_referral(data, manager).first_hearing_date == date(2026, 1, 5)


# --- the service: weekends, bank holidays and the horizon ---


@pytest.mark.parametrize(
    ("day", "code", "sentence"),
    [
        (SUNDAY, "weekend", "The return date, Sunday 6 December 2026, is a weekend day."),
        (
            CHRISTMAS,
            "bank_holiday",
            "The return date, Friday 25 December 2026, is a bank holiday in England and Wales.",
        ),
        (
            BOXING_DAY_SUBSTITUTE,
            "bank_holiday",
            "The return date, Monday 28 December 2026, is a bank holiday in England and Wales.",
        ),
        (
            PAST_HORIZON,
            "beyond_horizon",
            "Bank holidays after 31 December 2028 are not known yet: check the return date is not one.",
        ),
    ],
)
def test_a_return_date_courts_do_not_usually_sit_on_needs_a_reason(worker, day, code, sentence) -> None:
    error = refuse(referral_input(return_date=day, override_reason=None), worker, ReturnDateNeedsReason)
    assert error.warnings == [sentence]
    assert error.status == 422
    assert set(error.fields) == {"override_reason"}
    assert error.fields["override_reason"].startswith(sentence)
    referral = intake.create_referral(
        referral_input(return_date=day, override_reason="The court sits that day for this list."), worker
    )
    assert referral.return_date == day
    # The reason is kept with the referral notes, encrypted like them; the audit event names only the warning.
    assert referral.notes.endswith("The court sits that day for this list.")
    assert b"sits that day" not in raw_column(model=Referral, column="notes", row_id=referral.id)
    [event] = audit_events(case_id=referral.id, action="referral.created")
    assert event.details["return_date_warnings"] == [code]


def test_a_return_date_on_a_working_day_needs_no_reason(worker) -> None:
    referral = intake.create_referral(referral_input(return_date=WORKING_DAY, override_reason=None), worker)
    assert referral.notes == "Referred at the first hearing."
    [event] = audit_events(case_id=referral.id, action="referral.created")
    assert "return_date_warnings" not in event.details


def test_the_warning_comes_with_every_other_problem_at_once(worker) -> None:
    data = referral_input(return_date=SUNDAY, override_reason=None, urn="not a urn")
    error = refuse(data, worker, ReturnDateNeedsReason)
    assert set(error.fields) == {"urn", "override_reason"}


def test_a_too_long_reason_is_refused(worker) -> None:
    error = refuse(referral_input(return_date=SUNDAY, override_reason="x" * 201), worker, ValidationFailed)
    assert error.fields["override_reason"] == "The reason must be 200 characters or fewer"


# --- the service: re-adjournment ---


@pytest.fixture
def case(worker):
    return create_referral(state=State.OPTED_IN, worker=worker, first_hearing_date=date(2026, 11, 24))


@pytest.mark.parametrize(
    ("day", "code"), [(SUNDAY, "weekend"), (BOXING_DAY_SUBSTITUTE, "bank_holiday"), (PAST_HORIZON, "beyond_horizon")]
)
def test_a_new_return_date_courts_do_not_usually_sit_on_needs_a_reason(case, worker, day, code) -> None:
    before = case.return_date
    with pytest.raises(ReturnDateNeedsReason) as caught:
        change_return_date(case, day, "Re-adjourned.", case.version, worker)
    assert caught.value.warnings[0].startswith("The new return date") or code == "beyond_horizon"
    assert "override_reason" in caught.value.fields
    db.session.refresh(case)
    assert case.return_date == before
    assert db.session.scalar(select(func.count()).select_from(ReturnDateChange)) == 0
    change_return_date(case, day, "Re-adjourned.", case.version, worker, override_reason="A special sitting.")
    assert case.return_date == day
    [change] = return_date_changes(case)
    assert change.reason.startswith("Re-adjourned.")
    assert change.reason.endswith("A special sitting.")
    [event] = audit_events(case_id=case.id, action="referral.return_date_changed")
    assert event.details["return_date_warnings"] == [code]


def test_a_new_return_date_on_a_working_day_needs_no_reason(case, worker) -> None:
    change_return_date(case, WORKING_DAY + timedelta(days=1), "Re-adjourned.", case.version, worker)
    [change] = return_date_changes(case)
    assert change.reason == "Re-adjourned."


# --- the service: 1900 to 2100 ---


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1899, 12, 31), date(2101, 1, 1), date(9999, 12, 31)])
def test_a_date_outside_1900_to_2100_is_refused_naming_the_field(worker, case, day) -> None:
    error = refuse(referral_input(return_date=day), worker)
    assert error.fields["return_date"] == "The return date must be between 1 January 1900 and 31 December 2100"
    error = refuse(referral_input(first_hearing_date=day), worker)
    assert error.fields["first_hearing_date"] == (
        "The first hearing date must be between 1 January 1900 and 31 December 2100"
    )
    with pytest.raises(ValidationFailed) as caught:
        change_return_date(case, day, "Re-adjourned.", case.version, worker, override_reason="x")
    assert caught.value.fields == {
        "return_date": "The new return date must be between 1 January 1900 and 31 December 2100"
    }


# --- the web forms ---


def post_form(client, path: str, data: dict, get_path: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, get_path or path)})


def error_texts(response) -> list[str]:
    """The error summary's messages, after the checks every page gets (tests/pages.py)."""
    page = pages.read(response)
    assert page.has(".govuk-error-summary"), "no error summary on the page"
    return page.error_summary


def referral_form(court, first_hearing: date, return_date: date, **overrides) -> dict:
    return {
        "court": court.code,
        "urn": "01/ab/64321/26",
        "offence": "SOA1959_S1",
        **date_fields("first_hearing_date", first_hearing),
        **date_fields("return_date", return_date),
        "given_name": "Jade",
        "family_name": "Courtdates",
        **date_fields("date_of_birth", date(1992, 4, 3)),
        "may_text": "unknown",
        "may_voicemail": "unknown",
        **overrides,
    }


def test_the_new_referral_page_refuses_a_return_date_already_passed(client, worker) -> None:
    log_in_as(client, worker)
    court = create_court()
    page = post_form(client, "/cases/new", referral_form(court, date(2026, 11, 2), date(2026, 11, 30)))
    assert page.status_code == 200
    assert error_texts(page) == ["The return date must be in the future. Only a manager can record a past case"]
    assert referrals() == 0


def test_only_a_managers_new_referral_page_offers_a_past_case(client, worker, manager) -> None:
    log_in_as(client, worker)
    assert 'name="past_case"' not in client.get("/cases/new").get_data(as_text=True)
    # A past-case choice sent by hand is not read from anyone else's form.
    court = create_court()
    form = referral_form(court, date(2026, 11, 2), date(2026, 11, 30), past_case="y")
    page = post_form(client, "/cases/new", form)
    assert "The return date must be in the future" in error_texts(page)[0]
    assert referrals() == 0
    log_in_as(client, manager)
    assert pages.get(client, "/cases/new").inputs("past_case")
    page = post_form(client, "/cases/new", form)
    assert page.status_code == 302
    [referral] = db.session.scalars(select(Referral)).all()
    assert referral.return_date == date(2026, 11, 30)
    [event] = audit_events(case_id=referral.id, action="referral.created")
    assert event.details["past_case"] is True


def test_the_new_referral_page_refuses_a_first_hearing_in_the_future_or_over_90_days_ago(client, worker) -> None:
    log_in_as(client, worker)
    court = create_court()
    page = post_form(client, "/cases/new", referral_form(court, date(2026, 12, 2), WORKING_DAY))
    assert error_texts(page) == ["The first hearing date must be today or in the past"]
    page = post_form(client, "/cases/new", referral_form(court, date(2026, 9, 1), WORKING_DAY))
    assert error_texts(page) == ["The first hearing date must be in the last 90 days, on or after 2 September 2026"]
    assert referrals() == 0


@pytest.mark.parametrize(
    ("day", "warning"),
    [
        (SUNDAY, "The return date, Sunday 6 December 2026, is a weekend day."),
        (BOXING_DAY_SUBSTITUTE, "The return date, Monday 28 December 2026, is a bank holiday in England and Wales."),
    ],
)
def test_the_new_referral_page_warns_of_a_weekend_or_bank_holiday_and_asks_for_a_reason(
    client, worker, day, warning
) -> None:
    log_in_as(client, worker)
    court = create_court()
    page = post_form(client, "/cases/new", referral_form(court, date(2026, 11, 30), day))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "govuk-warning-text" in html
    assert warning in html
    assert error_texts(page) == ["Give a reason to keep this return date, or change it"]
    assert pages.read(page).inputs("override_reason")
    assert referrals() == 0
    form = referral_form(court, date(2026, 11, 30), day, override_reason="The court sits that day.")
    assert post_form(client, "/cases/new", form).status_code == 302
    [referral] = db.session.scalars(select(Referral)).all()
    assert referral.return_date == day


def test_the_new_referral_page_names_the_date_in_every_date_error(client, worker) -> None:
    log_in_as(client, worker)
    court = create_court()
    form = referral_form(court, date(2026, 11, 30), WORKING_DAY)
    form.update({"first_hearing_date-year": "26", "return_date-year": "27", "date_of_birth-year": "92"})
    errors = error_texts(post_form(client, "/cases/new", form))
    assert errors == [
        "The year of the first hearing date must include 4 numbers",
        "The year of the return date must include 4 numbers",
        "The year of her date of birth must include 4 numbers",
    ]


@pytest.mark.parametrize("year", ["0001", "1899", "2101", "9999"])
def test_the_new_referral_page_refuses_a_year_outside_1900_to_2100_naming_the_date(client, worker, year) -> None:
    log_in_as(client, worker)
    court = create_court()
    form = referral_form(court, date(2026, 11, 30), WORKING_DAY, **{"return_date-year": year})
    page = post_form(client, "/cases/new", form)
    assert page.status_code == 200
    assert error_texts(page) == ["The return date must be between 1 January 1900 and 31 December 2100"]


def test_the_return_date_page_warns_of_a_weekend_and_asks_for_a_reason(client, worker, case) -> None:
    log_in_as(client, worker)
    path = f"/cases/{case.id}/return-date"
    form = {**date_fields("return_date", SUNDAY), "reason": "Re-adjourned.", "version": str(case.version)}
    page = post_form(client, path, form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The new return date, Sunday 6 December 2026, is a weekend day." in html
    assert error_texts(page) == ["Give a reason to keep this return date, or change it"]
    db.session.refresh(case)
    assert case.return_date != SUNDAY
    assert post_form(client, path, {**form, "override_reason": "A Sunday sitting."}).status_code == 302
    db.session.refresh(case)
    assert case.return_date == SUNDAY


@pytest.mark.parametrize("year", ["0001", "9999", "27"])
def test_the_return_date_page_refuses_a_bad_year_naming_the_date(client, worker, case, year) -> None:
    log_in_as(client, worker)
    path = f"/cases/{case.id}/return-date"
    form = {**date_fields("return_date", WORKING_DAY), "return_date-year": year, "reason": "Re-adjourned."}
    page = post_form(client, path, {**form, "version": str(case.version)})
    assert page.status_code == 200
    [error] = error_texts(page)
    assert error in (
        "The new return date must be between 1 January 1900 and 31 December 2100",
        "The year of the new return date must include 4 numbers",
    )


# --- no date input anywhere can cause a server error ---


@pytest.mark.parametrize(
    "query",
    [
        "day-day=1&day-month=1&day-year=0001",
        "day-day=31&day-month=12&day-year=9999",
        "day-day=1&day-month=1&day-year=1900",
        "day-day=31&day-month=12&day-year=2100",
        "date=0001-01-01",
        "date=9999-12-31",
        "date=1900-01-01",
        "date=2100-12-31",
    ],
)
def test_the_court_day_list_takes_any_day_without_a_server_error(client, app_ctx, query) -> None:
    log_in_as(client, create_user(role="court"))
    page = client.get(f"/court-day?{query}")
    assert page.status_code == 200
    if "day-year=0001" in query or "day-year=9999" in query:
        assert error_texts(page) == ["The day must be between 1 January 1900 and 31 December 2100"]


def period(name: str, year: str) -> str:
    return f"{name}-day=1&{name}-month=1&{name}-year={year}"


@pytest.mark.parametrize("path", ["/reports/completion", "/outcomes", "/outcomes/return", "/privacy/audit"])
@pytest.mark.parametrize("year", ["0001", "9999", "1900", "2100"])
def test_report_and_audit_period_filters_take_any_year_without_a_server_error(client, manager, path, year) -> None:
    log_in_as(client, manager)
    start, end = ("from_date", "to_date") if path == "/privacy/audit" else ("start", "end")
    page = client.get(f"{path}?period=custom&{period(start, year)}&{period(end, '2026')}")
    assert page.status_code in (200, 422)
    if year in ("0001", "9999"):
        assert "must be between 1 January 1900 and 31 December 2100" in page.get_data(as_text=True)


def test_the_case_history_says_a_past_case_was_recorded_as_one(client, manager) -> None:
    data = referral_input(first_hearing_date=date(2026, 10, 1), return_date=date(2026, 11, 30), past_case=True)
    referral = intake.create_referral(data, manager)
    log_in_as(client, manager)
    html = client.get(f"/cases/{referral.id}/history").get_data(as_text=True)
    assert "Referral received: recorded as a past case" in html
