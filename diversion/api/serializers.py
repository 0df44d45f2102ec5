"""What the API answers, one serializer per audience.

Court and CPS users get the status shape: the case's URN, court, state and dates, her name and date of birth, and
appointment numbers, times and outcomes (built from the column-limited reads in ``referrals.queries``). Her identity
in the status shape is the one ``referrals.queries.identities`` gives the caller: once she withdraws consent to share
with the court and the CPS, they get nulls and ``identity_withheld: true``. Support
staff get the whole record: contact details, notes, consents, assessment and plan. A field that fails to decrypt is
answered as null and named in ``unreadable_fields``; it is never guessed at or shown as ciphertext.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from diversion.appointments.models import Appointment
from diversion.assessments.models import Assessment
from diversion.assessments.services import indicators_of
from diversion.care_plans.models import CarePlan
from diversion.clients.language_needs import language_needs_of
from diversion.crypto.fields import is_unreadable
from diversion.modern_slavery.services import NrmTask, task_for
from diversion.referrals.models import CaseAccessGrant, Consent, ConsentPurpose, ConsentWording, Referral
from diversion.referrals.queries import Identity
from diversion.referrals.urns import format_urn


def day(value: date | None) -> str | None:
    """A date as YYYY-MM-DD."""
    return value.isoformat() if value is not None else None


def moment(value: datetime | None) -> str | None:
    """A time in ISO 8601 with its offset, in UTC."""
    return value.astimezone(UTC).isoformat() if value is not None else None


class Plain:
    """Reads decrypted values for one answer, turning unreadable ones into null and noting their paths."""

    def __init__(self) -> None:
        self.unreadable: list[str] = []

    def __call__(self, value: Any, path: str) -> Any:
        if is_unreadable(value):
            self.unreadable.append(path)
            return None
        return value

    def finish(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add the list of unreadable fields when there are any."""
        if self.unreadable:
            body["unreadable_fields"] = self.unreadable
        return body


def _urn(referral: Referral, plain: Plain) -> str | None:
    urn = plain(referral.urn, "urn")
    return format_urn(urn) if urn else None


def identity_fields(who: Identity, plain: Plain, prefix: str = "") -> dict[str, Any]:
    """Her name and date of birth as the caller may see them; withheld ones are nulls, said so by a flag."""
    if who.withheld:
        return {"given_name": None, "family_name": None, "date_of_birth": None, "identity_withheld": True}
    return {
        "given_name": plain(who.given_name, f"{prefix}given_name"),
        "family_name": plain(who.family_name, f"{prefix}family_name"),
        "date_of_birth": day(plain(who.date_of_birth, f"{prefix}date_of_birth")),
    }


def _client_identity(who: Identity, plain: Plain) -> dict[str, Any]:
    # A withheld identity withholds her client id too: it would tie this case to her other cases.
    return {"id": str(who.client_id) if who.client_id else None, **identity_fields(who, plain, "client.")}


def _case_core(referral: Referral, plain: Plain, who: Identity, view: str = "status") -> dict[str, Any]:
    # ``view`` names the shape (docs/api.md, "Views"), so a client tells a record from a status without guessing.
    return {
        "view": view,
        "id": str(referral.id),
        "urn": _urn(referral, plain),
        "court": referral.court.code,
        "state": referral.state,
        "first_hearing_date": day(referral.first_hearing_date),
        "return_date": day(referral.return_date),
        "client": _client_identity(who, plain),
        "outcome_date": day(referral.outcome_date),
        "version": referral.version,
    }


def status_appointment(appointment: Appointment) -> dict[str, Any]:
    """An appointment as court and CPS see it: number, time, outcome, and which one it replaced."""
    return {
        "id": str(appointment.id),
        "number": appointment.number,
        "starts_at": moment(appointment.starts_at),
        "outcome": appointment.outcome,
        "supersedes": str(appointment.supersedes_id) if appointment.supersedes_id else None,
    }


def staff_appointment(appointment: Appointment, plain: Plain | None = None, path: str = "") -> dict[str, Any]:
    """An appointment as support staff see it."""
    plain = plain or Plain()
    return {
        **status_appointment(appointment),
        "referral_id": str(appointment.referral_id),
        "duration_minutes": appointment.duration_minutes,
        "venue_id": str(appointment.venue_id) if appointment.venue_id else None,
        # The place as text (docs/api.md): the venue's name and address, or her "somewhere else" text.
        "location": plain(appointment.place or None, f"{path}location"),
        "notes": plain(appointment.notes, f"{path}notes"),
    }


def case_list_item(referral: Referral, who: Identity) -> dict[str, Any]:
    """A case in a list, for every role: the status columns only, with her identity as the caller may see it."""
    plain = Plain()
    return plain.finish(_case_core(referral, plain, who))


def case_status(referral: Referral, appointments: list[Appointment], who: Identity) -> dict[str, Any]:
    """A case as court and CPS see it (docs/api.md): no contact details, no notes, her identity as they may see it."""
    plain = Plain()
    body = _case_core(referral, plain, who)
    body["appointments"] = [status_appointment(item) for item in appointments]
    return plain.finish(body)


