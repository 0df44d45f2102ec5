"""Nothing crosses between organisations (docs/organisations.md, "The wall is in the query").

Two organisations, each with a scheme, a court only that scheme serves, a user of every role, a venue, and two cases
whose every encrypted field holds a marker (tests/crypto_app/records.py): one completed, with its outcome notice,
consents, appointment, assessment, plan, document, review, messages, draft and remembered answer; one open, at risk,
flagged as possibly someone referred before, with an appointment today whose outcome is not recorded. The second
organisation's names (its own, its scheme's, its court's, its venue's, its people's) are markers too.

The matrix: for every role of the first organisation (and the platform operator), every endpoint of the app, by
every method, with the second organisation's real ids in every URL argument, and the list pages and searches asked
for the second organisation's days, states, names, date of birth and URN. No answer may carry a marker of the
second organisation, no request may write a ``case.viewed`` event of its cases, and an address with its ids must
answer 404 (or 403), never with its record. Then every GET page again with the first organisation's own ids, since a
page of one's own case can still offer another's people or places. And the same, cheaply, the other way round.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, true
from werkzeug.routing import Rule

from diversion import scoping
from diversion.appointments.models import Appointment
from diversion.audit.models import AuditEvent
from diversion.auth.models import ApiToken, Role, User
from diversion.contacts.models import Contact
from diversion.dates import today
from diversion.db import transaction, utcnow
from diversion.extensions import db
from diversion.permissions import RULES
from diversion.referrals.caseload import at_risk_cutoff
from diversion.referrals.models import Consent, Referral
from diversion.referrals.urns import check_urn, format_urn, urn_index_value
from diversion.referrals.wording import scheme_wordings
from diversion.venues.services import save_venue
from diversion.webhooks.models import WebhookSubscription
from tests import pages
from tests.crypto_app.records import Canaries, CaseRecords, canary
from tests.factories import (
    MAIN_ORGANISATION,
    create_court,
    create_organisation,
    create_scheme,
    create_user,
    csrf_token,
    date_fields,
    main_scheme,
    new_urn,
)
from tests.test_permissions import build_urls, role_rule_endpoints
from tests.walk import case_ids, headers_for, marker_texts, planted_case, shown, signed_in

STAFF_ROLES = ("worker", "manager", "court", "cps", "admin")
ROLES = (*STAFF_ROLES, "operator")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# Requests the walk does not make: signing out would end the walk's own session.
NOT_WALKED = {("POST", "auth.logout")}
# Endpoints that answer alike for any id, their own or not, and act only on the caller's own record: revoking an API
# token redirects to the account page whatever the id, and revokes only a token of the caller's (checked below).
SAME_FOR_ANY_ID = {"auth.revoke_token": {302}}
# A refusal of an address with another organisation's id: as if it did not exist (or not for this role).
REFUSED = {403, 404}
# The URL arguments that name a case or a record of one.
CASE_ARGUMENTS = {
    "referral_id",
    "client_id",
    "appointment_id",
    "notice_id",
    "review_id",
    "notification_id",
    "document_id",
    "target",
    "alert_id",
}
# The platform operator creates organisations and their first administrators: their names and the organisation's
# own pages may be hers to see, its cases never (docs/organisations.md).
NAMES_SEEN_BY = {"operator"}


@dataclass
class Org:
    """One organisation's world: its scheme, court, people, venue and two cases, and every marker in them."""

    organisation: Any
    scheme: Any
    court: Any
    users: dict[str, User]
    venue: Any
    closed: CaseRecords
    open: CaseRecords
    markers: Canaries
    names: list[str]
    token_id: uuid.UUID
    subscription_id: uuid.UUID
    # Her worker's alert on the open case (docs/alerts.md).
    alert_id: uuid.UUID | None = None

    @property
    def texts(self) -> list[str]:
        """Every marker: her cases' and the organisation's names."""
        return [*self.case_texts, *self.names]

    @property
    def case_texts(self) -> list[str]:
        """The markers of her cases alone."""
        return marker_texts(self.markers)

    @property
    def case_ids(self) -> list[uuid.UUID]:
        return [self.closed.referral_id, self.open.referral_id]

    def ids(self, case: CaseRecords) -> dict[str, Any]:
        """Every URL argument this organisation's records can fill, the case's for the case's. A route with an id
        of a kind not here is asked with an unknown id: give the world one of the kind."""
        return {
            **case_ids(case),
            "user_id": self.users["worker"].id,
            "court_id": self.court.id,
            "venue_id": self.venue.id,
            "subscription_id": self.subscription_id,
            "token_id": self.token_id,
            "scheme_id": self.scheme.id,
            "organisation_id": self.scheme.organisation_id,
            "alert_id": self.alert_id,
        }

    def draft_targets(self, case: CaseRecords) -> dict[str, Any]:
        """What each kind of draft is kept against (diversion/drafts/kinds.py)."""
        return {
            "assessment": case.referral_id,
            "plan": case.referral_id,
            "new-review": case.referral_id,
            "review": case.ids["Review"],
            "outcome": case.ids["Appointment"],
        }


