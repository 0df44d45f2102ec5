"""The app for the browser tests: a fresh database, migrated and seeded, served by werkzeug on the given port.

Run as ``python -m tests.e2e.server --port N --instance DIR [--seed NAME]`` with ``DATABASE_URL``,
``DIVERSION_KEYSTORE_URL`` and ``DIVERSION_MASTER_KEYS`` in the environment (never on the command line, where other
users could read them).
Seeded users are not enrolled: the tests set up their authenticators through the UI. The temporary password of the
one user who must change it is written to ``DIR/seed.json``, the only way the tests can learn it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from datetime import date
from pathlib import Path
from types import FrameType

PASSWORD = "lantern orbit pale tulip"
COURTS = (("E2EA", "Ashford Magistrates' Court"), ("E2EB", "Bramley Magistrates' Court"))
ROLES = ("worker", "manager", "court", "cps", "admin", "operator")
ROLE_EMAILS = {role: f"{role}@e2e.example.org" for role in ROLES}
# Signs in and out in the journey test; nobody else uses it, so signing out ends no other test's session.
JOURNEY_EMAIL = "journey@e2e.example.org"
JOURNEY_NAME = "Jude Rivers"
# Only ever gets a wrong password, or a right one without finishing: never locked, never signed in.
SPARE_EMAIL = "spare@e2e.example.org"
# Has a temporary password, so its sign-in goes through the new-password page.
TEMPORARY_EMAIL = "temporary@e2e.example.org"
# Walks a case from referral to completion with the keyboard alone, in its own session; nobody else signs in as it.
KEYBOARD_EMAIL = "keyboard@e2e.example.org"
# Has her session ended from another device while she types a referral (tests/e2e/test_session.py); nobody else
# signs in as her.
SESSION_EMAIL = "session@e2e.example.org"
# Has her session ended while she types the needs assessment, which keeps drafts (tests/e2e/test_drafts.py); nobody
# else signs in as her, and her case is hers alone.
DRAFTS_EMAIL = "drafts@e2e.example.org"
# Need to know (tests/e2e/test_need_to_know.py) runs on a server of its own, seeded with its own world: a scheme
# with the assigned access rule beside the first, which would change every other test's forms (a second scheme
# must be chosen when an account or a court is added).
NEED_TO_KNOW_EMAIL = "assigned@e2e.example.org"
NEED_TO_KNOW_COURT = ("E2EN", "Northfield Magistrates' Court")
SEED_FILE = "seed.json"
# Every seeded user has a name that is not in their email, so a page showing an email where a name belongs is caught.
ROLE_NAMES = {
    "worker": "Wren Walker",
    "manager": "Morgan Hale",
    "court": "Cora Bennett",
    "cps": "Sid Patel",
    "admin": "Ada Marsh",
    "operator": "Opal Finch",
}


def seed(instance: Path) -> None:
    """Two courts, one user per role (the court user at the first court), and the users the sign-in tests need."""
    from diversion.admin.services import create_user, save_court
    from diversion.venues.services import save_venue

    for code, name in COURTS:
        save_court(code, name)
    # A venue, so that the manager's walk reaches the venue pages and workers can book at one.
    save_venue("Drop-in centre", "12 Canal Street, Northgate NG1 4AB")
    for role, email in ROLE_EMAILS.items():
        create_user(email, role, COURTS[0][0] if role == "court" else None, PASSWORD, display_name=ROLE_NAMES[role])
    create_user(JOURNEY_EMAIL, "worker", None, PASSWORD, display_name=JOURNEY_NAME)
    create_user(SPARE_EMAIL, "worker", None, PASSWORD, display_name="Sasha Park")
    _, temporary = create_user(TEMPORARY_EMAIL, "worker", None, None, display_name="Tam Ellis")
    partners = _seed_cases()
    create_user(KEYBOARD_EMAIL, "worker", None, PASSWORD, display_name="Kit Barnes")
    create_user(SESSION_EMAIL, "worker", None, PASSWORD, display_name="Sol Hardy")
    outcomes = _seed_outcomes(instance)
    outcomes["cases"]["conflict"] = _seed_conflict_case()
    outcomes["cases"]["drafts"] = _seed_drafts_case()
    outcomes["cases"]["modern_slavery"] = _seed_modern_slavery_case()
    outcomes["cases"]["alerts"] = _seed_alerts_case()
    (instance / SEED_FILE).write_text(
        json.dumps({"temporary_password": temporary, "partners": partners, "outcomes": outcomes})
    )
    _seed_privacy_cases()
    _seed_webhook()


def seed_need_to_know(instance: Path) -> None:
    """A second scheme, with the assigned access rule, at a court of its own; the test's support worker and her
    colleague in it, and an opted-in case of the colleague's. Writes the case's id, URN and her name."""
    from datetime import timedelta

    from diversion.admin.services import create_user, save_court
    from diversion.auth.services import find_user_by_email
    from diversion.dates import today
    from diversion.organisations.services import add_scheme, organisation_by_slug
    from tests.factories import create_referral

    scheme = add_scheme(organisation_by_slug("main"), "northfield", "Northfield diversion", access="assigned")
    court = save_court(*NEED_TO_KNOW_COURT, schemes=[scheme])
    colleague = "colleague@e2e.example.org"
    for email, name in ((NEED_TO_KNOW_EMAIL, "Nia Hart"), (colleague, "Cal Dunne")):
        create_user(email, "worker", None, PASSWORD, display_name=name, schemes=[scheme.slug])
    urn = "05/NF/24680/26"
    referral = create_referral(
        state="OPTED_IN",
        worker=find_user_by_email(colleague),
        court=court,
        urn=urn,
        given_name="Orla",
        family_name="Penrose",
        date_of_birth=date(1993, 8, 21),
        return_date=today() + timedelta(weeks=4),
    )
    (instance / SEED_FILE).write_text(
        json.dumps({"case": {"id": str(referral.id), "urn": urn, "name": "Orla Penrose"}})
    )


def _seed_webhook() -> None:
    """A paused webhook of the court user's, so the walk reaches a subscription's page (nothing is sent to it)."""
    from diversion.auth.services import find_user_by_email
    from diversion.webhooks.services import pause, subscribe

    court = find_user_by_email(ROLE_EMAILS["court"])
    subscription, _ = subscribe(court, "http://127.0.0.1:9/court-case-system", ["notice.created"])
    pause(subscription, court)


def _seed_cases() -> dict:
    """Pages about one record (a case, an appointment) are reached only when such a record exists: a case waiting
    for the outcome of appointment 2 (assessed, with a safeguarding flag), and a completed one; then the cases the
    partners' pages show (returned, as the tests need to know them)."""
    from datetime import timedelta

    from diversion.appointments.services import BookingInput, book_appointment
    from diversion.auth.services import find_user_by_email
    from diversion.db import utcnow
    from tests.factories import create_referral, save_full_assessment

    worker = find_user_by_email(ROLE_EMAILS["worker"])
    waiting = create_referral(state="ASSESSED", worker=worker, court=_court(COURTS[0][0]))
    save_full_assessment(waiting, worker, indicators=["threats"], version=1)
    book_appointment(
        waiting, BookingInput(number=2, starts_at=utcnow() - timedelta(hours=3), override_reason="seed"), worker
    )
    create_referral(state="COMPLETED", worker=worker, court=_court(COURTS[1][0]))
    return _seed_partner_cases(worker)


