"""Saving and discarding drafts: JSON for the page's autosave, a redirect back to the form for the button.

Each form's own access rule is checked by ``kinds.resolve``, as its own view checks it (docs/drafts.md)."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request
from flask_babel import gettext as _
from flask_login import current_user

from diversion.drafts import bp, kinds, services
from diversion.drafts.forms import RESTORE, when
from diversion.errors import is_api_request
from diversion.permissions import requires

# Every form but the new referral's names the record it is about; a new referral has none yet.
KINDS = 'any("assessment", "plan", "new-review", "review", "outcome")'
NEW_REFERRAL = ("new-referral", "new")


@bp.route("/drafts/new-referral", methods=["POST"])
@requires("signed_in")
def save_new_referral() -> Any:
    return _save(*NEW_REFERRAL)


@bp.route(f"/drafts/<{KINDS}:kind>/<uuid:target>", methods=["POST"])
@requires("signed_in")
def save(kind: str, target: Any) -> Any:
    return _save(kind, str(target))


@bp.route("/drafts/new-referral/discard", methods=["POST"])
@requires("signed_in")
def discard_new_referral() -> Any:
    return _discard(*NEW_REFERRAL)


@bp.route(f"/drafts/<{KINDS}:kind>/<uuid:target>/discard", methods=["POST"])
@requires("signed_in")
def discard(kind: str, target: Any) -> Any:
    return _discard(kind, str(target))


def _save(kind: str, target: str) -> Any:
    place = kinds.resolve(kind, target)
    values = services.values_from(place.field_names(), request.form, place.exclude)
    draft = services.save(current_user.id, place.kind, place.target, place.client_id, values)
    if is_api_request():
        return jsonify(
            saved_at=draft.saved_at.isoformat(),
            expires_at=draft.expires_at.isoformat(),
            message=_("Draft saved at %(time)s.", time=when(draft.saved_at, time_only=True)),
        )
    flash(_("Draft saved. It is kept until %(when)s unless you save the form.", when=when(draft.expires_at)), "success")
    return redirect(f"{place.form_url}?draft={RESTORE}")


def _discard(kind: str, target: str) -> Any:
    place = kinds.resolve(kind, target)
    draft = services.find(current_user.id, place.kind, place.target)
    if draft is not None:
        services.discard(draft)
    if is_api_request():
        return "", 204
    flash(_("Draft discarded."), "success")
    return redirect(place.form_url)
