"""One contract: every JSON body is validated against the schema the OpenAPI document gives its operation.

The schema of a request is found from the document itself (``openapi.DOCUMENT``, the object served at
/api/v1/openapi.json): the operation of the matched URL rule and method, its ``requestBody`` schema, with ``$ref``s
resolved against the document's components. A Draft 2020-12 validator is built once per operation and kept. So an
operation added to ``PATHS`` with a request body is validated with no code of its own; ``parsing.json_object()``
calls ``check_body`` for every body it reads.

JSON Schema's errors are sorted into docs/api.md's two kinds (see "Validation" there): a wrong JSON type, an
unreadable date, time or id, or characters no record can hold are malformed (400); a missing required field, an
unknown field, a value outside an enum, a range or a length, and a date outside 1900 to 2100 break a rule (422).
Every malformed field is reported before anything is checked against the rules. Messages name fields and what is
expected, never the values sent (jsonschema's own messages quote the instance, so none is used).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from typing import Any

from flask import request
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from diversion.api import bp
from diversion.api import schemas as names
from diversion.api.openapi import DOCUMENT
from diversion.referrals.queries import CURSOR_PATTERN
from diversion.referrals.urns import URN_MESSAGE

DOCUMENT_URI = "urn:diversion:api:v1:openapi"
RULE_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")
MAX_MOMENT_TEXT = 64
MAX_ID_TEXT = 64

REQUIRED = "This field is required"
UNKNOWN = "Unknown field"
BAD_CHARACTERS = "Contains characters that are not allowed"
BAD_DATE = "Enter a date as YYYY-MM-DD"
BAD_TIME = "Enter a time in ISO 8601 with its UTC offset, like 2026-12-01T10:00:00+00:00"
NAIVE_TIME = "Give the time with its UTC offset, like 2026-12-01T10:00:00+00:00"
NOT_ID = "Must be an id (a UUID)"
DATE_RANGE = "Enter a date from 1900-01-01 to 2100-12-31"
TIME_RANGE = "Enter a time between the years 1900 and 2100"
TYPE_MESSAGES = {
    "string": "Must be a string",
    "integer": "Must be a whole number",
    "number": "Must be a number",
    "boolean": "Must be true or false",
    "object": "Must be an object",
    "array": "Must be a list",
}
FORMAT_MESSAGES = {"date": BAD_DATE, "date-time": BAD_TIME, "uuid": NOT_ID}
# A pattern that fails says something of its own: which kind of problem, and in which words.
PATTERN_PROBLEMS: dict[str, tuple[bool, str]] = {
    names.DATE_PATTERN: (False, DATE_RANGE),
    names.DATE_TIME_PATTERN: (False, TIME_RANGE),
    names.TEXT_PATTERN: (True, BAD_CHARACTERS),
    names.LINE_PATTERN: (True, BAD_CHARACTERS),
    names.URN_PATTERN: (False, URN_MESSAGE),
    CURSOR_PATTERN: (True, "Not a cursor from this list: send the next of the page before"),
}

# --- formats, read exactly as the converters in parsing.py read them ---

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def is_date(value: object) -> bool:
    """YYYY-MM-DD, a real day."""
    if not isinstance(value, str):
        return True
    return bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)) and date.fromisoformat(value) is not None


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value: object) -> bool:
    """ISO 8601 with its UTC offset (a time without one is malformed too)."""
    if not isinstance(value, str):
        return True
    if len(value) > MAX_MOMENT_TEXT or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value[:10]):
        return False
    parsed = datetime.fromisoformat(value)
    return parsed.tzinfo is not None and parsed.utcoffset() is not None


@FORMATS.checks("uuid", raises=ValueError)
def is_uuid(value: object) -> bool:
    """An id: a UUID."""
    if not isinstance(value, str):
        return True
    return len(value) <= MAX_ID_TEXT and uuid.UUID(value) is not None


# --- patterns, read as ECMA-262 reads them ---


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # In ECMA-262 (the dialect JSON Schema's patterns are written in) "$" is the end of the text; in Python it also
    # matches before a final newline, which would let "Jo\n" through a one-line pattern.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterable[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError("does not match its pattern")


BodyValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})


# --- the schema of a request, from the document ---


def openapi_path(rule: str) -> str:
    """The document's path of a URL rule: ``/api/v1/referrals/<uuid:referral_id>`` → ``/referrals/{referral_id}``."""
    return RULE_ARGUMENT.sub(r"{\1}", rule.removeprefix(bp.url_prefix or ""))


@cache
def registry() -> Registry:
    """The served document as the one resource every ``$ref`` of a request schema resolves in."""
    return Registry().with_resource(DOCUMENT_URI, Resource.from_contents(DOCUMENT, default_specification=DRAFT202012))


def body_schema(path: str, method: str) -> dict[str, Any] | None:
    """The JSON schema of the request body of an operation, the very object in the document; None when it has none."""
    operation = DOCUMENT["paths"].get(path, {}).get(method.lower())
    if not isinstance(operation, dict):
        return None
    content = operation.get("requestBody", {}).get("content", {})
    media = content.get("application/json")
    return media.get("schema") if media else None


@cache
def validator_for(path: str, method: str) -> Any:
    """The validator of an operation's body, built once: its schema is resolved inside the document, not copied."""
    schema = body_schema(path, method)
    if schema is None:
        return None
    # The operation's schema is reached by its place in the document, so "#/components/schemas/..." resolves there.
    return BodyValidator(
        {"$id": DOCUMENT_URI + "-body", "$ref": DOCUMENT_URI + _pointer(path, method)},
        registry=registry(),
        format_checker=FORMATS,
    )