def _seed_conflict_case() -> dict:
    """An assessed case whose assessment only the stale-save test changes (tests/e2e/test_conflicts.py), at the second
    court and returning on no day another test reads."""
    from datetime import timedelta

    from diversion.auth.services import find_user_by_email
    from diversion.dates import today
    from tests.factories import create_referral

    referral = create_referral(
        state="ASSESSED",
        worker=find_user_by_email(ROLE_EMAILS["worker"]),
        court=_court(COURTS[1][0]),
        given_name="Nell",
        family_name="Vance",
        date_of_birth=date(1991, 6, 9),
        return_date=today() + timedelta(weeks=9),
    )
    return {"id": str(referral.id), "name": "Nell Vance"}


def _seed_modern_slavery_case() -> dict:
    """An assessed case with no sign of exploitation yet, whose assessment only the modern slavery test changes
    (tests/e2e/test_modern_slavery.py), at the second court and returning on no day another test reads."""
    from datetime import timedelta

    from diversion.auth.services import find_user_by_email
    from diversion.dates import today
    from tests.factories import create_referral

    referral = create_referral(
        state="ASSESSED",
        worker=find_user_by_email(ROLE_EMAILS["worker"]),
        court=_court(COURTS[1][0]),
        given_name="Mira",
        family_name="Sallow",
        date_of_birth=date(1989, 3, 12),
        return_date=today() + timedelta(weeks=11),
    )
    return {"id": str(referral.id), "name": "Mira Sallow"}


