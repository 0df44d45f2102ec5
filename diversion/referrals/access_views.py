"""The pages of need to know inside a team (docs/organisations.md, "Need to know"): the page that asks a support
worker why she opens a colleague's case, the reason given, and the managers' list of cases opened with a reason.

The question is asked wherever a colleague's case is opened: the case loader raises ``ReasonRequired`` and the
handler here answers it, at the address she asked for, with the page that asks (403: nothing of the case is shown
but its status), or for the API with the JSON error ``reason_required``.
"""

from __future__ import annotations

import uuid

from flask import redirect, render_template, request, url_for

from diversion import keyset
from diversion.auth.next_page import next_for, safe_next
from diversion.errors import DomainError, error_page, is_api_request, json_error
from diversion.extensions import db
from diversion.forms import apply_errors
from diversion.permissions import case_in_scope, current_actor, requires
from diversion.referrals import bp, need_to_know
from diversion.referrals.forms import AccessForm
from diversion.referrals.models import Referral
from diversion.scoping import scheme_ids


@bp.app_errorhandler(need_to_know.ReasonRequired)
def reason_required(error: need_to_know.ReasonRequired):
    """A colleague's case asked for without a reason given today: the API's 403, or the page that asks."""
    if is_api_request():
        return json_error(403, error.message, error.code)
    referral = db.session.get(Referral, error.referral_id)
    if referral is None:
        return error_page(404)
    form = AccessForm(formdata=None, next=next_for(request) or _overview(referral))
    return _reason_page(referral, form), 403


def _overview(referral: Referral) -> str:
    return url_for("referrals.detail", referral_id=referral.id)


def _reason_page(referral: Referral, form: AccessForm) -> str:
    need_to_know.status_shown(referral)
    return render_template(
        "referrals/access.html",
        referral=referral,
        form=form,
        owner=referral.assigned_worker,
        max_reason=need_to_know.MAX_REASON,
    )


@bp.route("/cases/<uuid:referral_id>/access", methods=["POST"])
@requires("client_records")
def access(referral_id: uuid.UUID):
    """She gives her reason; the page she asked for follows. Where no reason is needed (her own case, a team's,
    or one she gave a reason for today) it follows at once and nothing is recorded."""
    referral = case_in_scope(referral_id)
    form = AccessForm()
    onward = safe_next(form.next.data) or _overview(referral)
    user = current_actor()
    if need_to_know.opens_without_asking(user, referral):
        return redirect(onward)
    if form.validate_on_submit():
        try:
            need_to_know.open_with_reason(referral, user, form.reason.data)
        except DomainError as error:
            apply_errors(form, error, "reason")
        else:
            return redirect(onward)
    return _reason_page(referral, form)


@bp.route("/cases/opened-with-a-reason")
@requires("audit_log")
def access_reasons():
    """The cases of her schemes that support workers opened with a reason, newest first, with the reasons: the
    scheme's record, which its managers read."""
    after = keyset.Cursor.decode(request.args.get("cursor") or "")
    found = need_to_know.grants_in_schemes(scheme_ids(current_actor()), after)
    return render_template("referrals/access_reasons.html", found=found)
