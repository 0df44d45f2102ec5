"""The webhook pages under a court or CPS user's account: their own subscriptions only, the secret shown once, the
delivery log, pause, resume and delete (docs/webhooks.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from diversion.extensions import db
from diversion.webhooks import services
from diversion.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.api.conftest import case_in, count
from tests.factories import create_user, csrf_token, log_in_as


def create(client, url: str, events: list[str]):
    token = csrf_token(client, "/account/webhooks")
    return client.post("/account/webhooks", data={"csrf_token": token, "url": url, "events": events})


@pytest.mark.parametrize("role", ["court", "cps"])
def test_a_partner_creates_a_webhook_sees_its_secret_once_and_its_deliveries(client, team, role: str, receiver) -> None:
    user = team.user(role)
    log_in_as(client, user)
    account = client.get("/account").get_data(as_text=True)
    assert "/account/webhooks" in account
    page = client.get("/account/webhooks")
    assert page.status_code == 200
    assert "You have no webhooks." in page.get_data(as_text=True)

    shown = create(client, receiver.url, ["notice.created", "referral.state_changed"])
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    (subscription,) = db.session.scalars(select(WebhookSubscription)).all()
    assert subscription.secret in html
    assert subscription.user_id == user.id
    assert subscription.event_list[0].value == "notice.created"

    listed = client.get("/account/webhooks").get_data(as_text=True)
    assert receiver.url in listed
    assert subscription.secret not in listed
    detail = client.get(f"/account/webhooks/{subscription.id}").get_data(as_text=True)
    assert subscription.secret not in detail
    assert "Nothing has been sent yet." in detail

    receiver.status = 500
    case_in("WITHDRAWN", court=team.court, worker=team.worker)
    services.send_due()
    detail = client.get(f"/account/webhooks/{subscription.id}").get_data(as_text=True)
    assert "notice.created" in detail
    assert "The receiver did not answer 2xx (500)" in detail
    assert subscription.secret not in detail


def test_pause_resume_and_delete(client, team) -> None:
    log_in_as(client, team.user("cps"))
    create(client, "http://127.0.0.1:9/hook", ["notice.created"])
    (subscription,) = db.session.scalars(select(WebhookSubscription)).all()
    path = f"/account/webhooks/{subscription.id}"
    token = csrf_token(client, path)
    assert client.post(f"{path}/pause", data={"csrf_token": token}).status_code == 302
    db.session.refresh(subscription)
    assert subscription.pause_reason == "owner"
    assert "Resume" in client.get(path).get_data(as_text=True)
    client.post(f"{path}/resume", data={"csrf_token": token})
    db.session.refresh(subscription)
    assert subscription.paused_at is None
    answer = client.post(f"{path}/delete", data={"csrf_token": token})
    assert answer.headers["Location"].endswith("/account/webhooks")
    assert count(WebhookSubscription) == 0


def test_a_refused_address_or_no_event_shows_the_error_summary_and_saves_nothing(client, team) -> None:
    log_in_as(client, team.user("court"))
    for url, events, message in (
        ("http://10.0.0.1/hook", ["notice.created"], "The address must be on the public internet"),
        ("", ["notice.created"], "Enter the address to send events to"),
        ("http://127.0.0.1:9/hook", [], "Choose at least one event"),
    ):
        html = create(client, url, events).get_data(as_text=True)
        assert "govuk-error-summary" in html
        assert message in html
    assert count(WebhookSubscription) == 0


def test_nobody_reaches_another_users_webhook_and_other_roles_none(client, team, app_ctx) -> None:
    subscription, _ = services.subscribe(team.user("court"), "http://127.0.0.1:9/hook", ["notice.created"])
    other_court_user = create_user(role="court", court=team.court)
    log_in_as(client, other_court_user)
    path = f"/account/webhooks/{subscription.id}"
    assert client.get(path).status_code == 404
    token = csrf_token(client, "/account/webhooks")
    for action in ("pause", "resume", "delete"):
        assert client.post(f"{path}/{action}", data={"csrf_token": token}).status_code == 404
    assert count(WebhookSubscription) == 1
    assert str(subscription.id) not in client.get("/account/webhooks").get_data(as_text=True)
    for role in ("worker", "manager", "admin"):
        log_in_as(client, team.user(role))
        assert client.get("/account/webhooks").status_code == 403
        assert "/account/webhooks" not in client.get("/account").get_data(as_text=True)
    assert count(WebhookDelivery) == 0