def _marker(names: list[str]) -> str:
    text = canary()
    names.append(text)
    return text


def build_org(organisation: Any = None, names: list[str] | None = None) -> Org:
    """An organisation's world (the main organisation and its scheme when ``organisation`` is None): every name in
    it is a marker (added to ``names``, with any already there), and so is every encrypted field of its two cases."""
    markers = Canaries()
    names = names if names is not None else []
    if organisation is None:
        scheme = main_scheme()
    else:
        scheme = create_scheme(organisation=organisation)
        with transaction():
            scheme.name = f"Scheme {_marker(names)}"
    # A court's name is not a marker: courts are the country's, shared between organisations (a court may be served
    # by schemes of several), and an administrator choosing the courts her schemes serve is offered every court
    # (docs/organisations.md, "Administration per organisation"). Which organisation serves it is never shown.
    n = len(names)
    court = create_court(name=f"Test Magistrates' Court {n}-{id(names) % 10_000}", schemes=[scheme], cps_covers=False)

    def person(role: str, **kwargs: Any) -> User:
        mark = _marker(names)
        return create_user(
            role=role, display_name=f"Person {mark}", email=f"{role}-{mark.lower()}@example.org", **kwargs
        )

    staff = {"organisation": organisation, "schemes": [scheme]}
    users = {
        "worker": person("worker", **staff),
        "manager": person("manager", **staff),
        "court": person("court", court=court),
        "cps": person("cps", cps_courts=[court]),
        "admin": person("admin", organisation=organisation),
    }
    slug = organisation.slug if organisation is not None else MAIN_ORGANISATION
    venue = save_venue(f"Venue {_marker(names)}", f"Address {_marker(names)}", organisation=slug)
    worker = users["worker"]
    chosen = scheme if organisation is not None else None
    cases = []
    for state in ("COMPLETED", "OPTED_IN"):
        # Each case its own canaries (every model of it filled), all of them the organisation's markers.
        own = Canaries()
        case = planted_case(own, court, worker, scheme=chosen, state=state)
        markers.texts.extend(own.texts)
        # A URN in the police format, so that a search by URN can find it (a canary is not a URN).
        urn = check_urn(new_urn())
        with transaction():
            referral = db.session.get(Referral, case.referral_id)
            referral.urn = urn
            referral.urn_index = urn_index_value(urn)
        markers.texts.append(format_urn(urn))
        cases.append(replace(case, urn=urn, urn_index=referral.urn_index))
    closed, open_ = cases
    with transaction():
        # The open case is on every worklist: at risk, on the court day of its return date, flagged as possibly
        # someone referred before, hers, with an appointment this morning whose outcome is not recorded.
        referral = db.session.get(Referral, open_.referral_id)
        referral.first_hearing_date = today() - timedelta(days=7)
        referral.return_date = at_risk_cutoff()
        referral.possible_previous_referral = True
        referral.assigned_worker_id = worker.id
        for case in (closed, open_):
            appointment = db.session.get(Appointment, case.ids["Appointment"])
            appointment.venue_id = venue.id
            # Her appointments' free text kept in plain columns: markers too.
            for column in ("rebook_reason", "override_reason"):
                setattr(appointment, column, canary())
                markers.record(appointment, column, getattr(appointment, column))
        db.session.get(Appointment, open_.ids["Appointment"]).starts_at = utcnow() - timedelta(minutes=30)
        # Her consents, on the wordings in use: a ledger line for every purpose, given.
        wordings = scheme_wordings(scheme.id)
        for case in (closed, open_):
            for purpose, wording in wordings.items():
                db.session.add(
                    Consent(
                        referral_id=case.referral_id,
                        purpose=purpose.value,
                        is_given=True,
                        wording_id=wording.id,
                        recorded_by_id=worker.id,
                    )
                )
        subscription = WebhookSubscription(
            user_id=users["court"].id,
            url=f"https://{_marker(names).lower()}.example.org/hooks",
            events="referral.state_changed,notice.created,notice.corrected",
        )
        subscription.secret = _marker(names)
        db.session.add(subscription)
        db.session.flush()
    from diversion.auth.tokens import create_api_token

    create_api_token(worker)
    token_id = db.session.scalars(select(ApiToken.id).where(ApiToken.user_id == worker.id)).first()
    from diversion.alerts.services import raise_alert

    with transaction():
        (alert,) = raise_alert(
            db.session.get(Referral, open_.referral_id), "safeguarding_flag", f"safeguarding_flag:{open_.referral_id}"
        )
    return Org(
        organisation, scheme, court, users, venue, closed, open_, markers, names, token_id, subscription.id, alert.id
    )


