"""Where a case's pages say how many appointments it needs and what each produces, they follow the programme version
the case started under, never a fixed two: the next-action box says what remains, and the assessment and plan pages
name the appointment that produces them."""

from __future__ import annotations

import pytest

from diversion.referrals.programme import DEFAULT_PROGRAMME
from tests import pages
from tests.factories import (
    attend,
    book,
    create_court,
    create_referral,
    create_scheme,
    create_user,
    log_in_as,
    save_full_assessment,
)

STILL_TO_DO = ".app-next-action .app-still-to-do"


@pytest.fixture
def eso(app_ctx):
    """A three-appointment scheme (assessment, attendance, plan) at a court of its own, and its worker."""
    scheme = create_scheme(appointments=3)
    court = create_court(schemes=[scheme])
    worker = create_user(role="worker", schemes=[scheme])
    return scheme, court, worker


def _assessed_case(court, worker):
    """Appointment 1 attended and the assessment recorded."""
    referral = create_referral(state="OPTED_IN", worker=worker, court=court)
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    save_full_assessment(referral, worker)
    return referral


def test_a_three_appointment_case_says_appointment_3_remains_after_appointment_2(client, eso) -> None:
    _scheme, court, worker = eso
    referral = _assessed_case(court, worker)
    log_in_as(client, worker)
    page = pages.get(client, f"/cases/{referral.id}")
    assert page.text_of(STILL_TO_DO) == (
        "The case completes after 3 appointments. Still to do: appointment 2; appointment 3 and the Care Action Plan."
    )
    attend(appointment=book(referral=referral, worker=worker, number=2), worker=worker)
    assert referral.state == "ASSESSED"
    page = pages.get(client, f"/cases/{referral.id}")
    assert page.text_of(".app-case-status .govuk-tag") == "Assessed"
    assert page.text_of(STILL_TO_DO) == (
        "The case completes after 3 appointments. Still to do: appointment 3 and the Care Action Plan."
    )
    assert "book appointment 3" in page.text_of(".app-next-action")
    # The plan page names the appointment it is agreed at: the programme's third.
    plan = pages.get(client, f"/cases/{referral.id}/plan")
    assert "No plan yet. It is agreed with her at appointment 3 of 3." in plan.text
    assert "appointment 2" not in plan.text_of("main")


def test_a_two_appointment_case_says_two(client, app_ctx) -> None:
    worker = create_user(role="worker")
    referral = create_referral(state="OPTED_IN", worker=worker)
    log_in_as(client, worker)
    page = pages.get(client, f"/cases/{referral.id}")
    assert page.text_of(STILL_TO_DO) == (
        "The case completes after 2 appointments. "
        "Still to do: appointment 1 and the needs assessment; appointment 2 and the Care Action Plan."
    )
    assert "It is agreed with her at appointment 2 of 2." in pages.get(client, f"/cases/{referral.id}/plan").text
    assert "It is done with her at appointment 1." in pages.get(client, f"/cases/{referral.id}/assessment").text


def test_a_case_keeps_its_versions_count_after_the_scheme_changes_its_programme(client, eso) -> None:
    from diversion.organisations.services import new_programme_version

    scheme, court, worker = eso
    referral = _assessed_case(court, worker)
    new_programme_version(scheme, {**DEFAULT_PROGRAMME, "name": "Two again"}, worker)
    later = _assessed_case(court, worker)
    log_in_as(client, worker)
    assert (
        pages.get(client, f"/cases/{referral.id}")
        .text_of(STILL_TO_DO)
        .startswith("The case completes after 3 appointments.")
    )
    assert pages.get(client, f"/cases/{later.id}").text_of(STILL_TO_DO) == (
        "The case completes after 2 appointments. Still to do: appointment 2 and the Care Action Plan."
    )


def test_a_referred_case_lists_every_step_and_a_closed_one_none(client, eso) -> None:
    _scheme, court, worker = eso
    referred = create_referral(worker=worker, court=court)
    withdrawn = create_referral(state="WITHDRAWN", worker=worker, court=court)
    log_in_as(client, worker)
    assert pages.get(client, f"/cases/{referred.id}").text_of(STILL_TO_DO) == (
        "The case completes after 3 appointments. Still to do: appointment 1 and the needs assessment; "
        "appointment 2; appointment 3 and the Care Action Plan."
    )
    assert not pages.get(client, f"/cases/{withdrawn.id}").has(STILL_TO_DO)
