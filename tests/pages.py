"""One reader of the app's HTML pages for the tests, on BeautifulSoup (docs/testing.md, "Page tests").

``get`` and ``post`` send a request through the test client, assert the status, and parse the answer into a
``Page``. Every HTML page is checked on the way, whatever the test is about, as GOV.UK Notify's ``client_request``
does: a title, "Error: " before it exactly when an error summary is shown, no id used twice, every POST form with an
action and (CSRF being on) its token, and error summary links that lead to something on the page. Tests then read
the page through ``Page``'s helpers instead of matching the HTML's text with patterns, so a change of attribute
order or whitespace in a template does not break them and a missing element fails with a clear message.

A check that finds a real defect in a page is allowed for that page only, by name (``allow_duplicate_ids={"x"}``,
``allow_missing_csrf={"/action"}``, ``allow_dangling_error_links={"#field"}``), so the rest of the checks still run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

__all__ = ["Allowances", "Page", "PageError", "get", "normalise", "parse", "post", "read"]

# The visually hidden prefix GOV.UK puts before a field's error message for screen readers.
_HIDDEN_ERROR_PREFIX = re.compile(r"^Error:\s*")


class PageError(AssertionError):
    """A page that breaks one of the checks every page gets, or lacks what a test asked it for."""


def normalise(text: str) -> str:
    """Runs of whitespace (newlines and indentation from templates included) as one space, trimmed."""
    return " ".join(text.split())


class Page:
    """A response and its parsed HTML, with readers for what the tests ask of GOV.UK pages."""

    def __init__(self, response: TestResponse) -> None:
        self.response = response
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        self.soup = BeautifulSoup(self.html, "html.parser")

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.title!r}>"

    # --- the response ---

    @property
    def location(self) -> str | None:
        """Where a redirect leads."""
        return self.response.headers.get("Location")

    @property
    def is_html(self) -> bool:
        # A redirect's body is Werkzeug's stub ("Redirecting..."), not one of the app's pages.
        return self.response.mimetype == "text/html" and not 300 <= self.status < 400 and bool(self.html.strip())

    # --- the document ---

    @property
    def title(self) -> str:
        """The ``<title>``, whitespace normalised; empty when there is none."""
        title = self.soup.title
        return normalise(title.get_text()) if title else ""

    @property
    def language(self) -> str:
        """The page's language, from ``<html lang>``: "en" when it says none."""
        html = self.soup.find("html")
        return str(html.get("lang") or "en") if html is not None else "en"

    @property
    def text(self) -> str:
        """Every piece of text in the document, tags taken as spaces and whitespace normalised."""
        return normalise(self.soup.get_text(" "))

    def select(self, selector: str) -> list[Tag]:
        return list(self.soup.select(selector))

    def select_one(self, selector: str) -> Tag:
        """The one element the selector names; fails if there is none or more than one."""
        found = self.select(selector)
        if len(found) != 1:
            raise PageError(f"{len(found)} elements match {selector!r} on {self!r}, not one")
        return found[0]

    def has(self, selector: str) -> bool:
        return self.soup.select_one(selector) is not None

    def text_of(self, selector: str) -> str:
        """The normalised text of the one element the selector names."""
        return normalise(self.select_one(selector).get_text(" "))

    def ids(self) -> list[str]:
        return [str(element["id"]) for element in self.soup.find_all(id=True)]

    # --- errors ---

    @property
    def error_summary(self) -> list[str]:
        """The messages in the GOV.UK error summary, in order; empty when there is no summary."""
        return [normalise(link.get_text(" ")) for link in self.soup.select(".govuk-error-summary a")]

    @property
    def error_summary_links(self) -> list[str]:
        """Where the error summary's messages lead (their ``href``), in order."""
        return [str(link.get("href", "")) for link in self.soup.select(".govuk-error-summary a")]

    @property
    def errors(self) -> dict[str, str]:
        """Each field's own error message, by the field's id (the message's id less ``-error``)."""
        found = {}
        for message in self.soup.select(".govuk-error-message"):
            key = str(message.get("id", "")).removesuffix("-error")
            found[key] = _HIDDEN_ERROR_PREFIX.sub("", normalise(message.get_text(" ")))
        return found

    # --- forms ---

    def forms(self, method: str | None = None) -> list[Tag]:
        forms = self.soup.find_all("form")
        if method is None:
            return list(forms)
        return [form for form in forms if str(form.get("method", "get")).lower() == method.lower()]

    def form(self, action: str | None = None, *, containing: str | None = None) -> Tag:
        """The one form whose action is ``action`` (its path, any query string aside) and, if named, which has a
        field called ``containing``; fails if there is none or more than one."""
        found = [
            form
            for form in self.forms()
            if (action is None or str(form.get("action", "")).split("?")[0] == action)
            and (containing is None or form.find(attrs={"name": containing}) is not None)
        ]
        if len(found) != 1:
            raise PageError(f"{len(found)} forms with action {action!r} containing {containing!r} on {self!r}")
        return found[0]

    def hidden_fields(self, form: Tag | None = None) -> dict[str, str]:
        """The hidden inputs of a form (or the whole page), by name: what the form carries to its next step."""
        scope = form if form is not None else self.soup
        return {
            str(field["name"]): str(field.get("value", ""))
            for field in scope.find_all("input", attrs={"type": "hidden"})
            if field.get("name")
        }

    def inputs(self, name: str, form: Tag | None = None) -> list[Tag]:
        """Every input, select or textarea called ``name``."""
        scope = form if form is not None else self.soup
        return list(scope.find_all(["input", "select", "textarea"], attrs={"name": name}))

    def value(self, name: str, form: Tag | None = None) -> str:
        """What the one field called ``name`` holds: an input's value, a textarea's text, a select's chosen
        option; fails if there is no such field or several (radios and checkboxes: use ``checked``)."""
        fields = self.inputs(name, form)
        if len(fields) != 1:
            raise PageError(f"{len(fields)} fields named {name!r} on {self!r}, not one")
        field = fields[0]
        if field.name == "textarea":
            # The parser keeps the newline HTML drops after <textarea>; what the browser shows does not have it.
            return field.get_text().removeprefix("\n")
        if field.name == "select":
            chosen = self.selected(name, form)
            return chosen[0] if chosen else ""
        return str(field.get("value", ""))

    def checked(self, name: str, form: Tag | None = None) -> list[str]:
        """The values of the radios or checkboxes called ``name`` that are ticked."""
        return [str(field.get("value", "")) for field in self.inputs(name, form) if field.has_attr("checked")]

    def selected(self, name: str, form: Tag | None = None) -> list[str]:
        """The values of the options chosen in the select called ``name``."""
        return [
            str(option.get("value", ""))
            for select in self.inputs(name, form)
            for option in select.find_all("option")
            if option.has_attr("selected")
        ]

    @property
    def csrf_token(self) -> str:
        """The CSRF token from the page's forms."""
        field = self.soup.find("input", attrs={"name": "csrf_token"})
        if not isinstance(field, Tag) or not field.get("value"):
            raise PageError(f"no CSRF token on {self!r}")
        return str(field["value"])

    # --- tables and links ---

    def table_rows(self, selector: str = "table") -> list[list[str]]:
        """The rows of the one table the selector names, each a list of its cells' texts (``th`` and ``td``); the
        rows of its ``thead`` are left out."""
        table = self.select_one(selector)
        return [
            [normalise(cell.get_text(" ")) for cell in row.find_all(["th", "td"])]
            for row in table.find_all("tr")
            if row.find_parent("thead") is None
        ]

    def summary_list(self, within: str | None = None) -> dict[str, str]:
        """A GOV.UK summary list (the page's only one, or the one inside ``within``) as {key: value}."""
        scope = self.select_one(within) if within else self.select_one(".govuk-summary-list")
        return {
            normalise(row.select_one(".govuk-summary-list__key").get_text(" ")): normalise(
                row.select_one(".govuk-summary-list__value").get_text(" ")
            )
            for row in scope.select(".govuk-summary-list__row")
        }

    def link(self, text: str, within: str | None = None) -> str:
        """The ``href`` of the one link whose text is ``text``; fails if there is none or several."""
        scope = self.select_one(within) if within else self.soup
        found = [link for link in scope.find_all("a") if normalise(link.get_text(" ")) == text]
        if len(found) != 1:
            raise PageError(f"{len(found)} links reading {text!r} on {self!r}, not one")
        return str(found[0].get("href", ""))

    def links(self, within: str | None = None) -> list[tuple[str, str]]:
        """Every link (or those inside the one element ``within`` names) as (text, href), in order."""
        scope = self.select_one(within) if within else self.soup
        return [(normalise(link.get_text(" ")), str(link.get("href", ""))) for link in scope.find_all("a")]

    def hrefs(self) -> list[str]:
        return [str(link["href"]) for link in self.soup.find_all(href=True)]


