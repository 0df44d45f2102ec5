"""Words for codes on case pages: states, consent purposes, URNs and timeline events."""

from __future__ import annotations

from typing import Any

from diversion.appointments.models import OUTCOME_LABELS, Outcome
from diversion.referrals.intake import OFFENCES
from diversion.referrals.models import CONSENT_LABELS, STATE_LABELS, ConsentPurpose, State, in_a_sentence
from diversion.referrals.urns import format_urn

EVENT_TITLES = {
    "referral.created": "Referral received",
    "referral.assigned": "Support worker assigned",
    "referral.return_date_changed": "Return date changed",
    "assessment.saved": "Needs assessment saved",
    "care_plan.saved": "Care Action Plan saved",
    "care_plan.agreed": "Care Action Plan agreed",
    "notice.created": "Outcome notice made",
    # A manager put right a decline or withdrawal (docs/reversals.md).
    "decision.reversed": "Decision reversed by a manager",
    "notice.superseded": "Outcome notice withdrawn: sent in error",
    # A support worker opened a colleague's case with a reason (docs/organisations.md, "Need to know").
    "case.break_glass": "Opened with a reason by a support worker not assigned to the case",
    # What was done about a National Referral Mechanism referral (docs/modern-slavery.md).
    "nrm.recorded": "National Referral Mechanism outcome recorded",
}


def state_label(state: str) -> str:
    """A state code in words."""
    try:
        return STATE_LABELS[State(state)]
    except ValueError:
        return state


def consent_label(purpose: str) -> str:
    """A consent purpose in words."""
    try:
        return CONSENT_LABELS[ConsentPurpose(purpose)]
    except ValueError:
        return purpose


def outcome_label(outcome: str) -> str:
    """An appointment outcome in words."""
    try:
        return OUTCOME_LABELS[Outcome(outcome)]
    except ValueError:
        return outcome


def urn_text(urn: Any) -> str:
    """A stored (normalised) URN written the police way."""
    return format_urn(str(urn)) if urn else ""


def event_title(event: Any) -> str:
    """One line for a timeline entry, from the audit event's action and its (non-sensitive) details."""
    details = event.details or {}
    action = event.action
    if action == "referral.state_changed":
        reversed_ = " (decision reversed)" if details.get("reason") == "decision_reversed" else ""
        return f"Status changed to {state_label(details.get('to', '')).lower()}{reversed_}"
    if action == "notice.created" and details.get("corrects"):
        return "Correction of the outcome notice made"
    if action == "referral.created" and details.get("past_case"):
        # A manager recorded the case after its return date (docs/court-dates.md).
        return "Referral received: recorded as a past case"
    if action == "consent.recorded":
        decision = "agreed" if details.get("given") else ("withdrawn" if details.get("withdrawal") else "not agreed")
        return f"Consent {decision}: {in_a_sentence(consent_label(details.get('purpose', '')))}"
    if action in ("appointment.booked", "appointment.rebooked"):
        verb = "rebooked" if action.endswith("rebooked") else "booked"
        return f"Appointment {details.get('number', '')} {verb}"
    if action in ("appointment.outcome_recorded", "appointment.outcome_corrected"):
        try:
            outcome = OUTCOME_LABELS[Outcome(details.get("outcome", ""))].lower()
        except ValueError:
            outcome = "recorded"
        return f"Appointment {details.get('number', '')}: {outcome}"
    return EVENT_TITLES.get(action, action.replace("_", " ").replace(".", ": ").capitalize())


def programme_of(referral: Any) -> Any:
    """The programme a case follows (the version it started under): how many appointments, what each produces."""
    from diversion.referrals.programme import programme_for

    return programme_for(referral)


def register(app: Any) -> None:
    """Make the presenters available to templates."""
    app.add_template_filter(state_label, "state_label")
    app.add_template_filter(consent_label, "consent_label")
    app.add_template_filter(urn_text, "urn")
    app.add_template_filter(outcome_label, "outcome_label")
    app.add_template_filter(event_title, "event_title")
    app.add_template_filter(programme_of, "programme")
    app.jinja_env.globals["offences"] = OFFENCES
