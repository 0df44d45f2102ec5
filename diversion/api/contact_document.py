"""The OpenAPI entries of a case's contact log (docs/api.md, "Contact log"; docs/contacts.md), merged into the
document by ``diversion/api/openapi.py``. The request schema is strict: no member beyond those the service reads."""

from __future__ import annotations

from typing import Any

from diversion.api.schemas import DATE, UUID, json_content, ref, rule_operation, text
from diversion.api.schemas import error_responses as _errors
from diversion.api.schemas import query_parameter as _query
from diversion.contacts.models import Direction, Kind
from diversion.contacts.services import MAX_NOTE, MAX_WITH

RULE = "client_records"
KINDS = [kind.value for kind in Kind]
DIRECTIONS = [direction.value for direction in Direction]


def _operation(operation_id: str, summary: str, responses: dict[str, Any], description: str, **extra: Any) -> Any:
    return rule_operation(RULE, operation_id, summary, responses, description, **extra)


_KIND = {"type": "string", "enum": KINDS}
_DIRECTION = {
    "type": "string",
    "enum": DIRECTIONS,
    "description": "`in`: she, or someone for her, got in touch; `out`: the service did.",
}

CONTACT_SCHEMAS: dict[str, Any] = {
    "ContactInput": {
        "type": "object",
        "properties": {
            "kind": _KIND,
            "direction": _DIRECTION,
            "with": text(MAX_WITH, nullable=True, description="Who it was with; kept encrypted."),
            "at": {
                **ref("DateTime"),
                "description": "When it happened: now or in the past (a few minutes ahead of the service's clock "
                "are taken); a later time is 422.",
            },
            "note": text(MAX_NOTE, nullable=True, description="What happened; kept encrypted."),
        },
        "required": ["kind", "direction", "at"],
        "additionalProperties": False,
    },
    "Contact": {
        "type": "object",
        "properties": {
            "id": UUID,
            "referral_id": UUID,
            "kind": _KIND,
            "direction": _DIRECTION,
            "with": {"type": ["string", "null"]},
            "at": {"type": "string", "format": "date-time", "description": "When it happened, in UTC."},
            "note": {"type": ["string", "null"]},
            "logged_by": {
                "type": "object",
                "properties": {"id": UUID, "name": {"type": "string"}},
                "required": ["id", "name"],
                "additionalProperties": False,
                "description": "The member of staff who logged it.",
            },
            "logged_at": {"type": "string", "format": "date-time"},
            "unreadable_fields": ref("UnreadableFields"),
        },
        "required": ["id", "referral_id", "kind", "direction", "with", "at", "note", "logged_by", "logged_at"],
        "additionalProperties": False,
        "description": "One contact of the case's log. `with` and `note` are null when not given, and null (named "
        "in `unreadable_fields`) when they cannot be read, as after she is erased.",
    },
    "ContactList": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref("Contact")},
            "next": {"type": "null", "description": "A case's log comes in one page."},
        },
        "required": ["items", "next"],
        "additionalProperties": False,
    },
}

CONTACT_PATHS: dict[str, Any] = {
    "/referrals/{referral_id}/contacts": {
        "parameters": [{"$ref": "#/components/parameters/referral_id"}],
        "get": _operation(
            "listContacts",
            "The case's contact log",
            {
                "200": json_content(ref("ContactList"), "The contacts that match, newest first."),
                **_errors(400, 401, 403, 404, 422),
            },
            "Calls, texts, visits and the rest between her appointments. Audited as a read of the case. 400 for an "
            "unknown kind or direction or an unreadable date; 422 for `to` before `from`, or a date outside 1900 to "
            "2100.",
            parameters=[
                _query("kind", _KIND, "Contacts of this kind."),
                _query("direction", {"type": "string", "enum": DIRECTIONS}, "Contacts in this direction."),
                _query("from", DATE, "Contacts on or after this day (London time)."),
                _query("to", DATE, "Contacts on or before this day (London time)."),
            ],
        ),
        "post": _operation(
            "logContact",
            "Log a contact on the case",
            {"201": json_content(ref("Contact"), "The contact logged."), **_errors(400, 401, 403, 404, 422)},
            "A contact is added, never changed. 422 for a time in the future, or a case whose client was erased. "
            "Audited with its kind and direction, never its words.",
            requestBody={"required": True, "content": {"application/json": {"schema": ref("ContactInput")}}},
        ),
    },
}
