"""The appointments page in Welsh, for a worker whose account reads the service in Welsh (docs/languages.md, "The
service in Welsh"): the page's own words, its table and its links come from the Welsh catalogue."""

from __future__ import annotations

from datetime import date

import pytest

from diversion.extensions import db
from diversion.referrals.models import State
from tests.factories import book, create_referral, create_user, log_in_as

pytestmark = pytest.mark.clock("2026-12-01 10:00")


def test_a_worker_who_reads_welsh_sees_the_appointments_page_in_welsh(client, app_ctx) -> None:
    worker = create_user(role="worker")
    worker.language = "cy"
    db.session.commit()
    case = create_referral(
        state=State.OPTED_IN, worker=worker, first_hearing_date=date(2026, 11, 1), return_date=date(2027, 1, 15)
    )
    book(referral=case, worker=worker, number=1)
    log_in_as(client, worker)

    page = client.get(f"/cases/{case.id}/appointments").get_data(as_text=True)

    assert '<html lang="cy"' in page
    assert '<h1 class="govuk-heading-l">Apwyntiadau</h1>' in page
    assert "Dim canlyniad eto" in page
    assert "60 munud" in page
    assert 'Cofnodi beth ddigwyddodd<span class="govuk-visually-hidden"> yn apwyntiad 1</span>' in page
    assert "No outcome yet" not in page
