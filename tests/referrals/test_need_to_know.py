"""Need to know inside a team (docs/organisations.md, "Need to know"), through the web pages: in a scheme with the
``assigned`` rule a support worker opens her own and unassigned cases, a colleague's case asks why first, a reason
opens it for the rest of the day, audited; managers read the reasons and are never asked; the ``team`` rule is
unchanged."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import url_for
from sqlalchemy import func, select

from diversion.auth.models import User
from diversion.dates import london_datetime, today
from diversion.extensions import db
from diversion.notifications.digests import queue_digests
from diversion.referrals.models import CaseAccessGrant, Referral
from diversion.referrals.need_to_know import BREAK_GLASS, MAX_REASON, REASON_MISSING, REASON_TOO_LONG
from tests import pages
from tests.factories import (
    audit_events,
    book,
    create_court,
    create_organisation,
    create_referral,
    create_scheme,
    create_user,
    last_audit_id,
    log_in_as,
    raw_column,
)
from tests.notifications.helpers import messages

LONDON = ZoneInfo("Europe/London")
REASON = "Covering court today for her worker"


@dataclass
class Scene:
    """An assigned scheme with two support workers and a manager, and its cases: one of each worker's, and one with
    no worker; the main (team) scheme is beside it."""

    scheme: Any
    court: Any
    sam: User
    ria: User
    manager: User
    own: Referral
    colleagues: Referral
    unassigned: Referral


@pytest.fixture
def scene(app_ctx) -> Scene:
    scheme = create_scheme(access="assigned")
    court = create_court(schemes=[scheme])
    sam = create_user(role="worker", schemes=[scheme], display_name="Sam Ortiz")
    ria = create_user(role="worker", schemes=[scheme], display_name="Ria Lowe")
    manager = create_user(role="manager", schemes=[scheme], display_name="Mo Grant")
    own = create_referral(worker=sam, court=court, state="OPTED_IN", given_name="Owena", urn="03/OW/11111/26")
    colleagues = create_referral(
        worker=ria,
        court=court,
        state="OPTED_IN",
        given_name="Colleta",
        family_name="Hiddenname",
        date_of_birth=date(1988, 3, 4),
        urn="03/CO/22222/26",
        notes="Support content nobody else should read",
    )
    # A manager's referral has no worker until one is given it.
    unassigned = create_referral(worker=manager, court=court, given_name="Unna", urn="03/UN/33333/26")
    assert unassigned.assigned_worker_id is None
    assert colleagues.assigned_worker_id == ria.id
    return Scene(scheme, court, sam, ria, manager, own, colleagues, unassigned)


def case_pages(referral_id) -> list[str]:
    """Every page of a case (its sections' tabs) and its status page."""
    endpoints = (
        "referrals.detail",
        "appointments.list_for_case",
        "assessments.show",
        "care_plans.show",
        "outcomes.review_list",
        "referrals.consent",
        "notifications.case_messages",
        "referrals.history",
        "referrals.status",
    )
    return [url_for(endpoint, referral_id=referral_id) for endpoint in endpoints]


def grants() -> list[CaseAccessGrant]:
    return list(db.session.scalars(select(CaseAccessGrant).order_by(CaseAccessGrant.created_at)))


def asked(client, path: str) -> pages.Page:
    """The page that asks why, answered at the address asked for."""
    page = pages.get(client, path, status=403)
    assert page.select_one("h1").get_text(strip=True) == "Say why you are opening this case"
    return page


def give_reason(client, referral: Referral, reason: str, *, status: int = 302, next_path: str | None = None):
    shown = asked(client, next_path or f"/cases/{referral.id}")
    data = {"reason": reason, "next": shown.value("next"), "csrf_token": shown.csrf_token}
    return pages.post(client, f"/cases/{referral.id}/access", data, status=status)


# --- the team rule, as before ---


def test_in_a_team_scheme_every_worker_opens_every_case_without_being_asked(client, app_ctx) -> None:
    author, colleague = create_user(role="worker"), create_user(role="worker")
    referral = create_referral(worker=author, state="OPTED_IN", given_name="Teamcase")
    log_in_as(client, colleague)
    for path in case_pages(referral.id):
        page = pages.get(client, path)
        assert "Say why you are opening this case" not in page.text, path
    assert "Teamcase" in pages.get(client, f"/cases/{referral.id}").text
    assert grants() == []
    assert audit_events(action=BREAK_GLASS) == []
    # Nothing to give a reason for: the form's address goes straight on and records nothing.
    token = pages.get(client, "/cases").csrf_token
    data = {"reason": REASON, "next": f"/cases/{referral.id}/history", "csrf_token": token}
    page = pages.post(client, f"/cases/{referral.id}/access", data, status=302)
    assert page.location.endswith(f"/cases/{referral.id}/history")
    assert grants() == []


# --- the assigned rule ---


def test_she_opens_her_own_cases_and_unassigned_ones(client, scene: Scene) -> None:
    log_in_as(client, scene.sam)
    for referral, name in ((scene.own, "Owena"), (scene.unassigned, "Unna")):
        for path in case_pages(referral.id):
            pages.get(client, path)
        assert name in pages.get(client, f"/cases/{referral.id}").text
    assert grants() == []


def test_a_colleagues_case_asks_why_on_every_page_and_shows_only_its_status(client, scene: Scene) -> None:
    log_in_as(client, scene.sam)
    after = last_audit_id()
    for path in case_pages(scene.colleagues.id):
        page = asked(client, path)
        # Its status line only: whose case it is, the URN and the state; nothing of her or of the support.
        assert "This case is Ria Lowe's." in page.text
        assert page.summary_list() == {"URN": "03/CO/22222/26", "Status": "Opted in"}
        for hidden in ("Colleta", "Hiddenname", "1988", "Support content", "07700"):
            assert hidden not in page.html, (path, hidden)
        # The form goes on to the page she asked for.
        assert page.form(f"/cases/{scene.colleagues.id}/access")["method"] == "post"
        assert page.value("next") == path
    # Each asking page is audited as a read of the case's status, never of the record.
    views = {event.details["view"] for event in audit_events(case_id=scene.colleagues.id, after=after)}
    assert views == {"status"}
    assert grants() == []


def test_the_same_question_guards_every_way_in_to_the_case(client, scene: Scene) -> None:
    """Forms and files of the case answer with the question too, and change nothing."""
    log_in_as(client, scene.sam)
    before = last_audit_id()
    token = pages.get(client, "/cases").csrf_token
    response = client.post(
        f"/cases/{scene.colleagues.id}/withdraw", data={"reason": "x", "version": "1", "csrf_token": token}
    )
    assert response.status_code == 403
    assert db.session.get(Referral, scene.colleagues.id).state == "OPTED_IN"
    assert audit_events(action="referral.withdrawn", after=before) == []


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", REASON_MISSING), ("   \n ", REASON_MISSING), ("x" * (MAX_REASON + 1), REASON_TOO_LONG)],
)
def test_an_empty_or_too_long_reason_is_refused_with_an_error_summary_and_records_nothing(
    client, scene: Scene, reason: str, message: str
) -> None:
    log_in_as(client, scene.sam)
    before = last_audit_id()
    page = give_reason(client, scene.colleagues, reason, status=200)
    expected = "The answer must be 500 characters or fewer" if message == REASON_TOO_LONG else message
    assert page.error_summary == [expected]
    assert page.errors == {"reason": expected}
    assert page.title.startswith("Error: Say why you are opening this case")
    assert "Colleta" not in page.html
    assert grants() == []
    assert audit_events(action=BREAK_GLASS, after=before) == []
    asked(client, f"/cases/{scene.colleagues.id}")


