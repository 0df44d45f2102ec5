"""Words for codes on case pages: states, consent purposes, URNs and timeline events."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion.appointments.models import OUTCOME_LABELS, Outcome
from diversion.referrals.intake import OFFENCES
from diversion.referrals.models import CONSENT_LABELS, STATE_LABELS, ConsentPurpose, State, in_a_sentence
from diversion.referrals.urns import format_urn

EVENT_TITLES = {
    "referral.created": _l("Referral received"),
    "referral.assigned": _l("Support worker assigned"),
    "referral.return_date_changed": _l("Return date changed"),
    "assessment.saved": _l("Needs assessment saved"),
    "care_plan.saved": _l("Care Action Plan saved"),
    "care_plan.agreed": _l("Care Action Plan agreed"),
    "notice.created": _l("Outcome notice made"),
    # A manager put right a decline or withdrawal (docs/reversals.md).
    "decision.reversed": _l("Decision reversed by a manager"),
    "notice.superseded": _l("Outcome notice withdrawn: sent in error"),
    # A support worker opened a colleague's case with a reason (docs/organisations.md, "Need to know").
    "case.break_glass": _l("Opened with a reason by a support worker not assigned to the case"),
    # What was done about a National Referral Mechanism referral (docs/modern-slavery.md).
    "nrm.recorded": _l("National Referral Mechanism outcome recorded"),
}


def state_label(state: str) -> str:
    """A state code in words."""
    try:
        return str(STATE_LABELS[State(state)])
    except ValueError:
        return state


def consent_label(purpose: str) -> str:
    """A consent purpose in words."""
    try:
        return str(CONSENT_LABELS[ConsentPurpose(purpose)])
    except ValueError:
        return purpose


def outcome_label(outcome: str) -> str:
    """An appointment outcome in words."""
    try:
        return str(OUTCOME_LABELS[Outcome(outcome)])
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
        state = state_label(details.get("to", "")).lower()
        if details.get("reason") == "decision_reversed":
            return _("Status changed to %(state)s (decision reversed)", state=state)
        return _("Status changed to %(state)s", state=state)
    if action == "notice.created" and details.get("corrects"):
        return _("Correction of the outcome notice made")
    if action == "referral.created" and details.get("past_case"):
        # A manager recorded the case after its return date (docs/court-dates.md).
        return _("Referral received: recorded as a past case")
    if action == "consent.recorded":
        purpose = in_a_sentence(consent_label(details.get("purpose", "")))
        if details.get("given"):
            return _("Consent agreed: %(purpose)s", purpose=purpose)
        if details.get("withdrawal"):
            return _("Consent withdrawn: %(purpose)s", purpose=purpose)
        return _("Consent not agreed: %(purpose)s", purpose=purpose)
    if action in ("appointment.booked", "appointment.rebooked"):
        number = details.get("number", "")
        if action.endswith("rebooked"):
            return _("Appointment %(number)s rebooked", number=number)
        return _("Appointment %(number)s booked", number=number)
    if action in ("appointment.outcome_recorded", "appointment.outcome_corrected"):
        try:
            outcome = str(OUTCOME_LABELS[Outcome(details.get("outcome", ""))]).lower()
        except ValueError:
            outcome = _("recorded")
        return _("Appointment %(number)s: %(outcome)s", number=details.get("number", ""), outcome=outcome)
    title = EVENT_TITLES.get(action)
    return str(title) if title is not None else action.replace("_", " ").replace(".", ": ").capitalize()


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
