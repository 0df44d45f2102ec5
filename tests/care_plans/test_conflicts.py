"""A stale save of the Care Action Plan is shown, never silently overwritten (docs/conflicts.md): the second saver
sees her answers beside the saved ones (the questions neither answered left out), nothing of hers is saved, Save
again without a choice for every difference is refused naming each one, and with the choices made the plan takes
each chosen answer and its version moves on by one."""

from __future__ import annotations

import pytest

from diversion.care_plans.services import plan_of
from diversion.extensions import db
from diversion.referrals.models import Referral, State
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
    save_agreed_plan,
)


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def colleague(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def case(worker):
    """Assessed, a draft plan saved once (version 1): one goal, one action, housing referral made."""
    referral = create_referral(state=State.ASSESSED, worker=worker)
    save_agreed_plan(referral, worker, agreed=False)
    return referral


@pytest.fixture
def mine(client, worker):
    return log_in_as(client, worker)


@pytest.fixture
def theirs(app, colleague):
    return log_in_as(app.test_client(), colleague)


def path(case) -> str:
    return f"/cases/{case.id}/plan/edit"


def answers(case, client, *, version: int = 1, **changes) -> dict:
    """The draft plan's form as sent from a page shown at ``version``."""
    return {
        "csrf_token": csrf_token(client, path(case)),
        "version": str(version),
        "goal0_domain": "accommodation",
        "goal0_text": "Find somewhere safe to live",
        "goal0_action0_text": "See the housing team",
        "goal0_action0_owner": "client",
        "goal0_action0_status": "to_do",
        "onward_housing": "made",
        "notes": "",
    } | changes


def stored(case) -> dict:
    db.session.expire_all()
    plan = plan_of(case)
    return {"version": plan.version, "goal": plan.goals[0].text, "notes": plan.notes, "agreed": plan.is_agreed}


def text_of(response) -> str:
    """The page's text, whitespace collapsed, after the checks every page gets (tests/pages.py)."""
    return pages.read(response).text


def stale_save(case, mine, theirs):
    """Both open the plan at version 1; the colleague changes the goal, then she changes it too and adds notes."""
    their_form = answers(case, theirs, goal0_text="Find a hostel place")
    my_form = answers(case, mine, goal0_text="Find a flat", notes="Met at the drop-in")
    assert theirs.post(path(case), data=their_form).status_code == 302
    return my_form, mine.post(path(case), data=my_form)


def test_the_second_saver_sees_the_differences_and_nothing_of_hers_is_saved(case, mine, theirs) -> None:
    _, response = stale_save(case, mine, theirs)

    assert response.status_code == 409
    assert stored(case) == {"version": 2, "goal": "Find a hostel place", "notes": None, "agreed": False}
    page = pages.read(response)
    text = page.text
    assert "Someone else saved this Care Action Plan" in text
    assert "Goal 1 Different : your answer and the saved answer differ Find a flat Find a hostel place" in text
    assert "Notes Different : your answer and the saved answer differ Met at the drop-in Not given" in text
    assert "Goal 1: needs domain Accommodation Accommodation" in text
    assert "Goal 2" not in text_of(response).split("Choose which answers to keep")[0].split("Every answer")[1]
    assert page.value("version") == "1"
    assert page.value("resolved") == "2"
    assert page.inputs("keep-goal0_text")
    assert page.inputs("keep-notes")
    assert 'name="keep-goal0_domain"' not in page.html


def test_save_again_without_choosing_is_refused_naming_each_difference_and_nothing_is_saved(case, mine, theirs) -> None:
    my_form, _ = stale_save(case, mine, theirs)
    before, mark = stored(case), last_audit_id()

    assert mine.post(path(case), data=my_form).status_code == 409
    pressed = mine.post(path(case), data=my_form | {"resolved": "2"})

    assert pressed.status_code == 409
    assert "Choose which answer to keep for goal 1" in text_of(pressed)
    assert "Choose which answer to keep for notes" in text_of(pressed)
    assert stored(case) == before
    assert audit_events(case_id=case.id, action="care_plan.saved", after=mark) == []


def test_with_a_choice_for_each_difference_the_plan_takes_each_and_moves_on_one_version(case, mine, theirs) -> None:
    my_form, _ = stale_save(case, mine, theirs)

    response = mine.post(
        path(case), data=my_form | {"resolved": "2", "keep-goal0_text": "theirs", "keep-notes": "mine"}
    )

    assert response.status_code == 302
    assert stored(case) == {"version": 3, "goal": "Find a hostel place", "notes": "Met at the drop-in", "agreed": False}


def test_use_my_answers_for_all(case, mine, theirs) -> None:
    my_form, _ = stale_save(case, mine, theirs)

    response = mine.post(path(case), data=my_form | {"resolved": "2", "keep-all": "mine"})

    assert response.status_code == 302
    assert stored(case) == {"version": 3, "goal": "Find a flat", "notes": "Met at the drop-in", "agreed": False}


def test_a_resolved_save_that_completes_her_case_is_confirmed_first_with_the_choices_carried(
    case, worker, mine, theirs
) -> None:
    attend(appointment=book(referral=case, worker=worker, number=2), worker=worker)
    my_form, _ = stale_save(case, mine, theirs)

    check = mine.post(
        path(case), data=my_form | {"agreed": "y", "resolved": "2", "keep-all": "theirs", "keep-agreed": "mine"}
    )

    assert check.status_code == 200
    assert "Check before you complete her case" in text_of(check)
    page = pages.read(check)
    carried = page.hidden_fields(page.form(path(case)))
    assert carried["resolved"] == "2"
    assert carried["keep-all"] == "theirs"
    assert carried["keep-agreed"] == "mine"
    assert stored(case)["version"] == 2
    done = mine.post(path(case), data=carried | {"confirmed": "yes"})
    assert done.status_code == 302
    assert stored(case) == {"version": 3, "goal": "Find a hostel place", "notes": None, "agreed": True}
    assert db.session.get(Referral, case.id).state == State.COMPLETED
