"""The calendar's horizon, told to the managers: 90 days before the bundled bank holidays run out, ``cases sweep``
emails each active manager once, so that someone updates the service before it has to guess (docs/calendar.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _

from diversion.dates import bank_holidays_known_until, london_date, long_date
from diversion.db import utcnow

WARN_DAYS_BEFORE = 90


def _subject() -> str:
    """The email's subject, in the language in force (each manager's)."""
    return _("Bank holiday dates run out soon")


def warning_starts(horizon: date | None = None) -> date:
    """The first day the managers are told: 90 days before the horizon."""
    return (horizon or bank_holidays_known_until()) - timedelta(days=WARN_DAYS_BEFORE)


def _body(horizon: date) -> str:
    """The email's body, in the language in force (each manager's)."""
    written = long_date(horizon)
    return _(
        "The service knows the bank holidays in England and Wales up to %(date)s. After that date it counts "
        "working days and checks bookings with the usual bank holidays only, and warns whoever books or counts "
        "past it that the real ones are not known yet.\n\n"
        "Ask your system administrator to update the service (its govuk-bank-holidays package) before "
        "%(date)s, so that return dates and appointments after it are counted correctly.",
        date=written,
    )


def alert_managers_of_horizon(now: datetime | None = None) -> int:
    """From 90 days before the horizon, queue an email to each active manager who has not had one about this
    horizon (so once each, however often the sweep runs); returns how many were queued."""
    now = now or utcnow()
    horizon = bank_holidays_known_until()
    if london_date(now) < warning_starts(horizon):
        return 0
    from diversion.notifications.services import email_active_managers

    return email_active_managers(
        dedupe=f"calendar-horizon:{horizon.isoformat()}", subject=_subject, body=lambda: _body(horizon), now=now
    )
