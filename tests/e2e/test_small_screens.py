"""Every page of the crawl on a phone held upright (375 CSS pixels wide): nothing makes the whole page scroll
sideways, and a case's sections fit in a compact navigation.

The walk of tests/e2e/crawl.py has found every page each role can reach; each is opened again here, signed in as the
same role, in a tab of a phone's width. A wide table is stacked, one labelled cell under another, or scrolls in a
region of its own (docs/small-screens.md), so `document.documentElement.scrollWidth` is never wider than the
screen.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import server as e2e_server
from tests.e2e.checks import findings, inspect
from tests.e2e.crawl import shape_of

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}
TABLET = {"width": 768, "height": 1024}

# How far the page reaches past the screen, and the outermost elements that reach past it (the cause, not each of
# its cells), each named by its tag, id or classes, and width.
_OVERFLOW = """() => {
  const limit = document.documentElement.clientWidth;
  const name = (element) => element.tagName.toLowerCase()
    + (element.id ? "#" + element.id : "")
    + Array.from(element.classList).map((item) => "." + item).join("");
  const past = (element) => element && element.getBoundingClientRect().right > limit + 1;
  const causes = Array.from(document.body.querySelectorAll("*"))
    .filter((element) => past(element) && !past(element.parentElement))
    .slice(0, 3)
    .map((element) => `${name(element)} (${Math.round(element.getBoundingClientRect().width)} px)`);
  return {scrollWidth: document.documentElement.scrollWidth, width: limit, causes};
}"""


def _pages_of(crawl, role: str) -> list[str]:
    """The pages the role's walk inspected as shown (not the error states a form sent empty came back with)."""
    return list(dict.fromkeys(report.path for report in crawl.reports_of(role) if report.state == "page"))


@pytest.fixture(scope="module")
def phones(role_pages: dict[str, Page]):
    """A tab of a phone's width per role, in that role's signed-in context."""
    tabs = {}
    for role, page in role_pages.items():
        tab = page.context.new_page()
        tab.set_viewport_size(PHONE)
        tabs[role] = tab
    yield tabs
    for tab in tabs.values():
        tab.close()


def _walk_again(crawl, tabs: dict[str, Page], width: int) -> tuple[list[str], list]:
    """Every page of the crawl opened again in each role's tab: the pages wider than the screen, and axe's reports on
    the pages laid out differently here (a stacked table, the case's sections), once per shape."""
    problems: list[str] = []
    reports = []
    axed: set[str] = set()
    for role in e2e_server.ROLES:
        tab = tabs[role]
        for path in _pages_of(crawl, role):
            tab.goto(path)
            found = tab.evaluate(_OVERFLOW)
            if found["scrollWidth"] > width:
                problems.append(f"{role} {path}: {found['scrollWidth']} px wide, from {', '.join(found['causes'])}")
            if shape_of(path) not in axed and tab.locator(".app-table--stacked, .app-case-sections").count():
                axed.add(shape_of(path))
                reports.append(inspect(tab, role, f"{width} px"))
    return problems, reports


def test_no_page_of_the_crawl_scrolls_sideways_at_375_px(crawl, phones) -> None:
    pages = sum(len(_pages_of(crawl, role)) for role in e2e_server.ROLES)
    assert pages > 20, f"only {pages} pages to check"
    problems, reports = _walk_again(crawl, phones, PHONE["width"])
    assert not problems, f"{len(problems)} pages scroll sideways at 375 px:\n" + "\n".join(problems)
    assert reports, "no stacked table or case page was checked with axe"
    violations = findings(reports, "violations")
    assert not violations, f"{len(violations)} axe violations at 375 px:\n" + "\n".join(violations)


def test_no_page_of_the_crawl_scrolls_sideways_on_a_tablet_held_upright(crawl, role_pages) -> None:
    tabs = {}
    try:
        for role, page in role_pages.items():
            tabs[role] = page.context.new_page()
            tabs[role].set_viewport_size(TABLET)
        problems, _ = _walk_again(crawl, tabs, TABLET["width"])
    finally:
        for tab in tabs.values():
            tab.close()
    assert not problems, f"{len(problems)} pages scroll sideways at {TABLET['width']} px:\n" + "\n".join(problems)


def test_a_case_s_sections_fit_above_the_fold_at_375_px(phones, server) -> None:
    """On a phone the sections of a case are one compact navigation, not eight rows of links filling the screen."""
    tab = phones["worker"]
    tab.goto(f"/cases/{server.outcomes['cases']['followed_up']['id']}")
    navigation = tab.get_by_role("navigation", name="Sections of this case")
    expect(navigation).to_be_visible()
    box = navigation.bounding_box()
    assert box is not None
    # Eight or nine rows of 48 px each before; three or four short rows now.
    assert box["height"] <= 160, f"the case's sections take {box['height']:.0f} px of a {PHONE['height']} px screen"