@pytest.mark.clock("2026-12-01 16:30")
def test_a_reason_opens_the_case_until_the_end_of_the_day_and_the_next_day_asks_again(
    client, scene: Scene, clock
) -> None:
    log_in_as(client, scene.sam)
    wanted = f"/cases/{scene.colleagues.id}/history"
    page = give_reason(client, scene.colleagues, REASON, next_path=wanted)
    assert page.location.endswith(wanted)

    [grant] = grants()
    assert (grant.user_id, grant.referral_id, grant.client_id) == (
        scene.sam.id,
        scene.colleagues.id,
        scene.colleagues.client_id,
    )
    assert grant.expires_at == datetime(2026, 12, 2, 0, 0, tzinfo=LONDON).astimezone(UTC)
    # Her reason is kept encrypted under the client's key, and read back by the service.
    assert REASON.encode() not in raw_column(model=CaseAccessGrant, column="reason", row_id=grant.id)
    assert grant.reason == REASON
    # The grant is audited as such, by ids and the end time: never the reason.
    [granted] = audit_events(action=BREAK_GLASS)
    assert granted.actor_id == scene.sam.id
    assert granted.case_id == scene.colleagues.id
    assert granted.details == {"until": "2026-12-02T00:00:00+00:00", "assigned_worker": str(scene.ria.id)}

    # Every page of the case opens now, each read marked as one through the grant.
    after = last_audit_id()
    for path in case_pages(scene.colleagues.id):
        pages.get(client, path)
    assert "Colleta" in pages.get(client, f"/cases/{scene.colleagues.id}").text
    reads = audit_events(case_id=scene.colleagues.id, action="case.viewed", after=after)
    assert reads
    assert all(event.details.get("grant") == str(grant.id) for event in reads)
    # The case's history says it was opened this way.
    history = pages.get(client, wanted).text
    assert "Opened with a reason by a support worker not assigned to the case" in history

    # Asking again today records nothing more: the page goes straight on.
    token = pages.get(client, "/cases").csrf_token
    data = {"reason": "again", "next": wanted, "csrf_token": token}
    pages.post(client, f"/cases/{scene.colleagues.id}/access", data, status=302)
    assert len(grants()) == 1

    # (Signed in again each time: a session idle for hours has ended.)
    clock.move_to(datetime(2026, 12, 1, 23, 59, tzinfo=LONDON))
    pages.get(log_in_as(client, scene.sam), f"/cases/{scene.colleagues.id}")
    clock.move_to(datetime(2026, 12, 2, 0, 1, tzinfo=LONDON))
    asked(log_in_as(client, scene.sam), f"/cases/{scene.colleagues.id}")
    # Her own reads carry no grant.
    after = last_audit_id()
    pages.get(client, f"/cases/{scene.own.id}")
    [own_read] = audit_events(case_id=scene.own.id, action="case.viewed", after=after)
    assert "grant" not in own_read.details


