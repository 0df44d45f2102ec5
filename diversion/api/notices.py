"""API: outcome notices for the CPS, managers and courts (GET /notices), and the CPS's decision on one.

A notice names the case (URN, court, her name and date of birth) and its outcome, read through the same
column-limited query as the web inbox: nothing of the assessment, the plan, the notes or her contact details is
loaded, let alone answered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, jsonify

from diversion.api import bp
from diversion.api.inputs import cursor_arg
from diversion.api.parsing import Query, Reader, json_object
from diversion.api.serializers import Plain, day, identity_fields, moment
from diversion.notices import services
from diversion.notices.models import OutcomeNotice
from diversion.permissions import current_actor, current_role, requires
from diversion.referrals import queries
from diversion.referrals.urns import format_urn

# A CPS caseworker works the inbox of notices still to act on, so a list without ``status`` is the new ones, as in
# the web inbox.
STATUSES = ("new", "acknowledged")
DEFAULT_STATUS = "new"


@dataclass
class NoticeQuery:
    """GET /notices: which notices, and which page."""

    status: str
    since: date | None
    after: queries.Cursor | None
    limit: int


def notice_query() -> NoticeQuery:
    """The query string of GET /notices; anything unreadable is malformed (400)."""
    query = Query()
    status = query.text("status", max_length=16) or DEFAULT_STATUS
    if status not in STATUSES:
        query.malformed("status", "Must be one of " + ", ".join(STATUSES))
    since = query.day("since")
    after = cursor_arg(query)
    limit = query.integer("limit", queries.DEFAULT_PAGE_SIZE, 1, queries.MAX_PAGE_SIZE)
    query.done()
    return NoticeQuery(status, since, after, limit)


def decision_input(body: dict[str, Any], *, correction: bool = False) -> tuple[str, date | None]:
    """POST /notices/{id}/acknowledge: the decision and its date (the service checks both against its rules). A
    correction asks for no decision (docs/reversals.md): the service refuses one given."""
    reader = Reader(body, ("decision", "decided_on"))
    decision = reader.text("decision", required=not correction, max_length=32)
    decided_on = reader.day("decided_on", required=True)
    reader.problems.raise_if_any()
    return decision or "", decided_on


def notice_body(notice: OutcomeNotice, who: queries.Identity) -> dict[str, Any]:
    """A notice as every role allowed to see it does: the case's status columns, her identity as the caller may see
    it (withheld from court and CPS once she withdraws consent to share with them) and the notice's own fields."""
    plain = Plain()
    referral = notice.referral
    urn = plain(notice.shown_urn, "urn")
    body = {
        "id": str(notice.id),
        "referral_id": str(notice.referral_id),
        "urn": format_urn(urn) if urn else None,
        "court": referral.court.code,
        **(_erased_identity() if notice.subject_erased else identity_fields(who, plain)),
        "outcome": notice.outcome,
        "outcome_date": day(notice.outcome_date),
        "created_at": moment(notice.created_at),
        "acknowledged_at": moment(notice.acknowledged_at),
        "decision": notice.decision,
        "decided_on": day(notice.decided_on),
        # A correction names the notice it corrects (docs/reversals.md).
        "corrects": str(notice.corrects_id) if notice.corrects_id else None,
        "returned_to": notice.returned_to,
        "superseded_at": moment(notice.superseded_at),
        # Her record was erased while the notice waited for the CPS (docs/privacy.md): when, what the notice says,
        # and until when the URN is kept for the CPS (null once it has gone).
        "subject_erased_at": moment(notice.subject_erased_at),
        "erasure_note": notice.erasure_note,
        "kept_until": moment(notice.kept_until),
    }
    return plain.finish(body)


def _erased_identity() -> dict[str, Any]:
    return {"given_name": None, "family_name": None, "date_of_birth": None, "identity_erased": True}


def scoped_notice(notice_id: uuid.UUID) -> OutcomeNotice:
    """A notice of a case the caller may see (diversion/scoping.py), or 404."""
    notice = services.get_notice(notice_id, user=current_actor())
    if notice is None:
        abort(404)
    return notice


@bp.route("/notices", methods=["GET"])
@requires("notices")
def notices() -> Any:
    wanted = notice_query()
    found = services.list_notices(
        wanted.status, user=current_actor(), since=wanted.since, after=wanted.after, limit=wanted.limit
    )
    who = queries.identities((notice.referral for notice in found.notices), current_role())
    body = {
        "items": [notice_body(notice, who[notice.referral_id]) for notice in found.notices],
        "next": found.next.encode() if found.next else None,
    }
    return jsonify(body)


@bp.route("/notices/<uuid:notice_id>/acknowledge", methods=["POST"])
@requires("cps_decisions")
def acknowledge_notice(notice_id: uuid.UUID) -> Any:
    notice = scoped_notice(notice_id)
    decision, decided_on = decision_input(json_object(), correction=notice.is_correction)
    services.acknowledge(notice, decision, decided_on, current_actor())
    # Read again through the status-only query.
    shown = scoped_notice(notice_id)
    return jsonify(notice_body(shown, queries.identity(shown.referral, current_role())))
