"""Acknowledging an alert."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField


class AcknowledgeForm(FlaskForm):
    """Nothing to type: the button says she has seen it and will act on it."""

    submit = SubmitField(_l("Acknowledge this alert"), widget=GovSubmitInput())
