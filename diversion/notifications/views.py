"""A case's messages (her quiet hours and STOP), the manager's failed messages with retry, a partner's email choice."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion.clients.languages import short_name
from diversion.clients.preferences import set_quiet_hours
from diversion.errors import DomainError
from diversion.forms import apply_errors
from diversion.notifications import bp, digests, reminders, services
from diversion.notifications.forms import NoticeEmailsForm, QuietHoursForm, RetryForm, StopForm
from diversion.notifications.message_wordings import fallback_sentence
from diversion.notifications.wording import wording_in_use
from diversion.permissions import current_actor, load_case, requires
from diversion.referrals.case_page import case_page
from diversion.referrals.consent import has_consent
from diversion.referrals.models import ConsentPurpose

# Reason codes in words, for the pages. Provider codes not listed here are shown as they are (they are codes).
REASONS = {
    "appointment_moved": _l("The appointment was rebooked"),
    "outcome_recorded": _l("The appointment has an outcome"),
    "case_closed": _l("The case closed"),
    "too_late": _l("Too close to the appointment"),
    "no_consent": _l("No consent to reminders"),
    "no_safe_contact": _l("No contact marked safe"),
    "quiet_hours": _l("Her quiet hours"),
    "stop_reply": _l("She replied STOP"),
    "appointment_gone": _l("The appointment no longer exists"),
    "stale_claim": _l("Sending was interrupted; queued again"),
}


# The service's field names (the API's) to this page's inputs.
QUIET_FIELDS = {"quiet_hours.from": "quiet_from", "quiet_hours.to": "quiet_to"}


def _messages_page(referral, hours_form=None, stop_form=None):
    quiet = reminders.quiet_hours_of(referral.client_id)
    hours_form = hours_form or QuietHoursForm(
        formdata=None,
        quiet_from=f"{quiet.start:%H:%M}" if quiet else "",
        quiet_to=f"{quiet.end:%H:%M}" if quiet else "",
    )
    form = hours_form if hours_form.errors else (stop_form or StopForm(formdata=None))
    # The language her reminders go in, and why it is English when she speaks another (docs/languages.md).
    spoken = referral.client.language_code
    language, _parts, reason = wording_in_use(referral.scheme_id, spoken)
    return case_page(
        referral,
        "messages",
        "notifications/case.html",
        messages=services.messages_of(referral),
        language_name=short_name,
        reasons=REASONS,
        contact=reminders.safe_contact_for(referral.client),
        has_reminders_consent=has_consent(referral, ConsentPurpose.REMINDERS),
        quiet=quiet,
        hours_form=hours_form,
        stop_form=stop_form or StopForm(formdata=None),
        form=form,
        reminder_language=short_name(language),
        language_fallback=fallback_sentence(spoken, reason),
        case_width="full",
    )


@bp.route("/cases/<uuid:referral_id>/messages")
@requires("client_records")
def case_messages(referral_id):
    return _messages_page(load_case(referral_id))


@bp.route("/cases/<uuid:referral_id>/messages/quiet-hours", methods=["POST"])
@requires("client_records")
def quiet_hours(referral_id):
    referral = load_case(referral_id)
    form = QuietHoursForm()
    if form.validate_on_submit():
        try:
            hours = set_quiet_hours(referral, form.quiet_from.data, form.quiet_to.data, current_actor())
        except DomainError as error:
            error.fields = {QUIET_FIELDS.get(name, name): message for name, message in error.fields.items()}
            apply_errors(form, error, "quiet_from")
        else:
            flash(_("Quiet hours saved.") if hours else _("Quiet hours cleared."), "success")
            return redirect(url_for("notifications.case_messages", referral_id=referral.id))
    return _messages_page(referral, hours_form=form)


@bp.route("/cases/<uuid:referral_id>/messages/stop", methods=["POST"])
@requires("client_records")
def stop(referral_id):
    referral = load_case(referral_id)
    form = StopForm()
    if form.validate_on_submit():
        try:
            services.record_stop(referral, current_actor())
        except DomainError as error:
            apply_errors(form, error, "record_stop")
        else:
            flash(_("Her STOP reply is recorded: reminders are withdrawn and none will be sent."), "success")
            return redirect(url_for("notifications.case_messages", referral_id=referral.id))
    return _messages_page(referral, stop_form=form)


@bp.route("/messages/failed")
@requires("case_management")
def failed():
    """The failed messages of her schemes' cases and her organisation's staff."""
    return render_template(
        "notifications/failed.html",
        messages=services.failed_messages(viewer=current_actor()),
        form=RetryForm(),
        reasons=REASONS,
    )


@bp.route("/messages/<uuid:notification_id>/retry", methods=["POST"])
@requires("case_management")
def retry(notification_id):
    message = services.visible_message(current_actor(), notification_id)
    if message is None:
        abort(404)
    form = RetryForm()
    if form.validate_on_submit():
        try:
            services.retry(message, current_actor())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("The message will be sent again at the next sweep."), "success")
    return redirect(url_for("notifications.failed"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@requires("notice_emails")
def preferences():
    user = current_actor()
    form = NoticeEmailsForm()
    if not form.is_submitted():
        form.wanted.data = "yes" if digests.wants_notice_emails(user) else "no"
    if form.validate_on_submit():
        digests.set_notice_emails(user, form.wanted.data == "yes")
        flash(_("Your email settings are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form)
