"""The programme screen and the administrator's scheme pages in Welsh, for a person whose account reads the service
in Welsh (docs/languages.md, "The service in Welsh"); the same pages stay English for everyone else."""

from __future__ import annotations

from diversion.db import transaction
from diversion.extensions import db
from diversion.organisations.services import new_programme_version
from tests import pages
from tests.factories import create_user, log_in_as, main_scheme


def reads_welsh(user):
    with transaction():
        db.session.merge(user).language = "cy"
    return user


def test_a_manager_who_reads_welsh_sees_the_programme_in_welsh(client, app_ctx) -> None:
    manager = reads_welsh(create_user(role="manager", display_name="Mo Grant"))
    scheme = main_scheme()
    new_programme_version(scheme, {"retention_years": 6}, manager)
    log_in_as(client, manager)
    response = client.get(f"/programmes/{scheme.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="cy"' in html
    page = pages.get(client, f"/programmes/{scheme.id}")
    assert page.text_of("h1") == "Rhaglen: fersiwn 2"
    summary = page.summary_list("#programme-settings")
    assert summary["Terfyn amser"]
    assert summary["Mewn perygl"] == "Dyddiad dychwelyd o fewn 5 diwrnod gwaith"
    # Six is its own plural form in Welsh.
    assert summary["Cyfnod cadw"] == "6 blynedd ar ôl i'w hachos olaf ddod i ben"
    assert [row[0] for row in page.table_rows()] == ["Fersiwn 2", "Fersiwn 1"]
    assert "Darllen a chymeradwyo'r negeseuon ym mhob iaith" in page.text


def test_the_programme_form_and_its_errors_are_in_welsh(client, app_ctx) -> None:
    manager = reads_welsh(create_user(role="manager"))
    scheme = main_scheme()
    log_in_as(client, manager)
    page = pages.get(client, f"/programmes/{scheme.id}/edit")
    assert page.text_of("h1") == "Newid y rhaglen"
    assert "Enw'r rhaglen" in page.text
    assert "Presenoldeb yn unig" in page.text
    assert "Cadw'r rhaglen" in page.text


def test_an_administrator_who_reads_welsh_sees_the_schemes_in_welsh(client, app_ctx) -> None:
    admin = reads_welsh(create_user(role="admin"))
    log_in_as(client, admin)
    response = client.get("/admin/schemes")
    html = response.get_data(as_text=True)
    assert '<html lang="cy"' in html
    assert "Ychwanegu cynllun" in html
    assert 'Newid<span class="govuk-visually-hidden"> a yw eich sefydliad yn ymatebwr cyntaf</span>' in html
    form = client.get("/admin/schemes/new").get_data(as_text=True)
    assert "Pwy sy&#39;n agor achos" in form or "Pwy sy'n agor achos" in form
    assert "Tîm: mae pob gweithiwr cymorth yn y cynllun yn agor pob achos yn y cynllun" in form


def test_the_same_pages_stay_english_for_an_english_reader(client, app_ctx) -> None:
    manager = create_user(role="manager")
    log_in_as(client, manager)
    page = pages.get(client, f"/programmes/{main_scheme().id}")
    assert page.text_of("h1") == "Programme: version 1"
    assert '<html lang="en"' in client.get("/programmes").get_data(as_text=True)
