"""Webhooks for partners: a court or CPS user's subscriptions, the outbox of deliveries, and the pages that manage
them (docs/webhooks.md)."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__)
