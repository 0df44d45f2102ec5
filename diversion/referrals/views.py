"""Caseload, intake, and the case pages: overview, consent, history, withdrawal, re-adjournment."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion import confirmations, conflicts
from diversion.appointments.services import unresolved_appointments
from diversion.auth.models import Role
from diversion.clients.forms import FIELD_NAMES as LANGUAGE_FIELD_NAMES
from diversion.clients.forms import needs_from
from diversion.clients.services import SafeContact
from diversion.contacts.reads import contacts_of, with_contacts
from diversion.dates import long_date, today
from diversion.db import utcnow
from diversion.drafts import forms as drafts
from diversion.errors import Conflict, DomainError
from diversion.forms import apply_errors, choices, iso_date
from diversion.idempotency.forms import already_saved, held
from diversion.modern_slavery.services import task_for as nrm_task
from diversion.notices.services import notice_for
from diversion.permissions import allows, current_actor, current_role, load_case, requires
from diversion.referrals import bp, caseload, need_to_know, queries, reads, reversals, withdrawal
from diversion.referrals.assignment import assign_worker
from diversion.referrals.case_page import case_page
from diversion.referrals.consent import ConsentEffect, consent_effect, consent_ledger, current_consents, record_consents
from diversion.referrals.court_dates import ReturnDateNeedsReason
from diversion.referrals.forms import (
    AssignForm,
    ConsentForm,
    CourtDayForm,
    ReferralForm,
    ReturnDateForm,
    ReverseForm,
    SearchForm,
    TakeForm,
    WithdrawForm,
)
from diversion.referrals.intake import (
    ReferralInput,
    check_referral,
    create_referral,
    last_referral_court,
    matching_clients,
    referral_courts,
    schemes_taking,
)
from diversion.referrals.matches import flagged_count
from diversion.referrals.models import State, in_a_sentence
from diversion.referrals.readjournment import change_return_date
from diversion.referrals.reads import (
    case_history,
    other_referrals,
    return_date_changes,
)
from diversion.referrals.versions import check_version
from diversion.referrals.wording import WordingChanged, case_wordings, refuse_changed
from diversion.scoping import organisation_ids

# Service field paths (API names) to the form's field names.
FIELD_NAMES = {
    "client.given_name": "given_name",
    "client.family_name": "family_name",
    "client.date_of_birth": "date_of_birth",
    "client.phone": "phone",
    "client.email": "email",
    "note": "contact_note",
    "quiet_hours.from": "quiet_from",
    "quiet_hours.to": "quiet_to",
    "link_to_client": "link",
    **{f"client.{name}": field for name, field in LANGUAGE_FIELD_NAMES.items()},
}


@bp.route("/cases")
@requires("client_records")
def caseload_page():
    tab = request.args.get("tab", "mine")
    if tab not in caseload.TABS:
        abort(404)
    return _caseload(tab, SearchForm(formdata=None))


@bp.route("/cases/search", methods=["POST"])
@requires("client_records")
def caseload_search():
    """Search every case this user may see (open and closed, anyone's), by POST so that her name and date of birth
    never sit in an address. A search that cannot run shows the user's own cases with the reason."""
    search = SearchForm()
    if not search.validate_on_submit():
        return _caseload("mine", search)
    return _caseload(caseload.SEARCH, search, searched=True)


def _caseload(tab: str, search: SearchForm, *, searched: bool = False):
    appointments = []
    page = None
    sort = request.args.get("sort", "return_date")
    user = current_actor()
    if tab == "unresolved":
        appointments = unresolved_appointments(user=user)
    elif tab == "today":
        appointments = caseload.appointments_on(today(), user=user)
    elif searched:
        page = caseload.caseload(
            tab,
            user,
            family_name=search.family_name.data or None,
            date_of_birth=search.date_of_birth.data,
            urn=search.urn.data or None,
        )
    else:
        page = caseload.caseload(tab, current_actor(), sort=sort, page=request.args.get("page", 1, type=int))
    cases = caseload.cases_by_id(list({a.referral_id for a in appointments}), current_actor()) if appointments else {}
    # The day's and the unresolved appointments of the cases her lists show (docs/organisations.md, "Need to know").
    appointments = [appointment for appointment in appointments if appointment.referral_id in cases]
    return render_template(
        "referrals/caseload.html",
        tab=tab,
        tabs=caseload.TABS,
        counts=caseload.state_counts(user),
        page=page,
        appointments=appointments,
        cases=cases,
        search=search,
        searched=searched,
        sorts=caseload.SORTS,
        sort=sort,
        possible_matches=flagged_count(user),
    )


def _referral_input(form: ReferralForm) -> ReferralInput:
    def yes_no(value: str | None) -> bool | None:
        return {"yes": True, "no": False}.get(value or "")

    return ReferralInput(
        court_code=form.court.data or "",
        urn=form.urn.data or "",
        offence=form.offence.data or "",
        first_hearing_date=form.first_hearing_date.data,
        return_date=form.return_date.data,
        given_name=form.given_name.data or "",
        family_name=form.family_name.data or "",
        date_of_birth=form.date_of_birth.data,
        phone=form.phone.data,
        email=form.email.data,
        safe_contact=SafeContact(
            yes_no(form.may_text.data), yes_no(form.may_voicemail.data), None, (form.contact_note.data or "").strip()
        ),
        quiet_from=form.quiet_from.data,
        quiet_to=form.quiet_to.data,
        notes=form.notes.data,
        link_client_id=request.form.get("link", type=uuid.UUID),
        # "A different person", chosen from the 'referred before' list (docs/api.md, "Someone referred before").
        new_person=form.link.data == "new",
        # Only a manager's form has the choice (docs/court-dates.md).
        past_case=bool("past_case" in form and form.past_case.data),
        override_reason=form.override_reason.data,
        scheme=form.scheme.data or None,
        language_needs=needs_from(form),
    )


NEEDS_REASON = _l("Give a reason to keep this return date, or change it")


def _refused(form, error: DomainError, default: str) -> list[str]:
    """Show a service's refusal on the form; the warnings about the return date, if that was the reason, for the
    page's warning text (the field asking for a reason then says only what to do)."""
    apply_errors(form, error, default)
    if not isinstance(error, ReturnDateNeedsReason):
        return []
    form.override_reason.errors = [str(NEEDS_REASON)]
    return error.warnings


@bp.route("/cases/new", methods=["GET", "POST"])
@requires("make_referral")
def new():
    user = current_actor()
    form = ReferralForm()
    if user.role != Role.MANAGER:
        # Recording a past case is a manager's choice alone: nobody else's form carries it.
        del form.past_case
    warnings: list[str] = []
    courts = referral_courts(user)
    form.court.choices = choices([("", _("Select the court"))] + [(court.code, court.name) for court in courts])
    schemes = schemes_taking(user, courts)
    form.scheme.choices = _scheme_choices(schemes)
    # The scheme is asked for only where a court offered has more than one to choose from.
    show_scheme = any(len(serving) > 1 for serving in schemes.values())
    if request.method == "GET":
        form.first_hearing_date.process(None, today())
        if user.role == Role.COURT and user.court is not None:
            form.court.data = user.court.code
        else:
            # Support staff mostly sit at one court: start from the court of their last referral.
            form.court.data = last_referral_court(user, [court.code for court in courts])
    if (saved := already_saved(form)) is not None:
        return saved  # the same form posted again (a retry, the back button): nothing more is made
    # Whether she is someone referred before is asked again once the details are checked: a draft does not keep it.
    draft = drafts.offer(form, "new-referral", "new", exclude=frozenset({"link"}))
    matches = []
    if form.link.data:
        # The person chose from the 'referred before' list: the service checks the choice against her details.
        form.link.choices = choices([(form.link.data, _("Chosen person"))])
    if form.validate_on_submit():
        # Workers are offered earlier records of the same person; court staff see only their own court's cases.
        # The question stays on the page, with her answer, until the referral is saved.
        if user.role != Role.COURT and form.date_of_birth.data:
            matches = matching_clients(
                form.family_name.data, form.date_of_birth.data, organisation_ids(current_actor())
            )
        if matches:
            form.link.choices = choices(
                [(str(m.client.id), f"{m.client.given_name} {m.client.family_name}") for m in matches]
                + [("new", _("A different person"))]
            )
        if matches and not form.link.data:
            form.link.errors = [_("Choose whether she is someone referred before")]
            # Everything else that is wrong is said now too, not once this question is answered.
            try:
                check_referral(_referral_input(form), user)
            except DomainError as error:
                warnings = _refused(form, _form_error(error), "urn")
        else:
            try:
                with held(form) as one_time:
                    referral = create_referral(_referral_input(form), user)
                    if user.role == Role.COURT:
                        one_time.saved(url_for("referrals.new"))
                    else:
                        one_time.saved(url_for("referrals.consent", referral_id=referral.id))
            except DomainError as error:
                warnings = _refused(form, _form_error(error), "urn")
            else:
                drafts.used("new-referral", "new")
                flash(_("Referral saved."), "success")
                return redirect(one_time.address or url_for("referrals.new"))
    return render_template(
        "referrals/new.html",
        form=form,
        matches=matches,
        fixed_court=user.role == Role.COURT,
        show_scheme=show_scheme or bool(form.scheme.errors),
        warnings=warnings,
        draft=draft,
    )


def _scheme_choices(schemes: dict[int, list]) -> list:
    """Every scheme that takes referrals from a court offered, by name; named with its organisation when they are
    of more than one (a court served by two charities)."""
    offered = {scheme.id: scheme for serving in schemes.values() for scheme in serving}
    named = len({scheme.organisation_id for scheme in offered.values()}) > 1
    ordered = sorted(offered.values(), key=lambda scheme: (scheme.name.casefold(), scheme.id))
    return choices(
        [
            (str(scheme.id), f"{scheme.name} ({scheme.organisation.name})" if named else scheme.name)
            for scheme in ordered
        ]
    )


def _form_error(error: DomainError) -> DomainError:
    error.fields = {FIELD_NAMES.get(name, name): message for name, message in error.fields.items()}
    return error


@bp.route("/cases/<uuid:referral_id>")
@requires("client_records")
def detail(referral_id):
    referral = load_case(referral_id)
    user = current_actor()
    can_assign = allows(user.role, "case_management")
    take_form = None
    if referral.is_open and referral.assigned_worker_id is None and not can_assign:
        take_form = TakeForm(formdata=None, version=str(referral.version))
    return case_page(
        referral,
        "overview",
        "referrals/overview.html",
        return_date_changes=return_date_changes(referral),
        notice=notice_for(referral),
        other_referrals=other_referrals(referral),
        can_assign=can_assign and referral.is_open,
        take_form=take_form,
        can_reverse=reversals.may_offer(referral, user),
        nrm=nrm_task(referral),
    )


@bp.route("/cases/<uuid:referral_id>/consent", methods=["GET", "POST"])
@requires("client_records")
def consent(referral_id):
    """All four purposes on one page and one submit; answers that decline or withdraw her are confirmed first
    (docs/confirmations.md)."""
    referral = load_case(referral_id)
    form = ConsentForm()
    current = current_consents(referral)
    wordings = case_wordings(referral)
    if request.method == "GET":
        form.version.data = str(referral.version)
        form.show_wordings(wordings)
        for purpose, field in form.questions():
            line = current[purpose]
            field.data = None if line is None else ("given" if line.is_current else "refused")
    status = 200
    if form.validate_on_submit() and not confirmations.changing():
        answers, version = form.answers(), form.version.data
        try:
            effect = consent_effect(referral, answers)
            check_version(referral, version)
            refuse_changed(referral, form.shown())
            if effect.ends_case and not confirmations.confirmed():
                return _confirm_consent(referral, form, effect, current)
            effect = record_consents(referral, answers, current_actor(), version=version, shown=form.shown())
        except WordingChanged as error:
            # She is read the new words and asked again: her answer to each changed purpose is cleared.
            status = 409
            form.show_wordings(wordings)
            form.version.data = str(referral.version)
            form.extra_summary = [{"text": error.message, "href": f"#{error.purposes[0].value}"}]
            for purpose in error.purposes:
                form[purpose.value].data = None
                form[purpose.value].errors = [_("The wording changed: read her the new wording and ask her again")]
        except DomainError as error:
            apply_errors(form, error, "support")
            if error.status == 409:
                status = 409
                form.version.data = str(referral.version)
        else:
            # Fixed words only: nothing of hers goes into a flash message.
            changed_state = effect.after if effect.after is not effect.before else None
            banner = CONSENT_BANNERS.get(changed_state)
            flash(str(banner) if banner is not None else _recorded(effect), "success")
            return redirect(url_for("referrals.consent", referral_id=referral.id))
    return case_page(
        referral,
        "consent",
        "referrals/consent.html",
        form=form,
        ledger=consent_ledger(referral),
        current=current,
        wordings=wordings,
    ), status


CONSENT_BANNERS = {
    State.OPTED_IN: _l("Her decisions are recorded. She has opted in to diversion."),
    State.DECLINED: _l("She has declined diversion. Her case is closed."),
    State.WITHDRAWN: _l("She has been withdrawn from diversion. The CPS has been sent the outcome notice."),
}
# What the confirmation page says will happen, for each state a consent can end a case in.
CONSENT_WARNINGS = {
    State.DECLINED: _l(
        "She will decline diversion. Her case will close as declined: only a manager can reopen it, to put right a "
        "mistake."
    ),
    State.WITHDRAWN: _l("She will be withdrawn from diversion. The CPS will be told the prosecution proceeds."),
}


def _recorded(effect: ConsentEffect) -> str:
    if not effect.changed:
        return _("Nothing changed: her decisions were already recorded.")
    purposes = ", ".join(in_a_sentence(purpose.label) for purpose in effect.changed)
    return _("Her decisions are recorded: %(purposes)s.", purposes=purposes)


def _confirm_consent(referral, form: ConsentForm, effect: ConsentEffect, current):
    rows = []
    for purpose, field in form.questions():
        line = current[purpose]
        agrees = field.data == "given"
        words = _("She agrees") if agrees else _("She does not agree")
        if not agrees and line is not None and line.is_current:
            words = _("She withdraws her agreement")
        rows.append({"key": {"text": purpose.label}, "value": {"text": words}})
    return case_page(
        referral,
        "consent",
        "referrals/confirm.html",
        form=form,
        title=_("Check her decisions before you record them"),
        rows=rows,
        warning=str(CONSENT_WARNINGS[effect.after]),
        action=url_for("referrals.consent", referral_id=referral.id),
        confirm_text=_("Withdraw her from diversion")
        if effect.after is State.WITHDRAWN
        else _("Record that she declines"),
        change_text=_("Change her decisions"),
        carried=confirmations.carried_answers(),
    )


@bp.route("/cases/<uuid:referral_id>/history")
@requires("client_records")
def history(referral_id):
    referral = load_case(referral_id)
    # Her contacts stand in the timeline at the times they happened (docs/contacts.md).
    events = with_contacts(case_history(referral), contacts_of(referral))
    return case_page(referral, "history", "referrals/history.html", events=events)


@bp.route("/cases/<uuid:referral_id>/withdraw", methods=["GET", "POST"])
@requires("client_records")
def withdraw(referral_id):
    """She leaves the scheme: the reason, then a confirmation, then the withdrawal (docs/confirmations.md)."""
    referral = load_case(referral_id)
    form = WithdrawForm()
    if request.method == "GET":
        form.version.data = str(referral.version)
    status = 200
    if form.validate_on_submit() and not confirmations.changing():
        version = form.version.data
        try:
            reason = withdrawal.check_withdrawal(referral, form.reason.data)
            check_version(referral, version)
            if not confirmations.confirmed():
                return case_page(
                    referral,
                    "overview",
                    "referrals/confirm.html",
                    form=form,
                    title=_("Check before you withdraw her"),
                    rows=[{"key": {"text": _("Why she is withdrawing")}, "value": {"text": reason}}],
                    warning=str(CONSENT_WARNINGS[State.WITHDRAWN]),
                    action=url_for("referrals.withdraw", referral_id=referral.id),
                    confirm_text=_("Withdraw her from diversion"),
                    change_text=_("Change the reason"),
                    carried=confirmations.carried_answers(),
                )
            withdrawal.withdraw(referral, form.reason.data, current_actor(), version=version)
        except DomainError as error:
            apply_errors(form, error, "reason")
            if error.status == 409:
                status = 409
                form.version.data = str(referral.version)
        else:
            flash(str(CONSENT_BANNERS[State.WITHDRAWN]), "success")
            return redirect(url_for("referrals.detail", referral_id=referral.id))
    return case_page(referral, "overview", "referrals/withdraw.html", form=form), status


def _reversal_warning(reversal: reversals.Reversal) -> str:
    returns = reversal.returns_to.label.lower()
    words = [_("The case will return to %(state)s.", state=returns)]
    if reversal.restores:
        words.append(_("Her consent to support and to sharing will be recorded as given again."))
    if reversal.tells_cps:
        words.append(_("The CPS will be sent a correction of the outcome notice."))
    else:
        words.append(_("The CPS was sent no outcome notice, so no correction is needed."))
    return " ".join(words)


@bp.route("/cases/<uuid:referral_id>/reverse", methods=["GET", "POST"])
@requires("reverse_decisions")
def reverse(referral_id):
    """A manager reverses a decline or withdrawal: the reason, a confirmation, then the reversal
    (docs/reversals.md). A case whose decision can no longer be reversed shows why, with no form."""
    referral = load_case(referral_id)
    form = ReverseForm()
    if request.method == "GET":
        form.version.data = str(referral.version)
    status = 200
    refused = None
    try:
        reversal = reversals.check_reversal(referral, current_actor())
    except DomainError as error:
        refused, status = error.message, error.status
    if refused is None and form.validate_on_submit() and not confirmations.changing():
        version = form.version.data
        try:
            reason = reversals.clean_reason(form.reason.data)
            check_version(referral, version)
            if not confirmations.confirmed():
                return case_page(
                    referral,
                    "overview",
                    "referrals/confirm.html",
                    form=form,
                    title=_("Check before you reverse this decision"),
                    rows=[
                        {"key": {"text": _("Decision reversed")}, "value": {"text": reversal.before.label}},
                        {"key": {"text": _("The case returns to")}, "value": {"text": reversal.returns_to.label}},
                        {"key": {"text": _("Why it is reversed")}, "value": {"text": reason}},
                    ],
                    warning=_reversal_warning(reversal),
                    action=url_for("referrals.reverse", referral_id=referral.id),
                    confirm_text=_("Reverse this decision"),
                    change_text=_("Change the reason"),
                    carried=confirmations.carried_answers(),
                )
            done = reversals.reverse_decision(referral, form.reason.data, current_actor(), version=version)
        except DomainError as error:
            apply_errors(form, error, "reason")
            if error.status == 409:
                status = 409
                form.version.data = str(referral.version)
        else:
            state = done.returns_to.label.lower()
            if done.tells_cps:
                banner = _(
                    "Decision reversed. The case is %(state)s again. The CPS has been sent a correction of the "
                    "outcome notice.",
                    state=state,
                )
            else:
                banner = _("Decision reversed. The case is %(state)s again.", state=state)
            flash(banner, "success")
            return redirect(url_for("referrals.detail", referral_id=referral.id))
    return (
        case_page(
            referral,
            "overview",
            "referrals/reverse.html",
            form=form,
            refused=refused,
            reversal=None if refused else reversal,
            warning=None if refused else _reversal_warning(reversal),
        ),
        status,
    )


@bp.route("/cases/<uuid:referral_id>/return-date", methods=["GET", "POST"])
@requires("client_records")
def return_date(referral_id):
    referral = load_case(referral_id)
    form = ReturnDateForm()
    warnings: list[str] = []
    if request.method == "GET":
        form.version.data = str(referral.version)
    status, comparison = 200, None
    if form.validate_on_submit():
        version = form.version.data
        resolved = conflicts.resolved_version(request.form)
        if resolved is not None and resolved == referral.version:
            # Save again after a conflict: only with the choice made, then at the version compared
            # (docs/conflicts.md).
            comparison = _return_date_comparison(referral, form, request.form)
            if comparison.unchosen:
                status = 409
                comparison.refuse(form)
            elif comparison.differences and comparison.chosen()["return_date"] != form.return_date.data:
                flash(_("The saved return date is kept. Nothing was changed."), "success")
                return redirect(url_for("referrals.detail", referral_id=referral.id))
            else:
                version = resolved
        if status == 200:
            try:
                change_return_date(
                    referral,
                    form.return_date.data,
                    form.reason.data,
                    version,
                    current_actor(),
                    override_reason=form.override_reason.data,
                )
            except Conflict:
                # Her answer stays on the page beside the saved return date; the form keeps the version she started
                # from, and the saved version only goes with the resolved marker (docs/conflicts.md).
                status = 409
                comparison = _return_date_comparison(referral, form, None)
                comparison.show(form)
            except DomainError as error:
                warnings = _refused(form, error, "return_date")
            else:
                flash(_("Return date changed."), "success")
                return redirect(url_for("referrals.detail", referral_id=referral.id))
    page = case_page(
        referral, "overview", "referrals/return_date.html", form=form, warnings=warnings, comparison=comparison
    )
    return page, status


def _return_date_comparison(referral, form, formdata) -> conflicts.Comparison:
    """Her new return date beside the case's saved one (the case itself may have changed in other ways)."""
    return conflicts.compare(
        what=_("case"),
        questions=[("return_date", _("Return date"))],
        mine={"return_date": form.return_date.data},
        saved={"return_date": referral.return_date},
        version=referral.version,
        shown=lambda _name, value: long_date(date.fromisoformat(value)) if value else _("Not given"),
        formdata=formdata,
        message=str(RETURN_DATE_STALE),
    )


RETURN_DATE_STALE = _l(
    "Someone else changed this case while you were working on it. Nothing of yours has been saved yet: compare your "
    "new return date with the saved one and choose which to keep"
)


NO_WORKER = "none"


@bp.route("/cases/<uuid:referral_id>/worker", methods=["GET", "POST"])
@requires("case_management")
def assign(referral_id):
    """A manager gives the case to a support worker or manager, or to no one."""
    referral = load_case(referral_id)
    form = AssignForm()
    workers = reads.workers(referral.scheme_id)
    form.worker.choices = choices(
        [(str(worker.id), f"{worker.display_name} ({Role(worker.role).label.lower()})") for worker in workers]
        + [(NO_WORKER, _("No one for now"))]
    )
    if request.method == "GET":
        form.version.data = str(referral.version)
        form.worker.data = str(referral.assigned_worker_id) if referral.assigned_worker_id else NO_WORKER
    status = 200
    if form.validate_on_submit():
        chosen = next((worker for worker in workers if str(worker.id) == form.worker.data), None)
        try:
            assign_worker(referral, chosen, form.version.data, current_actor())
        except DomainError as error:
            apply_errors(form, error, "worker")
            status = error.status if error.status == 409 else 200
        else:
            flash(_("Support worker saved."), "success")
            return redirect(url_for("referrals.detail", referral_id=referral.id))
    return case_page(referral, "overview", "referrals/assign.html", form=form), status


@bp.route("/cases/<uuid:referral_id>/take", methods=["POST"])
@requires("client_records")
def take(referral_id):
    """A support worker takes a case that has no worker, from its overview."""
    referral = load_case(referral_id)
    form = TakeForm()
    if form.validate_on_submit():
        try:
            assign_worker(referral, current_actor(), form.version.data, current_actor())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("This case is now yours."), "success")
    return redirect(url_for("referrals.detail", referral_id=referral.id))


