"""The suite's clock (tests/clock.py): every test runs on a clock it names, and no test module reads the real one."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from diversion.dates import LONDON, now_london, today
from diversion.db import utcnow
from tests.clock import SUITE_NOW, named_moment

REPOSITORY = Path(__file__).resolve().parents[1]


def test_a_test_that_names_no_moment_starts_at_the_suites() -> None:
    assert today() == date(2026, 12, 1)
    assert timedelta(0) <= now_london() - SUITE_NOW < timedelta(minutes=1)
    # Every way of asking agrees: the service's seam, the standard library, and the epoch seconds.
    assert abs(datetime.now(UTC) - utcnow()) < timedelta(seconds=5)
    assert date.today() == date(2026, 12, 1)
    assert abs(time.time() - SUITE_NOW.timestamp()) < 60


@pytest.mark.clock("2028-02-29 09:00")
def test_a_test_names_its_own_moment_in_london_time() -> None:
    assert today() == date(2028, 2, 29)
    assert now_london().replace(second=0, microsecond=0) == datetime(2028, 2, 29, 9, 0, tzinfo=LONDON)


@pytest.mark.clock("2026-12-31 23:30")
def test_late_on_new_years_eve_london_is_still_in_the_old_year() -> None:
    assert today() == date(2026, 12, 31)
    assert utcnow().date() == date(2026, 12, 31)


@pytest.mark.clock("2028-07-01T23:30:00+00:00", tick=False)
def test_an_offset_is_taken_as_given_and_a_stopped_clock_stays_put(clock) -> None:
    # 23:30 UTC in summer is 00:30 the next day in London.
    assert today() == date(2028, 7, 2)
    first = utcnow()
    time.sleep(0.01)
    assert utcnow() == first
    clock.shift(timedelta(days=1))
    assert today() == date(2028, 7, 3)


def test_a_named_moment_without_an_offset_is_london_wall_clock_time() -> None:
    assert named_moment("2028-10-29 01:30").utcoffset() == timedelta(hours=1)
    assert named_moment("2028-11-01 12:00").utcoffset() == timedelta(0)
    assert named_moment("2028-11-01").hour == 0


def test_no_test_module_reads_the_clock_when_it_is_imported() -> None:
    """Every module under tests/ is imported on one far-off clock and reloaded on another: a module-level date or
    time that differs was read from the clock outside any test's own (tests/clock_probe.py)."""
    finished = subprocess.run(
        [sys.executable, "-m", "tests.clock_probe"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    assert report["modules"] > 100
    assert report["differing"] == [], "module-level dates read from the clock: " + ", ".join(report["differing"])
