"""Equality monitoring: her ethnic group, recorded only with her consent to equality monitoring, as a plain code on
the client (docs/design.md section 4) so that the funder return can count it without reading anything about her."""

from __future__ import annotations

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.db import transaction
from diversion.errors import InvalidTransition, ValidationFailed
from diversion.referrals.consent import current_consents
from diversion.referrals.models import ConsentPurpose, Referral

# The high-level ethnic groups of the 2021 Census in England and Wales, and a choice not to say.
ETHNIC_GROUPS = {
    "asian": "Asian, Asian British or Asian Welsh",
    "black": "Black, Black British, Black Welsh, Caribbean or African",
    "mixed": "Mixed or Multiple ethnic groups",
    "white": "White",
    "other": "Another ethnic group",
    "not_stated": "Prefers not to say",
}


def has_equality_consent(referral: Referral) -> bool:
    """True while her consent to equality monitoring on this case stands."""
    line = current_consents(referral)[ConsentPurpose.EQUALITY_MONITORING]
    return line is not None and line.is_current


def record_ethnicity(referral: Referral, code: str | None, actor: User) -> None:
    """Record her ethnic group as she describes it; refused without her consent to equality monitoring."""
    if not has_equality_consent(referral):
        raise InvalidTransition("Record her consent to equality monitoring first")
    if code not in ETHNIC_GROUPS:
        raise ValidationFailed.on("ethnicity", "Select her ethnic group, or that she prefers not to say")
    with transaction():
        referral.client.ethnicity_code = code
        record_event(
            "client.equality_recorded",
            object_type="client",
            object_id=referral.client_id,
            case_id=referral.id,
            details={"field": "ethnicity_code"},
            actor=actor,
        )
