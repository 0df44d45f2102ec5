"""Forms about her: her language, interpreter need and reading help (docs/languages.md).

The fields are made by functions so that the new-referral form asks the same questions in the same words."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSelect, GovSubmitInput
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Optional

from diversion.clients.language_needs import MAX_READING_HELP, LanguageNeeds
from diversion.clients.languages import language_choices
from diversion.crypto.fields import is_unreadable
from diversion.forms import MaxLength, VersionField, choices

NOT_ASKED = _l("Not asked yet")
INTERPRETER_ANSWERS = [("yes", _l("Yes")), ("no", _l("No")), ("unknown", NOT_ASKED)]
# Service field paths (API names, with or without "client.") to the forms' field names.
FIELD_NAMES = {
    "language": "language",
    "interpreter.needed": "interpreter_needed",
    "interpreter.language": "interpreter_language",
    "reading_help": "reading_help",
}


def _language_select(label: Any, empty: Any) -> SelectField:
    # Every code is offered; one sent that is not in the list is the service's to refuse, in its own words, not
    # WTForms' "Not a valid choice".
    return SelectField(
        label,
        choices=choices([("", empty), *language_choices()]),
        widget=GovSelect(),
        validate_choice=False,
        validators=[Optional()],
    )


def language_field() -> SelectField:
    """Her preferred language, from the whole ISO 639-1 list, English first."""
    return _language_select(_l("Her preferred language"), NOT_ASKED)


def interpreter_needed_field() -> RadioField:
    """Whether she needs an interpreter."""
    return RadioField(
        _l("Does she need an interpreter?"),
        choices=choices(INTERPRETER_ANSWERS),
        default="unknown",
        widget=GovRadioInput(),
        validators=[Optional()],
    )


def interpreter_language_field() -> SelectField:
    """The language she needs an interpreter for; left empty, her preferred language when that is not English."""
    return _language_select(_l("Which language does she need an interpreter for?"), _l("Her preferred language"))


def reading_help_field() -> TextAreaField:
    """The help she needs with reading, in her worker's words (encrypted)."""
    return TextAreaField(
        _l("Does she need help with reading? (optional)"),
        widget=GovCharacterCount(),
        validators=[Optional(), MaxLength(MAX_READING_HELP)],
    )


def needs_from(form: Any) -> LanguageNeeds:
    """The answers of a form with the four fields, as given (the service checks them)."""
    return LanguageNeeds(
        language=form.language.data or None,
        interpreter_needed={"yes": True, "no": False}.get(form.interpreter_needed.data or ""),
        interpreter_language=form.interpreter_language.data or None,
        reading_help=form.reading_help.data,
    )


def show_needs(form: Any, needs: LanguageNeeds) -> None:
    """Fill a form's four fields with what is recorded (a note that cannot be read is left empty)."""
    form.language.data = needs.language or ""
    answered = needs.interpreter_needed
    form.interpreter_needed.data = "unknown" if answered is None else ("yes" if answered else "no")
    form.interpreter_language.data = needs.interpreter_language or ""
    form.reading_help.data = "" if is_unreadable(needs.reading_help) else (needs.reading_help or "")


class LanguageNeedsForm(FlaskForm):
    """Her language, interpreter need and reading help, changed from one of her cases."""

    language = language_field()
    interpreter_needed = interpreter_needed_field()
    interpreter_language = interpreter_language_field()
    reading_help = reading_help_field()
    version = VersionField()
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())
