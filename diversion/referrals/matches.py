"""Someone referred before (docs/api.md, "Someone referred before"): a new referral whose family name and date of
birth match an earlier client is linked to her, or flagged for a support worker, never silently doubled.

- Support staff are asked: the referral is refused with PossibleMatch (409 ``possible_match``) naming the earlier
  referrals, and sent again with the client to link to, or saying she is a different person.
- A court user learns nothing about other referrals: the referral is made, flagged ``possible_previous_referral``,
  and sits on the worklist of flagged referrals, where a worker links it to the earlier client (the two records are
  merged, docs/merging.md) or marks her a different person.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from diversion import scoping
from diversion.audit import reads
from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.clients.merge import merge_clients
from diversion.clients.models import Client
from diversion.clients.services import find_clients, get_client
from diversion.db import claim_version, transaction
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.referrals.models import Referral

POSSIBLE_MATCH_MESSAGE = (
    "Someone with this family name and date of birth has been referred before. Send the referral again with "
    "link_to_client (her client id, from matches) if she is that woman, or new_person: true if she is not"
)
STALE = _l("Someone else changed this case while you were working on it. Reload it and try again")
RESOLVED = _l("This referral has already been resolved by someone else")


class PossibleMatch(Conflict):
    """A referral whose family name and date of birth match an earlier client (409 ``possible_match``): the caller
    must say whether she is that woman. ``matches`` are the earlier referrals, with their client ids."""

    code = "possible_match"

    def __init__(self, matches: list[dict[str, Any]]) -> None:
        super().__init__(POSSIBLE_MATCH_MESSAGE)
        self.matches = matches
        self.extra = {"matches": matches}
        # The answer names the earlier referrals: they are read, and audited so (diversion/audit/reads.py).
        self.case_reads = {uuid.UUID(item["referral_id"]): reads.POSSIBLE_MATCH for item in matches}


def earlier_clients(
    family_name: str, date_of_birth: date | None, organisation_ids: list[int], *, excluding: Any = None
) -> list[Client]:
    """Clients (not erased) of these organisations with exactly this family name and date of birth, by blind
    index."""
    if not family_name or date_of_birth is None:
        return []
    return [client for client in find_clients(family_name, date_of_birth, organisation_ids) if client.id != excluding]


def earlier_referrals(clients: list[Client]) -> list[Referral]:
    """The referrals of these clients, newest first."""
    if not clients:
        return []
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.client_id.in_([client.id for client in clients]))
            .order_by(Referral.referred_on.desc(), Referral.created_at.desc(), Referral.id)
        )
    )


def match_items(referrals: list[Referral]) -> list[dict[str, Any]]:
    """The ``matches`` of a possible_match answer: status and ids only, no identity."""
    return [
        {
            "referral_id": str(referral.id),
            "client_id": str(referral.client_id),
            "state": referral.state,
            "outcome_date": referral.outcome_date.isoformat() if referral.outcome_date else None,
        }
        for referral in referrals
    ]


# --- the worklist of flagged referrals ---


@dataclass
class FlaggedReferral:
    """A court's referral flagged as possibly someone referred before, with the earlier records she may be."""

    referral: Referral
    candidates: list[Client]
    earlier: dict[uuid.UUID, list[Referral]]


def flagged_referrals(user: User) -> list[FlaggedReferral]:
    """Every flagged referral ``user`` may see (diversion/scoping.py), oldest first, with the clients she may be
    (their referrals, newest first): only ever clients of the referral's own organisation."""
    flagged = list(
        db.session.scalars(
            select(Referral)
            .where(Referral.possible_previous_referral.is_(True), scoping.cases_filter(user))
            .order_by(Referral.created_at, Referral.id)
        )
    )
    rows = []
    for referral in flagged:
        client = referral.client
        candidates = (
            []
            if client.is_erased
            else earlier_clients(
                str(client.family_name),
                client.date_of_birth,  # type: ignore[arg-type]
                [client.organisation_id],
                excluding=client.id,
            )  # type: ignore[arg-type]
        )
        referrals = earlier_referrals(candidates)
        earlier: dict[uuid.UUID, list[Referral]] = {candidate.id: [] for candidate in candidates}
        for other in referrals:
            earlier[other.client_id].append(other)
        rows.append(FlaggedReferral(referral, candidates, earlier))
    # Who each flagged referral may be shows her identity and the earlier cases': each is noted as a list's read.
    reads.note([row.referral.id for row in rows], reads.LIST)
    reads.note((other.id for row in rows for others in row.earlier.values() for other in others), reads.LIST)
    return rows


def flagged_count(user: User) -> int:
    """How many referrals ``user`` may see wait on the worklist."""
    return int(
        db.session.scalar(
            select(func.count()).where(Referral.possible_previous_referral.is_(True), scoping.cases_filter(user))
        )
        or 0
    )


def _check_flagged(referral: Referral, version: int | None) -> None:
    if not referral.possible_previous_referral:
        raise Conflict(str(RESOLVED))
    if version is not None and version != referral.version:
        raise Conflict(str(STALE))


def mark_different_person(referral: Referral, version: int | None, actor: User) -> None:
    """She is not any earlier client: the flag is cleared, and the decision audited."""
    _check_flagged(referral, version)
    with transaction():
        # Of two resolutions at the same moment one claims the version and the other is refused (Conflict).
        _claim(referral, version)
        referral.possible_previous_referral = False
        record_event(
            "referral.match_resolved",
            object_type="referral",
            object_id=referral.id,
            case_id=referral.id,
            details={"decision": "different_person"},
            actor=actor,
        )


def link_to_earlier(referral: Referral, client_id: Any, version: int | None, actor: User) -> Client:
    """She is the earlier client: her new record is merged into the earlier one (the newer contact details are kept),
    and the flag is cleared. Returns the client she now is."""
    _check_flagged(referral, version)
    earlier = get_client(client_id)
    current = referral.client
    if earlier is None or earlier.is_erased or earlier.id == current.id:
        raise ValidationFailed.on("decision", _("Choose one of the earlier records, or say she is a different person"))
    same = earlier_clients(
        str(current.family_name),
        current.date_of_birth,  # type: ignore[arg-type]
        [current.organisation_id],
    )
    if earlier.id not in {client.id for client in same}:
        raise ValidationFailed.on("decision", _("The record chosen does not have her family name and date of birth"))
    # The version is claimed first, so that of two resolutions at the same moment one is refused before anything
    # moves; the merge then moves the case to the earlier record, and only then is the flag cleared (a merge that
    # is refused leaves the referral on the worklist).
    with transaction():
        _claim(referral, version)
    merge_clients(earlier, current, "duplicate", actor, newer_contact=True)
    with transaction():
        referral.possible_previous_referral = False
        record_event(
            "referral.match_resolved",
            object_type="referral",
            object_id=referral.id,
            case_id=referral.id,
            details={"decision": "linked", "client": str(earlier.id)},
            actor=actor,
        )
    return earlier


def _claim(referral: Referral, version: int | None) -> None:
    if version is None:
        referral.version += 1
    else:
        claim_version(referral, version, str(STALE))
