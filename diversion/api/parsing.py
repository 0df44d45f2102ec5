"""Reading API input: the JSON body and query strings, field by field, into typed values.

Two kinds of problem, as docs/api.md sets out: a body that is not JSON, a value of the wrong type, an unparseable date
or time, a time without its UTC offset, or characters no record can hold answer 400 (malformed); a required field that
is missing or a field the contract does not know answer 422 (valid JSON breaking a rule), as do the services' own rules.
Every malformed field is reported before anything is checked against the rules. Error messages name fields, never the
values sent.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import request

from diversion.errors import DomainError, ValidationFailed
from diversion.referrals.calendar import EARLIEST_DATE, LATEST_DATE, within_service_years

DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_TEXT = 20000
MAX_MOMENT_TEXT = 64
# Dates and times outside these years mean nothing to a court case, and near Python's own limits they cannot be
# converted between UTC and London or have days added (docs/court-dates.md).
FIRST_YEAR, LAST_YEAR = EARLIEST_DATE.year, LATEST_DATE.year

REQUIRED = "This field is required"
UNKNOWN = "Unknown field"
NOT_TEXT = "Must be a string"
NOT_INTEGER = "Must be a whole number"
NOT_BOOLEAN = "Must be true or false"
NOT_OBJECT = "Must be an object"
NOT_LIST = "Must be a list"
NOT_ID = "Must be an id (a UUID)"
BAD_CHARACTERS = "Contains characters that are not allowed"
BAD_DATE = "Enter a date as YYYY-MM-DD"
BAD_TIME = "Enter a time in ISO 8601 with its UTC offset, like 2026-12-01T10:00:00+00:00"
NAIVE_TIME = "Give the time with its UTC offset, like 2026-12-01T10:00:00+00:00"
TIME_RANGE = f"Enter a time between the years {FIRST_YEAR} and {LAST_YEAR}"
DATE_RANGE = f"Enter a date from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}"


class Malformed(DomainError):
    """A request the API cannot read: not JSON, a wrong type, an unparseable date or time (400)."""

    status = 400
    code = "validation_error"


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


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or Malformed."""
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw, parse_constant=_refuse_constant) if raw else None
    except (ValueError, RecursionError):
        raise Malformed("The request body is not valid JSON", {"body": "Send a JSON object"}) from None
    if not isinstance(data, dict):
        raise Malformed("The request body must be a JSON object", {"body": "Send a JSON object"})
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


class Reader:
    """Typed fields of one JSON object. Absent and null are the same; problems collect in a shared Problems."""

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

    def _value(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None and required:
            self.problems.invalid[self.at(name)] = REQUIRED
        return value

    def _malformed(self, name: str | int, message: str) -> None:
        self.problems.malformed[self.at(name)] = message

    def text(self, name: str, *, required: bool = False, max_length: int = MAX_TEXT) -> str | None:
        """A string; one longer than ``max_length`` is refused (422) rather than cut short."""
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self._malformed(name, NOT_TEXT)
            return None
        if len(value) > max_length:
            self.problems.invalid[self.at(name)] = f"Must be {max_length} characters or fewer"
            return None
        clean = _clean_text(value)
        if clean is None:
            self._malformed(name, BAD_CHARACTERS)
        return clean

    def integer(self, name: str, *, required: bool = False) -> int | None:
        """A whole number: not a boolean; a float only when it is whole (2.0), as JSON Schema's integer allows."""
        value = self._value(name, required)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self._malformed(name, NOT_INTEGER)
            return None
        return value

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        """true or false."""
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            self._malformed(name, NOT_BOOLEAN)
            return None
        return value

    def day(self, name: str, *, required: bool = False) -> date | None:
        """A date, YYYY-MM-DD."""
        value = self._value(name, required)
        if value is None:
            return None
        parsed = parse_day(value) if isinstance(value, str) else None
        if parsed is None:
            self._malformed(name, BAD_DATE)
        elif not within_service_years(parsed):
            self.problems.invalid[self.at(name)] = DATE_RANGE
            return None
        return parsed

    def moment(self, name: str, *, required: bool = False) -> datetime | None:
        """A time in ISO 8601 with its UTC offset, returned in UTC. A time without an offset is refused."""
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > MAX_MOMENT_TEXT or not DATE_SHAPE.match(value[:10]):
            self._malformed(name, BAD_TIME)
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self._malformed(name, BAD_TIME)
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self._malformed(name, NAIVE_TIME)
            return None
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            self.problems.invalid[self.at(name)] = TIME_RANGE
            return None
        return parsed.astimezone(UTC)

    def identifier(self, name: str, *, required: bool = False) -> uuid.UUID | None:
        """An id (UUID)."""
        value = self._value(name, required)
        if value is None:
            return None
        if isinstance(value, str) and len(value) <= 64:
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        self._malformed(name, NOT_ID)
        return None

    def member(self, name: str, allowed: Iterable[str], *, required: bool = False) -> Reader | None:
        """A nested object, read with its own allowed fields."""
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self._malformed(name, NOT_OBJECT)
            return None
        return Reader(value, allowed, path=self.at(name), problems=self.problems)

    def items(self, name: str, *, required: bool = False) -> list[Any] | None:
        """A list (its items are read by the caller)."""
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, list):
            self._malformed(name, NOT_LIST)
            return None
        return value

    def item_readers(self, name: str, allowed: Iterable[str], *, required: bool = False) -> list[Reader]:
        """A list of objects, each read with the same allowed fields."""
        readers = []
        for position, item in enumerate(self.items(name, required=required) or []):
            if not isinstance(item, dict):
                self._malformed(f"{name}.{position}", NOT_OBJECT)
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
            text = _clean_text(value) if isinstance(value, str) and len(value) <= MAX_TEXT else None
            if text is None:
                self._malformed(f"{name}.{position}", NOT_TEXT)
            else:
                clean.append(text)
        return clean


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
