"""The outcome pages across organisations and schemes: a manager's dashboard, drill-downs, funder return and its
exports (CSV, XLSX, the printable page), snapshots and the API answer count her schemes' cases and nothing of another
organisation's; with two schemes the dashboard shows each beside a total that is their sum; the return names the
scheme or the whole organisation it counts; a scheme, a court or a worker that is not hers is refused.

The cases are in tests/reports/organisations.py, with their figures counted by hand."""

from __future__ import annotations

import csv
import io
import re
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from openpyxl import load_workbook

from diversion.auth.tokens import create_api_token
from diversion.extensions import db
from diversion.outcomes.models import ReturnSnapshot
from tests import pages
from tests.api.conftest import Api, error_of
from tests.factories import audit_events, csrf_token, log_in_as
from tests.reports.organisations import (
    MARKER,
    OUTCOMES_A,
    OUTCOMES_B,
    OUTCOMES_NORTHGATE,
    OUTCOMES_SOUTHPORT,
    build_organisations,
)

ALL_A = "Whole organisation: Northgate Women's Trust"


@pytest.fixture
def orgs(app_ctx):
    return build_organisations()


def url(path: str, **args: str) -> str:
    return f"{path}?{urlencode(args)}" if args else path


def drilled(page: pages.Page, table: str) -> dict[tuple[str, str], int]:
    """Each drill-down link of a table: (measure, scheme or "all") and its number."""
    found = {}
    for link in page.select_one(table).select('a[href^="/outcomes/cases/"]'):
        parts = urlsplit(link["href"])
        key = (parts.path.removeprefix("/outcomes/cases/"), dict(parse_qsl(parts.query)).get("scheme", "all"))
        found.setdefault(key, int(link.find(string=True).split()[0]))
    return found


CASE_LINK = re.compile(r"/cases/[0-9a-f-]{36}")


def case_ids(page: pages.Page) -> set[str]:
    """The ids of the cases the page links to."""
    return {href.removeprefix("/cases/") for href in page.hrefs() if CASE_LINK.fullmatch(href)}


def nothing_of_org_b(text: str, orgs) -> None:
    for word in ("Eastfield", MARKER, orgs.eb1.code, *orgs.ids("eastfield")):
        assert word not in text, word


# --- the dashboard ---


def test_the_dashboard_shows_each_scheme_beside_a_total_that_is_their_sum(client, orgs) -> None:
    log_in_as(client, orgs.manager_a)
    page = pages.get(client, "/outcomes")
    assert ALL_A in page.text_of("h1")
    figures = drilled(page, "table#figures")
    assert {key: figures[(key, "all")] for key in OUTCOMES_A} == OUTCOMES_A
    by_scheme = drilled(page, "table#schemes")
    for key in OUTCOMES_A:
        northgate, southport = by_scheme[(key, "northgate")], by_scheme[(key, "southport-eso")]
        assert (northgate, southport) == (OUTCOMES_NORTHGATE[key], OUTCOMES_SOUTHPORT[key]), key
        assert by_scheme[(key, "all")] == northgate + southport == OUTCOMES_A[key], key
    head = [cell.get_text(strip=True) for cell in page.select("table#schemes thead th")]
    assert head == ["Figure", "Northgate diversion scheme", "Southport engagement orders", "Total"]
    nothing_of_org_b(page.html, orgs)
    for chart in ("/outcomes/charts/referrals.svg", "/outcomes/charts/completion-rate.svg"):
        nothing_of_org_b(client.get(chart).get_data(as_text=True), orgs)


