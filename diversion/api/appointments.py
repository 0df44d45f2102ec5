"""API: booking (and rebooking) appointments, and recording what happened."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, jsonify

from diversion.api import bp, inputs, serializers
from diversion.api.parsing import json_object
from diversion.appointments import services
from diversion.permissions import current_actor, load_case, requires
from diversion.venues import services as venue_services


def appointment_body(appointment: Any) -> dict[str, Any]:
    """A booked appointment as support staff see it; its notes are only in the case record."""
    body = serializers.staff_appointment(appointment)
    body.pop("notes")
    return body


@bp.route("/referrals/<uuid:referral_id>/appointments", methods=["POST"])
@requires("client_records")
def book_appointment(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    appointment = services.book_appointment(referral, inputs.booking_input(json_object()), current_actor())
    return jsonify(appointment_body(appointment)), 201


@bp.route("/appointments/<uuid:appointment_id>/outcome", methods=["POST"])
@requires("client_records")
def record_outcome(appointment_id: uuid.UUID) -> Any:
    appointment = services.get_appointment(appointment_id)
    if appointment is None:
        abort(404)
    load_case(appointment.referral_id)  # the case's scope applies to its appointments
    data = inputs.outcome_input(json_object())
    services.record_outcome(appointment, data.outcome, current_actor(), data.notes)
    return jsonify(appointment_body(appointment))


@bp.route("/venues")
@requires("client_records")
def list_venues() -> Any:
    venues = venue_services.list_venues(current_actor().organisation_id, active_only=True)
    items = [{"id": str(venue.id), "name": venue.name, "address": venue.address} for venue in venues]
    return jsonify({"items": items, "next": None})
