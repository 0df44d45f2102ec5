"""JSON Schemas of the API's bodies, for the OpenAPI document: written by hand to match what the API reads and
answers, field for field (see ``diversion.api.inputs`` and ``diversion.api.serializers``)."""

from __future__ import annotations

from typing import Any

from diversion.appointments.models import Outcome
from diversion.assessments.models import EXPLOITATION_INDICATORS, Domain
from diversion.care_plans.models import ACTION_OWNERS, ACTION_STATUSES, ONWARD_STATUSES, Service
from diversion.clients.contact import QUIET_HOURS_MESSAGES
from diversion.clients.languages import LANGUAGES
from diversion.modern_slavery.models import NrmOutcome
from diversion.modern_slavery.services import MAX_NOTE as MAX_NRM_NOTE
from diversion.notices.models import Decision, NoticeOutcome
from diversion.permissions import RULES
from diversion.referrals.intake import OFFENCES
from diversion.referrals.models import ConsentPurpose, State
from diversion.referrals.need_to_know import MAX_REASON as MAX_ACCESS_REASON
from diversion.referrals.queries import CURSOR_PATTERN
from diversion.reports.services import FIGURES as REPORT_FIGURES

# What a report counts (diversion/reports/scope.py): the scheme asked for and the name the report gives its scope.
_REPORT_SCOPE: dict[str, Any] = {
    "scheme": {
        "type": ["string", "null"],
        "description": "The scheme asked for (its short name); null for all of the caller's schemes, and for court "
        "and CPS users, whose reports are by court.",
    },
    "scope": {
        "type": ["string", "null"],
        "description": "What the report counts, as its exports name it: a scheme's name, or \"Whole organisation: "
        '<name>"; null for court and CPS users.',
    },
}
# The completion report's figures, of the whole report and of each scheme.
_COMPLETION_FIGURES: dict[str, Any] = {
    **{
        key: {"type": "integer", "minimum": 0, "description": text[:1].upper() + text[1:] + "."}
        for key, _, text in REPORT_FIGURES
    },
    "completion_rate": {
        "type": ["number", "null"],
        "minimum": 0,
        "maximum": 1,
        "description": "completed / (completed + not_completed + withdrawn), 3 places; null when that is 0.",
    },
    "completion_rate_ci95": {
        "anyOf": [
            {
                "type": "array",
                "items": {"type": "number", "minimum": 0, "maximum": 1},
                "minItems": 2,
                "maxItems": 2,
            },
            {"type": "null"},
        ],
        "description": "The Wilson score 95% interval of the completion rate, [low, high]; null with it.",
    },
    "opt_in_rate": {
        "type": ["number", "null"],
        "minimum": 0,
        "maximum": 1,
        "description": "opted_in / (opted_in + declined), 3 places; null when that is 0.",
    },
}

# A figure of the outcomes report: a number, `<5` or `[c]` when suppressed, or null when there is none.
OUTCOME_VALUE = {"anyOf": [{"type": "number"}, {"type": "string", "enum": ["<5", "[c]"]}, {"type": "null"}]}

ERROR_CODES = [
    "validation_error",
    "not_found",
    "forbidden",
    "conflict",
    "possible_match",
    "reason_required",
    "invalid_transition",
    "unauthorized",
    "method_not_allowed",
    "payload_too_large",
    "unsupported_media_type",
    "rate_limited",
    "unavailable",
    "server_error",
]


# The `next` of a previous page of the same search (opaque: pass it on).
SEARCH_CURSOR = {"type": ["string", "null"], "pattern": CURSOR_PATTERN}


