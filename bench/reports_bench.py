"""Benchmarks for the reports: the completion report and the funded-outcomes report (the funder return's figures),
each against the raw SQL aggregates that answer the same question, on the same database, SQLite and PostgreSQL.

Run ``python bench/reports_bench.py`` (``BENCH_QUICK=1`` for 50,000 referrals instead of 1,000,000). It prints a table;
``run(quick)`` returns the result dicts for ``bench/run.py``. PostgreSQL is the server at ``PG_BENCH_URL`` (default:
the test suite's); a database of its own is created and dropped.

The synthetic data: ten organisations (charities), each running two schemes, each scheme serving a court of its
own with two workers; referrals spread over ten years and over the organisations, in every state; for a tenth of
them the programme's rows (two appointments, an assessment of twelve domains, an agreed plan with onward referrals)
and for a twentieth a review. The period is one quarter in the middle of the data (about a fortieth).

What is timed is one organisation's manager's report: the figures of her two schemes, which are a tenth of the
service's cases (docs/organisations.md, "Reports"). Each side is timed on the same period, interleaved (alternating
which goes first), over several rounds, and the medians compared. Before timing, both sides' answers are checked to
agree. The report side is the service the page and the API call for her (``completion_report`` over her schemes,
each scheme's figures with the total; ``funder_return`` of her whole organisation, with suppression), so the ratio
is what the app adds over the bare SQL: its query building, more but narrower queries, and Python around them. The
raw side is the SQL a person would write for that organisation's cases: the same conditions on the same columns
(``scheme_id IN`` her two schemes), so both may use the same indexes.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GOAL = 1.5
STATES = ("REFERRED", "DECLINED", "OPTED_IN", "ASSESSED", "COMPLETED", "NOT_COMPLETED", "WITHDRAWN")
WEIGHTS = (2, 10, 3, 3, 60, 12, 10)
DOMAINS = [
    "accommodation",
    "drugs",
    "alcohol",
    "physical_health",
    "sexual_health",
    "mental_health",
    "safety",
    "money",
    "family",
    "ete",
    "relationships",
    "exiting",
]
SERVICES = ("drug_treatment", "housing", "gp", "mental_health", "group_programme")
ONWARD = ("suggested", "made", "accepted", "attended", "declined")
START = date(2016, 1, 1)
DAYS = 3650
PERIOD = (date(2021, 1, 1), date(2021, 3, 31))
ORGANISATIONS = 10
SCHEMES_EACH = 2
WORKERS_EACH = 2  # per scheme
# The organisation whose manager's report is measured: its two schemes.
MEASURED = 4
MEASURED_SCHEMES = tuple(SCHEMES_EACH * (MEASURED - 1) + number for number in range(1, SCHEMES_EACH + 1))
MANAGER_ID = uuid.UUID("00000000-0000-4000-8000-000000000004")
PROGRAMME = (
    '{"name": "Court diversion", "steps": [{"number": 1, "produces": "assessment"}, {"number": 2, "produces": '
    '"care_plan"}], "deadline": "before_return_date", "at_risk_working_days": 5}'
)


def _chunks(rows: Iterator[dict[str, Any]], size: int = 10000) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def populate(engine: sa.Engine, referrals: int, seed: int = 7) -> None:
    """The schema and the synthetic cases (see the module docstring), written with bulk inserts."""
    from diversion.extensions import db

    db.metadata.create_all(engine)
    tables = db.metadata.tables
    rng = random.Random(seed)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = {"created_at": now, "updated_at": now}
    schemes = [
        (SCHEMES_EACH * (organisation - 1) + number, organisation)
        for organisation in range(1, ORGANISATIONS + 1)
        for number in range(1, SCHEMES_EACH + 1)
    ]
    workers = {scheme: [uuid.uuid4() for _ in range(WORKERS_EACH)] for scheme, _ in schemes}
    with engine.begin() as connection:
        connection.execute(
            tables["organisations"].insert(),
            [
                {"id": i, "slug": f"charity-{i}", "name": f"Charity {i}", "index_salt": rng.randbytes(32), **stamps}
                for i in range(1, ORGANISATIONS + 1)
            ],
        )
        connection.execute(
            tables["schemes"].insert(),
            [
                {"id": scheme, "organisation_id": organisation, "slug": f"scheme-{scheme}", "name": f"Scheme {scheme}"}
                | {"access": "team", **stamps}
                for scheme, organisation in schemes
            ],
        )
        connection.execute(
            tables["programme_versions"].insert(),
            [
                {"id": scheme, "scheme_id": scheme, "number": 1, "settings_json": PROGRAMME, "created_at": now}
                for scheme, _ in schemes
            ],
        )
        # One court a scheme.
        connection.execute(
            tables["courts"].insert(), [{"id": i, "code": f"C{i}", "name": f"Court {i}"} for i, _ in schemes]
        )
        connection.execute(tables["scheme_courts"].insert(), [{"scheme_id": i, "court_id": i} for i, _ in schemes])
        # The schema is made without the migrations, so the wordings the consents point at are written here: each
        # scheme keeps its own register of wordings (docs/organisations.md), so one a scheme, with the scheme's id.
        connection.execute(
            tables["consent_wordings"].insert(),
            [
                {
                    "id": scheme,
                    "scheme_id": scheme,
                    "purpose": "equality_monitoring",
                    "number": 1,
                    "version": "2026-1",
                    "text": "Bench wording.",
                }
                for scheme, _ in schemes
            ],
        )
        connection.execute(
            tables["users"].insert(),
            [
                {
                    "id": worker,
                    "email": f"worker{scheme}-{i}@example.org",
                    "display_name": f"Bench worker {scheme}-{i}",
                    "role": "worker",
                    "organisation_id": organisation,
                    "password_hash": "x",
                    "must_change_password": False,
                    "is_disabled": False,
                    "failed_login_count": 0,
                    **stamps,
                }
                for scheme, organisation in schemes
                for i, worker in enumerate(workers[scheme])
            ],
        )
        # The manager whose report is measured: both schemes of her organisation.
        connection.execute(
            tables["users"].insert(),
            [
                {
                    "id": MANAGER_ID,
                    "email": "manager@example.org",
                    "display_name": "Bench manager",
                    "role": "manager",
                    "organisation_id": MEASURED,
                    "password_hash": "x",
                    "must_change_password": False,
                    "is_disabled": False,
                    "failed_login_count": 0,
                    **stamps,
                }
            ],
        )
        connection.execute(
            tables["user_schemes"].insert(),
            [{"user_id": worker, "scheme_id": scheme} for scheme, _ in schemes for worker in workers[scheme]]
            + [{"user_id": MANAGER_ID, "scheme_id": scheme} for scheme in MEASURED_SCHEMES],
        )
    # Each organisation has its own clients; a woman's cases stay in her organisation.
    clients = {
        organisation: [uuid.uuid4() for _ in range(int(referrals * 0.85 / ORGANISATIONS))]
        for organisation in range(1, ORGANISATIONS + 1)
    }
    aux: dict[str, list[dict[str, Any]]] = {name: [] for name in ("appointments", "assessments", "assessment_domains")}
    aux.update({name: [] for name in ("care_plans", "onward_referrals", "reviews", "review_domains", "consents")})

    def client_rows() -> Iterator[dict[str, Any]]:
        for organisation, theirs in clients.items():
            for client in theirs:
                yield {
                    "id": client,
                    "organisation_id": organisation,
                    "birth_year_band": rng.choice((1960, 1970, 1980, 1990, 2000)),
                    "ethnicity_code": rng.choice(("white", "black", "asian", "mixed", None)),
                    **stamps,
                }

    def referral_rows() -> Iterator[dict[str, Any]]:
        for number in range(referrals):
            scheme, organisation = rng.choice(schemes)
            referral, client = uuid.uuid4(), rng.choice(clients[organisation])
            referred = START + timedelta(days=rng.randrange(DAYS))
            state = rng.choices(STATES, WEIGHTS)[0]
            consent = referred + timedelta(days=1) if state not in ("REFERRED", "DECLINED") else None
            outcome = None
            if state in ("DECLINED", "COMPLETED", "NOT_COMPLETED", "WITHDRAWN"):
                outcome = referred + timedelta(days=rng.randint(1, 40))
            yield {
                "id": referral,
                "client_id": client,
                "organisation_id": organisation,
                "scheme_id": scheme,
                "programme_version_id": scheme,
                "court_id": scheme,
                "offence_code": "SOA1959_S1",
                "first_hearing_date": referred,
                "return_date": referred + timedelta(days=42),
                "state": state,
                "assigned_worker_id": rng.choice(workers[scheme]),
                "referred_on": referred,
                "consent_date": consent,
                "outcome_date": outcome,
                "final_at": None,
                "has_safeguarding_flag": False,
                "version": 1,
                "urn_index": rng.randbytes(32),
                **stamps,
            }
            if number % 10 == 0 and consent is not None:
                _programme(rng, referral, client, scheme, referred, outcome, number, aux)

    with engine.begin() as connection:
        for table, rows in (("clients", client_rows()), ("referrals", referral_rows())):
            for chunk in _chunks(rows):
                connection.execute(tables[table].insert(), chunk)
        for name in (
            "appointments",
            "assessments",
            "assessment_domains",
            "care_plans",
            "onward_referrals",
            "reviews",
            "review_domains",
            "consents",
        ):
            for chunk in _chunks(iter(aux[name])):
                connection.execute(tables[name].insert(), chunk)


def _programme(
    rng: random.Random,
    referral: uuid.UUID,
    client: uuid.UUID,
    scheme: int,
    referred: date,
    outcome: date | None,
    number: int,
    aux: dict[str, list[dict[str, Any]]],
) -> None:
    def at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 11, tzinfo=UTC)

    for appointment in (1, 2):
        aux["appointments"].append(
            {
                "id": uuid.uuid4(),
                "referral_id": referral,
                "client_id": client,
                "number": appointment,
                "starts_at": at(referred + timedelta(days=3 * appointment)),
                "duration_minutes": 60,
                "outcome": rng.choice(("attended", "attended", "attended_late", "did_not_attend", None)),
                "created_at": at(referred),
                "updated_at": at(referred),
            }
        )
    assessment = uuid.uuid4()
    aux["assessments"].append(
        {
            "id": assessment,
            "referral_id": referral,
            "client_id": client,
            "completed_at": at(referred + timedelta(days=3)),
            "has_safeguarding_flag": rng.random() < 0.2,
            "version": 1,
            "created_at": at(referred),
            "updated_at": at(referred),
        }
    )
    for position, domain in enumerate(DOMAINS):
        aux["assessment_domains"].append(
            {
                "id": uuid.uuid4(),
                "assessment_id": assessment,
                "client_id": client,
                "domain": domain,
                "position": position,
                "need_level": rng.randint(0, 3),
                "wellbeing_score": rng.randint(1, 7),
            }
        )
    plan = uuid.uuid4()
    aux["care_plans"].append(
        {
            "id": plan,
            "referral_id": referral,
            "client_id": client,
            "is_agreed": outcome is not None,
            "agreed_at": at(outcome) if outcome else None,
            "version": 1,
            "created_at": at(referred),
            "updated_at": at(referred),
        }
    )
    for position, service in enumerate(rng.sample(SERVICES, 2)):
        aux["onward_referrals"].append(
            {"plan_id": plan, "position": position, "service": service, "status": rng.choice(ONWARD)}
        )
    aux["consents"].append(
        {
            "referral_id": referral,
            "purpose": "equality_monitoring",
            "is_given": True,
            "wording_id": scheme,  # her scheme's wording (one a scheme, with the scheme's id)
            "recorded_at": at(referred),
        }
    )
    if number % 20 == 0:
        review = uuid.uuid4()
        reviewed = referred + timedelta(days=60)
        aux["reviews"].append(
            {
                "id": review,
                "referral_id": referral,
                "client_id": client,
                "reviewed_on": reviewed,
                "version": 1,
                "created_at": at(reviewed),
                "updated_at": at(reviewed),
            }
        )
        for position, domain in enumerate(DOMAINS):
            aux["review_domains"].append(
                {
                    "review_id": review,
                    "domain": domain,
                    "position": position,
                    "need_level": rng.randint(0, 3),
                    "wellbeing_score": rng.randint(3, 10),
                }
            )


# --- the raw SQL side ---

# Her organisation's cases: the cases of its two schemes.
THEIRS = "scheme_id IN (:scheme_a, :scheme_b)"
RAW_COMPLETION = {
    "referred": f"SELECT count(*) FROM referrals WHERE referred_on >= :start AND referred_on <= :end AND {THEIRS}",
    "opted_in": f"SELECT count(*) FROM referrals WHERE consent_date >= :start AND consent_date <= :end AND {THEIRS}",
    "outcomes": "SELECT state, count(*) FROM referrals WHERE outcome_date >= :start AND outcome_date <= :end "
    f"AND {THEIRS} GROUP BY state",
    "in_progress": "SELECT count(CASE WHEN referred_on <= :end THEN 1 END) FROM referrals "
    f"WHERE (outcome_date IS NULL OR outcome_date > :end) AND {THEIRS}",
}


def raw_outcomes_sql(dialect: str) -> dict[str, str]:
    """Hand-written aggregates answering what the outcomes report answers, for one organisation's cases."""
    days = (
        "CAST(julianday(outcome_date) - julianday(referred_on) AS INTEGER)"
        if dialect == "sqlite"
        else "outcome_date - referred_on"
    )
    on = "{c} >= :start AND {c} <= :end"
    at = "{c} >= :low AND {c} < :high"
    theirs = f"r.{THEIRS}"
    return {
        "referrals": "SELECT count(*), count(DISTINCT client_id) FROM referrals WHERE "
        + on.format(c="referred_on")
        + f" AND {THEIRS}",
        "decisions": "SELECT count(CASE WHEN " + on.format(c="consent_date") + " THEN 1 END), count(*) FROM referrals "
        "WHERE (" + on.format(c="consent_date") + " OR (state = 'DECLINED' AND " + on.format(c="outcome_date") + ")) "
        f"AND {THEIRS}",
        "outcomes": "SELECT state, count(*) FROM referrals WHERE "
        + on.format(c="outcome_date")
        + f" AND {THEIRS} GROUP BY state",
        "days": f"SELECT {days}, count(*) FROM referrals WHERE state = 'COMPLETED' AND "
        + on.format(c="outcome_date")
        + f" AND {THEIRS} GROUP BY {days}",
        "appointments": "SELECT count(a.outcome), count(CASE WHEN a.outcome = 'did_not_attend' THEN 1 END) "
        "FROM appointments a JOIN referrals r ON r.id = a.referral_id WHERE "
        + at.format(c="a.starts_at")
        + f" AND {theirs}",
        "onward": "SELECT o.service, count(CASE WHEN o.status IN ('made', 'accepted', 'attended') THEN 1 END), "
        "count(CASE WHEN o.status IN ('accepted', 'attended') THEN 1 END) FROM onward_referrals o "
        "JOIN care_plans p ON p.id = o.plan_id JOIN referrals r ON r.id = p.referral_id WHERE p.is_agreed AND "
        + at.format(c="p.agreed_at")
        + f" AND {theirs} GROUP BY o.service",
        "safeguarding": "SELECT count(DISTINCT r.client_id) FROM assessments a "
        "JOIN referrals r ON r.id = a.referral_id WHERE a.has_safeguarding_flag AND "
        + at.format(c="a.completed_at")
        + f" AND {theirs}",
        "distance": "WITH latest AS (SELECT id, referral_id, row_number() OVER (PARTITION BY referral_id ORDER BY "
        "reviewed_on DESC, created_at DESC, id DESC) AS position FROM reviews WHERE "
        + on.format(c="reviewed_on")
        + ") "
        "SELECT rd.domain, count(*), sum(rd.wellbeing_score - ad.wellbeing_score) FROM latest l "
        f"JOIN referrals r ON r.id = l.referral_id AND {theirs} "
        "JOIN review_domains rd ON rd.review_id = l.id JOIN assessments a ON a.referral_id = l.referral_id "
        "JOIN assessment_domains ad ON ad.assessment_id = a.id AND ad.domain = rd.domain WHERE l.position = 1 "
        "GROUP BY rd.domain",
        "equality": "SELECT CASE WHEN c.birth_year_band IS NULL THEN 'not_recorded' "
        "WHEN :year2 - c.birth_year_band <= 24 THEN '18-24' WHEN :year2 - c.birth_year_band <= 34 THEN '25-34' "
        "WHEN :year2 - c.birth_year_band <= 44 THEN '35-44' WHEN :year2 - c.birth_year_band <= 54 THEN '45-54' "
        "ELSE '55+' END, coalesce(c.ethnicity_code, 'not_recorded'), count(DISTINCT c.id) FROM referrals r "
        "JOIN clients c ON c.id = r.client_id WHERE "
        + on.format(c="r.referred_on")
        + f" AND {theirs} AND EXISTS (SELECT 1 FROM "
        "consents k WHERE k.referral_id = r.id AND k.purpose = 'equality_monitoring' AND k.is_given AND "
        "k.withdrawn_at IS NULL) GROUP BY 1, 2",
    }


