"""Her messages in her language (docs/languages.md, "Messages in her language"): the catalogues, the deny-list of
each language, the day and time in her language, a manager's approval of each language as numbered versions, the
fallback to English with the reason on her case, and who may approve."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from diversion.db import transaction
from diversion.errors import ValidationFailed
from diversion.extensions import db
from diversion.notifications import wording
from diversion.notifications.message_wordings import MessagesChanged, approve, check_parts
from diversion.notifications.models import MessageWording, WordingIsApproved
from diversion.notifications.reminders import plan_reminders
from tests import pages
from tests.factories import (
    audit_events,
    create_organisation,
    create_scheme,
    create_user,
    csrf_token,
    log_in_as,
    main_scheme,
    row_counts,
)
from tests.notifications.helpers import london, messages, reminder_case

pytestmark = pytest.mark.clock("2026-12-01 10:00")

ROWS = ("message_wordings", "audit_events")
WELSH_SMS = "Nodyn atgoffa: mae gennych apwyntiad ar $day am $time. Atebwch STOP i atal y negeseuon atgoffa hyn."


@pytest.fixture
def manager(app_ctx):
    return create_user(role="manager", display_name="Mo Grant")


def welsh(**changes: str) -> dict[str, str]:
    """The Welsh catalogue's wording, with some parts changed."""
    return {**wording.catalogues()["cy"], **changes}


def approved(code: str, manager: Any, based_on: int = 0, **changes: str) -> MessageWording:
    parts = welsh(**changes) if code == "cy" else {**wording.english_parts(), **changes}
    with transaction():
        return approve(main_scheme().id, code, parts, manager, based_on=based_on)


def speaking(referral: Any, code: str | None) -> None:
    with transaction():
        referral.client.language_code = code


def planned(appointment: Any) -> list[Any]:
    plan_reminders(appointment.starts_at.astimezone(UTC) - timedelta(days=2))
    return messages(appointment_id=appointment.id)


def language_path(code: str, scheme: Any = None) -> str:
    return f"/programmes/{(scheme or main_scheme()).id}/messages/{code}"


def shown_form(client: Any, path: str) -> tuple[pages.Page, dict[str, str]]:
    page = pages.get(client, path)
    form = page.form(path)
    data = dict(page.hidden_fields(form))
    for name in wording.PARTS:
        data[name] = page.value(name, form)
    return page, data


# --- the catalogues ---


@pytest.mark.parametrize("code", ["en", "cy"])
def test_every_message_of_the_catalogue_is_translated_with_the_same_placeholders(code: str) -> None:
    catalogue = wording.catalogues()[code]
    english = wording.english_parts()
    assert set(catalogue) == set(wording.PARTS)
    for part, text in catalogue.items():
        assert text.strip(), part
        assert wording.placeholders(text) == wording.placeholders(english[part]), part
        assert wording.denied_words(text, code) == [], part


def test_the_english_catalogue_is_the_wording_reminders_send_and_the_welsh_one_is_welsh() -> None:
    assert wording.catalogues()["en"] == wording.english_parts()
    welsh_parts = wording.catalogues()["cy"]
    assert welsh_parts["sms_body"] == WELSH_SMS
    assert welsh_parts["email_subject"] == "Nodyn atgoffa am apwyntiad"
    assert all(welsh_parts[part] != text for part, text in wording.english_parts().items())
    assert wording.catalogue_languages()[:2] == ["en", "cy"]


def test_the_day_and_time_are_in_her_language_and_english_is_as_before() -> None:
    starts = london(2, 10, 30)  # Thursday 3 December
    assert wording.when(starts) == {"day": "Thursday 3 December", "time": "10:30am"}
    assert wording.when(starts, "cy") == {"day": "ddydd Iau 3 Rhagfyr", "time": "10:30"}
    assert wording.when(london(5, 14, 5), "cy") == {"day": "ddydd Sul 6 Rhagfyr", "time": "14:05"}


# --- the deny-lists ---


def test_the_welsh_deny_list_catches_welsh_words_their_mutations_and_english_ones() -> None:
    assert wording.denied_words("Mae gennych apwyntiad yn y llys", "cy") == ["llys"]
    assert wording.denied_words("ynglŷn â'ch drosedd", "cy") == ["drosedd"]  # soft mutation of trosedd
    assert wording.denied_words("fy nhrosedd a'i throsedd", "cy") == ["nhrosedd", "throsedd"]
    assert wording.denied_words("Swyddfa'r Heddlu", "cy") == ["heddlu"]
    assert wording.denied_words("cam-drin", "cy") == ["cam-drin"]
    assert wording.denied_words("apwyntiad gyda'r police", "cy") == ["police"]  # English's list too
    assert wording.denied_words("llysiau a bara", "cy") == []  # whole words only: vegetables are not a court
    assert wording.denied_words("llys", "en") == []  # English text is checked against English's list


