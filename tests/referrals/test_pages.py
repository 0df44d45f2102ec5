"""The case pages through the browser's eyes (test client, CSRF on): every form's happy path and error path."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from diversion.appointments.models import Appointment
from diversion.audit.models import AuditEvent
from diversion.clients.contact import SafeContact
from diversion.dates import london_date, today
from diversion.db import utcnow
from diversion.extensions import db
from diversion.keyring import keystore
from diversion.referrals.models import Referral, State
from tests import pages
from tests.factories import (
    create_court,
    create_referral,
    create_user,
    date_fields,
    log_in_as,
    new_urn,
    shown_wordings,
)


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def signed_in(client, worker):
    return log_in_as(client, worker)


def referral_form(court, **overrides) -> dict:
    start = today()
    data = {
        "court": court.code,
        "urn": "01/ab/54321/26",
        "offence": "SOA1959_S1",
        **date_fields("first_hearing_date", start),
        **date_fields("return_date", start + timedelta(days=21)),
        "given_name": "Jade",
        "family_name": f"Pagetest{uuid.uuid4().hex[:6]}",
        **date_fields("date_of_birth", date(1992, 4, 3)),
        "phone": "07700 100555",
        "may_text": "yes",
        "may_voicemail": "no",
        "contact_note": "after 10am, never after 8pm",
        "quiet_from": "",
        "quiet_to": "",
        "notes": "Seen at court.",
    }
    data.update(overrides)
    return data


# --- who may see the case pages ---


@pytest.mark.parametrize("role", ["admin", "court", "cps"])
def test_case_pages_are_refused_to_roles_without_client_records(client, app_ctx, role: str) -> None:
    referral = create_referral()
    log_in_as(client, create_user(role=role))
    for path in ("/cases", f"/cases/{referral.id}", f"/cases/{referral.id}/assessment", f"/cases/{referral.id}/plan"):
        pages.get(client, path, status=403)


def test_unknown_case_is_404(signed_in) -> None:
    pages.get(signed_in, f"/cases/{uuid.uuid4()}", status=404)


# --- intake ---


def test_new_referral_happy_path_leads_to_consent(signed_in, app_ctx) -> None:
    court = create_court()
    response = pages.post(signed_in, "/cases/new", referral_form(court), status=302)
    referral = db.session.scalars(select(Referral).order_by(Referral.created_at.desc())).first()
    assert response.location == f"/cases/{referral.id}/consent"
    assert referral.urn == "01AB5432126"
    assert referral.client.phone == "+447700100555"


def test_new_referral_records_her_quiet_hours_and_contact_note(signed_in, app_ctx) -> None:
    court = create_court()
    pages.post(signed_in, "/cases/new", referral_form(court, quiet_from="20:00", quiet_to="08:00"), status=302)
    referral = db.session.scalars(select(Referral).order_by(Referral.created_at.desc())).first()
    preferences = SafeContact.from_json(referral.client.safe_contact)
    assert str(preferences.quiet_hours) == "20:00-08:00"
    assert preferences.note == "after 10am, never after 8pm"
    assert preferences.may_text is True
    overview = pages.get(signed_in, f"/cases/{referral.id}").text
    assert "From 8pm to 8am (UK time)" in overview
    assert "after 10am, never after 8pm" in overview


@pytest.mark.parametrize(
    ("quiet_from", "quiet_to", "errors"),
    [
        ("20:00", "", {"quiet_to": "Enter when her quiet hours end, or clear both times"}),
        ("", "08:00", {"quiet_from": "Enter when her quiet hours start, or clear both times"}),
        (
            "8pm",
            "24:00",
            {
                "quiet_from": "Enter when her quiet hours start in 24-hour time, like 21:00",
                "quiet_to": "Enter when her quiet hours end in 24-hour time, like 21:00",
            },
        ),
        ("09:00", "09:00", {"quiet_to": "Her quiet hours must end at a different time from when they start"}),
    ],
)
def test_new_referral_refuses_quiet_hours_that_break_the_rule(signed_in, app_ctx, quiet_from, quiet_to, errors) -> None:
    court = create_court()
    before = db.session.scalar(select(func.count()).select_from(Referral))
    page = pages.post(signed_in, "/cases/new", referral_form(court, quiet_from=quiet_from, quiet_to=quiet_to))
    assert page.error_summary == list(errors.values())
    assert page.error_summary_links == [f"#{field}" for field in errors]
    for field, message in errors.items():
        assert page.errors[field] == message
    assert db.session.scalar(select(func.count()).select_from(Referral)) == before


def test_new_referral_refuses_texts_marked_safe_without_a_phone(signed_in, app_ctx) -> None:
    court = create_court()
    page = pages.post(signed_in, "/cases/new", referral_form(court, phone=""))
    assert page.error_summary == ["She has no phone number on record: add one before marking texts as safe"]


def test_new_referral_with_nothing_filled_in_lists_every_problem(signed_in, app_ctx) -> None:
    errors = pages.post(signed_in, "/cases/new", {}).error_summary
    for expected in (
        "Select the court",
        "Enter the URN",
        "Enter the return date",
        "Enter her given name",
        "Enter her date of birth",
    ):
        assert expected in errors


def test_under_18_is_refused_with_a_safeguarding_prompt(signed_in, app_ctx) -> None:
    court = create_court()
    seventeen = today().replace(year=today().year - 17)
    page = pages.post(signed_in, "/cases/new", referral_form(court, **date_fields("date_of_birth", seventeen)))
    assert "safeguarding referral" in page.text
    assert "#date_of_birth-day" in page.error_summary_links
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_bad_urn_is_refused(signed_in, app_ctx) -> None:
    court = create_court()
    page = pages.post(signed_in, "/cases/new", referral_form(court, urn="not a urn"))
    assert "police format" in page.errors["urn"]


def test_referred_before_is_offered_and_linking_reuses_her_record(signed_in, app_ctx) -> None:
    court = create_court()
    first = create_referral(state="COMPLETED", family_name="Ó'Connor", date_of_birth=date(1988, 2, 2))
    form = referral_form(court, family_name="oconnor", urn=new_urn(), **date_fields("date_of_birth", date(1988, 2, 2)))
    prompt = pages.post(signed_in, "/cases/new", form).text
    assert "has been referred before" in prompt
    assert "referred 1 time, completed 1" in prompt
    pages.post(signed_in, "/cases/new", {**form, "link": str(first.client_id)}, status=302)
    newest = db.session.scalars(select(Referral).order_by(Referral.created_at.desc())).first()
    assert newest.client_id == first.client_id


def test_the_referred_before_question_comes_with_every_other_problem_and_keeps_her_answer(signed_in, app_ctx) -> None:
    court = create_court()
    first = create_referral(state="COMPLETED", family_name="Okafor", date_of_birth=date(1990, 5, 6))
    form = referral_form(
        court, family_name="Okafor", urn=new_urn(), phone="12345", **date_fields("date_of_birth", date(1990, 5, 6))
    )
    errors = pages.post(signed_in, "/cases/new", form).error_summary
    assert "Choose whether she is someone referred before" in errors
    assert any("phone" in error.lower() for error in errors), errors
    answered = pages.post(signed_in, "/cases/new", {**form, "link": str(first.client_id)})
    assert any("phone" in error.lower() for error in answered.error_summary)
    # The question is still there, with her answer chosen.
    assert answered.checked("link") == [str(first.client_id)]
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1


# --- consent, withdrawal, return date ---


def test_recording_consent_opts_her_in(signed_in, app_ctx, worker) -> None:
    referral = create_referral(worker=worker)
    path = f"/cases/{referral.id}/consent"
    # One page, one submit: the four purposes (docs/confirmations.md).
    answers = {"support": "given", "share_with_court_cps": "given", "reminders": "given"}
    answers["equality_monitoring"] = "refused"
    form = {**answers, "version": str(referral.version), "wordings": shown_wordings()}
    pages.post(signed_in, path, form, status=302)
    assert "Her decisions are recorded. She has opted in to diversion." in pages.get(signed_in, path).text
    history = pages.get(signed_in, f"/cases/{referral.id}/history").text
    assert "sharing attendance and outcome with the court and the CPS" in history
    assert db.session.get(Referral, referral.id).state == State.OPTED_IN
    errors = pages.post(signed_in, path, {}).error_summary
    assert "Select whether she agrees to support from the diversion scheme" in errors


def test_withdrawal_needs_a_reason_then_closes_the_case_once_confirmed(signed_in, app_ctx, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    path = f"/cases/{referral.id}/withdraw"
    assert "Enter why she is withdrawing" in pages.post(signed_in, path, {"reason": ""}).error_summary
    answers = {"reason": "Moving to another city", "version": str(referral.version)}
    asked = pages.post(signed_in, path, answers)
    assert "Check before you withdraw her" in asked.text
    assert db.session.get(Referral, referral.id).state == State.OPTED_IN
    pages.post(signed_in, path, {**answers, "confirmed": "yes"}, status=302)
    assert db.session.get(Referral, referral.id).state == State.WITHDRAWN


def test_return_date_change_is_refused_when_stale(signed_in, app_ctx, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    path = f"/cases/{referral.id}/return-date"
    new_date = referral.return_date + timedelta(days=14)
    stale = pages.post(
        signed_in,
        path,
        {**date_fields("return_date", new_date), "reason": "Re-adjourned", "version": str(referral.version - 1)},
        status=409,
    )
    assert "Someone else changed this case" in stale.text
    pages.post(
        signed_in,
        path,
        {**date_fields("return_date", new_date), "reason": "Re-adjourned", "version": str(referral.version)},
        status=302,
    )
    assert db.session.get(Referral, referral.id).return_date == new_date


# --- appointments ---


def test_booking_on_a_weekend_warns_then_books_with_a_reason(signed_in, app_ctx, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    saturday = today() + timedelta(days=(5 - today().weekday()) % 7 or 7)
    if saturday >= referral.return_date:
        saturday -= timedelta(days=7)
    path = f"/cases/{referral.id}/appointments/new"
    form = {
        "number": "1",
        **date_fields("day", saturday),
        "time": "10:30",
        "duration": "60",
        "worker": str(worker.id),
        "location": "Drop-in centre",
    }
    warned = pages.post(signed_in, path, form, token_from=path + "?number=1")
    assert "is a weekend day" in warned.text
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
    pages.post(
        signed_in,
        path,
        {**form, "override_reason": "She can only come on Saturdays"},
        token_from=path + "?number=1",
        status=302,
    )
    appointment = db.session.scalars(select(Appointment)).one()
    assert london_date(appointment.starts_at) == saturday


def test_booking_after_the_return_date_is_refused(signed_in, app_ctx, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    path = f"/cases/{referral.id}/appointments/new"
    form = {
        "number": "1",
        **date_fields("day", referral.return_date + timedelta(days=1)),
        "time": "2pm",
        "duration": "60",
        "worker": str(worker.id),
        "override_reason": "x",
    }
    page = pages.post(signed_in, path, form, token_from=path + "?number=1")
    assert "must be before the return date" in page.text


def test_missed_appointment_is_rebooked_with_its_history(signed_in, app_ctx, worker) -> None:
    from diversion.appointments.services import BookingInput, book_appointment, record_outcome

    referral = create_referral(state="OPTED_IN", worker=worker)
    missed = book_appointment(referral, BookingInput(number=1, starts_at=_past_weekday(), override_reason="t"), worker)
    record_outcome(missed, "did_not_attend", worker)
    path = f"/cases/{referral.id}/appointments/new"
    page = pages.get(signed_in, path + "?number=1")
    assert "Rebook appointment 1" in page.text
    day = today() + timedelta(days=1)
    form = {
        "number": "1",
        "supersedes": str(missed.id),
        **date_fields("day", day),
        "time": "11:00",
        "duration": "60",
        "worker": str(worker.id),
        "override_reason": "t",
    }
    refused = pages.post(signed_in, path, form, token_from=path + "?number=1")
    assert "Enter why the appointment is rebooked" in refused.text
    pages.post(
        signed_in,
        path,
        {**form, "rebook_reason": "She rang to say she was ill"},
        token_from=path + "?number=1",
        status=302,
    )
    newest = db.session.scalars(select(Appointment).where(Appointment.supersedes_id == missed.id)).one()
    assert newest.number == 1


def test_outcome_of_a_future_appointment_cannot_be_recorded(signed_in, app_ctx, worker) -> None:
    from diversion.appointments.services import BookingInput, book_appointment

    referral = create_referral(state="OPTED_IN", worker=worker)
    future = book_appointment(
        referral, BookingInput(number=1, starts_at=_past_weekday() + timedelta(days=14), override_reason="t"), worker
    )
    path = f"/appointments/{future.id}/outcome"
    assert "has not happened yet" in pages.get(signed_in, path).text
    refused = pages.post(signed_in, path, {"outcome": "did_not_attend"}, token_from="/cases")
    assert "once the appointment" in refused.text
    assert db.session.get(Appointment, future.id).outcome is None


def test_calendar_invite_names_no_person_court_or_offence(signed_in, app_ctx, worker) -> None:
    from diversion.appointments.services import BookingInput, book_appointment

    referral = create_referral(state="OPTED_IN", worker=worker)
    appointment = book_appointment(
        referral,
        BookingInput(number=1, starts_at=_past_weekday(), location="Drop-in centre", override_reason="t"),
        worker,
    )
    response = signed_in.get(f"/appointments/{appointment.id}/invite.ics")
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in body
    assert "TZID=Europe/London" in body
    for secret in (referral.client.family_name, referral.court.name, "court", "Street Offences", "diversion"):
        assert secret.lower() not in body.lower()


def _past_weekday():
    from diversion.db import utcnow

    moment = utcnow() - timedelta(days=2)
    while moment.weekday() >= 5:
        moment -= timedelta(days=1)
    return moment


# --- assessment and plan ---


def test_assessment_form_reports_every_missing_domain_then_saves(signed_in, app_ctx, worker) -> None:
    from diversion.appointments.services import BookingInput, book_appointment, record_outcome
    from diversion.assessments.models import Domain

    referral = create_referral(state="OPTED_IN", worker=worker)
    first = book_appointment(referral, BookingInput(number=1, starts_at=_past_weekday(), override_reason="t"), worker)
    record_outcome(first, "attended", worker)
    path = f"/cases/{referral.id}/assessment/edit"
    errors = pages.post(signed_in, path, {}).error_summary
    assert len([e for e in errors if e.startswith("Select the need level")]) == 12
    full = {}
    for domain in Domain:
        full |= {f"{domain.value}_need": "2", f"{domain.value}_score": "6", f"{domain.value}_notes": ""}
    full["housing_typo"] = "ignored"
    full["indicators"] = ["controlled_money", "threats"]
    pages.post(signed_in, path, full, status=302)
    saved = db.session.get(Referral, referral.id)
    assert saved.state == State.ASSESSED
    assert saved.has_safeguarding_flag is True
    assert "Safeguarding" in pages.get(signed_in, f"/cases/{referral.id}").text


def test_stale_assessment_save_gets_409_and_keeps_what_was_typed(signed_in, app_ctx, worker) -> None:
    from diversion.assessments.models import Domain

    referral = create_referral(state="ASSESSED", worker=worker)
    path = f"/cases/{referral.id}/assessment/edit"
    form = {"version": "0", "risk_notes": "Typed by the second worker"}
    for domain in Domain:
        form |= {f"{domain.value}_need": "1", f"{domain.value}_score": "7"}
    page = pages.post(signed_in, path, form, status=409)
    assert page.value("risk_notes") == "Typed by the second worker"
    assert "Someone else saved this assessment" in page.text


def test_agreeing_the_plan_completes_the_case(signed_in, app_ctx, worker) -> None:
    from diversion.appointments.services import BookingInput, book_appointment, record_outcome

    referral = create_referral(state="ASSESSED", worker=worker)
    second = book_appointment(
        referral, BookingInput(number=2, starts_at=utcnow() - timedelta(hours=2), override_reason="t"), worker
    )
    record_outcome(second, "attended", worker)
    path = f"/cases/{referral.id}/plan/edit"
    refused = pages.post(signed_in, path, {"agreed": "y"})
    assert "Add at least one goal" in refused.text
    form = {
        "goal0_domain": "accommodation",
        "goal0_text": "Somewhere safe to stay",
        "goal0_action0_text": "Housing options appointment",
        "goal0_action0_owner": "client",
        "goal0_action0_status": "to_do",
        "onward_housing": "made",
        "onward_gp": "suggested",
        "agreed": "y",
    }
    # The save that completes the case asks to confirm first (docs/confirmations.md).
    asked = pages.post(signed_in, path, form)
    assert "Check before you complete her case" in asked.text
    assert db.session.get(Referral, referral.id).state == State.ASSESSED
    pages.post(signed_in, path, {**form, "confirmed": "yes"}, status=302)
    assert db.session.get(Referral, referral.id).state == State.COMPLETED
    page = pages.get(signed_in, f"/cases/{referral.id}/plan").text
    assert "Somewhere safe to stay" in page
    assert "Case completed. The CPS has been sent the outcome notice." in page


# --- audit of reads, history, caseload ---


def test_every_case_page_view_is_audited(signed_in, app_ctx, worker) -> None:
    referral = create_referral(worker=worker)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.viewed"))
    for sub in ("", "/consent", "/appointments", "/assessment", "/plan", "/history"):
        pages.get(signed_in, f"/cases/{referral.id}{sub}")
    after = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.viewed"))
    assert after - before == 6
    history = pages.get(signed_in, f"/cases/{referral.id}/history")
    assert "Referral received" in history.text
    # Her name is on the page, never in its title (browser history, the tab list).
    title = history.title
    assert title.startswith("History - Case - ")
    assert referral.client.family_name in history.text
    assert referral.client.family_name not in title
    assert referral.client.given_name not in title


def _search(client, **data):
    fields = {
        "family_name": "",
        "date_of_birth-day": "",
        "date_of_birth-month": "",
        "date_of_birth-year": "",
        "urn": "",
    }
    return pages.post(client, "/cases/search", {**fields, **data}, token_from="/cases")


def test_caseload_search_by_name_and_date_of_birth_and_by_urn(signed_in, app_ctx, worker) -> None:
    wanted = create_referral(
        worker=worker, family_name="Searchable", date_of_birth=date(1985, 6, 7), urn="07/XY/99887/25"
    )
    other = create_referral(worker=worker)
    page = pages.get(signed_in, "/cases")
    assert page.form("/cases/search")["method"] == "post"
    by_name = _search(
        signed_in,
        family_name="SEARCHABLE",
        **{"date_of_birth-day": "7", "date_of_birth-month": "6", "date_of_birth-year": "1985"},
    )
    assert "Search results: 1 case" in by_name.text
    assert str(wanted.id) in by_name.html
    assert str(other.id) not in by_name.html
    # Nothing typed into the search is put into an address on the page (the links of pages and sorting included).
    typed = ("searchable", "1985", "99887")
    assert not [href for href in by_name.hrefs() if any(value in href.lower() for value in typed)]
    by_urn = _search(signed_in, urn="07xy9988725").html
    assert str(wanted.id) in by_urn
    assert str(other.id) not in by_urn


def test_caseload_search_covers_closed_cases_and_other_workers_cases(signed_in, app_ctx, worker) -> None:
    someone_else = create_user(role="worker")
    closed = create_referral(state="COMPLETED", worker=worker, family_name="Closedcase", date_of_birth=date(1990, 1, 2))
    theirs = create_referral(
        worker=someone_else, family_name="Closedcase", date_of_birth=date(1990, 1, 2), new_person=True
    )
    page = _search(
        signed_in,
        family_name="closedcase",
        **{"date_of_birth-day": "2", "date_of_birth-month": "1", "date_of_birth-year": "1990"},
    )
    assert "Search results: 2 cases" in page.text
    assert str(closed.id) in page.html
    assert str(theirs.id) in page.html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Enter a family name and date of birth, or a URN"),
        ({"family_name": "Searchable"}, "Enter her date of birth to search by family name"),
        (
            {"date_of_birth-day": "7", "date_of_birth-month": "6", "date_of_birth-year": "1985"},
            "Enter her family name to search by date of birth",
        ),
        (
            {
                "family_name": "Searchable",
                "date_of_birth-day": "31",
                "date_of_birth-month": "2",
                "date_of_birth-year": "1985",
            },
            "The date of birth must be a real date",
        ),
        ({"urn": "x" * 41}, "URN must be 40 characters or fewer"),
    ],
)
def test_a_caseload_search_that_cannot_run_says_why_and_lists_nothing_searched(
    signed_in, app_ctx, worker, data, message
) -> None:
    create_referral(worker=worker, family_name="Searchable", date_of_birth=date(1985, 6, 7))
    page = _search(signed_in, **data)
    assert page.error_summary == [message]
    assert page.title.startswith("Error: Caseload: My cases")
    assert "Search results" not in page.html


def test_a_caseload_search_needs_its_csrf_token(signed_in, app_ctx) -> None:
    pages.post(signed_in, "/cases/search", {"urn": "07xy9988725"}, send_token=False, status=400)


def _count_queries(app, work):
    counts = {"main": 0, "keys": 0}

    def main(*args):
        counts["main"] += 1

    def keys(*args):
        counts["keys"] += 1

    connection = db.session.connection()
    event.listen(connection, "before_cursor_execute", main)
    key_engine = keystore().engine
    event.listen(key_engine, "before_cursor_execute", keys)
    try:
        work()
    finally:
        event.remove(connection, "before_cursor_execute", main)
        event.remove(key_engine, "before_cursor_execute", keys)
    return counts


def test_caseload_of_50_rows_costs_a_bounded_number_of_queries(signed_in, app_ctx, app, worker) -> None:
    for _ in range(5):
        create_referral(worker=worker, state="OPTED_IN")
    small = _count_queries(app, lambda: signed_in.get("/cases?tab=open"))
    for _ in range(50):
        create_referral(worker=worker, state="OPTED_IN")
    big = {}

    def load() -> None:
        page = pages.get(signed_in, "/cases?tab=open")
        assert len([href for href in page.hrefs() if href.startswith("/cases/")]) >= 50
        big["html"] = page.html

    counts = _count_queries(app, load)
    assert counts["main"] == small["main"], (small, counts)
    assert counts["keys"] <= 1
    assert counts["main"] <= 20


def test_the_new_referral_form_starts_from_the_court_of_her_last_referral(signed_in, app_ctx, worker) -> None:
    northgate, riverside = create_court(), create_court()
    first = pages.get(signed_in, "/cases/new")
    assert first.selected("court") == []  # nothing referred yet: she chooses
    create_referral(worker=worker, court=riverside)
    page = pages.get(signed_in, "/cases/new")
    assert page.selected("court") == [riverside.code], "the last court is chosen"
    assert northgate.code not in page.selected("court")