def _seed_drafts_case() -> dict:
    """An opted-in case whose first appointment she attended, so the needs assessment is the form to fill, assigned to
    the drafts test's own worker at the second court and returning on no day another test reads."""
    from datetime import timedelta

    from diversion.admin.services import create_user
    from diversion.auth.services import find_user_by_email
    from diversion.dates import today
    from tests.factories import attend, book, create_referral

    create_user(DRAFTS_EMAIL, "worker", None, PASSWORD, display_name="Dee Quarry")
    worker = find_user_by_email(DRAFTS_EMAIL)
    referral = create_referral(
        state="OPTED_IN",
        worker=worker,
        court=_court(COURTS[1][0]),
        given_name="Ivy",
        family_name="Marchetti",
        date_of_birth=date(1994, 2, 17),
        return_date=today() + timedelta(weeks=10),
    )
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    return {"id": str(referral.id), "name": "Ivy Marchetti"}


def _seed_alerts_case() -> dict:
    """An opted-in case with no worker whose first appointment she attended, so the needs assessment is the form to
    fill; only the alerts test saves it (tests/e2e/test_alerts.py), and its alert goes to the managers. At the first
    court, whose figures the report tests read as "at least" (the second court's are counted exactly), returning on
    no day another test reads."""
    from datetime import timedelta

    from diversion.auth.services import find_user_by_email
    from diversion.dates import today
    from tests.factories import attend, book, create_referral

    # Taken by the manager, whose referrals are given to nobody: the scheme's managers hear of its events.
    manager = find_user_by_email(ROLE_EMAILS["manager"])
    referral = create_referral(
        state="OPTED_IN",
        worker=manager,
        court=_court(COURTS[0][0]),
        given_name="Rhea",
        family_name="Calder",
        date_of_birth=date(1990, 11, 4),
        return_date=today() + timedelta(weeks=11),
    )
    attend(appointment=book(referral=referral, worker=manager, number=1), worker=manager)
    return {"id": str(referral.id), "name": "Rhea Calder"}


def _seed_partner_cases(worker) -> dict:
    """Cases for the court, CPS and report pages, each named so the tests can find it: a court day (today) at the
    first court with a case in each outcome and one still open, another case of the second court on that day (which
    the first court's user must not see), a case returning on a later day, and a completed case whose notice only
    the acknowledgement test acts on (every other notice stays new for the walk to reach its form)."""
    from datetime import timedelta

    from diversion.appointments.services import BookingInput, book_appointment
    from diversion.dates import today
    from diversion.db import utcnow
    from tests.factories import create_referral

    court_day = today()
    later_day = court_day + timedelta(weeks=5)
    first_hearing = court_day - timedelta(weeks=3)
    facts: list[dict] = []

    def case(key: str, state: str, court: str, name: str, return_date, number: int):
        given, family = name.split(" ")
        born = date(1980 + number, number % 12 + 1, number + 3)
        urn = f"01/PT/{70000 + number}/26"
        referral = create_referral(
            state=state,
            worker=worker,
            court=_court(court),
            urn=urn,
            given_name=given,
            family_name=family,
            date_of_birth=born,
            first_hearing_date=first_hearing,
            return_date=return_date,
        )
        facts.append(
            {
                "key": key,
                "name": name,
                "date_of_birth": born.isoformat(),
                "urn": urn,
                "court": court,
                "state": state,
                "return_date": return_date.isoformat(),
            }
        )
        return referral

    first, second = COURTS[0][0], COURTS[1][0]
    # Not completed first: the factory's sweep closes every open case whose return date has passed by the day after.
    case("not_completed", "NOT_COMPLETED", first, "Cara Nolan", court_day, 1)
    case("completed", "COMPLETED", first, "Bea Marsh", court_day, 2)
    case("withdrawn", "WITHDRAWN", first, "Dee Okafor", court_day, 3)
    waiting = case("assessed", "ASSESSED", first, "Eve Price", court_day, 4)
    # Appointment 2 has passed with no outcome yet: the list says when it was booked for.
    book_appointment(
        waiting, BookingInput(number=2, starts_at=utcnow() - timedelta(days=1), override_reason="seed"), worker
    )
    case("other_court", "WITHDRAWN", second, "Fay Quinn", court_day, 5)
    case("later", "OPTED_IN", first, "Gil Rowe", later_day, 6)
    case("to_acknowledge", "COMPLETED", first, "Hana Stone", court_day + timedelta(weeks=2), 7)
    return {"court_day": court_day.isoformat(), "later_day": later_day.isoformat(), "cases": facts}


