"""The OpenAPI 3.1 document of API v1, written by hand to match docs/api.md exactly, and served at /api/v1/openapi.json.

Each operation names the permission rule of its view (``x-rule``) and the roles that pass it (``x-roles``); the
tests check both against the routes, so the document cannot drift from what the API enforces.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from diversion.api import bp
from diversion.api.contact_document import CONTACT_PATHS, CONTACT_SCHEMAS
from diversion.api.files_document import FILE_PATHS, FILE_SCHEMAS
from diversion.api.schemas import DATE, SCHEMAS, UUID, json_content, ref, text
from diversion.api.schemas import error_responses as _errors
from diversion.api.schemas import query_parameter as _query
from diversion.api.webhook_document import WEBHOOK_PATHS, WEBHOOK_SCHEMAS
from diversion.organisations.models import SLUG_MAX
from diversion.permissions import RULES, public
from diversion.referrals.queries import CURSOR_PATTERN

ERROR_DESCRIPTIONS = {
    400: "Malformed: not JSON, not an object, a wrong type, an unparseable date or time, or a time without offset.",
    401: "No bearer token, or a revoked or unknown one.",
    403: "The caller's role may not do this; or (code reason_required) a support worker asked for a colleague's case "
    "in a scheme where workers open their own and unassigned cases, and must give a reason first "
    "(POST /referrals/{referral_id}/access). Nothing was read or changed.",
    404: "No such object, or one outside the caller's scope (another court's case).",
    409: "A stale version, or a duplicate (an open case with this URN, a notice already acknowledged), or a POST "
    "whose Idempotency-Key is still in use by a request being processed, or (code possible_match, with matches) a "
    "referral of someone who may have been referred before.",
    415: "The body was not sent as JSON (Content-Type application/json, or a +json type). Nothing was changed.",
    422: "Valid JSON that breaks a rule of the service, or misses a required field, or an Idempotency-Key already "
    "used with a different request. Nothing was changed.",
    405: "The address does not take this method: the Allow header names the methods it does take.",
    413: "The body is larger than the service takes (1 MB by default): refused unread, and nothing was changed.",
    500: "Something went wrong in the service. Nothing was changed; the error was logged. Report it if it recurs.",
    503: "The database or the key store is unavailable. Nothing was changed; try again later.",
}
ALLOW_HEADER = {
    "Allow": {
        "description": "The methods the address takes, comma-separated.",
        "required": True,
        "schema": {"type": "string"},
    }
}
# What every operation can answer, whatever it does (docs/api.md, "Errors"): another method on its address (405),
# a body too large (413, refused before anything else, on any method), and the service failing (500) or a database
# or key store down (503; for the document itself, which reads no database, not that).
EVERY_OPERATION = ("405", "413", "500")
NEEDS_THE_DATABASE = ("503",)


def _operation(
    operation_id: str,
    rule: str,
    summary: str,
    responses: dict[str, Any],
    *,
    body: str | None = None,
    parameters: list[Any] | None = None,
    description: str = "",
) -> dict[str, Any]:
    roles = sorted(role.value for role in RULES[rule])
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "description": (description + "\n\n" if description else "") + "Roles: " + ", ".join(roles) + ".",
        "x-rule": rule,
        "x-roles": roles,
        "responses": responses,
    }
    if parameters:
        operation["parameters"] = parameters
    if body:
        # The body is validated against this very schema (diversion/api/contract.py); see _every_answer for 415.
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    return operation


REFERRAL_ID = {"$ref": "#/components/parameters/referral_id"}
APPOINTMENT_ID = {"$ref": "#/components/parameters/appointment_id"}
NOTICE_ID = {"$ref": "#/components/parameters/notice_id"}


CURSOR = _query(
    "cursor", {"type": "string", "pattern": CURSOR_PATTERN}, "The `next` of the previous page (opaque: pass it on)."
)

# A search by who she is (urn, or family_name with date_of_birth) is a POST, so that her identity never travels in
# a URL (docs/api.md, "Search by POST"): those are not parameters of this list.
LIST_PARAMETERS = [
    _query("court", text(16), "Cases of the court with this code."),
    _query("state", ref("State"), "Cases in this state."),
    _query("return_date", DATE, "Cases with this return date."),
    CURSOR,
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}, "Page size."),
]

SCHEME_PARAMETER = (
    "The short name of one of the manager's schemes: the figures of that scheme alone. Without it, all her schemes "
    '(docs/organisations.md, "Reports").'
)
NOTICE_LIST_PARAMETERS = [
    _query(
        "status",
        {"type": "string", "enum": ["new", "acknowledged"], "default": "new"},
        "new (the default: not yet acknowledged, what the CPS still has to act on) or acknowledged.",
    ),
    _query("since", DATE, "Notices made on or after this day (London time)."),
    CURSOR,
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}, "Page size."),
]

PATHS: dict[str, Any] = {
    "/referrals": {
        "post": _operation(
            "createReferral",
            "make_referral",
            "Refer a defendant to the scheme",
            {
                "201": json_content(
                    ref("Case"),
                    "The referral as the caller may see it.",
                    headers={"Location": {"required": True, "schema": {"type": "string"}}},
                ),
                **_errors(400, 401, 403, 409, 422),
            },
            body="ReferralInput",
            description="Court users refer to their own court only (403 otherwise). 422 for someone under 18, a "
            "return date not after the first hearing, or a malformed URN; 409 while a case with that URN is open. "
            "Support workers and managers: 409 possible_match, with `matches` (the earlier referrals and their "
            "client ids), when someone with her family name and date of birth was referred before and the body "
            "says neither link_to_client nor new_person; nothing is made. Court users: the referral is made and "
            "the answer carries possible_previous_referral (true or false), and nothing about other referrals. "
            "422 too for a return date not after today (a manager may record a past case with past_case), a first "
            "hearing in the future or more than 90 days ago, and a return date on a weekend, a bank holiday or past "
            "the calendar's horizon without override_reason.",
        ),
        "get": _operation(
            "listReferrals",
            "referral_status",
            "List cases",
            {"200": json_content(ref("CaseList"), "A page of cases, newest first."), **_errors(400, 401, 403, 422)},
            parameters=LIST_PARAMETERS,
            description="Court users see their own court's cases only; a support worker in a scheme with the "
            "assigned access rule, her own cases and those with no worker. Each case in the answer is audited as "
            "read. 422 for a date outside 1900 to 2100. Her identity never goes in an address: `family_name`, "
            "`date_of_birth` or `urn` in the query answer 400 (validation_error), pointing at searchReferrals.",
        ),
    },
    "/referrals/search": {
        "post": _operation(
            "searchReferrals",
            "referral_status",
            "Find her cases by family name and date of birth, or by URN",
            {"200": json_content(ref("CaseList"), "A page of her cases, newest first."), **_errors(400, 401, 403, 422)},
            body="SearchInput",
            description="Identity travels in the body, never in an address. Exactly one of the two forms: both or "
            "neither is 422. Court users see their own court's cases only; court and CPS users do not find a case "
            "whose sharing she withdrew. A support worker in a scheme with the assigned access rule finds a "
            "colleague's case too, its identity withheld until she gives a reason to open it. Each case in the "
            "answer is audited as read, as the list's are. A search "
            "changes nothing: an Idempotency-Key is accepted and not kept.",
        ),
    },
    "/referrals/{referral_id}": {
        "parameters": [REFERRAL_ID],
        "get": _operation(
            "getReferral",
            "referral_status",
            "A case",
            {"200": json_content(ref("Case"), "The case as the caller may see it."), **_errors(401, 403, 404)},
            description="Court and CPS users get the status shape (CaseStatus); support staff the record (CaseRecord).",
        ),
        "patch": _operation(
            "changeReturnDate",
            "client_records",
            "Re-adjourn: change the return date",
            {"200": json_content(ref("Case"), "The case."), **_errors(400, 401, 403, 404, 409, 422)},
            body="ReturnDateInput",
        ),
    },
    "/referrals/{referral_id}/access": {
        "parameters": [REFERRAL_ID],
        "post": _operation(
            "openWithReason",
            "client_records",
            "Give a reason to open a colleague's case",
            {
                "201": json_content(ref("CaseAccess"), "A reason was recorded: she opens the case until `until`."),
                "200": json_content(
                    ref("CaseAccess"),
                    "Nothing was recorded: no reason is needed (`granted` false), or she gave one today already.",
                ),
                **_errors(400, 401, 403, 404, 422),
            },
            body="AccessInput",
            description="In a scheme with the assigned access rule a support worker opens her own cases and those "
            "with no worker; every record endpoint of a colleague's case answers 403 reason_required until she "
            "gives a reason here. The reason lets her open that case until the end of the day in London; it is "
            "kept encrypted for the scheme's managers, and the grant is audited (case.break_glass), as is each "
            "read through it. 422 for an empty reason or one over 500 characters. See docs/organisations.md, "
            "Need to know.",
        ),
    },
    "/consent-wordings": {
        "get": _operation(
            "listConsentWordings",
            "client_records",
            "The consent wordings in use",
            {
                "200": json_content(ref("ConsentWordingList"), "The wording of each purpose."),
                **_errors(400, 401, 403, 404),
            },
            parameters=[
                _query(
                    "referral_id",
                    UUID,
                    "The case whose wordings are wanted: those of the programme version it started under. Without "
                    "it, the wordings a new case of each of your schemes is read.",
                )
            ],
            description="The words she is read for each purpose, and the version to send as `wording_version` when "
            "recording her answer. Each scheme's programme names its wordings, and a case reads her those of the "
            "version it started under. Old versions are kept, never edited; a new one is published on the "
            "programme page.",
        ),
    },
    "/referrals/{referral_id}/consent": {
        "parameters": [REFERRAL_ID],
        "post": _operation(
            "recordConsent",
            "client_records",
            "Record consent given, refused or withdrawn",
            {"201": json_content(ref("ConsentLine"), "The ledger line."), **_errors(400, 401, 403, 404, 422)},
            body="ConsentInput",
            description="support and share_with_court_cps given: OPTED_IN; either refused first: DECLINED; either "
            "withdrawn later: WITHDRAWN, and notice_id names the outcome notice made. The line points at the "
            "wording version named by `wording_version` (the case's when null); an unknown version, or "
            "agreement to any version but the case's, is 422 with a `wording_version` field error.",
        ),
    },
    "/referrals/{referral_id}/withdraw": {
        "parameters": [REFERRAL_ID],
        "post": _operation(
            "withdrawReferral",
            "client_records",
            "She withdraws from the scheme",
            {
                "200": json_content(ref("EndedCase"), "The case, WITHDRAWN, with the outcome notice made."),
                **_errors(400, 401, 403, 404, 422),
            },
            body="WithdrawInput",
        ),
    },
    "/referrals/{referral_id}/appointments": {
        "parameters": [REFERRAL_ID],
        "post": _operation(
            "bookAppointment",
            "client_records",
            "Book or rebook an appointment",
            {"201": json_content(ref("Appointment"), "The appointment."), **_errors(400, 401, 403, 404, 422)},
            body="BookingInput",
            description="422 after the return date, before consent, or number 2 before number 1 is attended; a "
            "weekend, bank holiday or clash needs override_reason. 422 for an unknown or retired venue_id, or for "
            "venue_id and location together.",
        ),
    },
    "/venues": {
        "get": _operation(
            "listVenues",
            "client_records",
            "List the venues appointments can be booked at",
            {"200": json_content(ref("VenueList"), "The active venues, by name."), **_errors(401, 403)},
            description="The agency's own places, kept by the service manager. Pass a venue's id as `venue_id` "
            "when booking; a place not on the list goes in `location`.",
        ),
    },
    "/appointments/{appointment_id}/outcome": {
        "parameters": [APPOINTMENT_ID],
        "post": _operation(
            "recordOutcome",
            "client_records",
            "Record what happened at an appointment",
            {"200": json_content(ref("Appointment"), "The appointment."), **_errors(400, 401, 403, 404, 422)},
            body="OutcomeInput",
            description="422 for an appointment whose time has not come.",
        ),
    },
    "/referrals/{referral_id}/assessment": {
        "parameters": [REFERRAL_ID],
        "put": _operation(
            "saveAssessment",
            "client_records",
            "Save the needs assessment",
            {"200": json_content(ref("Assessment"), "The assessment."), **_errors(400, 401, 403, 404, 409, 422)},
            body="AssessmentInput",
        ),
        "get": _operation(
            "getAssessment",
            "client_records",
            "The needs assessment",
            {"200": json_content(ref("Assessment"), "The assessment."), **_errors(401, 403, 404)},
            description="404 until one is saved. Audited as a read of the case.",
        ),
    },
    "/referrals/{referral_id}/contact-preferences": {
        "parameters": [REFERRAL_ID],
        "get": _operation(
            "getContactPreferences",
            "client_records",
            "Her contact preferences",
            {"200": json_content(ref("ContactPreferences"), "Her contact preferences."), **_errors(401, 403, 404)},
            description="Audited as a read of the case. See docs/api.md, Contact preferences.",
        ),
        "put": _operation(
            "saveContactPreferences",
            "client_records",
            "Replace her contact preferences",
            {
                "200": json_content(ref("ContactPreferences"), "Her contact preferences as saved."),
                **_errors(400, 401, 403, 404, 409, 422),
            },
            body="ContactPreferencesInput",
            description="The same rules as the web form: quiet hours both times or null, HH:MM, ends that differ; "
            "may_text needs a phone on record and may_email an email (422 naming the field). Audited by field "
            "name, never by value.",
        ),
    },
    "/referrals/{referral_id}/modern-slavery": {
        "parameters": [REFERRAL_ID],
        "put": _operation(
            "saveModernSlavery",
            "client_records",
            "Record what was done about a National Referral Mechanism referral",
            {
                "200": json_content(ref("ModernSlaveryRecorded"), "The case's task, with the outcome recorded."),
                **_errors(400, 401, 403, 404, 409, 422),
            },
            body="ModernSlaveryInput",
            description="Where her needs assessment records signs of exploitation (the case's "
            "modern_slavery.indicated): nrm_referred, duty_to_notify (a first responder organisation only), declined "
            "or not_applicable, and the day. 422 where nothing was indicated, for a day in the future or before the "
            "referral, and for duty_to_notify elsewhere; 409 for a stale version. The note is kept encrypted and "
            "never audited. See docs/api.md, Modern slavery.",
        ),
    },
    "/referrals/{referral_id}/care-plan": {
        "parameters": [REFERRAL_ID],
        "put": _operation(
            "saveCarePlan",
            "client_records",
            "Save the Care Action Plan",
            {
                "200": json_content(
                    ref("CarePlanSaved"), "The plan, the case's state, and the notice a completion made."
                ),
                **_errors(400, 401, 403, 404, 409, 422),
            },
            body="CarePlanInput",
        ),
        "get": _operation(
            "getCarePlan",
            "client_records",
            "The Care Action Plan",
            {"200": json_content(ref("CarePlan"), "The plan."), **_errors(401, 403, 404)},
            description="404 until one is saved. Audited as a read of the case.",
        ),
    },
    "/notices": {
        "get": _operation(
            "listNotices",
            "notices",
            "List outcome notices",
            {
                "200": json_content(ref("NoticeList"), "A page of notices, newest first."),
                **_errors(400, 401, 403, 422),
            },
            parameters=NOTICE_LIST_PARAMETERS,
            description="Without `status`, the new notices: the CPS's inbox. Court users see their own court's "
            "notices only. Each notice's case is audited as read. A notice carries no support content. 422 for a "
            "date outside 1900 to 2100. A correction of an earlier notice (a decision a manager reversed) is listed "
            "as a new notice with `corrects` naming the notice it corrects; the superseded notice leaves the lists.",
        ),
    },
    "/notices/{notice_id}/acknowledge": {
        "parameters": [NOTICE_ID],
        "post": _operation(
            "acknowledgeNotice",
            "cps_decisions",
            "The CPS acknowledges a notice and records its decision",
            {
                "200": json_content(ref("Notice"), "The notice, acknowledged."),
                **_errors(400, 401, 403, 404, 409, 422),
            },
            body="AcknowledgeInput",
            description="A notice is acknowledged once: a second time is refused (409) and changes nothing. 422 for "
            "discontinued after an outcome other than completed, or a decision date in the future or before the "
            "outcome date. A correction (`corrects` set) is acknowledged with no decision; a superseded notice is "
            "refused (409): acknowledge its correction.",
        ),
    },
    "/reports/completion": {
        "get": _operation(
            "getCompletionReport",
            "completion_reports",
            "The completion report of a period and court",
            {
                "200": json_content(ref("CompletionReport"), "The figures, the rates and their definition."),
                **_errors(400, 401, 403, 404, 422),
            },
            parameters=[
                _query("from", DATE, "The period's first day; with `to`. Without both: the current quarter."),
                _query("to", DATE, "The period's last day (included); with `from`."),
                _query("court", text(16), "A court's code; every court without it. Court users get their own."),
                _query("scheme", text(SLUG_MAX), SCHEME_PARAMETER),
            ],
            description="The figures count only the cases the caller may see: a manager's schemes (each scheme's "
            "figures beside the total in `by_scheme` when there are several), a court user's court, a CPS user's "
            "courts. Court users see their own court's figures only: another court's code answers 404, as does "
            "an unknown code or a court the caller's report cannot be narrowed to. `scheme` names one of a "
            "manager's schemes: any other answers 404, as does any `scheme` from a court or CPS user. 400 for an "
            "unreadable date; 422 for only one of `from` and `to`, `to` before `from`, or a period over ten years. "
            "Counts only: no case and no person is in the answer.",
        ),
    },
    "/reports/outcomes": {
        "get": _operation(
            "getOutcomesReport",
            "outcome_reports",
            "The funded-outcome figures of a period and court: the funder return's indicators",
            {
                "200": {
                    "description": "The indicators, each with its definition and its rows (the total first, then its "
                    "groups); as CSV or XLSX with `format`.",
                    "content": {
                        "application/json": {"schema": ref("OutcomesReport")},
                        "text/csv": {"schema": {"type": "string"}},
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                            "schema": {"type": "string", "contentMediaType": "application/octet-stream"}
                        },
                    },
                },
                **_errors(400, 401, 403, 404, 422),
            },
            parameters=[
                _query("from", DATE, "The period's first day; with `to`. Without both: the current quarter."),
                _query("to", DATE, "The period's last day (included); with `from`."),
                _query("court", text(16), "A court's code; every court of the manager's schemes without it."),
                _query("scheme", text(SLUG_MAX), SCHEME_PARAMETER),
                _query(
                    "format",
                    {"type": "string", "enum": ["json", "csv", "xlsx"], "default": "json"},
                    "The answer's format.",
                ),
                _query(
                    "suppress",
                    {"type": "string", "enum": ["true", "false"], "default": "true"},
                    "Small-number suppression: counts from 1 to 4 read `<5`, and a second count is withheld (`[c]`) "
                    "where a total would give one away. On by default.",
                ),
            ],
            description="The indicators are defined in the service's indicators file, counted over the manager's "
            "schemes, or the one `scheme` names (any other answers 404); exports name what they count in `scope`. "
            "An unknown court code, or one her schemes do not serve, answers 404. 400 for an unreadable date, or an "
            "unknown `format` or `suppress`; 422 for only one of `from` and `to`, `to` before `from`, or a period "
            "over ten years. Counts only: no case and no person is in the answer.",
        ),
    },
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document",
            "security": [],
            "responses": {"200": json_content({"type": "object"}, "The OpenAPI document.")},
        }
    },
}

IDEMPOTENCY_KEY = {"$ref": "#/components/parameters/idempotency_key"}
IDEMPOTENCY_NOTE = (
    "Send an `Idempotency-Key` to make a retry safe: a repeat within 24 hours gets the first answer again (marked "
    "`Idempotent-Replayed: true`) and changes nothing; the same key with a different body is 422; a repeat while the "
    "first is still being processed is 409. A refused request (4xx) is not remembered. See docs/idempotency.md."
)
REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the remembered answer to an earlier request with the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


# POSTs that only read (diversion/api/idempotency.py READ_ONLY_POSTS): the key and the request's print are kept, no
# answer; a repeat is answered again, so their answers carry no replay header.
READ_ONLY_POSTS = frozenset({"searchReferrals"})
READ_ONLY_NOTE = (
    "Send an `Idempotency-Key` if your client sends one on every POST: the same key with a different body is 422, "
    "as on every POST; a repeat is answered again (a search changes nothing, and no answer of it is kept)."
)


def _idempotent_posts(paths: dict[str, Any]) -> None:
    """Every POST takes the Idempotency-Key header (one blueprint hook, diversion/api/idempotency.py): its
    parameter, its 400, 409 and 422, and the replay header on its successful answers."""
    for item in paths.values():
        operation = item.get("post")
        if operation is None or operation.get("security") == []:
            continue
        operation["parameters"] = [*operation.get("parameters", []), IDEMPOTENCY_KEY]
        responses = operation["responses"]
        for status in ("400", "409", "422"):  # 400: a key that is not valid
            responses.setdefault(status, {"$ref": f"#/components/responses/{status}"})
        if operation["operationId"] in READ_ONLY_POSTS:
            operation["description"] = operation["description"] + "\n\n" + READ_ONLY_NOTE
            continue
        for status, answer in list(responses.items()):
            if status.startswith("2") and "$ref" not in answer:
                responses[status] = {**answer, "headers": {**answer.get("headers", {}), **REPLAYED_HEADER}}
        operation["description"] = operation["description"] + "\n\n" + IDEMPOTENCY_NOTE
        operation["responses"] = dict(sorted(responses.items()))


PATHS.update(WEBHOOK_PATHS)  # docs/webhooks.md
SCHEMAS.update(WEBHOOK_SCHEMAS)
PATHS.update(CONTACT_PATHS)  # docs/contacts.md
SCHEMAS.update(CONTACT_SCHEMAS)
PATHS.update(FILE_PATHS)  # docs/api.md, "Documents"
SCHEMAS.update(FILE_SCHEMAS)
_idempotent_posts(PATHS)


def _every_answer(paths: dict[str, Any]) -> None:
    """Add the answers every operation can give (EVERY_OPERATION), and 503 to those that read the database (every
    one with a token: the token is looked up there)."""
    for item in paths.values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            statuses = EVERY_OPERATION + (() if operation.get("security") == [] else NEEDS_THE_DATABASE)
            if "requestBody" in operation:
                statuses += ("400", "415", "422")  # a body not sent as JSON is 415 (diversion/api/contract.py)
            responses = operation["responses"]
            for status in statuses:
                responses.setdefault(status, {"$ref": f"#/components/responses/{status}"})
            operation["responses"] = dict(sorted(responses.items()))


_every_answer(PATHS)


def _case_links(referral_id: str, *operation_ids: str) -> dict[str, Any]:
    links: dict[str, Any] = {}
    for operation_id in operation_ids:
        link: dict[str, Any] = {"operationId": operation_id, "parameters": {"referral_id": referral_id}}
        if operation_id == "changeReturnDate" and referral_id.endswith("#/id"):
            # The version the change is made against: the answer's own (docs/conflicts.md).
            link["requestBody"] = {"version": referral_id.removesuffix("id") + "version"}
        links[operation_id[0].upper() + operation_id[1:]] = link
    return links


def _link(
    operation_id: str, parameter: str, expression: str, description: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    link: dict[str, Any] = {"operationId": operation_id, "parameters": {parameter: expression}}
    if body:
        link["requestBody"] = body
    return {operation_id[0].upper() + operation_id[1:]: {**link, "description": description}}


# What a client can do next with the ids an answer gives (OpenAPI links): a generated client or a stateful test
# follows them from a case it made or listed to the case's other operations, from a booking to its outcome, and from
# a notice to its acknowledgement.
WHAT_A_CASE_TAKES = (
    "getReferral",
    "changeReturnDate",
    "recordConsent",
    "withdrawReferral",
    "bookAppointment",
    "saveAssessment",
    "getAssessment",
    "saveCarePlan",
    "getCarePlan",
    "getContactPreferences",
    "saveContactPreferences",
)
LINKS: dict[tuple[str, str], dict[str, Any]] = {
    ("createReferral", "201"): _case_links("$response.body#/id", *WHAT_A_CASE_TAKES),
    ("listReferrals", "200"): _case_links("$response.body#/items/0/id", *WHAT_A_CASE_TAKES),
    ("getReferral", "200"): {
        **_case_links("$response.body#/id", *WHAT_A_CASE_TAKES[1:]),
        **_link("recordOutcome", "appointment_id", "$response.body#/appointments/0/id", "Her first appointment."),
    },
    ("changeReturnDate", "200"): _case_links("$response.body#/id", "getReferral", "bookAppointment"),
    ("recordConsent", "201"): _case_links("$response.body#/referral_id", "getReferral", "bookAppointment"),
    ("withdrawReferral", "200"): {
        **_case_links("$response.body#/id", "getReferral"),
        **_link("acknowledgeNotice", "notice_id", "$response.body#/notice_id", "The outcome notice it made."),
    },
    ("bookAppointment", "201"): {
        **_link("recordOutcome", "appointment_id", "$response.body#/id", "What happened at it, once it is past."),
        **_case_links("$response.body#/referral_id", "getReferral"),
    },
    ("recordOutcome", "200"): _case_links(
        "$response.body#/referral_id", "getReferral", "bookAppointment", "saveAssessment"
    ),
    ("saveAssessment", "200"): _case_links("$response.body#/referral_id", "getAssessment", "saveCarePlan"),
    ("getAssessment", "200"): _case_links("$response.body#/referral_id", "saveAssessment", "saveCarePlan"),
    ("saveCarePlan", "200"): _case_links("$response.body#/referral_id", "getCarePlan", "getReferral"),
    ("getCarePlan", "200"): _case_links("$response.body#/referral_id", "saveCarePlan"),
    ("listNotices", "200"): {
        **_link(
            "acknowledgeNotice",
            "notice_id",
            "$response.body#/items/0/id",
            "Acknowledge the first notice of the page. The body is an example, a decision to proceed dated the "
            "outcome day (a decision is dated on or after the outcome date, and not in the future); the decision "
            "is the CPS's own.",
            {"decision": "proceeding", "decided_on": "$response.body#/items/0/outcome_date"},
        ),
        **_case_links("$response.body#/items/0/referral_id", "getReferral"),
    },
    ("acknowledgeNotice", "200"): _case_links("$response.body#/referral_id", "getReferral"),
    ("createWebhook", "201"): _link("deleteWebhook", "subscription_id", "$response.body#/id", "End it."),
    ("listWebhooks", "200"): _link("deleteWebhook", "subscription_id", "$response.body#/items/0/id", "End the first."),
}


def _add_links(paths: dict[str, Any]) -> None:
    operations = {
        operation["operationId"]: operation
        for item in paths.values()
        for method, operation in item.items()
        if method != "parameters"
    }
    for (operation_id, status), links in LINKS.items():
        response = operations[operation_id]["responses"][status]
        response["links"] = links


_add_links(PATHS)

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Court diversion case system API",
        "version": "1.0.0",
        "description": "The contract of API v1. Bearer tokens only; bodies are JSON; dates YYYY-MM-DD; times ISO 8601 "
        'with offset. Errors are {"error": {"code", "message", "fields"?}}. A refused request changes nothing.',
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API token."}},
        "parameters": {
            "referral_id": {"name": "referral_id", "in": "path", "required": True, "schema": UUID},
            "appointment_id": {"name": "appointment_id", "in": "path", "required": True, "schema": UUID},
            "notice_id": {"name": "notice_id", "in": "path", "required": True, "schema": UUID},
            "idempotency_key": {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
                "description": "1 to 255 printable ASCII characters, new for each request you mean to make once "
                "(a UUID does). Kept 24 hours for the user who sent it. 400 when not valid.",
            },
        },
        "responses": {
            str(status): json_content(ref("Error"), description, **({"headers": ALLOW_HEADER} if status == 405 else {}))
            for status, description in sorted(ERROR_DESCRIPTIONS.items())
        },
        "schemas": SCHEMAS,
    },
}


@bp.route("/openapi.json", methods=["GET"])
@public
def openapi_document() -> Any:
    return jsonify(DOCUMENT)
