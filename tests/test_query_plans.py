"""Every query the interactive pages and the API's reads run is answered through an index, on SQLite and on
PostgreSQL: none reads a whole table that grows with the women referred, and none sorts a whole table to page it
newest first (docs/benchmarks.md, "Indexes for the pages").

The test signs in, makes the requests people make all day (the caseload and its tabs, sorts and search, a case, the
court-day list, the status list, the notices, the worklist of possible earlier records, the API's list with its
filters and cursor, its search and its notices), records every SELECT they send, and asks each database how it
would run it. On PostgreSQL a table of a few rows is read whole whatever its indexes, so the plans are asked for
with sequential scans priced out (``SET LOCAL enable_seqscan = off``): a table read whole then is one no index could
serve. SQLite has no statistics here and plans from its indexes alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from diversion.auth.tokens import create_api_token
from diversion.dates import today
from diversion.extensions import db
from tests.factories import create_court, create_referral, create_user, csrf_token, date_fields, log_in_as

# Tables that grow with every woman referred; the others (courts, users, venues, wordings) stay small.
GROWING = (
    "referrals",
    "clients",
    "appointments",
    "contacts",
    "outcome_notices",
    "consents",
    "assessments",
    "care_plans",
    "return_date_changes",
    "audit_events",
    "notifications",
    "alerts",
)
# The keyset order every list pages by (newest first), whatever the table.
KEYSET_ORDER = re.compile(r"ORDER BY (\w+)\.created_at DESC, \1\.id DESC", re.IGNORECASE)


@contextmanager
def recorded(app) -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT sent to the main database while the block runs, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        if not executemany and statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


# A page of one woman's cases, or of one URN's, is a handful of rows whatever the number of cases: sorting them is
# right, and walking a whole index in the list's order to find them would not be.
BOUNDED = re.compile(r"referrals\.(client_id|urn_index) IN|referrals\.id = ", re.IGNORECASE)


def keyset_paged(statement: str) -> bool:
    """True for a list paged newest first whose rows are not bounded by who or what was asked for."""
    return bool(KEYSET_ORDER.search(statement)) and not BOUNDED.search(statement)


def plan_of(statement: str, parameters: Any) -> str:
    """How the database would run the statement, as one line of text. On PostgreSQL, reading a table whole is priced
    out (else its planner reads a small table whole whatever its indexes), and so is sorting a keyset-paged list:
    the plan then sorts, or scans, only when no index could serve the query."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return " | ".join(str(row[-1]) for row in rows)
    with connection.begin_nested():
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        if keyset_paged(statement):
            connection.exec_driver_sql("SET LOCAL enable_sort = off")
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        return " | ".join(str(row[0]).strip() for row in rows)


def _names(statement: str, table: str) -> list[str]:
    """The table's name and its aliases in the statement (SQLite's plans name a table by its alias)."""
    return [table, *re.findall(rf"\b{table} AS (\w+)", statement, re.IGNORECASE)]


def problems(statement: str, plan: str, dialect: str) -> list[str]:
    """What is wrong with one plan: a growing table read whole (or, on SQLite, a temporary index built from the
    whole of it), or the newest-first order of a list sorted rather than read from an index."""
    found = []
    for table in GROWING:
        if dialect == "sqlite":
            # "SCAN referrals USING INDEX ix_..." walks an index in the list's order and stops at the LIMIT; a bare
            # SCAN reads every row, and an automatic index is built by reading every row.
            whole = any(
                re.search(rf"\bSCAN {name}\b(?! USING (?:COVERING )?INDEX)|\b{name} USING AUTOMATIC", plan)
                for name in _names(statement, table)
            )
        else:
            whole = bool(re.search(rf"Seq Scan on {table}\b", plan))
        if whole:
            found.append(f"reads the whole of {table}")
    sorted_ = "USE TEMP B-TREE FOR ORDER BY" in plan if dialect == "sqlite" else re.search(r"\bSort\b", plan)
    if sorted_ and keyset_paged(statement):
        found.append("sorts for the keyset order")
    return found


# --- the data and the requests ---


@pytest.fixture
def scene(app_ctx) -> dict[str, Any]:
    """A court, a worker with cases in several states (one completed, so with appointments and a notice), a court
    user, a CPS user and a manager; API tokens for the court and the CPS."""
    court = create_court()
    worker = create_user(role="worker")
    cases = [
        create_referral(worker=worker, court=court, family_name="Planned", date_of_birth=date(1990, 5, 17)),
        create_referral(state="OPTED_IN", worker=worker, court=court),
        create_referral(state="COMPLETED", worker=worker, court=court),
    ]
    court_user = create_user(role="court", court=court)
    cps = create_user(role="cps")
    manager = create_user(role="manager")
    return {
        "court": court,
        "worker": worker,
        "cases": cases,
        "court_user": court_user,
        "cps": cps,
        "manager": manager,
        "tokens": {
            "court": create_api_token(court_user),
            "cps": create_api_token(cps),
        },
    }