def case_record(
    referral: Referral, appointments: list[Appointment], consents: dict[ConsentPurpose, Consent | None]
) -> dict[str, Any]:
    """A case as support staff see it: the status fields and her contact details, notes and consents."""
    plain = Plain()
    body = _case_core(referral, plain, Identity.of(referral.client), view="record")
    client = referral.client
    body["client"]["phone"] = plain(client.phone, "client.phone")
    body["client"]["email"] = plain(client.email, "client.email")
    needs = language_needs_of(client).as_api()
    needs["reading_help"] = plain(needs["reading_help"], "client.reading_help")
    body["client"].update(needs)
    body["offence"] = referral.offence_code
    body["notes"] = plain(referral.notes, "notes")
    body["consents"] = {
        purpose.value: (None if line is None else line.is_current) for purpose, line in consents.items()
    }
    body["appointments"] = [
        staff_appointment(item, plain, f"appointments.{position}.") for position, item in enumerate(appointments)
    ]
    body["modern_slavery"] = modern_slavery(task_for(referral), plain, "modern_slavery.")
    return plain.finish(body)


def consent_wording(wording: ConsentWording, scheme: Any) -> dict[str, Any]:
    """One version of a purpose's consent wording in a scheme: plain text, the same for everyone."""
    return {
        "scheme": scheme.slug,
        "purpose": wording.purpose,
        "version": wording.version,
        "text": wording.text,
        "published_at": moment(wording.published_at),
    }


def consent_line(line: Consent, referral: Referral, notice_id: str | None = None) -> dict[str, Any]:
    """A consent ledger line, the state the case is in after it, and the outcome notice it made (a withdrawal)."""
    return {
        "id": line.id,
        "referral_id": str(referral.id),
        "purpose": line.purpose,
        "given": line.is_given,
        "wording_version": line.wording_version,
        "recorded_at": moment(line.recorded_at),
        "state": referral.state,
        "version": referral.version,
        "notice_id": notice_id,
    }


def assessment(record: Assessment) -> dict[str, Any]:
    """The needs assessment, for support staff."""
    plain = Plain()
    indicators = record.exploitation_indicators
    body = {
        "id": str(record.id),
        "referral_id": str(record.referral_id),
        "version": record.version,
        "completed_at": moment(record.completed_at),
        "domains": {
            row.domain: {
                "need": row.need_level,
                "score": row.wellbeing_score,
                "notes": plain(row.notes, f"domains.{row.domain}.notes"),
            }
            for row in record.domains
        },
        "risk_notes": plain(record.risk_notes, "risk_notes"),
        "exploitation_indicators": indicators_of(record),
        "has_safeguarding_flag": record.has_safeguarding_flag,
    }
    if is_unreadable(indicators):
        plain.unreadable.append("exploitation_indicators")
    return plain.finish(body)


def care_plan(plan: CarePlan) -> dict[str, Any]:
    """The Care Action Plan, for support staff."""
    plain = Plain()
    body = {
        "id": str(plan.id),
        "referral_id": str(plan.referral_id),
        "version": plan.version,
        "agreed": plan.is_agreed,
        "agreed_at": moment(plan.agreed_at),
        "goals": [
            {
                "domain": goal.domain,
                "text": plain(goal.text, f"goals.{g}.text"),
                "actions": [
                    {
                        "text": plain(action.text, f"goals.{g}.actions.{a}.text"),
                        "owner": action.owner,
                        "due_date": day(action.due_date),
                        "status": action.status,
                    }
                    for a, action in enumerate(goal.actions)
                ],
            }
            for g, goal in enumerate(plan.goals)
        ],
        "onward_referrals": [{"service": item.service, "status": item.status} for item in plan.onward_referrals],
        "notes": plain(plan.notes, "notes"),
    }
    return plain.finish(body)


def modern_slavery(task: NrmTask, plain: Plain | None = None, path: str = "") -> dict[str, Any]:
    """The National Referral Mechanism task, for support staff (docs/modern-slavery.md): whether it is open, its
    wording, and the outcome recorded."""
    own = plain or Plain()
    decision = task.decision
    body = {
        "indicated": task.indicated,
        "to_consider": task.to_consider,
        "task": task.wording if task.to_consider else None,
        "first_responder": task.first_responder,
        "outcome": decision.outcome if decision is not None else None,
        "date": day(decision.decided_on) if decision is not None else None,
        "note": own(decision.note, f"{path}note") if decision is not None else None,
        "version": decision.version if decision is not None else 0,
    }
    return body if plain is not None else own.finish(body)


def case_access(referral: Referral, grant: CaseAccessGrant | None) -> dict[str, Any]:
    """The answer to a reason given to open a case (docs/organisations.md, "Need to know"): whether she opens it
    through a grant, and until when. Never the reason itself."""
    return {
        "referral_id": str(referral.id),
        "granted": grant is not None,
        "until": moment(grant.expires_at) if grant is not None else None,
    }
