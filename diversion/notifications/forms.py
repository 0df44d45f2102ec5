"""Forms: her quiet hours, her STOP reply, a manager's retry, a partner's email choice."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import InputRequired


class QuietHoursForm(FlaskForm):
    # Both times or neither, HH:MM: checked by diversion/clients/contact.py, the rule the intake form and the API share.
    quiet_from = StringField(_l("From"), widget=GovTextInput())
    quiet_to = StringField(_l("To"), widget=GovTextInput())
    save_hours = SubmitField(_l("Save quiet hours"), widget=GovSubmitInput())


class StopForm(FlaskForm):
    record_stop = SubmitField(_l("Record her STOP reply"), widget=GovSubmitInput())


class RetryForm(FlaskForm):
    retry = SubmitField(_l("Send again"), widget=GovSubmitInput())


class NoticeEmailsForm(FlaskForm):
    wanted = RadioField(
        _l("Email me when an outcome notice is made"),
        # Lazy labels, kept as they are (not made str here) so that each page shows them in its own language.
        choices=[SelectChoice("yes", _l("Yes, email me")), SelectChoice("no", _l("No"))],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Select whether you want these emails"))],
    )
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())
