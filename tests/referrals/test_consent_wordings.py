"""The consent wordings (docs/privacy.md, "Consent"): each scheme keeps its own register, whose versions are
published by saving the scheme's programme with a changed wording; old versions are kept and never edited; a case
reads her the wordings of the programme version it started under and records each answer against the version it
showed. The subject access export gives the words of each line."""

from __future__ import annotations

import html
import json

import pytest
from sqlalchemy import select

from diversion.clients.models import Client
from diversion.errors import ValidationFailed
from diversion.extensions import db
from diversion.organisations.services import new_programme_version
from diversion.privacy.export import build_export
from diversion.referrals.consent import consent_ledger, record_consent, record_consents
from diversion.referrals.models import ConsentPurpose, ConsentWording, Referral, State, WordingIsFixed
from diversion.referrals.wording import (
    FIRST_WORDINGS,
    WordingChanged,
    case_wordings,
    check_text,
    scheme_wordings,
    versions_of,
)
from tests import pages
from tests.factories import (
    CASE_TABLES,
    audit_events,
    create_court,
    create_referral,
    create_scheme,
    create_user,
    csrf_token,
    current_wordings,
    log_in_as,
    main_scheme,
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


def publish(purpose: str, text: str, manager, scheme=None):
    """A new version of one purpose's wording, published as the programme screen does: a new programme version."""
    return new_programme_version(scheme or main_scheme(), {}, manager, wordings={purpose: text})


# --- the register ---


def test_the_first_versions_are_the_wordings_the_page_showed(app_ctx) -> None:
    current = current_wordings()
    assert list(current) == list(ConsentPurpose)
    assert {wording.version for wording in current.values()} == {"2026-1"}
    assert {wording.number for wording in current.values()} == {1}
    assert {wording.scheme_id for wording in current.values()} == {main_scheme().id}
    assert current[SUPPORT].text == (
        "I agree to take part in the diversion scheme: to meet a support worker for a needs assessment and to "
        "make a Care Action Plan with them before my return date at court."
    )
    assert {purpose: wording.text for purpose, wording in current.items()} == FIRST_WORDINGS


def test_publishing_adds_a_version_and_keeps_the_old_one(manager) -> None:
    scheme = main_scheme()
    first = current_wordings()[SUPPORT]
    version = publish("support", f"  {NEW_SUPPORT}\n ", manager)
    published = scheme_wordings(scheme.id)[SUPPORT]
    assert (published.number, published.version, published.text) == (2, "2026-2", NEW_SUPPORT)
    assert published.published_by_id == manager.id
    assert version.settings["consent_wordings"]["support"] == published.id
    assert [wording.version for wording in versions_of(SUPPORT, scheme.id)] == ["2026-2", "2026-1"]
    db.session.expire_all()
    assert db.session.get(ConsentWording, first.id).text.startswith("I agree to take part in the diversion scheme")
    assert current_wordings()[REMINDERS].version == "2026-1", "other purposes are untouched"
    [event] = audit_events(action="consent_wording.published")
    assert event.details == {"scheme_id": scheme.id, "purpose": "support", "version": "2026-2", "replaces": "2026-1"}


@pytest.mark.clock("2027-01-04 09:00")
def test_a_version_is_named_by_the_year_published_and_its_number(manager) -> None:
    publish("reminders", "I agree to reminders.", manager)
    assert current_wordings()[REMINDERS].version == "2027-2"


def test_the_same_words_publish_nothing(manager) -> None:
    before = db.session.scalars(select(ConsentWording.id)).all()
    publish("support", current_wordings()[SUPPORT].text, manager)
    assert db.session.scalars(select(ConsentWording.id)).all() == before


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


@pytest.mark.parametrize(("words", "message"), [("   ", "Enter the wording"), ("x" * 2001, "2000 characters")])
def test_a_wording_that_breaks_a_rule_is_refused_on_its_field(manager, words, message) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_text(SUPPORT, words)
    assert set(caught.value.fields) == {"wording_support"}
    assert message in caught.value.fields["wording_support"]
    before = row_counts(tables=("consent_wordings", "programme_versions"))
    with pytest.raises(ValidationFailed):
        publish("support", words, manager)
    assert row_counts(tables=("consent_wordings", "programme_versions")) == before


def test_each_scheme_keeps_its_own_register(manager) -> None:
    other = create_scheme()
    own = scheme_wordings(other.id)
    assert {wording.scheme_id for wording in own.values()} == {other.id}
    assert {purpose: wording.text for purpose, wording in own.items()} == FIRST_WORDINGS
    assert {wording.version for wording in own.values()} == {"2026-1"}
    publish("support", NEW_SUPPORT, manager, scheme=other)
    assert scheme_wordings(other.id)[SUPPORT].text == NEW_SUPPORT
    assert current_wordings()[SUPPORT].version == "2026-1", "the main scheme's register is untouched"
    # A version may name only its own scheme's wordings.
    with pytest.raises(ValidationFailed):
        new_programme_version(
            other, {"consent_wordings": {p.value: w.id for p, w in current_wordings().items()}}, manager
        )


def test_the_old_register_pages_are_gone(client, manager) -> None:
    """The wordings are kept on the programme screen only (docs/organisations.md, "Programmes")."""
    log_in_as(client, manager)
    assert client.get("/privacy/consent-wordings").status_code == 404
    assert client.get("/privacy/consent-wordings/new").status_code == 404


# --- the consent page ---


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


def test_the_consent_page_reads_the_cases_wording_and_the_line_points_at_it(client, worker, manager) -> None:
    publish("support", NEW_SUPPORT, manager)
    referral = create_referral(worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/consent"
    page = pages.get(client, path)
    assert html.escape(NEW_SUPPORT, quote=True) in page.html
    assert page.hidden_fields(page.form(path))["wordings"] == shown_wordings(referral)
    data = {**ALL_AGREED, "version": str(referral.version), "wordings": shown_wordings(referral)}
    assert client.post(path, data={**data, "csrf_token": csrf_token(client, path)}).status_code == 302
    lines = {line.purpose: line for line in consent_ledger(referral)}
    own = case_wordings(referral)
    assert {purpose: line.wording_id for purpose, line in lines.items()} == {
        purpose.value: own[purpose].id for purpose in ConsentPurpose
    }
    assert lines["support"].wording_version == "2026-2"


def test_a_wording_changed_mid_case_leaves_the_case_on_its_words(client, worker, manager) -> None:
    """The scheme publishes new words while she is being read the page: her answers are recorded against the words
    she was read, her case's; a case taken after the change reads her the new words."""
    referral = create_referral(worker=worker)
    first = case_wordings(referral)[SUPPORT]
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/consent"
    token = csrf_token(client, path)
    shown = shown_wordings(referral)
    publish("support", NEW_SUPPORT, manager)
    data = {**ALL_AGREED, "version": str(referral.version), "wordings": shown, "csrf_token": token}
    assert client.post(path, data=data).status_code == 302
    [support] = [line for line in consent_ledger(referral) if line.purpose == "support"]
    assert (support.wording_id, support.wording_version) == (first.id, "2026-1")
    assert db.session.get(Referral, referral.id).state == State.OPTED_IN
    page = pages.get(client, path)
    assert html.escape(first.text, quote=True) in page.html, "the case still reads her its words"
    assert html.escape(NEW_SUPPORT, quote=True) not in page.html
    later = create_referral(worker=worker)
    assert case_wordings(later)[SUPPORT].text == NEW_SUPPORT


def test_a_form_naming_other_words_than_the_cases_records_nothing_and_asks_again(client, worker, manager) -> None:
    referral = create_referral(worker=worker)
    publish("support", NEW_SUPPORT, manager)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/consent"
    before = row_counts(tables=CASE_ROWS)
    # The ids of the scheme's newest words, not the case's: words the page never read her.
    data = {**ALL_AGREED, "version": str(referral.version), "wordings": shown_wordings()}
    response = client.post(path, data={**data, "csrf_token": csrf_token(client, path)})
    assert response.status_code == 409
    words = text_of(response)
    assert "The wording changed while she was reading it (support from the diversion scheme)" in words
    page = pages.read(response)
    assert page.hidden_fields(page.form(path))["wordings"] == shown_wordings(referral)
    assert page.checked("support") == [], "asked again"
    assert page.checked("share_with_court_cps") == ["given"], "unchanged purposes keep her answer"
    assert row_counts(tables=CASE_ROWS) == before
    assert consent_ledger(referral) == []
    assert audit_events(case_id=referral.id, action="consent.recorded") == []
    again = {**data, "wordings": shown_wordings(referral), "csrf_token": csrf_token(client, path)}
    assert client.post(path, data=again).status_code == 302
    [support] = [line for line in consent_ledger(referral) if line.purpose == "support"]
    assert support.wording_version == "2026-1"


def test_a_form_without_the_wordings_shown_records_nothing(client, worker) -> None:
    referral = create_referral(worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/consent"
    data = {**ALL_AGREED, "version": str(referral.version), "csrf_token": csrf_token(client, path)}
    assert client.post(path, data=data).status_code == 409
    assert consent_ledger(referral) == []


def test_the_service_refuses_answers_on_words_not_the_cases(worker, manager) -> None:
    referral = create_referral(worker=worker)
    publish("reminders", "I agree to reminders.", manager)
    newest = {purpose: wording.id for purpose, wording in current_wordings().items()}
    with pytest.raises(WordingChanged) as caught:
        record_consents(referral, {REMINDERS: True}, worker, shown=newest)
    assert caught.value.purposes == (REMINDERS,)
    assert consent_ledger(referral) == []
    record_consents(referral, {REMINDERS: True}, worker)
    assert [line.wording_version for line in consent_ledger(referral)] == ["2026-1"]


def test_a_case_in_another_scheme_reads_that_schemes_words(client, manager) -> None:
    other = create_scheme()
    publish("support", NEW_SUPPORT, manager, scheme=other)
    worker = create_user(role="worker", schemes=[other])
    referral = create_referral(worker=worker, court=create_court(schemes=[other]))
    record_consent(referral, SUPPORT, True, worker)
    [line] = consent_ledger(referral)
    assert (line.wording.scheme_id, line.wording.text) == (other.id, NEW_SUPPORT)
    # The main scheme's version of that name is not this case's.
    main_case = create_referral(worker=create_user(role="worker"))
    with pytest.raises(ValidationFailed) as caught:
        record_consent(main_case, SUPPORT, True, worker, wording_version="2026-2")
    assert set(caught.value.fields) == {"wording_version"}


def test_a_reversal_gives_consent_again_on_the_words_she_was_read_before(worker, manager) -> None:
    from diversion.referrals.reversals import reverse_decision

    referral = create_referral(state="OPTED_IN", worker=worker)
    first = current_wordings()[SUPPORT]
    record_consent(referral, SUPPORT, False, worker)
    publish("support", NEW_SUPPORT, manager)
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
    publish("support", NEW_SUPPORT, manager)
    record_consent(referral, REMINDERS, False, worker)
    # Her next case, taken after the change, reads her the new words.
    later = create_referral(worker=worker, link_client_id=referral.client_id, family_name=None)
    record_consent(later, SUPPORT, False, worker)
    made = build_export(db.session.get(Client, referral.client_id)).as_dict()
    lines = made["sections"]["consents"]
    assert sorted((line["purpose"], line["wording_version"], line["wording_text"]) for line in lines) == sorted(
        [
            ("support", "2026-1", old_text),
            ("reminders", "2026-1", current_wordings()[REMINDERS].text),
            ("support", "2026-2", NEW_SUPPORT),
        ]
    )
    assert "consent_wordings" not in made["sections"], "the register is not about her"
    json.dumps(made)
