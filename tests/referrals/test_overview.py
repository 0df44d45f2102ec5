"""The case overview. Who has the case: a manager gives it to a support worker (or to no one); a support worker takes
a case that has none, such as one the court referred. What else she needs at a glance: her other referrals, and what
the CPS decided."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from diversion.audit.models import AuditEvent
from diversion.extensions import db
from diversion.referrals.models import Referral
from tests import pages
from tests.factories import create_referral, create_user, csrf_token, log_in_as


@pytest.fixture
def manager(app_ctx):
    return create_user(role="manager")


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


def _assigned(referral) -> object:
    db.session.expire_all()
    return db.session.get(Referral, referral.id).assigned_worker_id


def _events(referral) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "referral.assigned", AuditEvent.object_id == str(referral.id))
    )


def _version(page: pages.Page, action: str) -> str:
    """The case's version, which the form to ``action`` carries."""
    return page.value("version", page.form(action))


def test_a_manager_gives_a_case_to_another_support_worker(client, app_ctx, manager, worker) -> None:
    other = create_user(role="worker")
    disabled = create_user(role="worker")
    disabled.is_disabled = True
    court_user = create_user(role="court")
    db.session.flush()
    referral = create_referral(worker=worker)
    log_in_as(client, manager)
    overview = client.get(f"/cases/{referral.id}").get_data(as_text=True)
    assert f'href="/cases/{referral.id}/worker"' in overview
    page = pages.get(client, f"/cases/{referral.id}/worker")
    html = page.html
    assert other.display_name in html
    assert disabled.display_name not in html
    assert court_user.display_name not in html
    assert other.email not in html  # people by name, not email
    response = client.post(
        f"/cases/{referral.id}/worker",
        data={
            "worker": str(other.id),
            "version": _version(page, f"/cases/{referral.id}/worker"),
            "csrf_token": csrf_token(client, f"/cases/{referral.id}/worker"),
        },
    )
    assert response.status_code == 302
    assert _assigned(referral) == other.id
    assert _events(referral) == 1
    log_in_as(client, other)
    assert str(referral.id) in client.get("/cases?tab=mine").get_data(as_text=True)


def test_a_stale_change_of_worker_is_refused_with_409_and_changes_nothing(client, app_ctx, manager, worker) -> None:
    other = create_user(role="worker")
    referral = create_referral(worker=worker)
    log_in_as(client, manager)
    shown = _version(pages.get(client, f"/cases/{referral.id}/worker"), f"/cases/{referral.id}/worker")
    referral.version += 1  # someone else saved the case meanwhile
    db.session.flush()
    response = client.post(
        f"/cases/{referral.id}/worker",
        data={
            "worker": str(other.id),
            "version": shown,
            "csrf_token": csrf_token(client, f"/cases/{referral.id}/worker"),
        },
    )
    assert response.status_code == 409
    assert "Someone else changed this case" in response.get_data(as_text=True)
    assert _assigned(referral) == worker.id
    assert _events(referral) == 0


@pytest.mark.parametrize("choice", ["", "not-a-worker"])
def test_a_change_of_worker_without_a_valid_choice_says_why(client, app_ctx, manager, worker, choice) -> None:
    referral = create_referral(worker=worker)
    log_in_as(client, manager)
    token = csrf_token(client, f"/cases/{referral.id}/worker")
    response = client.post(f"/cases/{referral.id}/worker", data={"worker": choice, "version": "", "csrf_token": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html
    assert _assigned(referral) == worker.id


def test_a_manager_can_leave_a_case_with_no_one_and_cannot_move_a_closed_case(client, app_ctx, manager, worker) -> None:
    referral = create_referral(worker=worker)
    closed = create_referral(state="COMPLETED", worker=worker)
    log_in_as(client, manager)
    token = csrf_token(client, f"/cases/{referral.id}/worker")
    client.post(f"/cases/{referral.id}/worker", data={"worker": "none", "version": "", "csrf_token": token})
    assert _assigned(referral) is None
    other = create_user(role="worker")
    response = client.post(
        f"/cases/{closed.id}/worker", data={"worker": str(other.id), "version": "", "csrf_token": token}
    )
    assert "A closed case cannot be given to another worker" in response.get_data(as_text=True)
    assert _assigned(closed) == worker.id
    assert f'href="/cases/{closed.id}/worker"' not in client.get(f"/cases/{closed.id}").get_data(as_text=True)


def test_a_support_worker_cannot_open_the_change_of_worker(client, app_ctx, worker) -> None:
    referral = create_referral(worker=worker)
    log_in_as(client, worker)
    assert client.get(f"/cases/{referral.id}/worker").status_code == 403
    assert f'href="/cases/{referral.id}/worker"' not in client.get(f"/cases/{referral.id}").get_data(as_text=True)


def test_a_support_worker_takes_a_case_with_no_worker_and_no_one_elses(client, app_ctx, worker) -> None:
    unassigned = create_referral(worker=worker)
    unassigned.assigned_worker_id = None
    db.session.flush()
    log_in_as(client, worker)
    overview = pages.get(client, f"/cases/{unassigned.id}")
    assert "Take this case" in overview.text
    token = overview.csrf_token
    data = {"version": _version(overview, f"/cases/{unassigned.id}/take"), "csrf_token": token}
    response = client.post(f"/cases/{unassigned.id}/take", data=data)
    assert response.status_code == 302
    assert _assigned(unassigned) == worker.id
    assert "Take this case" not in client.get(f"/cases/{unassigned.id}").get_data(as_text=True)

    # A colleague's case cannot be taken, by the form or by hand.
    colleague = create_user(role="worker")
    theirs = create_referral(worker=colleague)
    response = client.post(f"/cases/{theirs.id}/take", data={"version": "", "csrf_token": token})
    assert response.status_code == 302
    assert _assigned(theirs) == colleague.id
    assert "Another support worker has taken this case" in client.get(f"/cases/{theirs.id}").get_data(as_text=True)


def test_the_overview_shows_her_other_referrals_and_the_cps_decision(client, app_ctx, worker) -> None:
    from datetime import date

    from diversion.notices.models import OutcomeNotice

    earlier = create_referral(state="COMPLETED", worker=worker, family_name="Twice", date_of_birth=date(1991, 3, 4))
    notice = db.session.scalar(select(OutcomeNotice).where(OutcomeNotice.referral_id == earlier.id))
    assert notice is not None, "completing a case makes its notice"
    later = create_referral(
        worker=worker, link_client_id=earlier.client_id, family_name="Twice", date_of_birth=date(1991, 3, 4)
    )
    log_in_as(client, worker)
    html = client.get(f"/cases/{later.id}").get_data(as_text=True)
    assert "Her other referrals" in html
    assert f'href="/cases/{earlier.id}"' in html
    assert "Outcome notice" not in html  # the open case has none yet
    earlier_page = client.get(f"/cases/{earlier.id}").get_data(as_text=True)
    assert "Outcome notice" in earlier_page
    assert "Awaiting decision" in earlier_page
    assert f'href="/cases/{later.id}"' in earlier_page
    notice.decision, notice.decided_on = "discontinued", date(2026, 11, 30)
    db.session.flush()
    assert "Discontinued on 30 November 2026" in client.get(f"/cases/{earlier.id}").get_data(as_text=True)
