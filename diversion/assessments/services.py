"""Recording the needs assessment: all twelve domains, risk notes and exploitation indicators, with an optimistic
lock so that two people saving at once cannot overwrite each other."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from diversion.assessments.models import EXPLOITATION_INDICATORS, Assessment, AssessmentDomain, Domain
from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.crypto.fields import is_unreadable
from diversion.db import claim_version, transaction, utcnow
from diversion.errors import Conflict, InvalidTransition, ValidationFailed
from diversion.extensions import db
from diversion.i18n import N_
from diversion.referrals.models import Referral, State
from diversion.referrals.programme import programme_for
from diversion.referrals.states import NotYet, closed_case, evaluate_progress
from diversion.signals import needs_attention

MAX_NOTES = 2000
# The need level at which a domain is high need: for the safety domain, a risk marked high (docs/alerts.md).
HIGH_NEED = 3
STALE = N_(
    "Someone else saved this assessment while you were working on it. "
    "Your changes are shown below: check them against theirs and save again"
)


def need_missing(domain: Domain) -> str:
    """The error of a domain whose need level is not given, in the reader's language (the form's and the save's)."""
    return _("Select the need level for %(domain)s", domain=str(domain.label).lower())


def score_missing(domain: Domain) -> str:
    """The error of a domain whose wellbeing score is not given, in the reader's language."""
    return _("Give a wellbeing score from 1 to 10 for %(domain)s", domain=str(domain.label).lower())


@dataclass
class DomainInput:
    """One domain as entered: need level 0-3, wellbeing score 1-10, notes."""

    need: Any = None
    score: Any = None
    notes: str | None = None


def assessment_of(referral: Referral) -> Assessment | None:
    """The case's assessment, if one has been saved."""
    return db.session.scalars(select(Assessment).where(Assessment.referral_id == referral.id)).first()


def assessment_is_complete(referral: Referral) -> bool:
    """True once the assessment is recorded for every domain."""
    assessment = assessment_of(referral)
    return assessment is not None and assessment.completed_at is not None


def indicators_of(assessment: Assessment) -> list[str]:
    """The exploitation indicators ticked (decrypted)."""
    raw = assessment.exploitation_indicators
    if not raw or is_unreadable(raw):
        return []
    return [code for code in json.loads(raw) if code in EXPLOITATION_INDICATORS]


def _as_int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if str(number) != str(value).strip() and not isinstance(value, int):
        return None
    return number if low <= number <= high else None


def _assessment_step_number(referral: Referral) -> int | None:
    return next((step.number for step in programme_for(referral).steps if step.produces == "assessment"), None)


def not_yet(referral: Referral) -> NotYet | None:
    """What must happen before the assessment can be saved, or None when it can be: the one rule the form, the
    section's links and ``save_assessment`` share."""
    from diversion.appointments.reads import attended_numbers

    if referral.state_enum is State.REFERRED:
        return NotYet(
            _(
                "Record her consent to support and to sharing first: the assessment is done with her once she has "
                "opted in and attended her first appointment"
            ),
            "consent",
        )
    if referral.state_enum not in (State.OPTED_IN, State.ASSESSED, State.COMPLETED):
        return closed_case(referral, _("the assessment can no longer be recorded or changed"))
    step = _assessment_step_number(referral)
    if step is not None and step not in attended_numbers(referral):
        return NotYet(
            _("Record that she attended appointment %(number)s before the assessment", number=step), "appointments"
        )
    return None


