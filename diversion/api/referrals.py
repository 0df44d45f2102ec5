"""API: referrals (cases): intake, lists, the case, consent, re-adjournment and withdrawal."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, jsonify, url_for
from flask_login import current_user

from diversion.api import bp, inputs, serializers
from diversion.api.parsing import json_object
from diversion.appointments.reads import appointments_of
from diversion.auth.models import Role
from diversion.notices.services import notice_made
from diversion.permissions import (
    allows,
    case_in_scope,
    current_actor,
    current_role,
    load_case,
    requires,
)
from diversion.referrals import consent, intake, need_to_know, queries, readjournment, withdrawal
from diversion.referrals.wording import case_wordings, scheme_wordings


def sees_records() -> bool:
    """True for support staff, who see whole records; court and CPS see status only."""
    return allows(current_user.role, "client_records")


def case_body(referral_id: uuid.UUID) -> dict[str, Any]:
    """The case as the caller may see it, read through the loader or query for their role (each notes its read for
    the audit: the whole record, or the status)."""
    if sees_records():
        referral = load_case(referral_id)
        return serializers.case_record(referral, appointments_of(referral), consent.current_consents(referral))
    status = queries.case_status(referral_id, user=current_actor())
    if status is None:
        abort(404)
    who = queries.identity(status, current_role())
    return serializers.case_status(status, queries.status_appointments(referral_id), who)


def answer_case(referral_id: uuid.UUID, status: int = 200, extra: dict[str, Any] | None = None, **headers: str) -> Any:
    """Answer with the case (and any ``extra`` fields)."""
    return jsonify({**case_body(referral_id), **(extra or {})}), status, headers


def made_notice_id(referral: Any, before: Any) -> str | None:
    """The id of the outcome notice a decision made (None when it made none): answers to decisions that end a case
    carry it with the new state."""
    notice = notice_made(referral, before)
    return str(notice.id) if notice is not None else None


@bp.route("/referrals", methods=["POST"])
@requires("make_referral")
def create_referral() -> Any:
    # A possible match (409) names the earlier referrals, and carries their reads for the audit (PossibleMatch).
    referral = intake.create_referral(inputs.referral_input(json_object()), current_actor())
    location = url_for("api.referral_detail", referral_id=referral.id)
    # A court's answer always says whether the referral was flagged as someone referred before, and nothing else
    # about other referrals (docs/api.md, "Someone referred before").
    extra = (
        {"possible_previous_referral": bool(referral.possible_previous_referral)}
        if current_role() == Role.COURT
        else None
    )
    return answer_case(referral.id, 201, extra=extra, Location=location)


@bp.route("/referrals", methods=["GET"])
@requires("referral_status")
def referrals() -> Any:
    # Her identity is searched for by POST, never sent in an address (docs/api.md, "Search by POST").
    inputs.refuse_identity_in_query()
    filters, after, limit = inputs.case_list_query()
    return case_list(filters, after, limit)


def case_list(filters: queries.CaseFilters, after: queries.Cursor | None, limit: int) -> Any:
    """A page of cases as the caller may see them (court users: their own court's), each noted as read by the list's
    query: the list and the search answer alike."""
    role = current_role()
    user = current_actor()
    page = queries.list_cases(filters, user=user, after=after, limit=limit, partner=queries.is_partner(role))
    # A colleague's case found by a search, in a scheme where she opens her own, is listed without her identity
    # until a reason is given (docs/organisations.md, "Need to know").
    who = queries.identities(page.items, role, withheld=page.withheld)
    body = {
        "items": [serializers.case_list_item(item, who[item.id]) for item in page.items],
        "next": page.next.encode() if page.next else None,
    }
    return jsonify(body)


@bp.route("/referrals/<uuid:referral_id>", methods=["GET"])
@requires("referral_status")
def referral_detail(referral_id: uuid.UUID) -> Any:
    return answer_case(referral_id)


@bp.route("/consent-wordings", methods=["GET"])
@requires("client_records")
def consent_wordings() -> Any:
    """The words each purpose is read in (docs/api.md): for a case named by ``referral_id``, the case's (its
    programme version's); otherwise those a new case of each of the caller's schemes is read. A client shows these
    and sends back their version."""
    referral_id = inputs.consent_wordings_query()
    if referral_id is not None:
        referral = load_case(referral_id)
        groups = [(referral.scheme, case_wordings(referral))]
    else:
        groups = [(scheme, scheme_wordings(scheme.id)) for scheme in sorted(current_actor().schemes, key=_by_name)]
    items = [
        serializers.consent_wording(wording, scheme) for scheme, wordings in groups for wording in wordings.values()
    ]
    return jsonify({"items": items, "next": None})


def _by_name(scheme: Any) -> tuple[str, int]:
    return scheme.name, scheme.id


@bp.route("/referrals/<uuid:referral_id>/consent", methods=["POST"])
@requires("client_records")
def record_consent(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    data = inputs.consent_input(json_object())
    before = referral.state_enum
    line = consent.record_consent(referral, data.purpose, data.given, current_actor(), data.wording_version)
    return jsonify(serializers.consent_line(line, referral, made_notice_id(referral, before))), 201


@bp.route("/referrals/<uuid:referral_id>", methods=["PATCH"])
@requires("client_records")
def change_return_date(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    data = inputs.return_date_input(json_object())
    readjournment.change_return_date(
        referral, data.return_date, data.reason, data.version, current_actor(), override_reason=data.override_reason
    )
    return answer_case(referral_id)


@bp.route("/referrals/<uuid:referral_id>/withdraw", methods=["POST"])
@requires("client_records")
def withdraw(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    before = referral.state_enum
    withdrawal.withdraw(referral, inputs.withdraw_input(json_object()), current_actor())
    return answer_case(referral_id, extra={"notice_id": made_notice_id(referral, before)})


@bp.route("/referrals/<uuid:referral_id>/access", methods=["POST"])
@requires("client_records")
def open_with_reason(referral_id: uuid.UUID) -> Any:
    """A support worker gives her reason to open a colleague's case (docs/organisations.md, "Need to know"): 201
    with the grant's end when one is made; 200 when she needed none, or holds one today, and nothing was recorded."""
    referral = case_in_scope(referral_id)
    opening = need_to_know.open_with_reason(referral, current_actor(), inputs.access_input(json_object()))
    return jsonify(serializers.case_access(referral, opening.grant)), 201 if opening.made else 200