def _pointer(path: str, method: str) -> str:
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"#/paths/{escaped}/{method.lower()}/requestBody/content/application~1json/schema"


def current_validator() -> Any:
    """The validator of the request being answered, or None when its operation documents no JSON body."""
    if request.url_rule is None:
        return None
    return validator_for(openapi_path(request.url_rule.rule), request.method)


# --- jsonschema's errors in docs/api.md's kinds ---


def problems_of(validator: Any, body: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(malformed, invalid) by field path. A field malformed in one respect is reported as malformed only."""
    malformed: dict[str, str] = {}
    invalid: dict[str, str] = {}
    for is_malformed, path, message in _sorted(validator.iter_errors(body)):
        if is_malformed:
            malformed.setdefault(path, message)
        else:
            invalid.setdefault(path, message)
    for path in malformed:
        invalid.pop(path, None)
    return malformed, invalid


def _sorted(errors: Iterable[ValidationError]) -> list[tuple[bool, str, str]]:
    found = [problem for error in errors for problem in _problems(error)]
    return sorted(found, key=lambda problem: (not problem[0], problem[1]))


def _path(parts: Iterable[Any]) -> str:
    return ".".join(str(part) for part in parts)


def _problems(error: ValidationError) -> list[tuple[bool, str, str]]:
    """One jsonschema error as (malformed?, field path, message) problems."""
    parts = list(error.absolute_path)
    at = _path(parts)
    keyword, schema, instance = error.validator, error.schema, error.instance
    if keyword in ("anyOf", "oneOf") and error.context:
        return _best_branch(error)
    if keyword == "required":
        present = instance if isinstance(instance, dict) else {}
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        return [
            (False, _path([*parts, name]), _own_message(properties.get(name), "required") or REQUIRED)
            for name in error.validator_value
            if present.get(name) is None
        ]
    if keyword == "additionalProperties" and isinstance(instance, dict) and isinstance(schema, dict):
        known = set(schema.get("properties", {}))
        return [(False, _path([*parts, str(name)[:64]]), UNKNOWN) for name in instance if name not in known]
    if keyword == "type":
        if instance is None and parts and isinstance(parts[-1], str):
            return [(False, at, REQUIRED)]  # absent and null are the same (docs/api.md)
        return [(True, at, _type_message(schema))]
    if keyword == "format":
        return [(True, at, _format_message(str(error.validator_value), instance))]
    if keyword == "pattern":
        is_malformed, message = PATTERN_PROBLEMS.get(str(error.validator_value), (False, "Is not in the expected form"))
        return [(is_malformed, at, _own_message(schema, "pattern") or message)]
    return [(False, at, _own_message(schema, keyword) or _rule_message(keyword, error.validator_value))]


def _own_message(schema: Any, keyword: str) -> str | None:
    """A field's own words for a broken rule, where its schema gives them (``x-messages``: {keyword: text})."""
    messages = schema.get("x-messages") if isinstance(schema, dict) else None
    return messages.get(keyword) if isinstance(messages, dict) else None


def _best_branch(error: ValidationError) -> list[tuple[bool, str, str]]:
    """A value matching none of a union's branches: the problems of the branch it was meant for. A nullable value's
    ``null`` branch says nothing (the value was not null). Among objects (a search by name and date of birth, or by
    URN), the branch meant is the one whose required fields were sent; when none or several were, the answer names
    the first required field of each branch, with the union's own words (``x-messages``: {"oneOf": ...})."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    options = error.validator_value if isinstance(error.validator_value, list) else []
    meant = [index for index in sorted(branches) if options[index : index + 1] != [{"type": "null"}]]
    present = error.instance if isinstance(error.instance, dict) else None
    required = [option.get("required") if isinstance(option, dict) else None for option in options]
    if present is not None and len(meant) > 1 and all(required[index] for index in meant):
        sent = [index for index in meant if any(present.get(name) is not None for name in required[index] or [])]
        if len(sent) == 1:
            meant = sent
        else:
            at = list(error.absolute_path)
            message = _own_message(error.schema, error.validator) or "Send exactly one of these"
            return [(False, _path([*at, (required[index] or [""])[0]]), message) for index in meant]
    chosen = branches[meant[0]] if meant else next(iter(branches.values()))
    return [problem for sub in chosen for problem in _problems(sub)]


def _type_message(schema: Any) -> str:
    if isinstance(schema, dict) and schema.get("format") in FORMAT_MESSAGES:
        return FORMAT_MESSAGES[schema["format"]]
    expected = schema.get("type") if isinstance(schema, dict) else None
    kinds = [expected] if isinstance(expected, str) else [kind for kind in expected or [] if kind != "null"]
    return TYPE_MESSAGES.get(kinds[0] if kinds else "", "Is of the wrong type")


def _format_message(name: str, instance: Any) -> str:
    if name == "date-time" and isinstance(instance, str):
        try:
            if datetime.fromisoformat(instance).tzinfo is None:
                return NAIVE_TIME
        except ValueError:
            pass
    return FORMAT_MESSAGES.get(name, "Is not in the expected form")


def _rule_message(keyword: str, value: Any) -> str:
    if keyword == "maxLength":
        return f"Must be {value} characters or fewer"
    if keyword == "minLength":
        return REQUIRED if value == 1 else f"Must be {value} characters or more"
    if keyword == "minimum":
        return f"Must be {value} or more"
    if keyword == "maximum":
        return f"Must be {value} or less"
    if keyword in ("enum", "const"):
        allowed = value if keyword == "enum" else [value]
        return "Must be one of: " + ", ".join(str(option) for option in allowed)
    if keyword == "maxItems":
        return f"Must have {value} items or fewer"
    if keyword == "minItems":
        return f"Must have {value} items or more"
    return "Breaks a rule of the contract"
