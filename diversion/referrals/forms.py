"""Forms for intake, consent, withdrawal, re-adjournment and the caseload search."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from diversion.clients.forms import (
    interpreter_language_field,
    interpreter_needed_field,
    language_field,
    reading_help_field,
)
from diversion.forms import DateInputField, MaxLength, VersionField
from diversion.idempotency.forms import OneTimeKeyField
from diversion.referrals.intake import OFFENCES
from diversion.referrals.models import ConsentPurpose, in_a_sentence
from diversion.referrals.need_to_know import MAX_REASON, REASON_MISSING

YES_NO_UNKNOWN = [("yes", _l("Yes")), ("no", _l("No")), ("unknown", _l("Not asked yet"))]


def lazy_choices(pairs: Any) -> list[SelectChoice]:
    """Radio or select options whose labels stay lazy, read in the language of the page that shows them."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(str(value), label) for value, label in items]


class ReferralForm(FlaskForm):
    one_time_key = OneTimeKeyField()  # a second submit of the page saves nothing more (docs/idempotency.md)
    court = SelectField(
        _l("Court"), choices=[], widget=GovSelect(), validators=[InputRequired(message=_l("Select the court"))]
    )
    # Asked only where more than one scheme (of hers, for support staff) serves a court she refers from; the service
    # says which are allowed (docs/organisations.md).
    scheme = RadioField(
        _l("Which scheme takes this referral?"), choices=[], widget=GovRadioInput(), validators=[Optional()]
    )
    urn = StringField(
        _l("URN"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the URN")), Length(max=40, message=_l("The URN is too long"))],
    )
    offence = SelectField(
        _l("Offence"),
        choices=lazy_choices([("", _l("Select the offence")), *OFFENCES.items()]),
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Select the offence"))],
    )
    first_hearing_date = DateInputField(_l("First hearing"), what=_l("the first hearing date"))
    return_date = DateInputField(_l("Return date"), what=_l("the return date"))
    # Offered to managers only (the view removes it for everyone else): docs/court-dates.md.
    past_case = BooleanField(
        _l("This is a past case: its return date is today or has passed"), widget=GovCheckboxInput()
    )
    # Asked for when the return date is on a weekend, a bank holiday or past the calendar's horizon.
    override_reason = StringField(
        _l("Reason to keep this return date"), widget=GovTextInput(), validators=[Optional(), MaxLength(200)]
    )
    given_name = StringField(
        _l("Given name"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter her given name")), MaxLength(100)],
    )
    family_name = StringField(
        _l("Family name"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter her family name")), MaxLength(100)],
    )
    date_of_birth = DateInputField(_l("Date of birth"), what=_l("her date of birth"), autocomplete_bday=True)
    phone = StringField(_l("Phone number (optional)"), widget=GovTextInput(), validators=[Optional(), MaxLength(30)])
    email = StringField(_l("Email address (optional)"), widget=GovTextInput(), validators=[Optional(), MaxLength(254)])
    may_text = RadioField(
        _l("Is it safe to send her text messages?"),
        choices=lazy_choices(YES_NO_UNKNOWN),
        default="unknown",
        widget=GovRadioInput(),
    )
    may_voicemail = RadioField(
        _l("Is it safe to leave her voicemail?"),
        choices=lazy_choices(YES_NO_UNKNOWN),
        default="unknown",
        widget=GovRadioInput(),
    )
    # Her quiet hours, two times given together or not at all; checked by the one rule the messages page and the API
    # follow (diversion/clients/contact.py, docs/notifications.md).
    quiet_from = StringField(_l("From"), widget=GovTextInput())
    quiet_to = StringField(_l("To"), widget=GovTextInput())
    contact_note = StringField(
        _l("Anything else about contacting her safely (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), MaxLength(200)],
    )
    # Her language, interpreter need and reading help (docs/languages.md), asked as the case's language page asks.
    language = language_field()
    interpreter_needed = interpreter_needed_field()
    interpreter_language = interpreter_language_field()
    reading_help = reading_help_field()
    notes = TextAreaField(
        _l("Referral notes (optional)"), widget=GovCharacterCount(), validators=[Optional(), MaxLength(5000)]
    )
    link = RadioField(_l("Is this the same person?"), choices=[], widget=GovRadioInput(), validators=[Optional()])
    submit = SubmitField(_l("Save referral"), widget=GovSubmitInput())


AGREES = [("given", _l("She agrees")), ("refused", _l("She does not agree, or withdraws her agreement"))]


def _consent_question(purpose: ConsentPurpose) -> RadioField:
    return RadioField(
        LazyString(lambda: purpose.label),
        choices=lazy_choices(AGREES),
        widget=GovRadioInput(),
        validators=[
            InputRequired(
                message=LazyString(
                    lambda: _("Select whether she agrees to %(purpose)s", purpose=in_a_sentence(purpose.label))
                )
            )
        ],
    )


class ConsentForm(FlaskForm):
    """Her decision on each of the four purposes, on one page (docs/confirmations.md); a field per purpose, named by
    its code."""

    support = _consent_question(ConsentPurpose.SUPPORT)
    share_with_court_cps = _consent_question(ConsentPurpose.SHARE_WITH_COURT_CPS)
    reminders = _consent_question(ConsentPurpose.REMINDERS)
    equality_monitoring = _consent_question(ConsentPurpose.EQUALITY_MONITORING)
    version = VersionField()
    # The ids of the wordings the page read her, one per purpose in the ledger's order: a version published while
    # she was reading is caught on submit and she is asked again (docs/privacy.md, "Consent").
    wordings = HiddenField()
    submit = SubmitField(_l("Record her decisions"), widget=GovSubmitInput())

    def questions(self) -> list[tuple[ConsentPurpose, Any]]:
        """Each purpose with its field, in the ledger's order."""
        return [(purpose, self[purpose.value]) for purpose in ConsentPurpose]

    def show_wordings(self, wordings: dict[ConsentPurpose, Any]) -> None:
        """Carry the ids of the wordings shown."""
        self.wordings.data = ",".join(str(wordings[purpose].id) for purpose in ConsentPurpose)

    def shown(self) -> dict[ConsentPurpose, int | None]:
        """The id of the wording shown for each purpose (None when the form did not say: treated as changed)."""
        parts = (self.wordings.data or "").split(",")
        ids = [int(part) if part.strip().isdigit() else None for part in parts]
        ids += [None] * (len(ConsentPurpose) - len(ids))
        return dict(zip(ConsentPurpose, ids, strict=False))

    def answers(self) -> dict[ConsentPurpose, bool]:
        """Her answers, given (True) or not (False), by purpose."""
        return {purpose: field.data == "given" for purpose, field in self.questions()}


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is she withdrawing?"),
        widget=GovCharacterCount(),
        validators=[InputRequired(message=_l("Enter why she is withdrawing")), MaxLength(2000)],
    )
    version = VersionField()
    submit = SubmitField(_l("Withdraw from the scheme"), widget=GovSubmitInput())


class AccessForm(FlaskForm):
    """Why she opens a colleague's case (docs/organisations.md, "Need to know")."""

    reason = TextAreaField(
        _l("Why do you need to open this case?"),
        widget=GovCharacterCount(),
        validators=[InputRequired(message=REASON_MISSING), MaxLength(MAX_REASON)],
    )
    # The page she asked for, to go on to once the reason is given (a path on this site: checked before use).
    next = HiddenField()
    submit = SubmitField(_l("Open the case"), widget=GovSubmitInput())


class ReturnDateForm(FlaskForm):
    return_date = DateInputField(_l("New return date"), what=_l("the new return date"))
    reason = TextAreaField(
        _l("Why did the return date change?"),
        widget=GovCharacterCount(),
        validators=[InputRequired(message=_l("Enter why the return date changed")), MaxLength(2000)],
    )
    # Asked for when the new return date is on a weekend, a bank holiday or past the calendar's horizon.
    override_reason = StringField(
        _l("Reason to keep this return date"), widget=GovTextInput(), validators=[Optional(), MaxLength(200)]
    )
    version = VersionField()
    submit = SubmitField(_l("Change return date"), widget=GovSubmitInput())


class AssignForm(FlaskForm):
    """A manager gives the case to a support worker or manager, or to no one (choices set by the view)."""

    worker = RadioField(
        _l("Who is her support worker?"),
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose who is her support worker"))],
    )
    version = VersionField()
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())


class TakeForm(FlaskForm):
    """A support worker takes a case that has no worker."""

    version = VersionField()
    submit = SubmitField(_l("Take this case"), widget=GovSubmitInput())


class SearchForm(FlaskForm):
    """The caseload search, by family name and date of birth or by URN. Sent by POST: in a GET form's address they
    would sit in the browser's history and in any proxy's log."""

    family_name = StringField(
        _l("Family name"),
        widget=GovTextInput(),
        validators=[Optional(), MaxLength(100)],
    )
    date_of_birth = DateInputField(_l("Date of birth"), what=_l("the date of birth"), required=False)
    urn = StringField(
        _l("URN"),
        widget=GovTextInput(),
        validators=[Optional(), MaxLength(40)],
    )
    submit = SubmitField(_l("Search"), widget=GovSubmitInput())

    def validate(self, extra_validators: Any = None) -> bool:
        """A URN, or a family name with a date of birth: a name alone would match nothing exactly."""
        if not super().validate(extra_validators):
            return False
        named = bool((self.family_name.data or "").strip())
        born = self.date_of_birth.data is not None
        if (self.urn.data or "").strip() or (named and born):
            return True
        if named:
            self.date_of_birth.errors = [_("Enter her date of birth to search by family name")]
        elif born:
            self.family_name.errors = [_("Enter her family name to search by date of birth")]
        else:
            self.family_name.errors = [_("Enter a family name and date of birth, or a URN")]
        return False


class CourtDayForm(FlaskForm):
    """Another day for the court-day list: a GET form (it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    day = DateInputField(_l("Another day"), what=_l("the day"))
    submit = SubmitField(_l("Show that day"), widget=GovSubmitInput())


class ReverseForm(FlaskForm):
    """A manager reverses a decline or withdrawal made in error (docs/reversals.md)."""

    reason = TextAreaField(
        _l("Why is the decision being reversed?"),
        widget=GovCharacterCount(),
        validators=[InputRequired(message=_l("Enter why the decision is being reversed")), MaxLength(2000)],
    )
    version = VersionField()
    submit = SubmitField(_l("Reverse this decision"), widget=GovSubmitInput())
