"""Decisions that end a case are confirmed, then explained (docs/confirmations.md): declining and withdrawing on the
consent page, the withdraw action, and the plan save that completes a case each show a confirmation page first and
change nothing until it is confirmed (CSRF-checked, stale versions refused, "Change" keeping the answers); the
banners say what happened. Consent is one page: all four purposes in one submit."""

from __future__ import annotations

import pytest
from bs4 import Tag
from sqlalchemy import func, select

from diversion.care_plans.models import CarePlan
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.referrals.assignment import assign_worker
from diversion.referrals.consent import consent_ledger
from diversion.referrals.models import ConsentPurpose, Referral, State
from tests import pages
from tests.factories import (
    CASE_TABLES,
    attend,
    audit_events,
    book,
    create_referral,
    create_user,
    csrf_token,
    current_wordings,
    last_audit_id,
    log_in_as,
    row_counts,
    shown_wordings,
)

# Audit events are compared without the page reads (see last_audit_id_without_reads).
CASE_ROWS = tuple(name for name in CASE_TABLES if name != "audit_events")

WITHDRAW_WARNING = "She will be withdrawn from diversion. The CPS will be told the prosecution proceeds."
WITHDRAWN_BANNER = "She has been withdrawn from diversion. The CPS has been sent the outcome notice."
COMPLETED_BANNER = "Case completed. The CPS has been sent the outcome notice."
ALL_AGREED = {purpose.value: "given" for purpose in ConsentPurpose}


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def signed_in(client, worker):
    return log_in_as(client, worker)


def text_of(response) -> str:
    """The page's text, whitespace collapsed, after the checks every page gets (tests/pages.py)."""
    return pages.read(response).text


def post(client, path: str, data: dict, **kwargs):
    """POST a form with its page's CSRF token; the consent form also carries the wordings it showed, as the page's
    hidden field does (unless the test sends its own)."""
    if path.endswith("/consent"):
        data = {"wordings": shown_wordings(), **data}
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)}, **kwargs)


def snapshot(referral_id) -> tuple:
    """Everything a refused or unconfirmed decision must leave alone."""
    db.session.expire_all()
    referral = db.session.get(Referral, referral_id)
    notices = db.session.scalar(select(func.count()).select_from(OutcomeNotice))
    return referral.state, referral.version, notices, row_counts(tables=CASE_ROWS), last_audit_id_without_reads()


def last_audit_id_without_reads() -> int:
    """The newest audit event that is not a page read (showing a page audits the read, and that is all it does)."""
    events = [event for event in audit_events() if event.action != "case.viewed"]
    return events[-1].id if events else 0


def hidden_fields(form: Tag) -> dict[str, list[str]]:
    """The hidden inputs of a form, by name (a name may come more than once)."""
    found: dict[str, list[str]] = {}
    for field in form.find_all("input", attrs={"type": "hidden"}):
        found.setdefault(str(field["name"]), []).append(str(field.get("value", "")))
    return found


def checked(page: pages.Page, name: str) -> str | None:
    """The value of the radio chosen for ``name`` on the page, or None."""
    chosen = page.checked(name)
    return chosen[0] if chosen else None


def confirm_from(client, path: str, page) -> object:
    """Press the confirmation page's confirm button: its form's hidden fields (its CSRF token among them), as a
    browser would send them."""
    form = pages.read(page).form(containing="confirmed")
    assert form["method"] == "post"
    assert form["action"] == path, "the answers travel in the form, not the address"
    fields = hidden_fields(form)
    assert "csrf_token" in fields
    return client.post(path, data=fields)


# --- consent on one page ---


def test_all_four_purposes_are_asked_on_one_page_with_their_wording(signed_in, worker) -> None:
    referral = create_referral(worker=worker)
    page = pages.get(signed_in, f"/cases/{referral.id}/consent")
    form = page.form(f"/cases/{referral.id}/consent")
    for purpose in ConsentPurpose:
        assert page.inputs(purpose.value, form)
        assert pages.normalise(current_wordings()[purpose].text) in page.text
    assert form["method"] == "post"
    assert len(form.select('[type="submit"]')) == 1, "one submit for all four"
    assert page.hidden_fields(form)["version"] == str(referral.version)


def test_one_submit_records_all_four_and_opts_her_in(signed_in, worker) -> None:
    referral = create_referral(worker=worker)
    path = f"/cases/{referral.id}/consent"
    after = last_audit_id()
    response = post(signed_in, path, {**ALL_AGREED, "version": str(referral.version)}, follow_redirects=True)
    assert "Her decisions are recorded. She has opted in to diversion." in text_of(response)
    lines = consent_ledger(referral)
    assert sorted(line.purpose for line in lines) == sorted(purpose.value for purpose in ConsentPurpose)
    assert all(line.is_given and line.wording_version == "2026-1" for line in lines)
    assert db.session.get(Referral, referral.id).state == State.OPTED_IN
    recorded = audit_events(case_id=referral.id, action="consent.recorded", after=after)
    assert sorted(event.details["purpose"] for event in recorded) == sorted(p.value for p in ConsentPurpose)
    changed = audit_events(case_id=referral.id, action="referral.state_changed", after=after)
    assert [event.details["to"] for event in changed] == ["OPTED_IN"]
    # The same answers again add nothing to the ledger.
    again = post(signed_in, path, {**ALL_AGREED, "version": str(db.session.get(Referral, referral.id).version)})
    assert again.status_code == 302
    assert len(consent_ledger(referral)) == 4


