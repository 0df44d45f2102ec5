"""Reading API input: the JSON body and query strings into typed values.

A body is first checked against its operation's schema in the OpenAPI document (diversion/api/contract.py): that
is where its types, lengths, patterns, enums and required fields are checked, and where docs/api.md's two kinds of
problem are told apart. A body that is not JSON, a value of the wrong type, an unparseable date or time, a time
without its UTC offset, or characters no record can hold answer 400 (malformed); a required field that is missing,
a field the contract does not know, or a value outside its enum, range or length answer 422 (valid JSON breaking a
rule), as do the services' own rules. Every malformed field is reported before anything is checked against the rules.
A body that is not JSON at all (another Content-Type) is 415. Error messages name fields, never the values sent.

``Reader`` then converts the checked values into the services' types (a date, a time in UTC, a UUID). It keeps a
cheap guard of its own, so a body whose operation documents no schema is still refused, never a 500.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import request

from diversion.api import contract
from diversion.api.contract import (
    BAD_CHARACTERS,
    BAD_DATE,
    BAD_TIME,
    DATE_RANGE,
    MAX_MOMENT_TEXT,
    NAIVE_TIME,
    NOT_ID,
    REQUIRED,
    TIME_RANGE,
    TYPE_MESSAGES,
    UNKNOWN,
)
from diversion.dates import EARLIEST_DATE, LATEST_DATE, within_service_years
from diversion.errors import DomainError, ValidationFailed

DATE_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_TEXT = 20000
# Dates and times outside these years mean nothing to a court case, and near Python's own limits they cannot be
# converted between UTC and London or have days added (docs/court-dates.md).
FIRST_YEAR, LAST_YEAR = EARLIEST_DATE.year, LATEST_DATE.year

NOT_TEXT = TYPE_MESSAGES["string"]
NOT_INTEGER = TYPE_MESSAGES["integer"]
NOT_BOOLEAN = TYPE_MESSAGES["boolean"]
NOT_OBJECT = TYPE_MESSAGES["object"]
NOT_LIST = TYPE_MESSAGES["array"]


class Malformed(DomainError):
    """A request the API cannot read: not JSON, a wrong type, an unparseable date or time (400)."""

    status = 400
    code = "validation_error"


class UnsupportedMediaType(DomainError):
    """A body sent as something other than JSON (415)."""

    status = 415
    code = "unsupported_media_type"


@dataclass
class Problems:
    """What is wrong with a request, by field path: malformed (400) and invalid (422)."""

    malformed: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)

    def raise_if_any(self) -> None:
        """Malformed first: a request that cannot be read is not checked against the rules."""
        if self.malformed:
            raise Malformed(f"The request could not be understood: {_first(self.malformed)}", self.malformed)
        if self.invalid:
            raise ValidationFailed(f"The request breaks a rule: {_first(self.invalid)}", self.invalid)


def _first(fields: dict[str, str]) -> str:
    path, message = next(iter(fields.items()))
    return f"{path}: {message}"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def is_json_type(mimetype: str) -> bool:
    """application/json, or a JSON-based type (application/merge-patch+json)."""
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def json_object() -> dict[str, Any]:
    """The request body as a JSON object that its operation's schema accepts; else 415, 400 or 422 (docs/api.md,
    "Validation")."""
    raw = request.get_data(cache=True)
    if raw and not is_json_type(request.mimetype):
        raise UnsupportedMediaType(
            "The request body must be JSON, sent with Content-Type: application/json",
            {"Content-Type": "Send application/json"},
        )
    try:
        data = json.loads(raw, parse_constant=_refuse_constant) if raw else None
    except (ValueError, RecursionError):
        raise Malformed("The request body is not valid JSON", {"body": "Send a JSON object"}) from None
    if not isinstance(data, dict):
        raise Malformed("The request body must be a JSON object", {"body": "Send a JSON object"})
    validator = contract.current_validator()
    if validator is not None:
        malformed, invalid = contract.problems_of(validator, data)
        Problems(malformed, invalid).raise_if_any()
    return data


def _clean_text(value: str) -> str | None:
    """The text, or None when it holds characters no record can store (NUL, lone surrogates)."""
    if "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def parse_day(value: str) -> date | None:
    """A YYYY-MM-DD date, or None."""
    if not DATE_SHAPE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class Unreadable(ValueError):
    """A value a converter cannot read (malformed, 400), with the words to say so."""


class OutOfRange(ValueError):
    """A value read, but outside what the service takes (422)."""


def to_text(value: Any) -> str:
    if not isinstance(value, str):
        raise Unreadable(NOT_TEXT)
    if _clean_text(value) is None:
        raise Unreadable(BAD_CHARACTERS)
    return value


def to_integer(value: Any) -> int:
    """A whole number: not a boolean; a float only when it is whole (2.0), as JSON Schema's integer allows."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unreadable(NOT_INTEGER)
    return value


def to_boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Unreadable(NOT_BOOLEAN)
    return value


def to_day(value: Any) -> date:
    parsed = parse_day(value) if isinstance(value, str) else None
    if parsed is None:
        raise Unreadable(BAD_DATE)
    if not within_service_years(parsed):
        raise OutOfRange(DATE_RANGE)
    return parsed


def to_moment(value: Any) -> datetime:
    """ISO 8601 with its UTC offset, returned in UTC."""
    if not isinstance(value, str) or len(value) > MAX_MOMENT_TEXT or not DATE_SHAPE.match(value[:10]):
        raise Unreadable(BAD_TIME)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Unreadable(BAD_TIME) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise Unreadable(NAIVE_TIME)
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise OutOfRange(TIME_RANGE)
    return parsed.astimezone(UTC)