def test_a_chosen_scheme_or_another_manager_sees_only_their_own(client, orgs) -> None:
    log_in_as(client, orgs.manager_a)
    page = pages.get(client, url("/outcomes", scheme="southport-eso"))
    figures = drilled(page, "table#figures")
    assert {key: figures[(key, "southport-eso")] for key in OUTCOMES_SOUTHPORT} == OUTCOMES_SOUTHPORT
    assert not page.has("table#schemes")
    assert page.selected("scheme") == ["southport-eso"]
    log_in_as(client, orgs.manager_b)
    page = pages.get(client, "/outcomes")
    figures = drilled(page, "table#figures")
    assert {key: figures[(key, "all")] for key in OUTCOMES_B} == OUTCOMES_B
    assert "Whole organisation: Eastfield Charity" in page.text_of("h1")
    assert "Northgate" not in page.html


# --- the drill-down ---


def test_the_drill_down_lists_her_cases_only(client, orgs) -> None:
    log_in_as(client, orgs.manager_a)
    page = pages.get(client, "/outcomes/cases/referrals")
    assert case_ids(page) == orgs.ids("northgate", "southport")
    assert page.text_of("#total").startswith("8 cases")
    nothing_of_org_b(page.html, orgs)
    page = pages.get(client, url("/outcomes/cases/referrals", scheme="northgate"))
    assert case_ids(page) == orgs.ids("northgate")
    # The audit event says which schemes the list was of.
    assert audit_events(action="outcomes.drill_down")[-1].details["scheme_ids"] == [orgs.northgate.id]
    # Every case listed opens for her.
    for case_id in sorted(case_ids(page)):
        assert client.get(f"/cases/{case_id}").status_code == 200
    log_in_as(client, orgs.manager_b)
    assert case_ids(pages.get(client, "/outcomes/cases/completed")) == {
        str(case.id) for case in orgs.cases["eastfield"][:4]
    }


@pytest.mark.parametrize("path", ["/outcomes", "/outcomes/cases/completed", "/outcomes/return", "/outcomes/return.csv"])
def test_a_scheme_that_is_not_hers_is_refused(client, orgs, path: str) -> None:
    log_in_as(client, orgs.manager_northgate)
    for scheme in ("eastfield-diversion", "southport-eso", "nothing-here"):
        response = client.get(url(path, scheme=scheme))
        assert response.status_code == 404, (path, scheme)


def test_only_her_courts_and_her_schemes_staff_are_offered_and_others_refused(client, orgs) -> None:
    log_in_as(client, orgs.manager_a)
    page = pages.get(client, "/outcomes")
    courts = [option["value"] for option in page.select("select#court option")]
    assert courts == ["", orgs.na1.code, orgs.shared.code, orgs.na2.code]
    workers = {option["value"] for option in page.select("select#worker option")} - {""}
    expected = {orgs.manager_a, orgs.manager_northgate, orgs.worker_northgate, orgs.worker_southport}
    assert workers == {str(user.id) for user in expected}
    for args in ({"worker": str(orgs.worker_b.id)}, {"court": orgs.eb1.code}):
        refused = pages.get(client, url("/outcomes", **args))
        assert refused.has(".govuk-error-summary")
        assert not refused.has("table#figures")


# --- the funder return and its exports ---


