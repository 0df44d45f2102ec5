"""The register of consent wordings (docs/privacy.md, "Consent"): a manager publishes a new version of a purpose's
words through a preview; old versions are kept and never edited; the consent page reads her the current words and
records each answer against the version it showed, and a version published while she was reading records nothing
and asks again. The subject access export gives the words of each line."""

from __future__ import annotations

import html
import json

import pytest
from sqlalchemy import select

from diversion.clients.models import Client
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.privacy.export import build_export
from diversion.referrals.consent import consent_ledger, record_consent, record_consents
from diversion.referrals.models import ConsentPurpose, ConsentWording, Referral, State, WordingIsFixed
from diversion.referrals.wording import (
    WordingChanged,
    check_wording,
    current_wordings,
    publish_wording,
    versions_of,
)
from tests import pages
from tests.factories import (
    CASE_TABLES,
    audit_events,
    create_referral,
    create_user,
    csrf_token,
    log_in_as,
    row_counts,
    shown_wordings,
)

SUPPORT = ConsentPurpose.SUPPORT
REMINDERS = ConsentPurpose.REMINDERS
ALL_AGREED = {purpose.value: "given" for purpose in ConsentPurpose}
# Showing a page audits the read of the case, and that is all it does: compared without the audit trail.
CASE_ROWS = tuple(name for name in CASE_TABLES if name != "audit_events")
NEW_SUPPORT = "I agree to meet a support worker, who will help me make a plan before I go back to court."


def text_of(response) -> str:
    """The page's text, whitespace collapsed, after the checks every page gets (tests/pages.py)."""
    return pages.read(response).text


@pytest.fixture
def manager(app_ctx):
    return create_user(role="manager")


# --- the register ---


def test_the_first_versions_are_the_wordings_the_page_showed(app_ctx) -> None:
    current = current_wordings()
    assert list(current) == list(ConsentPurpose)
    assert {wording.version for wording in current.values()} == {"2026-1"}
    assert {wording.number for wording in current.values()} == {1}
    assert current[SUPPORT].text == (
        "I agree to take part in the diversion scheme: to meet a support worker for a needs assessment and to "
        "make a Care Action Plan with them before my return date at court."
    )


def test_publishing_adds_a_version_and_keeps_the_old_one(manager) -> None:
    first = current_wordings()[SUPPORT]
    published = publish_wording("support", f"  {NEW_SUPPORT}\n ", manager, based_on=first.id)
    assert (published.number, published.version, published.text) == (2, "2026-2", NEW_SUPPORT)
    assert published.published_by_id == manager.id
    assert current_wordings()[SUPPORT].id == published.id
    assert [wording.version for wording in versions_of(SUPPORT)] == ["2026-2", "2026-1"]
    db.session.expire_all()
    assert db.session.get(ConsentWording, first.id).text.startswith("I agree to take part in the diversion scheme")
    assert current_wordings()[REMINDERS].version == "2026-1", "other purposes are untouched"
    [event] = audit_events(action="consent_wording.published")
    assert event.details == {"purpose": "support", "version": "2026-2", "replaces": "2026-1"}


@pytest.mark.clock("2027-01-04 09:00")
def test_a_version_is_named_by_the_year_published_and_its_number(manager) -> None:
    assert publish_wording("reminders", "I agree to reminders.", manager, based_on=None).version == "2027-2"


def test_an_edit_of_a_published_wording_is_refused_by_the_model(manager) -> None:
    wording = current_wordings()[SUPPORT]
    wording.text = "Words she was never read."
    with pytest.raises(WordingIsFixed):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(ConsentWording, wording.id).text.startswith("I agree to take part")


def test_a_delete_of_a_published_wording_is_refused_by_the_model(manager) -> None:
    wording = current_wordings()[REMINDERS]
    db.session.delete(wording)
    with pytest.raises(WordingIsFixed):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(ConsentWording, wording.id) is not None


def test_the_service_has_no_edit_and_refuses_a_publish_over_a_version_not_read(manager) -> None:
    first = current_wordings()[SUPPORT]
    publish_wording("support", NEW_SUPPORT, manager, based_on=first.id)
    before = db.session.scalars(select(ConsentWording.text).order_by(ConsentWording.id)).all()
    # A second manager started from version 1: publishing hers would replace words she has not read.
    with pytest.raises(Conflict):
        publish_wording("support", "Other words.", manager, based_on=first.id)
    # The words in use, unchanged, are not a new version.
    with pytest.raises(ValidationFailed) as same:
        publish_wording("support", NEW_SUPPORT, manager, based_on=None)
    assert set(same.value.fields) == {"text"}
    assert db.session.scalars(select(ConsentWording.text).order_by(ConsentWording.id)).all() == before


