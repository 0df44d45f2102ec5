"""Court dates a court would accept, through the API (docs/court-dates.md): the same rules as the web forms, in
docs/api.md's error shape. A new referral's return date after today unless a manager sends ``"past_case": true``
(audited; 403 for anyone else); its first hearing in the last 90 days and not in the future; a return date on a
weekend, a bank holiday or past the calendar's horizon needs ``override_reason``, at intake and on re-adjournment;
every date from 1900-01-01 to 2100-12-31, in bodies and query parameters, else 422 naming the field, never 500.

The clock is Tuesday 1 December 2026, 10:00 in London."""

from __future__ import annotations

import uuid

import pytest

from diversion.referrals.models import Referral
from tests.api import bodies
from tests.api.conftest import case_in, count, error_of
from tests.factories import audit_events

pytestmark = pytest.mark.clock("2026-12-01 10:00")

OUT_OF_RANGE = "Enter a date from 1900-01-01 to 2100-12-31"


def test_a_return_date_today_or_passed_is_422_and_changes_nothing(as_role, team) -> None:
    for day in ("2026-12-01", "2026-11-30"):
        body = bodies.referral(team.court.code, first_hearing_date="2026-11-02", return_date=day)
        error = error_of(as_role("worker").post("/referrals", body), 422, "validation_error")
        assert error["fields"] == {
            "return_date": "The return date must be in the future. Only a manager can record a past case"
        }
    assert count(Referral) == 0


def test_a_manager_records_a_past_case_with_past_case_true_and_it_is_audited(as_role, team) -> None:
    body = bodies.referral(team.court.code, first_hearing_date="2026-06-01", return_date="2026-07-13")
    error = error_of(as_role("manager").post("/referrals", body), 422)
    assert error["fields"]["return_date"] == "The return date must be in the future, or choose that this is a past case"
    response = as_role("manager").post("/referrals", {**body, "past_case": True})
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["return_date"] == "2026-07-13"
    [event] = audit_events(case_id=uuid.UUID(case["id"]), action="referral.created")
    assert event.details["past_case"] is True


@pytest.mark.parametrize("role", ["worker", "court"])
def test_past_case_from_anyone_but_a_manager_is_403(as_role, team, role) -> None:
    body = bodies.referral(team.court.code, first_hearing_date="2026-11-02", return_date="2026-11-30", past_case=True)
    error = error_of(as_role(role).post("/referrals", body), 403, "forbidden")
    assert error["message"] == "Only a manager can record a past case"
    assert count(Referral) == 0


def test_past_case_for_a_return_date_still_to_come_is_422(as_role, team) -> None:
    body = bodies.referral(team.court.code, return_date="2026-12-22", past_case=True)
    error = error_of(as_role("manager").post("/referrals", body), 422)
    assert set(error["fields"]) == {"past_case"}


def test_past_case_must_be_true_or_false(as_role, team) -> None:
    error = error_of(as_role("manager").post("/referrals", bodies.referral(team.court.code, past_case="yes")), 400)
    assert error["fields"] == {"past_case": "Must be true or false"}


@pytest.mark.parametrize(
    ("first_hearing", "message"),
    [
        ("2026-12-02", "The first hearing date must be today or in the past"),
        ("2026-09-01", "The first hearing date must be in the last 90 days, on or after 2 September 2026"),
    ],
)
def test_a_first_hearing_in_the_future_or_over_90_days_ago_is_422(as_role, team, first_hearing, message) -> None:
    body = bodies.referral(team.court.code, first_hearing_date=first_hearing, return_date="2026-12-22")
    error = error_of(as_role("worker").post("/referrals", body), 422, "validation_error")
    assert error["fields"] == {"first_hearing_date": message}
    assert count(Referral) == 0


def test_a_first_hearing_90_days_ago_is_taken(as_role, team) -> None:
    body = bodies.referral(team.court.code, first_hearing_date="2026-09-02", return_date="2026-12-22")
    assert as_role("worker").post("/referrals", body).status_code == 201


