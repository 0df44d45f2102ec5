"""Every page each role can reach, found by following links: axe-core, page shape, branding, and error states."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, all_findings, findings, inspect

pytestmark = pytest.mark.e2e


def _message(problems: list[str], what: str) -> str:
    """A failure message listing each problem on its own line."""
    return f"{len(problems)} {what}:\n" + "\n".join(problems)


def test_every_page_passes_axe_as_shown_and_with_its_forms_sent_empty(crawl) -> None:
    for role in e2e_server.ROLES:
        assert crawl.reports_of(role), f"the {role} walk checked no page"
    violations = findings(crawl.reports, "violations")
    assert not violations, _message(violations, "axe violations (WCAG 2.0, 2.1 and 2.2, A and AA)")


def test_forms_sent_empty_answer_with_an_error_summary_not_a_failure(crawl) -> None:
    assert any(outcome.error_summary for outcome in crawl.forms), "no form was sent empty with an error summary back"
    failures = [
        f"{outcome.who} {outcome.page}: {outcome.method.upper()} {outcome.action} answered {outcome.status}"
        for outcome in crawl.forms
        if outcome.status >= 400 and not outcome.error_summary
    ]
    assert not failures, _message(failures, "forms sent empty failed")


def test_every_link_leads_to_a_page(crawl) -> None:
    assert not crawl.broken, _message(crawl.broken, "links to error pages")


def test_every_page_has_one_h1_the_service_title_and_a_skip_link(crawl) -> None:
    problems = findings(crawl.reports, "shape")
    assert not problems, _message(problems, "pages out of shape")


def test_no_page_carries_govuk_branding(crawl) -> None:
    problems = findings(crawl.reports, "branding")
    assert not problems, _message(problems, "pages with GOV.UK branding")


def test_error_pages_pass_axe(role_pages) -> None:
    page = role_pages["worker"]
    reports: list[PageReport] = []
    for path, status, heading in (
        ("/no-such-page", 404, "Page not found"),
        ("/admin/users", 403, "You do not have permission to see this page"),
    ):
        response = page.goto(path)
        assert response is not None
        assert response.status == status
        expect(page.locator("h1")).to_have_text(heading)
        reports.append(inspect(page, "worker", f"error {status}"))
    problems = all_findings(reports)
    assert not problems, _message(problems, "problems on error pages")


def test_pages_shown_after_a_form_is_accepted_pass_axe(role_pages) -> None:
    page = role_pages["admin"]
    reports: list[PageReport] = []
    page.goto("/admin/users/new")
    page.locator("#display_name").fill("Casey Created")
    page.locator("#email").fill("created@e2e.example.org")
    page.get_by_role("radio", name="Support worker").check()
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#temporary-password")).to_be_visible()
    reports.append(inspect(page, "admin", "user created"))

    page.goto("/admin/courts/new")
    page.locator("#code").fill("E2EC")
    page.locator("#name").fill("Carlton Magistrates' Court")
    page.get_by_role("button", name="Save court").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Court saved.")
    reports.append(inspect(page, "admin", "court saved"))

    page.goto("/account")
    page.locator("#name").fill("Court case system")
    page.get_by_role("button", name="Create an API token").click()
    expect(page.locator("#api-token")).to_have_text(re.compile(r"\S{20,}"))
    reports.append(inspect(page, "admin", "token created"))
    page.get_by_role("link", name="Back to your account").click()
    expect(page.get_by_role("button", name=re.compile("^Revoke"))).to_have_count(1)
    expect(page.get_by_role("cell", name="Court case system", exact=True)).to_be_visible()
    reports.append(inspect(page, "admin", "with a token"))
    problems = all_findings(reports)
    assert not problems, _message(problems, "problems on pages shown after a form")


def test_the_caseload_search_keeps_what_was_typed_out_of_the_address_and_passes_axe(role_pages) -> None:
    page = role_pages["worker"]
    reports: list[PageReport] = []
    page.goto("/cases?tab=open")
    urn = page.locator("table tbody tr").first.locator("td").first.inner_text().strip()
    assert urn, "the open tab lists at least one case"
    page.locator("#urn").fill(urn.lower().replace("/", " "))
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table caption")).to_have_text("Search results: 1 case")
    assert page.url.endswith("/cases/search"), page.url
    reports.append(inspect(page, "worker", "caseload search results"))

    page.locator("#urn").fill("")
    page.locator("#family_name").fill("Nobody")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter her date of birth to search by family name")
    assert "Nobody" not in page.url, page.url
    reports.append(inspect(page, "worker", "caseload search without a date of birth"))
    problems = all_findings(reports)
    assert not problems, _message(problems, "problems on the caseload search")