def ref(name: str) -> dict[str, str]:
    """A reference to one of the component schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _enum(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": [str(value) for value in values]}


def _object(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    schema.update(extra)
    return schema


def error_responses(*statuses: int) -> dict[str, Any]:
    """An operation's error answers, each the document's shared response of that status."""
    return {str(status): {"$ref": f"#/components/responses/{status}"} for status in statuses}


def rule_operation(
    rule: str, operation_id: str, summary: str, responses: dict[str, Any], description: str, **extra: Any
) -> dict[str, Any]:
    """An operation of the documents merged into the main one (webhooks, contacts, documents): its roles are those
    of its permission rule (diversion/permissions.py), named in the description and in ``x-rule``/``x-roles``."""
    roles = sorted(role.value for role in RULES[rule])
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description + "\n\nRoles: " + ", ".join(roles) + ".",
        "x-rule": rule,
        "x-roles": roles,
        "responses": responses,
        **extra,
    }


def query_parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An optional query parameter. Sent empty (`?since=`), it is read as not sent, as the API does
    (diversion/api/parsing.py, Query): the document says so with allowEmptyValue."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "schema": schema,
        "description": description + " Empty: as if not sent.",
    }


def json_content(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    """A response (or request body) with a JSON schema."""
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


# What request bodies may hold, as JSON Schema says it, so that the document is the contract a body is validated
# against (diversion/api/contract.py, docs/api.md "Validation"). Patterns are anchored with ^ and $ and use no class
# that means more in one regular-expression dialect than in another ([0-9], never \d).
#
# Text: no control character but tab, newline and carriage return; a value breaking this is malformed (400). A lone
# surrogate, which no record can store as UTF-8, is malformed too, but the pattern does not say so: a range of
# surrogates is not a regular expression many tools can compile (a client generator or a test tool that cannot read a
# pattern drops it), so the body's reader refuses it instead (parsing.py).
TEXT_PATTERN = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
# One line (names, codes, short answers): no control character at all.
LINE_PATTERN = r"^[^\u0000-\u001F\u007F-\u009F]*$"
# Dates from 1900-01-01 to 2100-12-31 (docs/court-dates.md): a real day in any other year is 422 naming the field.
DATE_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"
DATE_TIME_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)-"
# The police URN: two digits (the force), two letters, five digits, two digits (the year), with spaces, slashes,
# dots, hyphens or underscores between them or none. The service's check (referrals.urns.check_urn) drops every
# character that is not a letter or digit after Unicode normalisation, which no regular expression can say exactly;
# this pattern takes only the common forms, each of which that check takes too, so it is at least as strict.
URN_PATTERN = r"^ *[0-9]{2}[ ./_-]*[A-Za-z]{2}[ ./_-]*[0-9]{5}[ ./_-]*[0-9]{2} *$"


def text(
    max_length: int | None = None,
    *,
    nullable: bool = False,
    required: bool = False,
    one_line: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """An input string; longer than max_length is refused (422), never cut short. A required one may not be empty
    (422); ``one_line`` refuses every control character, tab and newline too (400)."""
    schema: dict[str, Any] = {
        "type": ["string", "null"] if nullable else "string",
        "pattern": LINE_PATTERN if one_line else TEXT_PATTERN,
    }
    if required:
        schema["minLength"] = 1
    if max_length is not None:
        schema["maxLength"] = max_length
    schema.update(extra)
    return schema


NULLABLE_TEXT = {"type": ["string", "null"]}
DATE = ref("Date")
NULLABLE_DATE = _nullable(ref("Date"))
UUID = ref("Uuid")

_DOMAIN_INPUT = _object(
    {
        "need": {"type": "integer", "minimum": 0, "maximum": 3, "description": "Need level 0 (none) to 3 (high)."},
        "score": {"type": "integer", "minimum": 1, "maximum": 10, "description": "Wellbeing score 1 to 10."},
        "notes": text(2000, nullable=True),
    },
    ["need", "score"],
)
_DOMAIN_OUTPUT = _object(
    {"need": {"type": "integer"}, "score": {"type": "integer"}, "notes": NULLABLE_TEXT}, ["need", "score", "notes"]
)
# Her language, interpreter need and reading help (docs/languages.md): ISO 639-1 codes, and a note kept encrypted.
_LANGUAGE_INPUT_PROPERTIES = {
    "language": {**_nullable(ref("Language")), "description": "Her preferred language."},
    "interpreter": _object(
        {
            "needed": {"type": "boolean"},
            "language": {
                **_nullable(ref("Language")),
                "description": "The interpreter's language. Left out when she needs one: her preferred language, "
                "unless that is English or not given (then 422). Not kept when she needs none.",
            },
        },
        ["needed"],
        description="Whether she needs an interpreter, and for which language.",
    ),
    "reading_help": text(
        500, nullable=True, description="The help she needs with reading. Kept encrypted; support staff only."
    ),
}
_LANGUAGE_RECORD_PROPERTIES = {
    "language": {**_nullable(ref("Language")), "description": "Her preferred language; null when not asked."},
    "interpreter": _object(
        {
            "needed": {"type": "boolean", "description": "False also when not asked."},
            "language": {**_nullable(ref("Language")), "description": "Null when she needs none."},
        },
        ["needed", "language"],
    ),
    "reading_help": {**NULLABLE_TEXT, "description": "The help she needs with reading; null when none is recorded."},
}
_CLIENT_RECORD_PROPERTIES = {
    "id": UUID,
    "given_name": NULLABLE_TEXT,
    "family_name": NULLABLE_TEXT,
    "date_of_birth": NULLABLE_DATE,
}
# Present, and true, only when her identity is withheld from the caller: she withdrew consent to share with the
# court and the CPS, or (for a support worker in a scheme with the assigned access rule) the case is a colleague's,
# found by a search, not yet opened with a reason (docs/organisations.md, "Need to know"). Her names, date of birth
# and client id are then null.
IDENTITY_WITHHELD = {
    "type": "boolean",
    "const": True,
    "description": "Present when her identity is withheld: to court and CPS users once she withdrew consent to share "
    "with them; to a support worker, on a colleague's case in a scheme with the assigned access rule until she has "
    "given a reason to open it (POST /referrals/{referral_id}/access).",
}
_CLIENT_STATUS_PROPERTIES = {
    "id": {**_nullable(UUID), "description": "Null when her identity is withheld."},
    "given_name": NULLABLE_TEXT,
    "family_name": NULLABLE_TEXT,
    "date_of_birth": NULLABLE_DATE,
    "identity_withheld": IDENTITY_WITHHELD,
}
_APPOINTMENT_STATUS_PROPERTIES = {
    "id": UUID,
    "number": {"type": "integer"},
    "starts_at": ref("DateTime"),
    "outcome": _nullable(ref("Outcome")),
    "supersedes": _nullable(UUID),
}


def _view(name: str, description: str) -> dict[str, Any]:
    return {"type": "string", "enum": [name], "description": description}


# Which shape a case answer is (docs/api.md, "Views"): the Case union's discriminator.
STATUS_VIEW = _view("status", "The status shape: court and CPS users, and every list.")
RECORD_VIEW = _view("record", "The record shape: support workers and managers.")
_CASE_STATUS_PROPERTIES = {
    "view": STATUS_VIEW,
    "id": UUID,
    "urn": {"type": ["string", "null"], "description": "Formatted the police way, e.g. 01/AB/12345/26."},
    "court": {"type": "string", "description": "The court's code."},
    "state": ref("State"),
    "first_hearing_date": DATE,
    "return_date": DATE,
    "client": ref("ClientStatus"),
    "outcome_date": NULLABLE_DATE,
    "version": {"type": "integer", "description": "Send it back with a change; a stale one is refused (409)."},
    "unreadable_fields": ref("UnreadableFields"),
}
_CASE_STATUS_REQUIRED = [
    "view",
    "id",
    "urn",
    "court",
    "state",
    "first_hearing_date",
    "return_date",
    "client",
    "outcome_date",
    "version",
]
_CASE_RECORD_PROPERTIES = {
    **_CASE_STATUS_PROPERTIES,
    "view": RECORD_VIEW,
    "client": ref("ClientRecord"),
    "appointments": {"type": "array", "items": ref("Appointment")},
    "offence": {"type": "string"},
    "notes": NULLABLE_TEXT,
    "consents": {
        "type": "object",
        "description": "Per purpose: true given, false refused or withdrawn, null not asked.",
        "properties": {purpose.value: {"type": ["boolean", "null"]} for purpose in ConsentPurpose},
        "required": [purpose.value for purpose in ConsentPurpose],
        "additionalProperties": False,
    },
    "modern_slavery": ref("ModernSlavery"),
}
_CASE_RECORD_REQUIRED = [*_CASE_STATUS_REQUIRED, "appointments", "offence", "notes", "consents", "modern_slavery"]
_CARE_PLAN_PROPERTIES = {
    "id": UUID,
    "referral_id": UUID,
    "version": {"type": "integer"},
    "agreed": {"type": "boolean"},
    "agreed_at": _nullable(ref("DateTime")),
    "goals": {
        "type": "array",
        "items": _object(
            {
                "domain": {"type": "string"},
                "text": NULLABLE_TEXT,
                "actions": {
                    "type": "array",
                    "items": _object(
                        {
                            "text": NULLABLE_TEXT,
                            "owner": {"type": "string"},
                            "due_date": NULLABLE_DATE,
                            "status": {"type": "string"},
                        },
                        ["text", "owner", "due_date", "status"],
                    ),
                },
            },
            ["domain", "text", "actions"],
        ),
    },
    "onward_referrals": {
        "type": "array",
        "items": _object({"service": {"type": "string"}, "status": {"type": "string"}}, ["service", "status"]),
    },
    "notes": NULLABLE_TEXT,
    "unreadable_fields": ref("UnreadableFields"),
}
_CARE_PLAN_REQUIRED = ["id", "referral_id", "version", "agreed", "agreed_at", "goals", "onward_referrals", "notes"]
# In the answers to decisions that end a case (withdrawal, a consent that withdraws her, the plan save that completes).
NOTICE_MADE = {
    **_nullable(UUID),
    "description": "The outcome notice this decision made for the CPS and the court; null when it made none.",
}
_NOTICE_PROPERTIES = {
    "id": UUID,
    "referral_id": UUID,
    "urn": {"type": ["string", "null"], "description": "Formatted the police way, e.g. 01/AB/12345/26."},
    "court": {"type": "string", "description": "The court's code."},
    "given_name": NULLABLE_TEXT,
    "family_name": NULLABLE_TEXT,
    "date_of_birth": NULLABLE_DATE,
    "identity_withheld": IDENTITY_WITHHELD,
    "outcome": ref("NoticeOutcome"),
    "outcome_date": DATE,
    "created_at": ref("DateTime"),
    "acknowledged_at": {**_nullable(ref("DateTime")), "description": "When the CPS recorded its decision; null: new."},
    "decision": _nullable(ref("Decision")),
    "decided_on": {**NULLABLE_DATE, "description": "The date of the CPS's decision; null until acknowledged."},
    "corrects": {
        **_nullable(UUID),
        "description": "On a correction: the id of the notice it corrects, which was sent in error and is withdrawn "
        "(a manager reversed the decision it told of); null on any other notice. A correction keeps the corrected "
        "notice's outcome and outcome date; it asks for no decision.",
    },
    "returned_to": {
        "type": ["string", "null"],
        "description": "On a correction: the state the case returned to (REFERRED, OPTED_IN or ASSESSED); else null.",
    },
    "superseded_at": {
        **_nullable(ref("DateTime")),
        "description": "When a correction took this notice's place (it then leaves both lists); null while in force.",
    },
    "identity_erased": {
        "type": "boolean",
        "description": "Present and true when her record was erased while the notice waited for the CPS: her name "
        "and date of birth are null, and are held nowhere (docs/privacy.md).",
    },
    "subject_erased_at": {
        **_nullable(ref("DateTime")),
        "description": "When her record was erased while this notice waited for the CPS; null otherwise.",
    },
    "erasure_note": {
        "type": ["string", "null"],
        "description": "On a notice whose subject was erased: what the notice says about it (that she asked to be "
        "erased, and until when the URN is kept for the CPS); null otherwise.",
    },
    "kept_until": {
        **_nullable(ref("DateTime")),
        "description": "Until when the URN of an erased woman's notice is kept for the CPS (it goes sooner when the "
        "notice is acknowledged); null when nothing is kept.",
    },
    "unreadable_fields": ref("UnreadableFields"),
}

# Present only when they apply, or only when a field could not be read.
_NOTICE_OPTIONAL = ("unreadable_fields", "identity_withheld", "identity_erased")

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {"type": "string", "enum": ERROR_CODES},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "What is wrong, by field path (client.date_of_birth, goals.0.text).",
                    },
                    "matches": {
                        "type": "array",
                        "items": ref("PossibleMatch"),
                        "description": "With code possible_match only: the earlier referrals of clients with her "
                        "family name and date of birth, newest first.",
                    },
                },
                ["code", "message"],
            )
        },
        ["error"],
    ),
    "Date": {
        "type": "string",
        "format": "date",
        "pattern": DATE_PATTERN,
        "description": "From 1900-01-01 to 2100-12-31; any other date is refused (422) naming the field.",
        "examples": ["2026-12-01"],
    },
    "DateTime": {
        "type": "string",
        "format": "date-time",
        "pattern": DATE_TIME_PATTERN,
        "description": "ISO 8601 with its UTC offset; a time without one is refused (400), one outside the years "
        "1900 to 2100 too (422). Answers are in UTC.",
        "examples": ["2026-12-01T10:00:00+00:00"],
    },
    "Uuid": {"type": "string", "format": "uuid"},
    "State": _enum(State),
    "Outcome": _enum(Outcome),
    "ConsentPurpose": _enum(ConsentPurpose),
    "Domain": _enum(Domain),
    "Service": _enum(Service),
    "OnwardStatus": _enum(ONWARD_STATUSES),
    "ActionOwner": _enum(ACTION_OWNERS),
    "Language": {
        **_enum(LANGUAGES),
        "description": "An ISO 639-1 language code, lower case (ro for Romanian).",
        "x-messages": {"enum": "Must be an ISO 639-1 language code, like ro for Romanian"},
    },
    "ActionStatus": _enum(ACTION_STATUSES),
    "NoticeOutcome": _enum(NoticeOutcome),
    "Decision": _enum(Decision),
    "UnreadableFields": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Fields that failed to decrypt (answered as null); present only when there are any.",
    },
    "ClientInput": _object(
        {
            "given_name": text(100, required=True, one_line=True),
            "family_name": text(100, required=True, one_line=True),
            "date_of_birth": DATE,
            "phone": text(40, nullable=True, one_line=True, description="A UK phone number."),
            "email": text(254, nullable=True, one_line=True),
            **_LANGUAGE_INPUT_PROPERTIES,
        },
        ["given_name", "family_name", "date_of_birth"],
    ),
    "ReferralInput": _object(
        {
            "court": text(
                16,
                required=True,
                one_line=True,
                description="The court's code; court users may refer to their own only.",
            ),
            "urn": {
                "type": "string",
                "pattern": URN_PATTERN,
                "maxLength": 40,
                "description": "Police URN, e.g. 01/AB/12345/26 (separators optional).",
            },
            "offence": {"type": "string", "enum": list(OFFENCES)},
            "first_hearing_date": {
                **DATE,
                "description": "Today or in the last 90 days (a past case's may be older); never in the future.",
            },
            "return_date": {
                **DATE,
                "description": "After the first hearing and after today, unless past_case. On a weekend, a bank "
                "holiday or past the calendar's horizon it needs override_reason.",
            },
            "client": ref("ClientInput"),
            "notes": text(5000, nullable=True),
            "past_case": {
                "type": ["boolean", "null"],
                "description": "Managers only (403 for anyone else): record a case whose return date is today or "
                "has passed. Audited.",
            },
            "override_reason": text(
                200,
                nullable=True,
                description="Why to keep a return date on a weekend, a bank holiday or past the calendar's "
                "horizon; without it, 422.",
            ),
            "link_to_client": {
                **_nullable(UUID),
                "description": "Workers and managers, after a 409 possible_match: the client_id of the earlier "
                "client she is; the new referral is hers. Not with new_person. Court users: 403.",
            },
            "new_person": {
                "type": ["boolean", "null"],
                "description": "Workers and managers, after a 409 possible_match: true when she is none of the "
                "earlier clients; a new client is made and the choice audited. Court users: 403.",
            },
            "scheme": text(
                40,
                nullable=True,
                one_line=True,
                description="The scheme that takes the referral, by its id or short name. Needed only where more "
                "than one scheme serves the court (for workers and managers, more than one of their own): without "
                "it, 422 on scheme.",
            ),
        },
        ["court", "urn", "offence", "first_hearing_date", "return_date", "client"],
    ),
    "PossibleMatch": _object(
        {
            "referral_id": UUID,
            "client_id": {**UUID, "description": "Send as link_to_client when she is this woman."},
            "state": ref("State"),
            "outcome_date": _nullable(DATE),
        },
        ["referral_id", "client_id", "state", "outcome_date"],
        description="An earlier referral of a client with the same family name and date of birth.",
    ),
    "SearchInput": {
        "oneOf": [
            _object(
                {
                    "family_name": text(200, required=True, one_line=True),
                    "date_of_birth": DATE,
                    "cursor": SEARCH_CURSOR,
                    "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 100, "default": 50},
                },
                ["family_name", "date_of_birth"],
                title="ByNameAndDateOfBirth",
            ),
            _object(
                {
                    "urn": {"type": "string", "pattern": URN_PATTERN, "description": "Police URN, any separators."},
                    "cursor": SEARCH_CURSOR,
                    "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 100, "default": 50},
                },
                ["urn"],
                title="ByUrn",
            ),
        ],
        "description": "Her family name with her date of birth, or a URN: exactly one of the two (both or neither: "
        "422). `cursor` is the `next` of the previous page.",
        "x-messages": {"oneOf": "Search by family_name with date_of_birth, or by urn: one of the two"},
    },
    "ClientStatus": _object(
        _CLIENT_STATUS_PROPERTIES, [name for name in _CLIENT_STATUS_PROPERTIES if name != "identity_withheld"]
    ),
    # Support staff see her identity whatever her consent to share says: nothing is withheld from them.
    "ClientRecord": _object(
        {**_CLIENT_RECORD_PROPERTIES, "phone": NULLABLE_TEXT, "email": NULLABLE_TEXT, **_LANGUAGE_RECORD_PROPERTIES},
        [*_CLIENT_RECORD_PROPERTIES, "phone", "email", *_LANGUAGE_RECORD_PROPERTIES],
    ),
    "AppointmentStatus": _object(_APPOINTMENT_STATUS_PROPERTIES, list(_APPOINTMENT_STATUS_PROPERTIES)),
    "Appointment": _object(
        {
            **_APPOINTMENT_STATUS_PROPERTIES,
            "referral_id": UUID,
            "duration_minutes": {"type": "integer"},
            "venue_id": {**_nullable(UUID), "description": "The venue it is at; null for somewhere else."},
            "location": {
                **NULLABLE_TEXT,
                "description": "Where, as text: the venue's name and address, or the place given as somewhere "
                "else (kept encrypted); null when no place was given.",
            },
            "notes": {**NULLABLE_TEXT, "description": "Attendance notes: in the case record only."},
        },
        [*_APPOINTMENT_STATUS_PROPERTIES, "referral_id", "duration_minutes", "venue_id", "location"],
    ),
    "Venue": _object(
        {"id": UUID, "name": {"type": "string"}, "address": {"type": "string"}},
        ["id", "name", "address"],
    ),
    "VenueList": _object(
        {
            "items": {"type": "array", "items": ref("Venue")},
            "next": {"type": "null", "description": "The list is short and comes in one page."},
        },
        ["items", "next"],
    ),
    "CaseStatus": _object(
        {
            **_CASE_STATUS_PROPERTIES,
            "appointments": {"type": "array", "items": ref("AppointmentStatus")},
            "possible_previous_referral": {
                "type": "boolean",
                "description": "On a court user's answer to createReferral only, always: true when someone with "
                "her family name and date of birth was referred before, and a support worker will resolve it.",
            },
        },
        [*_CASE_STATUS_REQUIRED, "appointments"],
        description="A case as court and CPS users see it: no contact details, no notes.",
    ),
    "CaseRecord": _object(
        _CASE_RECORD_PROPERTIES,
        _CASE_RECORD_REQUIRED,
        description="A case as support workers and managers see it.",
    ),
    "EndedCase": _object(
        {**_CASE_RECORD_PROPERTIES, "notice_id": NOTICE_MADE},
        [*_CASE_RECORD_REQUIRED, "notice_id"],
        description="The case as support workers and managers see it, after a decision that ended it.",
    ),
    "Case": {
        "oneOf": [ref("CaseStatus"), ref("CaseRecord")],
        "discriminator": {
            "propertyName": "view",
            "mapping": {"status": "#/components/schemas/CaseStatus", "record": "#/components/schemas/CaseRecord"},
        },
        "description": "The case as the caller may see it: `view` says which shape it is.",
    },
    "CaseListItem": _object(_CASE_STATUS_PROPERTIES, _CASE_STATUS_REQUIRED),
    "CaseList": _object(
        {
            "items": {"type": "array", "items": ref("CaseListItem")},
            "next": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null at the end."},
        },
        ["items", "next"],
    ),
    "ConsentInput": _object(
        {
            "purpose": ref("ConsentPurpose"),
            "given": {"type": "boolean", "description": "false refuses, or withdraws a consent given before."},
            "wording_version": text(
                32,
                nullable=True,
                one_line=True,
                description="The version of the purpose's wording she was read (GET /consent-wordings?referral_id=); "
                "null or absent: the case's, the one its programme version names. A version the scheme's register "
                "does not hold for the purpose is 422, and so is agreement (given true) to any version but the "
                "case's.",
            ),
        },
        ["purpose", "given"],
    ),
    "ConsentWording": _object(
        {
            "scheme": {"type": "string", "description": "The short name of the scheme whose wording this is."},
            "purpose": ref("ConsentPurpose"),
            "version": {"type": "string", "description": "Send as `wording_version` when recording her answer."},
            "text": {"type": "string", "description": "The words she is read, exactly."},
            "published_at": ref("DateTime"),
        },
        ["scheme", "purpose", "version", "text", "published_at"],
    ),
    "ConsentWordingList": _object(
        {
            "items": {"type": "array", "items": ref("ConsentWording")},
            "next": {
                "type": "null",
                "description": "Always null: one item per purpose (and scheme), on one page.",
            },
        },
        ["items", "next"],
    ),
    "ConsentLine": _object(
        {
            "id": {"type": "integer"},
            "referral_id": UUID,
            "purpose": ref("ConsentPurpose"),
            "given": {"type": "boolean"},
            "wording_version": {"type": "string"},
            "recorded_at": ref("DateTime"),
            "state": ref("State"),
            "version": {"type": "integer"},
            "notice_id": NOTICE_MADE,
        },
        ["id", "referral_id", "purpose", "given", "wording_version", "recorded_at", "state", "version", "notice_id"],
    ),
    "ReturnDateInput": _object(
        {
            "return_date": {
                **DATE,
                "description": "After the first hearing. On a weekend, a bank holiday or past the calendar's "
                "horizon it needs override_reason.",
            },
            "reason": text(2000, required=True),
            "version": {"type": "integer", "description": "The case's version as last read."},
            "override_reason": text(
                200,
                nullable=True,
                description="Why to keep a return date on a weekend, a bank holiday or past the calendar's "
                "horizon; without it, 422.",
            ),
        },
        ["return_date", "reason", "version"],
    ),
    "WithdrawInput": _object({"reason": text(2000, required=True)}, ["reason"]),
    "AccessInput": _object(
        {
            "reason": text(
                MAX_ACCESS_REASON,
                required=True,
                description='Why she opens a colleague\'s case, in her words ("covering court today"). Kept '
                "encrypted with the case for the scheme's managers to read; never in the answer or the audit log.",
            )
        },
        ["reason"],
    ),
    "CaseAccess": _object(
        {
            "referral_id": UUID,
            "granted": {
                "type": "boolean",
                "description": "True: she opens the case through a reason given today, until `until`. False: she "
                "needs no reason for this case (her own, one with no worker, a team scheme's, or she is a "
                "manager), and nothing was recorded.",
            },
            "until": {
                **_nullable(ref("DateTime")),
                "description": "When the grant ends: midnight at the end of the day it was given, in London. Null "
                "when no reason is needed.",
            },
        },
        ["referral_id", "granted", "until"],
    ),
    "BookingInput": _object(
        {
            "number": {
                "type": "integer",
                "minimum": 1,
                "description": "Which appointment of the case's programme: 1 up to the number of appointments of "
                "the programme version the case started under (2 in the first edition's programme, 3 in an "
                "Engagement and Support Order); a higher number is refused with 422. Appointment n is booked once "
                "n - 1 is attended.",
            },
            "starts_at": {**ref("DateTime"), "description": "A past time is allowed (recorded afterwards)."},
            "duration_minutes": {"type": ["integer", "null"], "minimum": 5, "maximum": 480, "default": 60},
            "venue_id": {
                **_nullable(UUID),
                "description": "One of the active venues (GET /venues). Leave it null for somewhere else.",
            },
            "location": text(
                120,
                nullable=True,
                description="Somewhere else: a place not on the venue list, kept encrypted. Not with venue_id.",
            ),
            "override_reason": text(
                200,
                nullable=True,
                description="Why to book despite a warning (weekend, bank holiday, clash); without it, 422.",
            ),
            "supersedes": {**_nullable(UUID), "description": "The appointment a rebooking replaces (same number)."},
            "rebook_reason": text(200, nullable=True, description="Why it is rebooked; needed with supersedes."),
        },
        ["number", "starts_at"],
    ),
    "OutcomeInput": _object({"outcome": ref("Outcome"), "notes": text(5000, nullable=True)}, ["outcome"]),
    "AssessmentInput": _object(
        {
            "domains": _object(
                {domain.value: _DOMAIN_INPUT for domain in Domain},
                [domain.value for domain in Domain],
                description="All twelve needs domains.",
            ),
            "risk_notes": text(2000, nullable=True),
            "exploitation_indicators": {
                "type": ["array", "null"],
                "items": {"type": "string", "enum": list(EXPLOITATION_INDICATORS)},
            },
            "version": {"type": ["integer", "null"], "description": "Needed once an assessment exists."},
        },
        ["domains"],
    ),
    "Assessment": _object(
        {
            "id": UUID,
            "referral_id": UUID,
            "version": {"type": "integer"},
            "completed_at": _nullable(ref("DateTime")),
            "domains": _object(
                {domain.value: _DOMAIN_OUTPUT for domain in Domain}, [domain.value for domain in Domain]
            ),
            "risk_notes": NULLABLE_TEXT,
            "exploitation_indicators": {"type": "array", "items": {"type": "string"}},
            "has_safeguarding_flag": {"type": "boolean"},
            "unreadable_fields": ref("UnreadableFields"),
        },
        [
            "id",
            "referral_id",
            "version",
            "completed_at",
            "domains",
            "risk_notes",
            "exploitation_indicators",
            "has_safeguarding_flag",
        ],
    ),
    "CarePlanInput": _object(
        {
            "goals": {
                "type": "array",
                "maxItems": 12,
                "items": _object(
                    {
                        "domain": ref("Domain"),
                        "text": text(1000, required=True),
                        "actions": {
                            "type": ["array", "null"],
                            "maxItems": 10,
                            "items": _object(
                                {
                                    "text": text(1000, required=True),
                                    "owner": ref("ActionOwner"),
                                    "due_date": NULLABLE_DATE,
                                    "status": _nullable(ref("ActionStatus")),
                                },
                                ["text", "owner"],
                            ),
                        },
                    },
                    ["domain", "text"],
                ),
            },
            "onward_referrals": {
                "type": "array",
                "items": _object({"service": ref("Service"), "status": ref("OnwardStatus")}, ["service", "status"]),
            },
            "agreed": {
                "type": "boolean",
                "description": "Her agreement; with every other step of the case's programme done (each appointment "
                "attended, the assessment recorded), completes. Recorded once the appointment that produces the plan "
                "(the programme's last: appointment 2 of two, 3 of three) is attended.",
            },
            "notes": text(5000, nullable=True),
            "version": {"type": ["integer", "null"], "description": "Needed once a plan exists."},
        },
        ["goals", "onward_referrals", "agreed"],
    ),
    "CarePlan": _object(_CARE_PLAN_PROPERTIES, _CARE_PLAN_REQUIRED),
    "CarePlanSaved": _object(
        {**_CARE_PLAN_PROPERTIES, "state": ref("State"), "notice_id": NOTICE_MADE},
        [*_CARE_PLAN_REQUIRED, "state", "notice_id"],
        description="The plan saved, the state of the case after it, and the outcome notice the save made when it "
        "completed the case.",
    ),
    "Notice": _object(
        _NOTICE_PROPERTIES,
        [
            name
            for name in _NOTICE_PROPERTIES
            if name not in ("unreadable_fields", "identity_withheld", "identity_erased")
        ],
        description="An outcome notice: the case's URN, court, her name and date of birth, the outcome and the "
        "CPS's decision. Never anything of the assessment, the plan, notes or contact details.",
    ),
    "NoticeList": _object(
        {
            "items": {"type": "array", "items": ref("Notice")},
            "next": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null at the end."},
        },
        ["items", "next"],
    ),
    "AcknowledgeInput": _object(
        {
            "decision": {
                **_nullable(ref("Decision")),
                "description": "Required on a notice: discontinued only for a completed diversion; otherwise "
                "proceeding (422). Left out on a correction, which asks for no decision (422 if given).",
            },
            "decided_on": {**DATE, "description": "Today or before, and not before the outcome date (422)."},
        },
        ["decided_on"],
    ),
    "CompletionReport": _object(
        {
            "from": {**DATE, "description": "The period's first day (included)."},
            "to": {**DATE, "description": "The period's last day (included)."},
            "court": {"type": ["string", "null"], "description": "The court's code; null for every court."},
            **_REPORT_SCOPE,
            **_COMPLETION_FIGURES,
            "definition": {"type": "string", "description": "What each figure counts, in words."},
            "by_scheme": {
                "type": "array",
                "items": _object(
                    {
                        "scheme": {"type": "string", "description": "The scheme's short name."},
                        "name": {"type": "string", "description": "The scheme's name."},
                        **_COMPLETION_FIGURES,
                    },
                    ["scheme", "name", *_COMPLETION_FIGURES],
                ),
                "description": "When the report counts several schemes (a manager's, without `scheme`): each "
                "scheme's figures, whose counts add up to the report's. Empty otherwise.",
            },
        },
        [
            "from",
            "to",
            "court",
            *_REPORT_SCOPE,
            *_COMPLETION_FIGURES,
            "definition",
            "by_scheme",
        ],
        description="The completion report of a period and court (docs/design.md section 3), over the cases the "
        "caller may see: a manager's schemes, or the one asked for; a court user's court; a CPS user's courts.",
    ),
    "OutcomesReport": _object(
        {
            "from": {**DATE, "description": "The period's first day (included)."},
            "to": {**DATE, "description": "The period's last day (included)."},
            "court": {"type": ["string", "null"], "description": "The court's code; null for every court."},
            **_REPORT_SCOPE,
            "suppressed": {"type": "boolean", "description": "Whether small numbers are suppressed."},
            "suppression": {"type": ["string", "null"], "description": "How they are suppressed; null when not."},
            "indicators": {
                "type": "array",
                "items": _object(
                    {
                        "key": {"type": "string"},
                        "name": {"type": "string"},
                        "definition": {"type": "string"},
                        "format": _enum(["count", "rate", "mean", "median"]),
                        "by": {"type": ["string", "null"], "description": "What the rows after the first are by."},
                        "reference": {"type": ["number", "null"], "description": "A rate to compare with."},
                        "rows": {
                            "type": "array",
                            "items": _object(
                                {
                                    "group": {"type": "string", "description": "`all` for the total, or a group."},
                                    "value": OUTCOME_VALUE,
                                    "numerator": OUTCOME_VALUE,
                                    "denominator": OUTCOME_VALUE,
                                },
                                ["group", "value", "numerator", "denominator"],
                            ),
                        },
                    },
                    ["key", "name", "definition", "format", "by", "reference", "rows"],
                ),
            },
        },
        ["from", "to", "court", *_REPORT_SCOPE, "suppressed", "suppression", "indicators"],
        description="The funder return's indicators for a period and court, over the manager's schemes or the one "
        "asked for. A suppressed count reads `<5`; a withheld one, or a rate, mean or median made from it, `[c]`.",
    ),
}

# --- Contact preferences (docs/api.md, "Contact preferences"; docs/notifications.md) ---
HOUR_MINUTE = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
_QUIET_HOURS = {
    **_object(
        {
            end: {**HOUR_MINUTE, "examples": [example], "x-messages": QUIET_HOURS_MESSAGES[end]}
            for end, example in (("from", "21:00"), ("to", "08:00"))
        },
        ["from", "to"],
    ),
    "type": ["object", "null"],
    "description": "Hours (Europe/London) when no message is sent to her, HH:MM in 24-hour time; the window may "
    "run past midnight and its ends must differ. null for none.",
}
_CONTACT_FLAGS = {
    "may_text": {"type": "boolean", "description": "Texts are safe; true needs a phone number on record."},
    "may_voicemail": {"type": "boolean", "description": "Voicemail is safe."},
    "may_email": {"type": "boolean", "description": "Email is safe; true needs an email address on record."},
}
SCHEMAS["ContactPreferences"] = _object(
    {
        **_CONTACT_FLAGS,
        "quiet_hours": _QUIET_HOURS,
        "note": {"type": "string", "description": "Free text for her worker; shown, never enforced."},
    },
    ["may_text", "may_voicemail", "may_email", "quiet_hours", "note"],
    description="How it is safe to contact her. A question not yet answered reads as false.",
)
SCHEMAS["ContactPreferencesInput"] = _object(
    {**_CONTACT_FLAGS, "quiet_hours": _QUIET_HOURS, "note": text(200)},
    ["may_text", "may_voicemail", "may_email", "quiet_hours"],
    description="The whole record (a PUT): every field but `note` is required; a `note` left out keeps hers.",
)

# --- Modern slavery: the National Referral Mechanism task (docs/api.md, "Modern slavery"; docs/modern-slavery.md) ---
SCHEMAS["NrmOutcome"] = _enum(NrmOutcome)
_MODERN_SLAVERY_PROPERTIES: dict[str, Any] = {
    "indicated": {"type": "boolean", "description": "Her needs assessment records signs of exploitation."},
    "to_consider": {
        "type": "boolean",
        "description": "The task is open: signs of exploitation recorded and no outcome yet.",
    },
    "task": {
        **NULLABLE_TEXT,
        "description": "What the worker is asked to do while the task is open (its wording follows whether the "
        "organisation is a first responder); null otherwise.",
    },
    "first_responder": {"type": "boolean", "description": "The case's organisation is a first responder."},
    "outcome": {**_nullable(ref("NrmOutcome")), "description": "What was done; null while nothing is recorded."},
    "date": {**_nullable(DATE), "description": "The day it was done; null while nothing is recorded."},
    "note": {**NULLABLE_TEXT, "description": "The note recorded with it (kept encrypted); null for none."},
    "version": {
        "type": "integer",
        "minimum": 0,
        "description": "The outcome's version, to send back with a change; 0 while nothing is recorded.",
    },
}
SCHEMAS["ModernSlavery"] = _object(
    {**_MODERN_SLAVERY_PROPERTIES, "unreadable_fields": ref("UnreadableFields")},
    list(_MODERN_SLAVERY_PROPERTIES),
    description="The National Referral Mechanism task of a case, for support staff.",
)
SCHEMAS["ModernSlaveryRecorded"] = _object(
    {"referral_id": UUID, **_MODERN_SLAVERY_PROPERTIES, "unreadable_fields": ref("UnreadableFields")},
    ["referral_id", *_MODERN_SLAVERY_PROPERTIES],
    description="The task after recording its outcome.",
)
SCHEMAS["ModernSlaveryInput"] = _object(
    {
        "outcome": {
            **ref("NrmOutcome"),
            "description": "What was done; duty_to_notify only where the organisation is a first responder (else 422).",
        },
        "date": {**DATE, "description": "The day it was done: not in the future, not before the referral (else 422)."},
        "note": text(MAX_NRM_NOTE, nullable=True),
        "version": {
            "type": ["integer", "null"],
            "description": "The version it was read at (the case's modern_slavery.version): needed once an outcome is "
            "recorded; a stale one is 409.",
        },
    },
    ["outcome", "date"],
)
