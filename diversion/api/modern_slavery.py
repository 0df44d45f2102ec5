"""API: the National Referral Mechanism task of a case (docs/api.md, "Modern slavery"; docs/modern-slavery.md).

``PUT /api/v1/referrals/{id}/modern-slavery`` records what was done, for support staff only (the ``client_records``
rule: 403 for court, CPS and admin; 404 for a case outside the caller's scope). The rules are the web form's, in one
service (diversion/modern_slavery/services.py). The task's state is in the case's record view too. The document's
entries are in openapi.py (PATHS) and schemas.py (ModernSlavery, ModernSlaveryInput).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import jsonify

from diversion.api import bp, serializers
from diversion.api.parsing import Reader, json_object
from diversion.modern_slavery.services import MAX_NOTE, record_nrm_outcome, task_for
from diversion.permissions import current_actor, load_case, requires


@bp.route("/referrals/<uuid:referral_id>/modern-slavery", methods=["PUT"])
@requires("client_records")
def put_modern_slavery(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    reader = Reader(json_object(), ("outcome", "date", "note", "version"))
    outcome = reader.text("outcome", required=True, max_length=32)
    day = reader.day("date", required=True)
    note = reader.text("note", max_length=MAX_NOTE)
    version = reader.integer("version")
    reader.problems.raise_if_any()
    record_nrm_outcome(referral, current_actor(), outcome=outcome, decided_on=day, note=note, version=version)
    return jsonify({"referral_id": str(referral.id), **serializers.modern_slavery(task_for(referral))})