# --- the checks every page gets ---


@dataclass(frozen=True)
class Allowances:
    """Known defects a check lets through, each for the one page a test names, so the page's other checks still
    run: ids that may appear twice, POST form actions that may lack a CSRF token, error summary links that may lead
    nowhere."""

    duplicate_ids: Collection[str] = ()
    missing_csrf: Collection[str] = ()
    dangling_error_links: Collection[str] = ()


def check(page: Page, *, csrf: bool, allow: Allowances = Allowances()) -> None:
    """The checks every HTML page gets; a failure names the page and what is wrong with it."""
    if not page.is_html:
        return
    problems = [
        *_title_problems(page),
        *_duplicate_id_problems(page, allow.duplicate_ids),
        *_form_problems(page, csrf=csrf, allowed=allow.missing_csrf),
        *_error_summary_problems(page, allow.dangling_error_links),
    ]
    if problems:
        raise PageError(f"{page.response.request.path} ({page.status}): " + "; ".join(problems))


ERROR_PREFIXES = {"en": "Error: ", "cy": "Gwall: "}


def _title_problems(page: Page) -> Iterable[str]:
    title = page.title
    if not title:
        yield "no <title>"
        return
    shows_errors = page.has(".govuk-error-summary")
    # "Error: " in the page's language (docs/languages.md): "Gwall: " on a page in Welsh.
    prefix = ERROR_PREFIXES.get(page.language, "Error: ")
    if shows_errors and not title.startswith(prefix):
        yield f'an error summary, but the title {title!r} does not start "{prefix}"'
    if title.startswith(prefix) and not shows_errors:
        yield f"the title {title!r} says Error but there is no error summary"


