"""The case pages in Welsh: a support worker whose account reads the service in Welsh gets the overview, its
labels and the names of the case's sections in Welsh, and the page says so to her browser and screen reader."""

from __future__ import annotations

from diversion.extensions import db
from tests.factories import create_referral, create_user, log_in_as


def test_a_worker_who_reads_welsh_gets_the_case_overview_in_welsh(client, app_ctx) -> None:
    worker = create_user(role="worker")
    worker.language = "cy"
    db.session.commit()
    referral = create_referral(worker=worker)
    log_in_as(client, worker)
    html = client.get(f"/cases/{referral.id}").get_data(as_text=True)
    assert '<html lang="cy"' in html
    assert "Trosolwg" in html  # Overview
    assert "Cysylltu â hi&#39;n ddiogel" in html or "Cysylltu â hi'n ddiogel" in html  # Contacting her safely
    assert "Dyddiad dychwelyd" in html  # Return date
    assert "Llwyth achosion" in html  # the back link to the caseload
    assert "Contacting her safely" not in html


def test_the_caseload_reads_in_welsh_with_its_tabs_and_table(client, app_ctx) -> None:
    worker = create_user(role="worker")
    worker.language = "cy"
    db.session.commit()
    create_referral(worker=worker)
    log_in_as(client, worker)
    html = client.get("/cases?tab=mine").get_data(as_text=True)
    assert '<html lang="cy"' in html
    assert "Fy achosion" in html  # My cases
    assert "Apwyntiad nesaf" in html  # Next appointment
    assert "Next appointment" not in html


def test_every_page_of_a_case_and_the_lists_open_in_welsh(client, app_ctx) -> None:
    manager = create_user(role="manager")
    manager.language = "cy"
    db.session.commit()
    referral = create_referral(state="OPTED_IN", worker=manager)
    log_in_as(client, manager)
    for path in (
        f"/cases/{referral.id}",
        f"/cases/{referral.id}/consent",
        f"/cases/{referral.id}/history",
        f"/cases/{referral.id}/withdraw",
        f"/cases/{referral.id}/return-date",
        f"/cases/{referral.id}/worker",
        f"/cases/{referral.id}/merge",
        "/cases/new",
        "/cases?tab=today",
        "/cases?tab=unresolved",
        "/court-day",
    ):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert '<html lang="cy"' in html, path
