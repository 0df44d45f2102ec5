"""A case's documents in a real browser: a support worker reaches the Documents tab by keyboard, is refused a
program renamed as a PDF with the reason in the error summary, uploads the consent form she signed, and downloads it
back byte for byte. The page is checked with axe-core (and the shape and branding checks) as shown and in its error
state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.checks import PageReport, assert_clean, expect_error_summary, inspect
from tests.e2e.keyboard import follow, send

pytestmark = pytest.mark.e2e

TITLE = "Consent form signed with an interpreter"
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
    b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def _choose(page: Page, name: str, data: bytes, mime: str) -> None:
    page.locator("#file").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])


def test_a_worker_uploads_a_pdf_and_downloads_it(role_pages: dict[str, Page], server) -> None:
    page = role_pages["worker"]
    case = server.outcomes["cases"]["drafts"]["id"]
    reports: list[PageReport] = []

    page.goto(f"/cases/{case}")
    follow(page, "Documents")
    expect(page.locator("h1")).to_have_text("Documents")
    expect(page).to_have_title(re.compile(r"^Documents - Case"))
    reports.append(inspect(page, "worker", "documents"))

    # A program renamed as a PDF is refused for what it is, and the title she typed is kept.
    page.locator("#title").fill(TITLE)
    _choose(page, "consent.pdf", EXE, "application/pdf")
    send(page, "Upload document")
    expect_error_summary(page, "The file must be a PDF, JPEG, PNG or Word document")
    expect(page.locator("#file-error")).to_contain_text("The file must be a PDF, JPEG, PNG or Word document")
    expect(page.locator("#title")).to_have_value(TITLE)
    expect(page.locator("main table")).to_have_count(0)
    reports.append(inspect(page, "worker", "documents, a program renamed as a PDF"))

    # Nothing chosen and no title: both named.
    page.locator("#title").fill("")
    send(page, "Upload document")
    expect_error_summary(page, "Enter a title for the document", "Select a file")
    reports.append(inspect(page, "worker", "documents, sent empty"))

    page.locator("#title").fill(TITLE)
    _choose(page, "scan.pdf", PDF, "application/pdf")
    send(page, "Upload document")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Document uploaded.")
    row = page.locator("main table tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("PDF")
    reports.append(inspect(page, "worker", "documents, one uploaded"))

    with page.expect_download() as download:
        row.get_by_role("link", name=re.compile(re.escape(TITLE))).click()
    assert download.value.path().read_bytes() == PDF
    assert re.fullmatch(r"document-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.pdf", download.value.suggested_filename)
    assert_clean(reports, "the documents page")
