"""The shared GOV.UK date input: missing parts are a message, never an error page."""

from __future__ import annotations

from datetime import date

import pytest
from flask import render_template_string
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from diversion.forms import DateInputField
from diversion.permissions import public


class BirthForm(FlaskForm):
    class Meta:
        csrf = False

    dob = DateInputField("Date of birth", what="date of birth", autocomplete_bday=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Enter date of birth"),
        ({"dob-day": "1"}, "Date of birth must include a month and year"),
        ({"dob-day": "1", "dob-month": "2"}, "Date of birth must include a year"),
        ({"dob-day": "31", "dob-month": "2", "dob-year": "1990"}, "Date of birth must be a real date"),
        ({"dob-day": "x", "dob-month": "2", "dob-year": "1990"}, "Date of birth must be a real date"),
        ({"dob-day": "1", "dob-month": "2", "dob-year": "90"}, "The year of date of birth must include 4 numbers"),
        (
            {"dob-day": "1", "dob-month": "2", "dob-year": "0001"},
            "Date of birth must be between 1 January 1900 and 31 December 2100",
        ),
    ],
)
def test_date_input_messages(app_ctx, data: dict[str, str], message: str) -> None:
    form = BirthForm(formdata=MultiDict(data))
    assert form.validate() is False
    assert form.dob.errors == [message]
    html = str(form.dob())
    assert "govuk-input--error" in html
    assert message in html


def test_date_input_parses_and_keeps_what_was_typed(app_ctx) -> None:
    form = BirthForm(formdata=MultiDict({"dob-day": " 7 ", "dob-month": "03", "dob-year": "1991"}))
    assert form.validate()
    assert form.dob.data == date(1991, 3, 7)
    html = str(form.dob())
    assert 'name="dob-day"' in html
    assert 'value="7"' in html
    assert 'autocomplete="bday-day"' in html


def test_date_input_missing_from_a_post_is_not_a_server_error(fresh_app) -> None:
    app = fresh_app(WTF_CSRF_ENABLED=False)

    @app.route("/date-probe", methods=["POST"])
    @public
    def date_probe():
        form = BirthForm()
        if form.validate_on_submit():
            return form.dob.data.isoformat()
        return render_template_string("{{ form.dob() }}", form=form), 200

    client = app.test_client()
    response = client.post("/date-probe", data={"unrelated": "1"})
    assert response.status_code == 200
    assert "Enter date of birth" in response.get_data(as_text=True)
    assert (
        client.post("/date-probe", data={"dob-day": "2", "dob-month": "1", "dob-year": "2000"}).get_data(as_text=True)
        == "2000-01-02"
    )


def test_a_too_long_answer_is_refused_naming_the_field(app) -> None:
    from wtforms import StringField

    from diversion.forms import MaxLength

    class PlaceForm(FlaskForm):
        class Meta:
            csrf = False

        place = StringField("Place (optional)", validators=[MaxLength(10)])
        why = StringField("Why is it being rebooked?", validators=[MaxLength(5)])

    with app.test_request_context():
        form = PlaceForm(MultiDict({"place": "x" * 11, "why": "y" * 6}))
        assert not form.validate()
        assert form.place.errors == ["Place must be 10 characters or fewer"]
        assert form.why.errors == ["The answer must be 5 characters or fewer"]
        assert 'maxlength="10"' in str(form.place())
        fits = PlaceForm(MultiDict({"place": "x" * 10, "why": "y" * 5}))
        assert fits.validate()
