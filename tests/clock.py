"""The suite's clock: every test runs on a frozen clock that starts at a moment the test names, never the real one.

Every test gets the autouse ``clock`` fixture (tests/conftest.py). It starts time at ``SUITE_NOW`` unless the test
names its own moment with ``@pytest.mark.clock("2026-12-02 09:00")`` (a London wall-clock time, or an ISO 8601
time with its offset). The clock then runs on (``tick=True``), so what a test does in order still happens in order;
``@pytest.mark.clock(..., tick=False)`` stops it, and the fixture's value moves it (``clock.move_to(...)``,
``clock.shift(timedelta(...))``).

A test's dates are either fixed (``date(2026, 12, 2)``) with the clock named beside them, or relative to the
clock (``today() + timedelta(days=21)``), and both agree whatever day the suite runs. Nothing in a test module reads
the clock when it is imported (tests/test_clock.py checks every module), and ``make test-dates`` runs the suite
with the machine's own clock set to far-off days (docs/testing.md).

The browser suite's server (tests/e2e/server.py) and the browser tests share one clock for the whole run (see
``shared_clock``): the server checks the authenticator codes the tests work out, so the two must agree to the second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# Tuesday 1 December 2026, 10:00 in London: a working day, with the bank holidays around Christmas 2026 in reach
# of a case's usual four-week programme. The suite's tests were written around this day.
SUITE_NOW = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)

# The environment variable that hands the browser suite's server its clock (see shared_clock).
SERVER_CLOCK_ENV = "DIVERSION_TEST_CLOCK"


def named_moment(text: str) -> datetime:
    """A moment a test names: ``YYYY-MM-DD[ HH:MM[:SS]]`` is London wall-clock time; an ISO 8601 time with an
    offset is taken as it is. A London time that the clocks skip or repeat takes the first reading, as zoneinfo
    does (fold=0)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LONDON)


@dataclass(frozen=True)
class FromToday:
    """A date some days from the test's today, for a ``parametrize`` list (built when its module is imported, before
    any test's clock runs); ``on_clock`` turns it into a date inside the test."""

    days: int
    iso: bool = False


def on_clock(value: Any) -> Any:
    """``value`` with every FromToday in it (in dicts and lists) made a date on the test's clock: a ``date``, or its
    ISO 8601 text for a JSON body."""
    from diversion.dates import today

    if isinstance(value, FromToday):
        day = today() + timedelta(days=value.days)
        return day.isoformat() if value.iso else day
    if isinstance(value, dict):
        return {key: on_clock(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [on_clock(inner) for inner in value]
    return value


def shared_clock(start: datetime) -> str:
    """A clock two processes can share: ``start`` now, as ``ISO-8601@monotonic-seconds``. The monotonic clock is the
    machine's (CLOCK_MONOTONIC), the same in every process, so each works out the same "now" from it."""
    return f"{start.isoformat()}@{time.monotonic()!r}"


def shared_clock_now(value: str) -> datetime:
    """The moment a shared clock reads now."""
    start, anchor = value.rsplit("@", 1)
    return datetime.fromisoformat(start) + timedelta(seconds=time.monotonic() - float(anchor))
