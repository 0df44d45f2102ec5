"""The completion report across organisations and schemes: a manager's report (page, chart, CSV, API) counts her
schemes' cases and nothing of another organisation's; with two schemes, each beside a total that is their sum; a
scheme is chosen by its short name, and one that is not hers is refused; court and CPS users keep their courts'
reports; a three-appointment order counts as completed only once its own programme version says so.

The cases are in tests/reports/organisations.py, with their figures counted by hand."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from diversion.auth.tokens import create_api_token
from diversion.extensions import db
from diversion.organisations.services import new_programme_version
from diversion.referrals.models import Referral, State
from diversion.referrals.programme import programme_with_appointments
from diversion.reports import services
from diversion.reports.scope import choose
from diversion.scoping import cases_filter, counted_for
from tests import pages
from tests.api.conftest import Api, error_of
from tests.factories import attend, book, create_referral, create_user, log_in_as, save_agreed_plan
from tests.reports.organisations import (
    MARKER,
    NORTHGATE,
    ORG_A,
    ORG_B,
    SHARED_COURT,
    SOUTHPORT,
    build_organisations,
)

PAGE, CHART, CSV = "/reports/completion", "/reports/completion/chart.svg", "/reports/completion.csv"
API = "/reports/completion"
LABELS = {label: key for key, label, _ in services.FIGURES}
KEYS = [key for key, _, _ in services.FIGURES]


@pytest.fixture
def orgs(app_ctx):
    return build_organisations()


def url(path: str, **args: str) -> str:
    return f"{path}?{urlencode(args)}" if args else path


def figures_on(page: pages.Page) -> dict[str, int]:
    return {LABELS[label]: int(value) for label, value, _ in page.table_rows("table.govuk-table#figures")}


def by_scheme_on(page: pages.Page) -> dict[str, dict[str, int]]:
    """The table by scheme: each row's name and its counts (the completion rate left aside)."""
    return {row[0]: dict(zip(KEYS, map(int, row[1:-1]), strict=True)) for row in page.table_rows("table#schemes")}


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def counts(row: dict) -> dict[str, int]:
    return {key: int(row[key]) for key in KEYS}


def api(client, user) -> Api:
    return Api(client, create_api_token(user))


# --- what a report counts is what the user may see ---


def test_what_a_report_counts_is_exactly_what_the_user_may_see(orgs) -> None:
    court_user = create_user(role="court", court=orgs.shared)
    cps = create_user(role="cps", cps_courts=[orgs.na1, orgs.shared])
    for user in (orgs.manager_a, orgs.manager_northgate, orgs.manager_b, orgs.worker_southport, court_user, cps):
        by_scope = db.session.scalars(select(Referral.id).where(counted_for(user).condition())).all()
        by_rule = db.session.scalars(select(Referral.id).where(cases_filter(user))).all()
        assert sorted(by_scope) == sorted(by_rule), user.role
    assert db.session.scalar(select(func.count()).where(counted_for(create_user(role="admin")).condition())) == 0


# --- a manager of two schemes ---


def test_a_manager_of_two_schemes_sees_each_scheme_and_a_total_that_is_their_sum(client, orgs) -> None:
    log_in_as(client, orgs.manager_a)
    page = pages.get(client, PAGE)
    assert figures_on(page) == ORG_A
    assert "Whole organisation: Northgate Women's Trust" in page.text_of("h1")
    assert by_scheme_on(page) == {
        "Northgate diversion scheme": NORTHGATE,
        "Southport engagement orders": SOUTHPORT,
        "Total": ORG_A,
    }
    assert {key: NORTHGATE[key] + SOUTHPORT[key] for key in KEYS} == ORG_A
    # She may choose a scheme, or all of them (the organisation's).
    assert page.selected("scheme") == [""]
    options = [(option["value"], option.get_text(strip=True)) for option in page.select("select#scheme option")]
    assert options == [
        ("", "Whole organisation: Northgate Women's Trust"),
        ("northgate", "Northgate diversion scheme"),
        ("southport-eso", "Southport engagement orders"),
    ]
    # A scheme's own report links from its row, and carries it to the chart and the CSV.
    northgate = page.link("Northgate diversion scheme", within="table#schemes")
    page = pages.get(client, northgate)
    assert figures_on(page) == NORTHGATE
    assert not page.has("table#schemes")
    assert page.selected("scheme") == ["northgate"]
    assert page.select("select#scheme option")[0].get_text(strip=True) == "Whole organisation: Northgate Women's Trust"
    assert "Northgate diversion scheme" in page.text_of("h1")
    assert [href for href in page.hrefs() if href.startswith(CSV) and "scheme=northgate" in href]


