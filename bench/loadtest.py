"""``make loadtest``: gunicorn (2 workers) on PostgreSQL with Redis, and a bounded load generator on loopback.

What it does, in order (everything it creates is removed at the end, whether it succeeded or not):

1. Creates two PostgreSQL databases of its own (the case database and the key store), migrates them, and seeds them
   through the app: the three demo courts; one account per simulated person, each with a known password (hashed at
   the production Argon2 cost) and an enrolled authenticator whose secret the generator keeps; a few thousand
   synthetic cases (the demo seeder) spread over the workers and managers; and, per worker or manager, a few open
   cases of her own whose first appointment has passed with no outcome (the journey's "record what happened, then
   book the next" targets).
2. Starts gunicorn with 2 ``gthread`` workers of 4 threads each on a free loopback port, in the production
   configuration, with ``REDIS_URL`` set (sign-in rate limits live in Redis). Why gthread: the 2 cores bound the
   CPU either way, but a request waiting on PostgreSQL, Redis or the key store, or hashing a password in Argon2
   (which releases the GIL), then does not hold up every other request behind it as it would with one request per
   process; threads share their process's memory, so the resident size is still that of two processes. The app is
   told it sits behind one proxy (``DIVERSION_TRUSTED_PROXIES=1``), as in production behind a TLS load balancer:
   each simulated person sends her own ``X-Forwarded-For`` address (so the per-address sign-in limit applies to her,
   not to the whole office at once) and ``X-Forwarded-Proto: https``; the generator's cookie jar sends the
   ``Secure`` session cookie over loopback http, as the load balancer would over https.
3. Plays 50 people for 60 s (``BENCH_QUICK=1``: 10 people for 15 s), arriving over the first few seconds. Each signs
   in once (password and a TOTP code, with the forms' CSRF tokens), then repeats a journey with 1 to 3 s of thinking
   before every request: support workers and managers open their caseload, a case, record that she attended her
   last appointment, book her next one, and look at the court-day list (managers also open the completion report);
   court staff look at the court-day list, the case statuses and the completion report. The generator is bounded by
   the time limit and a fixed request cap; each request has a timeout.
4. With no thinking, measures the throughput of a case page against the bare health endpoint on the same server,
   each alone in turn (alternating, several rounds, median).
5. Reads the largest worker's resident size (``VmRSS``) at the end; prints the figures and writes
   ``bench/loadtest.json`` in the shape of ``bench/results.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pyotp
import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS_FILE = BENCH / "loadtest.json"
ADMIN_URL = os.environ.get("LOADTEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_HOST = os.environ.get("LOADTEST_PG_HOST", "postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "amber lantern quietly folds"  # noqa: S105 - a throwaway account in a throwaway database
COURTS = (("NTH", "Northgate Magistrates' Court"), ("RVS", "Riverside Magistrates' Court"))
WORKERS = 2
THREADS = 4
TARGETS_PER_PERSON = 8  # open cases with a passed appointment, one used per journey
REQUEST_TIMEOUT = 30.0
# Signs in before the clock starts and opens every page of the journey in both workers, so that the figures are of a
# server that has been up for a while (templates compiled, pools filled), not of its first minute.
WARM_UP_EMAIL = "warm-up@load.example.org"


@dataclass(frozen=True)
class Size:
    people: int
    seconds: float
    cases: int
    arrival_seconds: float
    throughput_seconds: float
    throughput_rounds: int
    request_cap: int


QUICK = Size(people=10, seconds=15, cases=1000, arrival_seconds=3, throughput_seconds=3, throughput_rounds=3,
             request_cap=1500)  # fmt: skip
FULL = Size(people=50, seconds=60, cases=3000, arrival_seconds=10, throughput_seconds=5, throughput_rounds=3,
            request_cap=10000)  # fmt: skip


@dataclass
class Person:
    """One simulated person: her account, her authenticator secret, and the cases her journey uses."""

    email: str
    role: str
    secret: str
    address: str
    cases: list[str] = field(default_factory=list)  # her own cases, for the case page
    targets: list[tuple[str, str]] = field(default_factory=list)  # (referral id, passed appointment 1 id)


@dataclass
class Sample:
    endpoint: str
    status: int
    ms: float
    error: str | None
    at: float = 0.0  # when it was sent (monotonic)


class Recorder:
    """Every request's endpoint, status and latency; thread-safe; refuses more than the cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.samples: list[Sample] = []
        self.lock = threading.Lock()

    def full(self) -> bool:
        return len(self.samples) >= self.cap

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class Stop(Exception):
    """The time limit or the request cap was reached."""


