"""Erasure on request: one manager asks, a different manager confirms, and the record is crypto-shredded.

The request keeps a reason code, never free text (which could describe her). The confirmed request, with the counts
of plain rows kept for reports, is the erasure certificate.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from diversion.audit import reads
from diversion.audit.services import record_event
from diversion.clients.erasure import erase_client
from diversion.clients.models import Client
from diversion.clients.services import get_client
from diversion.db import transaction, utcnow
from diversion.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from diversion.extensions import db
from diversion.privacy.export import kept_counts
from diversion.privacy.models import ErasureRequest, RequestStatus
from diversion.referrals.models import OPEN_STATES, Referral

# Reason codes (stored) and their words (shown, in the reader's language).
REQUEST_REASONS = {
    "erasure_request": _l("She asked for her record to be erased"),
    "duplicate": _l("A duplicate record"),
    "created_in_error": _l("Created in error"),
    "other": _l("Another lawful reason"),
}


def _has_open_case(client: Client) -> bool:
    return (
        db.session.scalar(
            select(Referral.id).where(
                Referral.client_id == client.id, Referral.state.in_([state.value for state in OPEN_STATES])
            )
        )
        is not None
    )


def pending_request(client: Client) -> ErasureRequest | None:
    """Her erasure request awaiting confirmation, if any."""
    return db.session.scalar(
        select(ErasureRequest).where(
            ErasureRequest.client_id == client.id, ErasureRequest.status == RequestStatus.PENDING.value
        )
    )


def requests_for(client: Client) -> list[ErasureRequest]:
    """Every erasure request about her, newest first."""
    return list(
        db.session.scalars(
            select(ErasureRequest)
            .where(ErasureRequest.client_id == client.id)
            .order_by(ErasureRequest.requested_at.desc())
        )
    )


def pending_requests(organisation_id: int | None = None) -> list[ErasureRequest]:
    """Every erasure request awaiting a second manager, oldest first; of one organisation's clients when named."""
    query = (
        select(ErasureRequest)
        .where(ErasureRequest.status == RequestStatus.PENDING.value)
        .order_by(ErasureRequest.requested_at)
    )
    if organisation_id is not None:
        query = query.join(Client, Client.id == ErasureRequest.client_id).where(
            Client.organisation_id == organisation_id
        )
    return list(db.session.scalars(query))


def check_organisation(client: Client | None, actor: Any) -> Client:
    """The client, when she is a client of the actor's organisation (a manager's data protection duties are her
    organisation's: docs/organisations.md); NotFound otherwise, as for no client at all. The command line (no
    actor) passes: it names the organisation itself."""
    if client is None:
        raise NotFound(_("There is no such client"))
    if actor is not None and client.organisation_id != getattr(actor, "organisation_id", None):
        raise NotFound(_("There is no such client"))
    return client


def own_client(actor: Any, client_id: Any) -> Client:
    """A client of the actor's organisation by id; NotFound for an unknown id or another organisation's client."""
    return check_organisation(get_client(client_id), actor)


def own_request(actor: Any, request_id: Any) -> ErasureRequest:
    """An erasure request about a client of the actor's organisation; NotFound otherwise."""
    import uuid

    try:
        key = request_id if isinstance(request_id, uuid.UUID) else uuid.UUID(str(request_id))
    except ValueError:
        raise NotFound(_("There is no such request")) from None
    found = db.session.get(ErasureRequest, key)
    if found is None:
        raise NotFound(_("There is no such request"))
    _check_request_organisation(found, actor)
    return found


def request_erasure(client: Client, reason: str, actor: Any) -> ErasureRequest:
    """Ask for a client to be erased; another manager must confirm. Audited."""
    check_organisation(client, actor)
    if reason not in REQUEST_REASONS:
        raise ValidationFailed.on("reason", _("Select why her record is to be erased"))
    if client.is_erased:
        raise Conflict(_("This client has already been erased"))
    if client.has_legal_hold:
        raise InvalidTransition(_("She is under a legal hold: release the hold before asking for erasure"))
    if _has_open_case(client):
        raise InvalidTransition(
            _("She has an open case: withdraw it or wait for its outcome before erasing her record")
        )
    if pending_request(client) is not None:
        raise Conflict(_("An erasure request for her is already waiting for confirmation"))
    with transaction():
        request = ErasureRequest(client_id=client.id, reason=reason, requested_by_id=actor.id, requested_at=utcnow())
        db.session.add(request)
        db.session.flush()
        record_event(
            "erasure.requested",
            object_type="erasure_request",
            object_id=request.id,
            details={"client": str(client.id), "reason": reason},
            actor=actor,
        )
    return request


def _check_request_organisation(request: ErasureRequest, actor: Any) -> None:
    """A request about another organisation's client is none of this manager's (NotFound)."""
    check_organisation(db.session.get(Client, request.client_id), actor)


def _check_pending(request: ErasureRequest) -> None:
    if not request.is_pending:
        raise Conflict(_("This erasure request has already been decided"))


def confirm_erasure(request: ErasureRequest, actor: Any) -> ErasureRequest:
    """A second manager confirms: the client is crypto-shredded and the request becomes the certificate."""
    _check_pending(request)
    _check_request_organisation(request, actor)
    if request.requested_by_id == actor.id:
        raise Forbidden(_("The manager who asked for the erasure cannot confirm it: another manager must"))
    client = db.session.get(Client, request.client_id)
    if client is None:
        raise Conflict(_("The client of this request no longer exists"))
    if not client.is_erased:
        # Erased already means an earlier confirmation erased her and then failed to close the request: close it.
        erase_client(client, request.reason, actor)
    with transaction():
        request.status = RequestStatus.CONFIRMED.value
        request.decided_by_id = actor.id
        request.decided_at = utcnow()
        request.kept_counts = kept_counts(client)
        record_event(
            "erasure.confirmed",
            object_type="erasure_request",
            object_id=request.id,
            details={"client": str(client.id)},
            actor=actor,
        )
    return request


def cancel_erasure(request: ErasureRequest, actor: Any) -> ErasureRequest:
    """Withdraw a pending request (any manager of her organisation, the requester too); audited."""
    _check_pending(request)
    _check_request_organisation(request, actor)
    with transaction():
        request.status = RequestStatus.CANCELLED.value
        request.decided_by_id = actor.id
        request.decided_at = utcnow()
        record_event(
            "erasure.cancelled",
            object_type="erasure_request",
            object_id=request.id,
            details={"client": str(request.client_id)},
            actor=actor,
        )
    return request


def cases_of(client: Client) -> list[Referral]:
    """Her cases, oldest first (plain columns are what the privacy pages show). With her record, the page shows who
    she is: each case is noted as read for the audit, unless her record was erased and nothing of her is left."""
    cases = list(
        db.session.scalars(select(Referral).where(Referral.client_id == client.id).order_by(Referral.referred_on))
    )
    if not client.is_erased:
        reads.note((referral.id for referral in cases), reads.IDENTITY)
    return cases


def get_request(request_id: Any) -> ErasureRequest | None:
    """An erasure request by id."""
    return db.session.get(ErasureRequest, request_id)
