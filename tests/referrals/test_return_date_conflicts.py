"""A stale change of the return date is shown, never silently overwritten (docs/conflicts.md): after someone else
changed the case, the second saver sees her new return date beside the saved one, nothing is saved, Save again
without a choice is refused naming the return date, and with the choice made the case takes it (or keeps the saved
date, changing nothing) and its version moves on by one."""

from __future__ import annotations

from datetime import date

import pytest

from diversion.extensions import db
from diversion.referrals.models import Referral
from tests import pages
from tests.factories import audit_events, create_referral, create_user, csrf_token, last_audit_id, log_in_as

# Working days (Tuesdays) after the default return date of the factory's cases, no bank holidays near.
THEIRS = date(2027, 2, 9)
MINE = date(2027, 2, 16)


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def colleague(app_ctx):
    return create_user(role="worker")


@pytest.fixture
def case(worker):
    return create_referral(state="OPTED_IN", worker=worker)


@pytest.fixture
def mine(client, worker):
    return log_in_as(client, worker)


@pytest.fixture
def theirs(app, colleague):
    return log_in_as(app.test_client(), colleague)


def path(case) -> str:
    return f"/cases/{case.id}/return-date"


def answers(case, client, day: date, *, version: int) -> dict:
    return {
        "csrf_token": csrf_token(client, path(case)),
        "version": str(version),
        "return_date-day": str(day.day),
        "return_date-month": str(day.month),
        "return_date-year": str(day.year),
        "reason": "Re-adjourned at the court's request.",
    }


def stored(case) -> tuple[int, date]:
    db.session.expire_all()
    referral = db.session.get(Referral, case.id)
    return referral.version, referral.return_date


def text_of(response) -> str:
    """The page's text, whitespace collapsed, after the checks every page gets (tests/pages.py)."""
    return pages.read(response).text


def stale_save(case, mine, theirs):
    """Both open the page at the case's version; the colleague moves the return date first."""
    version = case.version
    my_form = answers(case, mine, MINE, version=version)
    assert theirs.post(path(case), data=answers(case, theirs, THEIRS, version=version)).status_code == 302
    return my_form, mine.post(path(case), data=my_form)


def test_the_second_saver_sees_the_saved_return_date_and_nothing_of_hers_is_saved(case, mine, theirs) -> None:
    version = case.version
    _, response = stale_save(case, mine, theirs)

    assert response.status_code == 409
    assert stored(case) == (version + 1, THEIRS)
    page = pages.read(response)
    text = page.text
    assert "Someone else changed this case while you were working on it" in text
    assert "Return date Different : your answer and the saved answer differ 16 February 2027 9 February 2027" in text
    assert page.value("version") == str(version)
    assert page.value("resolved") == str(version + 1)


def test_save_again_without_choosing_is_refused_and_nothing_is_saved(case, mine, theirs) -> None:
    my_form, _ = stale_save(case, mine, theirs)
    before, mark = stored(case), last_audit_id()

    assert mine.post(path(case), data=my_form).status_code == 409
    pressed = mine.post(path(case), data=my_form | {"resolved": str(before[0])})

    assert pressed.status_code == 409
    assert "Choose which answer to keep for return date" in text_of(pressed)
    assert 'href="#keep-return_date"' in pressed.get_data(as_text=True)
    assert stored(case) == before
    assert audit_events(case_id=case.id, action="referral.return_date_changed", after=mark) == []


def test_using_her_return_date_saves_it_at_the_next_version(case, mine, theirs) -> None:
    my_form, _ = stale_save(case, mine, theirs)
    version, _ = stored(case)

    response = mine.post(path(case), data=my_form | {"resolved": str(version), "keep-return_date": "mine"})

    assert response.status_code == 302
    assert stored(case) == (version + 1, MINE)


def test_keeping_the_saved_return_date_changes_nothing(case, mine, theirs) -> None:
    my_form, _ = stale_save(case, mine, theirs)
    before, mark = stored(case), last_audit_id()

    response = mine.post(path(case), data=my_form | {"resolved": str(before[0]), "keep-all": "theirs"})

    assert response.status_code == 302
    assert stored(case) == before
    assert audit_events(case_id=case.id, action="referral.return_date_changed", after=mark) == []
    assert "The saved return date is kept. Nothing was changed." in text_of(mine.get(f"/cases/{case.id}"))