def test_the_return_and_its_exports_name_what_they_count(client, orgs) -> None:
    log_in_as(client, orgs.manager_a)
    page = pages.get(client, "/outcomes/return")
    assert page.text_of("#scope") == f"This return counts: {ALL_A}"
    nothing_of_org_b(page.html, orgs)
    page = pages.get(client, url("/outcomes/return", scheme="northgate"))
    assert page.text_of("#scope") == "This return counts: Northgate diversion scheme"

    response = client.get(url("/outcomes/return.csv", suppress="false"))
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {row["scope"] for row in rows} == {ALL_A}
    by_key = {(row["indicator"], row["group"]): row["value"] for row in rows}
    assert (by_key[("referrals", "All")], by_key[("completed", "All")]) == ("8", "3")
    nothing_of_org_b(response.get_data(as_text=True), orgs)

    response = client.get(url("/outcomes/return.csv", suppress="false", scheme="southport-eso"))
    assert response.headers["Content-Disposition"].endswith('-all-courts-southport-eso.csv"')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {row["scope"] for row in rows} == {"Southport engagement orders"}
    assert {(row["indicator"], row["group"]): row["value"] for row in rows}[("referrals", "All")] == "2"

    sheet = load_workbook(io.BytesIO(client.get(url("/outcomes/return.xlsx", scheme="northgate")).data))["Figures"]
    header = [cell.value for cell in sheet[1]]
    scopes = {row[header.index("scope")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert scopes == {"Northgate diversion scheme"}

    printed = pages.get(client, url("/outcomes/return/print", scheme="northgate"))
    assert printed.text_of("#scope") == "This return counts: Northgate diversion scheme"
    assert "Northgate diversion scheme" in printed.title


def test_the_api_counts_her_schemes_or_the_one_she_names(client, orgs) -> None:
    answer = Api(client, create_api_token(orgs.manager_a))

    def values(body: dict, key: str) -> object:
        return next(item for item in body["indicators"] if item["key"] == key)["rows"][0]["value"]

    body = answer.get("/reports/outcomes?suppress=false").get_json()
    assert (body["scheme"], body["scope"]) == (None, ALL_A)
    assert (values(body, "referrals"), values(body, "completed")) == (8, 3)
    nothing_of_org_b(str(body), orgs)
    body = answer.get("/reports/outcomes?suppress=false&scheme=southport-eso").get_json()
    assert (body["scheme"], body["scope"]) == ("southport-eso", "Southport engagement orders")
    assert (values(body, "referrals"), values(body, "completed")) == (2, 1)
    text = answer.get("/reports/outcomes?suppress=false&format=csv").get_data(as_text=True)
    assert {row["scope"] for row in csv.DictReader(io.StringIO(text))} == {ALL_A}
    for scheme in ("eastfield-diversion", "nothing-here"):
        error_of(answer.get(f"/reports/outcomes?scheme={scheme}"), 404, "not_found")
    body = Api(client, create_api_token(orgs.manager_b)).get("/reports/outcomes?suppress=false").get_json()
    assert (values(body, "referrals"), values(body, "completed")) == (9, 4)


# --- snapshots ---


def _keep(client, **args: str) -> str:
    token = csrf_token(client, url("/outcomes/return", **args))
    response = client.post(url("/outcomes/return/snapshots", **args), data={"csrf_token": token})
    assert response.status_code == 302
    return response.headers["Location"]


def test_a_snapshot_is_its_organisations_and_counts_the_same_schemes_again(client, orgs) -> None:
    log_in_as(client, orgs.manager_a)
    whole = _keep(client)
    saved = db.session.get(ReturnSnapshot, uuid.UUID(whole.rsplit("/", 1)[1]))
    assert (saved.organisation_id, saved.scheme_ids) == (orgs.org_a.id, sorted([orgs.northgate.id, orgs.southport.id]))
    assert saved.figures["referrals"]["cells"]["all"][0] == 8
    page = pages.get(client, whole)
    assert page.text_of("#rerun").startswith("Identical")
    assert ALL_A in page.text_of("h1")
    one = _keep(client, scheme="northgate")
    listed = pages.get(client, "/outcomes/return").text_of("#snapshots")
    assert ALL_A in listed
    assert "Northgate diversion scheme" in listed

    # The other charity's manager neither sees nor opens them; nor does a manager of only one of the schemes counted.
    log_in_as(client, orgs.manager_b)
    assert "None kept yet." in pages.get(client, "/outcomes/return").text
    for location in (whole, one):
        assert client.get(location).status_code == 404
    log_in_as(client, orgs.manager_northgate)
    assert client.get(whole).status_code == 404
    assert pages.get(client, one).text_of("#rerun").startswith("Identical")
    listed = pages.get(client, "/outcomes/return").text_of("#snapshots")
    assert "Northgate diversion scheme" in listed
    assert ALL_A not in listed
