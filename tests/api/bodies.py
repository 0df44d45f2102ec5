"""Request bodies for the API tests, with defaults that pass every rule."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Any

from diversion.assessments.models import Domain
from diversion.dates import is_working_day, london_date, today

_numbers = itertools.count(50000)


def new_urn() -> str:
    return f"02/CD/{next(_numbers):05d}/26"


def referral(court_code: str, **overrides: Any) -> dict[str, Any]:
    start = today()
    body: dict[str, Any] = {
        "court": court_code,
        "urn": new_urn(),
        "offence": "SOA1959_S1",
        "first_hearing_date": (start - timedelta(days=7)).isoformat(),
        "return_date": (start + timedelta(days=21)).isoformat(),
        "client": {
            "given_name": "Jo",
            "family_name": f"Apiperson{next(_numbers)}",
            "date_of_birth": "1991-02-03",
            "phone": "07700 100123",
            "email": "jo@example.org",
        },
        "notes": "Met at the first hearing.",
    }
    client = overrides.pop("client", None)
    if isinstance(client, dict):
        body["client"].update(client)
    elif client is not None:
        body["client"] = client
    body.update(overrides)
    return body


def past_booking(number: int, days_ago: int, **overrides: Any) -> dict[str, Any]:
    """A booking at 10:00 UTC some days ago, with an override reason when that day is not a working day."""
    moment = datetime.combine(datetime.now(UTC).date() - timedelta(days=days_ago), time(10, 0), tzinfo=UTC)
    body: dict[str, Any] = {"number": number, "starts_at": moment.isoformat()}
    if not is_working_day(london_date(moment)):
        body["override_reason"] = "Recorded after outreach"
    body.update(overrides)
    return body


def future_booking(number: int, days_ahead: int = 2, **overrides: Any) -> dict[str, Any]:
    moment = datetime.combine(datetime.now(UTC).date() + timedelta(days=days_ahead), time(10, 0), tzinfo=UTC)
    body: dict[str, Any] = {"number": number, "starts_at": moment.isoformat(), "override_reason": "Test booking"}
    body.update(overrides)
    return body


def assessment(need: int = 2, score: int = 5, notes: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "domains": {domain.value: {"need": need, "score": score, "notes": notes} for domain in Domain},
        "risk_notes": None,
        "exploitation_indicators": [],
    }
    body.update(overrides)
    return body


def care_plan(agreed: bool = True, text: str = "Find somewhere safe to live", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "goals": [
            {
                "domain": "accommodation",
                "text": text,
                "actions": [{"text": "See the housing team", "owner": "worker", "due_date": None}],
            }
        ],
        "onward_referrals": [{"service": "housing", "status": "made"}],
        "agreed": agreed,
    }
    body.update(overrides)
    return body
