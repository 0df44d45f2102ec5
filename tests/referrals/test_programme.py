"""The programme of a scheme, from its version in the database: a three-appointment Engagement and Support Order, a
one-step programme, the default two steps, a change mid-case (steps, at-risk days, reminders, retention, wordings),
refused settings; and working days across Christmas."""

from __future__ import annotations

from datetime import date

import pytest

from diversion.appointments.reads import attended_numbers
from diversion.dates import is_working_day, working_days_between
from diversion.errors import InvalidTransition, ValidationFailed
from diversion.organisations.services import new_programme_version
from diversion.referrals.models import State
from diversion.referrals.programme import (
    DEFAULT_PROGRAMME,
    PURPOSES,
    Step,
    parse_programme,
    programme_for,
    scheme_programme,
)
from diversion.referrals.states import step_progress
from tests.factories import (
    attend,
    audit_events,
    book,
    create_court,
    create_referral,
    create_scheme,
    create_user,
    main_scheme,
    row_counts,
    save_agreed_plan,
    save_full_assessment,
)

ESO = {
    "name": "Engagement and Support Order",
    "steps": [
        {"number": 1, "produces": "assessment"},
        {"number": 2, "produces": "care_plan"},
        {"number": 3, "produces": None},
    ],
    "deadline": "before_return_date",
    "at_risk_working_days": 5,
}
ONE_STEP = {
    "name": "Single session",
    "steps": [{"number": 1, "produces": "assessment"}],
    "deadline": "before_return_date",
    "at_risk_working_days": 3,
}


class Scheme:
    """A scheme of the main organisation with its own programme, a court it serves and a worker in it."""

    def __init__(self, settings: dict) -> None:
        self.scheme = create_scheme(settings=settings)
        self.court = create_court(schemes=[self.scheme])
        self.worker = create_user(role="worker", schemes=[self.scheme])

    def case(self, state: str):
        return create_referral(state=state, worker=self.worker, court=self.court)


@pytest.fixture
def eso(app_ctx) -> Scheme:
    """A scheme running the three-appointment programme beside the main two-appointment one."""
    return Scheme(ESO)


def moves(referral) -> list[str]:
    return [event.details["to"] for event in audit_events(case_id=referral.id, action="referral.state_changed")]


# --- an Engagement and Support Order: three appointments ---


def test_the_schemes_programme_is_the_one_its_cases_follow(eso) -> None:
    running = scheme_programme(eso.scheme.id)
    assert programme_for(eso.case(State.REFERRED)) == running
    assert running.name == "Engagement and Support Order"
    assert running.required_appointments == 3
    assert running.steps == (Step(1, "assessment"), Step(2, "care_plan"), Step(3, None))


def test_three_appointments_assessed_after_the_first_completed_only_after_the_third(eso) -> None:
    worker = eso.worker
    referral = eso.case(State.OPTED_IN)
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    assert referral.state == State.OPTED_IN
    save_full_assessment(referral=referral, worker=worker)
    assert referral.state == State.ASSESSED

    attend(appointment=book(referral=referral, worker=worker, number=2), worker=worker)
    save_agreed_plan(referral=referral, worker=worker)
    assert referral.state == State.ASSESSED, "two of three appointments do not complete an order"
    assert [item.is_done for item in step_progress(referral)] == [True, True, False]

    third = book(referral=referral, worker=worker, number=3)
    assert referral.state == State.ASSESSED
    attend(appointment=third, worker=worker, outcome="did_not_attend")
    assert referral.state == State.ASSESSED
    rebooked = book(
        referral=referral,
        worker=worker,
        number=3,
        starts_at=third.starts_at.replace(microsecond=0),
        supersedes_id=third.id,
        rebook_reason="Missed the bus",
    )
    attend(appointment=rebooked, worker=worker, outcome="attended_late")
    assert referral.state == State.COMPLETED
    assert attended_numbers(referral) == {1, 2, 3}
    assert moves(referral) == ["OPTED_IN", "ASSESSED", "COMPLETED"]


def test_appointment_3_waits_for_appointment_2(eso) -> None:
    worker = eso.worker
    referral = eso.case(State.OPTED_IN)
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    save_full_assessment(referral=referral, worker=worker)
    counts = row_counts()
    with pytest.raises(InvalidTransition, match="appointment 2 is attended"):
        book(referral=referral, worker=worker, number=3)
    assert row_counts() == counts