def test_a_language_without_a_list_of_its_own_is_checked_against_englishs() -> None:
    assert not wording.has_own_deny_list("ro")
    assert wording.has_own_deny_list("cy")
    assert wording.denied_words("programare la court", "ro") == ["court"]


def test_a_rendered_welsh_message_with_a_denied_word_is_refused(manager, monkeypatch) -> None:
    approved("cy", manager)
    monkeypatch.setattr(wording, "when", lambda starts_at, language="en": {"day": "yn y llys", "time": "10:30"})
    with pytest.raises(wording.UnsafeWording, match="llys") as caught:
        wording.render_reminder("sms", london(2, 10), "cy", main_scheme().id)
    assert "Nodyn" not in str(caught.value)


# --- sending ---


def test_a_welsh_speaker_is_reminded_in_welsh_once_her_schemes_manager_approved_it(manager) -> None:
    referral, appointment = reminder_case(starts_at=london(2, 14, 30))
    speaking(referral, "cy")
    approved("cy", manager)
    sent = planned(appointment)
    assert len(sent) == 2
    for message in sent:
        assert message.body == (
            "Nodyn atgoffa: mae gennych apwyntiad ar ddydd Iau 3 Rhagfyr am 14:30. Atebwch STOP i atal y negeseuon "
            "atgoffa hyn."
        )
        assert (message.language_code, message.language_fallback) == ("cy", None)


def test_until_welsh_is_approved_she_is_reminded_in_english_and_her_case_says_why(client, manager) -> None:
    referral, appointment = reminder_case(starts_at=london(2, 14, 30))
    speaking(referral, "cy")
    first, _ = planned(appointment)
    assert first.body.startswith("Reminder: you have an appointment on Thursday 3 December at 2:30pm.")
    assert (first.language_code, first.language_fallback) == ("en", "not_approved")
    log_in_as(client, create_user(role="worker"))
    page = pages.get(client, f"/cases/{referral.id}/messages")
    assert page.select_one("#reminder-language").text.strip() == (
        "Her reminders are sent in English: Welsh messages have not been approved yet."
    )
    assert page.summary_list()["Language of her reminders"] == "English"
    assert "Reminder (1d@10:00 before), in English" in page.text
    # Once approved, the page says Welsh, and no reason.
    approved("cy", manager)
    page = pages.get(client, f"/cases/{referral.id}/messages")
    assert page.summary_list()["Language of her reminders"] == "Welsh"
    assert not page.select("#reminder-language")


def test_a_language_without_messages_falls_back_to_english_saying_so(client, app_ctx) -> None:
    referral, appointment = reminder_case(starts_at=london(2, 14, 30))
    speaking(referral, "ro")
    first, _ = planned(appointment)
    assert first.body.startswith("Reminder: you have an appointment on Thursday")
    assert (first.language_code, first.language_fallback) == ("en", "no_catalogue")
    log_in_as(client, create_user(role="worker"))
    page = pages.get(client, f"/cases/{referral.id}/messages")
    assert page.select_one("#reminder-language").text.strip() == (
        "Her reminders are sent in English: there are no messages in Romanian yet."
    )


def test_an_english_speaker_or_one_not_asked_needs_no_reason(client, app_ctx) -> None:
    for code in ("en", None):
        referral, appointment = reminder_case(starts_at=london(2, 14, 30))
        speaking(referral, code)
        first, _ = planned(appointment)
        assert (first.language_code, first.language_fallback) == ("en", None)
        log_in_as(client, create_user(role="worker"))
        assert not pages.get(client, f"/cases/{referral.id}/messages").select("#reminder-language")


def test_welsh_approved_in_one_scheme_is_not_approved_in_another(manager) -> None:
    approved("cy", manager)
    other = create_scheme()
    assert wording.wording_in_use(other.id, "cy")[0] == "en"
    assert wording.wording_in_use(main_scheme().id, "cy")[0] == "cy"


# --- versions ---


