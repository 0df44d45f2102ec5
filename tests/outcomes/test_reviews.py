"""Follow-up reviews: recorded on a case after the assessment, all twelve domains, dates checked, changes with an
optimistic lock (409 when stale), audited, and the pages with their error summary."""

from __future__ import annotations

import pytest

from diversion.assessments.models import Domain
from diversion.dates import today
from diversion.errors import Conflict, InvalidTransition, ValidationFailed
from diversion.outcomes import equality, reviews
from diversion.outcomes.models import Review
from tests import pages
from tests.clock import FromToday, on_clock
from tests.factories import audit_events, create_referral, create_user, csrf_token, log_in_as, raw_column


def scores(score: int = 7, need: int = 1) -> reviews.ReviewInput:
    return reviews.ReviewInput(
        reviewed_on=today(),
        needs={domain.value: str(need) for domain in Domain},
        scores={domain.value: str(score) for domain in Domain},
        notes="Settled in her flat.",
    )


def form_data(token: str, *, score: int = 7, day=None, **extra: str) -> dict[str, str]:
    day = day or today()
    data = {"csrf_token": token, "reviewed_on-day": str(day.day), "reviewed_on-month": str(day.month)}
    data["reviewed_on-year"] = str(day.year)
    for domain in Domain:
        data[f"{domain.value}_need"] = "1"
        data[f"{domain.value}_score"] = str(score)
    data.update(extra)
    return data


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def completed(worker):
    return create_referral(state="COMPLETED", worker=worker)


def test_a_review_records_every_domain_is_audited_and_its_notes_are_encrypted(completed, worker) -> None:
    review = reviews.record_review(completed, scores(7), worker)
    assert [row.domain for row in review.domains] == [domain.value for domain in Domain]
    assert {row.wellbeing_score for row in review.domains} == {7}
    # The factory's assessment scored every domain 5: each is up 2.
    assert {change.change for change in reviews.changes_of(completed, review)} == {2}
    stored = raw_column(model=Review, column="notes", row_id=review.id)
    assert b"Settled" not in stored
    (event,) = audit_events(case_id=completed.id, action="review.recorded")
    assert event.object_id == str(review.id)
    assert "Settled" not in str(event.details)


def test_a_review_needs_the_assessment_first(worker) -> None:
    opted_in = create_referral(state="OPTED_IN", worker=worker)
    with pytest.raises(InvalidTransition):
        reviews.record_review(opted_in, scores(), worker)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reviewed_on": None}, "reviewed_on", "Enter the date of the review"),
        ({"reviewed_on": FromToday(1)}, "reviewed_on", "today or in the past"),
        ({"reviewed_on": FromToday(-400)}, "reviewed_on", "after the assessment"),
        ({"scores": {"drugs": "11"}}, "domains.drugs.score", "from 1 to 10 for drug use"),
        ({"needs": {"drugs": "4"}}, "domains.drugs.need", "need level for drug use"),
        ({"notes": "x" * 2001}, "notes", "2000 characters or fewer"),
    ],
)
def test_a_review_with_a_problem_is_refused_and_nothing_is_saved(completed, worker, change, field, message) -> None:
    data = scores()
    for name, value in on_clock(change).items():
        if isinstance(value, dict):
            getattr(data, name).update(value)
        else:
            setattr(data, name, value)
    with pytest.raises(ValidationFailed) as refused:
        reviews.record_review(completed, data, worker)
    assert message in refused.value.fields[field]
    assert reviews.reviews_of(completed) == []


def test_a_stale_change_is_refused_with_nothing_saved(completed, worker) -> None:
    review = reviews.record_review(completed, scores(6), worker)
    reviews.change_review(completed, review, scores(8), 1, worker)
    assert review.version == 2
    with pytest.raises(Conflict):
        reviews.change_review(completed, review, scores(3), 1, worker)
    assert {row.wellbeing_score for row in reviews.review_of(completed, review.id).domains} == {8}
    assert len(audit_events(case_id=completed.id, action="review.changed")) == 1


def test_the_pages_record_a_review_and_show_the_change(client, completed, worker) -> None:
    log_in_as(client, worker)
    listing = client.get(f"/cases/{completed.id}/reviews")
    assert listing.status_code == 200
    assert "No reviews yet." in listing.get_data(as_text=True)
    path = f"/cases/{completed.id}/reviews/new"
    response = client.post(path, data=form_data(csrf_token(client, path), score=8))
    assert response.status_code == 302
    page = client.get(f"/cases/{completed.id}/reviews").get_data(as_text=True)
    assert "Review saved." in page
    assert page.count(">+3<") == len(Domain)


def test_the_form_shows_problems_in_an_error_summary(client, completed, worker) -> None:
    log_in_as(client, worker)
    path = f"/cases/{completed.id}/reviews/new"
    data = form_data(csrf_token(client, path))
    del data["drugs_score"]
    data["reviewed_on-day"] = "31"
    data["reviewed_on-month"] = "2"
    response = client.post(path, data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page
    assert "The date of the review must be a real date" in page
    assert "Give a wellbeing score from 1 to 10 for drug use" in page
    assert reviews.reviews_of(completed) == []


def test_a_stale_form_gets_409_and_keeps_what_was_typed(client, completed, worker) -> None:
    review = reviews.record_review(completed, scores(6), worker)
    log_in_as(client, worker)
    path = f"/cases/{completed.id}/reviews/{review.id}/edit"
    page = pages.get(client, path)
    assert page.value("version") == "1"
    token = page.csrf_token
    reviews.change_review(completed, review, scores(9), 1, worker)
    response = client.post(path, data=form_data(token, score=4, version="1"))
    assert response.status_code == 409
    page = pages.read(response)
    assert "Someone else saved this review" in page.text
    # The form keeps the version it was shown at: the saved one goes only with the resolved marker (docs/conflicts.md).
    assert page.value("version") == "1"
    assert page.value("resolved") == "2"
    assert {domain: page.selected(f"{domain.value}_score") for domain in Domain} == {domain: ["4"] for domain in Domain}
    response = client.post(path, data=form_data(token, score=4, version="1", resolved="2", **{"keep-all": "mine"}))
    assert response.status_code == 302


def test_another_cases_review_is_not_found_and_other_roles_are_refused(client, completed, worker) -> None:
    review = reviews.record_review(completed, scores(), worker)
    other = create_referral(state="COMPLETED", worker=worker)
    log_in_as(client, worker)
    assert client.get(f"/cases/{other.id}/reviews/{review.id}/edit").status_code == 404
    for role in ("court", "cps", "admin"):
        log_in_as(client, create_user(role=role))
        assert client.get(f"/cases/{completed.id}/reviews").status_code == 403, role


# --- equality monitoring (her ethnic group, with her consent) ---


def test_her_ethnic_group_is_recorded_only_with_her_consent(client, completed, worker) -> None:
    from diversion.referrals.consent import record_consent

    log_in_as(client, worker)
    path = f"/cases/{completed.id}/equality"
    page = client.get(path).get_data(as_text=True)
    assert "Record her consent to equality monitoring" in page
    with pytest.raises(InvalidTransition):
        equality.record_ethnicity(completed, "white", worker)
    record_consent(completed, "equality_monitoring", True, worker)
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 200
    assert "Select her ethnic group, or that she prefers not to say" in response.get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "ethnicity": "mixed"})
    assert response.status_code == 302
    assert completed.client.ethnicity_code == "mixed"
    (event,) = audit_events(case_id=completed.id, action="client.equality_recorded")
    assert event.details == {"field": "ethnicity_code"}