def test_the_csv_has_the_total_then_a_row_for_each_scheme_and_names_what_it_counts(client, orgs) -> None:
    log_in_as(client, orgs.manager_a)
    rows = csv_rows(client.get(CSV))
    assert [(row["scheme"], row["scope"]) for row in rows] == [
        ("all", "Whole organisation: Northgate Women's Trust"),
        ("northgate", "Northgate diversion scheme"),
        ("southport-eso", "Southport engagement orders"),
    ]
    assert [counts(row) for row in rows] == [ORG_A, NORTHGATE, SOUTHPORT]
    response = client.get(url(CSV, scheme="southport-eso"))
    assert response.headers["Content-Disposition"].endswith('-all-courts-southport-eso.csv"')
    (row,) = csv_rows(response)
    assert (row["scheme"], row["scope"], counts(row)) == ("southport-eso", "Southport engagement orders", SOUTHPORT)


def test_the_api_gives_the_total_each_scheme_and_one_scheme_when_asked(client, orgs) -> None:
    answer = api(client, orgs.manager_a)
    body = answer.get(API).get_json()
    assert (body["scheme"], body["scope"]) == (None, "Whole organisation: Northgate Women's Trust")
    assert {key: body[key] for key in KEYS} == ORG_A
    assert [(item["scheme"], item["name"]) for item in body["by_scheme"]] == [
        ("northgate", "Northgate diversion scheme"),
        ("southport-eso", "Southport engagement orders"),
    ]
    assert [{key: item[key] for key in KEYS} for item in body["by_scheme"]] == [NORTHGATE, SOUTHPORT]
    body = answer.get(API + "?scheme=northgate").get_json()
    assert (body["scheme"], body["scope"], body["by_scheme"]) == ("northgate", "Northgate diversion scheme", [])
    assert {key: body[key] for key in KEYS} == NORTHGATE


# --- nothing of another organisation ---


def test_nothing_of_the_other_organisation_reaches_a_managers_report(client, orgs) -> None:
    log_in_as(client, orgs.manager_a)
    page = pages.get(client, PAGE)
    text = page.html + client.get(CHART).get_data(as_text=True) + client.get(CSV).get_data(as_text=True)
    for word in ("Eastfield", MARKER, orgs.eb1.code, *orgs.ids("eastfield")):
        assert word not in text, word
    # Her courts are her schemes' courts: the other charity's court is not offered, and asking for it is refused.
    offered = [option["value"] for option in page.select("select#court option")]
    assert offered == ["", orgs.na1.code, orgs.shared.code, orgs.na2.code]
    for path in (CHART, CSV):
        assert client.get(url(path, court=orgs.eb1.code)).status_code == 400, path
    refused = pages.get(client, url(PAGE, court=orgs.eb1.code))
    assert refused.error_summary == ["Select a court from the list"]
    assert not refused.has("table#figures")
    # At the court she shares with it, only her own case.
    page = pages.get(client, url(PAGE, court=orgs.shared.code))
    assert figures_on(page)["referred"] == 1
    # The other charity's manager sees only hers, named as her whole organisation.
    log_in_as(client, orgs.manager_b)
    page = pages.get(client, PAGE)
    assert figures_on(page) == ORG_B
    assert "Whole organisation: Eastfield Charity" in page.text_of("h1")
    assert not page.has("select#scheme")
    assert not page.has("table#schemes")
    assert "Northgate" not in page.html


def test_the_api_answers_nothing_of_the_other_organisation(client, orgs) -> None:
    body = api(client, orgs.manager_a).get(API + f"?court={orgs.shared.code}").get_json()
    assert {key: body[key] for key in KEYS} == {**dict.fromkeys(KEYS, 0), "referred": 1, "in_progress": 1}
    body = api(client, orgs.manager_b).get(API).get_json()
    assert {key: body[key] for key in KEYS} == ORG_B
    assert body["by_scheme"] == []
    error_of(api(client, orgs.manager_a).get(API + f"?court={orgs.eb1.code}"), 404, "not_found")


# --- a scheme that is not hers ---


@pytest.mark.parametrize("scheme", ["eastfield-diversion", "southport-eso", "no-such-scheme"])
def test_a_scheme_that_is_not_hers_is_refused_everywhere(client, orgs, scheme: str) -> None:
    """Another organisation's scheme, a scheme of her own organisation that is not hers, and no scheme at all are
    refused alike: 404 on the page, the chart, the CSV and the API; never anyone's figures."""
    manager = orgs.manager_northgate
    log_in_as(client, manager)
    for path in (PAGE, CHART, CSV):
        response = client.get(url(path, scheme=scheme))
        assert response.status_code == 404, path
        assert "Referred" not in response.get_data(as_text=True)
    error_of(api(client, manager).get(f"{API}?scheme={scheme}"), 404, "not_found")


