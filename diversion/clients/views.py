"""Web pages of the clients domain: her language, interpreter need and reading help, changed from one of her cases
(docs/languages.md)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion import conflicts
from diversion.clients import bp
from diversion.clients.forms import FIELD_NAMES, LanguageNeedsForm, needs_from, show_needs
from diversion.clients.language_needs import LanguageNeeds, change_language_needs, language_needs_of
from diversion.clients.languages import language_name, short_name
from diversion.crypto.fields import is_unreadable
from diversion.errors import Conflict, DomainError
from diversion.forms import apply_errors
from diversion.permissions import current_actor, load_case, requires
from diversion.referrals.case_page import case_page

bp.add_app_template_filter(language_name, "language_name")
bp.add_app_template_filter(short_name, "language_short")

QUESTIONS = [
    ("language", _l("Her preferred language")),
    ("interpreter_needed", _l("Does she need an interpreter?")),
    ("interpreter_language", _l("Interpreter's language")),
    ("reading_help", _l("Help with reading")),
]
STALE = _l(
    "Someone else changed this case while you were working on it. Nothing of yours has been saved yet: compare your "
    "answers with the saved answers and choose which to keep for each difference"
)


@bp.route("/cases/<uuid:referral_id>/language", methods=["GET", "POST"])
@requires("client_records")
def language(referral_id):
    """Her language, interpreter need and reading help: shown, changed, and a stale save compared (409)."""
    referral = load_case(referral_id)
    form = LanguageNeedsForm()
    if request.method == "GET":
        show_needs(form, language_needs_of(referral.client))
        form.version.data = str(referral.version)
    status, comparison = 200, None
    if referral.client.is_erased:
        status = 409 if request.method == "POST" else 200
    elif form.validate_on_submit():
        version = form.version.data
        needs = needs_from(form)
        resolved = conflicts.resolved_version(request.form)
        if resolved is not None and resolved == referral.version:
            comparison = _comparison(referral, needs, request.form)
            if comparison.unchosen:
                status = 409
                comparison.refuse(form)
            else:
                needs, version = _chosen(comparison), resolved
        if status == 200:
            try:
                change_language_needs(referral, needs, version, current_actor())
            except Conflict:
                status = 409
                comparison = _comparison(referral, needs, None)
                comparison.show(form)
            except DomainError as error:
                error.fields = {FIELD_NAMES.get(name, name): message for name, message in error.fields.items()}
                apply_errors(form, error, "language")
            else:
                flash(_("Her language and reading needs are saved."), "success")
                return redirect(url_for("referrals.detail", referral_id=referral.id))
    page = case_page(referral, "overview", "clients/language.html", form=form, comparison=comparison)
    return page, status


def _answers(needs: LanguageNeeds) -> dict[str, object]:
    # A saved note that cannot be read compares as none: the marker is never offered back to be saved.
    answered = needs.interpreter_needed
    return {
        "language": needs.language,
        "interpreter_needed": "unknown" if answered is None else ("yes" if answered else "no"),
        "interpreter_language": needs.interpreter_language,
        "reading_help": None if is_unreadable(needs.reading_help) else needs.reading_help,
    }


def _shown(name: str, value: str) -> str:
    if name in ("language", "interpreter_language"):
        return language_name(value) or _("Not given")
    if name == "interpreter_needed":
        return {"yes": _("Yes"), "no": _("No")}.get(value, _("Not asked yet"))
    return value or _("None")


def _comparison(referral, needs: LanguageNeeds, formdata) -> conflicts.Comparison:
    """Her answers beside those saved on her record now (docs/conflicts.md)."""
    return conflicts.compare(
        what=_("case"),
        questions=QUESTIONS,
        mine=_answers(needs),
        saved=_answers(language_needs_of(referral.client)),
        version=referral.version,
        shown=_shown,
        formdata=formdata,
        message=STALE,
    )


def _chosen(comparison: conflicts.Comparison) -> LanguageNeeds:
    values = comparison.chosen()
    return LanguageNeeds(
        language=values["language"] or None,
        interpreter_needed={"yes": True, "no": False}.get(values["interpreter_needed"] or ""),
        interpreter_language=values["interpreter_language"] or None,
        reading_help=values["reading_help"],
    )
