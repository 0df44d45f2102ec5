"""Equality monitoring: her ethnic group, recorded only with her consent to equality monitoring, as a plain code on
the client (docs/design.md section 4) so that the funder return can count it without reading anything about her."""

from __future__ import annotations

from flask_babel import gettext as _

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.db import transaction
from diversion.errors import InvalidTransition, ValidationFailed
from diversion.referrals.consent import current_consents
from diversion.referrals.models import ConsentPurpose, Referral
from diversion.reports.services import N_

# The high-level ethnic groups of the 2021 Census in England and Wales, and a choice not to say.
# English for the exports (the funder return's files); pages show them through ``ethnic_group_label``.
ETHNIC_GROUPS = {
    "asian": N_("Asian, Asian British or Asian Welsh"),
    "black": N_("Black, Black British, Black Welsh, Caribbean or African"),
    "mixed": N_("Mixed or Multiple ethnic groups"),
    "white": N_("White"),
    "other": N_("Another ethnic group"),
    "not_stated": N_("Prefers not to say"),
}


def ethnic_group_label(code: str) -> str:
    """An ethnic group's name in the language of the page (the code itself when unknown)."""
    return _(ETHNIC_GROUPS[code]) if code in ETHNIC_GROUPS else code


def has_equality_consent(referral: Referral) -> bool:
    """True while her consent to equality monitoring on this case stands."""
    line = current_consents(referral)[ConsentPurpose.EQUALITY_MONITORING]
    return line is not None and line.is_current


def record_ethnicity(referral: Referral, code: str | None, actor: User) -> None:
    """Record her ethnic group as she describes it; refused without her consent to equality monitoring."""
    if not has_equality_consent(referral):
        raise InvalidTransition(_("Record her consent to equality monitoring first"))
    if code not in ETHNIC_GROUPS:
        raise ValidationFailed.on("ethnicity", _("Select her ethnic group, or that she prefers not to say"))
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
