"""A stale save of the needs assessment is shown, never silently overwritten (docs/conflicts.md): the second saver
sees her answers beside the saved ones with the differences marked, nothing of hers is saved, Save again without a
choice for every difference is refused naming each one, and with the choices made the record takes each chosen
answer and its version moves on by one."""

from __future__ import annotations

import pytest

from diversion.assessments.models import Domain
from diversion.assessments.services import assessment_of, indicators_of
from diversion.extensions import db
from diversion.referrals.models import State
from tests import pages
from tests.factories import (
    attend,
    audit_events,
    book,
    create_referral,
    create_user,
    csrf_token,
    last_audit_id,
    log_in_as,
    save_full_assessment,
)


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def colleague(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def case(worker):
    """Opted in, appointment 1 attended, the assessment saved once (every domain need 2, score 5): version 1."""
    referral = create_referral(state=State.OPTED_IN, worker=worker)
    attend(appointment=book(referral=referral, worker=worker, number=1), worker=worker)
    save_full_assessment(referral, worker)
    return referral


@pytest.fixture
def mine(client, worker):
    return log_in_as(client, worker)


@pytest.fixture
def theirs(app, colleague):
    return log_in_as(app.test_client(), colleague)


def path(case) -> str:
    return f"/cases/{case.id}/assessment/edit"


def answers(case, client, *, version: int = 1, **changes) -> dict:
    """The whole form as sent from a page shown at ``version``: every domain need 2, score 5, no notes."""
    data = {"csrf_token": csrf_token(client, path(case)), "version": str(version), "risk_notes": ""}
    for domain in Domain:
        data |= {f"{domain.value}_need": "2", f"{domain.value}_score": "5", f"{domain.value}_notes": ""}
    return data | changes


def stored(case) -> dict:
    db.session.expire_all()
    assessment = assessment_of(case)
    return {
        "version": assessment.version,
        "alcohol": next(
            (row.need_level, row.wellbeing_score, row.notes) for row in assessment.domains if row.domain == "alcohol"
        ),
        "drugs": next(
            (row.need_level, row.wellbeing_score, row.notes) for row in assessment.domains if row.domain == "drugs"
        ),
        "risk_notes": assessment.risk_notes,
        "indicators": indicators_of(assessment),
    }


def text_of(response) -> str:
    """The page's text, whitespace collapsed, after the checks every page gets (tests/pages.py)."""
    return pages.read(response).text


def row_of(response, label: str) -> str:
    """The comparison table's row for a question, its text only."""
    rows = [
        row
        for row in pages.read(response).select("tr.govuk-table__row")
        if (header := row.find("th", attrs={"scope": "row"}))
        and pages.normalise(header.get_text(" ")).startswith(label)
    ]
    assert len(rows) == 1, f"{len(rows)} rows for {label}"
    return pages.normalise(rows[0].get_text(" "))


def hidden(response, name: str) -> str | None:
    """The value of the page's hidden field called ``name``; None when there is none."""
    return pages.read(response).hidden_fields().get(name)


def stale_save(case, mine, theirs):
    """Both open the form at version 1; the colleague saves an alcohol score of 9, then she saves 4 and drugs
    notes of her own."""
    their_form = answers(case, theirs, alcohol_score="9")
    my_form = answers(case, mine, alcohol_score="4", drugs_notes="Using less since May")
    assert theirs.post(path(case), data=their_form).status_code == 302
    return my_form, mine.post(path(case), data=my_form)


def test_the_second_saver_sees_the_differences_and_nothing_of_hers_is_saved(case, mine, theirs) -> None:
    _, response = stale_save(case, mine, theirs)

    assert response.status_code == 409
    assert stored(case)["version"] == 2
    assert stored(case)["alcohol"] == (2, 9, None)
    assert stored(case)["drugs"] == (2, 5, None)
    text = text_of(response)
    assert "There is a problem" in text
    assert "Someone else saved this assessment" in text
    assert row_of(response, "Alcohol use: wellbeing score").startswith("Alcohol use: wellbeing score Different")
    assert "your answer and the saved answer differ 4 9" in row_of(response, "Alcohol use: wellbeing score")
    assert "Using less since May Not given" in row_of(response, "Drug use: notes")
    assert "Different" not in row_of(response, "Accommodation: wellbeing score")
    # Her answers stay in the form; the saved version goes only with the resolved marker, never into "version".
    assert 'value="Using less since May"' in response.get_data(as_text=True) or "Using less since May</textarea>" in (
        response.get_data(as_text=True)
    )
    assert hidden(response, "version") == "1"
    assert hidden(response, "resolved") == "2"
    assert 'name="keep-alcohol_score"' in response.get_data(as_text=True)
    assert 'name="keep-drugs_notes"' in response.get_data(as_text=True)
    assert 'name="keep-accommodation_score"' not in response.get_data(as_text=True)
    assert response.get_data(as_text=True).count("<title>Error:") == 1


def test_save_again_without_choosing_is_refused_naming_each_difference_and_nothing_is_saved(case, mine, theirs) -> None:
    my_form, _ = stale_save(case, mine, theirs)
    before, mark = stored(case), last_audit_id()

    again = mine.post(path(case), data=my_form)  # the same page sent again, without the comparison
    assert again.status_code == 409
    pressed = mine.post(path(case), data=my_form | {"resolved": "2"})  # Save pressed on the comparison
    assert pressed.status_code == 409
    text = text_of(pressed)
    assert "Choose which answer to keep for alcohol use: wellbeing score" in text
    assert "Choose which answer to keep for drug use: notes" in text
    assert 'href="#keep-alcohol_score"' in pressed.get_data(as_text=True)
    one = mine.post(path(case), data=my_form | {"resolved": "2", "keep-alcohol_score": "mine"})
    assert one.status_code == 409
    assert "Choose which answer to keep for drug use: notes" in text_of(one)
    assert "Choose which answer to keep for alcohol use: wellbeing score" not in text_of(one)

    assert stored(case) == before
    assert audit_events(case_id=case.id, action="assessment.saved", after=mark) == []


def test_with_a_choice_for_each_difference_the_record_takes_each_and_moves_on_one_version(case, mine, theirs) -> None:
    my_form, _ = stale_save(case, mine, theirs)

    response = mine.post(
        path(case), data=my_form | {"resolved": "2", "keep-alcohol_score": "theirs", "keep-drugs_notes": "mine"}
    )

    assert response.status_code == 302
    assert stored(case)["version"] == 3
    assert stored(case)["alcohol"] == (2, 9, None)
    assert stored(case)["drugs"] == (2, 5, "Using less since May")


@pytest.mark.parametrize(("keep", "alcohol", "drugs_notes"), [("theirs", 9, None), ("mine", 4, "Using less since May")])
def test_one_choice_for_every_difference(case, mine, theirs, keep, alcohol, drugs_notes) -> None:
    my_form, _ = stale_save(case, mine, theirs)

    response = mine.post(path(case), data=my_form | {"resolved": "2", "keep-all": keep})

    assert response.status_code == 302
    assert stored(case)["version"] == 3
    assert stored(case)["alcohol"] == (2, alcohol, None)
    assert stored(case)["drugs"] == (2, 5, drugs_notes)


def test_a_choice_on_one_answer_wins_over_the_choice_for_all(case, mine, theirs) -> None:
    my_form, _ = stale_save(case, mine, theirs)

    response = mine.post(
        path(case), data=my_form | {"resolved": "2", "keep-all": "mine", "keep-alcohol_score": "theirs"}
    )

    assert response.status_code == 302
    assert stored(case)["alcohol"] == (2, 9, None)
    assert stored(case)["drugs"] == (2, 5, "Using less since May")


def test_a_comparison_that_is_itself_stale_is_shown_again_against_the_newest(case, mine, theirs) -> None:
    my_form, _ = stale_save(case, mine, theirs)
    # The colleague saves once more (version 3) while she makes her choices against version 2.
    assert theirs.post(path(case), data=answers(case, theirs, version=2, alcohol_score="8")).status_code == 302

    response = mine.post(path(case), data=my_form | {"resolved": "2", "keep-all": "mine"})

    assert response.status_code == 409
    assert stored(case)["version"] == 3
    assert stored(case)["alcohol"] == (2, 8, None)
    assert hidden(response, "resolved") == "3"
    assert "4 8" in row_of(response, "Alcohol use: wellbeing score")
    assert 'value="mine" checked' not in response.get_data(as_text=True)


def test_the_choices_are_checked_like_any_answer(case, mine, theirs) -> None:
    """A made-up choice is no choice, and a resolved version that is not a number is none: refused, nothing saved."""
    my_form, _ = stale_save(case, mine, theirs)
    before = stored(case)

    for extra in ({"resolved": "2", "keep-all": "both"}, {"resolved": "2; drop", "keep-all": "mine"}):
        assert mine.post(path(case), data=my_form | extra).status_code == 409

    assert stored(case) == before
