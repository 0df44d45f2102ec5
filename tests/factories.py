"""Keyword-only factories for test data, with defaults; and sign-in helpers."""

from __future__ import annotations

import itertools
import time
from datetime import date
from typing import Any

import pyotp
from flask.testing import FlaskClient

from diversion.admin import services as admin_services
from diversion.auth import services as auth_services
from diversion.auth import sessions
from diversion.auth.models import User
from diversion.courts.models import Court
from diversion.db import transaction, utcnow
from diversion.extensions import db
from tests import pages

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def date_fields(name: str, day: date) -> dict[str, str]:
    """A date as a form posts it: the field's day, month and year inputs."""
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


# The world every test starts in: the organisation and scheme the migration makes (docs/organisations.md).
MAIN_ORGANISATION = "main"
MAIN_SCHEME = "diversion"
# Its id, as the migration makes it.
MAIN_ORG_ID = 1


def create_organisation(*, slug: str | None = None, name: str | None = None) -> Any:
    """Another organisation (a second charity), with its own blind-index salt."""
    from diversion.organisations.services import add_organisation

    n = next(_counter)
    return add_organisation(slug or f"org-{n}", name or f"Test Charity {n}")


def create_scheme(
    *,
    organisation: Any = None,
    slug: str | None = None,
    appointments: int = 2,
    settings: dict | None = None,
    access: str = "team",
    courts: tuple = (),
) -> Any:
    """A scheme of ``organisation`` (default: the main one), with a programme of ``appointments`` appointments."""
    from diversion.organisations.services import add_scheme, organisation_by_slug
    from diversion.referrals.programme import programme_with_appointments

    n = next(_counter)
    organisation = organisation or organisation_by_slug(MAIN_ORGANISATION)
    name = f"Test Scheme {n}"
    return add_scheme(
        organisation,
        slug or f"scheme-{n}",
        name,
        list(courts),
        settings=settings or programme_with_appointments(name, appointments),
        access=access,
    )


def main_scheme() -> Any:
    """The scheme every test's cases go to unless it says otherwise."""
    from diversion.organisations.services import organisation_by_slug, scheme_by_slug

    return scheme_by_slug(organisation_by_slug(MAIN_ORGANISATION), MAIN_SCHEME)


def create_court(
    *, code: str | None = None, name: str | None = None, schemes: list | None = None, cps_covers: bool = True
) -> Court:
    """A court, served by ``schemes`` (default: the main scheme). The tests' CPS users cover every court made for
    them unless ``cps_covers=False``: CPS coverage is tested where it is the point."""
    from sqlalchemy import select

    n = next(_counter)
    court = admin_services.save_court(
        code or f"C{n:03d}", name or f"Test Magistrates' Court {n}", schemes=schemes or [main_scheme()]
    )
    if cps_covers:
        with transaction():
            for user in db.session.scalars(select(User).where(User.role == "cps")):
                if court not in user.cps_courts:
                    user.cps_courts.append(court)
    return court


def create_user(
    *,
    role: str = "worker",
    email: str | None = None,
    court: Court | None = None,
    password: str = PASSWORD,
    enrolled: bool = True,
    must_change_password: bool = False,
    display_name: str | None = None,
    organisation: Any = None,
    schemes: list | None = None,
    cps_courts: list | None = None,
) -> User:
    """A user; enrolled users have a TOTP secret set (read it back with totp_secret(user)). The default name
    ("Worker Person 3") is not in the email, so a page showing the email instead of the name is caught. Staff join
    ``organisation`` (default: the main one) and workers and managers ``schemes`` (default: the main scheme, or the
    organisation's first); a CPS user covers ``cps_courts`` (default: every court)."""
    from diversion.admin.services import list_courts

    n = next(_counter)
    if role == "court" and court is None:
        court = create_court()
    org_slug = None
    scheme_slugs = None
    if role in ("worker", "manager", "admin"):
        org_slug = organisation.slug if organisation is not None else MAIN_ORGANISATION
    if role in ("worker", "manager"):
        if schemes is not None:
            scheme_slugs = [scheme.slug for scheme in schemes]
        elif organisation is not None:
            scheme_slugs = [organisation.schemes[0].slug]
        else:
            scheme_slugs = [MAIN_SCHEME]
    court_codes = None
    if role == "cps":
        court_codes = [c.code for c in (cps_courts if cps_courts is not None else list_courts())] or None
    user, _ = admin_services.create_user(
        email or f"{role}{n}@example.org",
        role,
        court.code if court else None,
        password,
        display_name=display_name or f"{role.capitalize()} Person {n}",
        organisation=org_slug,
        schemes=scheme_slugs,
        cps_courts=court_codes,
    )
    if enrolled:
        with transaction():
            user.totp_secret = pyotp.random_base32(32)
            user.totp_enrolled_at = utcnow()
    if must_change_password:
        with transaction():
            user.must_change_password = True
    return user


def totp_secret(user: User) -> str:
    secret = auth_services.get_totp_secret(db.session.merge(user))
    assert secret
    return secret


