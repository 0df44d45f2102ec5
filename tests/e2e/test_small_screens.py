"""Every page of the crawl on a phone held upright (375 CSS pixels wide): nothing makes the whole page scroll
sideways, and a case's sections fit in a compact navigation.

The walk of tests/e2e/crawl.py has found every page each role can reach; each is opened again here, signed in as the
same role, in a tab of a phone's width. A wide table is stacked, one labelled cell under another, or scrolls in a
region of its own (docs/small-screens.md), so `document.documentElement.scrollWidth` is never wider than the
screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class Walk:
    """What opening every page of the crawl again found at one width."""

    width: int
    problems: list[str] = field(default_factory=list)
    reports: list = field(default_factory=list)


def _overflow(tab: Page, role: str, path: str, walk: Walk) -> None:
    """Note the page if it is wider than the screen."""
    found = tab.evaluate(_OVERFLOW)
    if found["scrollWidth"] > walk.width:
        walk.problems.append(f"{role} {path}: {found['scrollWidth']} px wide, from {', '.join(found['causes'])}")


@pytest.fixture(scope="module")
def walks(crawl, phones: dict[str, Page]) -> dict[str, Walk]:
    """Every page of the crawl opened again in each role's tab, once: laid out at a phone's width and then, without
    opening it again, at an upright tablet's. At the phone's width axe checks the pages laid out differently there
    (a stacked table, the case's sections), once per shape."""
    phone, tablet = Walk(PHONE["width"]), Walk(TABLET["width"])
    axed: set[str] = set()
    for role in e2e_server.ROLES:
        tab = phones[role]
        for path in _pages_of(crawl, role):
            tab.set_viewport_size(PHONE)
            tab.goto(path)
            _overflow(tab, role, path, phone)
            if shape_of(path) not in axed and tab.locator(".app-table--stacked, .app-case-sections").count():
                axed.add(shape_of(path))
                phone.reports.append(inspect(tab, role, f"{phone.width} px"))
            tab.set_viewport_size(TABLET)
            _overflow(tab, role, path, tablet)
        tab.set_viewport_size(PHONE)
    return {"phone": phone, "tablet": tablet}


def test_no_page_of_the_crawl_scrolls_sideways_at_375_px(crawl, walks) -> None:
    pages = sum(len(_pages_of(crawl, role)) for role in e2e_server.ROLES)
    assert pages > 20, f"only {pages} pages to check"
    walk = walks["phone"]
    assert not walk.problems, f"{len(walk.problems)} pages scroll sideways at 375 px:\n" + "\n".join(walk.problems)
    assert walk.reports, "no stacked table or case page was checked with axe"
    violations = findings(walk.reports, "violations")
    assert not violations, f"{len(violations)} axe violations at 375 px:\n" + "\n".join(violations)


def test_no_page_of_the_crawl_scrolls_sideways_on_a_tablet_held_upright(walks) -> None:
    walk = walks["tablet"]
    assert not walk.problems, f"{len(walk.problems)} pages scroll sideways at {walk.width} px:\n" + "\n".join(
        walk.problems
    )


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
