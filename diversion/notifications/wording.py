"""What the messages say. A reminder is read on a phone or in an inbox that someone else may see: it names no court,
offence, prosecution, charity or purpose, and not even her name; only that there is an appointment, and when.

``DENY_LIST`` is checked against every template in the tests and against every rendered message before it is
stored, so a wording change or a value slipped in cannot send a dangerous word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from string import Template

from diversion.dates import LONDON, clock_time, long_date

# Words that would tell a reader what the appointment is about. Matched as whole words, case-insensitively.
DENY_LIST = (
    "court",
    "courts",
    "magistrate",
    "magistrates",
    "judge",
    "bench",
    "hearing",
    "adjourned",
    "adjournment",
    "cps",
    "crown",
    "prosecution",
    "prosecutor",
    "police",
    "offence",
    "offences",
    "crime",
    "criminal",
    "charge",
    "charged",
    "arrest",
    "arrested",
    "bail",
    "probation",
    "sentence",
    "urn",
    "soliciting",
    "loitering",
    "prostitution",
    "sex",
    "sexual",
    "diversion",
    "scheme",
    "charity",
    "support",
    "worker",
    "caseworker",
    "exploitation",
    "trafficking",
    "drug",
    "drugs",
    "alcohol",
    "assessment",
    "plan",
    "safeguarding",
    "women",
    "refuge",
    "abuse",
    "violence",
)
_DENIED = re.compile(r"\b(" + "|".join(re.escape(word) for word in DENY_LIST) + r")\b", re.IGNORECASE)


class UnsafeWording(ValueError):
    """A message would carry a word from the deny-list. The message names the word, never the text."""


def denied_words(text: str) -> list[str]:
    """The deny-listed words found in a text (lower case)."""
    return sorted({match.lower() for match in _DENIED.findall(text or "")})


def check_safe(text: str) -> str:
    """Return the text, or raise UnsafeWording when it carries a deny-listed word."""
    found = denied_words(text)
    if found:
        raise UnsafeWording(f"message refused: deny-listed word {found[0]!r}")
    return text


# Client reminders: $day and $time are the only values, both from the appointment's start in Europe/London.
REMINDER_SMS = Template("Reminder: you have an appointment on $day at $time. Reply STOP to stop these reminders.")
REMINDER_EMAIL_SUBJECT = Template("Appointment reminder")
REMINDER_EMAIL_BODY = Template(
    "Hello,\n\nThis is a reminder that you have an appointment on $day at $time.\n\n"
    "If you cannot come, please call us.\n\nReply STOP to stop these reminders."
)
CLIENT_TEMPLATES = {
    "sms": (None, REMINDER_SMS),
    "email": (REMINDER_EMAIL_SUBJECT, REMINDER_EMAIL_BODY),
}


@dataclass(frozen=True)
class Rendered:
    """A message ready to store: subject (email only) and body."""

    subject: str | None
    body: str


def when(starts_at: datetime) -> dict[str, str]:
    """The day and time of an appointment in London, as GOV.UK writes them: 'Thursday 3 December', '10:30am'."""
    local = starts_at.astimezone(LONDON)
    return {"day": long_date(local.date(), weekday=True, year=False), "time": clock_time(local.time())}


def render_reminder(channel: str, starts_at: datetime) -> Rendered:
    """A reminder for an appointment, checked against the deny-list."""
    subject_template, body_template = CLIENT_TEMPLATES[channel]
    values = when(starts_at)
    subject = check_safe(subject_template.substitute(values)) if subject_template else None
    return Rendered(subject, check_safe(body_template.substitute(values)))


# Staff messages go to the service's own people and partners, by email. They carry initials and links, never names,
# contact details or anything of the assessment or the plan.
DIGEST_SUBJECT = "Your daily case summary"
TEAM_DIGEST_SUBJECT = "The team's daily case summary"
NOTICE_EMAIL_SUBJECT = "A new outcome notice"
NOTICE_EMAIL_BODY = Template(
    "A new outcome notice has been made for a case at $court: $outcome.\n\nRead it here: $link\n\n"
    "You get this email because you asked to. You can stop it on your notification settings page: $settings"
)