def _api(client, token: str, method: str, path: str, body: Any = None) -> Any:
    return client.open(
        "/api/v1" + path,
        method=method,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


def requests_made(app, scene: dict[str, Any]) -> list[tuple[str, Callable[[], Any]]]:
    """Each request a person or a partner's system makes all day, by name."""
    worker_client = log_in_as(app.test_client(), scene["worker"])
    court_client = log_in_as(app.test_client(), scene["court_user"])
    cps_client = log_in_as(app.test_client(), scene["cps"])
    manager_client = log_in_as(app.test_client(), scene["manager"])
    case = scene["cases"][0]
    day = case.return_date
    cursor = f"{16_000_000_000_000_000 // 10}.{'f' * 32}"
    tokens = scene["tokens"]
    worker_token = create_api_token(scene["worker"])

    def search_page(data: dict[str, str]) -> Any:
        token = csrf_token(worker_client, "/cases")
        return worker_client.post("/cases/search", data={**data, "csrf_token": token})

    by_name = {"family_name": "Planned", "date_of_birth": "1990-05-17"}
    return [
        ("caseload, mine", lambda: worker_client.get("/cases?tab=mine")),
        ("caseload, mine by referral date", lambda: worker_client.get("/cases?tab=mine&sort=referred_on")),
        ("caseload, mine by status", lambda: worker_client.get("/cases?tab=mine&sort=state")),
        ("caseload, all open", lambda: worker_client.get("/cases?tab=open")),
        ("caseload, at risk", lambda: worker_client.get("/cases?tab=at-risk")),
        ("caseload, closed", lambda: worker_client.get("/cases?tab=closed")),
        ("caseload, today", lambda: worker_client.get("/cases?tab=today")),
        ("caseload, unresolved appointments", lambda: worker_client.get("/cases?tab=unresolved")),
        (
            "caseload search by name",
            lambda: search_page({"family_name": "Planned", **date_fields("date_of_birth", date(1990, 5, 17))}),
        ),
        ("caseload search by URN", lambda: search_page({"urn": "01/AB/99999/26"})),
        ("case page", lambda: worker_client.get(f"/cases/{case.id}")),
        # Her contact log, filtered too, and the history it joins (docs/contacts.md).
        ("case contacts", lambda: worker_client.get(f"/cases/{case.id}/contacts")),
        (
            "case contacts filtered",
            lambda: worker_client.get(
                f"/cases/{case.id}/contacts?filter-kind=call&filter-direction=in&"
                + "&".join(f"filter-{name}={value}" for name, value in date_fields("from_date", day).items())
            ),
        ),
        ("case history", lambda: worker_client.get(f"/cases/{case.id}/history")),
        ("api contacts", lambda: _api(worker_client, worker_token, "GET", f"/referrals/{case.id}/contacts?kind=call")),
        ("possible matches", lambda: worker_client.get("/cases/possible-matches")),
        ("alerts", lambda: worker_client.get("/alerts")),
        ("alerts, cursor", lambda: manager_client.get(f"/alerts?cursor={cursor}")),
        ("court day", lambda: court_client.get(f"/court-day?date={day.isoformat()}")),
        ("court day, manager", lambda: manager_client.get(f"/court-day?date={day.isoformat()}")),
        ("status list", lambda: court_client.get("/statuses")),
        ("status list by state", lambda: cps_client.get(f"/statuses?state=REFERRED&cursor={cursor}")),
        ("case status", lambda: court_client.get(f"/cases/{case.id}/status")),
        ("notices", lambda: cps_client.get("/notices")),
        ("notices acknowledged", lambda: cps_client.get("/notices?status=acknowledged")),
        ("notices, court", lambda: court_client.get("/notices")),
        ("notices, manager", lambda: manager_client.get("/notices")),
        ("court day, cps", lambda: cps_client.get(f"/court-day?date={day.isoformat()}")),
        ("case status, cps", lambda: cps_client.get(f"/cases/{case.id}/status")),
        ("api list", lambda: _api(worker_client, tokens["cps"], "GET", "/referrals")),
        ("api list, cursor", lambda: _api(worker_client, tokens["cps"], "GET", f"/referrals?cursor={cursor}")),
        ("api list, court user", lambda: _api(worker_client, tokens["court"], "GET", f"/referrals?cursor={cursor}")),
        ("api list by state", lambda: _api(worker_client, tokens["cps"], "GET", "/referrals?state=REFERRED")),
        (
            "api list by court",
            lambda: _api(worker_client, tokens["cps"], "GET", f"/referrals?court={scene['court'].code}"),
        ),
        (
            "api list by return date",
            lambda: _api(worker_client, tokens["cps"], "GET", f"/referrals?return_date={day.isoformat()}"),
        ),
        ("api case", lambda: _api(worker_client, tokens["cps"], "GET", f"/referrals/{case.id}")),
        ("api search by name", lambda: _api(worker_client, tokens["cps"], "POST", "/referrals/search", by_name)),
        (
            "api search by URN",
            lambda: _api(worker_client, tokens["court"], "POST", "/referrals/search", {"urn": "01/AB/99999/26"}),
        ),
        ("api notices", lambda: _api(worker_client, tokens["cps"], "GET", "/notices")),
        ("api notices, cursor", lambda: _api(worker_client, tokens["cps"], "GET", f"/notices?cursor={cursor}")),
        (
            "api notices since",
            lambda: _api(
                worker_client, tokens["court"], "GET", f"/notices?since={(today() - timedelta(days=30)).isoformat()}"
            ),
        ),
    ]


def test_every_page_and_api_read_is_served_by_indexes(app, scene) -> None:
    dialect = db.session.get_bind().dialect.name
    failures = []
    for name, make in requests_made(app, scene):
        with recorded(app) as seen:
            response = make()
        assert response.status_code == 200, (name, response.status_code, response.get_data(as_text=True)[:300])
        assert seen, name
        for statement, parameters in seen:
            plan = plan_of(statement, parameters)
            for problem in problems(statement, plan, dialect):
                failures.append(f"{name}: {problem}\n  {' '.join(statement.split())}\n  {plan}")
    assert not failures, "\n".join(failures)
