"""Dates and times as the service sees them: stored in UTC, shown and reasoned about in Europe/London; working
days, weekends and bank holidays in England and Wales."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from govuk_bank_holidays.bank_holidays import BankHolidays

from diversion.db import utcnow

LONDON = ZoneInfo("Europe/London")


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


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday."""
    return day.weekday() < 5 and day not in bank_holidays()


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end is not after start)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