@dataclass
class World:
    a: Org
    b: Org
    operator: User


@pytest.fixture
def world(app_ctx) -> World:
    a = build_org()
    charity = canary()
    b = build_org(create_organisation(name=f"Charity {charity}"), [charity])
    return World(a, b, create_user(role="operator", display_name="Platform Person"))


# --- the walk ---


@dataclass
class Result:
    """What one role's walk found: the failures (each naming the role, method, endpoint and address) and the
    endpoints walked."""

    failures: list[str] = field(default_factory=list)
    walked: set[tuple[str, str]] = field(default_factory=set)

    def report(self, role: str, method: str, endpoint: str, url: str, problem: str) -> None:
        self.failures.append(f"{role} {method} {url} ({endpoint}): {problem}")


def _urls(app: Flask, rule: Rule, ids: dict[str, Any], drafts: dict[str, Any]) -> list[str]:
    if "target" in rule.arguments:
        # A draft's target is a case, a review or an appointment, by its kind.
        adapter = app.url_map.bind("localhost")
        method = sorted(rule.methods or {"GET"})[0]
        return [
            adapter.build(rule.endpoint, {"kind": kind, "target": target}, method=method)
            for kind, target in drafts.items()
        ]
    return build_urls(app, rule, ids)


def _list_queries(other: Org) -> dict[str, list[str]]:
    """The list pages asked for everything of the other organisation's they could list."""
    # The completed case's return date (tests/crypto_app/records.py), and the open one's.
    days = ["2026-04-27", at_risk_cutoff().isoformat()]
    code = other.court.code
    return {
        "referrals.caseload_page": [
            f"?tab={tab}" for tab in ("mine", "open", "at-risk", "today", "unresolved", "closed")
        ],
        "referrals.court_day": [f"?date={day}" for day in days],
        "referrals.status_list": ["?state=COMPLETED", "?state=OPTED_IN"],
        "notices.inbox": ["?status=new", "?status=acknowledged"],
        "api.referrals": [
            "?state=COMPLETED",
            "?state=OPTED_IN",
            f"?court={code}",
            *[f"?return_date={day}" for day in days],
        ],
        "api.notices": ["?status=new", "?status=acknowledged"],
        "reports.completion": [f"?court={code}"],
        "reports.completion_csv": [f"?court={code}"],
        "api.completion_report": [f"?court={code}"],
        "api.outcomes_report": [f"?court={code}", f"?court={code}&format=csv"],
        "outcomes.dashboard": [f"?court={code}"],
        "outcomes.funder_return": [f"?court={code}"],
        "outcomes.funder_return_csv": [f"?court={code}"],
        "outcomes.funder_return_print": [f"?court={code}"],
    }


