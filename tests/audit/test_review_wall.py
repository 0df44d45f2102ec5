"""The audit review behind the organisation wall (docs/organisations.md, "The wall elsewhere"): a manager reviews
the events about her schemes' cases, whoever did them, and the events done by her organisation's staff; nothing of
another organisation's cases or people."""

from __future__ import annotations

import csv
import io

import pytest

from diversion.audit.review import AuditFilters, search_events
from diversion.audit.services import record_event, verify_chain
from diversion.dates import today
from diversion.db import transaction
from tests import pages
from tests.factories import create_court, create_referral, create_user, log_in_as
from tests.walls import MARKER, other_case, other_organisation


@pytest.fixture
def world(app_ctx):
    """Events of both organisations: cases made and viewed, a court user's view of each, accounts made, and events
    of nobody's organisation (a partner's own settings, a job's)."""
    court = create_court(name="Ashby Magistrates' Court")
    worker = create_user(role="worker", display_name="Wendy Main")
    ours = create_referral(state="OPTED_IN", worker=worker, court=court, family_name="Ashcombe")
    clerk = create_user(role="court", court=court, display_name="Clara Main")
    other = other_organisation()
    theirs = other_case(other)
    with transaction():
        record_event("case.viewed", object_type="referral", object_id=ours.id, case_id=ours.id, actor=clerk)
        record_event(
            "case.viewed", object_type="referral", object_id=theirs.id, case_id=theirs.id, actor=other.court_user
        )
        record_event(
            "notifications.notice_emails_set", object_type="user", object_id=other.cps_user.id, actor=other.cps_user
        )
        record_event("user.password_reset", object_type="user", object_id=other.worker.id, actor=other.admin)
        record_event("retention.run", object_type="retention", details={"marker": MARKER})
    return {"ours": ours, "clerk": clerk, "worker": worker, "other": other, "theirs": theirs}


def _whole_period() -> str:
    day = today()
    return (
        f"from_date-day={day.day}&from_date-month={day.month}&from_date-year={day.year - 1}"
        f"&to_date-day={day.day}&to_date-month={day.month}&to_date-year={day.year + 1}"
    )


def _leaks(text: str, world) -> list[str]:
    other, theirs = world["other"], world["theirs"]
    traces = [MARKER, MARKER.lower(), str(theirs.id), str(theirs.client_id)]
    traces += [str(user.id) for user in [*other.staff, *other.partners]]
    return [trace for trace in traces if trace in text]


def test_a_managers_audit_search_holds_her_organisations_events_only(client, world) -> None:
    manager = create_user(role="manager")
    log_in_as(client, manager)
    page = pages.get(client, f"/privacy/audit?{_whole_period()}")
    assert _leaks(page.html, world) == []
    # Hers are there: her case's events, a court user's view of it, her colleague's actions.
    assert str(world["ours"].id) in page.html
    assert "Clara Main" in page.text
    assert "Wendy Main" in page.text
    # Another organisation's client, searched by id, finds nothing.
    other_client = pages.get(client, f"/privacy/audit?client_id={world['theirs'].client_id}")
    assert "0 events" in other_client.text
    by_email = pages.get(client, f"/privacy/audit?user_email={world['other'].worker.email}")
    assert "0 events" in by_email.text


def test_the_csv_export_holds_her_organisations_events_only(client, world) -> None:
    log_in_as(client, create_user(role="manager"))
    response = client.get(f"/privacy/audit.csv?{_whole_period()}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > 1
    assert _leaks(text, world) == []
    assert str(world["ours"].id) in text


def test_the_other_organisations_manager_sees_hers_and_not_the_main_ones(world) -> None:
    other = world["other"]
    seen = search_events(AuditFilters(), viewer=other.manager)
    case_ids = {row.event.case_id for row in seen}
    assert world["theirs"].id in case_ids
    assert world["ours"].id not in case_ids
    actors = {row.event.actor_id for row in seen}
    assert other.court_user.id in actors  # a partner's view of her case
    assert other.admin.id in actors  # her organisation's administrator's actions
    assert other.cps_user.id not in actors  # a partner's own settings are about no case of hers
    assert world["clerk"].id not in actors
    assert world["worker"].id not in actors
    assert "retention.run" not in {row.event.action for row in seen}
    # The command line reviews everything; the chain is untouched by the search.
    assert "retention.run" in {row.event.action for row in search_events(AuditFilters(), limit=1000)}
    assert verify_chain().ok
