"""Booking, rebooking and outcomes through the API: the programme's rules, warnings and overrides."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from diversion.appointments.models import Appointment
from diversion.dates import bank_holidays, today
from tests.api import bodies
from tests.api.conftest import case_in, count, error_of


def _at(day, hour: int = 10) -> str:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC).isoformat()


def _next(weekday_test, start=None):
    day = start or today() + timedelta(days=1)
    while not weekday_test(day):
        day += timedelta(days=1)
    return day


@pytest.fixture
def opted_in(team):
    return case_in("OPTED_IN", court=team.court, worker=team.worker)


def test_booking_answers_the_appointment(as_role, opted_in) -> None:
    day = _next(lambda d: d.weekday() < 5 and d not in bank_holidays())
    response = as_role("worker").post(
        f"/referrals/{opted_in.id}/appointments",
        {"number": 1, "starts_at": _at(day).replace("+00:00", "+01:00"), "duration_minutes": 45, "location": "Hub"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["starts_at"] == _at(day, 9)  # answered in UTC
    assert body["number"] == 1
    assert body["duration_minutes"] == 45
    assert body["location"] == "Hub"
    assert body["outcome"] is None
    assert body["supersedes"] is None
    assert body["referral_id"] == str(opted_in.id)


def test_before_consent_is_422(as_role, team) -> None:
    referred = case_in("REFERRED", court=team.court, worker=team.worker)
    error_of(
        as_role("worker").post(f"/referrals/{referred.id}/appointments", bodies.future_booking(1)),
        422,
        "invalid_transition",
    )


def test_on_or_after_the_return_date_is_422(as_role, opted_in) -> None:
    error = error_of(
        as_role("worker").post(
            f"/referrals/{opted_in.id}/appointments",
            {"number": 1, "starts_at": _at(opted_in.return_date), "override_reason": "x"},
        ),
        422,
    )
    assert "starts_at" in error["fields"]


def test_number_2_before_number_1_is_attended_is_422(as_role, opted_in) -> None:
    worker = as_role("worker")
    error_of(worker.post(f"/referrals/{opted_in.id}/appointments", bodies.future_booking(2)), 422, "invalid_transition")
    assert worker.post(f"/referrals/{opted_in.id}/appointments", bodies.past_booking(1, 2)).status_code == 201
    error_of(worker.post(f"/referrals/{opted_in.id}/appointments", bodies.future_booking(2)), 422, "invalid_transition")


def test_an_unknown_appointment_number_is_422(as_role, opted_in) -> None:
    error = error_of(as_role("worker").post(f"/referrals/{opted_in.id}/appointments", bodies.future_booking(3)), 422)
    assert "number" in error["fields"]


def test_a_weekend_needs_an_override_reason(as_role, opted_in) -> None:
    worker = as_role("worker")
    saturday = _next(lambda d: d.weekday() == 5)
    before = count(Appointment)
    error = error_of(
        worker.post(f"/referrals/{opted_in.id}/appointments", {"number": 1, "starts_at": _at(saturday)}), 422
    )
    assert "override_reason" in error["fields"]
    assert count(Appointment) == before
    booked = worker.post(
        f"/referrals/{opted_in.id}/appointments",
        {"number": 1, "starts_at": _at(saturday), "override_reason": "Only day she can come"},
    )
    assert booked.status_code == 201


def test_a_bank_holiday_needs_an_override_reason(as_role, team) -> None:
    holiday = next((d for d in sorted(bank_holidays()) if d > today() and d.weekday() < 5), None)
    if holiday is None:
        pytest.skip("the bundled bank holidays end before today")
    case = case_in("OPTED_IN", court=team.court, worker=team.worker, return_date=holiday + timedelta(days=10))
    error = error_of(
        as_role("worker").post(f"/referrals/{case.id}/appointments", {"number": 1, "starts_at": _at(holiday)}), 422
    )
    assert "bank holiday" in error["fields"]["override_reason"]


def test_a_clash_with_the_workers_booking_needs_an_override_reason(as_role, team, opted_in) -> None:
    worker = as_role("worker")
    day = _next(lambda d: d.weekday() < 5 and d not in bank_holidays())
    other = case_in("OPTED_IN", court=team.court, worker=team.worker)
    assert worker.post(f"/referrals/{other.id}/appointments", {"number": 1, "starts_at": _at(day)}).status_code == 201
    error = error_of(worker.post(f"/referrals/{opted_in.id}/appointments", {"number": 1, "starts_at": _at(day)}), 422)
    assert "already has an appointment" in error["fields"]["override_reason"]


def test_rebooking_supersedes_the_missed_appointment(as_role, opted_in) -> None:
    worker = as_role("worker")
    missed = worker.post(f"/referrals/{opted_in.id}/appointments", bodies.past_booking(1, 3)).get_json()
    assert worker.post(f"/appointments/{missed['id']}/outcome", {"outcome": "did_not_attend"}).status_code == 200
    error = error_of(
        worker.post(f"/referrals/{opted_in.id}/appointments", bodies.future_booking(1, supersedes=missed["id"])), 422
    )
    assert "rebook_reason" in error["fields"]
    error = error_of(
        worker.post(
            f"/referrals/{opted_in.id}/appointments",
            bodies.future_booking(1, supersedes="0b0e3a70-1111-4222-8333-944445555666", rebook_reason="Missed"),
        ),
        422,
    )
    assert "supersedes" in error["fields"]
    error = error_of(
        worker.post(f"/referrals/{opted_in.id}/appointments", bodies.future_booking(1, supersedes="nope")), 400
    )
    assert error["fields"] == {"supersedes": "Must be an id (a UUID)"}
    rebooked = worker.post(
        f"/referrals/{opted_in.id}/appointments",
        bodies.future_booking(1, supersedes=missed["id"], rebook_reason="She was unwell"),
    )
    assert rebooked.status_code == 201, rebooked.get_json()
    assert rebooked.get_json()["supersedes"] == missed["id"]
    history = worker.get(f"/referrals/{opted_in.id}").get_json()["appointments"]
    assert (history[0]["id"], history[0]["outcome"]) == (missed["id"], "did_not_attend")
    assert len(history) == 2


def test_an_outcome_for_a_future_appointment_is_422(as_role, opted_in) -> None:
    worker = as_role("worker")
    future = worker.post(f"/referrals/{opted_in.id}/appointments", bodies.future_booking(1)).get_json()
    error_of(worker.post(f"/appointments/{future['id']}/outcome", {"outcome": "attended"}), 422, "invalid_transition")
    assert worker.get(f"/referrals/{opted_in.id}").get_json()["appointments"][0]["outcome"] is None


def test_an_unknown_outcome_is_422_and_notes_are_kept_for_staff(as_role, team) -> None:
    case = case_in("OPTED_IN", court=team.court, worker=team.worker, appointment="booked")
    worker = as_role("worker")
    error = error_of(worker.post(f"/appointments/{case.test_appointment_id}/outcome", {"outcome": "maybe"}), 422)
    assert "outcome" in error["fields"]
    done = worker.post(
        f"/appointments/{case.test_appointment_id}/outcome", {"outcome": "attended", "notes": "Came with a friend"}
    )
    assert done.status_code == 200
    assert "notes" not in done.get_json()
    assert worker.get(f"/referrals/{case.id}").get_json()["appointments"][0]["notes"] == "Came with a friend"


@pytest.mark.parametrize(
    "starts_at",
    ["2026-12-01T10:00:00", "2026-12-01", "1 December 2026", "2026-13-01T10:00:00+00:00", 20261201, "", "x" * 100],
)
def test_a_time_without_an_offset_or_unreadable_is_400_naming_the_field(as_role, opted_in, starts_at) -> None:
    before = count(Appointment)
    error = error_of(
        as_role("worker").post(
            f"/referrals/{opted_in.id}/appointments", {"number": 1, "starts_at": starts_at, "override_reason": "x"}
        ),
        400,
        "validation_error",
    )
    assert set(error["fields"]) == {"starts_at"}
    assert count(Appointment) == before


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-14:00"])
def test_a_time_at_the_ends_of_the_calendar_is_refused_without_an_error(as_role, opted_in, starts_at) -> None:
    response = as_role("worker").post(
        f"/referrals/{opted_in.id}/appointments", {"number": 1, "starts_at": starts_at, "override_reason": "x"}
    )
    error = error_of(response, 422)
    assert set(error["fields"]) == {"starts_at"}


def test_a_whole_number_may_be_written_as_a_float_and_reasons_are_never_cut_short(as_role, opted_in) -> None:
    worker = as_role("worker")
    before = count(Appointment)
    error = error_of(
        worker.post(f"/referrals/{opted_in.id}/appointments", bodies.future_booking(1, override_reason="x" * 201)), 422
    )
    assert error["fields"] == {"override_reason": "Must be 200 characters or fewer"}
    assert count(Appointment) == before
    booked = worker.post(f"/referrals/{opted_in.id}/appointments", {**bodies.future_booking(1), "number": 1.0})
    assert booked.status_code == 201, booked.get_json()
    assert booked.get_json()["number"] == 1


# --- venues and somewhere else ---


def test_venues_are_listed_and_booked_at_by_venue_id(as_role, opted_in) -> None:
    from diversion.venues.services import save_venue, set_active

    venue = save_venue("Hub", "1 Street")
    set_active(save_venue("Old hall", "9 Street"), False)
    listed = as_role("worker").get("/venues")
    assert listed.status_code == 200
    assert listed.get_json() == {"items": [{"id": str(venue.id), "name": "Hub", "address": "1 Street"}], "next": None}
    assert as_role("court").get("/venues").status_code == 403
    day = _next(lambda d: d.weekday() < 5 and d not in bank_holidays())
    response = as_role("worker").post(
        f"/referrals/{opted_in.id}/appointments", {"number": 1, "starts_at": _at(day), "venue_id": str(venue.id)}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["venue_id"], body["location"]) == (str(venue.id), "Hub, 1 Street")


def test_location_is_somewhere_else_and_is_stored_encrypted(as_role, opted_in) -> None:
    day = _next(lambda d: d.weekday() < 5 and d not in bank_holidays())
    response = as_role("worker").post(
        f"/referrals/{opted_in.id}/appointments", {"number": 1, "starts_at": _at(day), "location": "Her sister's flat"}
    )
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["venue_id"], response.get_json()["location"]) == (None, "Her sister's flat")
    appointment = Appointment.query.one()
    assert (appointment.elsewhere, appointment.legacy_location) == ("Her sister's flat", None)


@pytest.mark.parametrize(
    ("place", "field"),
    [
        ({"venue_id": "VENUE", "location": "A flat"}, "location"),
        ({"venue_id": "RETIRED"}, "venue_id"),
        ({"venue_id": "00000000-0000-4000-8000-000000000000"}, "venue_id"),
        ({"location": "x" * 121}, "location"),
    ],
)
def test_a_wrong_place_is_422_and_books_nothing(as_role, opted_in, place, field) -> None:
    from diversion.venues.services import save_venue, set_active

    venue = save_venue("Hub", "1 Street")
    retired = save_venue("Old hall", "9 Street")
    set_active(retired, False)
    ids = {"VENUE": str(venue.id), "RETIRED": str(retired.id)}
    place = {key: ids.get(value, value) for key, value in place.items()}
    day = _next(lambda d: d.weekday() < 5 and d not in bank_holidays())
    response = as_role("worker").post(
        f"/referrals/{opted_in.id}/appointments", {"number": 1, "starts_at": _at(day), **place}
    )
    assert field in error_of(response, 422)["fields"]
    assert count(Appointment) == 0


def test_a_malformed_venue_id_is_400(as_role, opted_in) -> None:
    day = _next(lambda d: d.weekday() < 5 and d not in bank_holidays())
    response = as_role("worker").post(
        f"/referrals/{opted_in.id}/appointments", {"number": 1, "starts_at": _at(day), "venue_id": "hub"}
    )
    assert "venue_id" in error_of(response, 400)["fields"]
    assert count(Appointment) == 0
