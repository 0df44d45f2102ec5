"""A breadth-first walk of every page a signed-in user can reach by links, checking each page, and each of its forms
sent empty.

Nothing here knows the app's pages: new pages join the walk as soon as something links to them.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.e2e.checks import PageReport, inspect, path_of

LIMIT = 200
# Pages of one shape (a case's overview, for every case) differ only in their data: a few of each are enough, so
# the walk stays quick however many records the seed holds. A new kind of page is always visited.
PER_SHAPE = 2
_ID_SEGMENT = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+)$")
# Signing out would end the session every later test shares; assets and the API are not pages.
SKIPPED_PATHS = frozenset({"/sign-out"})
SKIPPED_PREFIXES = ("/assets/", "/api/")
# Forms that sign in or out change the session rather than show an error state.
SKIPPED_FORM_PREFIXES = ("/sign-out", "/sign-in")

_FORMS = """() => Array.from(document.forms).map((form, index) => ({
  index,
  method: (form.getAttribute("method") || "get").toLowerCase(),
  action: new URL(form.getAttribute("action") || "", location.href).pathname,
  names: Array.from(form.elements).map((element) => element.name).filter(Boolean).join(" "),
  fields: form.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=image]):not([type=reset]),"
    + " select, textarea"
  ).length,
}))"""

# Clears every field, including values the page filled in (an edit form), so the server sees an empty form; the
# browser's own validation is switched off so that the server's error state is what comes back.
_SEND_EMPTY = """(index) => {
  const form = document.forms[index];
  for (const element of form.elements) {
    if (element.tagName === "SELECT") {
      element.selectedIndex = Array.from(element.options).findIndex((option) => option.value === "");
    } else if (element.type === "radio" || element.type === "checkbox") {
      element.checked = false;
    } else if (!["hidden", "submit", "button", "image", "reset"].includes(element.type) && "value" in element) {
      element.value = "";
    }
  }
  form.noValidate = true;
  form.requestSubmit(form.querySelector("[type=submit]") || undefined);
}"""


@dataclass
class FormOutcome:
    """What came back when one form was sent empty."""

    who: str
    page: str
    method: str
    action: str
    status: int
    error_summary: bool


@dataclass
class Crawl:
    """Everything the walks found, over every role."""

    reports: list[PageReport] = field(default_factory=list)
    # Each path asked for and each landed on: "/" counts as a visit to the index although it redirects to /home.
    visited: list[tuple[str, str]] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    not_html: list[str] = field(default_factory=list)
    forms: list[FormOutcome] = field(default_factory=list)
    # (who, method, action, field names): a form repeated on many pages (a search box on each tab) is sent once.
    sent: set[tuple[str, str, str]] = field(default_factory=set)
    # Templates axe has checked, over every role: the same template under another role's navigation adds nothing
    # axe can find (the navigation is the same component), and axe is most of the walk's time.
    axed: set[str] = field(default_factory=set)

    def reports_of(self, who: str) -> list[PageReport]:
        """The reports from one role's walk."""
        return [report for report in self.reports if report.who == who]


def _wanted(url: str, origin: str) -> str | None:
    """The path to visit for a link, or None when the walk leaves it alone."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    if parts.path in SKIPPED_PATHS or parts.path.startswith(SKIPPED_PREFIXES):
        return None
    return path_of(url)


# Query parameters whose value chooses a different view (a tab); any other value (a date, a page, a cursor, a sort)
# shows the same template with other data, so it does not make a new shape. Otherwise "next day" links would walk
# the calendar.
VIEW_PARAMETERS = frozenset({"tab", "status"})


def shape_of(path: str) -> str:
    """A path with its ids replaced, and its query reduced to names (and the values of view parameters only):
    pages of one shape show one template."""
    parts = urlsplit(path)
    segments = ["{id}" if _ID_SEGMENT.match(segment) else segment for segment in parts.path.split("/")]
    names = set()
    for item in filter(None, parts.query.split("&")):
        name, _, value = item.partition("=")
        names.add(f"{name}={value}" if name in VIEW_PARAMETERS else name)
    query = "&".join(sorted(names))
    return "/".join(segments) + (f"?{query}" if query else "")


def walk(page: Page, who: str, origin: str, crawl: Crawl, limit: int = LIMIT, per_shape: int = PER_SHAPE) -> None:
    """Visit every kind of page reachable from / (``per_shape`` of each shape), inspect it, and send its forms
    empty."""
    queue = deque(["/"])
    queued = {"/"}
    done: set[str] = set()
    shapes: Counter[str] = Counter()
    while queue and len(done) < limit:
        path = queue.popleft()
        if path in done:
            continue
        try:
            response = page.goto(path)
        except PlaywrightError as error:
            # A file download (an export, say) is not a page.
            if "Download is starting" not in error.message:
                raise
            crawl.not_html.append(f"{who} {path}: a download")
            crawl.visited.append((who, path))
            done.add(path)
            continue
        here = path_of(page.url)
        done.update({path, here})
        crawl.visited.append((who, path))
        if here != path:
            crawl.visited.append((who, here))
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            crawl.not_html.append(f"{who} {path}")
            continue
        if response.status >= 400:
            crawl.broken.append(f"{who} {path}: {response.status}")
        # axe once per template and role: a second case's overview differs only in its data.
        crawl.reports.append(inspect(page, who, with_axe=shape_of(here) not in crawl.axed))
        crawl.axed.add(shape_of(here))
        for link in page.eval_on_selector_all("a[href]", "links => links.map((link) => link.href)"):
            target = _wanted(link, origin)
            if target is not None and target not in queued and shapes[shape_of(target)] < per_shape:
                shapes[shape_of(target)] += 1
                queued.add(target)
                queue.append(target)
        _send_forms_empty(page, who, here, crawl)


def _send_forms_empty(page: Page, who: str, path: str, crawl: Crawl) -> None:
    """Send each form that has fields, empty, and inspect the error state that comes back."""
    # Button-only forms are never sent: they act at once (disable a user, revoke a token).
    forms = []
    for form in page.evaluate(_FORMS):
        # Each form once over every role: its error state is the same template whoever sends it.
        key = (form["method"], shape_of(form["action"]), form["names"])
        if form["fields"] and not form["action"].startswith(SKIPPED_FORM_PREFIXES) and key not in crawl.sent:
            crawl.sent.add(key)
            forms.append(form)
    for position, form in enumerate(forms):
        if position:
            page.goto(path)
        with page.expect_navigation() as navigation:
            page.evaluate(_SEND_EMPTY, form["index"])
        response = navigation.value
        has_summary = page.locator(".govuk-error-summary").count() > 0
        crawl.forms.append(
            FormOutcome(who, path, form["method"], form["action"], response.status if response else 0, has_summary)
        )
        if has_summary:
            crawl.reports.append(inspect(page, who, f"{form['method'].upper()} {form['action']} sent empty"))
