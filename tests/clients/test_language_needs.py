"""Her language, interpreter need and reading help (docs/languages.md): the list of languages, the one check, the
service that changes them (audited by field name, a stale save refused), the intake and edit forms with their error
states and the 409 comparison, the prompt on every booking page, and who never sees the reading-help note."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from diversion.audit.models import AuditEvent
from diversion.clients.language_needs import (
    LanguageNeeds,
    change_language_needs,
    check_language_needs,
    language_needs_of,
)
from diversion.clients.languages import LANGUAGES, language_choices, language_name, short_name
from diversion.clients.models import Client
from diversion.dates import today
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.referrals.models import Referral
from tests import pages
from tests.factories import (
    audit_events,
    create_court,
    create_referral,
    create_user,
    csrf_token,
    date_fields,
    log_in_as,
    raw_column,
    referral_input,
    take_referral,
)

NOTE = "Reads a little; go through letters with her. " + uuid.uuid4().hex


def _needs(**values) -> LanguageNeeds:
    return check_language_needs(
        language=values.get("language"),
        interpreter_needed=values.get("interpreter_needed"),
        interpreter_language=values.get("interpreter_language"),
        reading_help=values.get("reading_help"),
    )


def _stored(referral) -> Client:
    db.session.expire_all()
    return db.session.get(Referral, referral.id).client


# --- the list and the check ---


def test_the_list_is_the_whole_iso_639_1_set_with_english_first() -> None:
    assert len(LANGUAGES) == 184
    assert all(len(code) == 2 and code.islower() for code in LANGUAGES)
    assert language_choices()[0] == ("en", "English")
    assert {code for code, _ in language_choices()} == set(LANGUAGES)
    assert language_name("ro") == "Romanian; Moldavian; Moldovan"
    assert short_name("ro") == "Romanian"
    assert short_name("el") == "Greek"
    assert language_name(None) == ""
    assert short_name("") == ""


def test_an_interpreter_defaults_to_her_language_when_it_is_not_english() -> None:
    assert _needs(language="ro", interpreter_needed=True).interpreter_language == "ro"
    assert _needs(language="ro", interpreter_needed=True, interpreter_language="ru").interpreter_language == "ru"
    # She needs none: a language given for one is not kept.
    assert _needs(language="ro", interpreter_needed=False, interpreter_language="ro").interpreter_language is None
    assert _needs().as_api() == {
        "language": None,
        "interpreter": {"needed": False, "language": None},
        "reading_help": None,
    }


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"language": "xx"}, "language", "Select her preferred language from the list"),
        ({"language": "RO"}, "language", "Select her preferred language from the list"),
        ({"language": "en", "interpreter_needed": True}, "interpreter.language", "Select the language she needs"),
        ({"interpreter_needed": True}, "interpreter.language", "Select the language she needs"),
        (
            {"interpreter_needed": True, "interpreter_language": "zz"},
            "interpreter.language",
            "Select the language she needs an interpreter for from the list",
        ),
        ({"reading_help": "x" * 501}, "reading_help", "500 characters or fewer"),
    ],
)
def test_what_breaks_the_rule_is_refused_naming_the_field(values, field: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _needs(**values)
    assert words in refused.value.fields[field]


# --- the service ---


def test_a_change_is_saved_audited_by_field_name_and_moves_the_case_on(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker)
    version = referral.version
    change_language_needs(referral, LanguageNeeds("ro", True, None, NOTE), version, worker)
    client = _stored(referral)
    assert (client.language_code, client.is_interpreter_needed, client.interpreter_language_code) == ("ro", True, "ro")
    assert client.reading_help == NOTE
    # The note is encrypted under her key: not in the row as text.
    assert NOTE.encode() not in bytes(raw_column(model=Client, column="reading_help", row_id=client.id))
    assert db.session.get(Referral, referral.id).version == version + 1
    [event] = audit_events(case_id=referral.id, action="clients.language_needs_set")
    assert event.details["changed"] == ["language", "interpreter.needed", "interpreter.language", "reading_help"]
    assert NOTE not in json.dumps(event.details)
    assert "ro" not in event.details["changed"]


def test_a_stale_save_is_refused_and_changes_nothing(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker)
    stale = referral.version
    change_language_needs(referral, LanguageNeeds("pl"), stale, worker)
    with pytest.raises(Conflict):
        change_language_needs(referral, LanguageNeeds("ro", True), stale, worker)
    client = _stored(referral)
    assert (client.language_code, client.is_interpreter_needed) == ("pl", None)
    assert len(audit_events(case_id=referral.id, action="clients.language_needs_set")) == 1


def test_a_refused_change_saves_nothing(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(worker=worker)
    version = referral.version
    with pytest.raises(ValidationFailed):
        change_language_needs(referral, LanguageNeeds("xx"), version, worker)
    assert _stored(referral).language_code is None
    assert db.session.get(Referral, referral.id).version == version
    assert audit_events(case_id=referral.id, action="clients.language_needs_set") == []


def test_intake_records_them_and_a_new_referral_of_her_keeps_what_it_does_not_answer(app_ctx) -> None:
    worker = create_user(role="worker")
    data = referral_input()
    data.language_needs = LanguageNeeds("ro", True, None, NOTE)
    first = take_referral(data, worker)
    assert language_needs_of(_stored(first)) == LanguageNeeds("ro", True, "ro", NOTE)
    again = referral_input(family_name=str(first.client.family_name), link_client_id=first.client_id)
    again.language_needs = LanguageNeeds("ro")
    second = take_referral(again, worker)
    assert second.client_id == first.client_id
    assert language_needs_of(_stored(second)) == LanguageNeeds("ro", True, "ro", NOTE)


def test_intake_refuses_an_unknown_code_under_the_clients_path(app_ctx) -> None:
    data = referral_input()
    data.language_needs = LanguageNeeds("xx", True, "qq")
    with pytest.raises(ValidationFailed) as refused:
        take_referral(data, create_user(role="worker"))
    assert set(refused.value.fields) == {"client.language", "client.interpreter.language"}


# --- the pages ---


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def case(worker):
    return create_referral(state="OPTED_IN", worker=worker)


@pytest.fixture
def signed_in(client, worker):
    return log_in_as(client, worker)


def path(case) -> str:
    return f"/cases/{case.id}/language"


def answers(client, case, *, version: int, **values) -> dict:
    return {
        "csrf_token": csrf_token(client, path(case)),
        "version": str(version),
        "language": "ro",
        "interpreter_needed": "yes",
        "interpreter_language": "",
        "reading_help": NOTE,
        **values,
    }


def test_the_page_saves_her_needs_and_the_overview_and_bookings_show_them(signed_in, case) -> None:
    page = pages.get(signed_in, path(case))
    assert page.title.startswith("Her language and reading - Case")
    assert page.selected("language") == [""]
    assert page.checked("interpreter_needed") == ["unknown"]
    pages.post(
        signed_in,
        path(case),
        answers(signed_in, case, version=case.version),
        status=302,
        redirect=f"/cases/{case.id}",
    )
    overview = pages.get(signed_in, f"/cases/{case.id}")
    rows = overview.summary_list("#main-content .govuk-summary-list:last-of-type")
    assert rows["Preferred language"] == "Romanian; Moldavian; Moldovan"
    assert rows["Interpreter"] == "Needed: Romanian; Moldavian; Moldovan"
    assert rows["Help with reading"] == NOTE
    for booking_page in (f"/cases/{case.id}/appointments", f"/cases/{case.id}/appointments/new?number=1"):
        prompt = pages.get(signed_in, booking_page).select_one(".app-interpreter-prompt")
        assert "Book an interpreter: Romanian" in prompt.get_text(" ")
    again = pages.get(signed_in, path(case))
    assert again.selected("language") == ["ro"]
    assert again.checked("interpreter_needed") == ["yes"]
    assert again.value("reading_help") == NOTE


def test_no_prompt_when_she_needs_no_interpreter(signed_in, case, worker) -> None:
    change_language_needs(case, LanguageNeeds("ro", False), case.version, worker)
    page = pages.get(signed_in, f"/cases/{case.id}/appointments")
    assert page.select(".app-interpreter-prompt") == []
    assert "Book an interpreter" not in page.text


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"language": "xx"},
            "language",
            "Select her preferred language from the list (an ISO 639-1 code, like ro for Romanian)",
        ),
        ({"language": "en"}, "interpreter_language", "Select the language she needs an interpreter for"),
        ({"reading_help": "x" * 501}, "reading_help", "The answer must be 500 characters or fewer"),
    ],
)
def test_the_page_refuses_bad_answers_with_an_error_summary(signed_in, case, values, field, message) -> None:
    page = pages.post(signed_in, path(case), answers(signed_in, case, version=case.version, **values))
    assert page.title.startswith("Error: ")
    assert page.error_summary[0].startswith(message.split(" (")[0][:40])
    assert field in page.errors
    client = _stored(case)
    assert client.language_code is None
    assert client.reading_help is None


def test_a_stale_page_shows_both_answers_and_saves_nothing_until_she_chooses(signed_in, case, app) -> None:
    colleague = create_user(role="worker")
    theirs = log_in_as(app.test_client(), colleague)
    version = case.version
    mine = answers(signed_in, case, version=version)
    pages.post(
        theirs, path(case), answers(theirs, case, version=version, language="pl", interpreter_needed="no"), status=302
    )
    page = pages.post(signed_in, path(case), mine, status=409)
    assert page.title.startswith("Error: ")
    assert page.error_summary[0].startswith("Someone else changed this case")
    assert "Polish" in page.text
    assert "Romanian; Moldavian; Moldovan" in page.text
    assert _stored(case).language_code == "pl"
    resolved = str(db.session.get(Referral, case.id).version)
    # Saved again with the comparison's marker but no choice: refused, naming each difference.
    refused = pages.post(signed_in, path(case), {**mine, "resolved": resolved}, status=409)
    assert any("Choose which answer to keep" in line for line in refused.error_summary)
    assert _stored(case).language_code == "pl"
    pages.post(signed_in, path(case), {**mine, "resolved": resolved, "keep-all": "mine"}, status=302)
    client = _stored(case)
    assert (client.language_code, client.interpreter_language_code, client.reading_help) == ("ro", "ro", NOTE)


def test_the_new_referral_form_asks_them_and_refuses_an_unknown_code(signed_in, app_ctx) -> None:
    court = create_court()
    start = today()
    form = {
        "court": court.code,
        "urn": "01/ab/54329/26",
        "offence": "SOA1959_S1",
        **date_fields("first_hearing_date", start),
        **date_fields("return_date", start + timedelta(days=21)),
        "given_name": "Ana",
        "family_name": f"Langtest{uuid.uuid4().hex[:6]}",
        **date_fields("date_of_birth", date(1992, 4, 3)),
        "may_text": "unknown",
        "may_voicemail": "unknown",
        "language": "zz",
        "interpreter_needed": "yes",
        "interpreter_language": "",
        "reading_help": NOTE,
    }
    page = pages.post(signed_in, "/cases/new", form)
    assert page.title.startswith("Error: ")
    assert "language" in page.errors
    assert "interpreter_language" in page.errors
    assert page.value("reading_help") == NOTE
    pages.post(signed_in, "/cases/new", {**form, "language": "ro"}, status=302)
    client = db.session.scalars(select(Client).order_by(Client.created_at.desc())).first()
    assert language_needs_of(client) == LanguageNeeds("ro", True, "ro", NOTE)


# --- who sees what ---


@pytest.mark.parametrize("role", ["court", "cps", "admin"])
def test_court_cps_and_admin_never_see_or_change_them(client, case, worker, role: str) -> None:
    change_language_needs(case, LanguageNeeds("ro", True, None, NOTE), case.version, worker)
    user = create_user(role=role, court=case.court) if role == "court" else create_user(role=role)
    log_in_as(client, user)
    response = client.get(path(case))
    assert response.status_code in (403, 404)
    assert NOTE not in response.get_data(as_text=True)
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    refused = client.post(path(case), data={"language": "pl", "version": str(case.version)})
    assert refused.status_code in (400, 403, 404)
    assert _stored(case).language_code == "ro"
    assert (
        db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.id > before, AuditEvent.action == "clients.language_needs_set")
        )
        is None
    )
    if role != "admin":
        status = client.get(f"/cases/{case.id}/status")
        assert status.status_code == 200
        text = status.get_data(as_text=True)
        assert NOTE not in text
        assert "Book an interpreter" not in text
        assert "Romanian" not in text
