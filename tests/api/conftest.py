"""API test helpers: a client that sends a role's bearer token, and a set of users, one per role."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from diversion.auth.models import User
from diversion.auth.tokens import create_api_token
from diversion.courts.models import Court
from diversion.extensions import db
from tests.factories import create_court, create_user

PREFIX = "/api/v1"
ROLES = ("worker", "manager", "court", "cps", "admin")


class Api:
    """Requests to /api/v1 with a bearer token (or none)."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def request(self, method: str, path: str, body: Any = None, *, raw: str | bytes | None = None, **kwargs: Any):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.client.open(
            PREFIX + path,
            method=method,
            data=data,
            headers=self.headers(kwargs.pop("headers", None)),
            content_type="application/json" if data is not None else None,
            **kwargs,
        )

    def get(self, path: str, **kwargs: Any):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any):
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any):
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any):
        return self.request("PATCH", path, body, **kwargs)


class Team:
    """Two courts and, made when first asked for, one user of each role with a token; the court user belongs to
    ``court``."""

    def __init__(self) -> None:
        self.court = create_court()
        self._other_court: Court | None = None
        self._users: dict[str, User] = {}
        self._tokens: dict[str, str] = {}

    @property
    def other_court(self) -> Court:
        if self._other_court is None:
            self._other_court = create_court()
        return self._other_court

    def user(self, role: str) -> User:
        if role not in self._users:
            self._users[role] = create_user(role=role, court=self.court if role == "court" else None)
        return self._users[role]

    @property
    def worker(self) -> User:
        return self.user("worker")

    def token(self, role: str) -> str:
        if role not in self._tokens:
            self._tokens[role] = create_api_token(self.user(role))
        return self._tokens[role]

    def api(self, client: FlaskClient, role: str | None) -> Api:
        return Api(client, self.token(role) if role else None)


@pytest.fixture
def team(app_ctx) -> Team:
    return Team()


@pytest.fixture
def as_role(client, team) -> Callable[[str | None], Api]:
    """as_role("worker") is an Api with the worker's token; as_role(None) sends none."""
    return lambda role: team.api(client, role)


def error_of(response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert a JSON error in the docs/api.md shape and return its inner object."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:800])
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) <= {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str)
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


# --- cases in a given state, through the services ---


def case_in(
    state: str, *, court: Court, worker: User, appointment: str | None = None, plan: bool = False, **kwargs: Any
):
    """A case in ``state``; with ``appointment`` ("booked" or "attended") appointment 1 is booked in the past first
    (only for OPTED_IN), and with ``plan`` an unagreed plan is saved (ASSESSED)."""
    from datetime import timedelta

    from diversion.appointments.services import BookingInput, book_appointment, record_outcome
    from diversion.db import utcnow
    from tests.factories import create_referral, save_agreed_plan

    referral = create_referral(state=state, court=court, worker=worker, **kwargs)
    if appointment:
        booked = book_appointment(
            referral, BookingInput(number=1, starts_at=utcnow() - timedelta(days=2), override_reason="test"), worker
        )
        if appointment == "attended":
            record_outcome(booked, "attended", worker)
        referral.test_appointment_id = booked.id
    if plan:
        save_agreed_plan(referral, worker, agreed=False)
    return referral