def test_every_purpose_needs_an_answer(signed_in, worker) -> None:
    referral = create_referral(worker=worker)
    before = snapshot(referral.id)
    page = text_of(post(signed_in, f"/cases/{referral.id}/consent", {"support": "given"}))
    assert "There is a problem" in page
    assert "Select whether she agrees to sharing attendance and outcome with the court and the CPS" in page
    assert "Select whether she agrees to appointment reminders by text or email" in page
    assert "Select whether she agrees to equality monitoring" in page
    assert snapshot(referral.id) == before


def test_refusing_support_before_opting_in_is_confirmed_before_she_is_declined(signed_in, worker) -> None:
    referral = create_referral(worker=worker)
    path = f"/cases/{referral.id}/consent"
    before = snapshot(referral.id)
    answers = {**ALL_AGREED, "support": "refused", "version": str(referral.version)}
    page = post(signed_in, path, answers)
    assert page.status_code == 200
    words = text_of(page)
    assert "Check her decisions before you record them" in words
    assert (
        "She will decline diversion. Her case will close as declined: only a manager can reopen it, to put right a "
        "mistake."
    ) in words
    assert "Support from the diversion scheme She does not agree" in words
    assert snapshot(referral.id) == before, "nothing changes until it is confirmed"
    done = confirm_from(signed_in, path, page)
    assert done.status_code == 302
    assert db.session.get(Referral, referral.id).state == State.DECLINED
    assert "She has declined diversion. Her case is closed." in text_of(signed_in.get(path))