def _seed_outcomes(instance: Path) -> dict:
    """The outcome and message pages' records, at the first court and returning on no day the partners' tests
    read: an assessed case followed up (a review, her ethnic group recorded with her consent to equality
    monitoring) whose reminders for appointment 2 failed to send, so that the walk reaches its pages from the
    failed messages; an assessed case for a review to be recorded on; a case with reminders queued; and a kept
    snapshot of this quarter's funder return. Returns each case's id and name, and the snapshot's id."""
    from datetime import UTC, datetime, time, timedelta

    from flask import current_app

    from diversion.assessments.models import Domain
    from diversion.auth.services import find_user_by_email
    from diversion.clients.services import SafeContact
    from diversion.dates import LONDON, today
    from diversion.db import transaction
    from diversion.notifications.reminders import plan_reminders
    from diversion.notifications.services import deliver, failed_messages, messages_of
    from diversion.outcomes import equality, returns, reviews
    from diversion.outcomes import services as outcome_services
    from diversion.referrals.consent import record_consent
    from diversion.reports.services import quarter_of, quarter_period
    from tests.factories import book, create_referral

    worker = find_user_by_email(ROLE_EMAILS["worker"])
    day = today()
    facts: dict[str, dict] = {}

    def case(key: str, name: str, state: str, number: int):
        given, family = name.split(" ")
        referral = create_referral(
            state=state,
            worker=worker,
            court=_court(COURTS[0][0]),
            given_name=given,
            family_name=family,
            date_of_birth=date(1985, number, number + 10),
            return_date=day + timedelta(weeks=4),
        )
        facts[key] = {"id": str(referral.id), "name": name}
        return referral

    followed_up = case("followed_up", "Lou Park", "ASSESSED", 1)
    reviews.record_review(
        followed_up,
        reviews.ReviewInput(
            reviewed_on=day,
            needs={domain.value: 1 for domain in Domain},
            scores={domain.value: 7 for domain in Domain},
            notes="Settled in her own tenancy.",
        ),
        worker,
    )
    record_consent(followed_up, "equality_monitoring", True, worker)
    equality.record_ethnicity(followed_up, "not_stated", worker)
    case("to_review", "Jo Wren", "ASSESSED", 2)
    reminded = case("reminded", "Kim Ashe", "OPTED_IN", 3)

    # Reminders for appointments in three days, at 2pm and 3pm, planned as a sweep two days before would.
    starts = datetime.combine(day + timedelta(days=3), time(14), tzinfo=LONDON).astimezone(UTC)
    for number, referral in ((1, reminded), (2, followed_up)):
        with transaction():
            referral.client.safe_contact = SafeContact(True, False, None, "after 10am").to_json()
        record_consent(referral, "reminders", True, worker)
        book(referral=referral, worker=worker, number=number, starts_at=starts + timedelta(hours=number - 1))
    plan_reminders(starts + timedelta(hours=1) - timedelta(days=2))
    # A second version of the programme with a second version of the reminders wording, so the programme's
    # history and its wordings show an earlier version.
    from diversion.organisations.services import new_programme_version
    from tests.factories import main_scheme

    new_programme_version(
        main_scheme(),
        {},
        find_user_by_email(ROLE_EMAILS["manager"]),
        wordings={
            "reminders": "I agree to be sent reminders of my appointments by text message or email. A reminder "
            "never says what the appointment is for or who it is with."
        },
    )
    # The outbox is a path under a file, so writing to it fails; with one attempt allowed, each message fails.
    blocker = instance / "not-a-directory"
    blocker.write_text("")
    config = current_app.config
    kept = config["NOTIFY_OUTBOX_FILE"], config["NOTIFY_MAX_ATTEMPTS"]
    config["NOTIFY_OUTBOX_FILE"], config["NOTIFY_MAX_ATTEMPTS"] = str(blocker / "outbox.jsonl"), 1
    try:
        for message in messages_of(followed_up):
            deliver(message.id, message.due_at)
    finally:
        config["NOTIFY_OUTBOX_FILE"], config["NOTIFY_MAX_ATTEMPTS"] = kept
    if len(failed_messages()) != 2 or len(messages_of(reminded)) != 2:
        raise RuntimeError("the seeded reminders were not queued, or did not fail")

    quarter = quarter_period(*quarter_of(day))
    manager = find_user_by_email(ROLE_EMAILS["manager"])
    snapshot = returns.save_snapshot(quarter, outcome_services.scope_of(quarter, None, None), manager)
    return {"cases": facts, "snapshot": str(snapshot.id)}


