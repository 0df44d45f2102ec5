"""Subject access: the export holds every planted canary of hers and none of another client's; it is audited."""

from __future__ import annotations

import json

from diversion.audit.services import Entry, record_events
from diversion.auth.models import User
from diversion.clients.models import Client
from diversion.db import transaction
from diversion.extensions import db
from diversion.notifications.models import StaffMessage
from diversion.privacy.export import build_export, export_client
from diversion.webhooks.models import WebhookSubscription
from tests.crypto_app.records import Canaries, create_case, create_staff
from tests.factories import audit_events, create_user, csrf_token, log_in_as

# A partner's webhook secret (docs/webhooks.md) is a staff secret too.
NOT_HERS = {User.__name__, StaffMessage.__name__, WebhookSubscription.__name__}


def _texts(canaries: Canaries) -> list[str]:
    """The canaries written into her records (not staff secrets or staff messages made beside them)."""
    texts = []
    for (class_name, _name, _row), value in canaries.values.items():
        if class_name in NOT_HERS or value is None:
            continue
        if isinstance(value, bytes):
            continue  # a document's file is listed, not carried (docs/privacy.md, "Subject access")
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        if class_name == "Client" and _name == "safe_contact":
            text = json.loads(text)["note"]
        texts.append(text)
    return texts


def _two_clients():
    staff_canaries = Canaries()
    court, worker = create_staff(staff_canaries)
    hers, others = Canaries(), Canaries()
    her = create_case(hers, court, worker)
    other = create_case(others, court, worker)
    return worker, her, hers, other, others


def test_the_export_holds_every_canary_of_hers_and_none_of_anothers(app_ctx) -> None:
    worker, her, hers, _other, others = _two_clients()
    read = Entry("referral", her.referral_id, her.referral_id, {"page": "referrals.detail", "view": "full"})
    with transaction():
        record_events("case.viewed", [read], actor=worker)
    client = db.session.get(Client, her.client_id)
    made = build_export(client)
    text = json.dumps(made.as_dict())
    her_texts = _texts(hers)
    assert len(her_texts) >= 20
    missing = [value for value in her_texts if value not in text]
    assert missing == []
    leaked = [value for value in _texts(others) if value in text]
    assert leaked == []
    assert "CANARY" in text
    # Every kind of record she has is a section, and the audit events about her say who viewed her case.
    assert {"clients", "referrals", "appointments", "assessments", "assessment_domains", "care_plans"} <= set(
        made.sections
    )
    assert {"care_plan_goals", "care_plan_actions", "reviews", "notifications"} <= set(made.sections)
    viewed = [event for event in made.audit_events if event["action"] == "case.viewed"]
    assert viewed
    assert viewed[0]["who"] == worker.display_name
    assert all(event["case_id"] in (None, str(her.referral_id)) for event in made.audit_events)


def test_making_the_export_is_audited_and_the_command_prints_json(app, app_ctx) -> None:
    _worker, her, hers, _other, others = _two_clients()
    result = app.test_cli_runner().invoke(args=["clients", "export", str(her.client_id)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["client_id"] == str(her.client_id)
    assert all(value in result.output for value in _texts(hers))
    assert not any(value in result.output for value in _texts(others))
    events = audit_events(action="client.exported")
    assert [event.object_id for event in events] == [str(her.client_id)]
    assert events[0].details["format"] == "json"
    unknown = app.test_cli_runner().invoke(args=["clients", "export", "not-an-id"])
    assert unknown.exit_code == 1
    assert "No client with that id." in unknown.output


def test_the_manager_page_makes_json_and_a_pdf(client, app_ctx) -> None:
    _worker, her, hers, _other, _others = _two_clients()
    manager = create_user(role="manager")
    log_in_as(client, manager)
    page = f"/privacy/clients/{her.client_id}"
    response = client.get(page)
    assert response.status_code == 200
    token = csrf_token(client, page)
    as_json = client.post(f"{page}/export", data={"csrf_token": token, "fmt": "json"})
    assert as_json.status_code == 200
    assert as_json.mimetype == "application/json"
    body = as_json.get_data(as_text=True)
    assert all(value in body for value in _texts(hers))
    as_pdf = client.post(f"{page}/export", data={"csrf_token": token, "fmt": "pdf"})
    assert as_pdf.status_code == 200
    assert as_pdf.mimetype == "application/pdf"
    assert as_pdf.data.startswith(b"%PDF")
    assert [event.details["format"] for event in audit_events(action="client.exported")] == ["json", "pdf"]
    # A bad format is a form error, not a 500, and makes no export.
    bad = client.post(f"{page}/export", data={"csrf_token": token, "fmt": "xml"})
    assert bad.status_code == 422
    assert "There is a problem" in bad.get_data(as_text=True)
    assert len(audit_events(action="client.exported")) == 2
    # Without the CSRF token: refused, nothing made.
    assert client.post(f"{page}/export", data={"fmt": "json"}).status_code == 400
    assert len(audit_events(action="client.exported")) == 2


def test_export_of_an_erased_client_shows_erased(app_ctx) -> None:
    from diversion.clients.erasure import erase_client

    _worker, her, hers, _other, _others = _two_clients()
    client = db.session.get(Client, her.client_id)
    erase_client(client, "erasure_request")
    made = build_export(client)
    text = json.dumps(made.as_dict())
    assert made.is_erased
    assert not any(value in text for value in _texts(hers))
    assert made.sections["clients"][0]["given_name"] == "erased"
    assert len(made.sections["referrals"]) == 1
    export_client(client, None, "json")


def test_the_pdf_gives_when_it_was_made_and_each_event_in_uk_time(app_ctx) -> None:
    """The JSON keeps ISO 8601 in UTC; the PDF she reads says the times as GOV.UK writes them, in London."""
    from flask import render_template

    from diversion.privacy.export import SubjectAccessExport

    made = SubjectAccessExport(client_id="c1", made_at="2027-07-14T23:00:00+00:00", is_erased=False)
    made.audit_events = [{"at": "2027-07-15T09:30:00+00:00", "who": "the system", "role": None, "action": "x"}]
    html = render_template("privacy/export_pdf.html", export=made, titles={})
    assert "Made 15 July 2027, midnight (UK time)." in html
    assert "<td>15 July 2027, 10:30am</td>" in html
    assert "2027-07-1" not in html
