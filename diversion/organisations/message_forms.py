"""The form of a language's messages on the programme screen: the text message, the email's subject and the email,
as the manager approves them (docs/languages.md, "Messages in her language")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField

from diversion.forms import VersionField
from diversion.notifications.wording import PARTS


class MessagesForm(FlaskForm):
    """A language's three parts, and the approved version the page was shown (0 for none)."""

    # The number of the approved version the page was shown: an approval over a newer one is a conflict (409).
    version = VersionField()
    sms_body = TextAreaField(PARTS["sms_body"], widget=GovTextArea())
    email_subject = StringField(PARTS["email_subject"], widget=GovTextInput())
    email_body = TextAreaField(PARTS["email_body"], widget=GovTextArea())
    submit = SubmitField(_l("Approve these messages"), widget=GovSubmitInput())

    def parts(self) -> dict[str, str]:
        """The three parts as typed, by part, each line ending as \\n (a browser sends a textarea's as \\r\\n)."""
        return {part: (self[part].data or "").replace("\r\n", "\n").replace("\r", "\n") for part in PARTS}