# The data protection pages' records (tests/e2e/test_privacy.py): a second manager, since an erasure asked for by
# one manager must be confirmed by another; she signs in only in that test. Each client is named for the test alone.
SECOND_MANAGER_EMAIL = "manager2@e2e.example.org"
SECOND_MANAGER_NAME = "Mina Shaw"
PRIVACY_CLIENTS = {"due": "Ines Thorne", "held": "Jude Ferris", "requested": "Kay Lister"}


def _seed_privacy_cases() -> None:
    """At the first court, returning on no day another test reads: a client whose only case ended (not completed)
    a month more than the retention period ago, so she is due for erasure, for the test to hold, export and erase;
    a client under a legal hold; and a client whose erasure the second manager has asked for, waiting for another
    manager to confirm it."""
    from datetime import timedelta

    from diversion.admin.services import create_user
    from diversion.auth.services import find_user_by_email
    from diversion.dates import today
    from diversion.privacy.retention import add_years, retention_status, set_legal_hold
    from diversion.privacy.services import request_erasure
    from diversion.referrals.programme import DEFAULT_PROGRAMME
    from tests.factories import create_referral

    worker = find_user_by_email(ROLE_EMAILS["worker"])
    manager = find_user_by_email(ROLE_EMAILS["manager"])
    second_manager, _ = create_user(SECOND_MANAGER_EMAIL, "manager", None, PASSWORD, display_name=SECOND_MANAGER_NAME)

    def client(key: str, state: str, return_date: date, number: int):
        given, family = PRIVACY_CLIENTS[key].split(" ")
        return create_referral(
            state=state,
            worker=worker,
            court=_court(COURTS[0][0]),
            given_name=given,
            family_name=family,
            date_of_birth=date(1975 + number, number, number + 5),
            # Six weeks before, or today for a return date nearer than that: a first hearing is never in the future.
            first_hearing_date=min(return_date - timedelta(weeks=6), today()),
            return_date=return_date,
        ).client

    # Not completed on its return date, which the factory's sweep makes the outcome date.
    ended = add_years(today(), -DEFAULT_PROGRAMME["retention_years"]) - timedelta(days=30)
    due = client("due", "NOT_COMPLETED", ended, 1)
    later = today() + timedelta(weeks=9)
    held = client("held", "WITHDRAWN", later, 2)
    set_legal_hold(held, True, manager)
    request_erasure(client("requested", "WITHDRAWN", later, 3), "duplicate", second_manager)
    status = retention_status()
    if due.id not in {item.client_id for item in status.due} or held.id not in {item.client_id for item in status.held}:
        raise RuntimeError("the seeded client is not due for erasure, or the held one is not held")


