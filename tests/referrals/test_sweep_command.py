"""``flask --app wsgi cases sweep [--today YYYY-MM-DD]``: the daily sweep from the command line."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from diversion.dates import today
from diversion.extensions import db
from diversion.notices.models import OutcomeNotice
from diversion.referrals.models import State
from tests.factories import create_referral, row_counts

# Each test starts on Tuesday 1 December 2026: the case opened a month before and returns ten days after.
pytestmark = pytest.mark.clock("2026-12-01 10:00")
FIRST_HEARING = date(2026, 11, 1)
RETURN_DATE = date(2026, 12, 11)


@pytest.fixture
def sweep(app, app_ctx):
    """Run ``cases sweep`` with the given arguments inside the test's app context (and so its transaction)."""
    runner = app.test_cli_runner()

    def invoke(*args: str) -> Any:
        return runner.invoke(args=["cases", "sweep", *args])

    return invoke


def _notices_of(referral) -> int:
    return int(
        db.session.scalar(
            select(func.count()).select_from(OutcomeNotice).where(OutcomeNotice.referral_id == referral.id)
        )
        or 0
    )


def test_sweep_on_a_given_day_closes_passed_cases_with_one_notice_each_and_a_second_run_changes_nothing(
    sweep,
) -> None:
    passed = [
        create_referral(state=state, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE)
        for state in (State.REFERRED, State.OPTED_IN, State.ASSESSED)
    ]
    later = create_referral(
        state=State.OPTED_IN, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE + timedelta(days=2)
    )
    day = (RETURN_DATE + timedelta(days=1)).isoformat()

    result = sweep("--today", day)
    assert result.exit_code == 0, result.output
    cases_line, messages_line = result.stdout.strip().splitlines()
    assert cases_line == "Cases swept: 3 moved to NOT_COMPLETED; 0 missing notices made."
    assert messages_line.startswith("Messages: ")
    assert {referral.state for referral in passed} == {State.NOT_COMPLETED}
    assert [_notices_of(referral) for referral in passed] == [1, 1, 1]
    assert later.state == State.OPTED_IN
    assert _notices_of(later) == 0

    counts = row_counts()
    again = sweep("--today", day)
    assert again.exit_code == 0, again.output
    assert again.stdout.strip().splitlines() == [
        "Cases swept: 0 moved to NOT_COMPLETED; 0 missing notices made.",
        "Messages: 0 reminders, 0 digests and 0 notice emails queued; 0 sent, 0 failed, 0 to try again, 0 cancelled.",
    ]
    assert row_counts() == counts


def test_sweep_without_a_date_sweeps_as_of_today(sweep) -> None:
    passed = create_referral(
        state=State.OPTED_IN, first_hearing_date=today() - timedelta(days=20), return_date=today() - timedelta(days=1)
    )
    due_today = create_referral(
        state=State.OPTED_IN, first_hearing_date=today() - timedelta(days=20), return_date=today()
    )
    result = sweep()
    assert result.exit_code == 0, result.output
    assert "1 moved to NOT_COMPLETED" in result.stdout
    assert passed.state == State.NOT_COMPLETED
    assert due_today.state == State.OPTED_IN


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", "29/11/2026", ""])
def test_an_unreadable_date_is_refused_and_nothing_changes(sweep, value: str) -> None:
    referral = create_referral(state=State.OPTED_IN, first_hearing_date=FIRST_HEARING, return_date=RETURN_DATE)
    counts = row_counts()
    result = sweep("--today", value)
    assert result.exit_code == 2
    assert "--today" in result.stderr
    assert "Traceback" not in result.output
    assert referral.state == State.OPTED_IN
    assert row_counts() == counts


def test_sweep_makes_the_notice_a_final_case_is_missing_exactly_once(sweep) -> None:
    closed = create_referral(state=State.COMPLETED)
    untouched = create_referral(state=State.WITHDRAWN)
    db.session.execute(delete(OutcomeNotice).where(OutcomeNotice.referral_id == closed.id))
    db.session.flush()
    assert _notices_of(closed) == 0

    result = sweep()
    assert result.exit_code == 0, result.output
    assert "1 missing notices made" in result.stdout
    notice = db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.referral_id == closed.id)).one()
    assert notice.outcome == "completed"
    assert notice.outcome_date == closed.outcome_date
    assert _notices_of(untouched) == 1

    again = sweep()
    assert "0 missing notices made" in again.stdout
    assert _notices_of(closed) == 1
