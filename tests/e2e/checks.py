"""What the browser tests check on every page they reach: axe-core for WCAG 2.x A and AA, the page's shape, and the
absence of GOV.UK branding; and how a form's error state shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
TITLE_SUFFIX = " - Court diversion case system"
# The same service named in Welsh (config.py, SERVICE_NAME_CY), for pages shown in Welsh.
TITLE_SUFFIXES = {"en": TITLE_SUFFIX, "cy": " - System achosion dargyfeirio o'r llys"}

_axe = Axe()

# One round trip for everything but axe. The header text includes visually hidden text on purpose: a screen reader
# announcing "GOV.UK" is branding too.
_PAGE_FACTS = """() => {
  const header = document.querySelector("header");
  const skip = document.querySelector("a.govuk-skip-link");
  const href = skip ? skip.getAttribute("href") || "" : "";
  return {
    lang: document.documentElement.lang,
    h1: document.querySelectorAll("h1").length,
    title: document.title,
    skipLink: !!skip,
    skipTarget: href.startsWith("#") && !!document.getElementById(href.slice(1)),
    logos: document.querySelectorAll(".govuk-header__logotype, .govuk-logo").length,
    headerText: header ? header.textContent : "",
    font: getComputedStyle(document.body).fontFamily,
  };
}"""


@dataclass
class PageReport:
    """What was found on one page in one state (as first shown, or after an invalid form was sent)."""

    who: str
    path: str
    state: str
    violations: list[str] = field(default_factory=list)
    shape: list[str] = field(default_factory=list)
    branding: list[str] = field(default_factory=list)
    # The page's language (<html lang>), as shown.
    language: str = ""

    @property
    def label(self) -> str:
        """Who saw which page in which state, to head each finding."""
        return f"{self.who} {self.path} ({self.state})"


def path_of(url: str) -> str:
    """The path and query of a URL, without its origin or fragment."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def inspect(page: Page, who: str, state: str = "page", *, with_axe: bool = True) -> PageReport:
    """Run axe (unless a page of the same template was just checked) and the shape and branding checks."""
    report = PageReport(who=who, path=path_of(page.url), state=state)
    if with_axe:
        results = _axe.run(page, options=AXE_OPTIONS)
        for violation in results.response["violations"]:
            targets = "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
            report.violations.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    facts = page.evaluate(_PAGE_FACTS)
    report.language = facts["lang"]
    if facts["h1"] != 1:
        report.shape.append(f"{facts['h1']} <h1> elements, not 1")
    suffix = TITLE_SUFFIXES.get(facts["lang"], TITLE_SUFFIX)
    if not facts["title"].endswith(suffix):
        report.shape.append(f"title {facts['title']!r} does not end with {suffix!r}")
    if not (facts["skipLink"] and facts["skipTarget"]):
        report.shape.append("no skip link to an element on the page")
    if facts["logos"]:
        report.branding.append("a GOV.UK logo or logotype in the page")
    if "GOV.UK" in facts["headerText"]:
        report.branding.append("the text GOV.UK in the header")
    if "GDS Transport" in facts["font"]:
        report.branding.append(f"body font {facts['font']!r} includes GDS Transport")
    return report


def findings(reports: list[PageReport], kind: str) -> list[str]:
    """Every finding of one kind (violations, shape or branding), each labelled with its page."""
    return [f"{report.label}: {item}" for report in reports for item in getattr(report, kind)]


def all_findings(reports: list[PageReport]) -> list[str]:
    """Every finding of every kind, labelled with its page."""
    return [item for kind in ("violations", "shape", "branding") for item in findings(reports, kind)]


def assert_clean(reports: list[PageReport], what: str) -> None:
    """No axe violation, shape or branding problem on any page checked."""
    assert reports, f"no page of {what} was checked"
    problems = all_findings(reports)
    assert not problems, f"{len(problems)} problems on {what}:\n" + "\n".join(problems)


def expect_error_summary(page: Page, *messages: str) -> None:
    """The error summary is shown with the focus and the page title starts Error:, naming each message."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    for message in messages:
        expect(summary).to_contain_text(message)