def _searches(other: Org) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The searches by POST, for the other organisation's women: (rule, endpoint, url, body)."""
    found = []
    for case in (other.closed, other.open):
        born = case.date_of_birth
        urn = format_urn(case.urn)
        found += [
            (
                "client_records",
                "referrals.caseload_search",
                "/cases/search",
                {"family_name": case.family_name, **date_fields("date_of_birth", born)},
            ),
            ("client_records", "referrals.caseload_search", "/cases/search", {"urn": urn}),
            (
                "referral_status",
                "api.search_referrals",
                "/api/v1/referrals/search",
                {"family_name": case.family_name, "date_of_birth": born.isoformat()},
            ),
            ("referral_status", "api.search_referrals", "/api/v1/referrals/search", {"urn": urn}),
        ]
    return found


def _form(token: str, other: Org) -> dict[str, Any]:
    """What the walk posts to a page: a valid token, and the other organisation's woman as the terms a form that
    reads could look her up by."""
    case = other.closed
    return {
        "csrf_token": token,
        "family_name": case.family_name,
        **date_fields("date_of_birth", case.date_of_birth),
        "urn": case.urn,
        "other_urn": case.urn,
    }


class Walker:
    """Requests as one user, each checked against the other organisation's markers and audit of reads."""

    def __init__(self, app: Flask, user: User, other: Org, result: Result) -> None:
        self.client, self.bearer = signed_in(app, user)
        self.role = Role(user.role).value
        self.other = other
        self.texts = other.case_texts if self.role in NAMES_SEEN_BY else other.texts
        self.result = result
        self.token = csrf_token(self.client, "/account")

    def ask(self, method: str, endpoint: str, url: str, *, refused: bool, body: Any = None) -> None:
        after = db.session.scalar(select(db.func.coalesce(db.func.max(AuditEvent.id), 0)))
        api = url.startswith("/api/")
        kwargs: dict[str, Any] = {"headers": headers_for(url, self.bearer)}
        if method != "GET":
            if api:
                kwargs["json"] = body if body is not None else {}
            else:
                kwargs["data"] = body if body is not None else _form(self.token, self.other)
        response = self.client.open(url, method=method, **kwargs)
        self.result.walked.add((method, endpoint))
        text = response.get_data().decode("utf-8", errors="replace")
        # A form shown again with what was typed into it echoes the terms sent: those are not the other's to leak.
        sent = str(kwargs.get("json") or kwargs.get("data") or "").casefold()
        for marker in (text for text in shown(text, self.texts) if text.casefold() not in sent):
            self.result.report(
                self.role,
                method,
                endpoint,
                url,
                f"answers {response.status_code} with a marker of the other organisation ({marker[:12]}...)",
            )
            break
        read = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.id > after,
                AuditEvent.action == "case.viewed",
                AuditEvent.case_id.in_(self.other.case_ids),
            )
        ).all()
        if read:
            self.result.report(
                self.role, method, endpoint, url, f"records a read of the other organisation's case ({read[0].details})"
            )
        if refused and response.status_code not in SAME_FOR_ANY_ID.get(endpoint, REFUSED):
            self.result.report(
                self.role,
                method,
                endpoint,
                url,
                f"answers {response.status_code} to the other organisation's id, not 404",
            )


def walk(app: Flask, user: User, own: Org, other: Org, *, endpoints: set[str] | None = None) -> Result:
    """Every endpoint ``user`` (of ``own``, or the operator) may call, with ``other``'s ids, lists and searches; then
    every GET page with ``own``'s ids. ``endpoints`` limits the walk (the other way round is walked cheaply)."""
    result = Result()
    walker = Walker(app, user, other, result)
    role = walker.role
    queries = _list_queries(other)

    def wanted(endpoint: str, declared: str) -> bool:
        return Role(role) in RULES[declared] and (endpoints is None or endpoint in endpoints)

    for method in METHODS:
        for rule, declared in role_rule_endpoints(app, method):
            if (method, rule.endpoint) in NOT_WALKED or not wanted(rule.endpoint, declared):
                continue
            # An address with an id of the other organisation's must be refused.
            with_ids = rule.arguments & ({"target"} | set(other.ids(other.closed)))
            refused = bool(with_ids & CASE_ARGUMENTS if role in NAMES_SEEN_BY else with_ids)
            for case in (other.closed, other.open):
                for url in _urls(app, rule, other.ids(case), other.draft_targets(case)):
                    for query in ["", *(queries.get(rule.endpoint, []) if method == "GET" else [])]:
                        walker.ask(method, rule.endpoint, url + query, refused=refused)
                if not with_ids & CASE_ARGUMENTS:
                    break  # a page without a case's ids is the same page for either case
    for declared, endpoint, url, body in _searches(other):
        if wanted(endpoint, declared):
            if not url.startswith("/api/"):
                body = {**body, "csrf_token": walker.token}
            walker.ask("POST", endpoint, url, refused=False, body=body)
    if own is not None:
        # Her own organisation's pages may still offer the other's people, places or records.
        for rule, declared in role_rule_endpoints(app, "GET"):
            if not wanted(rule.endpoint, declared) or not rule.arguments & set(own.ids(own.closed)):
                continue
            for case in (own.closed, own.open):
                for url in _urls(app, rule, own.ids(case), own.draft_targets(case)):
                    walker.ask("GET", rule.endpoint, url, refused=False)
                if not rule.arguments & CASE_ARGUMENTS:
                    break
    return result


