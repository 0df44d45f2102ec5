"""A section's form is offered only when it can be saved: before then its section has no link or button to it, and
its address shows what comes first instead of a form (a POST there is refused and changes nothing)."""

from __future__ import annotations

import pytest

from diversion.appointments.models import Outcome
from diversion.appointments.reads import appointments_of
from diversion.appointments.services import record_outcome
from diversion.assessments.services import assessment_of
from diversion.care_plans.services import plan_of
from diversion.outcomes.reviews import reviews_of
from tests import pages
from tests.factories import book, create_referral, create_user, csrf_token, log_in_as


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def signed_in(client, worker):
    return log_in_as(client, worker)


def text_of(response) -> str:
    """The page's text, whitespace collapsed, after the checks every page gets (tests/pages.py)."""
    return pages.read(response).text


def links_to(response, path: str) -> bool:
    """True when the page links to the path (with or without a query)."""
    return path in [href.split("?")[0] for href in pages.read(response).hrefs()]


def has_form_posting_to(response, path: str) -> bool:
    """True when a form on the page sends to the path (with or without a query)."""
    return path in [str(form.get("action", "")).split("?")[0] for form in pages.read(response).forms()]


def assert_not_offered(client, section: str, form: str, *, reason: str, first: str | None) -> None:
    """No link to the form on its section; the form's address says what comes first, linking there, with no form."""
    page = client.get(section)
    assert page.status_code == 200
    assert not links_to(page, form), f"{section} links to {form} although it cannot be saved yet"
    assert reason in text_of(page)

    shown = client.get(form)
    assert shown.status_code == 200
    assert not has_form_posting_to(shown, form)
    assert reason in text_of(shown)
    assert '<div class="govuk-inset-text app-not-yet">' in shown.get_data(as_text=True)
    if first is not None:
        assert links_to(shown, first)


def refused_post(client, form: str, data: dict) -> None:
    """A POST to the form's address is refused and the page says what comes first."""
    response = client.post(form, data={**data, "csrf_token": csrf_token(client, form)})
    assert response.status_code == 409
    assert not has_form_posting_to(response, form)


def test_the_assessment_is_not_offered_before_she_opts_in(signed_in, worker):
    referral = create_referral(worker=worker)
    base = f"/cases/{referral.id}"

    assert_not_offered(
        signed_in,
        f"{base}/assessment",
        f"{base}/assessment/edit",
        reason="Record her consent to support and to sharing first",
        first=f"{base}/consent",
    )
    refused_post(signed_in, f"{base}/assessment/edit", {"accommodation_need": "1", "accommodation_score": "5"})
    assert assessment_of(referral) is None


def test_the_assessment_is_not_offered_until_she_attended_appointment_1_then_it_is(signed_in, worker):
    referral = create_referral(state="OPTED_IN", worker=worker)
    base = f"/cases/{referral.id}"
    assert_not_offered(
        signed_in,
        f"{base}/assessment",
        f"{base}/assessment/edit",
        reason="Record that she attended appointment 1 before the assessment",
        first=f"{base}/appointments",
    )

    record_outcome(book(referral=referral, worker=worker, number=1), Outcome.ATTENDED, worker)
    page = signed_in.get(f"{base}/assessment")
    assert links_to(page, f"{base}/assessment/edit")
    assert has_form_posting_to(signed_in.get(f"{base}/assessment/edit"), f"{base}/assessment/edit")


def test_the_plan_is_not_offered_before_she_opts_in_then_it_is(signed_in, worker):
    referral = create_referral(worker=worker)
    base = f"/cases/{referral.id}"
    assert_not_offered(
        signed_in,
        f"{base}/plan",
        f"{base}/plan/edit",
        reason="Record her consent to support and to sharing first",
        first=f"{base}/consent",
    )
    refused_post(signed_in, f"{base}/plan/edit", {"goal0_domain": "accommodation", "goal0_text": "A home"})
    assert plan_of(referral) is None

    opted_in = create_referral(state="OPTED_IN", worker=worker)
    page = signed_in.get(f"/cases/{opted_in.id}/plan")
    assert links_to(page, f"/cases/{opted_in.id}/plan/edit")


def test_the_plan_of_a_withdrawn_case_is_not_offered(signed_in, worker):
    referral = create_referral(state="WITHDRAWN", worker=worker)
    base = f"/cases/{referral.id}"
    assert_not_offered(
        signed_in,
        f"{base}/plan",
        f"{base}/plan/edit",
        reason="The case is withdrawn: the Care Action Plan can no longer be made or changed",
        first=None,
    )


def test_booking_is_not_offered_before_she_opts_in(signed_in, worker):
    referral = create_referral(worker=worker)
    base = f"/cases/{referral.id}"
    assert_not_offered(
        signed_in,
        f"{base}/appointments",
        f"{base}/appointments/new",
        reason="Record her consent to support and to sharing before booking appointments",
        first=f"{base}/consent",
    )
    refused_post(signed_in, f"{base}/appointments/new?number=1", {"time": "10:00", "duration": "60"})
    assert appointments_of(referral) == []


def test_booking_appointment_2_is_not_offered_until_appointment_1_is_attended(signed_in, worker):
    referral = create_referral(state="OPTED_IN", worker=worker)
    base = f"/cases/{referral.id}"
    page = signed_in.get(f"{base}/appointments")
    assert links_to(page, f"{base}/appointments/new")
    assert has_form_posting_to(signed_in.get(f"{base}/appointments/new?number=1"), f"{base}/appointments/new")

    shown = signed_in.get(f"{base}/appointments/new?number=2")
    assert shown.status_code == 200
    assert not has_form_posting_to(shown, f"{base}/appointments/new")
    assert "Appointment 2 can be booked once appointment 1 is attended" in text_of(shown)
    assert links_to(shown, f"{base}/appointments")


def test_a_review_is_not_offered_before_the_assessment(signed_in, worker):
    referral = create_referral(state="OPTED_IN", worker=worker)
    base = f"/cases/{referral.id}"
    page = signed_in.get(f"{base}/reviews")
    assert not links_to(page, f"{base}/reviews/new")

    shown = signed_in.get(f"{base}/reviews/new")
    assert shown.status_code == 200
    assert not has_form_posting_to(shown, f"{base}/reviews/new")
    assert "Record the needs assessment before a review" in text_of(shown)
    assert links_to(shown, f"{base}/assessment")
    refused_post(signed_in, f"{base}/reviews/new", {"notes": "Doing well."})
    assert reviews_of(referral) == []

    assessed = create_referral(state="ASSESSED", worker=worker)
    assert links_to(signed_in.get(f"/cases/{assessed.id}/reviews"), f"/cases/{assessed.id}/reviews/new")
    assert has_form_posting_to(signed_in.get(f"/cases/{assessed.id}/reviews/new"), f"/cases/{assessed.id}/reviews/new")