def _params(dialect: str) -> dict[str, Any]:
    from diversion.outcomes.queries import Scope

    low, high = Scope(*PERIOD).utc_bounds
    if dialect == "sqlite":  # the app stores UTC times without an offset on SQLite
        low, high = low.replace(tzinfo=None), high.replace(tzinfo=None)
    scheme_a, scheme_b = MEASURED_SCHEMES
    return {
        "start": PERIOD[0],
        "end": PERIOD[1],
        "low": low,
        "high": high,
        "year2": PERIOD[1].year - 2,
        "scheme_a": scheme_a,
        "scheme_b": scheme_b,
    }


def _run_all(connection: sa.Connection, statements: dict[str, str], params: dict[str, Any]) -> dict[str, Any]:
    return {
        name: connection.execute(sa.text(sql), {k: v for k, v in params.items() if f":{k}" in sql}).all()
        for name, sql in statements.items()
    }


# --- timing ---


def _agree(ours: Any, bare: Any) -> None:
    """Both sides must give the same answer before either is timed."""
    if ours != bare:
        raise RuntimeError(f"the report and the raw SQL disagree: {ours!r} != {bare!r}")


def _interleaved(candidates: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in candidates}
    names = list(candidates)
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else reversed(names):
            started = time.perf_counter()
            candidates[name]()
            times[name].append(time.perf_counter() - started)
    return times


