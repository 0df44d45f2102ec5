"""API: a case's contact log (docs/api.md, "Contact log"; docs/contacts.md).

``GET`` and ``POST /api/v1/referrals/{id}/contacts``, for support staff only (the ``client_records`` rule: 403 for
court, CPS and admin; 404 for a case outside the caller's scope; 403 ``reason_required`` for a colleague's case in an
``assigned`` scheme until a reason is given). The rules are the web form's, in one service
(diversion/contacts/services.py). The document's entries are in contact_document.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import jsonify

from diversion.api import bp
from diversion.api.parsing import Query, Reader, json_object
from diversion.api.serializers import Plain, moment
from diversion.contacts import services
from diversion.contacts.models import Contact, Direction, Kind
from diversion.contacts.reads import ContactFilters, contacts_of
from diversion.permissions import current_actor, load_case, requires

KINDS = [kind.value for kind in Kind]
DIRECTIONS = [direction.value for direction in Direction]


def contact_body(contact: Contact) -> dict[str, Any]:
    """A contact as support staff see it; a field that fails to decrypt is null and named in ``unreadable_fields``."""
    plain = Plain()
    return plain.finish(
        {
            "id": str(contact.id),
            "referral_id": str(contact.referral_id),
            "kind": contact.kind,
            "direction": contact.direction,
            "with": plain(contact.with_whom, "with"),
            "at": moment(contact.contacted_at),
            "note": plain(contact.note, "note"),
            "logged_by": {"id": str(contact.logged_by_id), "name": contact.logged_by.display_name},
            "logged_at": moment(contact.logged_at),
        }
    )


def contact_input(body: dict[str, Any]) -> services.ContactInput:
    """The POST body, read: ``kind``, ``direction`` and ``at`` required; 400 for a wrong type or an unreadable time,
    422 for a missing or unknown field. The rules themselves are the service's."""
    reader = Reader(body, ("kind", "direction", "with", "at", "note"))
    kind = reader.text("kind", required=True)
    direction = reader.text("direction", required=True)
    at = reader.moment("at", required=True)
    with_whom = reader.text("with", max_length=services.MAX_WITH)
    note = reader.text("note", max_length=services.MAX_NOTE)
    reader.problems.raise_if_any()
    return services.ContactInput(kind=kind, direction=direction, contacted_at=at, with_whom=with_whom, note=note)


def contact_filters_query() -> ContactFilters:
    """GET's filters: ``kind``, ``direction``, ``from`` and ``to`` (London days, both included). An unknown kind or
    direction, or an unreadable date, is 400; ``to`` before ``from`` is 422."""
    query = Query()
    kind, direction = query.text("kind", max_length=16), query.text("direction", max_length=8)
    if kind is not None and kind not in KINDS:
        query.malformed("kind", "Must be one of " + ", ".join(KINDS))
        kind = None
    if direction is not None and direction not in DIRECTIONS:
        query.malformed("direction", "Must be one of " + ", ".join(DIRECTIONS))
        direction = None
    filters = ContactFilters(kind=kind, direction=direction, from_date=query.day("from"), to_date=query.day("to"))
    query.problems.invalid.update(filters.problems())
    query.done()
    return filters


@bp.route("/referrals/<uuid:referral_id>/contacts", methods=["GET"])
@requires("client_records")
def list_contacts(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    items = [contact_body(contact) for contact in contacts_of(referral, contact_filters_query())]
    return jsonify({"items": items, "next": None})


@bp.route("/referrals/<uuid:referral_id>/contacts", methods=["POST"])
@requires("client_records")
def log_contact(referral_id: uuid.UUID) -> Any:
    referral = load_case(referral_id)
    contact = services.log_contact(referral, contact_input(json_object()), current_actor())
    return jsonify(contact_body(contact)), 201
