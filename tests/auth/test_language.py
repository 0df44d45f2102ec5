"""The language of the service (docs/languages.md, "The service in Welsh"): chosen on the account page and audited;
picked with the sign-in page's link before signing in; never the API's, which stays English."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from diversion.audit.models import AuditEvent
from diversion.auth.models import User
from diversion.auth.tokens import create_api_token
from diversion.dates import today
from diversion.db import transaction
from diversion.extensions import db
from diversion.notices.services import notice_for
from tests import pages
from tests.factories import create_court, create_referral, create_user, csrf_token, log_in_as


def _fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def _changes(user: User) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "user.language_changed", AuditEvent.object_id == str(user.id))
            .order_by(AuditEvent.id)
        )
    )


def _post(client: FlaskClient, **data: str) -> Any:
    return client.post("/account/language", data={**data, "csrf_token": csrf_token(client, "/account/language")})


def _html_lang(page: pages.Page) -> str | None:
    return page.soup.find("html").get("lang")


def _welsh(user: User) -> User:
    with transaction():
        db.session.merge(user).language = "cy"
    return _fresh(user)


# --- on the account ---


def test_the_account_page_shows_the_language_with_a_change_link(client, app_ctx) -> None:
    worker = create_user(role="worker")
    log_in_as(client, worker)
    page = pages.read(client.get("/account"))
    assert page.summary_list()["Language"].startswith("English")
    assert 'href="/account/language"' in page.html
    form = pages.read(client.get("/account/language"))
    # Each language in its own name, marked as that language; a worker has no court's default to keep.
    assert form.checked("language") == ["en"]
    assert [tag["value"] for tag in form.inputs("language")] == ["en", "cy"]
    assert form.soup.find("label", attrs={"for": "language-2"}).get("lang") == "cy"
    assert "Cymraeg" in form.text
    assert "Your court's default" not in form.text


def test_saving_welsh_changes_the_language_audits_it_and_the_pages_follow(client, app_ctx) -> None:
    worker = create_user(role="worker")
    log_in_as(client, worker)
    response = _post(client, language="cy")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert _fresh(worker).language == "cy"
    [event] = _changes(worker)
    assert event.actor_id == worker.id
    assert event.details == {"from": None, "to": "cy"}
    page = pages.read(client.get("/account"))
    assert _html_lang(page) == "cy"
    # The flash is in the language just chosen.
    assert "Mae eich iaith wedi'i chadw." in page.text
    assert "Your language has been saved." not in page.text
    # Saving the same language again changes nothing and audits nothing more.
    assert _post(client, language="cy").status_code == 302
    assert len(_changes(worker)) == 1
    # And back to English, with its flash in English.
    assert _post(client, language="en").status_code == 302
    page = pages.read(client.get("/account"))
    assert _html_lang(page) == "en"
    assert "Your language has been saved." in page.text
    assert [event.details for event in _changes(worker)] == [{"from": None, "to": "cy"}, {"from": "cy", "to": "en"}]


def test_a_court_user_may_go_back_to_the_courts_default(client, app_ctx) -> None:
    court = create_court()
    with transaction():
        db.session.merge(court).default_language = "cy"
    clerk = create_user(role="court", court=court)
    log_in_as(client, clerk)
    form = pages.read(client.get("/account/language"))
    assert form.checked("language") == ["court"]
    assert _html_lang(form) == "cy"  # the court's default, before any choice of hers
    assert _post(client, language="en").status_code == 302
    assert _fresh(clerk).language == "en"
    page = pages.read(client.get("/account/language"))
    assert _html_lang(page) == "en"
    assert "Your court's default (Cymraeg)" in page.text
    assert _post(client, language="court").status_code == 302
    assert _fresh(clerk).language is None
    assert _html_lang(pages.read(client.get("/account"))) == "cy"
    assert [event.details for event in _changes(clerk)] == [{"from": None, "to": "en"}, {"from": "en", "to": None}]


@pytest.mark.parametrize("value", ["", "fr", "court", "CY", "cy "])
def test_a_bad_value_is_refused_with_the_error_summary_and_changes_nothing(client, app_ctx, value: str) -> None:
    # A worker has no court: "court" is not one of her choices.
    worker = create_user(role="worker")
    log_in_as(client, worker)
    response = _post(client, language=value)
    assert response.status_code == 200
    page = pages.read(response)
    assert "Select the language you want to use" in page.text_of(".govuk-error-summary")
    assert page.title.startswith("Error:")
    assert _fresh(worker).language is None
    assert _changes(worker) == []


def test_the_language_form_needs_its_csrf_token(client, app_ctx) -> None:
    worker = create_user(role="worker")
    log_in_as(client, worker)
    response = client.post("/account/language", data={"language": "cy"})
    assert response.status_code == 400
    assert _fresh(worker).language is None
    assert _changes(worker) == []


def test_the_language_page_needs_a_signed_in_user(client, app_ctx) -> None:
    response = client.get("/account/language")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_a_welsh_account_reads_its_pages_in_welsh(client, app_ctx) -> None:
    worker = _welsh(create_user(role="worker"))
    log_in_as(client, worker)
    page = pages.read(client.get("/account"))
    assert _html_lang(page) == "cy"
    assert "Tocynnau API" in page.text
    assert "Eich cyfrif" in page.text
    assert page.summary_list()["Iaith"].startswith("Cymraeg")
    alerts = pages.read(client.get("/alerts"))
    assert _html_lang(alerts) == "cy"
    assert "Nid oes gennych unrhyw rybuddion." in alerts.text


# --- signed out: the sign-in page's link ---


def test_the_sign_in_page_links_to_the_other_language_and_the_link_sets_it(client, app_ctx) -> None:
    page = pages.read(client.get("/sign-in?next=/cases"))
    link = page.soup.find("a", id="switch-language")
    assert link.get_text(strip=True) == "Cymraeg"
    assert link["lang"] == "cy"
    assert link["hreflang"] == "cy"
    response = client.get(link["href"])
    assert response.status_code == 302
    # Back to the sign-in page, with the page it was to go on to afterwards.
    assert response.headers["Location"] == "/sign-in?next=/cases"
    with client.session_transaction() as flask_session:
        assert flask_session["language"] == "cy"
    welsh = pages.read(client.get("/sign-in?next=/cases"))
    assert _html_lang(welsh) == "cy"
    assert welsh.title.startswith("Mewngofnodi")
    link = welsh.soup.find("a", id="switch-language")
    assert (link.get_text(strip=True), link["lang"], link["hreflang"]) == ("English", "en", "en")
    assert client.get(link["href"]).status_code == 302
    assert _html_lang(pages.read(client.get("/sign-in"))) == "en"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/sign-in", "/\\evil.example", "http:/evil.example", "javascript:alert(1)"],
)
def test_the_language_link_never_leads_off_the_site(client, app_ctx, target: str) -> None:
    response = client.get("/language/cy", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"
    with client.session_transaction() as flask_session:
        assert flask_session["language"] == "cy"


@pytest.mark.parametrize("code", ["fr", "CY", "english", "xx"])
def test_only_english_and_welsh_may_be_picked(client, app_ctx, code: str) -> None:
    assert client.get(f"/language/{code}").status_code == 404
    with client.session_transaction() as flask_session:
        assert "language" not in flask_session


def test_a_signed_in_persons_account_language_wins_over_the_link(client, app_ctx) -> None:
    worker = create_user(role="worker")
    log_in_as(client, worker)
    assert client.get("/language/cy").status_code == 302
    assert _html_lang(pages.read(client.get("/account"))) == "en"
    assert _fresh(worker).language is None


# --- the API stays English ---


def test_the_api_answers_in_english_to_a_welsh_account(client, app_ctx) -> None:
    cps = _welsh(create_user(role="cps"))
    notice = notice_for(create_referral(state="WITHDRAWN"))
    token = create_api_token(cps)
    tomorrow = today() + timedelta(days=1)
    response = client.post(
        f"/api/v1/notices/{notice.id}/acknowledge",
        json={"decision": "proceeding", "decided_on": tomorrow.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    assert "The date of the decision must be today or in the past" in text
    assert "Rhaid i ddyddiad y penderfyniad" not in text
    # The same refusal on the page is in Welsh.
    log_in_as(client, cps)
    path = f"/notices/{notice.id}/acknowledge"
    page = client.post(
        path,
        data={
            "decision": "proceeding",
            "decided_on-day": str(tomorrow.day),
            "decided_on-month": str(tomorrow.month),
            "decided_on-year": str(tomorrow.year),
            "csrf_token": csrf_token(client, path),
        },
    ).get_data(as_text=True)
    assert "Rhaid i ddyddiad y penderfyniad fod heddiw neu yn y gorffennol" in page