@pytest.mark.parametrize(
    ("day", "sentence"),
    [
        ("2026-12-06", "The return date, Sunday 6 December 2026, is a weekend day."),
        ("2026-12-28", "The return date, Monday 28 December 2026, is a bank holiday in England and Wales."),
        ("2029-02-01", "Bank holidays after 31 December 2028 are not known yet: check the return date is not one."),
    ],
)
def test_a_return_date_on_a_weekend_or_bank_holiday_needs_override_reason(as_role, team, day, sentence) -> None:
    body = bodies.referral(team.court.code, return_date=day)
    error = error_of(as_role("worker").post("/referrals", body), 422, "validation_error")
    assert set(error["fields"]) == {"override_reason"}
    assert error["fields"]["override_reason"].startswith(sentence)
    assert count(Referral) == 0
    response = as_role("worker").post("/referrals", {**body, "override_reason": "A special sitting."})
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["return_date"] == day
    assert case["notes"].endswith("A special sitting.")


def test_an_overlong_override_reason_is_422(as_role, team) -> None:
    body = bodies.referral(team.court.code, return_date="2026-12-06", override_reason="x" * 201)
    error = error_of(as_role("worker").post("/referrals", body), 422)
    assert error["fields"] == {"override_reason": "Must be 200 characters or fewer"}


@pytest.mark.parametrize("day", ["2026-12-06", "2026-12-28"])
def test_readjournment_to_a_weekend_or_bank_holiday_needs_override_reason(as_role, team, day) -> None:
    case = case_in("OPTED_IN", court=team.court, worker=team.worker)
    api = as_role("worker")
    body = {"return_date": day, "reason": "Re-adjourned.", "version": case.version}
    error = error_of(api.patch(f"/referrals/{case.id}", body), 422, "validation_error")
    assert error["fields"]["override_reason"].startswith(
        f"The new return date, {'Sunday 6' if day == '2026-12-06' else 'Monday 28'} December 2026, is a"
    )
    assert api.get(f"/referrals/{case.id}").get_json()["return_date"] != day
    response = api.patch(f"/referrals/{case.id}", {**body, "override_reason": "A special sitting."})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["return_date"] == day
    [event] = audit_events(case_id=case.id, action="referral.return_date_changed")
    assert event.details["return_date_warnings"] == ["weekend" if day == "2026-12-06" else "bank_holiday"]


# --- 1900 to 2100, in bodies and query parameters ---


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
@pytest.mark.parametrize("field", ["first_hearing_date", "return_date", "client.date_of_birth"])
def test_a_body_date_outside_1900_to_2100_is_422_naming_the_field(as_role, team, day, field) -> None:
    if field == "client.date_of_birth":
        body = bodies.referral(team.court.code, client={"date_of_birth": day})
    else:
        body = bodies.referral(team.court.code, **{field: day})
    error = error_of(as_role("worker").post("/referrals", body), 422, "validation_error")
    assert error["fields"] == {field: OUT_OF_RANGE}
    assert count(Referral) == 0


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2101-01-01"])
def test_a_readjournment_outside_1900_to_2100_is_422(as_role, team, day) -> None:
    case = case_in("OPTED_IN", court=team.court, worker=team.worker)
    body = {"return_date": day, "reason": "Re-adjourned.", "version": case.version, "override_reason": "x"}
    error = error_of(as_role("worker").patch(f"/referrals/{case.id}", body), 422)
    assert error["fields"] == {"return_date": OUT_OF_RANGE}


@pytest.mark.parametrize(
    ("role", "path", "field"),
    [
        ("worker", "/referrals?return_date={day}", "return_date"),
        ("cps", "/notices?since={day}", "since"),
        ("manager", "/reports/completion?from={day}&to=2026-12-01", "from"),
        ("manager", "/reports/outcomes?from=2026-01-01&to={day}", "to"),
    ],
)
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_a_query_date_outside_1900_to_2100_is_422_naming_the_parameter(as_role, role, path, field, day) -> None:
    error = error_of(as_role(role).get(path.format(day=day)), 422, "validation_error")
    assert error["fields"] == {field: OUT_OF_RANGE}


@pytest.mark.parametrize("moment", ["0001-01-01T10:00:00+00:00", "2101-01-01T10:00:00+00:00"])
def test_a_booking_time_outside_1900_to_2100_is_422(as_role, team, moment) -> None:
    case = case_in("OPTED_IN", court=team.court, worker=team.worker)
    body = {"number": 1, "starts_at": moment, "override_reason": "x"}
    error = error_of(as_role("worker").post(f"/referrals/{case.id}/appointments", body), 422)
    assert set(error["fields"]) == {"starts_at"}
