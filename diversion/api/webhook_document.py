"""The OpenAPI entries of the webhook endpoints (docs/webhooks.md), merged into the document by
``diversion/api/openapi.py``. The request schema is strict: no member beyond ``url`` and ``events``, the events from
the list, at least one, each once."""

from __future__ import annotations

from typing import Any

from diversion.api.schemas import UUID, json_content, ref, rule_operation, text
from diversion.api.schemas import error_responses as _errors
from diversion.webhooks.addresses import MAX_URL_LENGTH
from diversion.webhooks.models import Event

RULE = "webhooks"
EVENT_NAMES = [item.value for item in Event]
_STAMP = {"type": ["string", "null"], "format": "date-time"}


def _operation(operation_id: str, summary: str, responses: dict[str, Any], description: str, **extra: Any) -> Any:
    return rule_operation(RULE, operation_id, summary, responses, description, **extra)


_SUBSCRIPTION_PROPERTIES = {
    "id": UUID,
    "url": {"type": "string"},
    "events": {"type": "array", "items": {"type": "string", "enum": EVENT_NAMES}},
    "created_at": {"type": "string", "format": "date-time"},
    "paused_at": _STAMP,
    "pause_reason": {"type": ["string", "null"], "enum": ["owner", "failures", None]},
}
_SUBSCRIPTION_REQUIRED = list(_SUBSCRIPTION_PROPERTIES)

WEBHOOK_SCHEMAS: dict[str, Any] = {
    "WebhookInput": {
        "type": "object",
        "properties": {
            "url": text(MAX_URL_LENGTH, format="uri"),
            "events": {
                "type": "array",
                "items": {"type": "string", "enum": EVENT_NAMES},
                "minItems": 1,
                "uniqueItems": True,
            },
        },
        "required": ["url", "events"],
        "additionalProperties": False,
        "description": "An https:// URL on a public address (checked when subscribing and at every send) and the "
        "events to send to it.",
    },
    "Webhook": {
        "type": "object",
        "properties": _SUBSCRIPTION_PROPERTIES,
        "required": _SUBSCRIPTION_REQUIRED,
        "additionalProperties": False,
        "description": "A subscription, without its secret.",
    },
    "WebhookCreated": {
        "type": "object",
        "properties": {
            **_SUBSCRIPTION_PROPERTIES,
            "secret": {"type": "string", "description": "Signs every delivery. Shown this once only."},
        },
        "required": [*_SUBSCRIPTION_REQUIRED, "secret"],
        "additionalProperties": False,
    },
    "WebhookList": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": ref("Webhook")}, "next": {"type": "null"}},
        "required": ["items", "next"],
        "additionalProperties": False,
    },
}

WEBHOOK_PATHS: dict[str, Any] = {
    "/webhooks": {
        "post": _operation(
            "createWebhook",
            "Subscribe a URL to events",
            {
                "201": json_content(ref("WebhookCreated"), "The subscription, with its secret (shown once)."),
                **_errors(400, 401, 403, 422),
            },
            "A delivery is a POST of `{id, event, created_at, data}` signed in the `Diversion-Signature` header "
            "(docs/webhooks.md); `data` is what your own GET of the case or notice answers. 422 for a URL that is "
            "not https, or whose host is or resolves to a private, loopback or link-local address.",
            requestBody={"required": True, "content": {"application/json": {"schema": ref("WebhookInput")}}},
        ),
        "get": _operation(
            "listWebhooks",
            "List your subscriptions",
            {"200": json_content(ref("WebhookList"), "Your subscriptions, one page."), **_errors(401, 403)},
            "Your own subscriptions only, never a secret.",
        ),
    },
    "/webhooks/{subscription_id}": {
        "delete": _operation(
            "deleteWebhook",
            "Delete a subscription",
            {"204": {"description": "Deleted, with its delivery log."}, **_errors(401, 403, 404)},
            "Another user's subscription is 404.",
            parameters=[{"name": "subscription_id", "in": "path", "required": True, "schema": UUID}],
        ),
    },
}
