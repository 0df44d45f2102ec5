"""A case's appointments: the list, booking and rebooking, recording what happened, calendar invites."""

from __future__ import annotations

import uuid

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _

from diversion.appointments import bp, services
from diversion.appointments.forms import BookingForm, OutcomeForm, parse_time
from diversion.appointments.models import Outcome
from diversion.appointments.reads import appointments_of
from diversion.dates import from_london, today
from diversion.drafts import forms as drafts
from diversion.errors import DomainError
from diversion.forms import apply_errors, choices
from diversion.idempotency.forms import already_saved, held
from diversion.permissions import current_actor, load_case, load_or_404, requires
from diversion.referrals.case_page import case_page, not_yet_page
from diversion.referrals.models import Referral
from diversion.referrals.reads import workers
from diversion.venues import services as venue_services

NO_VENUE = ""


def _case_page(referral: Referral, template: str, **context):
    return case_page(referral, "appointments", template, **context)


@bp.route("/cases/<uuid:referral_id>/appointments")
@requires("client_records")
def list_for_case(referral_id):
    referral = load_case(referral_id)
    return _case_page(
        referral,
        "appointments/list.html",
        appointments=appointments_of(referral),
        superseded=services.superseded_ids(referral),
        not_yet=services.not_yet(referral),
        case_width="full",
    )


@bp.route("/cases/<uuid:referral_id>/appointments/new", methods=["GET", "POST"])
@requires("client_records")
def book(referral_id):
    referral = load_case(referral_id)
    form = BookingForm()
    if (saved := already_saved(form)) is not None:
        return saved  # the same form posted again: nothing more is booked (docs/idempotency.md)
    number = request.values.get("number", type=int) or 1
    blocked = services.not_yet(referral, number)
    if blocked is not None:
        return not_yet_page(referral, "appointments", _("Book an appointment"), blocked)
    to_replace = services.appointment_to_replace(referral, number, request.values.get("supersedes"))
    # The case's own scheme's people and its organisation's places (docs/organisations.md).
    form.worker.choices = choices([(str(w.id), w.display_name) for w in workers(referral.scheme_id)])
    form.venue.choices = choices(
        [(NO_VENUE, _("Somewhere else, or not decided yet"))]
        + [
            (str(venue.id), venue.label)
            for venue in venue_services.list_venues(referral.organisation_id, active_only=True)
        ]
    )
    warnings: list[str] = []
    if request.method == "GET":
        form.worker.data = str(current_actor().id)
        form.day.process(None, today())
    if form.validate_on_submit():
        starts_at = from_london(form.day.data, parse_time(form.time.data))
        data = services.BookingInput(
            number=number,
            starts_at=starts_at,
            duration_minutes=int(form.duration.data),
            venue_id=request.form.get("venue", type=uuid.UUID),
            location=form.location.data,
            worker_id=request.form.get("worker", type=uuid.UUID),
            override_reason=form.override_reason.data,
            supersedes_id=to_replace.id if to_replace else None,
            rebook_reason=form.rebook_reason.data,
        )
        try:
            with held(form) as one_time:
                services.book_appointment(referral, data, current_actor())
                one_time.saved(url_for("appointments.list_for_case", referral_id=referral.id))
        except services.NeedsOverride as warning:
            warnings = warning.warnings
            form.override_reason.errors = [_("Give a reason to book it anyway, or choose another time")]
        except DomainError as error:
            apply_errors(form, _booking_error(error), "day")
        else:
            flash(_("Appointment %(number)s booked.", number=number), "success")
            return redirect(url_for("appointments.list_for_case", referral_id=referral.id))
    return _case_page(
        referral, "appointments/book.html", form=form, number=number, to_replace=to_replace, warnings=warnings
    )


def _booking_error(error: DomainError) -> DomainError:
    names = {
        "starts_at": "day",
        "duration_minutes": "duration",
        "worker_id": "worker",
        "venue_id": "venue",
        "number": "day",
        "supersedes": "rebook_reason",
    }
    error.fields = {names.get(name, name): message for name, message in error.fields.items()}
    return error


@bp.route("/appointments/<uuid:appointment_id>/outcome", methods=["GET", "POST"])
@requires("client_records")
def outcome(appointment_id):
    appointment = load_or_404(services.Appointment, appointment_id)
    referral = load_case(appointment.referral_id)
    form = OutcomeForm()
    if (saved := already_saved(form)) is not None:
        return saved  # the same form posted again: nothing more is recorded (docs/idempotency.md)
    if request.method == "GET" and appointment.outcome:
        form.outcome.data = appointment.outcome
    draft = drafts.offer(form, "outcome", appointment.id)
    if form.validate_on_submit():
        try:
            with held(form) as one_time:
                services.record_outcome(appointment, form.outcome.data, current_actor(), form.notes.data)
                one_time.saved(url_for("referrals.detail", referral_id=referral.id))
        except DomainError as error:
            apply_errors(form, error, "outcome")
        else:
            drafts.used("outcome", appointment.id)
            flash(
                _(
                    "Appointment %(number)s: %(outcome)s.",
                    number=appointment.number,
                    outcome=Outcome(form.outcome.data).label.lower(),
                ),
                "success",
            )
            return redirect(url_for("referrals.detail", referral_id=referral.id))
    return _case_page(
        referral,
        "appointments/outcome.html",
        form=form,
        appointment=appointment,
        is_future=appointment.starts_at > services.utcnow(),
        draft=draft,
    )


@bp.route("/appointments/<uuid:appointment_id>/invite.ics")
@requires("client_records")
def invite(appointment_id):
    appointment = load_or_404(services.Appointment, appointment_id)
    load_case(appointment.referral_id)
    body = services.calendar_invite(appointment)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="appointment-{appointment.number}.ics"'},
    )