# --- setup: databases, seed data, gunicorn ---


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def create_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(environ: dict[str, str], size: Size, rng: random.Random) -> list[Person]:
    """Migrate and seed through the app (the development configuration: the production one refuses demo data)."""
    from flask_migrate import upgrade
    from sqlalchemy import update

    from diversion import create_app
    from diversion.admin.services import court_by_code, create_user, save_court
    from diversion.appointments.services import BookingInput, book_appointment
    from diversion.auth import passwords
    from diversion.auth.models import User
    from diversion.dates import today
    from diversion.db import transaction, utcnow
    from diversion.extensions import db
    from diversion.keyring import KEYSTORE_EXTENSION
    from diversion.main.demo_cases import seed_cases
    from tests.factories import create_referral

    # Accounts are created cheaply, then all given one hash made at the production cost, which sign-in verifies.
    app = create_app("development", environ=environ, overrides={"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})
    production_cost = create_app("development", environ=environ)
    try:
        with app.app_context():
            upgrade()
        with production_cost.app_context():
            password_hash = passwords.hash_password(PASSWORD)
        with app.test_request_context():
            for code, name in COURTS:
                save_court(code, name)
            courts = [court_by_code(code) for code, _ in COURTS]
            people = _accounts(size.people)
            users = {}
            for number, (email, role) in enumerate(people):
                court = COURTS[number % len(COURTS)][0] if role == "court" else None
                user, _ = create_user(email, role, court, PASSWORD, display_name=f"Bench {role} {number}")
                secret = pyotp.random_base32(32)
                with transaction():
                    user.totp_secret = secret
                    user.totp_enrolled_at = utcnow()
                users[email] = (user, secret)
            with transaction():
                db.session.execute(update(User).values(password_hash=password_hash))
            support = [user for user, _ in users.values() if user.role in ("worker", "manager")]
            for line in seed_cases(size.cases, 7, courts, support):
                print(line, flush=True)
            result = []
            for number, (email, role) in enumerate(people):
                user, secret = users[email]
                person = Person(email, role, secret, f"10.{rng.randint(1, 250)}.{number // 250}.{number % 250 + 1}")
                if role in ("worker", "manager"):
                    for index in range(TARGETS_PER_PERSON):
                        referral = create_referral(
                            state="OPTED_IN",
                            worker=user,
                            court=courts[index % len(courts)],
                            given_name="Load",
                            first_hearing_date=today() - timedelta(days=5),
                            return_date=today() + timedelta(days=28),
                        )
                        first = book_appointment(
                            referral,
                            BookingInput(
                                number=1,
                                starts_at=utcnow() - timedelta(hours=2 + index),
                                override_reason="seeded for the load test",
                            ),
                            user,
                        )
                        person.cases.append(str(referral.id))
                        person.targets.append((str(referral.id), str(first.id)))
                result.append(person)
        return result
    finally:
        for made in (app, production_cost):
            with made.app_context():
                for engine in db.engines.values():
                    engine.dispose()
            made.extensions[KEYSTORE_EXTENSION].close()


def _accounts(people: int) -> list[tuple[str, str]]:
    """About 80% support workers, 10% managers, 10% court staff (at least one of each)."""
    managers = max(1, people // 10)
    court = max(1, people // 10)
    workers = people - managers - court
    roles = ["worker"] * workers + ["manager"] * managers + ["court"] * court
    accounts = [(f"{role}{number}@load.example.org", role) for number, role in enumerate(roles)]
    return [*accounts, (WARM_UP_EMAIL, "manager")]


@contextlib.contextmanager
def gunicorn(environ: dict[str, str], folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class", "gthread"]
    command += ["--threads", str(THREADS), "--keep-alive", "10", "--timeout", "60", "--log-level", "warning"]
    command += ["--bind", f"127.0.0.1:{port}", "wsgi:app"]
    log_path = folder / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and server.poll() is None:
                with contextlib.suppress(requests.RequestException):
                    if requests.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                time.sleep(0.2)
            else:
                raise RuntimeError("gunicorn did not start:\n" + log_path.read_text(errors="replace")[-3000:])
            yield base, server
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            tail = log_path.read_text(errors="replace").strip()
            if tail:
                print("gunicorn log (last lines):\n" + "\n".join(tail.splitlines()[-15:]), flush=True)


def worker_pids(master: int) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            text = status.read_text()
            if re.search(rf"^PPid:\s+{master}$", text, re.MULTILINE):
                pids.append(int(status.parent.name))
    return pids


def rss_mb(pid: int) -> float:
    match = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


# --- the simulated people ---


class Browser:
    """A person's browser: her own session, her address as the load balancer reports it, and timing of each request."""

    def __init__(self, base: str, person: Person, recorder: Recorder, deadline: float) -> None:
        self.base, self.person, self.recorder, self.deadline = base, person, recorder, deadline
        self.thinking = True
        self.session = requests.Session()
        self.session.headers.update({"X-Forwarded-For": person.address, "X-Forwarded-Proto": "https"})

    def cookies(self) -> dict[str, str]:
        """The Cookie header. The session cookie is Secure (https in production); the load balancer's hop is plain
        http, and requests would hold a Secure cookie back over http, so the header is written here (one host)."""
        return {"Cookie": "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.session.cookies)}

    def get(self, url: str) -> requests.Response:
        return self.session.get(url, headers=self.cookies(), timeout=REQUEST_TIMEOUT, allow_redirects=False)

    def check_time(self) -> None:
        if time.monotonic() >= self.deadline or self.recorder.full():
            raise Stop

    def think(self, rng: random.Random) -> None:
        if not self.thinking:
            return
        pause = rng.uniform(1.0, 3.0)
        if time.monotonic() + pause >= self.deadline:
            raise Stop
        time.sleep(pause)

    def request(
        self, endpoint: str, method: str, path: str, data: dict[str, str] | None = None, expect: int = 200
    ) -> requests.Response | None:
        self.check_time()
        started = time.perf_counter()
        try:
            headers = self.cookies()
            if method == "POST":
                # Over https, Flask-WTF also checks that the form came from this site, as a browser's Referer says.
                headers["Referer"] = self.base.replace("http://", "https://", 1) + path
            response = self.session.request(
                method,
                self.base + path,
                data=data,
                headers=headers,
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT,
            )
        except requests.RequestException as error:
            ms = (time.perf_counter() - started) * 1000
            self.recorder.add(Sample(endpoint, 0, ms, type(error).__name__, time.monotonic() - ms / 1000))
            return None
        ms = (time.perf_counter() - started) * 1000
        error = None
        if response.status_code != expect:
            error = f"HTTP {response.status_code} (expected {expect})"
            if response.status_code == 200 and "govuk-error-summary" in response.text:
                summary = re.search(r"govuk-error-summary__list.*?<a [^>]*>([^<]+)<", response.text, re.DOTALL)
                error += f": form refused: {summary.group(1).strip() if summary else '?'}"
        self.recorder.add(Sample(endpoint, response.status_code, ms, error, time.monotonic() - ms / 1000))
        return response if error is None else None


def csrf_of(response: requests.Response | None) -> str | None:
    if response is None:
        return None
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text) or re.search(
        r'name="csrf_token" value="([^"]+)"', response.text
    )
    return match.group(1) if match else None


def sign_in(browser: Browser, rng: random.Random) -> bool:
    page = browser.request("sign-in form", "GET", "/sign-in")
    token = csrf_of(page)
    if token is None:
        return False
    browser.think(rng)
    form = {"email": browser.person.email, "password": PASSWORD, "csrf_token": token}
    if browser.request("sign-in password", "POST", "/sign-in", form, expect=302) is None:
        return False
    page = browser.request("sign-in code form", "GET", "/sign-in/security-code")
    token = csrf_of(page)
    if token is None:
        return False
    browser.think(rng)
    code = pyotp.TOTP(browser.person.secret).now()
    form = {"code": code, "csrf_token": token}
    return browser.request("sign-in code", "POST", "/sign-in/security-code", form, expect=302) is not None


def support_journey(browser: Browser, rng: random.Random, reports: bool) -> None:
    """Caseload, a case, record that she came to her last appointment, book the next, court-day list (a report)."""
    person = browser.person
    browser.request("caseload", "GET", "/cases?tab=mine")
    browser.think(rng)
    browser.request("case page", "GET", f"/cases/{rng.choice(person.cases)}")
    browser.think(rng)
    if person.targets:
        referral_id, appointment_id = person.targets.pop(0)
        page = browser.request("outcome form", "GET", f"/appointments/{appointment_id}/outcome")
        token = csrf_of(page)
        browser.think(rng)
        if token:
            form = {"outcome": "attended", "notes": "", "csrf_token": token}
            browser.request("record outcome", "POST", f"/appointments/{appointment_id}/outcome", form, expect=302)
            browser.think(rng)
        path = f"/cases/{referral_id}/appointments/new?number=2"
        page = browser.request("booking form", "GET", path)
        token = csrf_of(page)
        browser.think(rng)
        if token:
            from diversion.dates import is_working_day, today

            day = today() + timedelta(days=rng.randint(2, 12))
            while not is_working_day(day):
                day += timedelta(days=1)
            form = {
                "number": "2",
                "day-day": str(day.day),
                "day-month": str(day.month),
                "day-year": str(day.year),
                "time": rng.choice(["10:00", "11:30", "2pm", "3:30pm"]),
                "duration": "60",
                "location": "Women's centre",
                "worker": "",
                "override_reason": "She asked for this time",
                "csrf_token": token,
            }
            browser.request("book appointment", "POST", path, form, expect=302)
            browser.think(rng)
    browser.request("court-day list", "GET", "/court-day")
    browser.think(rng)
    if reports:
        browser.request("completion report", "GET", "/reports/completion")
        browser.think(rng)


def court_journey(browser: Browser, rng: random.Random) -> None:
    """The court-day list, the case statuses, the completion report."""
    browser.request("court-day list", "GET", "/court-day")
    browser.think(rng)
    browser.request("status list", "GET", "/statuses")
    browser.think(rng)
    browser.request("completion report", "GET", "/reports/completion")
    browser.think(rng)


def play(base: str, person: Person, recorder: Recorder, start_at: float, deadline: float, seed_value: int) -> Browser:
    rng = random.Random(seed_value)
    browser = Browser(base, person, recorder, deadline)
    time.sleep(max(0.0, start_at - time.monotonic()))
    try:
        if not sign_in(browser, rng):
            return browser
        browser.think(rng)
        while True:
            if person.role == "court":
                court_journey(browser, rng)
            else:
                support_journey(browser, rng, reports=person.role == "manager")
    except Stop:
        pass
    return browser


def warm_up(base: str, person: Person) -> None:
    """Sign in as the warm-up account and open every page of the journey a few times in each worker, no thinking."""
    browser = Browser(base, person, Recorder(10_000), time.monotonic() + 300)
    browser.thinking = False
    rng = random.Random(0)
    if not sign_in(browser, rng):
        raise RuntimeError("the warm-up account could not sign in")
    referral_id, appointment_id = person.targets[0]
    pages = ["/cases?tab=mine", f"/cases/{referral_id}", f"/appointments/{appointment_id}/outcome"]
    pages += [f"/cases/{referral_id}/appointments/new?number=2", "/court-day", "/statuses", "/reports/completion"]
    for _ in range(2 * WORKERS * THREADS):
        for path in pages:
            browser.request("warm-up", "GET", path)
    failed = [s for s in browser.recorder.samples if s.error]
    if failed:
        raise RuntimeError(f"the warm-up failed: {failed[:3]}")


def run_load(base: str, people: list[Person], size: Size) -> tuple[Recorder, list[Browser]]:
    recorder = Recorder(size.request_cap)
    started = time.monotonic()
    deadline = started + size.seconds
    browsers: list[Browser] = []
    lock = threading.Lock()

    def target(index: int, person: Person) -> None:
        start_at = started + size.arrival_seconds * index / len(people)
        browser = play(base, person, recorder, start_at, deadline, 1000 + index)
        with lock:
            browsers.append(browser)

    threads = [threading.Thread(target=target, args=(i, p), daemon=True) for i, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=size.seconds + REQUEST_TIMEOUT + 10)
    return recorder, browsers


# --- throughput, no thinking ---


def throughput(seconds: float, clients: list[Callable[[], bool]]) -> tuple[float, int]:
    """Requests per second completed by the clients together, each looping with no pause; and the failures."""
    stop_at = time.monotonic() + seconds
    counts = [0] * len(clients)
    failures = [0] * len(clients)

    def loop(index: int) -> None:
        while time.monotonic() < stop_at:
            if clients[index]():
                counts[index] += 1
            else:
                failures[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started), sum(failures)


def case_vs_health(base: str, browsers: list[Browser], size: Size) -> tuple[float, str]:
    signed_in = [b for b in browsers if b.person.cases and b.session.cookies][: WORKERS * THREADS]
    if not signed_in:
        raise RuntimeError("no signed-in support worker left to open case pages")
    bare = [requests.Session() for _ in signed_in]

    def health_client(index: int) -> Callable[[], bool]:
        def call() -> bool:
            try:
                return bare[index].get(f"{base}/health", timeout=REQUEST_TIMEOUT).status_code == 200
            except requests.RequestException:
                return False

        return call

    def case_client(index: int) -> Callable[[], bool]:
        browser = signed_in[index]
        rng = random.Random(index)

        def call() -> bool:
            path = f"{base}/cases/{rng.choice(browser.person.cases)}"
            try:
                response = browser.get(path)
            except requests.RequestException:
                return False
            return response.status_code == 200

        return call

    health = [health_client(i) for i in range(len(signed_in))]
    case = [case_client(i) for i in range(len(signed_in))]
    throughput(1.0, health)  # warm the connections
    throughput(1.0, case)
    ratios, health_rates, case_rates, failed = [], [], [], 0
    for round_number in range(size.throughput_rounds):
        order = (("health", health), ("case", case)) if round_number % 2 == 0 else (("case", case), ("health", health))
        rates: dict[str, float] = {}
        for name, clients in order:
            rates[name], failures = throughput(size.throughput_seconds, clients)
            failed += failures
        ratios.append(rates["case"] / rates["health"])
        health_rates.append(rates["health"])
        case_rates.append(rates["case"])
    detail = (
        f"{len(signed_in)} concurrent clients, no think time, {size.throughput_rounds} alternating rounds of "
        f"{size.throughput_seconds:.0f} s each: GET /cases/<id> {statistics.median(case_rates):.1f}/s (signed in; "
        f"the page decrypts her record and writes a case-view audit event) vs GET /health "
        f"{statistics.median(health_rates):.1f}/s (one SELECT 1); median of per-round ratios; {failed} failed"
    )
    return statistics.median(ratios), detail


# --- figures ---


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def per_endpoint(samples: list[Sample]) -> str:
    names = sorted({s.endpoint for s in samples})
    lines = [f"  {'endpoint':<20} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"]
    for name in names:
        mine = [s for s in samples if s.endpoint == name]
        ms = [s.ms for s in mine]
        lines.append(
            f"  {name:<20} {len(mine):>6} {sum(1 for s in mine if s.error):>6} {percentile(ms, 50):>8.0f} "
            f"{percentile(ms, 95):>8.0f} {max(ms):>8.0f}"
        )
    return "\n".join(lines)


def result(name: str, value: float, unit: str, goal: str, met: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "value": round(value, 3), "unit": unit, "goal": goal, "met": met, "detail": detail}


def figures(
    recorder: Recorder, size: Size, ratio: tuple[float, str], rss: tuple[float, str], took: float, load: str
) -> list[dict[str, Any]]:
    samples = recorder.samples
    errors = [s for s in samples if s.error]
    kinds: dict[str, int] = {}
    for sample in errors:
        key = f"{sample.endpoint}: {sample.error}"
        kinds[key] = kinds.get(key, 0) + 1
    p95 = percentile([s.ms for s in samples], 95)
    not_sign_in = [s.ms for s in samples if not s.endpoint.startswith("sign-in")]
    signed_in_by = max((s.at + s.ms / 1000 for s in samples if s.endpoint == "sign-in code"), default=0.0)
    steady = [s.ms for s in samples if s.at >= signed_in_by]
    slowest = sorted(
        {s.endpoint for s in samples},
        key=lambda name: -percentile([s.ms for s in samples if s.endpoint == name], 95),
    )[:3]
    people = f"{size.people} people for {size.seconds:.0f} s (1-3 s thinking), {len(samples)} requests in {took:.0f} s"
    return [
        result(
            "load.errors",
            len(errors),
            "requests",
            "= 0",
            not errors,
            f"{people}; failed = transport errors, timeouts ({REQUEST_TIMEOUT:.0f} s), any status other than the "
            f"journey's expected one (forms refused included)"
            + (f"; {', '.join(f'{k} x{v}' for k, v in sorted(kinds.items()))}" if kinds else ""),
        ),
        result(
            "load.p95_ms",
            p95,
            "ms",
            "<= 250",
            p95 <= 250,
            f"{people}; over every request, sign-in included; slowest p95: "
            + ", ".join(f"{n} {percentile([s.ms for s in samples if s.endpoint == n], 95):.0f} ms" for n in slowest)
            + f"; p95 without the sign-in requests {percentile(not_sign_in, 95):.0f} ms; p95 of the {len(steady)} "
            f"requests sent after everyone had signed in {percentile(steady, 95):.0f} ms; {load}",
        ),
        result("load.case_vs_health", ratio[0], "ratio", ">= 0.25", ratio[0] >= 0.25, ratio[1]),
        result("load.rss_mb", rss[0], "MB", "<= 150", rss[0] <= 150, rss[1]),
    ]


def main() -> int:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import logging

    from diversion.crypto.keys import generate_master_key_line

    logging.getLogger("diversion").setLevel(logging.WARNING)
    quick = os.environ.get("BENCH_QUICK") == "1"
    size = QUICK if quick else FULL
    tag = secrets.token_hex(4)
    main_db, keys_db = f"diversion_load_{tag}", f"diversion_load_{tag}_keys"
    rng = random.Random(tag)
    created: list[str] = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="diversion-load-") as tmp:
        folder = Path(tmp)
        environ = {
            key: value for key, value in os.environ.items() if not key.startswith(("DIVERSION_", "DATABASE_", "FLASK_"))
        }
        environ |= {
            "DIVERSION_CONFIG": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": f"postgresql+psycopg://{PG_HOST}/{main_db}",
            "DIVERSION_KEYSTORE_URL": f"postgresql+psycopg://{PG_HOST}/{keys_db}",
            "DIVERSION_MASTER_KEYS": generate_master_key_line("load1"),
            "DIVERSION_TRUSTED_PROXIES": "1",
            "REDIS_URL": REDIS_URL,
            "RQ_QUEUE": f"loadtest-{tag}",
            "NOTIFY_OUTBOX_FILE": str(folder / "outbox.jsonl"),
            "LOG_LEVEL": "WARNING",
        }
        try:
            for name in (main_db, keys_db):
                create_database(name)
                created.append(name)
            print(f"seeding {main_db} ({'quick' if quick else 'full'}: {size.people} people)...", flush=True)
            people = seed({**environ, "DIVERSION_CONFIG": "development"}, size, rng)
            warm = next(person for person in people if person.email == WARM_UP_EMAIL)
            people.remove(warm)
            print(f"seeded in {time.monotonic() - began:.0f} s; starting gunicorn", flush=True)
            with gunicorn(environ, folder) as (base, server):
                for _ in range(2 * WORKERS * THREADS):  # compile the sign-in templates in both workers
                    requests.get(f"{base}/sign-in", timeout=REQUEST_TIMEOUT)
                warm_up(base, warm)
                print(f"playing {size.people} people for {size.seconds:.0f} s against {base}...", flush=True)
                before = _load_average()
                load_started = time.monotonic()
                recorder, browsers = run_load(base, people, size)
                took = time.monotonic() - load_started
                after = _load_average()
                after_load = {pid: rss_mb(pid) for pid in worker_pids(server.pid)}
                print("measuring case-page vs health throughput...", flush=True)
                ratio = case_vs_health(base, browsers, size)
                workers = worker_pids(server.pid)
                at_end = {pid: rss_mb(pid) for pid in workers}
            rss = (
                max(at_end.values(), default=0.0),
                f"VmRSS of the {len(at_end)} gunicorn workers at the end: "
                + ", ".join(f"{mb:.0f} MB" for mb in sorted(at_end.values()))
                + " (after the load phase: "
                + ", ".join(f"{mb:.0f} MB" for mb in sorted(after_load.values()))
                + f"); {WORKERS} gthread workers x {THREADS} threads, production config",
            )
            print()
            print("per endpoint (load phase):")
            print(per_endpoint(recorder.samples))
            results = figures(recorder, size, ratio, rss, took, f"load average {before} before, {after} after")
        finally:
            for name in reversed(created):
                try:
                    drop_database(name)
                except psycopg.Error as error:
                    print(f"could not drop {name}: {error}", file=sys.stderr)
            _clean_redis(environ["RQ_QUEUE"])
    print()
    print(_table(results))
    RESULTS_FILE.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    unmet = [r["name"] for r in results if not r["met"]]
    print(
        f"\n{len(results)} results, {len(unmet)} goals not met{': ' + ', '.join(unmet) if unmet else ''}; "
        f"{'quick' if quick else 'full'} run in {time.monotonic() - began:.0f} s; written to {RESULTS_FILE}"
    )
    return 0


def _load_average() -> str:
    """The machine's 1-minute load average and core count: what else was running shows in every figure."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _table(results: list[dict[str, Any]]) -> str:
    """The same table ``make bench`` prints (bench/run.py is loaded from its file: bench/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    if spec is None or spec.loader is None:
        raise ImportError("cannot load bench/run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.table(results))


def _clean_redis(queue: str) -> None:
    """Remove anything the run's queue name left in Redis (sign-in counters expire on their own)."""
    from redis import Redis
    from redis.exceptions import RedisError

    with contextlib.suppress(RedisError):
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        for key in client.scan_iter(match=f"*{queue}*", count=500):
            client.delete(key)


if __name__ == "__main__":
    sys.exit(main())
