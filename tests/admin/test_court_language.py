"""A court can default its staff to Welsh (docs/languages.md, "The service in Welsh"): the administrator's court form
sets the language its staff see the service in; a court user who has chosen no language on their own account reads
the service in it, one who has chosen one reads theirs; anything but English or Welsh is refused and changes nothing.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from diversion.admin import services
from diversion.audit.models import AuditEvent
from diversion.auth.models import User
from diversion.courts.models import Court
from diversion.db import transaction
from diversion.errors import ValidationFailed
from diversion.extensions import db
from tests import pages
from tests.factories import create_court, create_user, log_in_as

LANGUAGE_MISSING = "Select the language its staff see the service in"


@pytest.fixture
def admin(app_ctx) -> User:
    return create_user(role="admin", email="court.language.admin@example.org", display_name="Language Admin")


@pytest.fixture
def admin_client(client: FlaskClient, admin) -> FlaskClient:
    return log_in_as(client, admin)


@pytest.fixture
def court(app_ctx) -> Court:
    return create_court(code="CAE1", name="Caernarfon Magistrates' Court")


def _fresh_court(court_id: int) -> Court:
    db.session.expire_all()
    return db.session.get(Court, court_id)


def _events(action: str, court_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.object_id == str(court_id))
            .order_by(AuditEvent.id)
        )
    )


def _audit_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _html_lang(page: pages.Page) -> str:
    return str(page.select_one("html")["lang"])


def _set_language(user: User, language: str | None) -> None:
    with transaction():
        db.session.merge(user).language = language


def test_the_court_form_offers_each_language_in_its_own_name(admin_client, court) -> None:
    page = pages.get(admin_client, f"/admin/courts/{court.id}/edit")
    assert [tag["value"] for tag in page.inputs("default_language")] == ["en", "cy"]
    assert page.checked("default_language") == ["en"]
    legend = page.select_one("fieldset:has(input[name=default_language]) legend")
    assert pages.normalise(legend.get_text(" ")) == "Language its staff see the service in"
    labels = {str(label["for"]): label for label in page.select("label.govuk-radios__label")}
    english, welsh = (labels[str(tag["id"])] for tag in page.inputs("default_language"))
    assert (english.get_text(strip=True), english["lang"]) == ("English", "en")
    assert (welsh.get_text(strip=True), welsh["lang"]) == ("Cymraeg", "cy")
    assert pages.get(admin_client, "/admin/courts/new").checked("default_language") == ["en"]


def test_an_administrator_defaults_a_court_to_welsh_and_it_is_audited(admin_client, admin, court) -> None:
    pages.post(
        admin_client,
        f"/admin/courts/{court.id}/edit",
        {"code": court.code, "name": court.name, "default_language": "cy"},
        status=302,
        redirect="/admin/courts",
    )
    saved = _fresh_court(court.id)
    assert saved.default_language == "cy"
    assert (saved.code, saved.name) == ("CAE1", "Caernarfon Magistrates' Court")
    (event,) = _events("court.updated", court.id)
    assert event.actor_id == admin.id
    assert event.details == {"default_language_from": "en", "default_language": "cy"}
    assert pages.get(admin_client, f"/admin/courts/{court.id}/edit").checked("default_language") == ["cy"]

    # A rename that leaves the language as it is says nothing of the language.
    pages.post(
        admin_client,
        f"/admin/courts/{court.id}/edit",
        {"code": court.code, "name": "Caernarfon Justice Centre", "default_language": "cy"},
        status=302,
    )
    assert _fresh_court(court.id).default_language == "cy"
    assert _events("court.updated", court.id)[-1].details is None

    # And back to English.
    pages.post(
        admin_client,
        f"/admin/courts/{court.id}/edit",
        {"code": court.code, "name": "Caernarfon Justice Centre", "default_language": "en"},
        status=302,
    )
    assert _fresh_court(court.id).default_language == "en"
    assert _events("court.updated", court.id)[-1].details == {
        "default_language_from": "cy",
        "default_language": "en",
    }


def test_a_new_court_can_start_in_welsh_and_one_without_the_field_is_english(admin_client) -> None:
    pages.post(
        admin_client,
        "/admin/courts/new",
        {"code": "ABE1", "name": "Aberystwyth Magistrates' Court", "default_language": "cy"},
        status=302,
        redirect="/admin/courts",
    )
    welsh = services.court_by_code("ABE1")
    assert welsh is not None
    assert welsh.default_language == "cy"
    (event,) = _events("court.created", welsh.id)
    assert event.details == {"default_language": "cy"}

    pages.post(admin_client, "/admin/courts/new", {"code": "ENG1", "name": "Englefield Court"}, status=302)
    english = services.court_by_code("ENG1")
    assert english is not None
    assert english.default_language == "en"
    assert _events("court.created", english.id)[0].details is None


def test_a_court_left_out_of_the_post_keeps_its_language(admin_client, court) -> None:
    with transaction():
        db.session.merge(court).default_language = "cy"
    pages.post(
        admin_client, f"/admin/courts/{court.id}/edit", {"code": court.code, "name": "Renamed Court"}, status=302
    )
    saved = _fresh_court(court.id)
    assert (saved.name, saved.default_language) == ("Renamed Court", "cy")


@pytest.mark.parametrize("value", ["fr", "", "CY", "cy-GB", "English"])
def test_anything_but_english_or_welsh_is_refused_and_changes_nothing(admin_client, court, value: str) -> None:
    before = _audit_count()
    page = pages.post(
        admin_client,
        f"/admin/courts/{court.id}/edit",
        {"code": court.code, "name": "Should Not Be Saved", "default_language": value},
    )
    assert page.error_summary == [LANGUAGE_MISSING]
    assert page.errors["default_language"].endswith(LANGUAGE_MISSING)
    saved = _fresh_court(court.id)
    assert (saved.name, saved.default_language) == ("Caernarfon Magistrates' Court", "en")
    assert _audit_count() == before

    page = pages.post(
        admin_client,
        "/admin/courts/new",
        {"code": "BAD1", "name": "Bad Language Court", "default_language": value},
    )
    assert page.error_summary == [LANGUAGE_MISSING]
    assert services.court_by_code("BAD1") is None


def test_the_service_refuses_another_language_too(admin, court) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.save_court(court.code, court.name, court, actor=admin, language="fr")
    assert refused.value.fields == {"default_language": LANGUAGE_MISSING}
    assert _fresh_court(court.id).default_language == "en"


def test_a_court_user_with_no_language_of_their_own_sees_the_service_in_her_court_s(admin_client, court) -> None:
    pages.post(
        admin_client,
        f"/admin/courts/{court.id}/edit",
        {"code": court.code, "name": court.name, "default_language": "cy"},
        status=302,
    )
    staff = create_user(role="court", court=_fresh_court(court.id))
    assert staff.language is None
    client = log_in_as(admin_client, staff)
    assert _html_lang(pages.get(client, "/home")) == "cy"
    assert _html_lang(pages.get(client, "/court-day")) == "cy"


def test_a_court_user_who_chose_english_keeps_it_at_a_welsh_court(client, court) -> None:
    with transaction():
        db.session.merge(court).default_language = "cy"
    staff = create_user(role="court", court=court)
    _set_language(staff, "en")
    signed_in = log_in_as(client, staff)
    page = pages.get(signed_in, "/home")
    assert _html_lang(page) == "en"
    assert page.title.startswith("Home")


def test_a_court_user_at_an_english_court_reads_english(client, court) -> None:
    staff = create_user(role="court", court=court)
    assert _html_lang(pages.get(log_in_as(client, staff), "/home")) == "en"


# --- in Welsh (needs the Welsh catalogue to hold the administration pages' words) ---


def test_the_court_form_reads_in_welsh_for_an_administrator_who_reads_welsh(admin_client, admin, court) -> None:
    _set_language(admin, "cy")
    page = pages.get(admin_client, f"/admin/courts/{court.id}/edit")
    assert _html_lang(page) == "cy"
    assert page.text_of("h1") == "Newid llys"
    legend = page.select_one("fieldset:has(input[name=default_language]) legend")
    assert pages.normalise(legend.get_text(" ")) == "Yr iaith y mae ei staff yn gweld y gwasanaeth ynddi"
    # The languages keep their own names whatever the page's language.
    assert [pages.normalise(label.get_text(" ")) for label in page.select("label.govuk-radios__label")] == [
        "English",
        "Cymraeg",
    ]
    refused = pages.post(
        admin_client,
        f"/admin/courts/{court.id}/edit",
        {"code": court.code, "name": court.name, "default_language": "fr"},
    )
    assert refused.error_summary == ["Dewiswch yr iaith y mae ei staff yn gweld y gwasanaeth ynddi"]
    courts = pages.get(admin_client, "/admin/courts")
    assert courts.text_of("h1") == "Llysoedd"
    assert courts.table_rows()[0][:2] == ["CAE1", "Caernarfon Magistrates' Court"]
    assert "Newid Caernarfon Magistrates' Court" in courts.table_rows()[0]