def test_a_change_is_a_new_version_the_old_one_kept_and_a_reminder_keeps_the_words_of_its_time(manager) -> None:
    referral, first_appointment = reminder_case(starts_at=london(2, 14, 30))
    speaking(referral, "cy")
    one = approved("cy", manager)
    early = planned(first_appointment)
    changed = "Nodyn atgoffa: apwyntiad ar $day am $time. Atebwch STOP i atal y negeseuon hyn."
    two = approved("cy", manager, based_on=1, sms_body=changed)
    assert (one.number, two.number) == (1, 2)
    rows = db.session.scalars(select(MessageWording).order_by(MessageWording.number)).all()
    assert [row.sms_body for row in rows] == [WELSH_SMS, changed]
    # The reminders written before the change keep version 1's words; one written after has version 2's.
    assert {message.body for message in messages(appointment_id=first_appointment.id)} == {
        message.body for message in early
    }
    assert all(message.body.startswith("Nodyn atgoffa: mae gennych") for message in early)
    _, later_appointment = reminder_case(starts_at=london(4, 11), worker=referral.assigned_worker)
    later_referral = db.session.get(type(referral), later_appointment.referral_id)
    speaking(later_referral, "cy")
    later = planned(later_appointment)
    assert later
    for message in later:
        assert message.body.startswith("Nodyn atgoffa: apwyntiad ar ddydd Sadwrn 5 Rhagfyr am 11:00")
    # Approving the same words again makes no version.
    assert approved("cy", manager, based_on=2, sms_body=changed).number == 2


def test_an_approved_wording_is_never_edited_or_deleted(manager) -> None:
    row = approved("cy", manager)
    with pytest.raises(WordingIsApproved), transaction():
        row.sms_body = "Nodyn: $day $time"
    db.session.rollback()
    with pytest.raises(WordingIsApproved), transaction():
        db.session.delete(db.session.get(MessageWording, row.id))


def test_an_approval_over_a_newer_version_is_refused_and_saves_nothing(manager) -> None:
    approved("cy", manager)
    before = row_counts(tables=ROWS)
    with pytest.raises(MessagesChanged):
        approved("cy", manager, based_on=0, email_subject="Nodyn")
    assert row_counts(tables=ROWS) == before


def test_the_approval_is_audited_by_numbers_never_words(manager) -> None:
    row = approved("cy", manager)
    (event,) = audit_events(action="message_wording.approved")
    assert event.object_id == str(row.id)
    assert event.details == {"scheme_id": main_scheme().id, "language": "cy", "version": 1, "replaces": None}
    assert "Nodyn" not in str(event.details)


# --- the checks ---


def test_a_wording_with_a_denied_word_or_without_its_placeholders_is_refused_naming_the_part() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_parts("cy", welsh(sms_body="Mae gennych apwyntiad yn y lys ar $day am $time."))
    assert caught.value.fields == {
        "sms_body": "The text message contains \u201clys\u201d, a word that could tell someone what the appointment "
        "is about: take it out"
    }
    with pytest.raises(ValidationFailed) as caught:
        check_parts("cy", welsh(email_body="Helo, mae gennych apwyntiad ar $day."))
    assert caught.value.fields == {
        "email_body": "The email must have $day and $time, each written as here, and no other $ value"
    }
    with pytest.raises(ValidationFailed) as caught:
        check_parts("cy", welsh(email_subject="Apwyntiad $day", sms_body=""))
    assert set(caught.value.fields) == {"email_subject", "sms_body"}


# --- the manager's pages ---


def test_the_list_shows_each_language_with_a_catalogue_and_its_status(client, manager) -> None:
    log_in_as(client, manager)
    page = pages.get(client, f"/programmes/{main_scheme().id}")
    assert page.link("Read and approve the messages in each language") == f"/programmes/{main_scheme().id}/messages"
    page = pages.get(client, f"/programmes/{main_scheme().id}/messages")
    rows = {row[0]: row[1:] for row in page.table_rows()}
    assert rows["English"] == ["In use as written: no approval needed", "English's"]
    assert rows["Welsh"] == ["Not approved: her reminders go in English", "Its own and English's"]
    approved("cy", manager)
    rows = {row[0]: row[1:] for row in pages.get(client, f"/programmes/{main_scheme().id}/messages").table_rows()}
    assert rows["Welsh"][0].startswith("Approved: version 1, ")
    assert rows["Welsh"][0].endswith(" by Mo Grant")


def test_a_manager_approves_welsh_on_its_page_and_can_change_the_wording(client, manager) -> None:
    log_in_as(client, manager)
    path = language_path("cy")
    page, data = shown_form(client, path)
    assert data["version"] == "0"
    assert data["sms_body"] == WELSH_SMS
    assert page.form(path).find("button").text.strip() == "Approve these messages"
    data["email_subject"] = "Apwyntiad"
    response = pages.post(client, path, data, status=302, redirect=f"/programmes/{main_scheme().id}/messages")
    assert response is not None
    row = db.session.scalars(select(MessageWording)).one()
    assert (row.language_code, row.number, row.email_subject) == ("cy", 1, "Apwyntiad")
    assert row.approved_by_id == manager.id
    # The same words sent again as a browser sends a textarea (lines ending \r\n): no new version.
    page, again = shown_form(client, path)
    assert again["version"] == "1"
    again = {**again, "email_body": again["email_body"].replace("\n", "\r\n")}
    page = pages.post(client, path, again, status=302, redirect=f"/programmes/{main_scheme().id}/messages")
    assert db.session.scalars(select(MessageWording)).one().number == 1


