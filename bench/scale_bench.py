"""Do the pages grow with the data? ``scale.*_100k_vs_1k``: the same signed-in request, end to end, on a PostgreSQL
database of 100,000 clients and on one of 1,000; and ``search.page_overhead``: the search page with encryption
against the same page in a plaintext build, at 100,000 clients.

Each database is made by the migrations (so it has exactly the indexes the app ships with) and filled by a bulk
loader: the values are encrypted as the app encrypts them (the models' own encrypted attributes, under data keys
made in one key-store transaction per batch), and the rows are written with executemany inserts, 5,000 a batch,
then ANALYZEd. Every bulk client belongs to the organisation a new database starts with, her name and date of birth
indexed under its key, and every bulk case to its scheme, at the scheme's current programme version. What differs
between the sizes is history: the scheme holds about the same number of open cases whatever its age (a case lasts
weeks), so both databases have the same open cases in the same shape, and the larger one has 99,000 more women
whose cases are closed (completed, not completed, withdrawn or declined, their return dates in the past, assigned
across the same workers). The cases the requests read (a worker's open caseload, the woman searched for, the case
page, the court's day) are made through the services, the same in both. The name and date-of-birth index is as wide
as ``recommended_bits`` says for each size (about eight women a bucket), as docs/encryption.md says to configure it:
the number of candidates a search decrypts is the design's, not growth.

The requests: the worker's caseload (``GET /cases?tab=mine``), the search page (``POST /cases/search`` by family
name and date of birth: blind lookup, decrypt, render), a case page (``GET /cases/<id>``) and a court user's
court-day list (``GET /court-day?date=``). Rounds alternate which database goes first; the figure is the median
over rounds of (time at 100,000 / time at 1,000), each time a few requests. ``BENCH_QUICK=1``: 10,000 against
1,000 clients, under the same names.

``search.page_overhead`` times the search page on a third database, of the same 100,000 clients loaded in the
plaintext build of bench/page_bench.py (values stored as UTF-8 bytes, no key-store reads), against the encrypted
one, in the same rounds.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.page_bench import as_served, plaintext_build  # noqa: E402
from bench.reports_bench import DEFAULT_PG_URL, _postgres_database  # noqa: E402

GOAL = 1.5
OVERHEAD_GOAL = 1.10
BATCH = 5000
COURTS = 6
WORKERS = 12
OPEN_BULK = 300  # open cases other than the ones the requests read, in both databases
MINE = 30  # the signed-in worker's open cases, made through the services
SEARCHED = ("Benchsearch", date(1987, 4, 12))


def _chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Site:
    """One app on its own PostgreSQL databases (main and key store), migrated, filled, with signed-in clients."""

    def __init__(self, label: str, clients: int, keys: str, workdir: Path, *, plain: bool = False) -> None:
        from flask_migrate import upgrade

        from diversion.crypto.blind import recommended_bits
        from tests.conftest import build_app, make_environ

        self.label, self.clients, self.plain = label, clients, plain
        base = os.environ.get("PG_BENCH_URL", DEFAULT_PG_URL)
        main_url, self._drop_main = _postgres_database(base)
        keys_url, self._drop_keys = _postgres_database(base)
        instance = workdir / label
        instance.mkdir()
        self.bits = recommended_bits(clients)
        self.app = build_app(make_environ(main_url, keys_url, keys, instance), BLIND_INDEX_NAME_DOB_BITS=self.bits)
        with self.app.app_context():
            upgrade()

    def build(self) -> AbstractContextManager[Any]:
        """The build the site's values are stored and read in: the plaintext build, or the app as it is."""
        return plaintext_build() if self.plain else nullcontext()

    def fill(self) -> None:
        """Staff, the bulk history, then the cases the requests read (through the services), then ANALYZE."""
        from tests.factories import create_court, create_user

        started = time.perf_counter()
        with self.build(), self.app.test_request_context():
            courts = [create_court(code=f"SC{n}", name=f"Scale Court {n}") for n in range(COURTS)]
            self.worker = create_user(role="worker", email="scale.worker@example.org")
            others = [create_user(role="worker") for _ in range(WORKERS - 1)]
            court_user = create_user(role="court", court=courts[0])
            workers = [self.worker.id, *(user.id for user in others)]
            self.court_ids = [court.id for court in courts]
            self._bulk(workers)
            self._subjects(courts[0])
            self.web = self._signed_in(self.worker)
            self.court_web = self._signed_in(court_user)
        self._analyze()
        self.loaded_s = time.perf_counter() - started
        print(f"  {self.label}: {self.clients:,} clients loaded in {self.loaded_s:.0f} s", flush=True)

    def _bulk(self, workers: list[uuid.UUID]) -> None:
        """Every client but the few made through the services: one case each, closed but for OPEN_BULK of them."""
        from diversion.clients.models import Client
        from diversion.clients.services import name_dob_index_under, organisation_index_key
        from diversion.crypto.blind import URN_PURPOSE, search_index_keys, urn_index
        from diversion.extensions import db
        from diversion.keyring import key_provider, keyring, keystore
        from diversion.organisations.services import current_version
        from diversion.referrals.models import Referral
        from tests.factories import main_scheme

        # Every case in the scheme the requests' cases are in, at the programme version it has now, and every
        # client in its organisation, indexed under that organisation's key.
        scheme = main_scheme()
        organisation_id, scheme_id = scheme.organisation_id, scheme.id
        version_id = current_version(scheme_id).id
        # The organisation's index key, made once for every client.
        index_key = organisation_index_key(organisation_id)
        rng = random.Random(20)
        urn_key = search_index_keys(keyring(), URN_PURPOSE)[0]
        now = datetime.now(UTC)
        count = self.clients - MINE - 1
        ids = [uuid.uuid4() for _ in range(count)]
        finals = ("COMPLETED", "NOT_COMPLETED", "WITHDRAWN", "DECLINED")
        clients_table, referrals_table = Client.__table__, Referral.__table__
        for batch_number, batch in enumerate(_chunks(ids)):
            if not self.plain:
                keystore().create_data_keys(batch)
                key_provider().prefetch(batch)
            clients, referrals = [], []
            for offset, client_id in enumerate(batch):
                number = batch_number * BATCH + offset
                is_open = number < OPEN_BULK
                family = "Scale" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))
                born = date(1960, 1, 1) + timedelta(days=rng.randrange(17_500))
                client = Client(id=client_id, organisation_id=organisation_id)
                client.given_name = rng.choice(("Amy", "Beth", "Cara", "Dee", "Eve", "Fay", "Gail", "Hope"))
                client.family_name = family
                client.date_of_birth = born
                # Opened at a steady pace back from a month ago; open cases opened in the last weeks.
                made = now - timedelta(days=rng.randint(1, 40) if is_open else 30 + number % 3650, seconds=offset)
                clients.append(
                    {
                        "id": client_id,
                        "organisation_id": organisation_id,
                        "given_name": client._given_name,  # type: ignore[attr-defined]
                        "family_name": client._family_name,  # type: ignore[attr-defined]
                        "date_of_birth": client._date_of_birth,  # type: ignore[attr-defined]
                        "name_dob_index": name_dob_index_under(index_key, family, born),
                        "birth_year_band": born.year - born.year % 5,
                        "has_legal_hold": False,
                        "created_at": made,
                        "updated_at": made,
                    }
                )
                referral = Referral(id=uuid.uuid4(), client_id=client_id)
                urn = f"{number % 90 + 10:02d}/SC/{number % 100_000:05d}/{number // 100_000 + 10:02d}"
                referral.urn = urn
                returned = made.date() + timedelta(days=42 if not is_open else 30 + number % 30)
                referrals.append(
                    {
                        "id": referral.id,
                        "client_id": client_id,
                        "court_id": self.court_ids[number % COURTS],
                        "organisation_id": organisation_id,
                        "scheme_id": scheme_id,
                        "programme_version_id": version_id,
                        "offence_code": "SOA1959_S1",
                        "first_hearing_date": made.date(),
                        "return_date": returned,
                        "state": rng.choice(("REFERRED", "OPTED_IN", "ASSESSED")) if is_open else rng.choice(finals),
                        "assigned_worker_id": workers[1 + number % (WORKERS - 1)] if is_open else rng.choice(workers),
                        "referred_on": made.date(),
                        "consent_date": None,
                        "outcome_date": None if is_open else returned,
                        "has_safeguarding_flag": False,
                        "possible_previous_referral": False,
                        "version": 1,
                        "urn": referral._urn,  # type: ignore[attr-defined]
                        "urn_index": urn_index(urn_key, urn),
                        "created_at": made,
                        "updated_at": made,
                    }
                )
            with db.engine.begin() as connection:
                connection.execute(clients_table.insert(), clients)
                connection.execute(referrals_table.insert(), referrals)
            key_provider().clear()

    def _subjects(self, court: Any) -> None:
        """What the requests read, through the services, the same in both databases: the worker's open cases
        (returning to court on one day, two with an appointment booked), and the woman searched for."""
        from tests.factories import book, create_referral

        self.day = date.today() + timedelta(days=28)
        while self.day.weekday() >= 5:
            self.day += timedelta(days=1)
        self.cases = [
            create_referral(
                state="OPTED_IN" if n % 2 else "REFERRED", worker=self.worker, court=court, return_date=self.day
            )
            for n in range(MINE)
        ]
        for referral in self.cases[1:4:2]:
            book(referral=referral, worker=self.worker, starts_at=datetime.now(UTC) + timedelta(days=3))
        family, born = SEARCHED
        self.searched = create_referral(worker=self.worker, court=court, family_name=family, date_of_birth=born)
        self.case_id = self.cases[1].id

    def _signed_in(self, user: Any) -> Any:
        from tests.factories import log_in_as

        return log_in_as(self.app.test_client(), user)

    def _analyze(self) -> None:
        from diversion.extensions import db

        with self.app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))

    def requests(self) -> dict[str, Callable[[], None]]:
        """Each request by figure name; each checks its answer."""
        from tests.factories import csrf_token, date_fields

        with self.build():
            token = csrf_token(self.web, "/cases")
        family, born = SEARCHED
        search_form = {"family_name": family, **date_fields("date_of_birth", born), "csrf_token": token}

        def expect(response: Any, text: str) -> None:
            if response.status_code != 200 or text not in response.get_data(as_text=True):
                raise RuntimeError(f"{self.label}: answered {response.status_code} without {text!r}")

        return {
            "caseload": lambda: expect(self.web.get("/cases?tab=mine"), "Testperson"),
            "search": lambda: expect(self.web.post("/cases/search", data=search_form), family),
            "case_page": lambda: expect(self.web.get(f"/cases/{self.case_id}"), "Testperson"),
            "court_day": lambda: expect(self.court_web.get(f"/court-day?date={self.day.isoformat()}"), "Testperson"),
        }

    def close(self) -> None:
        from tests.conftest import dispose_app

        dispose_app(self.app)
        self._drop_main()
        self._drop_keys()


