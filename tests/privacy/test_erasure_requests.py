"""Erasure on request: a manager asks, a different manager confirms; the requester cannot. The certificate says what
was erased, when, by whom and what remains; pages show "Erased" where her identity was and never fail."""

from __future__ import annotations

from datetime import timedelta

import pytest

from diversion.clients.models import Client
from diversion.crypto.fields import ERASED
from diversion.dates import today
from diversion.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.keyring import keystore
from diversion.privacy.models import ErasureRequest
from diversion.privacy.retention import set_legal_hold
from diversion.privacy.services import cancel_erasure, confirm_erasure, request_erasure
from diversion.reports.services import check_period, completion_report
from tests.factories import audit_events, create_referral, create_user, csrf_token, log_in_as, row_counts


def test_the_requester_cannot_confirm_and_a_refusal_changes_nothing(app_ctx) -> None:
    first, second = create_user(role="manager"), create_user(role="manager")
    referral = create_referral(state="COMPLETED")
    client = referral.client
    request = request_erasure(client, "erasure_request", first)
    before = row_counts(tables=("audit_events", "clients", "erasure_requests"))
    with pytest.raises(Forbidden, match="cannot confirm"):
        confirm_erasure(request, first)
    assert row_counts(tables=("audit_events", "clients", "erasure_requests")) == before
    assert db.session.get(Client, client.id).erased_at is None
    assert keystore().get_many([client.id])
    assert db.session.get(ErasureRequest, request.id).is_pending

    confirm_erasure(request, second)
    db.session.expire_all()
    client = db.session.get(Client, client.id)
    assert client.erased_at is not None
    assert client.family_name is ERASED
    done = db.session.get(ErasureRequest, request.id)
    assert (done.status, done.requested_by_id, done.decided_by_id) == ("confirmed", first.id, second.id)
    assert done.kept_counts["referrals"] == 1
    assert done.kept_counts["appointments"] == 2
    assert done.kept_counts["clients"] == 1
    assert [e.action for e in audit_events() if e.action.startswith("erasure.")] == [
        "erasure.requested",
        "erasure.confirmed",
    ]
    assert audit_events(action="client.erased")[-1].details["reason"] == "erasure_request"
    with pytest.raises(Conflict):
        confirm_erasure(done, first)


def test_requests_are_refused_for_open_cases_holds_duplicates_and_unknown_reasons(app_ctx) -> None:
    manager, other = create_user(role="manager"), create_user(role="manager")
    open_case = create_referral(state="OPTED_IN")
    with pytest.raises(InvalidTransition, match="open case"):
        request_erasure(open_case.client, "erasure_request", manager)
    closed = create_referral(state="WITHDRAWN")
    with pytest.raises(ValidationFailed):
        request_erasure(closed.client, "because", manager)
    set_legal_hold(closed.client, True, manager)
    with pytest.raises(InvalidTransition, match="legal hold"):
        request_erasure(closed.client, "erasure_request", manager)
    set_legal_hold(closed.client, False, manager)
    request = request_erasure(closed.client, "duplicate", manager)
    with pytest.raises(Conflict, match="already waiting"):
        request_erasure(closed.client, "duplicate", other)
    cancel_erasure(request, manager)
    assert db.session.get(ErasureRequest, request.id).status == "cancelled"
    with pytest.raises(Conflict):
        confirm_erasure(request, other)
    assert db.session.get(Client, closed.client_id).erased_at is None


def test_two_managers_through_the_pages_and_the_certificate(client, app, app_ctx) -> None:
    first, second = create_user(role="manager"), create_user(role="manager")
    referral = create_referral(state="COMPLETED")
    period = check_period(today() - timedelta(days=60), today() + timedelta(days=1))
    figures = completion_report(period, None).figures
    page = f"/privacy/clients/{referral.client_id}"

    log_in_as(client, first)
    token = csrf_token(client, page)
    bad = client.post(f"{page}/erasure", data={"csrf_token": token})
    assert bad.status_code == 422
    assert "Select why her record is to be erased" in bad.get_data(as_text=True)
    asked = client.post(f"{page}/erasure", data={"csrf_token": token, "reason": "erasure_request"})
    assert asked.status_code == 302
    request = db.session.query(ErasureRequest).filter_by(client_id=referral.client_id).one()
    decision = f"/privacy/erasures/{request.id}"
    refused = client.post(decision, data={"csrf_token": csrf_token(client, decision), "confirm": "Confirm and erase"})
    assert refused.status_code == 422
    assert "cannot confirm" in refused.get_data(as_text=True)
    assert db.session.get(Client, referral.client_id).erased_at is None

    other = app.test_client()
    log_in_as(other, second)
    assert "Decide" in other.get("/privacy").get_data(as_text=True)
    done = other.post(decision, data={"csrf_token": csrf_token(other, decision), "confirm": "Confirm and erase"})
    assert done.status_code == 302
    certificate = other.get(decision).get_data(as_text=True)
    assert "Erasure certificate" in certificate
    assert first.display_name in certificate
    assert second.display_name in certificate
    assert "Rows kept" in certificate
    assert completion_report(period, None).figures == figures

    # Every page of her case and the lists render, saying "Erased" where her name was.
    worker = app.test_client()
    log_in_as(worker, create_user(role="worker"))
    rid = referral.id
    for path in (
        f"/cases/{rid}",
        f"/cases/{rid}/consent",
        f"/cases/{rid}/history",
        f"/cases/{rid}/appointments",
        f"/cases/{rid}/assessment",
        f"/cases/{rid}/plan",
        f"/cases/{rid}/messages",
        f"/cases/{rid}/reviews",
        "/cases?tab=mine",
        "/cases?tab=closed",
        f"/court-day?date={referral.return_date.isoformat()}",
    ):
        response = worker.get(path)
        assert response.status_code == 200, path
    overview = worker.get(f"/cases/{rid}").get_data(as_text=True)
    assert "Erased" in overview
    closed = worker.get("/cases?tab=closed").get_data(as_text=True)
    assert str(rid) in closed
    for path in (f"/cases/{rid}", f"/cases/{rid}/viewed-by", page, "/privacy", "/notices?status=new"):
        assert other.get(path).status_code == 200, path
    cps = app.test_client()
    log_in_as(cps, create_user(role="cps"))
    for path in ("/notices", f"/cases/{rid}/status", "/statuses"):
        assert cps.get(path).status_code == 200, path


def test_erasure_pages_are_for_managers_only(client, app_ctx) -> None:
    referral = create_referral(state="COMPLETED")
    manager = create_user(role="manager")
    request = request_erasure(referral.client, "duplicate", manager)
    log_in_as(client, create_user(role="worker"))
    token = csrf_token(client, "/account")
    assert client.post(f"/privacy/erasures/{request.id}", data={"csrf_token": token, "confirm": "x"}).status_code == 403
    assert client.get(f"/privacy/clients/{referral.client_id}").status_code == 403
    assert db.session.get(ErasureRequest, request.id).is_pending


def test_lists_show_erased_where_her_identity_was(client, app_ctx) -> None:
    from diversion.clients.erasure import erase_client

    manager = create_user(role="manager")
    referral = create_referral(state="WITHDRAWN")
    family_name = referral.client.family_name
    erase_client(referral.client, "erasure_request")
    log_in_as(client, manager)
    closed = client.get("/cases?tab=closed").get_data(as_text=True)
    assert family_name not in closed
    assert "erased erased" in closed  # given and family name, where she was listed
    assert "unreadable" not in closed
    status = client.get(f"/cases/{referral.id}/status").get_data(as_text=True)
    assert "unreadable" not in status
