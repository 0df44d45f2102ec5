"""Venues: the manager adds, changes, retires and brings back; nobody else may; a retired venue leaves the booking
choices but its appointments keep it; bookings choose a venue or somewhere else (encrypted), on the web form."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from diversion.appointments.models import Appointment
from diversion.appointments.services import calendar_invite
from diversion.dates import today
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.venues.models import Venue
from diversion.venues.services import list_venues, save_venue, set_active
from tests import pages
from tests.factories import (
    MAIN_ORG_ID,
    audit_events,
    book,
    create_referral,
    create_user,
    csrf_token,
    log_in_as,
    raw_column,
)

pytestmark = pytest.mark.clock("2026-12-01 10:00")


@pytest.fixture
def manager(app_ctx):
    return create_user(role="manager")


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


def post(client, path: str, data: dict, get_path: str | None = None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, get_path or path)})


def count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Venue)) or 0)


# --- the service ---


def test_a_venue_is_added_changed_retired_and_brought_back_and_each_change_is_audited(manager) -> None:
    venue = save_venue("  Drop-in   centre ", " 12 Canal Street ", actor=manager)
    assert (venue.name, venue.address, venue.is_active) == ("Drop-in centre", "12 Canal Street", True)
    save_venue("Drop-in centre", "14 Canal Street", venue, actor=manager)
    assert venue.label == "Drop-in centre, 14 Canal Street"
    set_active(venue, False, actor=manager)
    assert list_venues(MAIN_ORG_ID, active_only=True) == []
    assert list_venues(MAIN_ORG_ID) == [venue]
    set_active(venue, True, actor=manager)
    actions = [event.action for event in audit_events() if event.object_type == "venue"]
    assert actions == ["venue.created", "venue.updated", "venue.retired", "venue.reactivated"]


@pytest.mark.parametrize(
    ("name", "address", "field"),
    [("", "1 Street", "name"), ("x" * 121, "1 Street", "name"), ("Hub", "", "address"), ("Hub", "y" * 301, "address")],
)
def test_a_venue_without_a_name_or_address_is_refused(manager, name, address, field) -> None:
    with pytest.raises(ValidationFailed) as caught:
        save_venue(name, address, actor=manager)
    assert field in caught.value.fields
    assert count() == 0


def test_two_venues_cannot_share_a_name(manager) -> None:
    save_venue("Hub", "1 Street")
    with pytest.raises(Conflict):
        save_venue("HUB", "2 Street")
    assert count() == 1


# --- the pages, and who may use them ---


@pytest.mark.parametrize("role", ["worker", "court", "cps", "admin"])
def test_only_a_manager_may_see_or_change_venues(client, app_ctx, role) -> None:
    venue = save_venue("Hub", "1 Street")
    user = create_user(role=role)
    log_in_as(client, user)
    for path in ("/venues", "/venues/new", f"/venues/{venue.id}/edit"):
        assert client.get(path).status_code == 403, path
    assert client.post("/venues/new", data={"name": "Other", "address": "2 Street"}).status_code in (400, 403)
    assert client.post(f"/venues/{venue.id}/active").status_code in (400, 403)
    db.session.refresh(venue)
    assert (count(), venue.is_active) == (1, True)


def test_the_manager_adds_changes_and_retires_a_venue_on_the_pages(client, manager) -> None:
    log_in_as(client, manager)
    assert client.get("/venues").status_code == 200
    refused = post(client, "/venues/new", {"name": "", "address": ""})
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "govuk-error-summary" in page
    assert "Enter the venue&#39;s name" in page
    assert count() == 0
    added = post(client, "/venues/new", {"name": "Women's centre", "address": "3 Mill Lane"})
    assert added.status_code == 302
    venue = db.session.scalars(select(Venue)).one()
    assert "3 Mill Lane" in client.get("/venues").get_data(as_text=True)
    changed = post(client, f"/venues/{venue.id}/edit", {"name": "Women's centre", "address": "5 Mill Lane"})
    assert changed.status_code == 302
    retired = post(client, f"/venues/{venue.id}/active", {}, get_path=f"/venues/{venue.id}/edit")
    assert retired.status_code == 302
    db.session.refresh(venue)
    assert (venue.address, venue.is_active) == ("5 Mill Lane", False)
    assert "Retired" in client.get("/venues").get_data(as_text=True)


def test_venues_add_on_the_command_line(app, app_ctx) -> None:
    result = app.test_cli_runner().invoke(args=["venues", "add", "Hub", "1 Street"])
    assert result.exit_code == 0, result.output
    assert [venue.name for venue in list_venues(MAIN_ORG_ID)] == ["Hub"]
    again = app.test_cli_runner().invoke(args=["venues", "add", "hub", "2 Street"])
    assert again.exit_code == 1
    assert "already exists" in again.output


# --- booking at a venue or somewhere else ---


def _form(worker, day: date, **place) -> dict:
    return {
        "number": "1",
        "day-day": str(day.day),
        "day-month": str(day.month),
        "day-year": str(day.year),
        "time": "10:30",
        "duration": "60",
        "worker": str(worker.id),
        "override_reason": "test",
        **place,
    }


def _weekday() -> date:
    day = today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_the_booking_form_offers_active_venues_and_books_at_one(client, worker) -> None:
    venue = save_venue("Hub", "1 Street")
    retired = save_venue("Old hall", "9 Street")
    set_active(retired, False)
    referral = create_referral(state="OPTED_IN", worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/appointments/new"
    page = client.get(path + "?number=1").get_data(as_text=True)
    assert "Hub, 1 Street" in page
    assert "Old hall" not in page
    booked = post(client, path, _form(worker, _weekday(), venue=str(venue.id)), get_path=path + "?number=1")
    assert booked.status_code == 302, booked.get_data(as_text=True)
    appointment = db.session.scalars(select(Appointment)).one()
    assert (appointment.venue_id, appointment.elsewhere, appointment.place) == (venue.id, None, "Hub, 1 Street")
    listed = client.get(f"/cases/{referral.id}/appointments").get_data(as_text=True)
    assert "Hub, 1 Street" in listed
    assert "LOCATION:Hub\\, 1 Street" in calendar_invite(appointment).decode()
    # Retired later, the venue stays on the appointment.
    set_active(venue, False)
    assert "Hub, 1 Street" in client.get(f"/cases/{referral.id}/appointments").get_data(as_text=True)


def test_somewhere_else_is_stored_encrypted_and_shown_to_support_staff(client, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/appointments/new"
    place = "Room 4, the Travelodge on Station Road"
    booked = post(client, path, _form(worker, _weekday(), venue="", location=place), get_path=path + "?number=1")
    assert booked.status_code == 302
    appointment = db.session.scalars(select(Appointment)).one()
    assert (appointment.venue_id, appointment.elsewhere, appointment.legacy_location) == (None, place, None)
    assert place.encode() not in raw_column(model=Appointment, column="elsewhere", row_id=appointment.id)
    assert place in client.get(f"/cases/{referral.id}/appointments").get_data(as_text=True)
    assert "Travelodge" in calendar_invite(appointment).decode()
    # Nothing about the place reached the audit log.
    assert not any("Travelodge" in repr(event.details) for event in audit_events(case_id=referral.id))


def test_a_venue_and_somewhere_else_together_or_a_retired_venue_are_refused(client, worker) -> None:
    venue = save_venue("Hub", "1 Street")
    retired = save_venue("Old hall", "9 Street")
    referral = create_referral(state="OPTED_IN", worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/appointments/new"
    both = post(client, path, _form(worker, _weekday(), venue=str(venue.id), location="A flat"), path + "?number=1")
    assert both.status_code == 200
    assert "Choose a venue or give somewhere else, not both" in both.get_data(as_text=True)
    set_active(retired, False)
    old = post(client, path, _form(worker, _weekday(), venue=str(retired.id)), path + "?number=1")
    assert old.status_code == 200
    assert pages.read(old).error_summary
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
    with pytest.raises(ValidationFailed) as caught:
        book(referral=referral, worker=worker, venue_id=retired.id)
    assert "venue_id" in caught.value.fields


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_reminders_carry_neither_the_venue_nor_somewhere_else(worker, channel) -> None:
    # docs/privacy.md and diversion/notifications/wording.py: a reminder says only that there is an appointment,
    # and when; a place could say what it is about, or where she is staying.
    from types import SimpleNamespace

    from diversion.notifications.reminders import fill_reminder

    venue = save_venue("Women's centre", "3 Mill Lane")
    referral = create_referral(state="OPTED_IN", worker=worker)
    at_venue = book(referral=referral, worker=worker, venue_id=venue.id)
    other = create_referral(state="OPTED_IN", worker=worker)
    elsewhere = book(referral=other, worker=worker, location="Room 4, the Travelodge")
    for appointment in (at_venue, elsewhere):
        message = SimpleNamespace()
        fill_reminder(message, SimpleNamespace(channel=channel, address="x"), appointment)
        text = f"{message.subject or ''} {message.body}"
        assert "Travelodge" not in text
        assert "Mill Lane" not in text
        assert "Women" not in text
        assert appointment.place
        assert appointment.place not in text


def test_her_subject_access_export_names_the_venue_and_her_somewhere_else(worker) -> None:
    from diversion.clients.models import Client
    from diversion.privacy.export import build_export

    venue = save_venue("Hub", "1 Street")
    referral = create_referral(state="OPTED_IN", worker=worker)
    book(referral=referral, worker=worker, number=1, venue_id=venue.id)
    export = build_export(db.session.get(Client, referral.client_id)).as_dict()
    text = repr(export)
    assert "'venue': 'Hub, 1 Street'" in text
    assert str(venue.id) not in text
    other = create_referral(state="OPTED_IN", worker=worker)
    book(referral=other, worker=worker, number=1, location="Her sister's flat")
    assert "'elsewhere': \"Her sister's flat\"" in repr(build_export(db.session.get(Client, other.client_id)).as_dict())