# The seed of a server of its own for tests/e2e/test_three_appointments.py: a second organisation running a
# three-appointment Engagement and Support Order (the assessment at appointment 1, attendance at 2, the Care Action
# Plan at 3) at a court of its own, with a venue, a worker and an opted-in case of hers.
ESO_COURT = ("E2EC", "Carlow Magistrates' Court")
ESO_EMAIL = "eso@e2e.example.org"
ESO_WORKER_NAME = "Elin Orr"
ESO_CLIENT = "Tess Quarrie"
ESO_VENUE = "Carlow women's hub"


def seed_three_appointments(instance: Path) -> None:
    """Only what the three-appointment journey needs, in an organisation of its own."""
    from datetime import timedelta

    from diversion.admin.services import create_user, save_court
    from diversion.dates import today
    from diversion.organisations.services import add_organisation, add_scheme
    from diversion.referrals.programme import programme_with_appointments
    from diversion.venues.services import save_venue
    from tests.factories import create_referral

    organisation = add_organisation("eso-north", "Northfield Women's Trust")
    court = save_court(*ESO_COURT, schemes=[])
    name = "Engagement and Support Order"
    scheme = add_scheme(organisation, "eso", name, [court], settings=programme_with_appointments(name, 3))
    save_venue(ESO_VENUE, "8 Quarry Road, Carlow CW3 2EF", organisation=organisation.slug)
    worker, _ = create_user(
        ESO_EMAIL,
        "worker",
        None,
        PASSWORD,
        display_name=ESO_WORKER_NAME,
        organisation=organisation.slug,
        schemes=[scheme.slug],
    )
    given, family = ESO_CLIENT.split(" ")
    create_referral(
        state="OPTED_IN",
        worker=worker,
        court=court,
        given_name=given,
        family_name=family,
        date_of_birth=date(1988, 9, 21),
        return_date=today() + timedelta(weeks=4),
    )
    (instance / SEED_FILE).write_text("{}")


# The worlds a server can be seeded with: the one every browser test shares, and the worlds of tests that need a
# server of their own (a second scheme or organisation would change the shared one's pages).
WORLDS = {"shared": seed, "need-to-know": seed_need_to_know, "three-appointments": seed_three_appointments}


def _court(code: str):
    from diversion.admin.services import court_by_code

    return court_by_code(code)


def _stop(signum: int, frame: FrameType | None) -> None:
    """Turn the fixture's SIGTERM into the interrupt serve_forever stops on, so the server closes its socket."""
    raise KeyboardInterrupt


def _start_clock() -> None:
    """Run on the clock the browser tests share with us (tests/clock.py), never the real one: seeding, sessions and
    authenticator codes all read it."""
    import time_machine

    from tests.clock import SERVER_CLOCK_ENV, shared_clock_now

    value = os.environ.get(SERVER_CLOCK_ENV)
    if not value:
        raise SystemExit(f"{SERVER_CLOCK_ENV} is not set: the browser tests' server runs on the tests' clock")
    time_machine.travel(shared_clock_now(value), tick=True).start()


def main(argv: list[str] | None = None) -> None:
    """Build, migrate, seed and serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--world", choices=sorted(WORLDS), default="shared", help="what to seed")
    args = parser.parse_args(argv)
    _start_clock()

    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from diversion.logs import JsonFormatter
    from tests.conftest import build_app, dispose_app, make_environ

    # Testing apps log through the root logger; send it to stderr, which the fixture keeps for a failed start.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])

    environ = make_environ(
        os.environ["DATABASE_URL"],
        os.environ["DIVERSION_KEYSTORE_URL"],
        os.environ["DIVERSION_MASTER_KEYS"],
        args.instance,
    )
    app = build_app(environ)
    with app.test_request_context():
        upgrade()
        WORLDS[args.world](args.instance)
    # The first page compiles the templates and the GOV.UK macros, which takes seconds on a busy machine: better
    # before the health check answers than in the middle of five sign-ins at once.
    app.test_client().get("/sign-in")
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        dispose_app(app)


if __name__ == "__main__":
    main()
