"""Her language, whether she needs an interpreter (and for which language), and help she needs with reading.

Her preferred language and her interpreter need are plain columns of her client record, counted by reports; the
reading-help note is free text about her, encrypted under her data key like her other notes (docs/languages.md).
One function, ``check_language_needs``, validates what the intake form, the edit page and the API are given; the
service that changes them on an existing record claims the case's version, so two saves at once never silently
overwrite each other (docs/conflicts.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from diversion.audit.services import record_event
from diversion.clients.languages import ENGLISH, is_language
from diversion.clients.models import Client
from diversion.crypto.fields import is_unreadable
from diversion.db import transaction
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.i18n import N_
from diversion.referrals.versions import claim_case_version

MAX_READING_HELP = 500
# English here (the API's words); ``_`` reads each in the reader's language where it is shown.
UNKNOWN_LANGUAGE = N_("Select her preferred language from the list (an ISO 639-1 code, like ro for Romanian)")
UNKNOWN_INTERPRETER_LANGUAGE = N_(
    "Select the language she needs an interpreter for from the list (an ISO 639-1 code, like ro for Romanian)"
)
INTERPRETER_LANGUAGE_MISSING = N_("Select the language she needs an interpreter for")
# Field names, as the API names them, in the order the pages ask.
FIELDS = ("language", "interpreter.needed", "interpreter.language", "reading_help")


@dataclass(frozen=True)
class LanguageNeeds:
    """What is recorded: each None until asked (``interpreter_needed`` None: not asked; False: she needs none)."""

    language: str | None = None
    interpreter_needed: bool | None = None
    interpreter_language: str | None = None
    reading_help: str | None = None

    def as_api(self) -> dict[str, Any]:
        """The API's shape (docs/api.md): ``{"language", "interpreter": {"needed", "language"}, "reading_help"}``."""
        return {
            "language": self.language,
            "interpreter": {"needed": self.interpreter_needed is True, "language": self.interpreter_language},
            "reading_help": self.reading_help,
        }

    def values(self) -> dict[str, Any]:
        """Each answer by its field name (FIELDS), to compare two records."""
        return {
            "language": self.language,
            "interpreter.needed": self.interpreter_needed,
            "interpreter.language": self.interpreter_language,
            "reading_help": self.reading_help,
        }

    @property
    def interpreter_prompt(self) -> str | None:
        """The language to book an interpreter in, when she needs one (for the booking pages' prompt)."""
        return self.interpreter_language if self.interpreter_needed else None


def check_language_needs(
    *,
    language: str | None,
    interpreter_needed: bool | None,
    interpreter_language: str | None,
    reading_help: str | None,
) -> LanguageNeeds:
    """The one validation of her language needs. Codes are ISO 639-1 (diversion/clients/languages.py); an
    interpreter's language defaults to her preferred language when that is not English; a language for an
    interpreter she does not need is not kept. Every problem is named at once (ValidationFailed, fields by their API
    names)."""
    errors: dict[str, str] = {}
    language = (language or "").strip() or None
    interpreter_language = (interpreter_language or "").strip() or None
    if language is not None and not is_language(language):
        errors["language"] = _(UNKNOWN_LANGUAGE)
    if interpreter_needed is True:
        if interpreter_language is None and language is not None and language != ENGLISH and "language" not in errors:
            interpreter_language = language
        if interpreter_language is None:
            errors["interpreter.language"] = _(INTERPRETER_LANGUAGE_MISSING)
        elif not is_language(interpreter_language):
            errors["interpreter.language"] = _(UNKNOWN_INTERPRETER_LANGUAGE)
    else:
        interpreter_language = None
    reading_help = (reading_help or "").strip() or None
    if reading_help is not None and len(reading_help) > MAX_READING_HELP:
        errors["reading_help"] = _(
            "The note about help with reading must be %(max)s characters or fewer", max=MAX_READING_HELP
        )
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    return LanguageNeeds(language, interpreter_needed, interpreter_language, reading_help)


def language_needs_of(client: Client) -> LanguageNeeds:
    """Her language needs as recorded; a reading-help note that cannot be read is the marker itself (shown as
    unreadable, never saved back)."""
    return LanguageNeeds(
        client.language_code,
        client.is_interpreter_needed,
        client.interpreter_language_code,
        client.reading_help,
    )


def apply_language_needs(client: Client, needs: LanguageNeeds) -> None:
    """Write her language needs to her record (no flush, no audit: the caller's use case does both). A saved note
    that cannot be read is kept unless a new one replaces it: clearing it would lose what might yet be recovered, and
    the marker itself is never written back (docs/encryption.md)."""
    client.language_code = needs.language
    client.is_interpreter_needed = needs.interpreter_needed
    client.interpreter_language_code = needs.interpreter_language
    if needs.reading_help is not None or not is_unreadable(client.reading_help):
        client.reading_help = needs.reading_help


def kept_on_relink(client: Client, new: LanguageNeeds) -> LanguageNeeds:
    """Her language needs on a new referral of someone referred before: what this intake answered, and what it left
    unanswered kept from her record (as her contact preferences are)."""
    old = language_needs_of(client)
    reading_help = new.reading_help
    if reading_help is None and not is_unreadable(old.reading_help):
        reading_help = old.reading_help
    if new.interpreter_needed is None:
        interpreter_needed, interpreter_language = old.interpreter_needed, old.interpreter_language
    else:
        interpreter_needed, interpreter_language = new.interpreter_needed, new.interpreter_language
    return LanguageNeeds(new.language or old.language, interpreter_needed, interpreter_language, reading_help)


def changed_fields(before: LanguageNeeds, after: LanguageNeeds) -> list[str]:
    """The names of the fields that differ (for the audit event: names, never values)."""
    old, new = before.values(), after.values()
    return [name for name in FIELDS if old[name] != new[name]]


def change_language_needs(referral: Any, needs: LanguageNeeds, version: int | None, actor: Any) -> LanguageNeeds:
    """Replace her language needs from one of her cases, validated by ``check_language_needs``. The case's version
    is claimed against the one the page was shown at: a save on a stale page is refused (Conflict, 409) and changes
    nothing. Audited as ``clients.language_needs_set`` with the names of the fields that changed."""
    checked = check_language_needs(
        language=needs.language,
        interpreter_needed=needs.interpreter_needed,
        interpreter_language=needs.interpreter_language,
        reading_help=needs.reading_help,
    )
    with transaction():
        query = select(Client).where(Client.id == referral.client_id).with_for_update()
        client = db.session.execute(query.execution_options(populate_existing=True)).scalar_one()
        if client.is_erased:
            raise Conflict(_("Her record was erased, so nothing was changed"))
        claim_case_version(referral, version)
        before = language_needs_of(client)
        apply_language_needs(client, checked)
        changed = changed_fields(before, language_needs_of(client))
        record_event(
            "clients.language_needs_set",
            object_type="client",
            object_id=client.id,
            case_id=referral.id,
            details={"changed": changed, "version": referral.version},
            actor=actor,
        )
    return checked
