"""A case's contact log: the timeline, newest first, its filters, and the form that logs a contact."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from diversion.appointments.forms import parse_time
from diversion.contacts import bp
from diversion.contacts.forms import FILTER_PREFIX, ContactForm, FilterForm
from diversion.contacts.reads import NO_FILTERS, ContactFilters, contacts_of
from diversion.contacts.services import ContactInput, log_contact
from diversion.dates import from_london, today
from diversion.errors import DomainError
from diversion.forms import apply_errors
from diversion.idempotency.forms import already_saved, held
from diversion.permissions import current_actor, load_case, requires
from diversion.referrals.case_page import case_page

# The service's field names (the API's) to the form's.
FIELD_NAMES = {"at": "day", "with": "with_whom"}


@bp.route("/cases/<uuid:referral_id>/contacts", methods=["GET", "POST"])
@requires("client_records")
def list_for_case(referral_id):
    referral = load_case(referral_id)
    form = ContactForm()
    if (saved := already_saved(form)) is not None:
        return saved  # the same form posted again: nothing more is logged (docs/idempotency.md)
    filters_form, filters = _filters()
    if request.method == "GET":
        form.day.process(None, today())
    if form.validate_on_submit():
        data = ContactInput(
            kind=form.kind.data,
            direction=form.direction.data,
            contacted_at=from_london(form.day.data, parse_time(form.time.data)),
            with_whom=form.with_whom.data,
            note=form.note.data,
        )
        address = url_for("contacts.list_for_case", referral_id=referral.id)
        try:
            with held(form) as one_time:
                log_contact(referral, data, current_actor())
                one_time.saved(address)
        except DomainError as error:
            error.fields = {FIELD_NAMES.get(name, name): message for name, message in error.fields.items()}
            apply_errors(form, error, "kind")
        else:
            flash(_("Contact logged."), "success")
            return redirect(address)
    # The error summary is the filters' when they are wrong (a GET), else the log form's.
    shown = filters_form if filters_form.errors else form
    body = case_page(
        referral,
        "contacts",
        "contacts/list.html",
        form=shown,
        contact_form=form,
        filters_form=filters_form,
        filters=filters,
        contacts=contacts_of(referral, filters),
    )
    return body, 422 if filters_form.errors else 200


def _filters() -> tuple[FilterForm, ContactFilters]:
    """The filters asked for in the query string; none while they are not valid (the form shows why)."""
    form = FilterForm(request.args, prefix=FILTER_PREFIX)
    asked = request.method == "GET" and any(value for name, value in request.args.items() if name != form.submit.name)
    if not asked or not form.validate():
        return form, NO_FILTERS
    return form, ContactFilters(
        kind=form.kind.data or None,
        direction=form.direction.data or None,
        from_date=form.from_date.data,
        to_date=form.to_date.data,
    )
