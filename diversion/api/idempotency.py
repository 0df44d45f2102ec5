"""``Idempotency-Key`` on every POST under /api/v1: one pair of blueprint hooks, so every POST route has it, today's
and tomorrow's. See docs/idempotency.md.

Before the view: a POST with the header claims the key for the signed-in user (a request without a user, or whose
role the route's rule refuses, is left to the view, which answers 401 or 403). A repeat of an answered request gets
that answer again with ``Idempotent-Replayed: true``; a repeat while the first still runs is 409; the same key with
another body is 422; a key that is not 1 to 255 printable ASCII characters is 400. After the view: a success (below
400) is remembered with its status, Location and body (encrypted, models.IdempotencyKey); anything else releases the
key, since a refused request changed nothing.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Response, current_app, g, request
from flask_login import current_user

from diversion.api import bp
from diversion.audit import reads
from diversion.crypto.fields import is_unreadable
from diversion.errors import json_error
from diversion.extensions import db
from diversion.idempotency import services
from diversion.permissions import RULES, rule_of, user_allows

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
CLAIM = "idempotency_claim"
# POSTs that only read (the search): the key is kept with the request's keyed fingerprint, so the same key with
# another body is 422 as on every POST, but no answer is kept: her names and cases are not stored for a search, and
# a repeat is simply answered again, since a search changes nothing (docs/api.md, "Search by POST").
READ_ONLY_POSTS = frozenset({"api.search_referrals"})
CASE_PATH = re.compile(r"/api/v1/referrals/([0-9a-fA-F-]{36})(?:$|[/?])")


@bp.before_request
def claim_key() -> Any:
    if request.method != "POST" or HEADER not in request.headers:
        return None
    if not current_user.is_authenticated:
        return None
    rule = rule_of(current_app.view_functions.get(request.endpoint or ""))
    if rule is None or rule not in RULES or not user_allows(current_user, rule):
        return None  # the view refuses it first (401, 403): a key is looked at only for a request that may run
    key = request.headers.get(HEADER, "")
    if not services.valid_key(key):
        return json_error(
            400, "The Idempotency-Key header is not valid", "validation_error", {HEADER: services.BAD_KEY}
        )
    print_ = services.fingerprint(request.method, request.path, request.get_data(cache=True))
    claim = services.claim(current_user.id, key, print_)
    if claim.outcome == "mismatch":
        return json_error(
            422,
            "This Idempotency-Key was used for a different request",
            "validation_error",
            {HEADER: "Already used with a different request: send a new key"},
        )
    if claim.outcome == "busy":
        return json_error(409, "A request with this Idempotency-Key is still being processed: try again shortly")
    if claim.outcome == "replay" and request.endpoint in READ_ONLY_POSTS:
        return None  # asked again: answered again, as it was first
    if claim.outcome == "replay" and claim.key_id is not None:
        return replay(claim.key_id)
    g.setdefault(CLAIM, claim.key_id)
    return None


def replay(key_id: uuid.UUID) -> Any:
    """The first answer again, marked as a replay; the read of her case is audited like the first."""
    row = services.remembered(key_id)
    text = services.answer_text(row) if row is not None and _still_hers(row.referral_id) else None
    if row is None or text is None or is_unreadable(text):
        return json_error(409, "This request was already made, and its answer is no longer available")
    headers = {REPLAYED: "true"}
    if row.location:
        headers["Location"] = row.location
    response = Response(text, status=row.status, headers=headers, content_type=row.content_type or "application/json")
    if row.referral_id is not None:
        reads.note([row.referral_id], reads.REPLAY)
    return response


def _still_hers(referral_id: uuid.UUID | None) -> bool:
    """True unless the answer is about a case the caller may no longer see (moved to another scheme, say): a
    remembered answer is not a way round the wall (diversion/scoping.py)."""
    if referral_id is None:
        return True
    from diversion.referrals.models import Referral
    from diversion.scoping import may_see

    referral = db.session.get(Referral, referral_id)
    return referral is not None and may_see(current_user._get_current_object(), referral)


@bp.after_request
def remember_answer(response: Response) -> Response:
    key_id = g.pop(CLAIM, None)
    if key_id is None:
        return response
    if response.status_code >= 400:
        _release(key_id)
        return response
    location = response.headers.get("Location")
    if request.endpoint in READ_ONLY_POSTS:
        services.complete(key_id, status=response.status_code, location=None)  # the request's print, no answer
        return response
    referral_id, client_id = case_of(location)
    services.complete(
        key_id,
        status=response.status_code,
        location=location,
        content_type=response.content_type,
        body=response.get_data(),
        referral_id=referral_id,
        client_id=client_id,
    )
    return response


@bp.teardown_request
def release_unanswered(_error: BaseException | None = None) -> None:
    # A view that raised past every handler never reached remember_answer: its key is released here.
    key_id = g.pop(CLAIM, None)
    if key_id is not None:
        _release(key_id)


def _release(key_id: uuid.UUID) -> None:
    db.session.rollback()  # whatever the failed view left in the session is not ours to commit
    services.release(key_id)


def case_of(location: str | None) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The case an answer is about, and her client id (whose data key encrypts the remembered body): from the
    route's own ids, or the Location of a case it made. (None, None) for an answer about no case."""
    from diversion.appointments.models import Appointment
    from diversion.notices.models import OutcomeNotice
    from diversion.referrals.models import Referral

    args = request.view_args or {}
    referral_id = args.get("referral_id")
    if referral_id is None and location and (match := CASE_PATH.search(location)):
        try:
            referral_id = uuid.UUID(match.group(1))
        except ValueError:
            referral_id = None
    if referral_id is None and args.get("appointment_id") is not None:
        appointment = db.session.get(Appointment, args["appointment_id"])
        referral_id = appointment.referral_id if appointment is not None else None
    if referral_id is None and args.get("notice_id") is not None:
        notice = db.session.get(OutcomeNotice, args["notice_id"])
        referral_id = notice.referral_id if notice is not None else None
    if referral_id is None:
        return None, None
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        return None, None
    return referral.id, referral.client_id
