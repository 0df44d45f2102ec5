"""The programme a case follows: how many appointments, what each must produce, the deadline rule and the at-risk
threshold. Completion is computed from it, never typed in.

Each scheme has its own programme, kept in the database as numbered versions (diversion/organisations/models.py);
a case follows the version it started under, whatever the scheme changes later (docs/organisations.md). The first
edition's programme is the default: appointment 1 produces the needs assessment, appointment 2 the Care Action
Plan, both before the return date. An Engagement and Support Order has three appointments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diversion.referrals.models import Referral

PRODUCTS = {"assessment": "Needs assessment", "care_plan": "Care Action Plan", None: "Attendance"}
DEADLINE_RULES = {"before_return_date"}

DEFAULT_PROGRAMME: dict[str, Any] = {
    "name": "Court diversion",
    "steps": [
        {"number": 1, "produces": "assessment"},
        {"number": 2, "produces": "care_plan"},
    ],
    "deadline": "before_return_date",
    "at_risk_working_days": 5,
}


@dataclass(frozen=True)
class Step:
    """One required appointment and what it must produce (or None: attendance alone)."""

    number: int
    produces: str | None

    @property
    def label(self) -> str:
        """What the step is called on screen."""
        return f"Appointment {self.number}: {PRODUCTS[self.produces].lower()}"


@dataclass(frozen=True)
class Programme:
    """The configured programme."""

    name: str
    steps: tuple[Step, ...]
    deadline: str
    at_risk_working_days: int

    @property
    def required_appointments(self) -> int:
        """How many appointments a case needs."""
        return len(self.steps)

    def step(self, number: int) -> Step | None:
        """The step for an appointment number, or None when the programme has no such step."""
        return next((step for step in self.steps if step.number == number), None)

    def step_producing(self, product: str) -> Step | None:
        """The step whose appointment produces ``product`` ("assessment" or "care_plan"), or None."""
        return next((step for step in self.steps if step.produces == product), None)


def parse_programme(settings: dict[str, Any]) -> Programme:
    """Validate programme settings; ValueError says what is wrong."""
    steps = tuple(Step(int(item["number"]), item.get("produces")) for item in settings["steps"])
    # No steps would leave nothing to complete a case with.
    if not steps or [step.number for step in steps] != list(range(1, len(steps) + 1)):
        raise ValueError("Programme steps must be numbered 1, 2, 3... in order, and there must be at least one.")
    for step in steps:
        if step.produces not in PRODUCTS:
            raise ValueError(
                f"Step {step.number} produces {step.produces!r}; choose from {sorted(map(str, PRODUCTS))}."
            )
    if settings["deadline"] not in DEADLINE_RULES:
        raise ValueError(f"Unknown deadline rule {settings['deadline']!r}.")
    return Programme(settings["name"], steps, settings["deadline"], int(settings["at_risk_working_days"]))


def programme_with_appointments(name: str, appointments: int) -> dict[str, Any]:
    """Settings for a programme of ``appointments`` appointments: the first produces the needs assessment, the last
    the Care Action Plan, any between them attendance (an Engagement and Support Order has three)."""
    steps: list[dict[str, Any]] = [{"number": number, "produces": None} for number in range(1, appointments + 1)]
    steps[0]["produces"] = "assessment"
    if appointments > 1:
        steps[-1]["produces"] = "care_plan"
    return {**DEFAULT_PROGRAMME, "name": name, "steps": steps}


@lru_cache(maxsize=256)
def _parsed(settings_json: str) -> Programme:
    # A version is never edited, so its text parses to the same programme every time.
    return parse_programme(json.loads(settings_json))


def programme_for(referral: Referral) -> Programme:
    """The programme a case follows: the version it started under."""
    return _parsed(referral.programme_version.settings_json)


def scheme_programme(scheme_id: int) -> Programme:
    """A scheme's current programme, for a case not yet taken."""
    from sqlalchemy import select

    from diversion.extensions import db
    from diversion.organisations.models import ProgrammeVersion

    settings_json = db.session.scalar(
        select(ProgrammeVersion.settings_json)
        .where(ProgrammeVersion.scheme_id == scheme_id)
        .order_by(ProgrammeVersion.number.desc())
        .limit(1)
    )
    if settings_json is None:
        raise LookupError(f"scheme {scheme_id} has no programme")
    return _parsed(settings_json)
