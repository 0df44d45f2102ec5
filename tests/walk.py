"""Walking the app's endpoints with real ids, as signed-in users: shared by the audit of reads
(tests/audit/test_reads_by_structure.py) and the isolation matrix (tests/test_isolation.py).

A case made by ``tests.crypto_app.records.create_case`` holds a canary in every encrypted field; the walks ask every
route with that case's ids (``case_ids``), list pages as ``LIST_QUERIES`` ask them, and read each answer for the
canaries (``marker_texts``, ``shown``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from diversion.auth.models import Role, User
from diversion.auth.tokens import create_api_token
from diversion.permissions import RULES
from tests.crypto_app.records import Canaries, CaseRecords, create_case
from tests.factories import log_in_as
from tests.test_permissions import build_urls, role_rule_endpoints

# List pages find a case only when asked for the right day, tab, state or status: the same routes, asked so.
LIST_QUERIES = {
    "referrals.caseload_page": ["?tab=closed"],
    "referrals.court_day": ["?date=2026-04-27"],
    "referrals.status_list": ["?state=COMPLETED"],
    "notices.inbox": ["?status=acknowledged"],
    "api.referrals": ["?state=COMPLETED"],
    "api.notices": ["?status=acknowledged"],
}


def signed_in(app: Flask, user: User) -> tuple[FlaskClient, dict[str, str]]:
    """A test client signed in as ``user`` for the pages, and the bearer header for the API."""
    client = log_in_as(app.test_client(), user)
    return client, {"Authorization": f"Bearer {create_api_token(user)}"}


def headers_for(url: str, bearer: dict[str, str]) -> dict[str, str] | None:
    """The API takes bearer tokens only; pages take the session cookie."""
    return bearer if url.startswith("/api/") else None


def marker_texts(canaries: Canaries) -> list[str]:
    """A case's fields as text: the canaries long enough to mean something (dates are shown formatted, so names
    do)."""
    return [text for text in canaries.texts if text.startswith("CANARY")]


def shown(body: str, texts: Iterable[str]) -> list[str]:
    """The texts found in a page or answer, ignoring case (an email address is shown in lower case)."""
    folded = body.casefold()
    return [text for text in texts if text.casefold() in folded]


def case_ids(case: CaseRecords) -> dict[str, Any]:
    """A case's ids by the name of the URL argument each fills."""
    ids = {
        "referral_id": case.referral_id,
        "client_id": case.client_id,
        "appointment_id": case.ids.get("Appointment"),
        "notice_id": case.ids.get("OutcomeNotice"),
        "review_id": case.ids.get("Review"),
        "notification_id": case.ids.get("Notification"),
        "document_id": case.ids.get("Document"),
    }
    return {name: value for name, value in ids.items() if value is not None}


def planted_case(canaries: Canaries, court: Any, worker: User, **kwargs: Any) -> CaseRecords:
    """A case of canaries (``create_case``) as the pages can show it: its assessment's indicators are a list of
    codes the pages read, so they hold an empty list (a canary there is not something a page could show)."""
    from diversion.assessments.models import Assessment
    from diversion.db import transaction
    from diversion.extensions import db

    case = create_case(canaries, court, worker, **kwargs)
    with transaction():
        db.session.get(Assessment, case.ids["Assessment"]).exploitation_indicators = "[]"
    return case


def get_urls(
    app: Flask, ids: dict[str, Any], roles: Iterable[str], list_queries: dict[str, list[str]] = LIST_QUERIES
) -> Iterator[tuple[str, str, str]]:
    """(role, endpoint, url) for every GET route with a role rule, as every role the rule lets in, its ids filled
    from ``ids`` and its list pages also asked as ``list_queries`` say."""
    roles = list(roles)
    for rule, declared in role_rule_endpoints(app, "GET"):
        for role in roles:
            if Role(role) not in RULES[declared]:
                continue
            for url in build_urls(app, rule, ids):
                for query in ["", *list_queries.get(rule.endpoint, [])]:
                    yield role, rule.endpoint, url + query
