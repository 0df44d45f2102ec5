"""``page.caseload_overhead``: the caseload page (50 rows) with encryption, against the same app, template and data
in a plaintext build, measured side by side in one process.

The plaintext build is the same code with the encrypted attribute patched to store the UTF-8 bytes of the value in
the same binary column (no AES-GCM, no associated data) and the key provider's prefetch made a no-op (no key-store
read, no unwrapping). Everything else (queries, audit events, template) is shared. Each build has its own SQLite
database holding the same data, written through the services: ten organisations, each with a scheme, a court, a
support worker and 50 open cases assigned to her (their rows interleaved, as a shared service writes them, and each
organisation's names indexed under its own key). The page is one organisation's worker's caseload: her 50 cases
among the 500. Rounds rotate which build goes first; the figure is the median over rounds of (encrypted time /
plaintext time) for a few requests each.

A second plaintext build of the same data (its own database, built after the first) is timed in the same rounds as
a control: the median of (second plaintext / first plaintext) is what this harness reads for two identical builds,
the spread any figure from it carries. It is reported in the detail, never folded into the figure.
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROWS = 50
ORGANISATIONS = 10
# The organisation whose worker's caseload is timed: one in the middle, its rows among the others'.
MEASURED = 4


@contextmanager
def plaintext_build() -> Iterator[None]:
    """Encrypted attributes store and read plaintext bytes; no data keys are fetched."""
    from diversion.crypto.fields import EncryptedField
    from diversion.crypto.provider import KeyStoreProvider

    saved = (EncryptedField.__set__, EncryptedField._decrypt, KeyStoreProvider.prefetch)

    def store_plain(self: Any, obj: object, value: Any) -> None:
        if value is None:
            setattr(obj, self.attr, None)
            return
        setattr(obj, self.attr, self._encode(value))

    EncryptedField.__set__ = store_plain  # type: ignore[method-assign]
    EncryptedField._decrypt = lambda self, obj, blob: self._from_bytes(blob)  # type: ignore[method-assign]
    KeyStoreProvider.prefetch = lambda self, client_ids: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        EncryptedField.__set__, EncryptedField._decrypt, KeyStoreProvider.prefetch = saved  # type: ignore[method-assign]


def as_served() -> None:
    """Set aside from the garbage collector what the built apps hold for good, as wsgi.py does for the served app:
    without it, a full collection walking every loaded module and template lands in whichever build happens to be
    running, and the figure reads the collector instead of the page (docs/benchmarks.md, "Collector pauses")."""
    gc.collect()
    gc.freeze()


def _build(folder: Path, name: str, keys: str) -> Any:
    from flask_migrate import upgrade

    from tests.conftest import build_app, make_environ

    instance = folder / name
    instance.mkdir()
    environ = make_environ(f"sqlite:///{instance / 'main.db'}", f"sqlite:///{instance / 'keys.db'}", keys, instance)
    app = build_app(environ)
    with app.app_context():
        upgrade()
    return app


def _seed(app: Any) -> Any:
    """Ten organisations (the one a new database starts with, and nine more), each with a scheme serving a court of
    its own, a worker and 50 open cases assigned to her, made through the services one case of each organisation in
    turn; returns a test client signed in as the measured organisation's worker."""
    from diversion.organisations.services import organisation_by_slug
    from tests.factories import (
        MAIN_ORGANISATION,
        create_court,
        create_organisation,
        create_referral,
        create_scheme,
        create_user,
        log_in_as,
        main_scheme,
    )

    with app.app_context():
        workers, courts = [], []
        for number in range(ORGANISATIONS):
            if number == 0:
                organisation, scheme = organisation_by_slug(MAIN_ORGANISATION), main_scheme()
            else:
                organisation = create_organisation(slug=f"bench-{number}", name=f"Bench Charity {number}")
                scheme = create_scheme(organisation=organisation, slug="diversion")
            courts.append(
                create_court(code=f"BENCH{number}", name=f"Bench {number} Magistrates' Court", schemes=[scheme])
            )
            workers.append(
                create_user(
                    role="worker",
                    email=f"bench.worker{number}@example.org",
                    organisation=organisation,
                    schemes=[scheme],
                )
            )
        for n in range(ROWS):
            for number, (court, worker) in enumerate(zip(courts, workers, strict=True)):
                create_referral(
                    state="OPTED_IN" if n % 2 else "REFERRED",
                    worker=worker,
                    court=court,
                    given_name=f"Org{number}given{n}",
                    family_name=f"Family{n}",
                    urn=f"01/AB/{20000 + n:05d}/26",
                )
        client = log_in_as(app.test_client(), workers[MEASURED])
        page = client.get("/cases?tab=mine").get_data(as_text=True)
        others = [number for number in range(ORGANISATIONS) if f"Org{number}given" in page]
        if others != [MEASURED]:
            raise RuntimeError(f"the measured caseload shows the cases of organisations {others}")
    return client


