"""The page checks themselves: a page breaking every rule they look for must fail each of them, or a clean crawl
proves nothing."""

from __future__ import annotations

import pytest

from tests.e2e.checks import inspect

pytestmark = pytest.mark.e2e

BROKEN_PAGE = """<!DOCTYPE html>
<html>
<head><title>Broken</title><style>body { font-family: "GDS Transport", arial, sans-serif; }</style></head>
<body>
  <header><span class="govuk-header__logotype">GOV.UK</span></header>
  <h1>One</h1>
  <h1>Two</h1>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <input type="text" name="unlabelled">
</body>
</html>"""


def test_the_checks_catch_a_page_that_breaks_every_rule(signed_out_page) -> None:
    page = signed_out_page
    page.set_content(BROKEN_PAGE)

    report = inspect(page, "test", "broken on purpose")

    rules = {violation.split(" ", 1)[0] for violation in report.violations}
    assert {"html-has-lang", "image-alt", "label"} <= rules, report.violations
    assert len(report.shape) == 3, report.shape
    assert len(report.branding) == 3, report.branding