def save_assessment(
    referral: Referral,
    domains: dict[str, DomainInput],
    actor: User,
    *,
    risk_notes: str | None = None,
    indicators: list[str] | None = None,
    version: int | None = None,
) -> Assessment:
    """Save the assessment (all twelve domains); a stale version is refused with 409 and nothing saved."""
    blocked = not_yet(referral)
    if blocked is not None:
        raise InvalidTransition(blocked.reason)
    errors: dict[str, str] = {}
    clean: dict[Domain, tuple[int, int, str | None]] = {}
    for domain in Domain:
        entry = domains.get(domain.value)
        if entry is None:
            errors[f"domains.{domain.value}.need"] = need_missing(domain)
            continue
        need = _as_int(entry.need, 0, 3)
        score = _as_int(entry.score, 1, 10)
        if need is None:
            errors[f"domains.{domain.value}.need"] = need_missing(domain)
        if score is None:
            errors[f"domains.{domain.value}.score"] = score_missing(domain)
        notes = (entry.notes or "").strip() or None
        if notes and len(notes) > MAX_NOTES:
            errors[f"domains.{domain.value}.notes"] = _("Notes must be %(max)s characters or fewer", max=MAX_NOTES)
        if need is not None and score is not None:
            clean[domain] = (need, score, notes)
    unknown = set(domains) - {domain.value for domain in Domain}
    if unknown:
        errors["domains"] = _("Unknown needs domain")
    chosen = list(dict.fromkeys(indicators or []))
    if any(code not in EXPLOITATION_INDICATORS for code in chosen):
        errors["exploitation_indicators"] = _("Unknown exploitation indicator")
    risk = (risk_notes or "").strip() or None
    if risk and len(risk) > MAX_NOTES:
        errors["risk_notes"] = _("Risk notes must be %(max)s characters or fewer", max=MAX_NOTES)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    existing = assessment_of(referral)
    if existing is not None and version != existing.version:
        raise Conflict(_(STALE))
    # What was flagged before this save: an alert is raised when a flag is raised, not each time it is saved again.
    was_flagged = existing is not None and existing.has_safeguarding_flag
    was_high = existing is not None and _safety_need(existing) == HIGH_NEED
    with _stale_on_duplicate(), transaction():
        assessment = existing or Assessment(id=uuid.uuid4(), client_id=referral.client_id, referral_id=referral.id)
        if existing is None:
            db.session.add(assessment)
            db.session.flush()
        else:
            claim_version(assessment, version, _(STALE))
        rows = {row.domain: row for row in assessment.domains}
        for position, domain in enumerate(Domain):
            need, score, notes = clean[domain]
            row = rows.get(domain.value)
            if row is None:
                row = AssessmentDomain(
                    id=uuid.uuid4(),
                    client_id=referral.client_id,
                    assessment_id=assessment.id,
                    domain=domain.value,
                    position=position,
                    need_level=need,
                    wellbeing_score=score,
                )
                assessment.domains.append(row)
            row.need_level, row.wellbeing_score = need, score
            row.notes = notes
        assessment.risk_notes = risk
        assessment.exploitation_indicators = json.dumps(chosen)
        assessment.has_safeguarding_flag = bool(chosen)
        referral.has_safeguarding_flag = bool(chosen)
        if assessment.completed_at is None:
            assessment.completed_at = utcnow()
            assessment.completed_by_id = actor.id
        db.session.flush()
        record_event(
            "assessment.saved",
            object_type="assessment",
            object_id=assessment.id,
            case_id=referral.id,
            details={"version": assessment.version, "safeguarding_flag": bool(chosen)},
            actor=actor,
        )
        _raise_alerts(referral, assessment, actor, flagged=bool(chosen) and not was_flagged, high=not was_high)
        evaluate_progress(referral, actor=actor)
    return assessment


def _safety_need(assessment: Assessment) -> int | None:
    return next((row.need_level for row in assessment.domains if row.domain == Domain.SAFETY.value), None)


def _raise_alerts(referral: Referral, assessment: Assessment, actor: User, *, flagged: bool, high: bool) -> None:
    """Tell her worker (or the managers) at once of a safeguarding flag raised by this save (exploitation indicators
    ticked), and of the safety domain newly marked high need (docs/alerts.md). Each is keyed by the assessment's
    version that raised it, so saving again raises nothing; a flag cleared and raised again is a new event."""
    suffix = f"{assessment.id}:{assessment.version}"
    if flagged:
        needs_attention.send(referral, kind="safeguarding_flag", key=f"safeguarding_flag:{suffix}", actor=actor)
    if high and _safety_need(assessment) == HIGH_NEED:
        needs_attention.send(referral, kind="high_risk", key=f"high_risk:{suffix}", actor=actor)


@contextmanager
def _stale_on_duplicate() -> Iterator[None]:
    """Two first saves at the same moment: the unique case id lets one in, and the other gets 409."""
    try:
        yield
    except IntegrityError:
        raise Conflict(_(STALE)) from None
