"""Every page the app can show by GET is reached by some browser test: a page nothing links to fails here."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

pytestmark = pytest.mark.e2e

# Files (assets, and a case's document, downloaded in tests/e2e/test_documents.py), the health checks
# (docs/operations.md), the JSON API and the page's JSON session check (docs/sessions.md) are not pages; nor is the
# sign-in page's language switch, which only redirects back to it (driven in tests/e2e/test_sign_in.py).
NOT_PAGES = frozenset(
    {
        "main.assets",
        "main.health",
        "main.health_live",
        "main.health_ready",
        "static",
        "auth.session_status",
        "documents.download",
        "auth.switch_language",
    }
)


def page_endpoints(app: Flask) -> set[str]:
    """The endpoints that answer GET with a page."""
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint not in NOT_PAGES and not rule.rule.startswith("/api/")
    }


def endpoint_of(app: Flask, path: str) -> str | None:
    """The endpoint a visited path was served by, or None when it matches none."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path.split("?", 1)[0], method="GET")
    except (RequestRedirect, HTTPException):
        return None
    return endpoint


def test_every_page_is_reached_by_a_browser_test(app, crawl, sign_in_pages) -> None:
    pages = page_endpoints(app)
    assert {"main.home", "auth.account", "admin.users", "auth.login"} <= pages

    visited = [path for _, path in crawl.visited] + sign_in_pages.paths
    reached = {endpoint_of(app, path) for path in visited}
    missing = sorted(pages - reached)
    assert not missing, (
        "no browser test reaches these pages; link to them from a page a role can reach, or drive them in "
        f"tests/e2e: {', '.join(missing)}"
    )
