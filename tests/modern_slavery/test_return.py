"""The National Referral Mechanism in the funder return (docs/modern-slavery.md): cases with signs of exploitation in
the quarter and what was done about each, counted by hand; small numbers suppressed as the return does (a count from
1 to 4 reads <5, and another part of the total is withheld so that the total cannot give it away); the page, the CSV
and the API say the same; another organisation's cases are not counted."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from diversion.assessments.models import Assessment
from diversion.auth.tokens import create_api_token
from diversion.dates import today
from diversion.extensions import db
from diversion.modern_slavery.services import record_nrm_outcome
from diversion.outcomes import returns
from diversion.outcomes.queries import Scope
from diversion.outcomes.returns import ALL, SMALL, WITHHELD
from diversion.reports.services import Period
from diversion.scoping import counted_for
from tests import pages
from tests.api.conftest import Api
from tests.factories import create_court, create_organisation, create_scheme, create_user, log_in_as
from tests.modern_slavery.helpers import flagged_case, set_first_responder
from tests.outcomes.test_pages import url

pytestmark = pytest.mark.clock("2026-12-01 10:00")

Q4 = (date(2026, 10, 1), date(2026, 12, 31))
QUARTER = {"period": "quarter", "quarter": "2026-Q4"}
KEYS = ("nrm_referred", "duty_to_notify", "nrm_declined", "nrm_not_applicable", "nrm_to_consider", "exploitation_cases")
# Counted by hand: five referred, five Duty to Notify, one declined, none not applicable, five still to consider.
# Not counted: a case with no signs of exploitation, one whose assessment was recorded last quarter, and another
# organisation's case.
EXPECTED = {
    "nrm_referred": 5,
    "duty_to_notify": 5,
    "nrm_declined": 1,
    "nrm_not_applicable": 0,
    "nrm_to_consider": 5,
    "exploitation_cases": 16,
}


@pytest.fixture
def built(app_ctx):
    set_first_responder(True)
    worker = create_user(role="worker")
    for outcome, number in (("nrm_referred", 5), ("duty_to_notify", 5), ("declined", 1), (None, 5)):
        for _ in range(number):
            referral = flagged_case(worker)
            if outcome is not None:
                record_nrm_outcome(referral, worker, outcome=outcome, decided_on=today())
    flagged_case(worker, indicators=())
    earlier = flagged_case(worker)
    db.session.execute(
        update(Assessment)
        .where(Assessment.referral_id == earlier.id)
        .values(completed_at=datetime(2026, 9, 30, 12, tzinfo=UTC))
    )
    organisation = create_organisation()
    scheme = create_scheme(organisation=organisation)
    outsider = create_user(role="worker", organisation=organisation, schemes=[scheme])
    flagged_case(outsider, court=create_court(schemes=[scheme]))
    db.session.commit()
    return create_user(role="manager")


def _cells(report: returns.FunderReturn) -> dict[str, object]:
    return {item.indicator.key: item.cell(ALL).value for item in report.figures if item.indicator.key in KEYS}


def test_the_counts_match_the_hand_count_unsuppressed(built) -> None:
    report = returns.funder_return(Period(*Q4), Scope(*Q4, counted=counted_for(built)), suppressed=False)
    assert _cells(report) == EXPECTED


def test_small_numbers_are_suppressed_with_a_second_part_withheld(built) -> None:
    report = returns.funder_return(Period(*Q4), Scope(*Q4, counted=counted_for(built)))
    shown = _cells(report)
    assert shown["nrm_declined"] == SMALL
    # The total shows, so one more part is withheld: otherwise 16 - 5 - 5 - 5 - 0 would say the 1.
    withheld = [key for key in ("nrm_referred", "duty_to_notify", "nrm_to_consider") if shown[key] == WITHHELD]
    assert len(withheld) == 1
    assert shown["exploitation_cases"] == 16
    assert shown["nrm_not_applicable"] == 0


def test_the_page_csv_and_api_carry_the_lines_suppressed(client, built) -> None:
    log_in_as(client, built)
    page = pages.get(client, url("/outcomes/return", QUARTER))
    for name in ("Modern slavery: NRM referrals made", "Modern slavery: NRM referral still to consider"):
        assert name in page.text
    rows = list(csv.DictReader(io.StringIO(client.get(url("/outcomes/return.csv", QUARTER)).get_data(as_text=True))))
    by_key = {(row["indicator"], row["group"]): row["value"] for row in rows}
    assert by_key[("nrm_declined", "All")] == SMALL
    assert by_key[("exploitation_cases", "All")] == "16"
    whole = client.get(url("/outcomes/return.csv", {**QUARTER, "suppress": "false"})).get_data(as_text=True)
    by_key = {(row["indicator"], row["group"]): row["value"] for row in csv.DictReader(io.StringIO(whole))}
    assert {key: int(by_key[(key, "All")]) for key in KEYS} == EXPECTED
    api = Api(client, create_api_token(built))
    body = api.get("/reports/outcomes?from=2026-10-01&to=2026-12-31").get_json()
    values = {item["key"]: item["rows"][0]["value"] for item in body["indicators"] if item["key"] in KEYS}
    assert values["nrm_declined"] == SMALL
    assert values["exploitation_cases"] == 16