@pytest.mark.parametrize(
    ("purpose", "words", "field"),
    [
        ("", "Words.", "purpose"),
        ("nothing", "Words.", "purpose"),
        ("support", "   ", "text"),
        ("support", "x" * 2001, "text"),
    ],
)
def test_a_wording_that_breaks_a_rule_is_refused_on_its_field(app_ctx, purpose, words, field) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_wording(purpose, words, None)
    assert set(caught.value.fields) == {field}


# --- the manager's pages ---


def test_a_manager_writes_previews_then_publishes_a_version(client, manager) -> None:
    log_in_as(client, manager)
    register = text_of(client.get("/privacy/consent-wordings"))
    assert "In use: version 2026-1" in register
    path = "/privacy/consent-wordings/new"
    form = {"purpose": "support", "text": NEW_SUPPORT, "based_on": shown_wordings()}
    preview = client.post(path, data={**form, "csrf_token": csrf_token(client, path)})
    assert preview.status_code == 200
    words = text_of(preview)
    assert "Check the new wording before you publish it" in words
    assert f"“{NEW_SUPPORT}” (wording version 2026-2)" in words
    assert current_wordings()[SUPPORT].version == "2026-1", "a preview publishes nothing"
    # "Change the wording" shows the form again with what was typed.
    token = pages.read(preview).csrf_token
    changed = client.post(path, data={**form, "csrf_token": token, "confirmed": "yes", "change": "yes"})
    assert "Publish a new version of a consent wording" in text_of(changed)
    assert html.escape(NEW_SUPPORT, quote=False) in changed.get_data(as_text=True)
    published = client.post(path, data={**form, "csrf_token": token, "confirmed": "yes"}, follow_redirects=True)
    assert "Version 2026-2 published" in text_of(published)
    assert current_wordings()[SUPPORT].text == NEW_SUPPORT
    page = text_of(client.get("/privacy/consent-wordings"))
    assert "In use: version 2026-2" in page
    assert "Earlier versions" in page


def test_a_publish_form_shown_before_another_version_is_refused_with_409(client, manager) -> None:
    log_in_as(client, manager)
    path = "/privacy/consent-wordings/new"
    shown = shown_wordings()
    publish_wording("support", NEW_SUPPORT, manager, based_on=None)
    form = {"purpose": "support", "text": "Other words.", "based_on": shown, "confirmed": "yes"}
    response = client.post(path, data={**form, "csrf_token": csrf_token(client, path)})
    assert response.status_code == 409
    assert "was published while you were writing" in text_of(response)
    assert current_wordings()[SUPPORT].text == NEW_SUPPORT


def test_an_empty_publish_form_answers_with_an_error_summary(client, manager) -> None:
    log_in_as(client, manager)
    path = "/privacy/consent-wordings/new"
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 422
    words = text_of(response)
    assert "There is a problem" in words
    assert "Select which purpose the wording is for" in words


@pytest.mark.parametrize("role", ["worker", "court", "cps", "admin"])
def test_only_a_manager_may_see_or_publish_wordings(client, app_ctx, role) -> None:
    log_in_as(client, create_user(role=role))
    assert client.get("/privacy/consent-wordings").status_code == 403
    assert client.get("/privacy/consent-wordings/new").status_code == 403
    response = client.post(
        "/privacy/consent-wordings/new", data={"purpose": "support", "text": "x", "confirmed": "yes"}
    )
    assert response.status_code in (400, 403)
    assert current_wordings()[SUPPORT].version == "2026-1"


# --- the consent page ---


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


