"""Each endpoint's body, read into the services' own input types (docs/api.md field names to service names).

By the time a body gets here, ``json_object()`` has checked it against its operation's schema in the OpenAPI document
(docs/api.md, "Validation"): its types, lengths, enums and required fields; these functions convert it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import request

from diversion.api.parsing import Malformed, Query, Reader
from diversion.appointments.services import DEFAULT_DURATION, BookingInput
from diversion.assessments.models import Domain
from diversion.assessments.services import DomainInput
from diversion.care_plans.services import ActionInput, GoalInput, OnwardInput
from diversion.clients.language_needs import LanguageNeeds
from diversion.referrals import queries
from diversion.referrals.intake import ReferralInput
from diversion.referrals.models import State
from diversion.referrals.urns import check_urn

# Her language, interpreter need and reading help (docs/languages.md).
LANGUAGE_FIELDS = ("language", "interpreter", "reading_help")
INTERPRETER_FIELDS = ("needed", "language")
CLIENT_FIELDS = ("given_name", "family_name", "date_of_birth", "phone", "email", *LANGUAGE_FIELDS)

# Her identity is searched for by POST, never sent in an address (docs/api.md, "Search by POST").
SEARCH_PATH = "POST /api/v1/referrals/search"
IDENTITY_PARAMETERS = ("family_name", "date_of_birth", "urn")


def referral_input(body: dict[str, Any]) -> ReferralInput:
    """POST /referrals."""
    reader = Reader(
        body,
        (
            "court",
            "urn",
            "offence",
            "first_hearing_date",
            "return_date",
            "client",
            "notes",
            "past_case",
            "override_reason",
            "link_to_client",
            "new_person",
            "scheme",
        ),
    )
    court = reader.text("court", required=True)
    urn = reader.text("urn", required=True)
    offence = reader.text("offence", required=True)
    first_hearing = reader.day("first_hearing_date", required=True)
    return_date = reader.day("return_date", required=True)
    notes = reader.text("notes")
    # A manager's choice to record a past case; why a return date on a weekend or bank holiday stands
    # (docs/court-dates.md).
    past_case = reader.boolean("past_case")
    override_reason = reader.text("override_reason")
    # Someone referred before (docs/api.md): the earlier client she is, or her answer that she is someone else.
    link_to_client = reader.identifier("link_to_client")
    new_person = reader.boolean("new_person")
    # The scheme that takes her, where more than one serves the court (docs/organisations.md).
    scheme = reader.text("scheme", max_length=40)
    client = reader.member("client", CLIENT_FIELDS, required=True)
    given_name = family_name = phone = email = None
    date_of_birth = None
    needs = LanguageNeeds()
    if client is not None:
        given_name = client.text("given_name", required=True)
        family_name = client.text("family_name", required=True)
        date_of_birth = client.day("date_of_birth", required=True)
        phone = client.text("phone")
        email = client.text("email")
        needs = language_needs_input(client)
    reader.problems.raise_if_any()
    return ReferralInput(
        court_code=court or "",
        urn=urn or "",
        offence=offence or "",
        first_hearing_date=first_hearing,
        return_date=return_date,
        given_name=given_name or "",
        family_name=family_name or "",
        date_of_birth=date_of_birth,
        phone=phone,
        email=email,
        notes=notes,
        past_case=bool(past_case),
        override_reason=override_reason,
        link_client_id=link_to_client,
        new_person=bool(new_person),
        scheme=scheme,
        language_needs=needs,
    )


def language_needs_input(reader: Reader) -> LanguageNeeds:
    """Her ``language``, ``interpreter`` ({"needed", "language"}) and ``reading_help``, as given (the service checks
    the codes: clients.language_needs.check_language_needs)."""
    interpreter = reader.member("interpreter", INTERPRETER_FIELDS)
    needed = interpreter_language = None
    if interpreter is not None:
        needed = interpreter.boolean("needed", required=True)
        interpreter_language = interpreter.text("language", max_length=8)
    return LanguageNeeds(
        language=reader.text("language", max_length=8),
        interpreter_needed=needed,
        interpreter_language=interpreter_language,
        reading_help=reader.text("reading_help"),
    )


@dataclass
class ConsentInput:
    """POST /referrals/{id}/consent."""

    purpose: str
    given: bool
    wording_version: str | None


def consent_input(body: dict[str, Any]) -> ConsentInput:
    """POST /referrals/{id}/consent."""
    reader = Reader(body, ("purpose", "given", "wording_version"))
    purpose = reader.text("purpose", required=True)
    given = reader.boolean("given", required=True)
    wording = reader.text("wording_version")
    reader.problems.raise_if_any()
    return ConsentInput(purpose or "", bool(given), wording)


@dataclass
class ReturnDateInput:
    """PATCH /referrals/{id}: a re-adjournment."""

    return_date: date | None
    reason: str
    version: int
    override_reason: str | None = None


def return_date_input(body: dict[str, Any]) -> ReturnDateInput:
    """PATCH /referrals/{id}."""
    reader = Reader(body, ("return_date", "reason", "version", "override_reason"))
    return_date = reader.day("return_date", required=True)
    reason = reader.text("reason", required=True)
    version = reader.integer("version", required=True)
    override_reason = reader.text("override_reason")
    reader.problems.raise_if_any()
    return ReturnDateInput(return_date, reason or "", int(version or 0), override_reason)


def withdraw_input(body: dict[str, Any]) -> str:
    """POST /referrals/{id}/withdraw: the reason."""
    reader = Reader(body, ("reason",))
    reason = reader.text("reason", required=True)
    reader.problems.raise_if_any()
    return reason or ""


def access_input(body: dict[str, Any]) -> str:
    """POST /referrals/{id}/access: her reason to open a colleague's case."""
    reader = Reader(body, ("reason",))
    reason = reader.text("reason", required=True)
    reader.problems.raise_if_any()
    return reason or ""