def test_an_order_has_no_fourth_appointment(eso) -> None:
    worker = eso.worker
    referral = eso.case(State.OPTED_IN)
    with pytest.raises(ValidationFailed) as caught:
        book(referral=referral, worker=worker, number=4)
    assert "number" in caught.value.fields
    assert "1 to 3" in caught.value.fields["number"]


# --- the default programme and a one-step programme ---


def test_the_default_programme_has_two_steps(app_ctx) -> None:
    running = scheme_programme(main_scheme().id)
    assert running.steps == (Step(1, "assessment"), Step(2, "care_plan"))
    assert running.deadline == "before_return_date"
    assert running.at_risk_working_days == 5


def test_booking_appointment_3_in_the_default_programme_is_refused(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=State.ASSESSED, worker=worker)
    attend(appointment=book(referral=referral, worker=worker, number=2), worker=worker)
    counts = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        book(referral=referral, worker=worker, number=3)
    assert set(caught.value.fields) == {"number"}
    assert "1 to 2" in caught.value.fields["number"]
    assert row_counts() == counts


def test_the_default_programme_completes_after_appointment_2(app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state=State.ASSESSED, worker=worker)
    attend(appointment=book(referral=referral, worker=worker, number=2), worker=worker)
    assert referral.state == State.ASSESSED
    save_agreed_plan(referral=referral, worker=worker)
    assert referral.state == State.COMPLETED


def test_a_one_step_programme_completes_straight_from_opted_in(app_ctx) -> None:
    single = Scheme(ONE_STEP)
    worker = single.worker
    referral = single.case(State.OPTED_IN)
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    save_full_assessment(referral=referral, worker=worker)
    assert referral.state == State.COMPLETED
    assert moves(referral) == ["OPTED_IN", "COMPLETED"]
    with pytest.raises(InvalidTransition):
        book(referral=referral, worker=worker, number=2)


# --- a change to the programme mid-case ---


def test_a_programme_change_mid_case_leaves_the_case_on_its_version(eso) -> None:
    """The scheme drops to two appointments while her order is under way: she still needs her third; a case taken
    after the change completes after two."""
    worker = eso.worker
    before = eso.case(State.OPTED_IN)
    started_under = before.programme_version_id
    new_programme_version(eso.scheme, {**ESO, "steps": ESO["steps"][:2]}, worker)
    after = eso.case(State.OPTED_IN)
    assert after.programme_version_id != started_under
    assert before.programme_version_id == started_under
    assert programme_for(before).required_appointments == 3
    assert programme_for(after).required_appointments == 2

    for referral in (before, after):
        attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
        save_full_assessment(referral=referral, worker=worker)
        attend(appointment=book(referral=referral, worker=worker, number=2), worker=worker)
        save_agreed_plan(referral=referral, worker=worker)
    assert after.state == State.COMPLETED
    assert before.state == State.ASSESSED, "the case keeps the three appointments it started under"
    attend(appointment=book(referral=before, worker=worker, number=3), worker=worker)
    assert before.state == State.COMPLETED


def test_a_change_mid_case_leaves_every_setting_of_the_case_on_its_version(eso) -> None:
    """Besides the steps, a case keeps its version's at-risk days, reminder lead times, retention period and consent
    wordings when the scheme changes them all; a case taken after the change follows the new version."""
    from diversion.referrals.wording import case_wordings

    before = eso.case(State.OPTED_IN)
    new_programme_version(
        eso.scheme,
        {"at_risk_working_days": 2, "reminder_lead_times": ["3h"], "retention_years": 10},
        create_user(role="manager"),
        wordings={"reminders": "I agree to be reminded of my appointments by text."},
    )
    after = eso.case(State.OPTED_IN)
    kept, changed = programme_for(before), programme_for(after)
    assert (kept.at_risk_working_days, kept.reminder_lead_times, kept.retention_years) == (5, ("1d@10:00", "2h"), 6)
    assert (changed.at_risk_working_days, changed.reminder_lead_times, changed.retention_years) == (2, ("3h",), 10)
    assert case_wordings(before)["reminders"].version == "2026-1"
    assert case_wordings(after)["reminders"].text == "I agree to be reminded of my appointments by text."
    assert case_wordings(before)["support"].id == case_wordings(after)["support"].id, "unchanged words are shared"