def allowed_endpoints(app: Flask, role: str) -> set[tuple[str, str]]:
    """Every (method, endpoint) a role's rules let it call."""
    return {
        (method, rule.endpoint)
        for method in METHODS
        for rule, declared in role_rule_endpoints(app, method)
        if Role(role) in RULES[declared] and (method, rule.endpoint) not in NOT_WALKED
    }


def _user(world: World, role: str) -> User:
    return world.operator if role == "operator" else world.a.users[role]


# --- the matrix ---


@pytest.mark.parametrize("role", ROLES)
def test_nothing_of_another_organisation_reaches_any_role(app, world, role: str) -> None:
    result = walk(app, _user(world, role), world.a, world.b)
    assert not result.failures, f"{len(result.failures)} leaks:\n" + "\n".join(result.failures)
    # It cannot pass by walking nothing: every endpoint the role may call was asked.
    assert result.walked == allowed_endpoints(app, role)
    assert len(result.walked) >= {"worker": 60, "manager": 80, "court": 20, "cps": 20, "admin": 15}.get(role, 5)
    # A token of the other organisation's asked to be revoked is still live.
    assert db.session.get(ApiToken, world.b.token_id).revoked_at is None


def test_the_other_way_round_the_case_pages_and_lists_show_nothing_of_the_first(app, world) -> None:
    pages = {
        "referrals.detail",
        "referrals.status",
        "referrals.caseload_page",
        "referrals.caseload_search",
        "referrals.court_day",
        "referrals.status_list",
        "referrals.possible_matches",
        "notices.inbox",
        "notices.show",
        "api.referral_detail",
        "api.referrals",
        "api.search_referrals",
        "api.notices",
    }
    for role in STAFF_ROLES:
        result = walk(app, world.b.users[role], None, world.a, endpoints=pages)
        assert not result.failures, "\n".join(result.failures)


def test_each_organisation_sees_its_own_markers(app, world) -> None:
    """The markers are there to be seen by those who may: the matrix's silence means something."""
    for org in (world.a, world.b):
        worker, _ = signed_in(app, org.users["worker"])
        for url in (f"/cases/{org.closed.referral_id}", "/cases?tab=closed", "/cases/possible-matches"):
            assert shown(worker.get(url).get_data(as_text=True), org.texts), url
        cps, bearer = signed_in(app, org.users["cps"])
        assert shown(cps.get("/notices?status=acknowledged").get_data(as_text=True), org.texts)
        assert shown(cps.get("/api/v1/referrals?state=COMPLETED", headers=bearer).get_data(as_text=True), org.texts)
        court, _ = signed_in(app, org.users["court"])
        assert shown(court.get(f"/cases/{org.open.referral_id}/status").get_data(as_text=True), org.texts)


def _failed(result: Result) -> set[str]:
    return {line.split(" (", 1)[1].split(")", 1)[0] for line in result.failures}


def test_the_matrix_fails_when_the_scope_lets_everything_through(app, world, monkeypatch) -> None:
    monkeypatch.setattr(scoping, "cases_filter", lambda user, model=Referral: true())
    result = walk(app, _user(world, "worker"), world.a, world.b)
    assert {
        "referrals.caseload_page",
        "referrals.caseload_search",
        "referrals.court_day",
        "referrals.possible_matches",
        "referrals.status",
        "referrals.status_list",
        "api.referrals",
        "api.search_referrals",
    } <= _failed(result), result.failures
    lists = {"referrals.status", "referrals.status_list", "referrals.court_day", "notices.inbox", "api.notices"}
    result = walk(app, _user(world, "cps"), world.a, world.b, endpoints=lists)
    assert _failed(result) == lists, result.failures