def _duplicate_id_problems(page: Page, allowed: Collection[str]) -> Iterable[str]:
    for element_id, count in Counter(page.ids()).items():
        if count > 1 and element_id not in allowed:
            yield f"id {element_id!r} is used {count} times"


def _form_problems(page: Page, *, csrf: bool, allowed: Collection[str]) -> Iterable[str]:
    for form in page.forms("post"):
        action = str(form.get("action", ""))
        if not action:
            yield "a POST form without an action"
        if csrf and action not in allowed and not _carries_token(page.hidden_fields(form)):
            yield f"the POST form to {action!r} has no CSRF token"


def _carries_token(hidden: Mapping[str, str]) -> bool:
    # A form rendered with a prefix (one of several on a page) names its token "<prefix>-csrf_token", which
    # Flask-WTF's CSRF check accepts as it does "csrf_token".
    return any(value and (name == "csrf_token" or name.endswith("-csrf_token")) for name, value in hidden.items())


def _error_summary_problems(page: Page, allowed: Collection[str]) -> Iterable[str]:
    ids = set(page.ids())
    for href in page.error_summary_links:
        if href not in allowed and (not href.startswith("#") or href[1:] not in ids):
            yield f"the error summary links to {href!r}, which is not on the page"


# --- requests ---


def parse(
    response: TestResponse,
    *,
    status: int = 200,
    redirect: str | None = None,
    csrf: bool = True,
    allow: Allowances = Allowances(),
) -> Page:
    """A response as a ``Page``, after asserting its status (and where a redirect leads) and checking its HTML."""
    page = Page(response)
    if page.status != status:
        raise PageError(f"{response.request.path}: status {page.status}, expected {status}: {page.text[:300]}")
    if redirect is not None and page.location != redirect:
        raise PageError(f"{response.request.path}: redirects to {page.location!r}, expected {redirect!r}")
    check(page, csrf=csrf, allow=allow)
    return page


def read(response: TestResponse, *, csrf: bool = True, **allow: Collection[str]) -> Page:
    """A response a test has already sent and checked the status of, as a checked ``Page`` (the suite's app has
    CSRF on; say ``csrf=False`` for one that has turned it off); ``allow`` takes the ``allow_*`` names ``get``
    does."""
    allowances = Allowances(**{name.removeprefix("allow_"): value for name, value in allow.items()})
    return parse(response, status=response.status_code, csrf=csrf, allow=allowances)


def get(
    client: FlaskClient,
    url: str,
    *,
    status: int = 200,
    redirect: str | None = None,
    allow_duplicate_ids: Collection[str] = (),
    allow_missing_csrf: Collection[str] = (),
    allow_dangling_error_links: Collection[str] = (),
    **kwargs: Any,
) -> Page:
    """GET a page, assert its status and check it (``kwargs`` go to the test client, e.g. ``headers``)."""
    allow = Allowances(allow_duplicate_ids, allow_missing_csrf, allow_dangling_error_links)
    return parse(client.get(url, **kwargs), status=status, redirect=redirect, csrf=_csrf_enabled(client), allow=allow)


def post(
    client: FlaskClient,
    url: str,
    data: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    redirect: str | None = None,
    token_from: str | None = None,
    send_token: bool = True,
    allow_duplicate_ids: Collection[str] = (),
    allow_missing_csrf: Collection[str] = (),
    allow_dangling_error_links: Collection[str] = (),
    **kwargs: Any,
) -> Page:
    """POST a form as the browser would, with the CSRF token from the page that shows it (``token_from``, by
    default ``url`` itself, fetched and checked as a page too, with the same allowances); assert the answer's status
    and check it. A ``csrf_token`` already in ``data`` is sent as it is; ``send_token=False`` sends none, as a
    forged form would."""
    form = dict(data or {})
    csrf = _csrf_enabled(client)
    if csrf and send_token and "csrf_token" not in form:
        shown = get(
            client,
            token_from or url,
            allow_duplicate_ids=allow_duplicate_ids,
            allow_missing_csrf=allow_missing_csrf,
            allow_dangling_error_links=allow_dangling_error_links,
        )
        form["csrf_token"] = shown.csrf_token
    allow = Allowances(allow_duplicate_ids, allow_missing_csrf, allow_dangling_error_links)
    return parse(client.post(url, data=form, **kwargs), status=status, redirect=redirect, csrf=csrf, allow=allow)


def _csrf_enabled(client: FlaskClient) -> bool:
    return bool(client.application.config.get("WTF_CSRF_ENABLED", True))