def test_does_not_agree_to_sharing_on_an_opted_in_case_says_she_will_be_withdrawn(signed_in, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    path = f"/cases/{referral.id}/consent"
    shown = pages.get(signed_in, path)
    assert checked(shown, "support") == "given", "her decisions so far are filled in"
    assert checked(shown, "reminders") is None, "not asked yet"
    before = snapshot(referral.id)
    answers = {**ALL_AGREED, "share_with_court_cps": "refused", "version": str(referral.version)}
    page = post(signed_in, path, answers)
    words = text_of(page)
    assert WITHDRAW_WARNING in words
    assert "Sharing attendance and outcome with the court and the CPS She withdraws her agreement" in words
    assert snapshot(referral.id) == before
    assert confirm_from(signed_in, path, page).status_code == 302
    assert db.session.get(Referral, referral.id).state == State.WITHDRAWN
    assert db.session.scalar(select(func.count()).select_from(OutcomeNotice)) == 1
    assert WITHDRAWN_BANNER in text_of(signed_in.get(path))


def test_change_goes_back_to_the_form_with_her_answers_and_saves_nothing(signed_in, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    path = f"/cases/{referral.id}/consent"
    before = snapshot(referral.id)
    answers = {**ALL_AGREED, "share_with_court_cps": "refused", "reminders": "refused"}
    answers["version"] = str(referral.version)
    back = post(signed_in, path, {**answers, "confirmed": "yes", "change": "yes"})
    assert back.status_code == 200
    page = pages.read(back)
    assert checked(page, "share_with_court_cps") == "refused", "her answers are kept"
    assert checked(page, "reminders") == "refused"
    assert checked(page, "support") == "given"
    assert "There is a problem" not in page.html
    assert snapshot(referral.id) == before


def test_a_confirmation_without_its_csrf_token_changes_nothing(signed_in, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    path = f"/cases/{referral.id}/consent"
    before = snapshot(referral.id)
    answers = {**ALL_AGREED, "support": "refused", "version": str(referral.version), "confirmed": "yes"}
    refused = signed_in.post(path, data=answers)
    assert refused.status_code == 400
    assert snapshot(referral.id) == before


def test_a_confirmation_of_a_case_changed_since_is_refused_with_409(signed_in, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    path = f"/cases/{referral.id}/consent"
    page = post(signed_in, path, {**ALL_AGREED, "support": "refused", "version": str(referral.version)})
    assert WITHDRAW_WARNING in text_of(page)
    # A colleague takes the case meanwhile: its version moves on.
    manager = create_user(role="manager")
    assign_worker(referral, manager, referral.version, manager)
    before = snapshot(referral.id)
    stale = confirm_from(signed_in, path, page)
    assert stale.status_code == 409
    assert "Someone else changed this case" in text_of(stale)
    assert snapshot(referral.id) == before
    assert db.session.get(Referral, referral.id).state == State.OPTED_IN


def test_agreeing_to_reminders_alone_is_saved_at_once(signed_in, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    path = f"/cases/{referral.id}/consent"
    answers = {**ALL_AGREED, "equality_monitoring": "refused", "version": str(referral.version)}
    response = post(signed_in, path, answers, follow_redirects=True)
    words = text_of(response)
    assert "Her decisions are recorded: appointment reminders by text or email, equality monitoring." in words
    assert db.session.get(Referral, referral.id).state == State.OPTED_IN


# --- the withdraw action ---


def test_withdrawing_shows_the_reason_and_what_will_happen_then_withdraws_when_confirmed(signed_in, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    path = f"/cases/{referral.id}/withdraw"
    assert pages.get(signed_in, path).inputs("version")
    assert "Enter why she is withdrawing" in text_of(post(signed_in, path, {"reason": ""}))
    before = snapshot(referral.id)
    page = post(signed_in, path, {"reason": "Moving to another city", "version": str(referral.version)})
    words = text_of(page)
    assert "Check before you withdraw her" in words
    assert "Why she is withdrawing Moving to another city" in words
    assert WITHDRAW_WARNING in words
    assert snapshot(referral.id) == before
    done = confirm_from(signed_in, path, page)
    assert done.status_code == 302
    assert done.headers["Location"] == f"/cases/{referral.id}"
    assert db.session.get(Referral, referral.id).state == State.WITHDRAWN
    assert db.session.get(Referral, referral.id).withdrawal_reason == "Moving to another city"
    assert WITHDRAWN_BANNER in text_of(signed_in.get(f"/cases/{referral.id}"))


def test_changing_the_reason_keeps_it_and_a_stale_confirmation_is_refused(signed_in, worker) -> None:
    referral = create_referral(state="OPTED_IN", worker=worker)
    path = f"/cases/{referral.id}/withdraw"
    answers = {"reason": "She moved away", "version": str(referral.version)}
    back = post(signed_in, path, {**answers, "confirmed": "yes", "change": "yes"})
    assert back.status_code == 200
    assert pages.read(back).value("reason").endswith("She moved away")
    assert db.session.get(Referral, referral.id).state == State.OPTED_IN
    page = post(signed_in, path, answers)
    assign_worker(referral, None, referral.version, create_user(role="manager"))
    before = snapshot(referral.id)
    stale = confirm_from(signed_in, path, page)
    assert stale.status_code == 409
    assert snapshot(referral.id) == before


# --- the plan save that completes the case ---


PLAN = {
    "goal0_domain": "accommodation",
    "goal0_text": "Somewhere safe to stay",
    "goal0_action0_text": "Housing options appointment",
    "goal0_action0_owner": "client",
    "goal0_action0_status": "to_do",
    "onward_housing": "made",
    "agreed": "y",
}


def plan_ready(worker):
    """An assessed case whose appointment 2 she attended: agreeing the plan completes it."""
    referral = create_referral(state="ASSESSED", worker=worker)
    attend(appointment=book(referral=referral, worker=worker, number=2), worker=worker)
    return referral


def test_the_save_that_completes_the_case_is_confirmed_first(signed_in, worker) -> None:
    referral = plan_ready(worker)
    path = f"/cases/{referral.id}/plan/edit"
    before = snapshot(referral.id)
    page = post(signed_in, path, PLAN)
    words = text_of(page)
    assert "Check before you complete her case" in words
    assert "Her case will be completed. The CPS will be sent the outcome notice" in words
    assert "Goals 1: Accommodation" in words
    assert snapshot(referral.id) == before
    assert db.session.scalar(select(func.count()).select_from(CarePlan)) == 0
    done = confirm_from(signed_in, path, page)
    assert done.status_code == 302
    assert db.session.get(Referral, referral.id).state == State.COMPLETED
    assert db.session.scalar(select(func.count()).select_from(OutcomeNotice)) == 1
    shown = text_of(signed_in.get(f"/cases/{referral.id}/plan"))
    assert COMPLETED_BANNER in shown
    assert "Somewhere safe to stay" in shown


def test_changing_the_plan_keeps_what_was_typed(signed_in, worker) -> None:
    referral = plan_ready(worker)
    path = f"/cases/{referral.id}/plan/edit"
    back = post(signed_in, path, {**PLAN, "confirmed": "yes", "change": "yes"})
    assert back.status_code == 200
    page = pages.read(back)
    assert page.value("goal0_text").endswith("Somewhere safe to stay")
    assert page.checked("agreed")
    assert db.session.get(Referral, referral.id).state == State.ASSESSED


def test_a_draft_plan_is_saved_at_once_with_its_own_banner(signed_in, worker) -> None:
    referral = plan_ready(worker)
    path = f"/cases/{referral.id}/plan/edit"
    draft = {key: value for key, value in PLAN.items() if key != "agreed"}
    assert post(signed_in, path, draft).status_code == 302
    shown = text_of(signed_in.get(f"/cases/{referral.id}/plan"))
    assert "Care Action Plan saved." in shown
    assert COMPLETED_BANNER not in shown
    assert db.session.get(Referral, referral.id).state == State.ASSESSED
