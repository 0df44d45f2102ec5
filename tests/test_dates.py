"""Dates and times as GOV.UK writes them (diversion/dates.py): one formatter for pages, letters, emails and texts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from diversion.dates import clock_time, london_datetime, london_time, long_date, month_year, short_date
from diversion.notifications.wording import render_reminder
from diversion.views_context import london, london_iso, london_short


@pytest.mark.parametrize(
    ("at", "written"),
    [
        (time(0, 0), "midnight"),
        (time(12, 0), "midday"),
        (time(10, 0), "10am"),
        (time(10, 30), "10:30am"),
        (time(0, 45), "12:45am"),
        (time(12, 5), "12:05pm"),
        (time(17, 5), "5:05pm"),
        (time(23, 59), "11:59pm"),
        (time(0, 1), "12:01am"),
        (time(9, 0, 59), "9am"),
    ],
)
def test_a_time_of_day_has_no_leading_zero_no_needless_minutes_and_no_12am_or_12pm(at: time, written: str) -> None:
    assert clock_time(at) == written


@pytest.mark.parametrize(
    ("day", "options", "written"),
    [
        (date(2026, 12, 7), {}, "7 December 2026"),
        (date(2026, 12, 7), {"weekday": True}, "Monday 7 December 2026"),
        (date(2026, 12, 7), {"weekday": True, "year": False}, "Monday 7 December"),
        (date(2027, 1, 1), {}, "1 January 2027"),
        (date(1900, 1, 1), {}, "1 January 1900"),
    ],
)
def test_a_date_is_written_out_with_no_leading_zero(day: date, options: dict[str, bool], written: str) -> None:
    assert long_date(day, **options) == written


def test_tables_and_charts_use_the_shortened_months() -> None:
    assert short_date(date(2026, 9, 3)) == "3 Sep 2026"
    assert month_year(date(2026, 6, 30)) == "June 2026"
    assert month_year(date(2026, 6, 30), short=True) == "Jun 2026"


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        # Winter: London is UTC.
        (datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "Monday 7 December 2026, 10am"),
        # Both sides of the clocks going forward (01:00 UTC on 28 March 2027).
        (datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "Sunday 28 March 2027, 12:30am"),
        (datetime(2027, 3, 28, 1, 0, tzinfo=UTC), "Sunday 28 March 2027, 2am"),
        # Summer: midnight and midday in London are 23:00 and 11:00 UTC, and midnight is the next day's.
        (datetime(2027, 7, 14, 23, 0, tzinfo=UTC), "Thursday 15 July 2027, midnight"),
        (datetime(2027, 7, 15, 11, 0, tzinfo=UTC), "Thursday 15 July 2027, midday"),
        # Both sides of the clocks going back (01:00 UTC on 31 October 2027): 1:30am twice.
        (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "Sunday 31 October 2027, 1:30am"),
        (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), "Sunday 31 October 2027, 1:30am"),
    ],
)
def test_a_stored_time_is_written_as_its_london_date_and_time(moment: datetime, written: str) -> None:
    assert london_datetime(moment, weekday=True) == written


def test_the_page_filters_and_the_time_alone_use_the_same_formatter() -> None:
    summer_midnight = datetime(2027, 7, 14, 23, 0, tzinfo=UTC)
    assert london_time(summer_midnight) == "midnight"
    assert london(summer_midnight) == "15 July 2027, midnight"
    assert london(summer_midnight, with_time=False) == "15 July 2027"
    assert london_short(datetime(2026, 12, 7, 12, 0, tzinfo=UTC)) == "7 Dec 2026, midday"
    assert london(date(2026, 12, 7)) == "7 December 2026"
    assert london("unreadable") == "unreadable"
    assert london(None) == ""


@pytest.mark.parametrize(
    ("starts_at", "when"),
    [
        (datetime(2026, 12, 7, 0, 45, tzinfo=UTC), "on Monday 7 December at 12:45am"),
        (datetime(2026, 12, 7, 0, 0, tzinfo=UTC), "on Monday 7 December at midnight"),
        (datetime(2026, 12, 7, 12, 0, tzinfo=UTC), "on Monday 7 December at midday"),
        (datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "on Monday 7 December at 10am"),
        (datetime(2027, 7, 15, 9, 30, tzinfo=UTC), "on Thursday 15 July at 10:30am"),
    ],
)
def test_a_reminder_says_the_day_and_time_as_gov_uk_writes_them(starts_at: datetime, when: str) -> None:
    assert f"appointment {when}." in render_reminder("sms", starts_at).body
    assert f"appointment {when}." in render_reminder("email", starts_at).body


def test_a_time_kept_as_iso_text_is_shown_in_london_and_other_text_as_it_is() -> None:
    assert london_iso("2026-12-01T10:00:00+00:00") == "1 December 2026, 10am"
    assert london_iso("2026-12-01T10:00:00") == "2026-12-01T10:00:00"  # no zone: not guessed
    assert london_iso("unreadable") == "unreadable"
    assert london_iso(None) == ""
