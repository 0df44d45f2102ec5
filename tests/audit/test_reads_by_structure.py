"""Reads are audited by structure (diversion/audit/reads.py): every endpoint that answers with a case's sensitive
fields leaves a ``case.viewed`` event naming that case, and a page added with no audit code at all is audited too.

The walk is the permission walk's (tests/test_permissions.py) with real ids: every GET route with a role rule, as
every role the rule lets in, on a case whose every encrypted field holds a canary. Whatever answers 200 with one of
her canaries in it must have written a read of her case, by that user, in that request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Blueprint, abort, redirect
from flask.testing import FlaskClient

from diversion.audit import reads
from diversion.auth.models import Role, User
from diversion.permissions import load_case, requires
from tests.crypto_app.records import Canaries, CaseRecords, create_staff
from tests.factories import audit_events, create_user, csrf_token, date_fields, last_audit_id
from tests.walk import case_ids, get_urls, headers_for, marker_texts, planted_case, signed_in

ROLES = [role.value for role in Role]
# Pages whose reads of her case are the point of the walk: if none of these showed her, it walked nothing.
MUST_SHOW = {
    "referrals.detail",
    "referrals.history",
    "referrals.status",
    "referrals.status_list",
    "referrals.court_day",
    "referrals.caseload_page",
    "assessments.show",
    "care_plans.show",
    "appointments.list_for_case",
    "notices.show",
    "notices.inbox",
    "privacy.client",
    "privacy.viewed_by",
    "api.referral_detail",
    "api.referrals",
    "api.notices",
    "api.get_assessment",
    "api.get_care_plan",
    "api.get_contact_preferences",
}


@dataclass
class Walk:
    """What the walk found: the endpoints that showed her case, and those that did so without auditing it."""

    shown: set[str] = field(default_factory=set)
    unaudited: list[tuple[str, str, str]] = field(default_factory=list)


def _signed_in(app: Any, role: str, court: Any) -> tuple[FlaskClient, dict[str, str], User]:
    user = create_user(role=role, court=court if role == "court" else None)
    client, bearer = signed_in(app, user)
    return client, bearer, user


def walk(app: Any, case: CaseRecords, canaries: Canaries, court: Any, roles: list[str] = ROLES) -> Walk:
    """Ask every GET route, as every role it lets in, and check each answer that shows her case was audited."""
    users = {role: _signed_in(app, role, court) for role in roles}
    texts = marker_texts(canaries)
    found = Walk()
    for role, endpoint, url in get_urls(app, case_ids(case), roles):
        client, bearer, user = users[role]
        after = last_audit_id()
        response = client.get(url, headers=headers_for(url, bearer))
        if response.status_code != 200:
            continue
        body = response.get_data().decode("utf-8", errors="replace")
        if not any(text in body for text in texts):
            continue
        found.shown.add(endpoint)
        read = list(audit_events(case_id=case.referral_id, action="case.viewed", after=after))
        if not any(event.actor_id == user.id and event.details["page"] == endpoint for event in read):
            found.unaudited.append((role, endpoint, url))
    return found


@pytest.fixture
def planted(app_ctx) -> tuple[CaseRecords, Canaries, Any]:
    staff = Canaries()
    court, worker = create_staff(staff)
    canaries = Canaries()
    return planted_case(canaries, court, worker), canaries, court


def test_every_endpoint_that_shows_her_case_audits_the_read(app, planted) -> None:
    case, canaries, court = planted
    found = walk(app, case, canaries, court)
    assert found.unaudited == []
    assert found.shown >= MUST_SHOW, sorted(MUST_SHOW - found.shown)


def test_the_searches_by_post_audit_each_case_they_show(app, planted) -> None:
    case, canaries, court = planted
    texts = marker_texts(canaries)
    worker, bearer, user = _signed_in(app, "worker", court)
    name, born = case.family_name, case.date_of_birth
    searches = {
        "api.search_referrals": lambda: worker.post(
            "/api/v1/referrals/search", json={"family_name": name, "date_of_birth": born.isoformat()}, headers=bearer
        ),
        "referrals.caseload_search": lambda: worker.post(
            "/cases/search",
            data={
                "family_name": name,
                **date_fields("date_of_birth", born),
                "csrf_token": csrf_token(worker, "/cases"),
            },
        ),
    }
    for endpoint, search in searches.items():
        after = last_audit_id()
        response = search()
        assert response.status_code == 200, endpoint
        assert any(text in response.get_data(as_text=True) for text in texts), endpoint
        read = audit_events(case_id=case.referral_id, action="case.viewed", after=after)
        assert [(event.actor_id, event.details["page"]) for event in read] == [(user.id, endpoint)]


def test_the_walk_finds_a_read_that_is_not_audited(app, planted, monkeypatch) -> None:
    # With the loaders noting nothing, the case page still shows her record: the walk must say so.
    case, canaries, court = planted
    monkeypatch.setattr(reads, "note", lambda *args, **kwargs: None)
    found = walk(app, case, canaries, court, roles=["worker"])
    assert ("worker", "referrals.detail", f"/cases/{case.referral_id}") in found.unaudited


@pytest.fixture
def with_new_pages(fresh_app, app_ctx) -> Any:
    """An app with pages added after this was written, none with a line of audit code: they load her case through
    the loader and show it, redirect, or end in an error."""
    application = fresh_app()
    added = Blueprint("added", __name__)

    @added.route("/added/<uuid:referral_id>")
    @requires("client_records")
    def shows(referral_id):
        referral = load_case(referral_id)
        return f"<p>{referral.client.family_name}</p>"

    @added.route("/added/<uuid:referral_id>/moves-on")
    @requires("client_records")
    def moves_on(referral_id):
        load_case(referral_id)
        return redirect("/home")

    @added.route("/added/<uuid:referral_id>/fails")
    @requires("client_records")
    def fails(referral_id):
        load_case(referral_id)
        abort(404)

    application.register_blueprint(added)
    return application


def test_a_page_added_without_audit_code_is_audited_by_its_loader(with_new_pages, planted) -> None:
    case, _canaries, court = planted
    worker, _, user = _signed_in(with_new_pages, "worker", court)
    after = last_audit_id()
    response = worker.get(f"/added/{case.referral_id}")
    assert response.status_code == 200
    assert case.family_name in response.get_data(as_text=True)
    read = audit_events(case_id=case.referral_id, action="case.viewed", after=after)
    assert [(event.actor_id, event.object_type, event.object_id, event.details) for event in read] == [
        (user.id, "referral", str(case.referral_id), {"page": "added.shows", "view": "full"})
    ]


def test_a_redirect_or_an_error_shows_nothing_and_records_no_read(with_new_pages, planted) -> None:
    case, _canaries, court = planted
    worker, _, _ = _signed_in(with_new_pages, "worker", court)
    after = last_audit_id()
    assert worker.get(f"/added/{case.referral_id}/moves-on").status_code == 302
    assert worker.get(f"/added/{case.referral_id}/fails").status_code == 404
    assert audit_events(case_id=case.referral_id, action="case.viewed", after=after) == []
    # Nor is anything noted by those requests carried into the next one.
    assert worker.get(f"/added/{case.referral_id}").status_code == 200
    assert len(audit_events(case_id=case.referral_id, action="case.viewed", after=after)) == 1
