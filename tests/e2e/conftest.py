"""Browser test set-up: the app served from a subprocess on a free port, one Chromium, a signed-in context per role,
and the walks every check reads from.

Each role signs in once per run, through the real pages: an authenticator code cannot be used twice, so the
contexts are made once and shared.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.clock import SERVER_CLOCK_ENV, SUITE_NOW, shared_clock, shared_clock_now
from tests.conftest import DatabaseFactory
from tests.e2e import server as e2e_server
from tests.e2e.checks import PageReport, inspect
from tests.e2e.crawl import Crawl, walk
from tests.e2e.signing_in import (
    ENROL_PATH,
    NEW_PASSWORD_PATH,
    VERIFY_PATH,
    confirm_enrolment,
    leave_recovery_codes,
    send_empty,
    sign_in_first_time_together,
    sign_out,
    submit_password,
)

REPOSITORY = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = 30.0
# Every page answers in well under a second; a step that waits longer than this has gone wrong.
STEP_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Server:
    """The running app: where it is, and what its seeding wrote for the tests."""

    url: str
    temporary_password: str
    # The partners' cases: the court day, a later day, and each case's name, date of birth, URN, court and state.
    partners: dict
    # The outcome and message pages' records: each case's id and name by key, and the kept snapshot's id.
    outcomes: dict


def _free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(url: str) -> bool:
    """True once the server answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310 - our own http URL
            return response.status == 200
    except urllib.error.HTTPError as error:
        error.close()
        return False
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def server_clock() -> Iterator[str]:
    """One clock for the whole browser run, shared with the server (tests/clock.py): the contexts sign in once, at
    session scope, with authenticator codes worked out here and checked there."""
    value = shared_clock(SUITE_NOW)
    with time_machine.travel(shared_clock_now(value), tick=True):
        yield value


@pytest.fixture(autouse=True)
def clock(server_clock: str) -> str:
    """The browser tests keep the run's shared clock (this replaces tests/conftest.py's clock for them)."""
    return server_clock


@contextmanager
def serving(
    databases: DatabaseFactory, master_keys: str, instance: Path, server_clock: str, world: str = "shared"
) -> Iterator[tuple[str, dict]]:
    """A server on a free port with a fresh database, migrated and seeded with ``world`` (tests/e2e/server.py):
    its address and what its seeding wrote for the tests; stopped when the block ends."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": databases.new("e2e"),
        # The key store is a database of its own, of the same kind as the main one, as in tests/conftest.py.
        "DIVERSION_KEYSTORE_URL": databases.new("e2e_keys"),
        "DIVERSION_MASTER_KEYS": master_keys,
        SERVER_CLOCK_ENV: server_clock,
    }
    log_path = instance / "server.log"
    command = [sys.executable, "-m", "tests.e2e.server", "--port", str(port), "--instance", str(instance)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--world", world], cwd=REPOSITORY, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the e2e server did not start; its log:\n{log_path.read_text()}", pytrace=False)
                time.sleep(0.1)
            yield url, json.loads((instance / e2e_server.SEED_FILE).read_text())
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def server(
    databases: DatabaseFactory, master_keys: str, tmp_path_factory: pytest.TempPathFactory, server_clock: str
) -> Iterator[Server]:
    """The app on a free port with a fresh, migrated and seeded database; stopped at the end of the run."""
    with serving(databases, master_keys, tmp_path_factory.mktemp("e2e-instance"), server_clock) as (url, seeded):
        yield Server(
            url=url,
            temporary_password=seeded["temporary_password"],
            partners=seeded["partners"],
            outcomes=seeded["outcomes"],
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the run."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _new_context(browser: Browser, server: Server, **options) -> BrowserContext:
    """A fresh context on the server's origin, with a short timeout for each step."""
    context = browser.new_context(base_url=server.url, **options)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context


@pytest.fixture(scope="session")
def signed_out_tab(browser: Browser, server: Server) -> Iterator[Page]:
    """One tab for the tests that start signed out, reused because a new context costs a second to start."""
    context = _new_context(browser, server)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def signed_out_page(signed_out_tab: Page) -> Page:
    """The signed-out tab, with its cookies cleared so that nothing carries over from the test before."""
    signed_out_tab.context.clear_cookies()
    return signed_out_tab


@pytest.fixture
def devices(browser: Browser, server: Server) -> Iterator[Callable[[], Page]]:
    """Opens a tab in a context of its own, as on another device (her computer, her phone); all closed at the end."""
    opened: list[BrowserContext] = []

    def open_device() -> Page:
        context = _new_context(browser, server)
        opened.append(context)
        return context.new_page()

    try:
        yield open_device
    finally:
        for context in opened:
            context.close()


@pytest.fixture
def no_script_page(browser: Browser, server: Server) -> Iterator[Page]:
    """A tab in a context with JavaScript switched off."""
    context = _new_context(browser, server, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def role_pages(browser: Browser, server: Server) -> Iterator[dict[str, Page]]:
    """A tab per role, each in its own context, signed in once through the real pages and kept open."""
    pages: dict[str, Page] = {}
    try:
        for role in e2e_server.ROLES:
            pages[role] = _new_context(browser, server).new_page()
        emails = e2e_server.ROLE_EMAILS
        sign_in_first_time_together({emails[role]: page for role, page in pages.items()}, e2e_server.PASSWORD)
        yield pages
    finally:
        for page in pages.values():
            page.context.close()


@pytest.fixture(scope="session")
def crawl(role_pages: dict[str, Page], server: Server) -> Crawl:
    """Every role's walk from the home page, every page and every form's error state checked."""
    found = Crawl()
    for role, page in role_pages.items():
        walk(page, role, server.url, found)
    return found


@dataclass
class SignInPages:
    """The pages only reachable partway through signing in, as checked."""

    reports: list[PageReport]

    @property
    def paths(self) -> list[str]:
        """The paths checked."""
        return [report.path for report in self.reports]


@pytest.fixture(scope="session")
def sign_in_pages(signed_out_tab: Page, server: Server) -> SignInPages:
    """Each sign-in page checked as shown and sent empty, through a first and a second sign-in of one user."""
    page = signed_out_tab
    page.context.clear_cookies()
    reports: list[PageReport] = []

    # The user has a temporary password, so the first sign-in passes the new-password page too; the second, with a
    # recovery code, reaches the security-code page.
    def check(state: str = "page") -> None:
        """Inspect the page as it is now."""
        reports.append(inspect(page, "temporary user", state))

    page.goto("/sign-in")
    check()
    send_empty(page, "Sign in")
    check("sent empty")
    submit_password(page, e2e_server.TEMPORARY_EMAIL, server.temporary_password)
    page.wait_for_url(f"**{NEW_PASSWORD_PATH}")
    check()
    send_empty(page, "Save password")
    check("sent empty")
    page.locator("#password").fill(e2e_server.PASSWORD)
    page.locator("#confirm").fill(e2e_server.PASSWORD)
    page.get_by_role("button", name="Save password").click()
    page.wait_for_url(f"**{ENROL_PATH}")
    check()
    send_empty(page, "Continue")
    check("sent empty")
    codes = confirm_enrolment(page)
    check("recovery codes")
    leave_recovery_codes(page)
    sign_out(page)
    submit_password(page, e2e_server.TEMPORARY_EMAIL, e2e_server.PASSWORD)
    page.wait_for_url(f"**{VERIFY_PATH}")
    check()
    send_empty(page, "Continue")
    check("sent empty")
    # A recovery code, since the authenticator's code for this 30 seconds was spent on enrolment.
    page.locator("#code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/home")
    return SignInPages(reports)
