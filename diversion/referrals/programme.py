"""The programme a case follows: how many appointments, what each must produce, the deadline rule, the at-risk
threshold, when her reminders go, how long her record is kept after her last case ends, and the consent wordings
she is read. Completion is computed from it, never typed in.

Each scheme has its own programme, kept in the database as numbered versions (diversion/organisations/models.py);
a case follows the version it started under, whatever the scheme changes later (docs/organisations.md). The first
edition's programme is the default: appointment 1 produces the needs assessment, appointment 2 the Care Action
Plan, both before the return date. An Engagement and Support Order has three appointments.

The consent wordings are rows of their own (``ConsentWording``, one register per scheme), never edited because each
consent ledger line points at the words she was read; a version's settings name the wording of each purpose in
force (``consent_wordings``: purpose to the wording's id). A new scheme's first wordings are the first edition's
(diversion/referrals/wording.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion.notifications.lead_times import LeadTime

if TYPE_CHECKING:
    from diversion.referrals.models import Referral

PRODUCTS = {"assessment": _l("Needs assessment"), "care_plan": _l("Care Action Plan"), None: _l("Attendance")}
DEADLINE_RULES = {"before_return_date": _l("Every appointment before her return date at court")}
PURPOSES = ("support", "share_with_court_cps", "reminders", "equality_monitoring")
# The bounds a manager may set (docs/organisations.md, "Programmes").
MAX_STEPS = 10
AT_RISK_DAYS = (1, 30)
RETENTION_YEARS = (1, 25)
MAX_LEAD_TIMES = 5

DEFAULT_PROGRAMME: dict[str, Any] = {
    "name": "Court diversion",
    "steps": [
        {"number": 1, "produces": "assessment"},
        {"number": 2, "produces": "care_plan"},
    ],
    "deadline": "before_return_date",
    "at_risk_working_days": 5,
    # Her reminders go the day before at 10am and two hours before (Europe/London).
    "reminder_lead_times": ["1d@10:00", "2h"],
    # Her identity and support content are kept this many years after her last case reached its final state.
    "retention_years": 6,
}


@dataclass(frozen=True)
class Step:
    """One required appointment and what it must produce (or None: attendance alone)."""

    number: int
    produces: str | None

    @property
    def label(self) -> str:
        """What the step is called on screen."""
        return _(
            "Appointment %(number)s: %(product)s", number=self.number, product=str(PRODUCTS[self.produces]).lower()
        )


@dataclass(frozen=True)
class Programme:
    """One version of a scheme's programme."""

    name: str
    steps: tuple[Step, ...]
    deadline: str
    at_risk_working_days: int
    reminder_lead_times: tuple[str, ...] = tuple(DEFAULT_PROGRAMME["reminder_lead_times"])
    retention_years: int = DEFAULT_PROGRAMME["retention_years"]
    # (purpose, ConsentWording id) for each purpose, in the order of PURPOSES; empty for settings not yet saved as a
    # version (a new scheme's are made when it is added).
    consent_wordings: tuple[tuple[str, int], ...] = ()

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

    def wording_id(self, purpose: str) -> int:
        """The id of the consent wording in force for a purpose (LookupError when the version names none)."""
        for name, wording_id in self.consent_wordings:
            if name == purpose:
                return wording_id
        raise LookupError(f"programme names no wording for {purpose!r}")

    @property
    def lead_times(self) -> tuple[LeadTime, ...]:
        """The reminder lead times, parsed."""
        return tuple(LeadTime.parse(code) for code in self.reminder_lead_times)


def _whole_number(value: Any, what: str, bounds: tuple[int, int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what} must be a whole number from {bounds[0]} to {bounds[1]}.")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{what} must be a whole number from {bounds[0]} to {bounds[1]}.") from None
    if not bounds[0] <= number <= bounds[1]:
        raise ValueError(f"{what} must be a whole number from {bounds[0]} to {bounds[1]}.")
    return number


def _lead_times(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or len(value) > MAX_LEAD_TIMES:
        raise ValueError(f"Reminder lead times must be a list of at most {MAX_LEAD_TIMES}.")
    codes = tuple(LeadTime.parse(str(code)).code for code in value)
    if len(set(codes)) != len(codes):
        raise ValueError("Each reminder lead time may be given once.")
    return codes


def _wordings(value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, dict) or set(value) != set(PURPOSES):
        raise ValueError(f"Consent wordings must name one wording for each of {', '.join(PURPOSES)}.")
    found = []
    for purpose in PURPOSES:
        wording_id = value[purpose]
        if isinstance(wording_id, bool) or not isinstance(wording_id, int) or wording_id < 1:
            raise ValueError(f"The consent wording of {purpose} must be a wording's id.")
        found.append((purpose, wording_id))
    return tuple(found)


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
    if len(steps) > MAX_STEPS:
        raise ValueError(f"A programme has at most {MAX_STEPS} steps.")
    # A case is assessed once step 1 is done, and has one assessment and one plan.
    products = [step.produces for step in steps]
    if products[0] != "assessment" or products.count("assessment") > 1 or products.count("care_plan") > 1:
        raise ValueError(
            "Step 1 must produce the needs assessment, and no other step may; at most one step produces the Care "
            "Action Plan."
        )
    if settings["deadline"] not in DEADLINE_RULES:
        raise ValueError(f"Unknown deadline rule {settings['deadline']!r}.")
    return Programme(
        str(settings["name"]),
        steps,
        settings["deadline"],
        _whole_number(settings["at_risk_working_days"], "At-risk working days", AT_RISK_DAYS),
        _lead_times(settings.get("reminder_lead_times", DEFAULT_PROGRAMME["reminder_lead_times"])),
        _whole_number(
            settings.get("retention_years", DEFAULT_PROGRAMME["retention_years"]), "Retention", RETENTION_YEARS
        ),
        _wordings(settings["consent_wordings"]) if "consent_wordings" in settings else (),
    )


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


def version_programme(settings_json: str) -> Programme:
    """The programme of a version's stored settings."""
    return _parsed(settings_json)


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


def versions_in_use(scheme_ids: list[int] | None = None) -> dict[int, Programme]:
    """Every programme version (of these schemes, or of all), by id, parsed: a case's rules are its version's, so
    a query over many cases asks this once and reads each case's rule from it (the versions are few)."""
    from sqlalchemy import select

    from diversion.extensions import db
    from diversion.organisations.models import ProgrammeVersion

    query = select(ProgrammeVersion.id, ProgrammeVersion.settings_json)
    if scheme_ids is not None:
        query = query.where(ProgrammeVersion.scheme_id.in_(scheme_ids))
    return {row.id: _parsed(row.settings_json) for row in db.session.execute(query)}


def all_lead_times() -> set[str]:
    """Every reminder lead time of any programme version."""
    return {code for programme in versions_in_use().values() for code in programme.reminder_lead_times}