def test_a_manager_of_one_scheme_has_nothing_to_choose_and_sees_that_scheme(client, orgs) -> None:
    log_in_as(client, orgs.manager_northgate)
    page = pages.get(client, PAGE)
    assert figures_on(page) == NORTHGATE
    assert not page.has("select#scheme")
    assert not page.has("table#schemes")
    assert "Scheme: Northgate diversion scheme" in page.text
    # Her own scheme asked for by name is the same report.
    assert figures_on(pages.get(client, url(PAGE, scheme="northgate"))) == NORTHGATE


# --- court and CPS users keep their courts' reports ---


def test_a_court_user_sees_every_referral_of_her_court_whichever_charity_holds_it(client, orgs) -> None:
    user = create_user(role="court", court=orgs.shared)
    log_in_as(client, user)
    page = pages.get(client, PAGE)
    assert figures_on(page) == SHARED_COURT
    assert not page.has("select#scheme")
    assert not page.has("table#schemes")
    assert client.get(url(PAGE, scheme="northgate")).status_code == 404
    body = api(client, user).get(API).get_json()
    assert (body["court"], body["scheme"], body["scope"], body["by_scheme"]) == (orgs.shared.code, None, None, [])
    assert {key: body[key] for key in KEYS} == SHARED_COURT
    error_of(api(client, user).get(API + "?scheme=northgate"), 404, "not_found")


def test_a_cps_user_sees_the_courts_she_covers_and_may_narrow_to_one(client, orgs) -> None:
    cps = create_user(role="cps", cps_courts=[orgs.na1, orgs.shared])
    log_in_as(client, cps)
    page = pages.get(client, PAGE)
    # Northgate's cases at its own court (5) and at the shared court (1), and Eastfield's 3 at the shared court.
    assert figures_on(page)["referred"] == 5 + 1 + 3
    offered = [option["value"] for option in page.select("select#court option")]
    assert offered == ["", orgs.na1.code, orgs.shared.code]
    assert figures_on(pages.get(client, url(PAGE, court=orgs.shared.code))) == SHARED_COURT
    assert pages.get(client, url(PAGE, court=orgs.na2.code)).has(".govuk-error-summary")
    error_of(api(client, cps).get(f"{API}?court={orgs.na2.code}"), 404, "not_found")


# --- completion by each case's own programme ---


def test_a_three_appointment_order_counts_as_completed_only_when_its_version_says_so(client, orgs) -> None:
    """Southport's second case has two of its three appointments: in progress, not completed. The scheme then drops
    to two appointments; the case still follows its own version, so it stays in progress, and it is completed once
    its third appointment is attended. A case taken after the change completes after two."""
    answer = api(client, orgs.manager_a)
    southport = answer.get(API + "?scheme=southport-eso").get_json()
    assert (southport["completed"], southport["in_progress"]) == (1, 1)
    assert orgs.cases["southport"][1].state == State.ASSESSED

    new_programme_version(orgs.southport, programme_with_appointments("Southport, shorter", 2), orgs.manager_a)
    after = answer.get(API + "?scheme=southport-eso").get_json()
    assert (after["completed"], after["in_progress"]) == (1, 1)

    worker = orgs.worker_southport
    case = orgs.cases["southport"][1]
    attend(appointment=book(referral=case, worker=worker, number=3), worker=worker)
    assert case.state == State.ASSESSED  # the third appointment makes the plan
    assert answer.get(API + "?scheme=southport-eso").get_json()["completed"] == 1
    save_agreed_plan(case, worker)
    assert case.state == State.COMPLETED
    done = answer.get(API + "?scheme=southport-eso").get_json()
    assert (done["completed"], done["in_progress"]) == (2, 0)

    newer = create_referral(state=State.COMPLETED, court=orgs.na2, worker=worker)
    assert newer.state == State.COMPLETED  # two appointments, under the new version
    last = answer.get(API + "?scheme=southport-eso").get_json()
    assert (last["completed"], last["referred"]) == (3, 3)
    assert sum(item["completed"] for item in answer.get(API).get_json()["by_scheme"]) == 2 + 3


def test_choose_names_the_scope_as_exports_do(orgs) -> None:
    assert choose(orgs.manager_a).label == "Whole organisation: Northgate Women's Trust"
    assert choose(orgs.manager_a, "Southport-ESO").label == "Southport engagement orders"
    assert choose(orgs.manager_northgate).label == "Northgate diversion scheme"
    assert choose(orgs.manager_b).label == "Whole organisation: Eastfield Charity"
    assert choose(create_user(role="court", court=orgs.na1)).label is None