def booking_input(body: dict[str, Any]) -> BookingInput:
    """POST /referrals/{id}/appointments; ``supersedes`` names the appointment a rebooking replaces."""
    reader = Reader(
        body,
        (
            "number",
            "starts_at",
            "duration_minutes",
            "venue_id",
            "location",
            "override_reason",
            "supersedes",
            "rebook_reason",
        ),
    )
    number = reader.integer("number", required=True)
    starts_at = reader.moment("starts_at", required=True)
    duration = reader.integer("duration_minutes")
    venue_id = reader.identifier("venue_id")
    location = reader.text("location")
    override = reader.text("override_reason")
    supersedes = reader.identifier("supersedes")
    rebook_reason = reader.text("rebook_reason")
    reader.problems.raise_if_any()
    return BookingInput(
        number=int(number or 0),
        starts_at=starts_at,
        duration_minutes=DEFAULT_DURATION if duration is None else duration,
        venue_id=venue_id,
        location=location,
        override_reason=override,
        supersedes_id=supersedes,
        rebook_reason=rebook_reason,
    )


@dataclass
class OutcomeInput:
    """POST /appointments/{id}/outcome."""

    outcome: str
    notes: str | None


def outcome_input(body: dict[str, Any]) -> OutcomeInput:
    """POST /appointments/{id}/outcome."""
    reader = Reader(body, ("outcome", "notes"))
    outcome = reader.text("outcome", required=True)
    notes = reader.text("notes")
    reader.problems.raise_if_any()
    return OutcomeInput(outcome or "", notes)


@dataclass
class AssessmentInput:
    """PUT /referrals/{id}/assessment."""

    domains: dict[str, DomainInput]
    risk_notes: str | None
    indicators: list[str]
    version: int | None


def assessment_input(body: dict[str, Any]) -> AssessmentInput:
    """PUT /referrals/{id}/assessment: every domain's need level and score are whole numbers."""
    reader = Reader(body, ("domains", "risk_notes", "exploitation_indicators", "version"))
    domains_reader = reader.member("domains", [domain.value for domain in Domain], required=True)
    domains: dict[str, DomainInput] = {}
    if domains_reader is not None:
        for name in domains_reader.data:
            entry = domains_reader.member(str(name), ("need", "score", "notes"))
            if entry is None:
                continue
            domains[str(name)] = DomainInput(
                need=entry.integer("need", required=True),
                score=entry.integer("score", required=True),
                notes=entry.text("notes"),
            )
    risk_notes = reader.text("risk_notes")
    indicators = reader.texts("exploitation_indicators")
    version = reader.integer("version")
    reader.problems.raise_if_any()
    return AssessmentInput(domains, risk_notes, indicators or [], version)


