"""A scheme's messages in each language: what the manager's page lists, the checks a wording must pass, and its
approval as a new numbered version (docs/languages.md, "Messages in her language").

A wording is approved whole (the text message, the email's subject and the email) and never edited afterwards, as
consent wordings are not (diversion/referrals/wording.py): each approval is the next number for the scheme and the
language, and is audited by ids and numbers, never by its words. A wording with a deny-listed word in any part, or
that loses or adds a ``$day``/``$time``, is refused and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from diversion.audit.services import record_event
from diversion.clients.languages import ENGLISH, short_name
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.notifications.models import MessageWording
from diversion.notifications.wording import (
    EMAIL_BODY,
    EMAIL_SUBJECT,
    PARTS,
    SMS_BODY,
    approved_wording,
    catalogue_languages,
    catalogues,
    denied_words,
    english_parts,
    has_own_deny_list,
    placeholders,
)

# The longest wording of each part: a text message of four SMS parts, a subject line, an email.
MAX_LENGTHS = {"sms_body": 612, EMAIL_SUBJECT: 150, "email_body": 2000}


@dataclass(frozen=True)
class LanguageStatus:
    """One language of the manager's list: its code, its name, its latest approved version (or None), and whether
    it has a deny-list of its own."""

    code: str
    name: str
    approved: MessageWording | None
    own_deny_list: bool

    @property
    def number(self) -> int:
        """The latest approved version's number, 0 when none is approved."""
        return self.approved.number if self.approved is not None else 0


def language_status(scheme_id: int, code: str) -> LanguageStatus:
    """Where one language's messages stand in a scheme."""
    return LanguageStatus(code, short_name(code), approved_wording(scheme_id, code), has_own_deny_list(code))


def language_statuses(scheme_id: int) -> list[LanguageStatus]:
    """Every language with a catalogue, English first, and where each stands in the scheme."""
    return [language_status(scheme_id, code) for code in catalogue_languages()]


def proposed_parts(scheme_id: int, code: str) -> dict[str, str]:
    """The wording the manager's page starts from: the latest approved, else the catalogue's (English's parts where
    the catalogue has none)."""
    approved = approved_wording(scheme_id, code)
    if approved is not None:
        return approved.parts
    return {**english_parts(), **catalogues().get(code, {})}


def check_parts(code: str, given: dict[str, Any]) -> dict[str, str]:
    """Each part as typed (line ends made \\n, ends stripped), or ValidationFailed naming each part that is empty,
    too long, carries a deny-listed word (the word is named, never the text) or does not have the English
    wording's ``$day`` and ``$time``."""
    english = english_parts()
    parts: dict[str, str] = {}
    problems: dict[str, str] = {}
    for part in PARTS:
        text = str(given.get(part) or "").replace("\r\n", "\n").replace("\r", "\n").strip()
        name = part_name(part)
        wanted = placeholders(english[part])
        found = denied_words(text, code)
        if not text:
            problems[part] = _("Enter the wording of the %(part)s", part=name)
        elif len(text) > MAX_LENGTHS[part]:
            problems[part] = _(
                "The wording of the %(part)s must be %(max)d characters or fewer", part=name, max=MAX_LENGTHS[part]
            )
        elif found:
            problems[part] = _(
                "The %(part)s contains \u201c%(word)s\u201d, a word that could tell someone what the appointment is "
                "about: take it out",
                part=name,
                word=found[0],
            )
        elif placeholders(text) != wanted:
            problems[part] = _placeholder_problem(name, wanted)
        parts[part] = text
    if problems:
        first = next(iter(problems.values()))
        raise ValidationFailed(first, problems)
    return parts


def part_name(part: str) -> str:
    """A part of a wording as a sentence names it, in the language of the page."""
    return {SMS_BODY: _("text message"), EMAIL_SUBJECT: _("email subject"), EMAIL_BODY: _("email")}.get(part, part)


def _placeholder_problem(name: str, wanted: set[str]) -> str:
    if not wanted:
        return _("The %(part)s must not have a $ value: it cannot say the day or the time", part=name)
    values = [f"${value}" for value in sorted(wanted)]
    needed = (
        values[0] if len(values) == 1 else _("%(first)s and %(last)s", first=", ".join(values[:-1]), last=values[-1])
    )
    return _("The %(part)s must have %(needed)s, each written as here, and no other $ value", part=name, needed=needed)


class MessagesChanged(Conflict):
    """Messages approved from a page shown before someone else approved a newer version: nothing is saved, and the
    page shows the two side by side (docs/conflicts.md)."""

    code = "messages_changed"

    def __init__(self, current: MessageWording | None) -> None:
        number = current.number if current is not None else 0
        super().__init__(
            _(
                "Someone else approved version %(number)d of these messages while you were reading them. Nothing of "
                "yours has been saved yet",
                number=number,
            )
        )
        self.current = current


def approve(scheme_id: int, code: str, given: dict[str, Any], actor: Any, *, based_on: int | None) -> MessageWording:
    """Approve a language's messages in a scheme as its next version, and audit it (in the caller's transaction).
    ``based_on`` is the number of the approved version the page was shown (0 for none): when a newer one has been
    approved since, nothing is saved (MessagesChanged). A wording that fails the checks saves nothing
    (ValidationFailed). Approving the same words as the latest version saves none and returns it."""
    if code not in catalogues():
        raise ValidationFailed.on("language", _("There are no messages in this language to approve"))
    parts = check_parts(code, given)
    current = approved_wording(scheme_id, code)
    if (based_on or 0) != (current.number if current is not None else 0):
        raise MessagesChanged(current)
    if current is not None and current.parts == parts:
        return current
    wording = MessageWording(
        scheme_id=scheme_id,
        language_code=code,
        number=(current.number if current is not None else 0) + 1,
        approved_by_id=getattr(actor, "id", None),
        **parts,
    )
    db.session.add(wording)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Another approval took the number between our read and our insert.
        raise MessagesChanged(approved_wording(scheme_id, code)) from None
    record_event(
        "message_wording.approved",
        object_type="message_wording",
        object_id=wording.id,
        details={
            "scheme_id": scheme_id,
            "language": code,
            "version": wording.number,
            "replaces": current.number if current is not None else None,
        },
        actor=actor,
    )
    return wording


def versions_of(scheme_id: int, code: str) -> list[MessageWording]:
    """Every approved version of a language's messages in a scheme, newest first."""
    return list(
        db.session.scalars(
            select(MessageWording)
            .where(MessageWording.scheme_id == scheme_id, MessageWording.language_code == code)
            .order_by(MessageWording.number.desc())
        )
    )


# Why her reminders go in English, by the reason's code (in words for her case's Messages page: fallback_sentence).
FALLBACK_REASONS = ("not_approved", "no_catalogue")


def fallback_sentence(language: str | None, reason: str | None) -> str | None:
    """The sentence her case's Messages page shows when her reminders go in English though she speaks another
    language, or None."""
    if not language or language == ENGLISH or reason not in FALLBACK_REASONS:
        return None
    name = short_name(language)
    if reason == "not_approved":
        return _("Her reminders are sent in English: %(name)s messages have not been approved yet", name=name)
    return _("Her reminders are sent in English: there are no messages in %(name)s yet", name=name)
