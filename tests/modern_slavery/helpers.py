"""Cases whose needs assessment records signs of exploitation, and an organisation's first responder setting."""

from __future__ import annotations

from typing import Any

from diversion.assessments.services import assessment_of
from diversion.db import transaction
from diversion.extensions import db
from diversion.organisations.models import Organisation
from diversion.referrals.models import State
from tests.factories import MAIN_ORG_ID, create_referral, save_full_assessment

NOTE = "Canary-nrm-note: the first responder was the council's team"


def flagged_case(worker: Any, *, indicators: tuple[str, ...] = ("threats",), **kwargs: Any) -> Any:
    """An assessed case whose assessment, saved again, records ``indicators`` (none: no signs of exploitation)."""
    referral = create_referral(state=State.ASSESSED, worker=worker, **kwargs)
    saved = assessment_of(referral)
    save_full_assessment(referral, worker, indicators=list(indicators), version=saved.version)
    return referral


def set_first_responder(value: bool, organisation_id: int = MAIN_ORG_ID) -> None:
    """Set an organisation's first responder setting directly (its own page is tested apart)."""
    with transaction():
        db.session.get(Organisation, organisation_id).is_first_responder = value