@dataclass
class CarePlanInput:
    """PUT /referrals/{id}/care-plan."""

    goals: list[GoalInput]
    onward: list[OnwardInput]
    agreed: bool
    notes: str | None
    version: int | None


def care_plan_input(body: dict[str, Any]) -> CarePlanInput:
    """PUT /referrals/{id}/care-plan."""
    reader = Reader(body, ("goals", "onward_referrals", "agreed", "notes", "version"))
    goals = []
    for goal in reader.item_readers("goals", ("domain", "text", "actions"), required=True):
        actions = [
            ActionInput(
                text=action.text("text", required=True) or "",
                owner=action.text("owner", required=True) or "",
                due_date=action.day("due_date"),
                status=action.text("status") or "to_do",
            )
            for action in goal.item_readers("actions", ("text", "owner", "due_date", "status"))
        ]
        goals.append(
            GoalInput(
                domain=goal.text("domain", required=True) or "",
                text=goal.text("text", required=True) or "",
                actions=actions,
            )
        )
    onward = [
        OnwardInput(service=item.text("service", required=True) or "", status=item.text("status", required=True) or "")
        for item in reader.item_readers("onward_referrals", ("service", "status"), required=True)
    ]
    agreed = reader.boolean("agreed", required=True)
    notes = reader.text("notes")
    version = reader.integer("version")
    reader.problems.raise_if_any()
    return CarePlanInput(goals, onward, bool(agreed), notes, version)


STATES = frozenset(state.value for state in State)


def cursor_arg(query: Query) -> queries.Cursor | None:
    """A list's ``cursor`` parameter: the ``next`` of a previous page; anything else is malformed (400)."""
    cursor_text = query.text("cursor", max_length=400)
    after = queries.Cursor.decode(cursor_text) if cursor_text else None
    if cursor_text and after is None:
        query.malformed("cursor", "Not a cursor from this list")
    return after


def refuse_identity_in_query() -> None:
    """A GET of the list naming her identity in its address is refused (400), pointing at the search. Nothing is
    looked up, and the values are not repeated in the answer."""
    named = [name for name in IDENTITY_PARAMETERS if name in request.args]
    if named:
        fields = dict.fromkeys(named, f"Send this in the body of {SEARCH_PATH}, never in an address")
        raise Malformed(
            f"Her identity never goes in an address: search with {SEARCH_PATH} and a JSON body instead", fields
        )


def case_list_query() -> tuple[queries.CaseFilters, queries.Cursor | None, int]:
    """GET /referrals: the filters, the cursor of the page wanted, and the page size."""
    query = Query()
    urn = query.text("urn")
    if urn is not None:
        try:
            urn = check_urn(urn)
        except ValueError:
            query.malformed("urn", "Enter the URN in the police format, like 01/AB/12345/26")
            urn = None
    state = query.text("state")
    if state is not None and state not in STATES:
        query.malformed("state", "Must be one of " + ", ".join(sorted(STATES)))
        state = None
    family_name, date_of_birth = query.text("family_name"), query.day("date_of_birth")
    if (family_name is None) != (date_of_birth is None) and not query.problems.malformed.get("date_of_birth"):
        missing = "family_name" if family_name is None else "date_of_birth"
        query.malformed(missing, "Give family_name and date_of_birth together")
    after = cursor_arg(query)
    filters = queries.CaseFilters(
        urn=urn,
        court_code=query.text("court", max_length=16),
        state=State(state) if state else None,
        return_date=query.day("return_date"),
        family_name=family_name,
        date_of_birth=date_of_birth,
    )
    limit = query.integer("limit", queries.DEFAULT_PAGE_SIZE, 1, queries.MAX_PAGE_SIZE)
    query.done()
    return filters, after, limit


def consent_wordings_query() -> uuid.UUID | None:
    """GET /consent-wordings: the case whose wordings are asked for, if one is named (``referral_id``)."""
    query = Query()
    value = query.text("referral_id", max_length=64)
    referral_id = None
    if value is not None:
        try:
            referral_id = uuid.UUID(value)
        except ValueError:
            query.malformed("referral_id", "Must be a referral's id (a UUID)")
    query.done()
    return referral_id