def test_the_matrix_fails_when_the_case_loader_lets_everything_through(app, world, monkeypatch) -> None:
    monkeypatch.setattr(scoping, "may_see", lambda user, referral: True)
    pages = {"referrals.detail", "assessments.show", "care_plans.show", "api.referral_detail", "api.get_care_plan"}
    result = walk(app, _user(world, "worker"), world.a, world.b, endpoints=pages)
    assert _failed(result) == pages, result.failures


def test_the_contact_log_is_behind_the_wall(app, world, monkeypatch) -> None:
    """The planted cases each hold a contact whose words are the other organisation's markers (docs/contacts.md):
    its page and API, asked with the other's ids, show none and log nothing; and the walk would see it if they did."""
    log_endpoints = {"contacts.list_for_case", "api.list_contacts", "api.log_contact"}
    b = world.b

    def contacts_of_b() -> int:
        return db.session.scalar(select(db.func.count(Contact.id)).where(Contact.referral_id.in_(b.case_ids)))

    for case in (b.closed, b.open):
        contact = db.session.get(Contact, case.ids["Contact"])
        assert {contact.with_whom, contact.note} <= set(b.case_texts)
    for role in ("worker", "manager"):
        result = walk(app, _user(world, role), world.a, b, endpoints=log_endpoints)
        assert not result.failures, "\n".join(result.failures)
        assert result.walked == {
            ("GET", "contacts.list_for_case"),
            ("POST", "contacts.list_for_case"),
            ("GET", "api.list_contacts"),
            ("POST", "api.log_contact"),
        }
    assert contacts_of_b() == 2
    monkeypatch.setattr(scoping, "may_see", lambda user, referral: True)
    result = walk(app, _user(world, "worker"), world.a, b, endpoints={"contacts.list_for_case", "api.list_contacts"})
    assert _failed(result) == {"contacts.list_for_case", "api.list_contacts"}, result.failures


# --- what a user of one organisation can do with the other's ids ---


def test_a_case_cannot_be_given_to_a_worker_of_another_organisation(client, world) -> None:
    from diversion.errors import ValidationFailed
    from diversion.referrals.assignment import assign_worker

    a, b = world.a, world.b
    referral = db.session.get(Referral, a.open.referral_id)
    with pytest.raises(ValidationFailed):
        assign_worker(referral, b.users["worker"], None, a.users["manager"])
    manager, _ = signed_in(client.application, a.users["manager"])
    page = manager.get(f"/cases/{referral.id}/worker")
    assert str(b.users["worker"].id) not in page.get_data(as_text=True)
    token = csrf_token(manager, f"/cases/{referral.id}/worker")
    refused = manager.post(
        f"/cases/{referral.id}/worker",
        data={"csrf_token": token, "worker": str(b.users["worker"].id), "version": str(referral.version)},
    )
    assert refused.status_code == 200
    db.session.refresh(referral)
    assert referral.assigned_worker_id == a.users["worker"].id


