"""The service in Welsh (docs/languages.md, "The service in Welsh"): who sees which language, the shared pieces
in Welsh, dates and numbers written by Babel for the language, and what stays English whoever asks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from flask_babel import force_locale

from diversion.dates import clock_time, london_datetime, long_date, month_year, short_date
from diversion.db import transaction
from diversion.extensions import db
from diversion.i18n import load_translations, select_locale, user_language
from tests.factories import create_court, create_user, log_in_as

pytestmark = pytest.mark.clock("2026-12-07 09:00")


def _set(user, **values):
    with transaction():
        merged = db.session.merge(user)
        for name, value in values.items():
            setattr(merged, name, value)
    return user


def _html_lang(page: str) -> str:
    start = page.index("<html lang=") + len('<html lang="')
    return page[start : page.index('"', start)]


def test_a_user_who_chose_welsh_reads_the_pages_in_welsh(client, app_ctx) -> None:
    user = create_user(role="worker")
    _set(user, language="cy")
    page = log_in_as(client, user).get("/home").get_data(as_text=True)
    assert _html_lang(page) == "cy"
    assert "Hafan" in page  # the navigation's Home
    assert "Allgofnodi" in page  # Sign out
    assert "Neidio i&#39;r prif gynnwys" in page or "Neidio i'r prif gynnwys" in page  # the skip link
    assert "Sign out" not in page


def test_english_is_the_default_and_unchanged(client, app_ctx) -> None:
    user = create_user(role="worker")
    page = log_in_as(client, user).get("/home").get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert "Sign out" in page
    assert "Allgofnodi" not in page


def test_a_court_that_defaults_to_welsh_gives_its_staff_welsh_unless_they_chose(client, app_ctx) -> None:
    court = create_court()
    with transaction():
        db.session.merge(court).default_language = "cy"
    staff = create_user(role="court", court=court)
    page = log_in_as(client, staff).get("/home").get_data(as_text=True)
    assert _html_lang(page) == "cy"
    chose_english = create_user(role="court", court=court)
    _set(chose_english, language="en")
    client.get("/home")
    page = log_in_as(client, chose_english).get("/home").get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert user_language(db.session.get(type(staff), staff.id)) == "cy"


def test_the_api_stays_english_for_a_user_who_reads_welsh(client, app_ctx) -> None:
    user = create_user(role="worker")
    _set(user, language="cy")
    log_in_as(client, user)
    response = client.get("/api/v1/referrals/not-a-referral")
    body = response.get_json()
    assert response.status_code in (401, 404)
    assert body["error"]["message"].isascii()
    with app_ctx.test_request_context("/api/v1/referrals"):
        assert select_locale() == "en"


def test_an_error_page_is_in_welsh(client, app_ctx) -> None:
    user = create_user(role="worker")
    _set(user, language="cy")
    page = log_in_as(client, user).get("/no-such-page").get_data(as_text=True)
    assert "Heb ddod o hyd i&#39;r dudalen" in page or "Heb ddod o hyd i'r dudalen" in page


def test_signed_out_the_session_language_is_used(client, app_ctx) -> None:
    with client.session_transaction() as session:
        session["language"] = "cy"
    page = client.get("/sign-in").get_data(as_text=True)
    assert _html_lang(page) == "cy"
    with client.session_transaction() as session:
        session["language"] = "xx"
    assert _html_lang(client.get("/sign-in").get_data(as_text=True)) == "en"


def test_dates_and_times_are_written_by_babel_in_welsh_and_as_govuk_writes_them_in_english(app_ctx) -> None:
    day = date(2026, 12, 7)
    assert long_date(day, weekday=True, language="en") == "Monday 7 December 2026"
    assert long_date(day, weekday=True, language="cy") == "Dydd Llun 7 Rhagfyr 2026"
    assert long_date(day, language="cy") == "7 Rhagfyr 2026"
    assert short_date(day, language="cy") == "7 Rhag 2026"
    assert month_year(day, language="cy") == "Rhagfyr 2026"
    assert clock_time(time(10, 30), language="en") == "10:30am"
    assert clock_time(time(17, 5), language="cy") == "5:05yh"
    with app_ctx.test_request_context("/"), force_locale("cy"):
        assert clock_time(time(12, 0)) == "canol dydd"
        assert clock_time(time(0, 0)) == "hanner nos"
        assert london_datetime(datetime(2026, 12, 7, 10, 30, tzinfo=UTC)) == "7 Rhagfyr 2026, 10:30yb"
    # Outside a request (a worker's job) the language is English unless one is asked for.
    assert long_date(day) == "7 December 2026"


def test_numbers_are_formatted_for_the_language(app_ctx) -> None:
    from wtforms import Form, StringField

    from diversion.forms import MaxLength

    class Probe(Form):
        note = StringField("Note", validators=[MaxLength(1000)])

    with app_ctx.test_request_context("/"), force_locale("cy"):
        form = Probe(data={"note": "x" * 1001})
        assert not form.validate()
        assert form.note.errors == ["Rhaid i Note fod yn 1,000 o nodau neu lai"]


def test_her_reminder_stays_english_when_a_welsh_reader_sends_it(app_ctx) -> None:
    from diversion.notifications.wording import when

    with app_ctx.test_request_context("/"), force_locale("cy"):
        assert when(datetime(2026, 12, 10, 10, 30, tzinfo=UTC)) == {"day": "Thursday 10 December", "time": "10:30am"}


def test_the_catalogue_is_read_from_its_po_file_and_leaves_fuzzy_entries_out(tmp_path, monkeypatch) -> None:
    import diversion.i18n as i18n

    po = tmp_path / "cy" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Home"\nmsgstr "Hafan"\n\n#, fuzzy\nmsgid "Back"\nmsgstr "Yn ol"\n'
    )
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    translations = load_translations("cy")
    assert translations.gettext("Home") == "Hafan"
    assert translations.gettext("Back") == "Back"
    assert load_translations("en").gettext("Home") == "Home"


def test_the_script_is_given_its_words_in_welsh_and_english_pages_leave_it_its_own(client, app_ctx) -> None:
    import json
    import re

    user = create_user(role="worker")
    _set(user, language="cy")
    page = log_in_as(client, user).get("/home").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="app-words">(.*?)</script>', page, re.S)
    assert found is not None
    words = json.loads(found.group(1))
    assert words["stay"] == "Aros wedi mewngofnodi"
    assert words["warn.heading"] == "Byddwch yn cael eich allgofnodi cyn bo hir"
    english = create_user(role="worker")
    page = log_in_as(client, english).get("/home").get_data(as_text=True)
    assert 'id="app-words"' not in page


def test_a_lazy_string_is_text_to_jinja_not_markup(app_ctx) -> None:
    from flask import render_template_string
    from flask_babel import lazy_gettext

    with app_ctx.test_request_context("/"):
        shown = render_template_string("{{ label }}", label=lazy_gettext("Her name: %(name)s", name="<b>Ana</b>"))
    assert shown == "Her name: &lt;b&gt;Ana&lt;/b&gt;"
