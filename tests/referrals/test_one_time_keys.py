"""One-time keys on the web forms that create something: the same form posted twice makes one record
(docs/idempotency.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from diversion.extensions import db
from diversion.idempotency import services
from diversion.idempotency.models import IdempotencyKey
from diversion.referrals.models import Referral
from tests import pages
from tests.factories import create_court, create_user, csrf_token, date_fields, log_in_as

pytestmark = pytest.mark.clock("2026-12-01 10:00")


def referrals() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Referral)) or 0)


def one_time_key(response) -> str:
    """The one-time key the page's form carries; fails if it has none or an empty one."""
    key = pages.read(response).value("one_time_key")
    assert key, "an empty one-time key on the page"
    return key


def referral_form(court, **overrides) -> dict:
    return {
        "court": court.code,
        "urn": "01/ab/64999/26",
        "offence": "SOA1959_S1",
        **date_fields("first_hearing_date", date(2026, 11, 30)),
        **date_fields("return_date", date(2026, 12, 22)),
        "given_name": "Jade",
        "family_name": "Onetime",
        **date_fields("date_of_birth", date(1992, 4, 3)),
        "may_text": "unknown",
        "may_voicemail": "unknown",
        **overrides,
    }


@pytest.fixture
def worker(app_ctx):
    return create_user(role="worker")


def _post(client, data: dict):
    return client.post("/cases/new", data={**data, "csrf_token": csrf_token(client, "/cases/new")})


def test_the_new_referral_page_carries_a_new_key_each_time(client, worker) -> None:
    log_in_as(client, worker)
    first = one_time_key(client.get("/cases/new"))
    second = one_time_key(client.get("/cases/new"))
    assert first != second
    assert services.valid_key(first)


def test_the_form_posted_twice_with_one_key_makes_one_case(client, worker) -> None:
    log_in_as(client, worker)
    court = create_court()
    key = one_time_key(client.get("/cases/new"))
    first = _post(client, referral_form(court, one_time_key=key))
    assert first.status_code == 302
    assert referrals() == 1
    second = _post(client, referral_form(court, one_time_key=key))
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert referrals() == 1
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "This was already saved." in page
    # Nothing of hers is kept with the key: only where the save went.
    row = db.session.scalar(select(IdempotencyKey))
    assert row.location == first.headers["Location"]
    assert row.answer is None
    assert row.client_id is None


def test_a_second_post_changed_after_going_back_still_makes_nothing(client, worker) -> None:
    log_in_as(client, worker)
    court = create_court()
    key = one_time_key(client.get("/cases/new"))
    assert _post(client, referral_form(court, one_time_key=key)).status_code == 302
    again = _post(client, referral_form(court, one_time_key=key, urn="01/ab/65000/26"))
    assert again.status_code == 302
    assert referrals() == 1


def test_a_new_key_makes_a_new_case(client, worker) -> None:
    log_in_as(client, worker)
    court = create_court()
    for urn, name in (("01/ab/64999/26", "Onetime"), ("01/ab/65000/26", "Another")):
        key = one_time_key(client.get("/cases/new"))
        page = _post(client, referral_form(court, one_time_key=key, urn=urn, family_name=name))
        assert page.status_code == 302
    assert referrals() == 2


def test_a_form_with_errors_keeps_its_key_and_saves_once_corrected(client, worker) -> None:
    log_in_as(client, worker)
    court = create_court()
    key = one_time_key(client.get("/cases/new"))
    refused = _post(client, referral_form(court, one_time_key=key, given_name=""))
    assert refused.status_code == 200
    assert one_time_key(refused) == key
    assert referrals() == 0
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0  # a refusal is not remembered
    assert _post(client, referral_form(court, one_time_key=key)).status_code == 302
    assert referrals() == 1


def test_a_second_post_while_the_first_is_saving_makes_nothing(client, worker) -> None:
    log_in_as(client, worker)
    court = create_court()
    key = one_time_key(client.get("/cases/new"))
    services.claim(worker.id, key, services.fingerprint("FORM", "/cases/new", b""))
    page = _post(client, referral_form(court, one_time_key=key))
    assert page.status_code == 200
    assert "This is already being saved" in page.get_data(as_text=True)
    assert referrals() == 0


