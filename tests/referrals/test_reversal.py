"""A mistake can be put right (docs/reversals.md): a manager reverses a decline or withdrawal within the configured
days, with a reason, while the CPS has not acknowledged its notice. The case returns to its state before, its
diversion consents are given again where that state needs them, the notice is superseded by a correction, and all of
it is audited. Every refusal (not a manager, too late, acknowledged, nothing to reverse, no reason, stale) changes
nothing."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from diversion.db import transaction
from diversion.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.notices import services as notices
from diversion.notices.models import OutcomeNotice
from diversion.referrals import reversals
from diversion.referrals.consent import current_consents, has_consent, record_consents
from diversion.referrals.models import Consent, ConsentPurpose, Referral, State
from diversion.referrals.withdrawal import withdraw
from tests import pages
from tests.factories import (
    CASE_TABLES,
    audit_events,
    create_referral,
    create_user,
    csrf_token,
    last_audit_id,
    log_in_as,
    raw_column,
    row_counts,
)

REASON = "Recorded on the wrong case: she said yes to sharing."
CASE_ROWS = tuple(name for name in CASE_TABLES if name != "audit_events")


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def manager(app_ctx):
    return create_user(role="manager")


@pytest.fixture
def cps(app_ctx):
    return create_user(role="cps")


def fresh(referral) -> Referral:
    db.session.expire_all()
    return db.session.get(Referral, referral.id)


def notices_of(referral) -> list[OutcomeNotice]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutcomeNotice)
            .where(OutcomeNotice.referral_id == referral.id)
            .order_by(OutcomeNotice.corrects_id.is_not(None), OutcomeNotice.created_at)
        )
    )


def withdrawn_by_consent(worker, state: str = "OPTED_IN") -> Referral:
    """She is withdrawn by saying no to sharing with the court and the CPS (the consent page's answers)."""
    referral = create_referral(state=state, worker=worker)
    record_consents(referral, {ConsentPurpose.SHARE_WITH_COURT_CPS: False}, worker)
    assert fresh(referral).state == State.WITHDRAWN
    return fresh(referral)


def snapshot(referral) -> tuple:
    """Everything a refused reversal must leave alone."""
    db.session.expire_all()
    row = db.session.get(Referral, referral.id)
    notices_now = [(n.id, n.superseded_at, n.version) for n in notices_of(referral)]
    return row.state, row.version, row.final_at, notices_now, row_counts(tables=CASE_ROWS), last_audit_id()


def text_of(response) -> str:
    """The page's text, whitespace collapsed, after the checks every page gets (tests/pages.py)."""
    return pages.read(response).text


def post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


# --- the service ---


def test_a_withdrawal_by_consent_is_reversed_to_opted_in_with_consents_given_again_and_a_correction(
    worker, manager
) -> None:
    referral = withdrawn_by_consent(worker)
    (original,) = notices_of(referral)
    after = last_audit_id()

    done = reversals.reverse_decision(referral, REASON, manager, version=fresh(referral).version)

    case = fresh(referral)
    assert done.returns_to is State.OPTED_IN
    assert case.state == State.OPTED_IN
    assert case.outcome_date is None
    assert case.final_at is None
    assert case.reversal_reason == REASON
    assert REASON.encode() not in raw_column(model=Referral, column="reversal_reason", row_id=referral.id)
    current = current_consents(case)
    assert current[ConsentPurpose.SUPPORT].is_current
    assert current[ConsentPurpose.SHARE_WITH_COURT_CPS].is_current, "the refused sharing is given again"
    superseded, correction = notices_of(referral)
    assert superseded.id == original.id
    assert superseded.superseded_at is not None
    assert correction.corrects_id == original.id
    assert correction.returned_to == "OPTED_IN"
    assert correction.outcome == "withdrawn"
    assert correction.acknowledged_at is None
    assert notices.notice_for(case) is None, "no notice is in force on an open case"
    actions = [(e.action, e.details) for e in audit_events(case_id=referral.id, after=after)]
    names = [name for name, _ in actions]
    assert names.count("consent.recorded") == 1
    assert ("notice.superseded", {"by": str(correction.id)}) in actions
    assert (
        "notice.created",
        {"outcome": "withdrawn", "corrects": str(original.id), "returned_to": "OPTED_IN"},
    ) in actions
    assert (
        "referral.state_changed",
        {"from": "WITHDRAWN", "to": "OPTED_IN", "reason": "decision_reversed"},
    ) in actions
    reversed_event = dict(actions)["decision.reversed"]
    assert reversed_event == {
        "from": "WITHDRAWN",
        "to": "OPTED_IN",
        "consents_restored": ["share_with_court_cps"],
        "notice_id": str(original.id),
        "correction_id": str(correction.id),
    }
    assert all(REASON not in str(details) for _, details in actions), "the reason is never in the audit trail"


def test_the_withdraw_action_on_an_assessed_case_returns_it_to_assessed_with_its_consents_as_they_were(
    worker, manager
) -> None:
    referral = create_referral(state="ASSESSED", worker=worker)
    withdraw(referral, "She moved away.", worker)
    lines_before = db.session.scalar(select(func.count()).select_from(Consent))

    reversals.reverse_decision(fresh(referral), REASON, manager, version=fresh(referral).version)

    case = fresh(referral)
    assert case.state == State.ASSESSED
    assert case.withdrawal_reason is None, "she is no longer withdrawn"
    assert db.session.scalar(select(func.count()).select_from(Consent)) == lines_before, "her consents never changed"
    assert has_consent(case, ConsentPurpose.SUPPORT)
    assert has_consent(case, ConsentPurpose.SHARE_WITH_COURT_CPS)


def test_a_decline_returns_to_referred_with_no_notice_and_her_answers_asked_again(worker, manager) -> None:
    referral = create_referral(state="DECLINED", worker=worker)
    lines_before = db.session.scalar(select(func.count()).select_from(Consent))

    done = reversals.reverse_decision(referral, REASON, manager, version=fresh(referral).version)

    assert done.returns_to is State.REFERRED
    assert not done.tells_cps
    case = fresh(referral)
    assert case.state == State.REFERRED
    assert notices_of(referral) == [], "a decline sent the CPS nothing, so there is nothing to correct"
    assert db.session.scalar(select(func.count()).select_from(Consent)) == lines_before
    # She is asked again: both yes opts her in.
    record_consents(case, {ConsentPurpose.SUPPORT: True, ConsentPurpose.SHARE_WITH_COURT_CPS: True}, worker)
    assert fresh(referral).state == State.OPTED_IN


def test_a_case_withdrawn_again_after_a_reversal_gets_a_new_notice_in_force(worker, manager) -> None:
    referral = withdrawn_by_consent(worker)
    reversals.reverse_decision(referral, REASON, manager, version=fresh(referral).version)
    withdraw(fresh(referral), "She has left the area.", worker)
    case = fresh(referral)
    assert case.state == State.WITHDRAWN
    in_force = notices.notice_for(case)
    assert in_force is not None
    assert in_force.corrects_id is None
    assert in_force.superseded_at is None
    assert len(notices_of(referral)) == 3


# --- refusals: each changes nothing ---


def test_only_a_manager_may_reverse(worker, cps, app_ctx) -> None:
    referral = withdrawn_by_consent(worker)
    others = (worker, cps, create_user(role="court"), create_user(role="admin"))
    before = snapshot(referral)
    for user in others:
        with pytest.raises(Forbidden, match="Only a manager"):
            reversals.reverse_decision(fresh(referral), REASON, user, version=fresh(referral).version)
    assert snapshot(referral) == before


def test_too_late_is_refused_and_the_days_are_configurable(app, worker, manager, clock, monkeypatch) -> None:
    referral = withdrawn_by_consent(worker)
    clock.shift(timedelta(days=14, hours=1))
    before = snapshot(referral)
    with pytest.raises(InvalidTransition, match="within 14 days"):
        reversals.reverse_decision(fresh(referral), REASON, manager, version=fresh(referral).version)
    assert snapshot(referral) == before
    monkeypatch.setitem(app.config, "DECISION_REVERSAL_DAYS", 30)
    reversals.reverse_decision(fresh(referral), REASON, manager, version=fresh(referral).version)
    assert fresh(referral).state == State.OPTED_IN


def test_just_inside_the_days_is_allowed(worker, manager, clock) -> None:
    referral = withdrawn_by_consent(worker)
    clock.shift(timedelta(days=13, hours=23))
    reversals.reverse_decision(fresh(referral), REASON, manager, version=fresh(referral).version)
    assert fresh(referral).state == State.OPTED_IN


def test_after_the_cps_acknowledged_the_reversal_is_refused_with_the_reason(worker, manager, cps) -> None:
    referral = withdrawn_by_consent(worker)
    (notice,) = notices_of(referral)
    notices.acknowledge(notice, "proceeding", date(2026, 12, 1), cps)
    before = snapshot(referral)
    with pytest.raises(Conflict, match="The CPS acknowledged the outcome notice on 1 December 2026"):
        reversals.reverse_decision(fresh(referral), REASON, manager, version=fresh(referral).version)
    assert snapshot(referral) == before


@pytest.mark.parametrize("state", ["REFERRED", "OPTED_IN", "ASSESSED", "COMPLETED", "NOT_COMPLETED"])
def test_a_case_not_declined_or_withdrawn_has_nothing_to_reverse(worker, manager, state) -> None:
    referral = create_referral(state=state, worker=worker)
    before = snapshot(referral)
    with pytest.raises(InvalidTransition, match="has no decline or withdrawal to reverse"):
        reversals.reverse_decision(fresh(referral), REASON, manager, version=fresh(referral).version)
    assert snapshot(referral) == before


@pytest.mark.parametrize(("reason", "message"), [("  ", "Enter why"), ("x" * 2001, "2000 characters or fewer")])
def test_a_reason_is_required(worker, manager, reason, message) -> None:
    referral = withdrawn_by_consent(worker)
    before = snapshot(referral)
    with pytest.raises(ValidationFailed, match=message) as refused:
        reversals.reverse_decision(fresh(referral), reason, manager, version=fresh(referral).version)
    assert set(refused.value.fields) == {"reason"}
    assert snapshot(referral) == before


def test_a_stale_version_is_a_conflict(worker, manager) -> None:
    referral = withdrawn_by_consent(worker)
    stale = fresh(referral).version - 1
    before = snapshot(referral)
    with pytest.raises(Conflict):
        reversals.reverse_decision(fresh(referral), REASON, manager, version=stale)
    assert snapshot(referral) == before


def test_a_superseded_notice_cannot_be_acknowledged(worker, manager, cps) -> None:
    referral = withdrawn_by_consent(worker)
    (_original,) = notices_of(referral)
    reversals.reverse_decision(referral, REASON, manager, version=fresh(referral).version)
    superseded, correction = notices_of(referral)
    with pytest.raises(Conflict, match="corrected"):
        notices.acknowledge(superseded, "proceeding", date(2026, 12, 1), cps)
    with pytest.raises(ValidationFailed, match="needs no decision"):
        notices.acknowledge(correction, "proceeding", date(2026, 12, 1), cps)
    notices.acknowledge(correction, None, date(2026, 12, 1), cps)
    assert notices_of(referral)[1].acknowledged_at is not None


def test_a_notice_acknowledged_between_the_check_and_the_claim_wins(worker, manager, cps) -> None:
    referral = withdrawn_by_consent(worker)
    (notice,) = notices_of(referral)
    # The CPS acknowledges straight in the table, as a concurrent request would, after the page was shown.
    with transaction():
        db.session.execute(
            OutcomeNotice.__table__.update()
            .where(OutcomeNotice.id == notice.id)
            .values(acknowledged_at=func.now(), decision="proceeding", decided_on=date(2026, 12, 1))
        )
    with pytest.raises(Conflict), transaction():
        notices.correct_notice(notice, State.OPTED_IN, manager)
    assert len(notices_of(referral)) == 1
    assert notices_of(referral)[0].superseded_at is None


# --- the pages ---


def test_the_case_page_offers_the_reversal_to_a_manager_only_while_it_can_be_done(client, worker, manager, cps) -> None:
    referral = withdrawn_by_consent(worker)
    log_in_as(client, manager)
    assert "Reverse this decision" in text_of(client.get(f"/cases/{referral.id}"))
    log_in_as(client, worker)
    assert "Reverse this decision" not in text_of(client.get(f"/cases/{referral.id}"))
    assert client.get(f"/cases/{referral.id}/reverse").status_code == 403
    notices.acknowledge(notices_of(referral)[0], "proceeding", date(2026, 12, 1), cps)
    log_in_as(client, manager)
    assert "Reverse this decision" not in text_of(client.get(f"/cases/{referral.id}"))


def test_the_reversal_is_confirmed_then_explained(client, worker, manager) -> None:
    referral = withdrawn_by_consent(worker)
    log_in_as(client, manager)
    path = f"/cases/{referral.id}/reverse"
    page = client.get(path)
    assert page.status_code == 200
    version = fresh(referral).version
    # Without a reason: the error, nothing saved.
    before = snapshot(referral)
    refused = post(client, path, {"reason": "", "version": version})
    assert "Enter why the decision is being reversed" in text_of(refused)
    # With one: the confirmation, saying what will happen; still nothing saved.
    asked = post(client, path, {"reason": REASON, "version": version})
    words = text_of(asked)
    assert "Check before you reverse this decision" in words
    assert "The case will return to opted in." in words
    assert "The CPS will be sent a correction of the outcome notice." in words
    assert snapshot(referral)[:4] == before[:4]
    # Confirmed: reversed, and the banner says so.
    done = post(client, path, {"reason": REASON, "version": version, "confirmed": "yes"})
    assert done.status_code == 302
    shown = text_of(client.get(f"/cases/{referral.id}"))
    assert "Decision reversed. The case is opted in again. The CPS has been sent a correction" in shown
    assert fresh(referral).state == State.OPTED_IN


def test_a_stale_confirmation_is_409_and_changes_nothing(client, worker, manager) -> None:
    referral = withdrawn_by_consent(worker)
    log_in_as(client, manager)
    path = f"/cases/{referral.id}/reverse"
    before = snapshot(referral)
    answer = post(client, path, {"reason": REASON, "version": fresh(referral).version - 1, "confirmed": "yes"})
    assert answer.status_code == 409
    assert snapshot(referral)[:4] == before[:4]


def test_a_refused_reversal_page_says_why_with_no_form(client, worker, manager, cps) -> None:
    referral = withdrawn_by_consent(worker)
    notices.acknowledge(notices_of(referral)[0], "proceeding", date(2026, 12, 1), cps)
    log_in_as(client, manager)
    path = f"/cases/{referral.id}/reverse"
    page = client.get(path)
    assert page.status_code == 409
    assert "The CPS acknowledged the outcome notice on 1 December 2026" in text_of(page)
    assert 'name="reason"' not in page.get_data(as_text=True)
    before = snapshot(referral)
    sent = post(client, path, {"reason": REASON, "version": fresh(referral).version, "confirmed": "yes"})
    assert sent.status_code == 409
    assert snapshot(referral)[:4] == before[:4]


def test_the_cps_sees_the_correction_in_its_inbox_and_on_the_notice_page(client, worker, manager, cps) -> None:
    referral = withdrawn_by_consent(worker)
    (original,) = notices_of(referral)
    reversals.reverse_decision(referral, REASON, manager, version=fresh(referral).version)
    _, correction = notices_of(referral)
    log_in_as(client, cps)
    inbox = client.get("/notices").get_data(as_text=True)
    assert f"/notices/{correction.id}" in inbox
    assert f"/notices/{original.id}" not in inbox, "the superseded notice leaves the inbox"
    assert "Correction: the notice that" in text_of(client.get("/notices"))
    page = text_of(client.get(f"/notices/{correction.id}"))
    assert "Correction of an outcome notice" in page
    assert "This corrects the earlier outcome notice" in page
    assert "which was sent in error. Take no action on it." in page
    assert "Her case is opted in again" in page
    assert referral.client.family_name in page, "sharing is given again: the CPS sees her name"
    old = text_of(client.get(f"/notices/{original.id}"))
    assert "This notice was sent in error and has been corrected" in old
    assert "Record the CPS decision" not in old
    # Acknowledged as read, no decision asked.
    path = f"/notices/{correction.id}/acknowledge"
    assert "no decision is needed" in text_of(client.get(path))
    done = post(client, path, {})
    assert done.status_code == 302
    assert notices_of(referral)[1].acknowledged_at is not None


def test_the_correction_letter_says_it_is_a_correction(client, worker, manager, cps) -> None:
    referral = withdrawn_by_consent(worker)
    (original,) = notices_of(referral)
    reversals.reverse_decision(referral, REASON, manager, version=fresh(referral).version)
    _, correction = notices_of(referral)
    log_in_as(client, cps)
    pdf = client.get(f"/notices/{correction.id}/letter.pdf")
    assert pdf.mimetype == "application/pdf"
    text = re.sub(r"\s+", " ", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages))
    assert "Correction of an outcome notice" in text
    assert str(original.id) in text.replace(" ", ""), "it names the notice it corrects"
    assert "was sent in error" in text