@bp.route("/court-day")
@requires("referral_status")
def court_day():
    user = current_actor()
    asked = any(name.startswith("day-") for name in request.args)
    form = CourtDayForm(request.args if asked else None)
    if asked and not form.validate():
        # The day typed is not a date: say so, keep what was typed, and list nothing rather than another day.
        return render_template("referrals/court_day.html", form=form, day=None, cases=[], counts={})
    day = (form.day.data if asked else None) or request.args.get("date", type=iso_date) or today()
    form = CourtDayForm(None)
    cases = queries.court_day(day, user=user)
    who = queries.identities((item.referral for item in cases), current_role())
    superseded = {a.supersedes_id for item in cases for a in item.appointments if a.supersedes_id}
    counts: dict[str, int] = {}
    for item in cases:
        counts[item.referral.state] = counts.get(item.referral.state, 0) + 1
    return render_template(
        "referrals/court_day.html",
        form=form,
        day=day,
        cases=cases,
        who=who,
        superseded=superseded,
        counts=counts,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        # The printed list says whose list it is and when it was printed (docs/small-screens.md).
        court_names=_court_names(user, cases),
        printed_at=utcnow(),
    )


def _court_names(user, cases) -> list[str]:
    """The court a court user's list is for; for anyone else, the courts of the cases listed."""
    if user.role == Role.COURT and user.court is not None:
        return [user.court.name]
    return sorted({item.referral.court.name for item in cases})


@bp.route("/cases/<uuid:referral_id>/status")
@requires("referral_status")
def status(referral_id):
    if allows(current_actor().role, "client_records"):
        # Her name is on it: a colleague's case asks for a reason first (docs/organisations.md, "Need to know").
        need_to_know.check_opening_by_id(current_actor(), referral_id)
    referral = queries.case_status(referral_id, user=current_actor())
    if referral is None:
        abort(404)
    appointments = queries.status_appointments(referral.id)
    who = queries.identity(referral, current_role())
    return render_template(
        "referrals/status.html",
        referral=referral,
        who=who,
        appointments=appointments,
        superseded={a.supersedes_id for a in appointments if a.supersedes_id},
    )


@bp.route("/statuses")
@requires("referral_status")
def status_list():
    state = request.args.get("state") or None
    filters = queries.CaseFilters(state=request.args.get("state", type=State))
    after = queries.Cursor.decode(request.args.get("cursor") or "")
    found = queries.list_cases(filters, user=current_actor(), after=after)
    who = queries.identities(found.items, current_role(), withheld=found.withheld)
    return render_template("referrals/status_list.html", found=found, who=who, state=state, states=list(State))
