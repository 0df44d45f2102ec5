"""The webhook pages in Welsh for a partner whose account reads the service in Welsh; what is sent to the partner's
system (event names, the API's messages) stays English (docs/webhooks.md)."""

from __future__ import annotations

from sqlalchemy import select

from diversion.db import transaction
from diversion.extensions import db
from diversion.webhooks.models import WebhookSubscription
from tests.api.conftest import error_of
from tests.factories import csrf_token, log_in_as


def test_a_partner_who_reads_welsh_sees_the_webhook_pages_in_welsh(client, team) -> None:
    user = team.user("cps")
    with transaction():
        db.session.merge(user).language = "cy"
    log_in_as(client, user)
    html = client.get("/account/webhooks").get_data(as_text=True)
    assert '<html lang="cy"' in html
    assert "Bachau gwe" in html
    assert "Mae hysbysiad canlyniad yn cael ei wneud" in html
    assert 'value="notice.created"' in html  # the event's name is the API's, in every language

    token = csrf_token(client, "/account/webhooks")
    refused = client.post("/account/webhooks", data={"csrf_token": token, "url": "", "events": []})
    text = refused.get_data(as_text=True)
    assert "Rhowch y cyfeiriad i anfon digwyddiadau iddo" in text
    assert "Dewiswch o leiaf un digwyddiad" in text

    token = csrf_token(client, "/account/webhooks")
    client.post(
        "/account/webhooks", data={"csrf_token": token, "url": "http://127.0.0.1:9/hook", "events": ["notice.created"]}
    )
    (subscription,) = db.session.scalars(select(WebhookSubscription)).all()
    detail = client.get(f"/account/webhooks/{subscription.id}").get_data(as_text=True)
    assert "Nid oes dim wedi&#39;i anfon eto." in detail or "Nid oes dim wedi'i anfon eto." in detail
    assert "Mae hysbysiad canlyniad yn cael ei wneud (notice.created)" in detail


def test_the_api_answers_in_english_whatever_the_account_reads(as_role, team) -> None:
    with transaction():
        db.session.merge(team.user("cps")).language = "cy"
    error = error_of(
        as_role("cps").post("/webhooks", {"url": "ftp://example.org/hook", "events": ["notice.created"]}), 422
    )
    assert error["fields"]["url"] == "The address must start with https://"
