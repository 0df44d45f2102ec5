"""The page helper's own checks (tests/pages.py): each fails on the page defect it is there for, and lets a page
without it through, so a page test that passes has really been checked."""

from __future__ import annotations

import pytest
from flask import Flask, redirect, request

from tests import pages

GOOD_FORM = """
<form method="post" action="/things">
  <input type="hidden" name="csrf_token" value="token-1">
  <input type="text" id="name" name="name" value="Ada">
</form>
"""
ERROR_SUMMARY = """
<div class="govuk-error-summary"><h2 class="govuk-error-summary__title">There is a problem</h2>
  <ul class="govuk-list govuk-error-summary__list"><li><a href="#{target}">Enter a
     name</a></li></ul>
</div>
"""


def document(body: str = GOOD_FORM, title: str | None = "Things - Service") -> str:
    head = f"<title>\n  {title}\n</title>" if title is not None else ""
    return f"<!DOCTYPE html><html lang='en'><head>{head}</head><body><main>{body}</main></body></html>"


@pytest.fixture
def site() -> Flask:
    """A small app serving whatever page a test sets, with CSRF on as the suite's app has it."""
    app = Flask(__name__)
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["page"] = document()

    @app.get("/page")
    def page() -> str:
        return str(app.config["page"])

    @app.post("/page")
    def posted() -> tuple[str, int]:
        return str(app.config["page"]), int(app.config.get("post_status", 200))

    @app.get("/away")
    def away():
        return redirect("/page")

    @app.before_request
    def record() -> None:
        app.config["sent"] = request.form.to_dict()

    return app


def serve(site: Flask, html: str):
    site.config["page"] = html
    return site.test_client()


def test_a_good_page_passes_and_reads(site: Flask) -> None:
    body = GOOD_FORM + ERROR_SUMMARY.format(target="name") + '<p id="name-error" class="govuk-error-message">'
    body += '<span class="govuk-visually-hidden">Error:</span> Enter a name</p>'
    page = pages.get(serve(site, document(body, title="Error: Things - Service")), "/page")
    assert page.title == "Error: Things - Service"
    assert page.error_summary == ["Enter a name"]
    assert page.error_summary_links == ["#name"]
    assert page.errors == {"name": "Enter a name"}
    assert page.csrf_token == "token-1"
    assert page.value("name") == "Ada"
    assert page.hidden_fields(page.form("/things")) == {"csrf_token": "token-1"}


def test_a_wrong_status_fails(site: Flask) -> None:
    client = serve(site, document())
    with pytest.raises(pages.PageError, match="status 200, expected 404"):
        pages.get(client, "/page", status=404)
    with pytest.raises(pages.PageError, match="status 302, expected 200"):
        pages.get(client, "/away")
    with pytest.raises(pages.PageError, match="redirects to '/page', expected '/elsewhere'"):
        pages.get(client, "/away", status=302, redirect="/elsewhere")
    assert pages.get(client, "/away", status=302, redirect="/page").location == "/page"


@pytest.mark.parametrize("title", [None, "", "  \n "])
def test_a_missing_or_empty_title_fails(site: Flask, title: str | None) -> None:
    with pytest.raises(pages.PageError, match="no <title>"):
        pages.get(serve(site, document(title=title)), "/page")


def test_a_duplicate_id_fails_unless_allowed_by_name(site: Flask) -> None:
    client = serve(site, document(GOOD_FORM + '<p id="name">Again</p><p id="other"></p><p id="other"></p>'))
    with pytest.raises(pages.PageError, match="id 'name' is used 2 times; id 'other' is used 2 times"):
        pages.get(client, "/page")
    with pytest.raises(pages.PageError, match="id 'other' is used 2 times"):
        pages.get(client, "/page", allow_duplicate_ids={"name"})
    pages.get(client, "/page", allow_duplicate_ids={"name", "other"})


@pytest.mark.parametrize(
    "form",
    [
        '<form method="post" action="/things"><input type="text" name="name"></form>',
        '<form method="POST" action="/things"><input type="hidden" name="csrf_token" value=""></form>',
        '<form method="post" action="/things"><input type="text" name="csrf_token" value="shown"></form>',
        '<form method="post" action="/things"><input type="hidden" name="csrf_token_old" value="t"></form>',
        '<form method="post" action="/things"><input type="hidden" name="case-1-csrf_token" value=""></form>',
    ],
)
def test_a_post_form_without_a_csrf_token_fails(site: Flask, form: str) -> None:
    client = serve(site, document(form))
    with pytest.raises(pages.PageError, match="the POST form to '/things' has no CSRF token"):
        pages.get(client, "/page")
    pages.get(client, "/page", allow_missing_csrf={"/things"})
    site.config["WTF_CSRF_ENABLED"] = False
    pages.get(client, "/page")


def test_a_prefixed_form_s_token_is_its_csrf_token(site: Flask) -> None:
    """A form rendered with a prefix, one of several on a page, carries its token as "<prefix>-csrf_token"."""
    prefixed = '<form method="post" action="/things"><input type="hidden" name="case-1-csrf_token" value="t"></form>'
    pages.get(serve(site, document(prefixed)), "/page")


def test_a_post_form_without_an_action_fails_and_a_get_form_needs_no_token(site: Flask) -> None:
    no_action = '<form method="post"><input type="hidden" name="csrf_token" value="t"></form>'
    with pytest.raises(pages.PageError, match="a POST form without an action"):
        pages.get(serve(site, document(no_action)), "/page")
    pages.get(serve(site, document('<form method="get" action="/search"><input name="q"></form>')), "/page")


def test_an_error_summary_linking_to_a_missing_id_fails(site: Flask) -> None:
    client = serve(site, document(GOOD_FORM + ERROR_SUMMARY.format(target="nowhere"), title="Error: Things"))
    with pytest.raises(pages.PageError, match="the error summary links to '#nowhere', which is not on the page"):
        pages.get(client, "/page")
    assert pages.get(client, "/page", allow_dangling_error_links={"#nowhere"}).error_summary == ["Enter a name"]


def test_an_error_summary_and_the_title_agree(site: Flask) -> None:
    summary = GOOD_FORM + ERROR_SUMMARY.format(target="name")
    with pytest.raises(pages.PageError, match='does not start "Error: "'):
        pages.get(serve(site, document(summary, title="Things")), "/page")
    with pytest.raises(pages.PageError, match="says Error but there is no error summary"):
        pages.get(serve(site, document(GOOD_FORM, title="Error: Things")), "/page")


def test_a_post_sends_the_token_from_the_page_and_checks_the_answer(site: Flask) -> None:
    client = serve(site, document())
    pages.post(client, "/page", {"name": "Ada"})
    assert site.config["sent"] == {"name": "Ada", "csrf_token": "token-1"}
    pages.post(client, "/page", {"name": "Ada"}, send_token=False)
    assert site.config["sent"] == {"name": "Ada"}
    site.config["post_status"] = 422
    with pytest.raises(pages.PageError, match="status 422, expected 200"):
        pages.post(client, "/page", {"name": "Ada"})


def test_readers_fail_clearly_on_what_is_not_there(site: Flask) -> None:
    page = pages.get(serve(site, document()), "/page")
    with pytest.raises(pages.PageError, match="0 elements match 'table'"):
        page.table_rows()
    with pytest.raises(pages.PageError, match="0 links reading 'Home'"):
        page.link("Home")
    with pytest.raises(pages.PageError, match="0 fields named 'missing'"):
        page.value("missing")
