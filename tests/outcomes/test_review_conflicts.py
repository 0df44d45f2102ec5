"""A stale save of a review is shown, never silently overwritten (docs/conflicts.md): the second saver sees her
answers beside the saved ones, nothing of hers is saved, Save again without a choice for every difference is refused
naming each one, and with the choices made the review takes each chosen answer and its version moves on by one."""

from __future__ import annotations

import pytest

from diversion.assessments.models import Domain
from diversion.dates import today
from diversion.extensions import db
from diversion.outcomes import reviews
from diversion.outcomes.models import Review
from tests import pages
from tests.factories import audit_events, create_referral, create_user, csrf_token, last_audit_id, log_in_as


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def colleague(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def case(worker):
    return create_referral(state="COMPLETED", worker=worker)


@pytest.fixture
def review(case, worker):
    """Recorded once today: every domain need 1, score 6, no notes (version 1)."""
    return reviews.record_review(
        case,
        reviews.ReviewInput(
            reviewed_on=today(),
            needs={domain.value: "1" for domain in Domain},
            scores={domain.value: "6" for domain in Domain},
        ),
        worker,
    )


@pytest.fixture
def mine(client, worker):
    return log_in_as(client, worker)


@pytest.fixture
def theirs(app, colleague):
    return log_in_as(app.test_client(), colleague)


def path(case, review) -> str:
    return f"/cases/{case.id}/reviews/{review.id}/edit"


def answers(case, review, client, *, version: int = 1, **changes) -> dict:
    """The whole form as sent from a page shown at ``version``."""
    day = today()
    data = {
        "csrf_token": csrf_token(client, path(case, review)),
        "version": str(version),
        "reviewed_on-day": str(day.day),
        "reviewed_on-month": str(day.month),
        "reviewed_on-year": str(day.year),
        "notes": "",
    }
    for domain in Domain:
        data |= {f"{domain.value}_need": "1", f"{domain.value}_score": "6"}
    return data | changes


def stored(review) -> dict:
    db.session.expire_all()
    saved = db.session.get(Review, review.id)
    rows = {row.domain: (row.need_level, row.wellbeing_score) for row in saved.domains}
    return {"version": saved.version, "alcohol": rows["alcohol"], "notes": saved.notes}


def text_of(response) -> str:
    """The page's text, whitespace collapsed, after the checks every page gets (tests/pages.py)."""
    return pages.read(response).text


def stale_save(case, review, mine, theirs):
    """Both open the review at version 1; the colleague saves an alcohol score of 9, then she saves 4 with notes."""
    their_form = answers(case, review, theirs, alcohol_score="9")
    my_form = answers(case, review, mine, alcohol_score="4", notes="Drinking less")
    assert theirs.post(path(case, review), data=their_form).status_code == 302
    return my_form, mine.post(path(case, review), data=my_form)


def test_the_second_saver_sees_the_differences_and_nothing_of_hers_is_saved(case, review, mine, theirs) -> None:
    _, response = stale_save(case, review, mine, theirs)

    assert response.status_code == 409
    assert stored(review) == {"version": 2, "alcohol": (1, 9), "notes": None}
    page = pages.read(response)
    text = page.text
    assert "Someone else saved this review" in text
    assert "Alcohol use: wellbeing score Different : your answer and the saved answer differ 4 9" in text
    assert "Notes Different : your answer and the saved answer differ Drinking less Not given" in text
    assert page.value("version") == "1"
    assert page.value("resolved") == "2"
    assert page.inputs("keep-alcohol_score")
    assert page.inputs("keep-notes")
    assert 'name="keep-drugs_score"' not in page.html


def test_save_again_without_choosing_is_refused_naming_each_difference_and_nothing_is_saved(
    case, review, mine, theirs
) -> None:
    my_form, _ = stale_save(case, review, mine, theirs)
    before, mark = stored(review), last_audit_id()

    assert mine.post(path(case, review), data=my_form).status_code == 409
    pressed = mine.post(path(case, review), data=my_form | {"resolved": "2", "keep-notes": "mine"})

    assert pressed.status_code == 409
    assert "Choose which answer to keep for alcohol use: wellbeing score" in text_of(pressed)
    assert "Choose which answer to keep for notes" not in text_of(pressed)
    assert stored(review) == before
    assert audit_events(case_id=case.id, action="review.changed", after=mark) == []


def test_with_a_choice_for_each_difference_the_review_takes_each_and_moves_on_one_version(
    case, review, mine, theirs
) -> None:
    my_form, _ = stale_save(case, review, mine, theirs)

    response = mine.post(
        path(case, review), data=my_form | {"resolved": "2", "keep-alcohol_score": "theirs", "keep-notes": "mine"}
    )

    assert response.status_code == 302
    assert stored(review) == {"version": 3, "alcohol": (1, 9), "notes": "Drinking less"}


def test_keep_the_saved_answers_for_all(case, review, mine, theirs) -> None:
    my_form, _ = stale_save(case, review, mine, theirs)

    response = mine.post(path(case, review), data=my_form | {"resolved": "2", "keep-all": "theirs"})

    assert response.status_code == 302
    assert stored(review) == {"version": 3, "alcohol": (1, 9), "notes": None}