def test_partners_who_asked_are_emailed_about_the_correction(worker, manager, cps) -> None:
    from diversion.notifications.digests import set_notice_emails
    from diversion.notifications.models import StaffMessage

    set_notice_emails(cps, True)
    referral = withdrawn_by_consent(worker)
    reversals.reverse_decision(referral, REASON, manager, version=fresh(referral).version)
    _, correction = notices_of(referral)
    (message,) = db.session.scalars(select(StaffMessage).where(StaffMessage.notice_id == correction.id)).all()
    assert message.user_id == cps.id
    assert "a correction: the earlier notice (withdrawn) was sent in error" in message.body
    assert f"/notices/{correction.id}" in message.body


def test_the_court_day_list_shows_no_notice_once_the_decision_is_reversed(worker, manager) -> None:
    from diversion.referrals.queries import court_day

    referral = withdrawn_by_consent(worker)
    reversals.reverse_decision(referral, REASON, manager, version=fresh(referral).version)
    (row,) = [row for row in court_day(referral.return_date, user=manager) if row.referral.id == referral.id]
    assert row.notice is None


def test_a_manager_reading_the_notice_is_offered_the_reversal_while_it_can_be_done(
    client, worker, manager, cps, clock
) -> None:
    referral = withdrawn_by_consent(worker)
    (notice,) = notices_of(referral)
    reverse_link = f'href="/cases/{referral.id}/reverse"'
    log_in_as(client, manager)
    assert reverse_link in client.get(f"/notices/{notice.id}").get_data(as_text=True)
    log_in_as(client, cps)
    assert reverse_link not in client.get(f"/notices/{notice.id}").get_data(as_text=True)
    clock.shift(timedelta(days=15))
    log_in_as(client, manager)
    assert reverse_link not in client.get(f"/notices/{notice.id}").get_data(as_text=True)


def test_the_case_history_tells_the_reversal(client, worker, manager) -> None:
    referral = withdrawn_by_consent(worker)
    reversals.reverse_decision(referral, REASON, manager, version=fresh(referral).version)
    log_in_as(client, manager)
    words = text_of(client.get(f"/cases/{referral.id}/history"))
    for title in (
        "Decision reversed by a manager",
        "Status changed to opted in (decision reversed)",
        "Correction of the outcome notice made",
        "Outcome notice withdrawn: sent in error",
        "Consent agreed: sharing",
    ):
        assert title in words, title
    assert REASON not in words, "the timeline is built from the audit, which never holds the reason"
