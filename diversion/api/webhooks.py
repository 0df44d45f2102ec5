"""API: a court or CPS user's webhook subscriptions (docs/webhooks.md). The secret is answered once, when the
subscription is made; the list never carries it, and another user's subscription is a 404."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, jsonify

from diversion.api import bp
from diversion.api.parsing import Reader, json_object
from diversion.permissions import current_actor, requires
from diversion.webhooks import services
from diversion.webhooks.addresses import MAX_URL_LENGTH


def subscription_input(body: dict[str, Any]) -> tuple[str, list[Any]]:
    """POST /webhooks: the URL and the events (the service checks both against its rules)."""
    reader = Reader(body, ("url", "events"))
    url = reader.text("url", required=True, max_length=MAX_URL_LENGTH)
    events = reader.texts("events")
    if events is None and "events" not in reader.problems.malformed:
        reader.problems.invalid.setdefault("events", "Choose at least one event")
    reader.problems.raise_if_any()
    return url or "", events or []


@bp.route("/webhooks", methods=["POST"])
@requires("webhooks")
def create_webhook() -> Any:
    url, events = subscription_input(json_object())
    subscription, secret = services.subscribe(current_actor(), url, events)
    return jsonify({**services.subscription_body(subscription), "secret": secret}), 201


@bp.route("/webhooks", methods=["GET"])
@requires("webhooks")
def webhooks() -> Any:
    # A user keeps at most services.MAX_SUBSCRIPTIONS: one page.
    items = [services.subscription_body(item) for item in services.subscriptions_of(current_actor())]
    return jsonify({"items": items, "next": None})


@bp.route("/webhooks/<uuid:subscription_id>", methods=["DELETE"])
@requires("webhooks")
def delete_webhook(subscription_id: uuid.UUID) -> Any:
    subscription = services.own_subscription(current_actor(), subscription_id)
    if subscription is None:
        abort(404)
    services.delete(subscription, current_actor())
    return "", 204
