"""A CPS user's webhooks in a real browser, by keyboard: the list with its form sent empty, a new webhook with its
secret shown once, its page with the delivery log, pause, resume and delete. Each page is checked with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect
from tests.e2e.keyboard import follow, send, tick, type_into

pytestmark = pytest.mark.e2e

# Nothing listens on the discard port: a delivery to it fails at once, and the webhook is deleted at the end.
URL = "http://127.0.0.1:9/cps-case-system"


def test_a_cps_user_creates_pauses_resumes_and_deletes_a_webhook(role_pages: dict[str, Page]) -> None:
    page = role_pages["cps"]
    reports: list[PageReport] = []

    def check(state: str) -> None:
        reports.append(inspect(page, "cps", state))

    page.goto("/account")
    follow(page, "Manage your webhooks")
    expect(page.locator("h1")).to_have_text("Webhooks")
    check("webhooks")

    send(page, "Create the webhook")
    expect_error_summary(page, "Enter the address to send events to", "Choose at least one event")
    check("sent empty")

    type_into(page, "#url", "http://10.0.0.1/hook")
    tick(page, "An outcome notice is made")
    send(page, "Create the webhook")
    expect_error_summary(page, "The address must be on the public internet")
    check("a private address")

    type_into(page, "#url", URL)
    send(page, "Create the webhook")
    expect(page.locator("h1")).to_have_text("Your new webhook's secret")
    secret = page.locator("#webhook-secret").inner_text()
    assert re.fullmatch(r"whsec_[0-9a-f]{64}", secret)
    check("the secret, once")

    follow(page, "See the webhook and its deliveries")
    expect(page.locator("h1")).to_have_text("Webhook")
    expect(page.locator("main")).to_contain_text(URL)
    expect(page.locator("main")).not_to_contain_text(secret)
    check("the webhook")

    send(page, "Pause")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("The webhook is paused")
    check("paused")
    send(page, "Resume")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("The webhook is resumed")
    send(page, "Delete")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("The webhook is deleted")
    expect(page.locator("main")).not_to_contain_text(URL)
    check("deleted")

    assert_clean(reports, "the CPS user's webhook pages")
