"""Dates and times as the service sees them: stored in UTC, shown and reasoned about in Europe/London; written for
people as GOV.UK writes them (``long_date``, ``clock_time``, ``london_datetime``: "Monday 7 December 2026", "10am",
"10:30am", "midday", "midnight"); working days, weekends and bank holidays in England and Wales.

Every page, letter, email and text message that shows a date or a time to a person goes through the formatters here,
so that one rule holds everywhere; machine fields (CSV exports, the API, audit details) keep ISO 8601.

The bank holidays come from the data bundled with govuk-bank-holidays, which runs to the end of one year (its
horizon). Past it the service never takes a weekday for a working day without saying so: it counts the usual bank
holidays (``usual_bank_holidays``), and every place that books or counts past the horizon warns with
``horizon_warning``; ``cases sweep`` emails the managers 90 days before it (docs/calendar.md).
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from dateutil.easter import easter
from govuk_bank_holidays.bank_holidays import BankHolidays

from diversion.db import utcnow

LONDON = ZoneInfo("Europe/London")

# Every date the service takes, typed or sent, is within these (docs/court-dates.md): nothing about a court case
# lies outside them, and a day near the ends of Python's own range (year 1 or 9999) would overflow the arithmetic.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def within_service_years(day: date) -> bool:
    """True for a date from 1 January 1900 to 31 December 2100."""
    return EARLIEST_DATE <= day <= LATEST_DATE


def out_of_range_message(what: str) -> str:
    """The refusal of a date outside the service's years, naming the date ("the return date"), as GOV.UK words it."""
    from flask_babel import gettext

    what = str(what)
    return str(
        gettext(
            "%(what)s must be between %(earliest)s and %(latest)s",
            what=f"{what[:1].upper()}{what[1:]}",
            earliest=long_date(EARLIEST_DATE),
            latest=long_date(LATEST_DATE),
        )
    )


# English names, not the C library's locale's: a server set to another locale still writes "Monday 7 December".
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# GOV.UK's shortened months, for tables where space is short.
SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _language(language: str | None) -> str:
    """The language to write in: the one asked for, else the current request's (English outside a request)."""
    if language is not None:
        return language
    from diversion.i18n import current_language

    return current_language()


def _babel_date(day: date, pattern: str, language: str) -> str:
    return str(format_date(day, pattern, locale=language))


def weekday_name(day: date, *, language: str | None = None) -> str:
    """The day of the week: Monday (dydd Llun in Welsh)."""
    code = _language(language)
    if code == "en":
        return WEEKDAYS[day.weekday()]
    return _babel_date(day, "EEEE", code)


def long_date(day: date, *, weekday: bool = False, year: bool = True, language: str | None = None) -> str:
    """A date as GOV.UK writes it, with no leading zero: 7 December 2026; Monday 7 December 2026 with the weekday;
    Monday 7 December without the year (a reminder for the days ahead). In another language, Babel writes it in the
    same order from that language's names (dydd Llun 7 Rhagfyr 2026)."""
    code = _language(language)
    if code != "en":
        pattern = ("EEEE " if weekday else "") + "d MMMM" + (" y" if year else "")
        return _babel_date(day, pattern, code)
    text = f"{day.day} {MONTHS[day.month - 1]}"
    if year:
        text += f" {day.year}"
    return f"{weekday_name(day, language=code)} {text}" if weekday else text


def month_year(day: date, *, short: bool = False, language: str | None = None) -> str:
    """The month of a date: March 2026, or Mar 2026 where space is short (a chart's axis)."""
    code = _language(language)
    if code != "en":
        return _babel_date(day, "LLL y" if short else "LLLL y", code)
    return f"{(SHORT_MONTHS if short else MONTHS)[day.month - 1]} {day.year}"


def short_date(day: date, *, language: str | None = None) -> str:
    """A date for a table, with GOV.UK's shortened month: 7 Dec 2026."""
    code = _language(language)
    if code != "en":
        return _babel_date(day, "d MMM y", code)
    return f"{day.day} {SHORT_MONTHS[day.month - 1]} {day.year}"


