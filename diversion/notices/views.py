"""The notices inbox, a notice (printable, and as a PDF letter), and the CPS's acknowledgement."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion.dates import today
from diversion.errors import DomainError
from diversion.forms import apply_errors
from diversion.notices import bp, services
from diversion.notices.forms import AcknowledgeCorrectionForm, AcknowledgeForm
from diversion.notices.models import NoticeOutcome
from diversion.permissions import current_actor, current_role, requires
from diversion.referrals.queries import identities, identity
from diversion.referrals.reversals import offered_on_notice

STATUSES = {"new": _l("New"), "acknowledged": _l("Acknowledged")}


def _notice(notice_id):
    notice = services.get_notice(notice_id, user=current_actor())
    if notice is None:
        abort(404)
    return notice


@bp.route("/notices")
@requires("notices")
def inbox():
    status = request.args.get("status", "new")
    if status not in STATUSES:
        abort(404)
    found = services.list_notices(status, user=current_actor())
    who = identities((notice.referral for notice in found.notices), current_role())
    return render_template(
        "notices/inbox.html", status=status, statuses=STATUSES, found=found, who=who, sentence=services.sentence
    )


@bp.route("/notices/<uuid:notice_id>")
@requires("notices")
def show(notice_id):
    notice = _notice(notice_id)
    who = identity(notice.referral, current_role())
    return render_template(
        "notices/show.html",
        notice=notice,
        who=who,
        sentence=services.sentence,
        deadline=services.revival_deadline(notice),
        correction=services.correction_of(notice),
        can_reverse=offered_on_notice(notice, current_actor()),
    )


@bp.route("/notices/<uuid:notice_id>/letter.pdf")
@requires("notices")
def letter(notice_id):
    from weasyprint import HTML

    notice = _notice(notice_id)
    who = identity(notice.referral, current_role())
    html = render_template(
        "notices/letter.html",
        notice=notice,
        who=who,
        sentence=services.sentence,
        deadline=services.revival_deadline(notice),
    )
    pdf = HTML(string=html, base_url=request.host_url).write_pdf()
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="notice-{notice.id}.pdf"'}
    )


@bp.route("/notices/<uuid:notice_id>/acknowledge", methods=["GET", "POST"])
@requires("cps_decisions")
def acknowledge(notice_id):
    notice = _notice(notice_id)
    if request.method == "GET" and (notice.acknowledged_at is not None or notice.superseded_at is not None):
        # Decided already (or corrected): the notice shows the decision; the form would only be refused.
        flash(
            _("This notice has already been acknowledged.")
            if notice.acknowledged_at
            else _("This notice was corrected: acknowledge its correction instead."),
            "information",
        )
        return redirect(url_for("notices.show", notice_id=notice.id))
    if notice.is_correction:
        return _acknowledge_correction(notice)
    form = AcknowledgeForm()
    if request.method == "GET":
        form.decided_on.process(None, today())
        if notice.outcome_enum is not NoticeOutcome.COMPLETED:
            form.decision.data = "proceeding"
    if form.validate_on_submit():
        try:
            services.acknowledge(notice, form.decision.data, form.decided_on.data, current_actor())
        except DomainError as error:
            apply_errors(form, error, "decision")
        else:
            flash(_("Decision recorded."), "success")
            return redirect(url_for("notices.show", notice_id=notice.id))
    who = identity(notice.referral, current_role())
    return render_template("notices/acknowledge.html", notice=notice, who=who, form=form, sentence=services.sentence)


def _acknowledge_correction(notice):
    """A correction is acknowledged as read, with no decision (docs/reversals.md)."""
    form = AcknowledgeCorrectionForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.acknowledge(notice, None, today(), current_actor())
        except DomainError as error:
            flash(error.message, "error")
            status = error.status
        else:
            flash(_("Correction acknowledged."), "success")
            return redirect(url_for("notices.show", notice_id=notice.id))
    who = identity(notice.referral, current_role())
    return render_template(
        "notices/acknowledge.html", notice=notice, who=who, form=form, sentence=services.sentence
    ), status