def to_identifier(value: Any) -> uuid.UUID:
    if isinstance(value, str) and len(value) <= 64:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise Unreadable(NOT_ID)


class Reader:
    """Typed fields of one JSON object, converted for the services. Absent and null are the same; problems collect in
    a shared Problems. The schema has checked the body already; what is left here only guards the conversion."""

    def __init__(
        self, data: Mapping[str, Any], allowed: Iterable[str], *, path: str = "", problems: Problems | None = None
    ) -> None:
        self.data = data
        self.path = path
        self.problems = problems if problems is not None else Problems()
        allowed = set(allowed)
        for key in data:
            if key not in allowed:
                self.problems.invalid[self.at(str(key)[:64])] = UNKNOWN

    def at(self, name: str | int) -> str:
        """The field path of a member, as the services name fields (``client.date_of_birth``)."""
        return f"{self.path}.{name}" if self.path else str(name)

    def _read(self, name: str, required: bool, convert: Callable[[Any], Any]) -> Any:
        value = self.data.get(name)
        if value is None:
            if required:
                self.problems.invalid[self.at(name)] = REQUIRED
            return None
        try:
            return convert(value)
        except Unreadable as problem:
            self.problems.malformed[self.at(name)] = str(problem)
        except OutOfRange as problem:
            self.problems.invalid[self.at(name)] = str(problem)
        return None

    def text(self, name: str, *, required: bool = False, max_length: int = MAX_TEXT) -> str | None:
        """A string; one longer than ``max_length`` is refused (422) rather than cut short."""

        def convert(value: Any) -> str:
            if len(to_text(value)) > max_length:
                raise OutOfRange(f"Must be {max_length} characters or fewer")
            return value

        return self._read(name, required, convert)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        """A whole number."""
        return self._read(name, required, to_integer)

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        """true or false."""
        return self._read(name, required, to_boolean)

    def day(self, name: str, *, required: bool = False) -> date | None:
        """A date, YYYY-MM-DD."""
        return self._read(name, required, to_day)

    def moment(self, name: str, *, required: bool = False) -> datetime | None:
        """A time in ISO 8601 with its UTC offset, returned in UTC."""
        return self._read(name, required, to_moment)

    def identifier(self, name: str, *, required: bool = False) -> uuid.UUID | None:
        """An id (UUID)."""
        return self._read(name, required, to_identifier)

    def member(self, name: str, allowed: Iterable[str], *, required: bool = False) -> Reader | None:
        """A nested object, read with its own allowed fields."""
        value = self._read(name, required, lambda value: _of_type(value, dict, NOT_OBJECT))
        return None if value is None else Reader(value, allowed, path=self.at(name), problems=self.problems)

    def items(self, name: str, *, required: bool = False) -> list[Any] | None:
        """A list (its items are read by the caller)."""
        return self._read(name, required, lambda value: _of_type(value, list, NOT_LIST))

    def item_readers(self, name: str, allowed: Iterable[str], *, required: bool = False) -> list[Reader]:
        """A list of objects, each read with the same allowed fields."""
        readers = []
        for position, item in enumerate(self.items(name, required=required) or []):
            if not isinstance(item, dict):
                self.problems.malformed[self.at(f"{name}.{position}")] = NOT_OBJECT
                continue
            readers.append(Reader(item, allowed, path=self.at(f"{name}.{position}"), problems=self.problems))
        return readers

    def texts(self, name: str) -> list[str] | None:
        """A list of strings."""
        values = self.items(name)
        if values is None:
            return None
        clean = []
        for position, value in enumerate(values):
            try:
                clean.append(to_text(value))
            except Unreadable:
                self.problems.malformed[self.at(f"{name}.{position}")] = NOT_TEXT
        return clean


def _of_type(value: Any, kind: type, message: str) -> Any:
    if not isinstance(value, kind):
        raise Unreadable(message)
    return value


# --- query strings ---


class Query:
    """Typed query-string parameters. Anything unreadable is malformed (400)."""

    def __init__(self) -> None:
        self.args = request.args
        self.problems = Problems()

    def text(self, name: str, max_length: int = 200) -> str | None:
        """A non-empty string parameter."""
        value = self.args.get(name)
        if value is None or value == "":
            return None
        if len(value) > max_length or _clean_text(value) is None:
            self.problems.malformed[name] = BAD_CHARACTERS if len(value) <= max_length else "Too long"
            return None
        return value

    def day(self, name: str) -> date | None:
        """A YYYY-MM-DD parameter."""
        value = self.args.get(name)
        if value is None or value == "":
            return None
        parsed = parse_day(value)
        if parsed is None:
            self.problems.malformed[name] = BAD_DATE
        elif not within_service_years(parsed):
            self.problems.invalid[name] = DATE_RANGE
            return None
        return parsed

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """A whole number within bounds."""
        value = self.args.get(name)
        if value is None or value == "":
            return default
        if not (value.isascii() and value.isdigit() and len(value) <= 6 and low <= int(value) <= high):
            self.problems.malformed[name] = f"Must be a whole number from {low} to {high}"
            return default
        return int(value)

    def malformed(self, name: str, message: str) -> None:
        """Record a parameter that cannot be used."""
        self.problems.malformed[name] = message

    def done(self) -> None:
        """Raise Malformed if any parameter was unreadable."""
        self.problems.raise_if_any()
