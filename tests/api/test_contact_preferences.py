"""Her contact preferences through the API (docs/api.md, "Contact preferences"): the web form's rules, support staff
only, audited by field name, and her quiet hours kept by the reminder planner and the sender."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, timedelta

import pytest

from diversion.audit.models import AuditEvent
from diversion.clients.contact import QuietHours, SafeContact
from diversion.clients.models import Client
from diversion.db import transaction
from diversion.extensions import db
from diversion.notifications import services
from diversion.notifications.reminders import plan_reminders, quiet_hours_of
from diversion.referrals.models import State
from tests.api.conftest import count, error_of
from tests.factories import audit_events, create_referral, raw_column
from tests.notifications.helpers import london, messages, outbox_for, reminder_case

BAD_START = "Enter when her quiet hours start in 24-hour time, like 21:00"
BAD_END = "Enter when her quiet hours end in 24-hour time, like 21:00"
SAME = "Her quiet hours must end at a different time from when they start"
NOTE = "Canary-note: only after six, her partner reads texts"


def _path(case) -> str:
    return f"/referrals/{case.id}/contact-preferences"


def _body(**changes):
    body = {
        "may_text": True,
        "may_voicemail": False,
        "may_email": False,
        "quiet_hours": {"from": "21:00", "to": "08:00"},
        "note": NOTE,
    }
    body.update(changes)
    return body


@pytest.fixture
def case(team):
    return create_referral(state=State.OPTED_IN, worker=team.worker, court=team.court)


def _stored(case) -> bytes:
    return raw_column(model=Client, column="safe_contact", row_id=case.client_id)


def test_a_worker_reads_and_replaces_her_contact_preferences(as_role, case) -> None:
    worker = as_role("worker")
    first = worker.get(_path(case))
    assert first.status_code == 200, first.get_json()
    # Nothing is assumed safe until she is asked.
    assert first.get_json() == {
        "may_text": False,
        "may_voicemail": False,
        "may_email": False,
        "quiet_hours": None,
        "note": "",
    }
    saved = worker.put(_path(case), _body())
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json() == _body()
    assert as_role("manager").get(_path(case)).get_json() == _body()
    # The same record the web pages and the planner read, encrypted.
    assert str(quiet_hours_of(case.client_id)) == "21:00-08:00"
    assert NOTE.encode() not in _stored(case)
    assert b"21:00" not in _stored(case)


def test_a_note_left_out_is_kept_and_an_empty_note_clears_it(as_role, case) -> None:
    worker = as_role("worker")
    worker.put(_path(case), _body())
    without = _body(quiet_hours=None)
    del without["note"]
    answer = worker.put(_path(case), without)
    assert answer.status_code == 200
    assert answer.get_json()["note"] == NOTE
    assert answer.get_json()["quiet_hours"] is None
    assert quiet_hours_of(case.client_id) is None
    assert worker.put(_path(case), _body(note="")).get_json()["note"] == ""


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_court_cps_and_admin_are_refused(as_role, case, role) -> None:
    api = as_role(role)
    error_of(api.get(_path(case)), 403, "forbidden")
    before = _stored(case)
    error_of(api.put(_path(case), _body()), 403, "forbidden")
    assert _stored(case) == before


def test_an_unknown_case_is_404_and_no_token_is_401(as_role, case) -> None:
    missing = f"/referrals/{uuid.uuid4()}/contact-preferences"
    error_of(as_role("worker").get(missing), 404, "not_found")
    error_of(as_role("worker").put(missing, _body()), 404, "not_found")
    error_of(as_role(None).get(_path(case)), 401)


@pytest.mark.parametrize("missing", ["may_text", "may_voicemail", "may_email", "quiet_hours"])
def test_put_needs_the_whole_body(as_role, case, missing) -> None:
    body = _body()
    del body[missing]
    error = error_of(as_role("worker").put(_path(case), body), 422, "validation_error")
    assert error["fields"] == {missing: "This field is required"}


@pytest.mark.parametrize(
    ("hours", "fields"),
    [
        ({"from": "21:00"}, {"quiet_hours.to": "Enter when her quiet hours end, or clear both times"}),
        ({"to": "08:00"}, {"quiet_hours.from": "Enter when her quiet hours start, or clear both times"}),
        ({"from": "9pm", "to": "08:00"}, {"quiet_hours.from": BAD_START}),
        ({"from": "21:00", "to": "24:00"}, {"quiet_hours.to": BAD_END}),
        ({"from": "9:00", "to": "17:00"}, {"quiet_hours.from": BAD_START}),
        ({"from": "21:00", "to": "21:00"}, {"quiet_hours.to": SAME}),
        ({"from": "21:00", "to": "08:00", "days": "weekdays"}, {"quiet_hours.days": "Unknown field"}),
    ],
)
def test_quiet_hours_follow_the_web_forms_rule(as_role, case, hours, fields) -> None:
    worker = as_role("worker")
    worker.put(_path(case), _body(quiet_hours={"from": "20:00", "to": "07:00"}))
    before, events = _stored(case), count(AuditEvent)
    error = error_of(worker.put(_path(case), _body(quiet_hours=hours)), 422, "validation_error")
    assert error["fields"] == fields
    assert _stored(case) == before
    assert count(AuditEvent) == events
    assert str(quiet_hours_of(case.client_id)) == "20:00-07:00"


def test_wrong_types_are_malformed(as_role, case) -> None:
    worker = as_role("worker")
    error = error_of(worker.put(_path(case), _body(may_text="yes", quiet_hours="21:00-08:00")), 400)
    assert error["fields"] == {"may_text": "Must be true or false", "quiet_hours": "Must be an object"}
    error = error_of(worker.put(_path(case), _body(quiet_hours={"from": 2100, "to": "08:00"})), 400)
    assert error["fields"] == {"quiet_hours.from": "Must be a string"}
    error = error_of(worker.put(_path(case), _body(colour="red")), 422)
    assert error["fields"] == {"colour": "Unknown field"}
    error = error_of(worker.put(_path(case), _body(note="x" * 201)), 422)
    assert error["fields"] == {"note": "Must be 200 characters or fewer"}


def test_texts_need_a_phone_and_emails_an_address_on_record(as_role, team) -> None:
    case = create_referral(state=State.OPTED_IN, worker=team.worker, court=team.court, phone=None)
    worker = as_role("worker")
    error = error_of(worker.put(_path(case), _body(may_text=True, may_email=True)), 422, "validation_error")
    assert error["fields"] == {
        "may_text": "She has no phone number on record: add one before marking texts as safe",
        "may_email": "She has no email address on record: add one before marking emails as safe",
    }
    assert worker.put(_path(case), _body(may_text=False)).status_code == 200
    with transaction():
        case.client.email = "her@example.org"
    assert worker.put(_path(case), _body(may_text=False, may_email=True)).get_json()["may_email"] is True


def test_changes_are_audited_by_field_name_and_reads_as_case_reads(as_role, case) -> None:
    worker = as_role("worker")
    worker.put(_path(case), _body())
    worker.put(_path(case), _body(may_voicemail=True, quiet_hours={"from": "22:00", "to": "08:00"}))
    events = audit_events(case_id=case.id, action="clients.contact_preferences_set")
    assert [event.details for event in events] == [
        # Questions not asked at intake count as changed when first answered.
        {"changed": ["may_text", "may_voicemail", "may_email", "quiet_hours", "note"]},
        {"changed": ["may_voicemail", "quiet_hours"]},
    ]
    worker.get(_path(case))
    read = audit_events(case_id=case.id)[-1]
    assert read.details == {"page": "api.get_contact_preferences", "view": "full"}
    text = " ".join(str(event.details) for event in audit_events(case_id=case.id))
    for value in ("22:00", "08:00", NOTE):
        assert value not in text


def test_no_value_reaches_the_logs(as_role, case, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    worker = as_role("worker")
    worker.put(_path(case), _body(quiet_hours={"from": "21:17", "to": "08:43"}))
    worker.get(_path(case))
    worker.put(_path(case), _body(quiet_hours={"from": "21:17", "to": "21:17"}))
    worker.put(_path(case), _body(note=NOTE + "x" * 200))
    logged = caplog.text + " ".join(str(record.__dict__) for record in caplog.records)
    for value in ("21:17", "08:43", NOTE):
        assert value not in logged


def test_the_document_describes_the_routes(as_role) -> None:
    document = as_role(None).get("/openapi.json").get_json()
    item = document["paths"]["/referrals/{referral_id}/contact-preferences"]
    assert item["get"]["x-rule"] == item["put"]["x-rule"] == "client_records"
    schema = document["components"]["schemas"]["ContactPreferencesInput"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["may_text", "may_voicemail", "may_email", "quiet_hours"]
    assert schema["properties"]["quiet_hours"]["properties"]["from"]["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"


# --- the case seen: "after 6pm only", and a reminder at 23:20 ---


def test_quiet_hours_set_through_the_api_hold_every_reminder_outside_them(as_role, team) -> None:
    referral, appointment = reminder_case(worker=team.worker, starts_at=london(3, 20))
    worker = as_role("worker")
    put = worker.put(_path(referral), _body(quiet_hours={"from": "08:00", "to": "18:00"}, note="after 6pm only"))
    assert put.status_code == 200, put.get_json()
    quiet = QuietHours.from_json({"from": "08:00", "to": "18:00"})
    plan_reminders(appointment.starts_at.astimezone(UTC) - timedelta(days=2))
    planned = {item.lead: item.due_at for item in messages(appointment_id=appointment.id)}
    # Due the day before at 10:00: it goes at 18:00 that day, not inside her quiet hours.
    assert planned["1d@10:00"] == london(2, 18).astimezone(UTC)
    assert planned["2h"] == london(3, 18).astimezone(UTC)
    # A sweep every ten minutes until the appointment: nothing is ever sent inside her quiet hours.
    moment = london(1, 0).astimezone(UTC)
    while moment < appointment.starts_at:
        services.send_due(moment)
        moment += timedelta(minutes=10)
    sent = messages(appointment_id=appointment.id)
    assert [item.status for item in sent] == ["sent", "sent"]
    for item in sent:
        assert not quiet.contains(item.sent_at)
        assert item.sent_at >= london(2, 18).astimezone(UTC)


def test_the_sender_holds_a_queued_reminder_inside_quiet_hours_set_after_planning(as_role, team) -> None:
    referral, appointment = reminder_case(worker=team.worker, starts_at=london(3, 20))
    plan_reminders(appointment.starts_at.astimezone(UTC) - timedelta(days=2))
    first = next(item for item in messages(appointment_id=appointment.id) if item.lead == "1d@10:00")
    assert first.due_at == london(2, 10).astimezone(UTC)
    worker = as_role("worker")
    assert worker.put(_path(referral), _body(quiet_hours={"from": "08:00", "to": "18:00"})).status_code == 200
    assert services.deliver(first.id, first.due_at) == "queued"
    db.session.refresh(first)
    assert first.next_attempt_at == london(2, 18).astimezone(UTC)
    assert first.reason == "quiet_hours"
    assert outbox_for([first.id]) == []
    assert services.deliver(first.id, first.next_attempt_at) == "sent"


def test_a_reminder_is_not_sent_to_a_channel_she_has_since_marked_unsafe(as_role, team) -> None:
    referral, appointment = reminder_case(worker=team.worker, starts_at=london(3, 20))
    plan_reminders(appointment.starts_at.astimezone(UTC) - timedelta(days=2))
    first = messages(appointment_id=appointment.id)[0]
    as_role("worker").put(_path(referral), _body(may_text=False, quiet_hours=None))
    assert SafeContact.from_json(referral.client.safe_contact).may_text is False
    assert services.deliver(first.id, first.due_at) == "cancelled"
    db.session.refresh(first)
    assert first.reason == "no_safe_contact"