def test_the_consent_page_reads_the_current_wording_and_the_line_points_at_it(client, worker, manager) -> None:
    publish_wording("support", NEW_SUPPORT, manager, based_on=None)
    referral = create_referral(worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/consent"
    page = pages.get(client, path)
    assert html.escape(NEW_SUPPORT, quote=True) in page.html
    assert page.hidden_fields(page.form(path))["wordings"] == shown_wordings()
    data = {**ALL_AGREED, "version": str(referral.version), "wordings": shown_wordings()}
    assert client.post(path, data={**data, "csrf_token": csrf_token(client, path)}).status_code == 302
    lines = {line.purpose: line for line in consent_ledger(referral)}
    current = current_wordings()
    assert {purpose: line.wording_id for purpose, line in lines.items()} == {
        purpose.value: current[purpose].id for purpose in ConsentPurpose
    }
    assert lines["support"].wording_version == "2026-2"


def test_a_version_published_while_she_was_reading_records_nothing_and_asks_again(client, worker, manager) -> None:
    referral = create_referral(worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/consent"
    token = csrf_token(client, path)
    shown = shown_wordings()
    # While she is being read the page, a manager publishes a new support wording.
    publish_wording("support", NEW_SUPPORT, manager, based_on=None)
    before = row_counts(tables=CASE_ROWS)
    data = {**ALL_AGREED, "version": str(referral.version), "wordings": shown, "csrf_token": token}
    response = client.post(path, data=data)
    assert response.status_code == 409
    words = text_of(response)
    assert "The wording changed while she was reading it (support from the diversion scheme)" in words
    assert "read her the new wording and ask her again" in words
    page = pages.read(response)
    assert html.escape(NEW_SUPPORT, quote=True) in page.html, "the page now reads her the new words"
    assert page.hidden_fields(page.form(path))["wordings"] == shown_wordings()
    assert page.inputs("support")
    assert page.checked("support") == [], "asked again"
    assert page.checked("share_with_court_cps") == ["given"], "unchanged purposes keep her answer"
    assert row_counts(tables=CASE_ROWS) == before
    assert consent_ledger(referral) == []
    assert db.session.get(Referral, referral.id).state == State.REFERRED
    assert audit_events(case_id=referral.id, action="consent.recorded") == []
    # Asked again on the form the page gave back, it records against the new version.
    again = {**data, "wordings": shown_wordings(), "csrf_token": csrf_token(client, path)}
    assert client.post(path, data=again).status_code == 302
    [support] = [line for line in consent_ledger(referral) if line.purpose == "support"]
    assert support.wording_version == "2026-2"


def test_a_form_without_the_wordings_shown_records_nothing(client, worker) -> None:
    referral = create_referral(worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/consent"
    data = {**ALL_AGREED, "version": str(referral.version), "csrf_token": csrf_token(client, path)}
    assert client.post(path, data=data).status_code == 409
    assert consent_ledger(referral) == []


def test_a_version_published_before_the_decline_is_confirmed_records_nothing(client, worker, manager) -> None:
    referral = create_referral(worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/consent"
    data = {**ALL_AGREED, "support": "refused", "version": str(referral.version), "wordings": shown_wordings()}
    page = client.post(path, data={**data, "csrf_token": csrf_token(client, path)})
    assert "Check her decisions before you record them" in text_of(page)
    confirm = pages.read(page)
    assert confirm.value("wordings", confirm.form(path)) == shown_wordings(), "carried to the confirm"
    publish_wording("share_with_court_cps", "I agree the court is told if I attend.", manager, based_on=None)
    token = confirm.csrf_token
    confirmed = client.post(path, data={**data, "csrf_token": token, "confirmed": "yes"})
    assert confirmed.status_code == 409
    assert consent_ledger(referral) == []
    assert db.session.get(Referral, referral.id).state == State.REFERRED


def test_the_service_refuses_answers_on_a_replaced_wording(worker, manager) -> None:
    referral = create_referral(worker=worker)
    shown = {purpose: wording.id for purpose, wording in current_wordings().items()}
    publish_wording("reminders", "I agree to reminders.", manager, based_on=None)
    with pytest.raises(WordingChanged) as caught:
        record_consents(referral, {REMINDERS: True}, worker, shown=shown)
    assert caught.value.purposes == (REMINDERS,)
    assert consent_ledger(referral) == []


def test_a_reversal_gives_consent_again_on_the_words_she_was_read_before(worker, manager) -> None:
    from diversion.referrals.reversals import reverse_decision

    referral = create_referral(state="OPTED_IN", worker=worker)
    first = current_wordings()[SUPPORT]
    record_consent(referral, SUPPORT, False, worker)
    publish_wording("support", NEW_SUPPORT, manager, based_on=None)
    db.session.refresh(referral)
    reverse_decision(referral, "Recorded on the wrong case", manager, version=referral.version)
    support = [line for line in consent_ledger(referral) if line.purpose == "support"]
    assert support[-1].is_given
    assert support[-1].wording_id == first.id


# --- the subject access export ---


def test_the_export_gives_the_words_of_each_line(worker, manager) -> None:
    referral = create_referral(worker=worker)
    record_consent(referral, SUPPORT, True, worker)
    old_text = current_wordings()[SUPPORT].text
    publish_wording("support", NEW_SUPPORT, manager, based_on=None)
    record_consent(referral, REMINDERS, False, worker)
    record_consent(referral, SUPPORT, False, worker)
    made = build_export(db.session.get(Client, referral.client_id)).as_dict()
    lines = made["sections"]["consents"]
    assert [(line["purpose"], line["wording_version"], line["wording_text"]) for line in lines] == [
        ("support", "2026-1", old_text),
        ("reminders", "2026-1", current_wordings()[REMINDERS].text),
        ("support", "2026-2", NEW_SUPPORT),
    ]
    assert "consent_wordings" not in made["sections"], "the register is not about her"
    json.dumps(made)
