"""Web pages for someone referred before (docs/api.md, "Someone referred before"; docs/merging.md): the worklist of
court referrals flagged as possibly an earlier client, and merging two records of the same woman from her case."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSubmitInput, GovTextInput
from sqlalchemy import func, select
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from diversion import confirmations, scoping
from diversion.clients.merge import check_merge, merge_clients
from diversion.clients.models import Client
from diversion.clients.services import get_client
from diversion.dates import long_date
from diversion.errors import DomainError, ValidationFailed
from diversion.extensions import db
from diversion.forms import MaxLength, VersionField, apply_errors, choices
from diversion.permissions import current_actor, load_case, requires
from diversion.referrals import bp, matches
from diversion.referrals.case_page import case_page
from diversion.referrals.forms import lazy_choices
from diversion.referrals.models import Referral
from diversion.referrals.urns import check_urn, urn_index_value
from diversion.referrals.versions import check_version

DIFFERENT = "different"
OTHER_RECORD = _l("Choose the other record of hers, or enter the URN of one of its cases")
THIS, OTHER = "this", "other"


class ResolveMatchForm(FlaskForm):
    decision = RadioField(
        _l("Is she one of these women?"),
        choices=[],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose whether she is one of these women"))],
    )
    version = VersionField()
    submit = SubmitField(_l("Save the decision"), widget=GovSubmitInput())


class MergeForm(FlaskForm):
    other = RadioField(_l("Which record is also hers?"), choices=[], widget=GovRadioInput(), validators=[Optional()])
    other_urn = StringField(
        _l("Or the URN of a case on the other record"),
        widget=GovTextInput(),
        validators=[Optional(), MaxLength(200)],
    )
    keep = RadioField(
        _l("Which record should be kept?"),
        choices=lazy_choices([(THIS, _l("This case's record")), (OTHER, _l("The other record"))]),
        default=THIS,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose which record to keep"))],
    )
    reason = TextAreaField(
        _l("Why are these the same woman?"),
        widget=GovCharacterCount(),
        validators=[InputRequired(message=_l("Enter why these are the same woman")), MaxLength(2000)],
    )
    version = VersionField()
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


def _decision_choices(row: matches.FlaggedReferral) -> list[Any]:
    options = []
    for client in row.candidates:
        cases = row.earlier[client.id]
        label = ngettext(
            "%(name)s, referred %(num)d time",
            "%(name)s, referred %(num)d times",
            len(cases),
            name=f"{client.given_name} {client.family_name}",
        )
        options.append((str(client.id), label))
    return choices([*options, (DIFFERENT, _("She is a different person"))])


def _forms(rows: list[matches.FlaggedReferral], posted: Referral | None, posted_form: ResolveMatchForm | None) -> dict:
    forms: dict[Any, ResolveMatchForm] = {}
    for row in rows:
        if posted is not None and posted_form is not None and row.referral.id == posted.id:
            form = posted_form
        else:
            form = ResolveMatchForm(formdata=None, version=str(row.referral.version), prefix=str(row.referral.id))
        form.decision.choices = _decision_choices(row)
        forms[row.referral.id] = form
    return forms


def _worklist(posted: Referral | None = None, posted_form: ResolveMatchForm | None = None, status: int = 200) -> Any:
    rows = matches.flagged_referrals(current_actor())
    return (
        render_template(
            "referrals/possible_matches.html",
            rows=rows,
            forms=_forms(rows, posted, posted_form),
            posted_form=posted_form,
        ),
        status,
    )


@bp.route("/cases/possible-matches")
@requires("client_records")
def possible_matches():
    """Court referrals whose family name and date of birth match an earlier client, for a worker to decide."""
    return _worklist()


@bp.route("/cases/<uuid:referral_id>/possible-match", methods=["POST"])
@requires("client_records")
def resolve_match(referral_id):
    """Link a flagged referral to the earlier client she is (the records are merged), or mark her a different
    person; either way the flag is cleared. A stale page or one already resolved is refused (409)."""
    referral = load_case(referral_id)
    form = ResolveMatchForm(prefix=str(referral.id))
    rows = {row.referral.id: row for row in matches.flagged_referrals(current_actor())}
    if referral.id in rows:
        form.decision.choices = _decision_choices(rows[referral.id])
    else:
        form.decision.choices = choices([(form.decision.data or DIFFERENT, _("Chosen"))])
    if not form.validate_on_submit():
        return _worklist(referral, form, 422 if referral.id in rows else 409)
    version = form.version.data
    try:
        if form.decision.data == DIFFERENT:
            matches.mark_different_person(referral, version, current_actor())
            message = _("Saved: she is a different person. The referral has left the list.")
        else:
            matches.link_to_earlier(referral, form.decision.data, version, current_actor())
            message = _("Saved: the referral is now on her earlier record, and the two records are one.")
    except DomainError as error:
        apply_errors(form, error, "decision")
        return _worklist(referral, form, error.status)
    flash(message, "success")
    return redirect(url_for("referrals.possible_matches"))


# --- merging two records of the same woman ---


def _candidates(referral: Referral) -> list[Client]:
    client = referral.client
    if client.is_erased:
        return []
    return matches.earlier_clients(
        str(client.family_name),
        client.date_of_birth,  # type: ignore[arg-type]
        [client.organisation_id],
        excluding=client.id,
    )


def _same_organisation(referral: Referral, client_id: Any) -> Client | None:
    """The client with this id when she is of the case's organisation; None otherwise (another organisation's
    record is as unknown here as one that does not exist)."""
    client = get_client(client_id)
    if client is None or client.organisation_id != referral.organisation_id:
        return None
    return client


def _other_record(referral: Referral, form: MergeForm) -> Client | None:
    """The other record chosen: from the list, or by the URN of one of its cases that she may see."""
    if form.other.data:
        return _same_organisation(referral, form.other.data)
    urn = (form.other_urn.data or "").strip()
    if not urn:
        raise ValidationFailed.on("other", str(OTHER_RECORD))
    try:
        normalised = check_urn(urn)
    except ValueError as error:
        raise ValidationFailed.on("other_urn", str(error)) from None
    found = db.session.scalars(
        select(Referral)
        .where(
            Referral.urn_index == urn_index_value(normalised),
            Referral.organisation_id == referral.organisation_id,
            scoping.cases_filter(current_actor()),
        )
        .limit(1)
    ).first()
    if found is None:
        raise ValidationFailed.on("other_urn", _("No case has this URN"))
    return found.client


def _describe(client: Client) -> str:
    """A record as the merge page names it: her name, date of birth and how many cases it holds."""
    cases = db.session.scalar(select(func.count()).where(Referral.client_id == client.id)) or 0
    born = client.date_of_birth
    born_text = long_date(born) if isinstance(born, date) else _("date of birth unreadable")
    return ngettext(
        "%(name)s, born %(born)s, %(num)d case",
        "%(name)s, born %(born)s, %(num)d cases",
        cases,
        name=f"{client.given_name} {client.family_name}",
        born=born_text,
    )


@bp.route("/cases/<uuid:referral_id>/merge", methods=["GET", "POST"])
@requires("client_records")
def merge(referral_id):
    """Two records of the same woman made one: the other record, which to keep and why; then a confirmation; then
    the merge (docs/merging.md)."""
    referral = load_case(referral_id)
    form = MergeForm()
    candidates = _candidates(referral)
    form.other.choices = choices([(str(client.id), _describe(client)) for client in candidates])
    if form.other.data and form.other.data not in {str(client.id) for client in candidates}:
        # A record found by URN on the first submit comes back from the confirmation page by id.
        chosen = _same_organisation(referral, form.other.data)
        if chosen is not None and not chosen.is_erased:
            form.other.choices = choices([(str(chosen.id), _describe(chosen))])
    if request.method == "GET":
        form.version.data = str(referral.version)
    status = 200
    if form.validate_on_submit() and not confirmations.changing():
        try:
            other = _other_record(referral, form)
            this = referral.client
            kept, absorbed = (this, other) if form.keep.data == THIS else (other, this)
            reason = check_merge(kept, absorbed, form.reason.data)
            check_version(referral, form.version.data)
            if other is None:  # check_merge refused a missing record already; this only narrows the type
                raise ValidationFailed.on("other", _("Choose the other record of hers"))
            if not confirmations.confirmed():
                carried = [
                    (name, value)
                    for name, value in confirmations.carried_answers()
                    if name not in ("other", "other_urn")
                ]
                carried.append(("other", str(other.id)))
                return case_page(
                    referral,
                    "overview",
                    "referrals/confirm.html",
                    form=form,
                    title=_("Check before you merge her records"),
                    rows=[
                        {"key": {"text": _("Kept")}, "value": {"text": _describe(kept)}},
                        {"key": {"text": _("Merged into it")}, "value": {"text": _describe(absorbed)}},
                        {"key": {"text": _("Why they are the same woman")}, "value": {"text": reason}},
                    ],
                    warning=_(
                        "Every case, note, appointment, assessment and plan of the merged record will belong to "
                        "the kept record. The merged record's data key will be destroyed: this cannot be undone."
                    ),
                    action=url_for("referrals.merge", referral_id=referral.id),
                    confirm_text=_("Merge her records"),
                    change_text=_("Change the answers"),
                    carried=carried,
                )
            merge_clients(kept, absorbed, reason, current_actor())
        except DomainError as error:
            apply_errors(form, error, "other")
            status = error.status
            if error.status == 409:
                form.version.data = str(referral.version)
        else:
            flash(_("Her records have been merged into one."), "success")
            return redirect(url_for("referrals.detail", referral_id=referral.id))
    if form.other.errors and not form.other.choices:
        # With no record to choose from, the list is not on the page: its errors go to the URN beside it (a record
        # that is not among the choices, another organisation's say, as the choice that is missing).
        other_record = str(OTHER_RECORD)
        moved = [other_record if message.startswith("Not a valid choice") else message for message in form.other.errors]
        form.other_urn.errors = [*list(form.other_urn.errors or []), *dict.fromkeys(moved)]
        form.other.errors = []
    return case_page(referral, "overview", "referrals/merge.html", form=form, candidates=candidates), status
