"""A court or CPS user's webhook pages, under their account: their subscriptions, each with its recent deliveries,
pause, resume and delete, and a new one with its secret shown once (docs/webhooks.md). Only the owner reaches a
subscription: anyone else's id is a 404."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion.errors import DomainError
from diversion.forms import apply_errors
from diversion.permissions import current_actor, requires
from diversion.webhooks import bp, services
from diversion.webhooks.forms import ActionForm, SubscriptionForm
from diversion.webhooks.models import EVENT_LABELS, DeliveryStatus, Event

# A delivery's state in words, for the delivery log (delivered and queued are worded on the page itself).
STATUS_LABELS = {
    DeliveryStatus.SENDING.value: _l("Sending"),
    DeliveryStatus.FAILED.value: _l("Failed"),
    DeliveryStatus.CANCELLED.value: _l("Cancelled"),
}


def _own(subscription_id: Any) -> Any:
    subscription = services.own_subscription(current_actor(), subscription_id)
    if subscription is None:
        abort(404)
    return subscription


def _list_page(form: SubscriptionForm, status: int = 200) -> Any:
    return render_template(
        "webhooks/list.html",
        subscriptions=services.subscriptions_of(current_actor()),
        form=form,
        labels=EVENT_LABELS,
        Event=Event,
    ), status


@bp.route("/account/webhooks")
@requires("webhooks")
def subscriptions():
    return _list_page(SubscriptionForm(formdata=None))


@bp.route("/account/webhooks", methods=["POST"])
@requires("webhooks")
def create():
    form = SubscriptionForm()
    if not form.validate_on_submit():
        return _list_page(form)
    try:
        subscription, secret = services.subscribe(current_actor(), form.url.data.strip(), form.events.data)
    except DomainError as error:
        apply_errors(form, error, "url")
        return _list_page(form)
    return render_template("webhooks/created.html", subscription=subscription, secret=secret, labels=EVENT_LABELS)


@bp.route("/account/webhooks/<uuid:subscription_id>")
@requires("webhooks")
def subscription(subscription_id):
    found = _own(subscription_id)
    return render_template(
        "webhooks/show.html",
        subscription=found,
        deliveries=services.deliveries_of(found),
        errors=services.ERRORS,
        statuses=STATUS_LABELS,
        labels=EVENT_LABELS,
        action=ActionForm(),
        pause_after=current_app.config["WEBHOOK_PAUSE_AFTER"],
    )


def _act(subscription_id: Any, do: Any, message: str, to_list: bool = False) -> Any:
    found = _own(subscription_id)
    form = ActionForm()
    if form.validate_on_submit():
        do(found, current_actor())
        flash(message, "success")
    if to_list:
        return redirect(url_for("webhooks.subscriptions"))
    return redirect(url_for("webhooks.subscription", subscription_id=subscription_id))


@bp.route("/account/webhooks/<uuid:subscription_id>/pause", methods=["POST"])
@requires("webhooks")
def pause(subscription_id):
    return _act(subscription_id, services.pause, _("The webhook is paused: nothing will be sent until you resume it."))


@bp.route("/account/webhooks/<uuid:subscription_id>/resume", methods=["POST"])
@requires("webhooks")
def resume(subscription_id):
    return _act(subscription_id, services.resume, _("The webhook is resumed."))


@bp.route("/account/webhooks/<uuid:subscription_id>/delete", methods=["POST"])
@requires("webhooks")
def delete(subscription_id):
    return _act(subscription_id, services.delete, _("The webhook is deleted."), to_list=True)