def _profile(engine: sa.Engine, call: Callable[[], object]) -> str:
    """How many statements a call runs, and the slowest one's time and opening words: the profile behind a ratio."""
    timings: list[tuple[float, str]] = []
    started: list[float] = []

    def before(*_: Any) -> None:
        started.append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        timings.append((time.perf_counter() - started.pop(), " ".join(statement.split())[:60]))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    slowest = max(timings) if timings else (0.0, "")
    total = sum(seconds for seconds, _ in timings)
    return (
        f"{len(timings)} statements taking {total * 1000:.1f} ms in the database; the slowest "
        f"{slowest[0] * 1000:.1f} ms: {slowest[1]}"
    )


def _app(url: str, workdir: Path) -> Any:
    from diversion import create_app
    from diversion.crypto.keys import generate_master_key_line

    environ = {
        "DIVERSION_CONFIG": "testing",
        "DATABASE_URL": url,
        "DIVERSION_KEYSTORE_URL": f"sqlite:///{workdir / 'keys.db'}",
        "DIVERSION_MASTER_KEYS": generate_master_key_line("bench"),
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "NOTIFY_OUTBOX_FILE": str(workdir / "outbox.jsonl"),
    }
    return create_app("testing", environ=environ)


def measure(url: str, label: str, referrals: int, rounds: int, workdir: Path) -> list[dict[str, Any]]:
    """Both comparisons on one database: populate it, check the answers agree, then time them."""
    from diversion.auth.models import User
    from diversion.extensions import db
    from diversion.outcomes import returns
    from diversion.outcomes.queries import Scope
    from diversion.reports.scope import choose
    from diversion.reports.services import Period, completion_report

    engine = sa.create_engine(url)
    started = time.perf_counter()
    populate(engine, referrals)
    print(f"  {label}: {referrals:,} referrals written in {time.perf_counter() - started:.0f} s", flush=True)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    app = _app(url, workdir)
    period = Period(*PERIOD, "quarter")
    params = _params(engine.dialect.name)
    raw_outcomes = raw_outcomes_sql(engine.dialect.name)
    results = []
    with app.app_context(), engine.connect() as raw:
        # Her report: what a signed-in manager of both the organisation's schemes asks for (her whole organisation).
        choice = choose(db.session.get(User, MANAGER_ID))
        if choice.counted.scheme_ids != MEASURED_SCHEMES or not choice.rolls_up:
            raise RuntimeError(f"the manager's report counts {choice.counted}, not her two schemes")
        scope = Scope(*PERIOD, counted=choice.counted)
        ours_completion = completion_report(period, None, choice)
        raw_completion = _run_all(raw, RAW_COMPLETION, params)
        _agree(ours_completion.figures.referred, raw_completion["referred"][0][0])
        _agree(ours_completion.figures.completed, dict(raw_completion["outcomes"]).get("COMPLETED", 0))
        _agree(ours_completion.figures.in_progress, raw_completion["in_progress"][0][0])
        _agree(ours_completion.figures.referred, sum(f.referred for _, f in ours_completion.by_scheme))
        report = returns.funder_return(period, scope, suppressed=False)
        raw_answer = _run_all(raw, raw_outcomes, params)
        cells = {item.indicator.key: item.cells[0].value for item in report.figures}
        _agree(cells["referrals"], raw_answer["referrals"][0][0])
        _agree(cells["women_referred"], raw_answer["referrals"][0][1])
        _agree(cells["safeguarding"], raw_answer["safeguarding"][0][0])
        for name, ours, bare in (
            (
                "completion",
                lambda: completion_report(period, None, choice),
                lambda: _run_all(raw, RAW_COMPLETION, params),
            ),
            (
                "outcomes",
                lambda: returns.funder_return(period, scope),
                lambda: _run_all(raw, raw_outcomes, params),
            ),
        ):
            times = _interleaved({"report": ours, "sql": bare}, rounds)
            report_time, sql_time = statistics.median(times["report"]), statistics.median(times["sql"])
            ratio = report_time / sql_time
            profile = _profile(db.engine, ours)
            results.append(
                {
                    "name": f"report.{name}_vs_sql.{label}",
                    "value": round(ratio, 2),
                    "unit": "x",
                    "goal": f"<= {GOAL}",
                    "met": ratio <= GOAL,
                    "detail": f"{name} report {report_time * 1000:.1f} ms / raw SQL aggregates "
                    f"{sql_time * 1000:.1f} ms (medians of {rounds}, interleaved), "
                    f"one quarter of one organisation's two schemes ({choice.label}) among {ORGANISATIONS} "
                    f"organisations' {referrals:,} referrals on {label}; the report ran {profile}",
                }
            )
        db.session.remove()
        for engine_ in db.engines.values():
            engine_.dispose()
    engine.dispose()
    return results


def _postgres_database(base_url: str) -> tuple[str, Callable[[], None]]:
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"diversion_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return sa.make_url(base_url).set(database=name).render_as_string(hide_password=False), drop


def run(quick: bool) -> list[dict[str, Any]]:
    """Both reports against raw SQL, on SQLite and on PostgreSQL."""
    referrals = 50_000 if quick else 1_000_000
    rounds = 7 if quick else 11
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        results += measure(f"sqlite:///{workdir / 'reports.db'}", "sqlite", referrals, rounds, workdir)
        url, drop = _postgres_database(os.environ.get("PG_BENCH_URL", DEFAULT_PG_URL))
        try:
            results += measure(url, "postgresql", referrals, rounds, workdir)
        finally:
            drop()
    return results


def main() -> int:
    """Run and print the table."""
    from bench.run import table

    results = run(os.environ.get("BENCH_QUICK") == "1")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