def _timed(site: Site, call: Callable[[], None], per_round: int) -> float:
    with site.build():
        started = time.perf_counter()
        for _ in range(per_round):
            call()
        return (time.perf_counter() - started) / per_round


def run(quick: bool) -> list[dict[str, Any]]:
    """The four scale figures and search.page_overhead."""
    import logging

    from diversion.crypto.keys import generate_master_key_line

    logging.getLogger("diversion").setLevel(logging.WARNING)
    large_count = 10_000 if quick else 100_000
    rounds, per_round = (7, 3) if quick else (15, 5)
    keys = generate_master_key_line("scale1")
    sites: list[Site] = []
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        try:
            for label, count, plain in (
                ("small", 1_000, False),
                ("large", large_count, False),
                ("plain", large_count, True),
            ):
                sites.append(Site(label, count, keys, Path(tmp), plain=plain))
                sites[-1].fill()
            small, large, plain = sites
            calls = {site.label: site.requests() for site in sites}
            names = ("caseload", "search", "case_page", "court_day")
            for site in sites:  # warm: templates compiled, pools filled, caches as in steady running
                for name in names if site is not plain else ("search",):
                    _timed(site, calls[site.label][name], 2)
            as_served()
            times: dict[tuple[str, str], list[float]] = {}
            for index in range(rounds):
                for name in names:
                    order = [small, large] + ([plain] if name == "search" else [])
                    order = order[index % len(order) :] + order[: index % len(order)]
                    for site in order if index % 2 == 0 else order[::-1]:
                        times.setdefault((site.label, name), []).append(
                            _timed(site, calls[site.label][name], per_round)
                        )
        finally:
            for site in sites:
                site.close()
    results = []
    for name in ("caseload", "search", "case_page", "court_day"):
        ratios = [a / b for a, b in zip(times[("large", name)], times[("small", name)], strict=True)]
        value = statistics.median(ratios)
        results.append(
            {
                "name": f"scale.{name}_100k_vs_1k",
                "value": round(value, 3),
                "unit": "ratio",
                "goal": f"<= {GOAL}",
                "met": value <= GOAL,
                "detail": (
                    f"{REQUESTS[name]}, signed in, end to end, PostgreSQL: {large_count:,} clients "
                    f"{statistics.median(times[('large', name)]) * 1000:.1f} ms vs 1,000 clients "
                    f"{statistics.median(times[('small', name)]) * 1000:.1f} ms per request; median of {rounds} "
                    f"alternating rounds x {per_round} requests; same open cases in both, the larger holds "
                    f"{large_count - 1_000:,} more women with closed cases; name+DOB index at {large.bits} and "
                    f"{small.bits} bits (recommended_bits, ~8 a bucket)"
                    + (f"; quick run at {large_count:,} clients, the goal is stated at 100,000" if quick else "")
                ),
            }
        )
    overhead = [a / b for a, b in zip(times[("large", "search")], times[("plain", "search")], strict=True)]
    value = statistics.median(overhead)
    results.append(
        {
            "name": "search.page_overhead",
            "value": round(value, 3),
            "unit": "ratio",
            "goal": f"<= {OVERHEAD_GOAL:.2f}",
            "met": value <= OVERHEAD_GOAL,
            "detail": (
                f"{REQUESTS['search']}, signed in, end to end (blind lookup, decrypt, render), PostgreSQL, "
                f"{large_count:,} clients: encrypted {statistics.median(times[('large', 'search')]) * 1000:.1f} ms vs "
                f"plaintext build {statistics.median(times[('plain', 'search')]) * 1000:.1f} ms per request (same "
                f"app, template and data; values stored as UTF-8 bytes, no key-store reads); median of {rounds} "
                f"rotating rounds x {per_round} requests"
                + (f"; quick run at {large_count:,} clients, the goal is stated at 100,000" if quick else "")
            ),
        }
    )
    return results


REQUESTS = {
    "caseload": "GET /cases?tab=mine (the worker's 30 open cases)",
    "search": "POST /cases/search by family name and date of birth",
    "case_page": "GET /cases/<id> (an open case with an appointment)",
    "court_day": "GET /court-day?date= (a court user's day, 30 cases)",
}


if __name__ == "__main__":
    for result in run(quick=os.environ.get("BENCH_QUICK") == "1"):
        print(result)
