"""API: the needs assessment and the Care Action Plan (support staff only: 403 for court, CPS and admin)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, jsonify

from diversion.api import bp, inputs, serializers
from diversion.api.parsing import json_object
from diversion.api.referrals import made_notice_id
from diversion.assessments.services import assessment_of, save_assessment
from diversion.care_plans.services import plan_of, save_care_plan
from diversion.permissions import current_actor, load_case, requires


@bp.route("/referrals/<uuid:referral_id>/assessment", methods=["PUT"])
@requires("client_records")
def put_assessment(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    data = inputs.assessment_input(json_object())
    record = save_assessment(
        referral,
        data.domains,
        current_actor(),
        risk_notes=data.risk_notes,
        indicators=data.indicators,
        version=data.version,
    )
    return jsonify(serializers.assessment(record))


@bp.route("/referrals/<uuid:referral_id>/assessment", methods=["GET"])
@requires("client_records")
def get_assessment(referral_id: uuid.UUID) -> Any:
    record = assessment_of(load_case(referral_id))
    if record is None:
        abort(404)
    return jsonify(serializers.assessment(record))


@bp.route("/referrals/<uuid:referral_id>/care-plan", methods=["PUT"])
@requires("client_records")
def put_care_plan(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    data = inputs.care_plan_input(json_object())
    before = referral.state_enum
    plan = save_care_plan(
        referral, data.goals, data.onward, current_actor(), agreed=data.agreed, notes=data.notes, version=data.version
    )
    # The save that completes the case answers with the new state and the outcome notice it made.
    return jsonify(
        {**serializers.care_plan(plan), "state": referral.state, "notice_id": made_notice_id(referral, before)}
    )


@bp.route("/referrals/<uuid:referral_id>/care-plan", methods=["GET"])
@requires("client_records")
def get_care_plan(referral_id: uuid.UUID) -> Any:
    plan = plan_of(load_case(referral_id))
    if plan is None:
        abort(404)
    return jsonify(serializers.care_plan(plan))
