"""A manager reads and approves the Welsh messages of her scheme in a real browser (docs/languages.md, "Messages in
her language"): the list of languages and their status, the Welsh page, a wording with a refused Welsh word (an
error summary naming the word), a wording that lost its $time, then the catalogue's wording approved; and an
approval from a page shown before her own approval in another tab (409, both side by side, then approved with her
choices). Each state is checked with axe-core. The server's database is the whole browser suite's, so the wording
approved last is the catalogue's own: any Welsh-speaking woman of a later test is reminded in the catalogue's
Welsh."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from diversion.notifications.wording import catalogues
from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect

pytestmark = pytest.mark.e2e

SCHEME = "Court diversion"


def approve(page: Page) -> None:
    page.get_by_role("button", name="Approve these messages").click()


def test_a_manager_approves_the_welsh_messages(role_pages: dict[str, Page]) -> None:
    reports: list[PageReport] = []
    welsh = catalogues()["cy"]
    page = role_pages["manager"]
    page.goto("/programmes")
    page.locator("table").get_by_role("link", name=SCHEME, exact=True).click()
    page.get_by_role("link", name="Read and approve the messages in each language").click()
    expect(page.locator("h1")).to_have_text("Messages in her language")
    expect(page.locator("table")).to_contain_text("Welsh")
    reports.append(inspect(page, "manager", "messages in her language"))
    list_url = page.url

    page.locator("table").get_by_role("link", name="Welsh", exact=True).click()
    expect(page.locator("h1")).to_have_text("Welsh messages")
    expect(page.locator("#sms_body")).to_have_value(re.compile(r"^Nodyn atgoffa|^Nodyn: "))
    reports.append(inspect(page, "manager", "the Welsh messages"))
    welsh_url = page.url

    # A refused word (a mutated form of "trosedd", offence): refused, naming the word only.
    page.locator("#email_subject").fill("Apwyntiad am eich drosedd")
    approve(page)
    expect_error_summary(
        page, "The email subject contains \u201cdrosedd\u201d, a word that could tell someone what the appointment"
    )
    reports.append(inspect(page, "manager", "the Welsh messages with a refused word"))

    # The time left out of the text message: refused.
    page.locator("#email_subject").fill(welsh["email_subject"])
    page.locator("#sms_body").fill("Nodyn atgoffa: mae gennych apwyntiad ar $day.")
    approve(page)
    expect_error_summary(page, "The text message must have $day and $time")
    reports.append(inspect(page, "manager", "the Welsh messages without the time"))

    # Another tab approves a version while this page is open: this one is then stale.
    page.goto(welsh_url)
    other = page.context.new_page()
    try:
        other.goto(welsh_url)
        other.locator("#sms_body").fill("Nodyn: mae gennych apwyntiad ar $day am $time.")
        approve(other)
        expect(other.locator(".govuk-notification-banner")).to_contain_text("of the Welsh messages is approved")
    finally:
        other.close()
    page.locator("#sms_body").fill(welsh["sms_body"])
    page.locator("#email_subject").fill("Apwyntiad")
    approve(page)
    expect_error_summary(page, "Someone else approved these messages")
    expect(page.locator("#conflict")).to_contain_text(re.compile(r"Text message\s*Different"))
    reports.append(inspect(page, "manager", "a stale approval"))

    page.locator("input[name='keep-sms_body'][value='mine']").check()
    page.locator("input[name='keep-email_subject'][value='theirs']").check()
    page.get_by_role("button", name="Save with these choices").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("of the Welsh messages is approved")
    expect(page.locator("table")).to_contain_text(re.compile(r"Approved: version \d+"))
    reports.append(inspect(page, "manager", "the Welsh messages approved"))
    assert page.url == list_url

    # The catalogue's own wording, approved last.
    page.goto(welsh_url)
    for part, text in welsh.items():
        page.locator(f"#{part}").fill(text)
    approve(page)
    expect(page.locator(".govuk-notification-banner")).to_be_visible()
    assert_clean(reports, "the Welsh messages")
