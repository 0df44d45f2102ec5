"""API: her contact preferences (docs/api.md, "Contact preferences"; docs/notifications.md).

``GET`` and ``PUT /api/v1/referrals/{id}/contact-preferences``, for support staff only (the ``client_records`` rule:
403 for court, CPS and admin; 404 for a case outside the caller's scope). The rules are the web form's, in one
function (diversion/clients/contact.py). The document's entries are in openapi.py (PATHS) and schemas.py
(ContactPreferences, ContactPreferencesInput).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import jsonify

from diversion.api import bp
from diversion.api.parsing import REQUIRED, Reader, json_object
from diversion.clients.contact import MAX_NOTE
from diversion.clients.preferences import contact_preferences_of, save_contact_preferences
from diversion.permissions import current_actor, load_case, requires

FLAGS = ("may_text", "may_voicemail", "may_email")


@bp.route("/referrals/<uuid:referral_id>/contact-preferences", methods=["GET"])
@requires("client_records")
def get_contact_preferences(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    return jsonify(contact_preferences_of(referral.client).as_api())


def contact_preferences_input(body: dict[str, Any]) -> dict[str, Any]:
    """The PUT body, read: every field but ``note`` must be there (``quiet_hours`` may be null); 400 for a wrong
    type, 422 for a missing or unknown field. The rules themselves are the service's."""
    reader = Reader(body, (*FLAGS, "quiet_hours", "note"))
    values: dict[str, Any] = {name: reader.boolean(name, required=True) for name in FLAGS}
    if "quiet_hours" not in body:
        reader.problems.invalid["quiet_hours"] = REQUIRED
    hours = reader.member("quiet_hours", ("from", "to"))
    if hours is not None:
        values["quiet_hours"] = {"from": hours.text("from", max_length=5), "to": hours.text("to", max_length=5)}
    else:
        values["quiet_hours"] = None
    if "note" in body:
        values["note"] = reader.text("note", max_length=MAX_NOTE) or ""
    reader.problems.raise_if_any()
    return values


@bp.route("/referrals/<uuid:referral_id>/contact-preferences", methods=["PUT"])
@requires("client_records")
def put_contact_preferences(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    values = contact_preferences_input(json_object())
    return jsonify(save_contact_preferences(referral, values, current_actor()).as_api())
