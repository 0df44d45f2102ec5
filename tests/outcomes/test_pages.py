"""The managers' outcome pages: who may open them, the dashboard's figures and charts, the drill-down (audited) to
the cases behind a figure, filters and their errors; nothing on them names a woman."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from urllib.parse import urlencode, urlsplit

import pytest

from tests import pages
from tests.factories import audit_events, create_user, log_in_as
from tests.outcomes.cases import EXPECTED_A, EXPECTED_ALL, FAMILY_NAME, build_cases

PAGES = ("/outcomes", "/outcomes/return", "/outcomes/charts/referrals.svg", "/outcomes/charts/completion-rate.svg")


def custom(start: date, end: date, **extra: str) -> dict[str, str]:
    return {
        "period": "custom",
        **{f"start-{part}": str(getattr(start, part)) for part in ("day", "month", "year")},
        **{f"end-{part}": str(getattr(end, part)) for part in ("day", "month", "year")},
        **extra,
    }


Q1 = custom(date(2026, 1, 1), date(2026, 3, 31))


def url(path: str, args: dict[str, str] | None = None) -> str:
    return f"{path}?{urlencode(args)}" if args else path


CASE_LINK = re.compile(r"/cases/[0-9a-f-]+")


def figures_on(page: pages.Page) -> dict[str, int]:
    """The figures table: each drill-down link's measure and number."""
    found = {}
    for link in page.select_one("table.govuk-table#figures").select('a[href^="/outcomes/cases/"]'):
        if link.span is not None:  # the number, then what it counts for screen readers
            key = urlsplit(link["href"]).path.removeprefix("/outcomes/cases/")
            found[key] = int(link.find(string=True).split()[0])
    return found


def case_links(page: pages.Page) -> list[str]:
    """The ids of the cases the page links to, in order."""
    return [href.removeprefix("/cases/") for href in page.hrefs() if CASE_LINK.fullmatch(href)]


@pytest.fixture
def built(app_ctx):
    return build_cases()


@pytest.fixture
def manager(client, app_ctx):
    user = create_user(role="manager")
    log_in_as(client, user)
    return user


@pytest.mark.parametrize("role", ["worker", "court", "cps", "admin"])
def test_only_managers_may_open_the_outcome_pages(client, app_ctx, role: str) -> None:
    log_in_as(client, create_user(role=role))
    for path in (*PAGES, "/outcomes/cases/completed", "/outcomes/return.csv", "/outcomes/return.xlsx"):
        assert client.get(url(path, Q1)).status_code == 403, path


def test_the_dashboard_opens_on_the_current_quarter(client, manager) -> None:
    page = pages.get(client, "/outcomes")
    assert page.title.startswith("Outcomes:")
    assert "/outcomes" in page.hrefs()  # in the navigation
    for path in PAGES[2:]:
        chart = client.get(path)
        assert chart.status_code == 200, path
        assert chart.mimetype == "image/svg+xml"


def test_the_dashboard_shows_the_hand_counted_figures_with_links_to_their_cases(client, built, manager) -> None:
    page = pages.get(client, url("/outcomes", Q1))
    shown = figures_on(page)
    for key in ("referrals", "women_referred", "completed", "finished", "did_not_attend", "onward_made"):
        assert shown[key] == EXPECTED_ALL[key], key
    text = page.text
    assert "71.4%" in text  # 5 of 7 finished
    assert "the reference is 89%" in text
    assert "11.1%" in text  # 1 of 9 appointments
    assert "30.0" in text  # median days
    assert "+2.25" in text  # accommodation
    assert FAMILY_NAME not in page.html
    assert [image for image in page.select("img") if image["src"].startswith("/outcomes/charts/referrals.svg?")]
    assert page.has("#months")


def test_a_court_filter_and_a_worker_filter(client, built, manager) -> None:
    page = pages.get(client, url("/outcomes", {**Q1, "court": built.court_a.code}))
    assert {key: figures_on(page)[key] for key in ("referrals", "completed")} == {
        "referrals": EXPECTED_A["referrals"],
        "completed": EXPECTED_A["completed"],
    }
    page = pages.get(client, url("/outcomes", {**Q1, "worker": str(built.worker_2.id)}))
    assert figures_on(page)["referrals"] == 3


def test_bad_filters_get_an_error_summary_not_a_failure(client, built, manager) -> None:
    for args, message in (
        ({**Q1, "court": "NOPE"}, "Select a court from the list"),
        ({**Q1, "worker": "not-an-id"}, "Select a support worker from the list"),
        (custom(date(2026, 3, 1), date(2026, 1, 1)), "The end date must be the same as or after the start date"),
    ):
        page = pages.get(client, url("/outcomes", args))
        assert message in page.error_summary
    assert client.get(url("/outcomes/charts/referrals.svg", {**Q1, "court": "NOPE"})).status_code == 400


def test_the_drill_down_lists_the_cases_behind_a_figure_and_is_audited(client, built, manager) -> None:
    page = pages.get(client, url("/outcomes/cases/completed", Q1))
    expected = {built.cases[name].id for name in ("X1", "X2", "C3", "C6", "C7")}
    assert set(case_links(page)) == {str(i) for i in expected}
    assert "5 cases" in page.text
    assert FAMILY_NAME not in page.html
    (event,) = audit_events(action="outcomes.drill_down")
    assert event.object_id == "completed"
    assert event.details["cases"] == 5
    assert event.actor_id == manager.id


def test_the_drill_down_of_a_group(client, built, manager) -> None:
    page = pages.get(client, url("/outcomes/cases/onward_taken_up", {**Q1, "by": "service", "group": "drug_treatment"}))
    assert case_links(page) == [str(built.cases["C3"].id)]
    assert client.get(url("/outcomes/cases/completed", {**Q1, "by": "service", "group": "x"})).status_code == 404
    too_long = {**Q1, "by": "service", "group": "x" * 500}
    assert client.get(url("/outcomes/cases/onward_made", too_long)).status_code == 404


def test_the_charts_are_svg_with_a_title(client, built, manager) -> None:
    for path in PAGES[2:]:
        svg = client.get(url(path, Q1)).get_data(as_text=True)
        root = ET.fromstring(svg)  # noqa: S314 - our own output
        assert root.tag.endswith("svg")
        assert "1 January 2026 to 31 March 2026" in svg
        assert "style=" not in svg
        assert FAMILY_NAME not in svg
