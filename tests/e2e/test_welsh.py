"""The service in Welsh in a real browser (docs/languages.md, "The service in Welsh").

- A court legal adviser switches her account to Welsh and walks the court-day list and a case's status page: both in
  Welsh (`<html lang="cy">`, Welsh headings, dates written in Welsh), both clean under axe.
- The whole crawl once more in Welsh: every role switches to Welsh on its account page and walks every kind of page
  it can reach (one of each shape: the English crawl has seen a second of each already), sending each form empty,
  with axe on each template as shown and in its error state; every page says it is in Welsh. Each role switches back
  to English afterwards, for the tests after it.
- Signed out, the sign-in page's "Cymraeg" link is driven in tests/e2e/test_sign_in.py (before the coverage check).

The crawl in Welsh runs on the SQLite run of the browser suite only: the words on a page do not depend on the
database, and a second crawl costs minutes (docs/testing.md).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from diversion.dates import long_date
from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, findings, inspect
from tests.e2e.crawl import Crawl, walk

pytestmark = pytest.mark.e2e


def choose_language(page: Page, code: str) -> None:
    """Choose the account's language on its page, as a person does, and land back on the account page."""
    page.goto("/account/language")
    page.check(f"input[name=language][value={code}]")
    page.locator("main form button[type=submit], main form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/account$"))
    expect(page.locator("html")).to_have_attribute("lang", code)


def _message(problems: list[str], what: str) -> str:
    return f"{len(problems)} {what}:\n" + "\n".join(problems)


def test_a_court_user_switches_to_welsh_and_walks_the_court_day_list_and_a_case(
    role_pages: dict[str, Page], server
) -> None:
    page = role_pages["court"]
    reports: list[PageReport] = []
    court_day = date.fromisoformat(server.partners["court_day"])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    choose_language(page, "cy")
    try:
        expect(page.locator("header")).to_contain_text("Allgofnodi")  # Sign out
        reports.append(inspect(page, "court", "account, in Welsh"))

        page.goto(f"/court-day?date={court_day.isoformat()}")
        expect(page.locator("html")).to_have_attribute("lang", "cy")
        heading = page.locator("h1").inner_text()
        assert long_date(court_day, language="cy") in heading, heading
        assert not heading.startswith("Diversion cases returning"), heading
        expect(page.locator("header")).to_contain_text("Diwrnod llys")  # Court day
        reports.append(inspect(page, "court", "court day, in Welsh"))

        # A case from the list: its status page, the court's view of it, in Welsh too.
        page.locator("main table tbody a[href$='/status']").first.click()
        page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/status$"))
        expect(page.locator("html")).to_have_attribute("lang", "cy")
        expect(page.locator("main")).to_contain_text("Statws")
        reports.append(inspect(page, "court", "a case's status, in Welsh"))
    finally:
        choose_language(page, "en")
    expect(page.locator("header")).to_contain_text("Sign out")
    problems = [item for kind in ("violations", "shape", "branding") for item in findings(reports, kind)]
    assert not problems, _message(problems, "problems on the Welsh pages")


@pytest.fixture(scope="module")
def welsh_crawl(request: pytest.FixtureRequest, role_pages: dict[str, Page], server) -> Crawl:
    if request.config.getoption("--db") != "sqlite":
        pytest.skip("the crawl in Welsh runs once, on the SQLite run of the browser suite")
    found = Crawl()
    for role, page in role_pages.items():
        choose_language(page, "cy")
        try:
            walk(page, role, server.url, found, per_shape=1)
        finally:
            choose_language(page, "en")
    return found


def test_every_page_in_welsh_passes_axe_as_shown_and_with_its_forms_sent_empty(welsh_crawl: Crawl) -> None:
    for role in e2e_server.ROLES:
        assert welsh_crawl.reports_of(role), f"the {role} walk in Welsh checked no page"
    violations = findings(welsh_crawl.reports, "violations")
    assert not violations, _message(violations, "axe violations in Welsh")
    assert any(report.state != "page" for report in welsh_crawl.reports), "no error state was checked in Welsh"


def test_every_page_of_the_welsh_crawl_is_in_welsh_and_well_formed(welsh_crawl: Crawl) -> None:
    english = [report.label for report in welsh_crawl.reports if report.language != "cy"]
    assert not english, _message(english, "pages not in Welsh")
    problems = findings(welsh_crawl.reports, "shape") + findings(welsh_crawl.reports, "branding")
    assert not problems, _message(problems, "problems with the pages' shape in Welsh")
    assert not welsh_crawl.broken, _message(welsh_crawl.broken, "links to error pages in Welsh")
    failures = [
        f"{outcome.who} {outcome.page}: {outcome.method.upper()} {outcome.action} answered {outcome.status}"
        for outcome in welsh_crawl.forms
        if outcome.status >= 400 and not outcome.error_summary
    ]
    assert not failures, _message(failures, "forms sent empty failed in Welsh")