# --- settings that are refused ---


def test_the_default_settings_parse() -> None:
    assert parse_programme(DEFAULT_PROGRAMME).required_appointments == 2
    assert parse_programme(ESO).required_appointments == 3
    assert parse_programme({**ONE_STEP, "steps": [{"number": "1", "produces": "assessment"}]}).steps == (
        Step(1, "assessment"),
    )


@pytest.mark.parametrize(
    "numbers",
    [[2], [1, 3], [1, 1], [0, 1], [2, 1], [1, 2, 4], []],
    ids=["starts-at-2", "gap", "repeated", "zero", "reversed", "gap-at-end", "none"],
)
def test_misnumbered_steps_are_refused(numbers: list[int]) -> None:
    settings = {**DEFAULT_PROGRAMME, "steps": [{"number": number, "produces": None} for number in numbers]}
    with pytest.raises(ValueError, match="step"):
        parse_programme(settings)


@pytest.mark.parametrize("product", ["report", "Assessment", "care plan", ""])
def test_an_unknown_product_is_refused(product: str) -> None:
    settings = {
        **DEFAULT_PROGRAMME,
        "steps": [{"number": 1, "produces": "assessment"}, {"number": 2, "produces": product}],
    }
    with pytest.raises(ValueError, match="Step 2 produces"):
        parse_programme(settings)


def test_an_unknown_deadline_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="deadline"):
        parse_programme({**DEFAULT_PROGRAMME, "deadline": "within_28_days"})


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"steps": [{"number": 1, "produces": "care_plan"}]}, "Step 1 must produce the needs assessment"),
        (
            {"steps": [{"number": 1, "produces": "assessment"}, {"number": 2, "produces": "assessment"}]},
            "no other step",
        ),
        ({"at_risk_working_days": 0}, "At-risk working days"),
        ({"at_risk_working_days": "soon"}, "At-risk working days"),
        ({"retention_years": 0}, "Retention"),
        ({"retention_years": True}, "Retention"),
        ({"reminder_lead_times": ["tomorrow"]}, "lead time"),
        ({"reminder_lead_times": ["2h", "2h"]}, "once"),
        ({"reminder_lead_times": "2h"}, "list"),
        ({"consent_wordings": {"support": 1}}, "one wording for each"),
        ({"consent_wordings": dict.fromkeys(PURPOSES, "one")}, "wording's id"),
    ],
)
def test_settings_outside_the_rules_are_refused(changes: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_programme({**DEFAULT_PROGRAMME, **changes})


def test_the_default_programme_holds_the_first_editions_reminders_and_retention() -> None:
    parsed = parse_programme(DEFAULT_PROGRAMME)
    assert parsed.reminder_lead_times == ("1d@10:00", "2h")
    assert parsed.retention_years == 6
    assert [lead.label for lead in parsed.lead_times] == ["the day before at 10am", "2 hours before"]


# --- working days ---


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Thu 24 Dec; Fri 25 (Christmas) and Mon 28 (Boxing Day substitute) are bank holidays; 26-27 a weekend:
        # 24, 29, 30, 31.
        (date(2026, 12, 23), date(2026, 12, 31), 4),
        # Mon 21 to Thu 24 (4), then 29, 30, 31 (3); Fri 1 Jan is a bank holiday; Mon 4 Jan (1).
        (date(2026, 12, 18), date(2027, 1, 4), 8),
        # Friday to the next Monday across an ordinary weekend: the Monday only.
        (date(2026, 11, 27), date(2026, 11, 30), 1),
        # Christmas Eve to the Tuesday after: nothing on 25, 26, 27, 28; then 29.
        (date(2026, 12, 24), date(2026, 12, 29), 1),
        # The day itself and backwards count nothing.
        (date(2026, 12, 24), date(2026, 12, 24), 0),
        (date(2026, 12, 31), date(2026, 12, 23), 0),
    ],
)
def test_working_days_between_across_christmas_and_weekends(start: date, end: date, expected: int) -> None:
    assert working_days_between(start, end) == expected


def test_christmas_and_its_substitute_boxing_day_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 12, 28))
    assert not is_working_day(date(2026, 12, 26))
    assert is_working_day(date(2026, 12, 24))
    assert is_working_day(date(2026, 12, 29))