def test_the_reason_is_in_no_log_and_no_audit_event(client, scene: Scene, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    log_in_as(client, scene.sam)
    give_reason(client, scene.colleagues, REASON)
    assert REASON not in caplog.text
    for event in audit_events(case_id=scene.colleagues.id):
        assert REASON not in str(event.details)


def test_managers_open_every_case_of_their_schemes_without_a_reason(client, scene: Scene) -> None:
    log_in_as(client, scene.manager)
    for referral in (scene.colleagues, scene.own, scene.unassigned):
        for path in case_pages(referral.id):
            pages.get(client, path)
    assert "Colleta" in pages.get(client, f"/cases/{scene.colleagues.id}").text
    assert grants() == []


def test_a_worker_of_another_scheme_gets_404_not_the_reason_page(client, scene: Scene) -> None:
    elsewhere = create_user(role="worker")
    other_org = create_organisation()
    outsider = create_user(role="worker", organisation=other_org, schemes=[create_scheme(organisation=other_org)])
    for user in (elsewhere, outsider):
        log_in_as(client, user)
        page = pages.get(client, f"/cases/{scene.colleagues.id}", status=404)
        assert "Say why" not in page.text
        assert "03/CO/22222/26" not in page.html
        token = pages.get(client, "/home").csrf_token
        data = {"reason": REASON, "next": "/home", "csrf_token": token}
        pages.post(client, f"/cases/{scene.colleagues.id}/access", data, status=404)
    assert grants() == []


def _search(client, **data) -> pages.Page:
    fields = {"family_name": "", "date_of_birth-day": "", "date_of_birth-month": "", "date_of_birth-year": ""}
    return pages.post(client, "/cases/search", {**fields, "urn": "", **data}, token_from="/cases")


def test_her_lists_show_her_own_and_unassigned_cases_and_a_search_finds_a_colleagues_without_her_name(
    client, scene: Scene
) -> None:
    log_in_as(client, scene.sam)
    for tab in ("open", "at-risk", "mine"):
        listed = pages.get(client, f"/cases?tab={tab}").html
        assert str(scene.colleagues.id) not in listed, tab
        assert "Colleta" not in listed, tab
    listed = pages.get(client, "/cases?tab=open").html
    assert str(scene.own.id) in listed
    assert str(scene.unassigned.id) in listed
    statuses = pages.get(client, "/statuses").html
    assert str(scene.colleagues.id) not in statuses
    assert str(scene.own.id) in statuses

    for search in (
        {"urn": "03/CO/22222/26"},
        {
            "family_name": "Hiddenname",
            "date_of_birth-day": "4",
            "date_of_birth-month": "3",
            "date_of_birth-year": "1988",
        },
    ):
        page = _search(client, **search)
        [text] = [text for text, href in page.links() if href == f"/cases/{scene.colleagues.id}"]
        assert pages.normalise(text.replace(" ,", ",")) == "Another worker's case, URN 03/CO/22222/26"
        assert "Reason needed" in page.text
        assert "Colleta" not in page.html
    # The row leads to the page that asks why; once she has said, the search shows her as any other case.
    give_reason(client, scene.colleagues, REASON)
    page = _search(client, urn="03/CO/22222/26")
    assert "Colleta Hiddenname" in page.text
    assert "Another worker's case" not in page.text


def test_managers_read_the_reasons_given_in_their_schemes(client, scene: Scene) -> None:
    log_in_as(client, scene.sam)
    give_reason(client, scene.colleagues, REASON)
    log_in_as(client, scene.manager)
    caseload = pages.get(client, "/cases")
    assert caseload.link("Cases opened with a reason") == "/cases/opened-with-a-reason"
    page = pages.get(client, "/cases/opened-with-a-reason")
    [row] = page.table_rows()
    assert row[1:] == ["Sam Ortiz", "03/CO/22222/26", REASON, "2 Dec 2026, midnight"]
    assert page.link("03/CO/22222/26") == f"/cases/{scene.colleagues.id}"
    assert "Colleta" not in page.html
    # Reading them is a read of the case.
    [read] = audit_events(case_id=scene.colleagues.id, action="case.viewed")[-1:]
    assert read.actor_id == scene.manager.id
    assert read.details["page"] == "referrals.access_reasons"

    # A manager of another scheme sees none of them; support workers may not see the page.
    log_in_as(client, create_user(role="manager"))
    page = pages.get(client, "/cases/opened-with-a-reason")
    assert not page.has("table")
    assert "No case of your schemes has been opened with a reason." in page.text
    log_in_as(client, scene.sam)
    assert client.get("/cases/opened-with-a-reason").status_code == 403


@pytest.fixture
def morning(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "DIGEST_AT", "07:30")
    monkeypatch.setitem(app_ctx.config, "SERVICE_URL", "https://cases.example.org/")


def test_the_managers_digest_lists_yesterdays_openings_by_worker_link_and_time_only(
    client, scene: Scene, morning, clock
) -> None:
    log_in_as(client, scene.sam)
    give_reason(client, scene.colleagues, REASON)
    made = grants()[0].created_at
    other_manager = create_user(role="manager")
    # Something else for the other manager's digest, so that one is sent to her too.
    create_referral(worker=other_manager, return_date=today() + timedelta(days=2))
    clock.move_to(datetime.combine(today() + timedelta(days=1), datetime.min.time(), LONDON).replace(hour=7, minute=45))
    assert queue_digests(datetime.now(UTC)) >= 1
    [digest] = messages(user_id=scene.manager.id)
    body = str(digest.body)
    assert "Cases opened with a reason yesterday:" in body
    line = f"Sam Ortiz: https://cases.example.org/cases/{scene.colleagues.id}"
    assert line in body
    assert f"- {london_datetime(made, short=True)}, {line}" in body
    assert "Their reasons: https://cases.example.org/cases/opened-with-a-reason" in body
    for hidden in (REASON, "Colleta", "Hiddenname", "C.H.", "22222"):
        assert hidden not in body, hidden
    for message in messages(user_id=other_manager.id):
        assert "opened with a reason" not in str(message.body)
    # Workers' digests carry no such section.
    for message in messages(user_id=scene.sam.id):
        assert "opened with a reason" not in str(message.body)


def test_grants_count_only_for_the_case_and_worker_they_were_given_to(client, scene: Scene) -> None:
    other = create_referral(worker=scene.ria, court=scene.court, urn="03/OT/44444/26")
    log_in_as(client, scene.sam)
    give_reason(client, scene.colleagues, REASON)
    asked(client, f"/cases/{other.id}")
    third = create_user(role="worker", schemes=[scene.scheme])
    log_in_as(client, third)
    asked(client, f"/cases/{scene.colleagues.id}")
    assert db.session.scalar(select(func.count()).select_from(CaseAccessGrant)) == 1


def test_the_days_and_the_unresolved_appointments_are_those_of_her_own_and_unassigned_cases(
    client, scene: Scene
) -> None:
    later = datetime.now(UTC) + timedelta(hours=2)
    book(referral=scene.own, worker=scene.sam, starts_at=later)
    book(referral=scene.colleagues, worker=scene.ria, starts_at=later)
    # Another of Ria's, booked in the past with no outcome yet: unresolved.
    waiting = create_referral(worker=scene.ria, court=scene.court, state="OPTED_IN", given_name="Colleta")
    book(referral=waiting, worker=scene.ria, number=1)
    log_in_as(client, scene.sam)
    for tab in ("today", "unresolved"):
        page = pages.get(client, f"/cases?tab={tab}")
        assert "Colleta" not in page.html, tab
        assert str(scene.colleagues.id) not in page.html, tab
        assert str(waiting.id) not in page.html, tab
    assert "Owena" in pages.get(client, "/cases?tab=today").text
    log_in_as(client, scene.manager)
    assert "Colleta" in pages.get(client, "/cases?tab=today").text
    assert str(waiting.id) in pages.get(client, "/cases?tab=unresolved").html