def test_an_appointment_cannot_be_booked_with_another_organisations_venue_or_worker(world) -> None:
    from diversion.appointments.services import BookingInput, book_appointment
    from diversion.errors import ValidationFailed
    from tests.factories import create_referral

    a, b = world.a, world.b
    referral = create_referral(state="OPTED_IN", worker=a.users["worker"], court=a.court)
    starts = utcnow() + timedelta(days=1)
    for data, field_name in (
        (BookingInput(number=1, starts_at=starts, venue_id=b.venue.id, override_reason="test"), "venue_id"),
        (BookingInput(number=1, starts_at=starts, worker_id=b.users["worker"].id, override_reason="test"), "worker_id"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            book_appointment(referral, data, a.users["worker"])
        assert set(refused.value.fields) == {field_name}
    assert db.session.scalar(select(db.func.count()).where(Appointment.referral_id == referral.id)) == 0
    # Her own organisation's venue and worker are taken.
    own = BookingInput(
        number=1, starts_at=starts, venue_id=a.venue.id, worker_id=a.users["manager"].id, override_reason="test"
    )
    assert book_appointment(referral, own, a.users["worker"]).venue_id == a.venue.id


def test_a_record_cannot_be_merged_with_another_organisations_by_urn_or_id(client, world) -> None:
    from diversion.clients.models import Client

    a, b = world.a, world.b
    worker, _ = signed_in(client.application, a.users["worker"])
    path = f"/cases/{a.closed.referral_id}/merge"
    version = str(db.session.get(Referral, a.closed.referral_id).version)
    for other in ({"other_urn": format_urn(b.closed.urn)}, {"other": str(b.closed.client_id)}):
        answer = worker.post(
            path,
            data={
                "csrf_token": csrf_token(worker, path),
                "keep": "this",
                "reason": "The same woman.",
                "version": version,
                **other,
            },
        )
        # Refused (the id is not among the choices; no case of hers has the URN), and nothing of hers shown.
        assert answer.status_code in (200, 422), other
        assert pages.read(answer).error_summary, other
        assert not shown(answer.get_data(as_text=True), b.texts), other
    assert db.session.get(Client, b.closed.client_id).erased_at is None
    assert db.session.get(Referral, b.closed.referral_id).client_id == b.closed.client_id


def test_the_caseload_counts_and_worklist_count_only_her_own_schemes_cases(world) -> None:
    from diversion.referrals.caseload import state_counts
    from diversion.referrals.matches import flagged_count

    # Each organisation has one open case, at risk and flagged: hers is counted, the other's is not.
    for org in (world.a, world.b):
        manager = org.users["manager"]
        assert state_counts(manager) == {"mine": 0, "open": 1, "at-risk": 1}
        assert flagged_count(manager) == 1
        assert state_counts(org.users["worker"])["mine"] == 1


# --- webhooks: a delivery carries only what its owner may see ---


def test_webhook_deliveries_go_only_to_those_who_may_see_the_case(world) -> None:
    from diversion.webhooks import services as webhooks
    from diversion.webhooks.models import Event, WebhookDelivery

    a, b = world.a, world.b
    # A CPS user covering both courts, and one subscription for each court and CPS user.
    both = create_user(role="cps", cps_courts=[a.court, b.court])
    subscriptions = {}
    with transaction():
        for name, user in (
            ("a-court", a.users["court"]),
            ("a-cps", a.users["cps"]),
            ("b-cps", b.users["cps"]),
            ("both", both),
        ):
            subscription = WebhookSubscription(
                user_id=user.id, url=f"https://{name}.example.org/hooks", events="referral.state_changed"
            )
            subscription.secret = "not a real secret"
            db.session.add(subscription)
            db.session.flush()
            subscriptions[subscription.id] = name
    with transaction():
        webhooks.emit(Event.STATE_CHANGED, referral_id=b.open.referral_id, court_id=b.court.id)
    told = {
        subscriptions.get(row.subscription_id, "b-court")
        for row in db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.referral_id == b.open.referral_id))
    }
    assert told == {"b-cps", "both", "b-court"}
    # And what a delivery would carry is read as its owner may see it now: nothing of another court's case.
    row = WebhookDelivery(
        subscription_id=next(iter(subscriptions)), event="referral.state_changed", referral_id=b.open.referral_id
    )
    assert webhooks.payload_data(row, a.users["cps"]) is None
    assert webhooks.payload_data(row, a.users["court"]) is None
    assert webhooks.payload_data(row, both) is not None


# --- the blind index, intake and the URN, per organisation ---


def test_the_name_and_date_of_birth_index_is_keyed_per_organisation(app, app_ctx, monkeypatch) -> None:
    from diversion.clients.services import Identity, create_client, name_dob_index_value
    from tests.factories import MAIN_ORG_ID

    # The full width, so that equal values could only mean the same key (truncated, two keys agree by chance).
    monkeypatch.setitem(app.config, "BLIND_INDEX_NAME_DOB_BITS", 256)
    second, third = create_organisation(), create_organisation()
    born = date(1988, 3, 14)
    values = [name_dob_index_value("Samename", born, org) for org in (MAIN_ORG_ID, second.id, third.id)]
    assert len(set(values)) == 3
    with transaction():
        mine = create_client(Identity("Ann", "Samename", born), MAIN_ORG_ID)
        theirs = create_client(Identity("Ann", "Samename", born), second.id)
    assert (mine.name_dob_index, theirs.name_dob_index) == (values[0], values[1])


