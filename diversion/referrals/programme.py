"""The programme a case follows, as configuration: how many appointments, what each must produce, the deadline
rule and the at-risk threshold. Completion is computed from it, never typed in.

The default is the diversion scheme: appointment 1 produces the needs assessment, appointment 2 the Care Action
Plan, both before the return date. An Engagement and Support Order has three appointments; set PROGRAMME in the
configuration to change it (tests run such a programme).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

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


def programme() -> Programme:
    """The running app's programme."""
    return parse_programme(current_app.config.get("PROGRAMME") or DEFAULT_PROGRAMME)