@pytest.mark.parametrize("word", ["llys", "nhrosedd", "court"])
def test_a_denied_word_is_refused_on_the_page_naming_the_word_and_saving_nothing(client, manager, word) -> None:
    log_in_as(client, manager)
    path = language_path("cy")
    _, data = shown_form(client, path)
    data["email_body"] = f"Helo,\n\nMae gennych apwyntiad ar $day am $time, wrth y {word}.\n\nDiolch"
    before = row_counts(tables=ROWS)
    page = pages.post(client, path, data, status=422)
    message = (
        f"The email contains \u201c{word}\u201d, a word that could tell someone what the appointment is about: "
        "take it out"
    )
    assert page.error_summary == [message]
    assert page.errors["email_body"] == message
    assert page.title.startswith("Error: ")
    assert "Mae gennych apwyntiad ar $day am $time, wrth y" not in " ".join(page.error_summary)
    assert row_counts(tables=ROWS) == before


def test_a_lost_placeholder_is_refused_on_the_page(client, manager) -> None:
    log_in_as(client, manager)
    path = language_path("cy")
    _, data = shown_form(client, path)
    data["sms_body"] = "Nodyn atgoffa: mae gennych apwyntiad ar $day."
    before = row_counts(tables=ROWS)
    page = pages.post(client, path, data, status=422)
    assert (
        page.errors["sms_body"]
        == "The text message must have $day and $time, each written as here, and no other $ value"
    )
    assert row_counts(tables=ROWS) == before


def test_a_page_shown_before_another_approval_is_refused_with_409_and_both_side_by_side(client, manager) -> None:
    log_in_as(client, manager)
    path = language_path("cy")
    _, data = shown_form(client, path)
    approved("cy", create_user(role="manager"), email_subject="Apwyntiad")
    data["sms_body"] = "Nodyn: apwyntiad ar $day am $time."
    before = row_counts(tables=ROWS)
    response = client.post(path, data=data)
    assert response.status_code == 409
    page = pages.read(response)
    assert page.error_summary[0].startswith("Someone else approved these messages")
    assert (page.value("resolved"), page.value("version")) == ("1", "0")
    rows = {row[0].split(" Different")[0]: row[1:] for row in page.table_rows(".app-conflict__table")}
    assert rows["Text message"] == ["Nodyn: apwyntiad ar $day am $time.", WELSH_SMS]
    assert rows["Email subject"] == ["Nodyn atgoffa am apwyntiad", "Apwyntiad"]
    assert row_counts(tables=ROWS) == before
    chosen = {**data, "csrf_token": page.csrf_token, "resolved": "1", "keep-sms_body": "mine"}
    chosen["keep-email_subject"] = "theirs"
    assert client.post(path, data=chosen).status_code == 302
    latest = wording.approved_wording(main_scheme().id, "cy")
    assert (latest.number, latest.sms_body, latest.email_subject) == (
        2,
        "Nodyn: apwyntiad ar $day am $time.",
        "Apwyntiad",
    )


@pytest.mark.parametrize("role", ["worker", "court", "cps", "admin", "operator"])
def test_no_other_role_sees_or_approves_the_messages(client, app_ctx, role) -> None:
    log_in_as(client, create_user(role=role))
    scheme = main_scheme()
    for path in (f"/programmes/{scheme.id}/messages", language_path("cy")):
        assert client.get(path).status_code == 403, path
    # With a good CSRF token (every signed-in page's form carries the session's), so the role is what refuses it.
    token = csrf_token(client, "/account")
    response = client.post(language_path("cy"), data={**welsh(), "version": "0", "csrf_token": token})
    assert response.status_code == 403
    assert row_counts(tables=("message_wordings",)) == {"message_wordings": 0}


def test_another_organisations_or_another_schemes_manager_gets_404(client, app_ctx) -> None:
    elsewhere = create_organisation()
    theirs = create_scheme(organisation=elsewhere)
    stranger = create_user(role="manager", organisation=elsewhere, schemes=[theirs])
    same_org_other_scheme = create_user(role="manager", schemes=[create_scheme()])
    for user in (stranger, same_org_other_scheme):
        log_in_as(client, user)
        for path in (f"/programmes/{main_scheme().id}/messages", language_path("cy"), language_path("en")):
            assert client.get(path).status_code == 404, path
    log_in_as(client, stranger)
    assert client.get(language_path("cy", theirs)).status_code == 200
    # The language must be one with a catalogue.
    assert client.get(f"/programmes/{theirs.id}/messages/ro").status_code == 404