@pytest.fixture
def earlier_elsewhere(app_ctx) -> dict[str, Any]:
    """A woman referred to another organisation's scheme, her case still open; and a court and staff of the main
    organisation."""
    from tests.factories import create_referral

    other = create_organisation()
    scheme = create_scheme(organisation=other)
    their_court = create_court(schemes=[scheme])
    their_worker = create_user(role="worker", organisation=other, schemes=[scheme])
    urn = new_urn()
    earlier = create_referral(
        worker=their_worker, court=their_court, family_name="Elsewhere", date_of_birth=date(1990, 5, 17), urn=urn
    )
    court = create_court()
    return {
        "earlier": earlier,
        "urn": urn,
        "court": court,
        "worker": create_user(role="worker"),
        "court_user": create_user(role="court", court=court),
        "their_worker": their_worker,
        "their_court": their_court,
    }


def _intake_body(court: Any, urn: str) -> dict[str, Any]:
    start = today()
    return {
        "court": court.code,
        "urn": urn,
        "offence": "SOA1959_S1",
        "first_hearing_date": start.isoformat(),
        "return_date": (start + timedelta(days=21)).isoformat(),
        "client": {"given_name": "Nina", "family_name": "Elsewhere", "date_of_birth": "1990-05-17"},
    }


@pytest.mark.parametrize("how", ["api", "page", "court"])
def test_intake_is_not_offered_another_organisations_earlier_client(client, earlier_elsewhere, how: str) -> None:
    scene = earlier_elsewhere
    if how == "page":
        # No 'referred before' question: the referral is saved at once, for a new client of her own organisation.
        worker, _ = signed_in(client.application, scene["worker"])
        start = today()
        form = {
            "court": scene["court"].code,
            "urn": new_urn(),
            "offence": "SOA1959_S1",
            **date_fields("first_hearing_date", start),
            **date_fields("return_date", start + timedelta(days=21)),
            "given_name": "Nina",
            "family_name": "Elsewhere",
            **date_fields("date_of_birth", date(1990, 5, 17)),
            "may_text": "unknown",
            "may_voicemail": "unknown",
        }
        pages.post(worker, "/cases/new", form, status=302)
        referral = db.session.scalars(select(Referral).where(Referral.referred_by_id == scene["worker"].id)).one()
    else:
        # No 409 possible_match; a court user's referral is not flagged as someone referred before.
        user = scene["worker" if how == "api" else "court_user"]
        _, bearer = signed_in(client.application, user)
        made = client.post("/api/v1/referrals", json=_intake_body(scene["court"], new_urn()), headers=bearer)
        assert made.status_code == 201, made.get_json()
        referral = db.session.get(Referral, uuid.UUID(made.get_json()["id"]))
    assert referral.possible_previous_referral is False
    assert referral.client_id != scene["earlier"].client_id
    assert referral.client.organisation_id == referral.organisation_id == main_scheme().organisation_id


def test_in_her_own_organisation_she_is_someone_referred_before(client, earlier_elsewhere) -> None:
    # The check the test above relies on not firing does fire where it should.
    scene = earlier_elsewhere
    _, bearer = signed_in(client.application, scene["their_worker"])
    asked = client.post("/api/v1/referrals", json=_intake_body(scene["their_court"], new_urn()), headers=bearer)
    assert asked.status_code == 409
    assert asked.get_json()["error"]["code"] == "possible_match"


def test_the_same_urn_may_be_open_in_both_organisations(client, earlier_elsewhere) -> None:
    scene = earlier_elsewhere
    assert scene["earlier"].is_open
    _, bearer = signed_in(client.application, scene["worker"])
    body = _intake_body(scene["court"], scene["urn"])
    body["client"]["family_name"] = "Someoneelse"
    made = client.post("/api/v1/referrals", json=body, headers=bearer)
    assert made.status_code == 201, made.get_json()
    # And inside one organisation it still may not.
    again = client.post("/api/v1/referrals", json={**body, "urn": scene["urn"]}, headers=bearer)
    assert again.status_code == 409