def fresh_code(secret: str, last_step: int | None) -> str:
    """A valid code for a step newer than the last one used (the window allows one step ahead)."""
    totp = pyotp.TOTP(secret)
    step = int(time.time() // 30)
    if last_step is not None and step <= last_step:
        step = last_step + 1
    return totp.generate_otp(step)


def current_wordings() -> dict:
    """The wordings a new case of the main scheme is read, by purpose."""
    from diversion.referrals.wording import scheme_wordings

    return scheme_wordings(main_scheme().id)


def shown_wordings(referral: Any = None) -> str:
    """The consent form's hidden ``wordings`` field as the page fills it: the ids of the case's wordings (by
    default those a new case of the main scheme is read)."""
    from diversion.referrals.models import ConsentPurpose
    from diversion.referrals.wording import case_wordings

    current = current_wordings() if referral is None else case_wordings(referral)
    return ",".join(str(current[purpose].id) for purpose in ConsentPurpose)


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token from a page's form, the page checked as every page test's is (tests/pages.py), whatever its
    status (a refusal's page may still carry a form)."""
    return pages.read(client.get(path)).csrf_token


def shown_totp_secret(page: pages.Page) -> str:
    """The authenticator's secret as the set-up page shows it to be typed in by hand, its spaces taken out."""
    secret = page.text_of("#totp-secret").replace(" ", "")
    assert secret, "no secret on the page"
    assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), "not a base32 secret"
    return secret


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> Any:
    """The real journey: password, then a fresh TOTP code. Returns the last response."""
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", data={"email": user.email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    user = db.session.get(User, user.id)
    db.session.refresh(user)
    code = fresh_code(totp_secret(user), user.totp_last_step)
    token = csrf_token(client, "/sign-in/security-code")
    return client.post("/sign-in/security-code", data={"code": code, "csrf_token": token})


def log_in_as(client: FlaskClient, user: User) -> FlaskClient:
    """A signed-in session without the sign-in journey, for tests about other things."""
    with transaction():
        token = sessions.start_session(db.session.merge(user))
    with client.session_transaction() as flask_session:
        flask_session["sid"] = token
        flask_session["_user_id"] = str(user.id)
        flask_session["_fresh"] = True
    return client


# --- cases ---

_urn_counter = itertools.count(10000)


def new_urn() -> str:
    """A URN in the police shape, unique within the run."""
    return f"01/AB/{next(_urn_counter):05d}/26"


def referral_input(
    *,
    court=None,
    urn: str | None = None,
    given_name: str = "Alex",
    family_name: str | None = None,
    date_of_birth=None,
    first_hearing_date=None,
    return_date=None,
    phone: str | None = "07700 100123",
    notes: str | None = "Referred at the first hearing.",
    link_client_id=None,
    past_case: bool = False,
    override_reason: str | None = "test",
    new_person: bool = False,
):
    """Intake data for a referral, with defaults that pass every rule: a return date on a weekend or bank holiday
    is kept with a reason (pass override_reason=None to see the warning), as ``book`` does for appointments."""
    from datetime import date, timedelta

    from diversion.dates import today
    from diversion.referrals.intake import ReferralInput

    court = court or create_court()
    start = today()
    return ReferralInput(
        court_code=court.code,
        urn=urn or new_urn(),
        offence="SOA1959_S1",
        first_hearing_date=first_hearing_date or start - timedelta(days=7),
        return_date=return_date or start + timedelta(days=21),
        given_name=given_name,
        family_name=family_name or f"Testperson{next(_counter)}",
        date_of_birth=date_of_birth or date(1990, 5, 17),
        phone=phone,
        notes=notes,
        link_client_id=link_client_id,
        past_case=past_case,
        override_reason=override_reason,
        new_person=new_person,
    )


PAST_CASE_RECORDER = "past-cases@example.org"


def _past_case_recorder() -> User:
    """The manager who records the tests' past cases: one account, made when first needed, so that a test's own
    managers (and the browser suite's) act only as the test says."""
    from diversion.auth.services import find_user_by_email

    return find_user_by_email(PAST_CASE_RECORDER) or create_user(
        role="manager", email=PAST_CASE_RECORDER, display_name="Pat Archer"
    )


def take_referral(data, worker: User):
    """The referral through the service, made by ``worker``. A case whose return date is today or has passed (to
    test the sweep, say) is recorded as a manager records a past case, and then given to the support worker, as the
    manager would (docs/court-dates.md)."""
    from diversion.auth.models import Role
    from diversion.dates import today
    from diversion.referrals import intake
    from diversion.referrals.assignment import assign_worker

    if data.past_case or data.return_date is None or data.return_date > today():
        return intake.create_referral(data, worker)
    data.past_case = True
    if worker.role == Role.MANAGER:
        return intake.create_referral(data, worker)
    manager = _past_case_recorder()
    referral = intake.create_referral(data, manager)
    if worker.role == Role.WORKER:
        assign_worker(referral, worker, None, manager)
    return referral


def create_referral(*, state: str = "REFERRED", worker: User | None = None, **kwargs):
    """A case in the given state, reached through the services (so every rule and audit event applies)."""
    from datetime import timedelta

    from diversion.appointments.models import Outcome
    from diversion.appointments.services import BookingInput, book_appointment, record_outcome
    from diversion.referrals.consent import record_consent
    from diversion.referrals.models import State
    from diversion.referrals.sweep import sweep_passed_return_dates
    from diversion.referrals.withdrawal import withdraw

    worker = worker or create_user(role="worker")
    referral = take_referral(referral_input(**kwargs), worker)
    if state == State.REFERRED:
        return referral
    if state == State.DECLINED:
        record_consent(referral, "support", False, worker)
        return referral
    record_consent(referral, "support", True, worker)
    record_consent(referral, "share_with_court_cps", True, worker)
    if state == State.OPTED_IN:
        return referral
    if state == State.WITHDRAWN:
        withdraw(referral, "She moved away.", worker)
        return referral
    if state == State.NOT_COMPLETED:
        sweep_passed_return_dates(referral.return_date + timedelta(days=1))
        return referral
    first = book_appointment(
        referral, BookingInput(number=1, starts_at=utcnow() - timedelta(days=3), override_reason="test"), worker
    )
    record_outcome(first, Outcome.ATTENDED, worker)
    save_full_assessment(referral, worker)
    if state == State.ASSESSED:
        return referral
    second = book_appointment(
        referral, BookingInput(number=2, starts_at=utcnow() - timedelta(days=1), override_reason="test"), worker
    )
    record_outcome(second, Outcome.ATTENDED, worker)
    save_agreed_plan(referral, worker)
    assert referral.state == State.COMPLETED, referral.state
    return referral


def all_domains(need: int = 2, score: int = 5, notes: str | None = None) -> dict:
    """Assessment input for all twelve domains."""
    from diversion.assessments.models import Domain
    from diversion.assessments.services import DomainInput

    return {domain.value: DomainInput(need=need, score=score, notes=notes) for domain in Domain}


def save_full_assessment(referral, worker: User, **kwargs):
    """Record a complete assessment."""
    from diversion.assessments.services import save_assessment

    return save_assessment(referral, all_domains(), worker, **kwargs)


def save_agreed_plan(referral, worker: User, agreed: bool = True, **kwargs):
    """Record a one-goal plan, agreed by default."""
    from diversion.care_plans.services import ActionInput, GoalInput, OnwardInput, save_care_plan

    goals = [GoalInput("accommodation", "Find somewhere safe to live", [ActionInput("See the housing team")])]
    return save_care_plan(referral, goals, [OnwardInput("housing", "made")], worker, agreed=agreed, **kwargs)


# --- appointments, audit trail and raw rows, for the case-journey service tests ---


def book(*, referral, worker: User, number: int = 1, starts_at=None, override_reason: str | None = "test", **kwargs):
    """Book an appointment through the service: by default a past time (1: 56 hours ago, 2: 32, 3: 8) with any
    warning overridden; pass override_reason=None to see the warnings."""
    from datetime import timedelta

    from diversion.appointments.services import BookingInput, book_appointment

    if starts_at is None:
        starts_at = utcnow() - timedelta(hours=max(80 - 24 * number, 1))
    data = BookingInput(number=number, starts_at=starts_at, override_reason=override_reason, **kwargs)
    return book_appointment(referral, data, worker)


def attend(*, appointment, worker: User, outcome: str = "attended", notes: str | None = None):
    """Record an appointment's outcome (attended by default) through the service."""
    from diversion.appointments.services import record_outcome

    record_outcome(appointment, outcome, worker, notes)
    return appointment


def audit_events(*, case_id=None, action: str | None = None, after: int = 0) -> list:
    """Audit events, oldest first, optionally of one case, one action, or after an event id."""
    from sqlalchemy import select

    from diversion.audit.models import AuditEvent

    query = select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def last_audit_id() -> int:
    """The id of the newest audit event (0 when there is none)."""
    from sqlalchemy import func, select

    from diversion.audit.models import AuditEvent

    return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


CASE_TABLES = (
    "clients",
    "referrals",
    "consents",
    "return_date_changes",
    "appointments",
    "assessments",
    "assessment_domains",
    "care_plans",
    "care_plan_goals",
    "care_plan_actions",
    "onward_referrals",
    "audit_events",
)


def row_counts(*, tables: tuple[str, ...] = CASE_TABLES) -> dict[str, int]:
    """How many rows each case table holds, to show that a refused request changed nothing."""
    from sqlalchemy import func, select

    return {name: db.session.scalar(select(func.count()).select_from(db.metadata.tables[name])) for name in tables}


def raw_column(*, model, column: str, row_id):
    """A column's stored value read with SQL, past the ORM (for encrypted columns: the ciphertext)."""
    from sqlalchemy import select

    table = model.__table__
    value = db.session.execute(select(table.c[column]).where(table.c.id == row_id)).scalar_one()
    return bytes(value) if isinstance(value, (bytes, memoryview)) else value