def _time(client: Any, requests: int, expect: str) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get("/cases?tab=mine")
        if response.status_code != 200 or expect not in response.get_data(as_text=True):
            raise RuntimeError(f"the caseload page answered {response.status_code} without the expected rows")
    return time.perf_counter() - started


def run(quick: bool) -> list[dict[str, Any]]:
    """One result: page.caseload_overhead."""
    import logging

    from diversion.crypto.keys import generate_master_key_line

    logging.getLogger("diversion").setLevel(logging.WARNING)
    rounds, per_round = (6, 3) if quick else (24, 5)
    keys = generate_master_key_line("bench1")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        encrypted_app = _build(folder, "encrypted", keys)
        encrypted = _seed(encrypted_app)
        plain_app = _build(folder, "plaintext", keys)
        control_app = _build(folder, "control", keys)
        with plaintext_build():
            plain = _seed(plain_app)
            control = _seed(control_app)
        clients = {"encrypted": encrypted, "plain": plain, "control": control}

        def timed(build: str, requests: int) -> float:
            if build == "encrypted":
                return _time(clients[build], requests, "Family49")
            with plaintext_build():
                return _time(clients[build], requests, "Family49")

        # Warm all three (templates compiled, pools filled), then rotate which goes first.
        for build in clients:
            timed(build, 2)
        as_served()
        builds = list(clients)
        ratios, controls, enc_ms, plain_ms = [], [], [], []
        for index in range(rounds):
            order = builds[index % 3 :] + builds[: index % 3]
            took = {build: timed(build, per_round) for build in (order if index % 2 == 0 else order[::-1])}
            ratios.append(took["encrypted"] / took["plain"])
            controls.append(took["control"] / took["plain"])
            enc_ms.append(took["encrypted"] * 1000 / per_round)
            plain_ms.append(took["plain"] * 1000 / per_round)
        from tests.conftest import dispose_app

        for app in (encrypted_app, plain_app, control_app):
            dispose_app(app)
    value = statistics.median(ratios)
    detail = (
        f"GET /cases?tab=mine, {ROWS} rows: one organisation's worker's caseload, among {ORGANISATIONS} "
        f"organisations each with a scheme and {ROWS} open cases ({ORGANISATIONS * ROWS} in all), SQLite; "
        f"median of {rounds} rotating rounds x {per_round} requests; "
        f"encrypted {statistics.median(enc_ms):.1f} ms vs plaintext build {statistics.median(plain_ms):.1f} ms "
        "per page (same app, template and data; plaintext build stores UTF-8 bytes, no key-store reads); "
        f"control: a second plaintext build read {statistics.median(controls):.3f}x the first in the same rounds"
    )
    return [
        {
            "name": "page.caseload_overhead",
            "value": round(value, 3),
            "unit": "ratio",
            "goal": "<= 1.05",
            "met": value <= 1.05,
            "detail": detail,
        }
    ]


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    for result in run(quick=True):
        print(result)