def clock_time(at: time, *, language: str | None = None) -> str:
    """A wall-clock time as GOV.UK writes it: 10am, 10:30am, 12:45am, 5:05pm; midnight and midday, never 12am or
    12pm (which people read either way). In Welsh, the same with Babel's names of the halves of the day: 10yb,
    5:05yh, canol dydd, hanner nos."""
    code = _language(language)
    if code != "en":
        from flask_babel import force_locale, gettext

        hour = at.hour % 12 or 12
        minutes = f":{at.minute:02d}" if at.minute else ""
        # The halves of the day as the language abbreviates them (Welsh: yb, yh), from the catalogue: Babel's
        # Welsh locale data has only AM and PM.
        with force_locale(code):
            if at.minute == 0 and at.hour in (0, 12):
                return str(gettext("midnight") if at.hour == 0 else gettext("midday"))
            half = gettext("am") if at.hour < 12 else gettext("pm")
            return f"{hour}{minutes}{half}"
    if at.minute == 0 and at.hour in (0, 12):
        return "midnight" if at.hour == 0 else "midday"
    hour = at.hour % 12 or 12
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{hour}{minutes}{'am' if at.hour < 12 else 'pm'}"


def london_time(moment: datetime, *, language: str | None = None) -> str:
    """The London wall-clock time of a UTC time, as GOV.UK writes it: 10:30am."""
    return clock_time(moment.astimezone(LONDON).time(), language=language)


def london_datetime(
    moment: datetime, *, weekday: bool = False, short: bool = False, language: str | None = None
) -> str:
    """A UTC time as its London date and time: 7 December 2026, 10:30am (7 Dec 2026, 10:30am when short)."""
    local = moment.astimezone(LONDON)
    day = (
        short_date(local.date(), language=language)
        if short
        else long_date(local.date(), weekday=weekday, language=language)
    )
    return f"{day}, {clock_time(local.time(), language=language)}"


def now_london() -> datetime:
    """The current time in London."""
    return utcnow().astimezone(LONDON)


def today() -> date:
    """Today's date in London (a court day starts at midnight there, not in UTC)."""
    return now_london().date()


def london_date(moment: datetime) -> date:
    """The London date of a UTC time."""
    return moment.astimezone(LONDON).date()


def from_london(day: date, at: time) -> datetime:
    """A London wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


@functools.cache
def bank_holidays() -> frozenset[date]:
    """Bank holidays in England and Wales, from the data bundled with govuk-bank-holidays (no network)."""
    source = BankHolidays(use_cached_holidays=True)
    return frozenset(item["date"] for item in source.get_holidays(division=BankHolidays.ENGLAND_AND_WALES))


@functools.cache
def bank_holidays_known_until() -> date:
    """The calendar's horizon: the last day of the last year the bundled bank holidays cover."""
    return date(max(bank_holidays()).year, 12, 31)


def horizon_warning(*days: date | None) -> str | None:
    """What to tell someone booking or counting working days up to ``days``: None while all are within the horizon."""
    horizon = bank_holidays_known_until()
    if any(day is not None and day > horizon for day in days):
        from flask_babel import gettext

        return str(gettext("Bank holidays after %(date)s are not known yet", date=long_date(horizon)))
    return None


def _monday_on_or_before(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _substitute(day: date, taken: set[date]) -> date:
    """A bank holiday that falls on a weekend (or on another one's substitute) moves to the next free weekday."""
    while day.weekday() >= 5 or day in taken:
        day += timedelta(days=1)
    return day


@functools.cache
def usual_bank_holidays(year: int) -> frozenset[date]:
    """The eight bank holidays England and Wales have every year, by the usual rules, with substitute days: for
    years past the horizon, where the real ones are not published yet. One-off holidays (a jubilee, a coronation)
    and moved ones (as in 2020) cannot be foreseen; tests/referrals/test_calendar_horizon.py checks the rules
    against every year of the bundled data that had neither."""
    easter_sunday = easter(year)
    taken: set[date] = set()
    for fixed in (date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)):
        taken.add(_substitute(fixed, taken))
    return frozenset(
        taken
        | {
            easter_sunday - timedelta(days=2),
            easter_sunday + timedelta(days=1),
            date(year, 5, 1) + timedelta(days=(7 - date(year, 5, 1).weekday()) % 7),
            _monday_on_or_before(date(year, 5, 31)),
            _monday_on_or_before(date(year, 8, 31)),
        }
    )


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday. Past the horizon, not one of the usual bank holidays either: the
    callers that book or count there say so with ``horizon_warning``."""
    if day.weekday() >= 5:
        return False
    if day > bank_holidays_known_until():
        return day not in usual_bank_holidays(day.year)
    return day not in bank_holidays()


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end is not after start)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