def test_the_key_is_forgotten_after_24_hours(client, worker, clock) -> None:
    log_in_as(client, worker)
    court = create_court()
    key = one_time_key(client.get("/cases/new"))
    assert _post(client, referral_form(court, one_time_key=key)).status_code == 302
    clock.shift(timedelta(hours=25))
    assert services.sweep_expired() == 1
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_another_users_same_key_is_hers_alone(client, worker) -> None:
    court = create_court()
    log_in_as(client, worker)
    key = one_time_key(client.get("/cases/new"))
    assert _post(client, referral_form(court, one_time_key=key)).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cases")})
    other = create_user(role="worker")
    log_in_as(client, other)
    form = referral_form(court, one_time_key=key, urn="01/ab/65000/26", family_name="Another")
    assert _post(client, form).status_code == 302
    assert referrals() == 2


def test_the_daily_sweep_deletes_expired_keys(app, client, worker, clock) -> None:
    log_in_as(client, worker)
    court = create_court()
    key = one_time_key(client.get("/cases/new"))
    assert _post(client, referral_form(court, one_time_key=key)).status_code == 302
    runner = app.test_cli_runner()
    assert "One-time keys" not in runner.invoke(args=["cases", "sweep"]).stdout
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
    clock.shift(timedelta(hours=25))
    result = runner.invoke(args=["cases", "sweep"])
    assert result.exit_code == 0, result.output
    assert "One-time keys swept: 1 expired keys deleted." in result.stdout
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


# --- the other forms that create something ---


def _key_and_token(client, path: str) -> tuple[str, str]:
    page = pages.get(client, path)
    return one_time_key(page.response), page.csrf_token


def test_the_booking_form_posted_twice_books_one_appointment(client, worker) -> None:
    from diversion.appointments.models import Appointment
    from tests.factories import create_referral

    referral = create_referral(state="OPTED_IN", worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{referral.id}/appointments/new?number=1"
    key, token = _key_and_token(client, path)
    day = date(2026, 12, 3)  # a Thursday, before the return date
    data = {
        "csrf_token": token,
        "one_time_key": key,
        "number": "1",
        **date_fields("day", day),
        "time": "10:30",
        "duration": "60",
        "location": "Hub",
        "worker": str(worker.id),
    }
    first = client.post(path, data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    booked = db.session.scalar(select(func.count()).select_from(Appointment))
    assert booked == 1
    second = client.post(path, data=data)
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
    assert "This was already saved." in client.get(second.headers["Location"]).get_data(as_text=True)


def test_the_review_form_posted_twice_records_one_review(client, worker) -> None:
    from diversion.assessments.models import Domain
    from diversion.outcomes.models import Review
    from tests.factories import create_referral

    completed = create_referral(state="COMPLETED", worker=worker)
    log_in_as(client, worker)
    path = f"/cases/{completed.id}/reviews/new"
    key, token = _key_and_token(client, path)
    data = {"csrf_token": token, "one_time_key": key, **date_fields("reviewed_on", date(2026, 12, 1))}
    for domain in Domain:
        data[f"{domain.value}_need"] = "1"
        data[f"{domain.value}_score"] = "7"
    first = client.post(path, data=data)
    assert first.status_code == 302
    second = client.post(path, data=data)
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Review)) == 1


def test_the_new_account_form_posted_twice_goes_to_the_account_it_made(client, app_ctx) -> None:
    from diversion.auth.models import User

    admin = create_user(role="admin")
    log_in_as(client, admin)
    key, token = _key_and_token(client, "/admin/users/new")
    data = {
        "csrf_token": token,
        "one_time_key": key,
        "display_name": "New Person",
        "email": "new.person@example.org",
        "role": "worker",
        "court": "",
    }
    first = client.post("/admin/users/new", data=data)
    assert first.status_code == 200  # the page that shows the first password, once
    users = db.session.scalar(select(func.count()).select_from(User))
    second = client.post("/admin/users/new", data=data)
    assert second.status_code == 302
    made = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert second.headers["Location"].endswith(f"/admin/users/{made.id}")
    assert db.session.scalar(select(func.count()).select_from(User)) == users


def test_the_outcome_form_posted_twice_records_the_outcome_once(client, worker) -> None:
    from tests.api.conftest import case_in
    from tests.factories import audit_events

    case = case_in("OPTED_IN", court=create_court(), worker=worker, appointment="booked")
    log_in_as(client, worker)
    path = f"/appointments/{case.test_appointment_id}/outcome"
    key, token = _key_and_token(client, path)
    data = {"csrf_token": token, "one_time_key": key, "outcome": "attended", "notes": ""}
    first = client.post(path, data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    second = client.post(path, data=data)
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    recorded = audit_events(case_id=case.id, action="appointment.outcome_recorded")
    corrected = audit_events(case_id=case.id, action="appointment.outcome_corrected")
    assert (len(recorded), len(corrected)) == (1, 0)
