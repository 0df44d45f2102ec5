"""The manager's data protection pages: retention, a client's record (hold, export, erasure), the erasure
certificate, the audit search and its CSV, and who has viewed a case. (The consent wordings are part of each scheme's
programme: diversion/organisations/programme_views.py.)"""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from diversion.audit import review
from diversion.clients.models import Client
from diversion.errors import DomainError, NotFound
from diversion.exports import download
from diversion.forms import apply_errors, choices
from diversion.permissions import current_actor, load_case, requires
from diversion.privacy import bp, export, retention, services
from diversion.privacy.forms import (
    AuditSearchForm,
    ErasureDecisionForm,
    ErasureRequestForm,
    ExportForm,
    HoldForm,
)
from diversion.referrals.reads import working_days_left
from diversion.referrals.states import next_action


@bp.route("/privacy")
@requires("data_protection")
def index():
    """Her organisation's retention status and erasure requests (a manager's data protection duties are her
    organisation's: docs/organisations.md)."""
    home = current_actor().organisation_id
    return render_template(
        "privacy/index.html",
        status=retention.retention_status(organisation_id=home),
        pending=services.pending_requests(home),
        reasons=services.REQUEST_REASONS,
    )


def _own_client(client_id) -> Client:
    """A client of the manager's organisation, or 404 (another organisation's client, as one that does not exist)."""
    try:
        return services.own_client(current_actor(), client_id)
    except NotFound:
        abort(404)


def _client_page(client: Client, status: int = 200, **forms):
    referrals = services.cases_of(client)
    context = {
        "client": client,
        "referrals": referrals,
        "hold_form": HoldForm(formdata=None),
        "export_form": ExportForm(formdata=None),
        "request_form": ErasureRequestForm(formdata=None),
        "decision_form": ErasureDecisionForm(formdata=None),
        "pending": services.pending_request(client),
        "requests": services.requests_for(client),
        "reasons": services.REQUEST_REASONS,
    }
    context.update(forms)
    context["form"] = next((form for form in forms.values() if form.errors), None)
    return render_template("privacy/client.html", **context), status


@bp.route("/privacy/clients/<uuid:client_id>")
@requires("data_protection")
def client(client_id):
    return _client_page(_own_client(client_id))


@bp.route("/privacy/clients/<uuid:client_id>/hold", methods=["POST"])
@requires("data_protection")
def hold(client_id):
    client = _own_client(client_id)
    form = HoldForm()
    if form.validate_on_submit():
        try:
            retention.set_legal_hold(client, bool(form.hold.data), current_actor())
        except DomainError as error:
            apply_errors(form, error, "hold")
        else:
            flash(_("Legal hold set: retention will not erase her.") if form.hold.data else _("Legal hold released."))
            return redirect(url_for("privacy.client", client_id=client.id))
    return _client_page(client, 422, hold_form=form)


@bp.route("/privacy/clients/<uuid:client_id>/export", methods=["POST"])
@requires("data_protection")
def export_record(client_id):
    client = _own_client(client_id)
    form = ExportForm()
    if not form.validate_on_submit():
        return _client_page(client, 422, export_form=form)
    made = export.export_client(client, current_actor(), form.fmt.data)
    if form.fmt.data == "json":
        return Response(
            json.dumps(made.as_dict(), indent=2, sort_keys=True),
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="subject-access-{client.id}.json"'},
        )
    from weasyprint import HTML

    html = render_template("privacy/export_pdf.html", export=made, titles=export.SECTION_TITLES)
    return Response(
        HTML(string=html, base_url=request.host_url).write_pdf(),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="subject-access-{client.id}.pdf"'},
    )


@bp.route("/privacy/clients/<uuid:client_id>/erasure", methods=["POST"])
@requires("data_protection")
def request_erasure(client_id):
    client = _own_client(client_id)
    form = ErasureRequestForm()
    if form.validate_on_submit():
        try:
            services.request_erasure(client, form.reason.data, current_actor())
        except DomainError as error:
            apply_errors(form, error, "reason")
        else:
            flash(_("Erasure requested. Another manager must confirm it."), "success")
            return redirect(url_for("privacy.client", client_id=client.id))
    return _client_page(client, 422, request_form=form)


@bp.route("/privacy/erasures/<uuid:request_id>", methods=["GET", "POST"])
@requires("data_protection")
def erasure(request_id):
    try:
        erasure_request = services.own_request(current_actor(), request_id)
    except NotFound:
        abort(404)
    form = ErasureDecisionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            if form.confirm.data:
                services.confirm_erasure(erasure_request, current_actor())
            else:
                services.cancel_erasure(erasure_request, current_actor())
        except DomainError as error:
            apply_errors(form, error, "confirm")
        else:
            flash(_("Her record is erased.") if form.confirm.data else _("Erasure request cancelled."), "success")
            return redirect(url_for("privacy.erasure", request_id=erasure_request.id))
    status = 422 if form.errors else 200
    client = _own_client(erasure_request.client_id)
    return render_template(
        "privacy/erasure.html",
        erasure=erasure_request,
        client=client,
        form=form,
        reasons=services.REQUEST_REASONS,
        titles=export.SECTION_TITLES,
    ), status


def _audit_filters(form: AuditSearchForm) -> review.AuditFilters:
    import uuid

    return review.AuditFilters(
        client_id=uuid.UUID(form.client_id.data.strip()) if form.client_id.data else None,
        user_email=form.user_email.data or None,
        action=form.action.data or None,
        from_date=form.from_date.data,
        to_date=form.to_date.data,
    )


def _audit_form() -> tuple[AuditSearchForm, bool]:
    form = AuditSearchForm(request.args)
    form.action.choices = choices([("", _("Any action"))] + [(a, a) for a in review.known_actions()])
    asked = any(request.args.get(name) for name in request.args if name != "submit")
    return form, asked and form.validate()


@bp.route("/privacy/audit")
@requires("audit_log")
def audit():
    form, valid = _audit_form()
    rows = review.search_events(_audit_filters(form), viewer=current_actor()) if valid else []
    status = 422 if form.errors else 200
    query = {key: value for key, value in request.args.items() if key != "submit"}
    return render_template(
        "privacy/audit.html", form=form, rows=rows, searched=valid, query=query, limit=review.PAGE_SIZE
    ), status


@bp.route("/privacy/audit.csv")
@requires("audit_log")
def audit_csv():
    form, valid = _audit_form()
    if not valid:
        return redirect(url_for("privacy.audit", **request.args))
    return download(review.events_csv(_audit_filters(form), current_actor()), "audit-events.csv")


@bp.route("/cases/<uuid:referral_id>/viewed-by")
@requires("audit_log")
def viewed_by(referral_id):
    referral = load_case(referral_id)
    return render_template(
        "privacy/viewed_by.html",
        referral=referral,
        page="viewed_by",
        title=_("Who has viewed this case"),
        next_action=next_action(referral),
        working_days_left=working_days_left(referral),
        viewers=review.case_viewers([referral.id]),
    )
