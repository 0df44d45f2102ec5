"""How it is safe to contact her: may we text, leave voicemail, email; her quiet hours; a note for her worker.

One record holds all of it, kept encrypted as JSON in her client record (``Client.safe_contact``): the intake form,
the case's messages page, the API (``/api/v1/referrals/{id}/contact-preferences``) and the reminder planner and
sender all read and write it here, and one function, ``check_contact_preferences``, validates what any of them is
given (docs/notifications.md, "Contact preferences").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _

from diversion.crypto.fields import is_unreadable
from diversion.dates import LONDON, from_london
from diversion.errors import ValidationFailed
from diversion.i18n import N_

# "HH:MM", 24-hour: what the API's schema and the forms accept for either end of her quiet hours.
HOUR_MINUTE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LEGACY_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*(?:-|to)\s*(\d{1,2}):(\d{2})\s*$")
MAX_NOTE = 200


# What is wrong with one end of her quiet hours, in the same words from the web form, the API schema (x-messages) and
# this check. English here (the schema is a contract); the check shows them in the reader's language.
QUIET_HOURS_MESSAGES = {
    "from": {
        "required": N_("Enter when her quiet hours start, or clear both times"),
        "pattern": N_("Enter when her quiet hours start in 24-hour time, like 21:00"),
    },
    "to": {
        "required": N_("Enter when her quiet hours end, or clear both times"),
        "pattern": N_("Enter when her quiet hours end in 24-hour time, like 21:00"),
    },
}


def _quiet_hours_message(end: str, problem: str) -> str:
    """One of QUIET_HOURS_MESSAGES in the reader's language (English in the API)."""
    message = QUIET_HOURS_MESSAGES[end][problem]
    return _(message)


@dataclass(frozen=True)
class QuietHours:
    """Hours (Europe/London) when a message is not safe for her to receive; the window may run past midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """'20:00-10:00' (from, to), the form quiet hours were stored in before they were structured; ValueError
        otherwise. New values come through ``check_contact_preferences``."""
        match = _LEGACY_HOURS.match(text or "")
        problem = "Enter the hours like 20:00-10:00 (from, to), in 24-hour time"
        if not match:
            raise ValueError(problem)
        try:
            start = time(int(match[1]), int(match[2]))
            end = time(int(match[3]), int(match[4]))
        except ValueError:
            raise ValueError(problem) from None
        if start == end:
            raise ValueError("The start and end of the quiet hours must differ")
        return cls(start, end)

    @classmethod
    def from_json(cls, value: Any) -> QuietHours | None:
        """``{"from": "HH:MM", "to": "HH:MM"}`` as stored; None for anything else."""
        if not isinstance(value, dict):
            return None
        start, end = value.get("from"), value.get("to")
        readable = [part for part in (start, end) if isinstance(part, str) and HOUR_MINUTE.match(part)]
        if len(readable) != 2 or start == end:
            return None
        return cls(time.fromisoformat(start), time.fromisoformat(end))

    def to_json(self) -> dict[str, str]:
        """``{"from": "21:00", "to": "08:00"}``: the API's shape, and how it is stored."""
        return {"from": f"{self.start:%H:%M}", "to": f"{self.end:%H:%M}"}

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: datetime) -> bool:
        """True when the moment falls inside the quiet hours (the start is inside, the end is not)."""
        local = moment.astimezone(LONDON).time().replace(second=0, microsecond=0)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_safe(self, moment: datetime) -> datetime:
        """The first moment at or after ``moment`` outside the quiet hours, in UTC."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(LONDON)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        return from_london(day, self.end)


@dataclass
class SafeContact:
    """How it is safe to contact her: never assumed, always asked. None for a question not yet answered."""

    may_text: bool | None = None
    may_voicemail: bool | None = None
    may_email: bool | None = None
    # Free text for her worker (what she said about contacting her). Before quiet hours were structured this was
    # "safe times"; it is shown where reminders are set, and never enforced: quiet_hours is.
    note: str = ""
    quiet_hours: QuietHours | None = None

    def to_json(self) -> str:
        """Stored encrypted as JSON."""
        return json.dumps(
            {
                "may_text": self.may_text,
                "may_voicemail": self.may_voicemail,
                "may_email": self.may_email,
                "note": self.note,
                "quiet_hours": self.quiet_hours.to_json() if self.quiet_hours else None,
            }
        )

    @classmethod
    def from_json(cls, value: str | None) -> SafeContact:
        """Read the stored preferences; unreadable or absent means nothing is known to be safe. A record written
        before the note had its name keeps its free text under "safe_times", read here as the note."""
        if not value or is_unreadable(value):
            return cls()
        data: dict[str, Any] = json.loads(value)
        note = data.get("note")
        if note is None:
            note = data.get("safe_times")
        return cls(
            data.get("may_text"),
            data.get("may_voicemail"),
            data.get("may_email"),
            note or "",
            QuietHours.from_json(data.get("quiet_hours")),
        )

    def as_api(self) -> dict[str, Any]:
        """The API's answer: a question not yet answered reads as false (nothing is assumed safe)."""
        return {
            "may_text": self.may_text is True,
            "may_voicemail": self.may_voicemail is True,
            "may_email": self.may_email is True,
            "quiet_hours": self.quiet_hours.to_json() if self.quiet_hours else None,
            "note": self.note,
        }

    def with_quiet_hours(self, hours: QuietHours | None) -> SafeContact:
        """A copy with other quiet hours."""
        return replace(self, quiet_hours=hours)


def check_quiet_hours(start: str | None, end: str | None) -> QuietHours | None:
    """Her quiet hours from a from and a to time: both or neither, each HH:MM in 24-hour time, and not equal.
    ValidationFailed names "quiet_hours.from" / "quiet_hours.to"."""
    start = (start or "").strip()
    end = (end or "").strip()
    if not start and not end:
        return None
    errors: dict[str, str] = {}
    if not start:
        errors["quiet_hours.from"] = _quiet_hours_message("from", "required")
    elif not HOUR_MINUTE.match(start):
        errors["quiet_hours.from"] = _quiet_hours_message("from", "pattern")
    if not end:
        errors["quiet_hours.to"] = _quiet_hours_message("to", "required")
    elif not HOUR_MINUTE.match(end):
        errors["quiet_hours.to"] = _quiet_hours_message("to", "pattern")
    if not errors and start == end:
        errors["quiet_hours.to"] = _("Her quiet hours must end at a different time from when they start")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    return QuietHours(time.fromisoformat(start), time.fromisoformat(end))


def check_contact_preferences(
    *,
    may_text: bool | None,
    may_voicemail: bool | None,
    may_email: bool | None,
    quiet_from: str | None,
    quiet_to: str | None,
    note: str | None,
    phone: str | None,
    email: str | None,
) -> SafeContact:
    """The one validation of her contact preferences, for the intake form, the messages page and the API.

    Texts can be marked safe only with a phone number on record, emails only with an email address; quiet hours are
    both times or neither; the note is at most 200 characters. Every problem is named at once (ValidationFailed,
    fields by their API names)."""
    errors: dict[str, str] = {}
    hours = None
    try:
        hours = check_quiet_hours(quiet_from, quiet_to)
    except ValidationFailed as error:
        errors.update(error.fields)
    if may_text is True and not phone:
        errors["may_text"] = _("She has no phone number on record: add one before marking texts as safe")
    if may_email is True and not email:
        errors["may_email"] = _("She has no email address on record: add one before marking emails as safe")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = _("The note must be %(max)s characters or fewer", max=MAX_NOTE)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    return SafeContact(may_text, may_voicemail, may_email, note, hours)
