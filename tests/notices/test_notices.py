"""Outcome notices: made once with every outcome, listed by role and court, acknowledged once by the CPS."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from markupsafe import escape
from pypdf import PdfReader
from sqlalchemy import func, select

from diversion.dates import today
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.notices import services
from diversion.notices.models import OutcomeNotice
from diversion.referrals.models import State
from diversion.referrals.sweep import sweep_passed_return_dates
from tests import pages
from tests.factories import create_court, create_referral, create_user, csrf_token, log_in_as


def notices_of(referral) -> list[OutcomeNotice]:
    return list(db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.referral_id == referral.id)))


@pytest.mark.parametrize(
    ("state", "outcome"),
    [("COMPLETED", "completed"), ("NOT_COMPLETED", "not_completed"), ("WITHDRAWN", "withdrawn")],
)
def test_every_outcome_makes_one_notice(app_ctx, state: str, outcome: str) -> None:
    referral = create_referral(state=state)
    (notice,) = notices_of(referral)
    assert notice.outcome == outcome
    assert notice.outcome_date == referral.outcome_date
    assert notice.court_id == referral.court_id


@pytest.mark.parametrize("state", ["REFERRED", "DECLINED", "OPTED_IN", "ASSESSED"])
def test_no_notice_without_an_outcome_for_the_cps(app_ctx, state: str) -> None:
    assert notices_of(create_referral(state=state)) == []


def test_the_sweep_run_twice_makes_one_notice(app_ctx) -> None:
    referral = create_referral(state="OPTED_IN")
    after = referral.return_date + timedelta(days=1)
    assert sweep_passed_return_dates(after) == 1
    assert sweep_passed_return_dates(after) == 0
    assert len(notices_of(referral)) == 1


def test_a_final_state_saved_again_makes_no_second_notice(app_ctx) -> None:
    referral = create_referral(state="COMPLETED")
    services.create_notice(referral)
    services.create_notice(referral)
    assert len(notices_of(referral)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutcomeNotice)) == 1


def test_the_sentence_says_what_happened_and_nothing_else(app_ctx) -> None:
    completed = notices_of(create_referral(state="COMPLETED"))[0]
    withdrawn = notices_of(create_referral(state="WITHDRAWN"))[0]
    assert services.sentence(completed, "Ann Example").startswith("Ann Example completed the diversion scheme on")
    assert services.sentence(completed, "A").endswith("The CPS may discontinue the case.")
    assert "withdrew" in services.sentence(withdrawn, "A")
    assert services.sentence(withdrawn, "A").endswith("The prosecution proceeds.")


def test_acknowledging_records_the_decision_once(app_ctx) -> None:
    cps = create_user(role="cps")
    notice = notices_of(create_referral(state="COMPLETED"))[0]
    services.acknowledge(notice, "discontinued", today(), cps)
    assert notice.decision == "discontinued"
    assert services.revival_deadline(notice) == today() + timedelta(days=35)
    with pytest.raises(Conflict):
        services.acknowledge(notice, "proceeding", today(), cps)
    db.session.refresh(notice)
    assert notice.decision == "discontinued"


def test_acknowledgement_is_validated(app_ctx) -> None:
    cps = create_user(role="cps")
    notice = notices_of(create_referral(state="NOT_COMPLETED"))[0]
    notice.outcome_date = today() - timedelta(days=1)  # the factory's sweep ran "after" a future return date
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        services.acknowledge(notice, None, None, cps)
    assert set(caught.value.fields) == {"decision", "decided_on"}
    with pytest.raises(ValidationFailed):
        services.acknowledge(notice, "proceeding", today() + timedelta(days=1), cps)
    with pytest.raises(ValidationFailed, match="Only a completed diversion"):
        services.acknowledge(notice, "discontinued", today(), cps)
    assert notice.acknowledged_at is None


# --- pages ---


def plant(referral) -> dict[str, str]:
    """Canaries in every support field a partner must never see."""
    canaries = {name: f"CANARY{name.upper()}{referral.id.hex[:6]}" for name in ("notes", "phone", "email", "safe")}
    referral.notes = canaries["notes"]
    referral.client.email = canaries["email"] + "@example.org"
    referral.client.phone = canaries["phone"]
    referral.client.safe_contact = '{"safe_times": "' + canaries["safe"] + '"}'
    db.session.commit()
    return canaries


@pytest.mark.parametrize("role", ["cps", "court", "manager"])
def test_inbox_and_notice_pages_show_status_only(client, app_ctx, role: str) -> None:
    court = create_court()
    referral = create_referral(state="COMPLETED", court=court)
    canaries = plant(referral)
    notice = notices_of(referral)[0]
    log_in_as(client, create_user(role=role, court=court if role == "court" else None))
    responses = [client.get("/notices"), client.get(f"/notices/{notice.id}")]
    for page in responses:
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert referral.client.family_name in html
        for canary in canaries.values():
            assert canary not in html
    pdf = client.get(f"/notices/{notice.id}/letter.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert referral.client.family_name in text
    assert "completed the diversion scheme" in text
    for canary in canaries.values():
        assert canary not in text


def test_court_users_see_only_their_court_and_404_for_another(client, app_ctx) -> None:
    mine, theirs = create_court(), create_court()
    own = notices_of(create_referral(state="COMPLETED", court=mine))[0]
    other = notices_of(create_referral(state="WITHDRAWN", court=theirs))[0]
    log_in_as(client, create_user(role="court", court=mine))
    html = client.get("/notices").get_data(as_text=True)
    assert str(own.id) in html
    assert str(other.id) not in html
    assert client.get(f"/notices/{other.id}").status_code == 404
    assert client.get(f"/notices/{other.id}/letter.pdf").status_code == 404


@pytest.mark.parametrize("role", ["worker", "admin"])
def test_notices_are_refused_to_workers_and_admins(client, app_ctx, role: str) -> None:
    log_in_as(client, create_user(role=role))
    assert client.get("/notices").status_code == 403


def test_cps_acknowledges_through_the_page_and_a_second_time_is_refused(client, app_ctx) -> None:
    notice = notices_of(create_referral(state="COMPLETED"))[0]
    log_in_as(client, create_user(role="cps"))
    path = f"/notices/{notice.id}/acknowledge"
    empty = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert "Select the decision" in empty.get_data(as_text=True)
    day = today()
    form = {
        "decision": "discontinued",
        "decided_on-day": day.day,
        "decided_on-month": day.month,
        "decided_on-year": day.year,
        "csrf_token": csrf_token(client, path),
    }
    assert client.post(path, data=form).status_code == 302
    shown = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "may ask for the proceedings to continue until" in shown
    again = client.post(path, data={**form, "decision": "proceeding"})
    assert "already been acknowledged" in again.get_data(as_text=True)
    reopened = client.get(path)
    assert reopened.status_code == 302
    assert reopened.headers["Location"].endswith(f"/notices/{notice.id}")
    assert "This notice has already been acknowledged." in client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "Acknowledged (1)" in pages.get(client, "/notices?status=acknowledged").text


def test_only_the_cps_may_acknowledge(client, app_ctx) -> None:
    notice = notices_of(create_referral(state="COMPLETED"))[0]
    for role in ("manager", "court", "worker", "admin"):
        log_in_as(client, create_user(role=role))
        assert client.get(f"/notices/{notice.id}/acknowledge").status_code == 403, role


def test_court_day_list_shows_each_case_returning_that_day_and_no_support_content(client, app_ctx) -> None:
    court, other = create_court(), create_court()
    day = today() + timedelta(days=21)
    cases = [create_referral(state=state, court=court, return_date=day) for state in ("COMPLETED", "OPTED_IN")]
    elsewhere = create_referral(court=other, return_date=day)
    canaries = {}
    for case in cases:
        canaries |= plant(case)
    log_in_as(client, create_user(role="court", court=court))
    html = client.get(f"/court-day?date={day.isoformat()}").get_data(as_text=True)
    for case in cases:
        assert case.client.family_name in html
    assert elsewhere.client.family_name not in html
    assert "Appointment 1: attended" in html
    # The court's code, with its name for anyone who does not know the codes.
    assert f'<abbr title="{escape(court.name)}">{court.code}</abbr>' in html
    for canary in canaries.values():
        assert canary not in html
    assert client.get(f"/cases/{elsewhere.id}/status").status_code == 404
    status = client.get(f"/cases/{cases[0].id}/status").get_data(as_text=True)
    assert "Completed" in status
    for canary in canaries.values():
        assert canary not in status


def test_court_day_list_for_a_typed_day(client, app_ctx) -> None:
    court = create_court()
    day = today() + timedelta(days=23)
    case = create_referral(state="OPTED_IN", court=court, return_date=day)
    log_in_as(client, create_user(role="court", court=court))
    response = client.get(f"/court-day?day-day={day.day}&day-month={day.month}&day-year={day.year}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert case.client.family_name in html
    assert "govuk-error-summary" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("day-day=31&day-month=2&day-year=2027", "The day must be a real date"),
        ("day-day=&day-month=&day-year=", "Enter the day"),
        ("day-day=3&day-month=&day-year=2027", "The day must include a month"),
        ("day-day=x&day-month=4&day-year=2027", "The day must be a real date"),
    ],
)
def test_court_day_list_refuses_a_day_it_cannot_read_and_lists_nothing(client, app_ctx, query, message) -> None:
    from diversion.audit.models import AuditEvent

    court = create_court()
    case = create_referral(state="OPTED_IN", court=court, return_date=today())
    log_in_as(client, create_user(role="court", court=court))
    before = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.viewed"))
    response = client.get(f"/court-day?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert message in html
    assert "<title>Error: Court day list" in html
    assert case.client.family_name not in html
    after = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.viewed"))
    assert after == before


def test_partner_reads_are_audited(client, app_ctx) -> None:
    from diversion.audit.models import AuditEvent

    court = create_court()
    referral = create_referral(state="COMPLETED", court=court)
    log_in_as(client, create_user(role="court", court=court))
    client.get(f"/cases/{referral.id}/status")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == referral.id, AuditEvent.action == "case.viewed")
    ).all()
    assert [event.details for event in events] == [{"page": "referrals.status", "view": "status"}]
    assert State(referral.state) is State.COMPLETED
