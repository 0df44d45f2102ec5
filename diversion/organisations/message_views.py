"""Her messages in her language, on the programme screen: a scheme's manager sees each language that has a
catalogue and where it stands, reads a language's wording, changes it and approves it (docs/languages.md, "Messages
in her language"). Each approval is a new version; until her language's is approved her reminders go in English.
A scheme she does not belong to answers 404, as on the programme's own pages."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from diversion import conflicts
from diversion.auth.models import User
from diversion.db import transaction
from diversion.errors import DomainError
from diversion.extensions import db
from diversion.forms import apply_errors
from diversion.notifications.message_wordings import (
    MessagesChanged,
    approve,
    language_status,
    language_statuses,
    proposed_parts,
    versions_of,
)
from diversion.notifications.models import MessageWording
from diversion.notifications.wording import ENGLISH, PARTS, catalogue_languages, catalogues
from diversion.organisations import bp
from diversion.organisations.message_forms import MessagesForm
from diversion.organisations.programme_views import _own_scheme
from diversion.permissions import current_actor, requires

STALE = _l(
    "Someone else approved these messages while you were reading them. Nothing of yours has been saved yet: "
    "compare your wording with the approved wording and choose which to keep for each difference"
)
QUESTIONS = tuple(PARTS.items())
# One address per language that has a catalogue (the catalogues are read when the app starts).
LANGUAGE = "<any(" + ", ".join(catalogue_languages()) + "):language>"


def _authors_of(wordings: list[MessageWording]) -> dict[Any, str]:
    """Who approved each wording, by user id, in one query."""
    ids = {wording.approved_by_id for wording in wordings if wording.approved_by_id is not None}
    if not ids:
        return {}
    return {user.id: user.display_name for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


@bp.route("/programmes/<int:scheme_id>/messages")
@requires("programme")
def messages(scheme_id: int):
    """Each language with a catalogue, and whether the scheme has approved its messages."""
    scheme = _own_scheme(scheme_id)
    statuses = language_statuses(scheme.id)
    return render_template(
        "organisations/messages.html",
        scheme=scheme,
        statuses=statuses,
        authors=_authors_of([status.approved for status in statuses if status.approved is not None]),
    )


def _comparison(form: MessagesForm, current: MessageWording | None, formdata: Any) -> conflicts.Comparison:
    """Her wording beside the newest approved wording (docs/conflicts.md)."""
    return conflicts.compare(
        what="messages",
        questions=QUESTIONS,
        mine=form.parts(),
        saved=current.parts if current is not None else {},
        version=current.number if current is not None else 0,
        shown=lambda name, value: str(value),
        formdata=formdata,
        message=STALE,
    )


@bp.route(f"/programmes/<int:scheme_id>/messages/{LANGUAGE}", methods=["GET", "POST"])
@requires("programme")
def messages_language(scheme_id: int, language: str):
    """A language's messages: the wording in force (or the catalogue's, before any approval), to change and
    approve. A wording with a deny-listed word, or without its $day and $time, is refused and nothing is saved; an
    approval from a page shown before a newer one was approved is refused (409) beside the newer one."""
    scheme = _own_scheme(scheme_id)
    status = language_status(scheme.id, language)
    form = MessagesForm()
    code, comparison = 200, None
    if request.method == "GET":
        form.version.data = str(status.number)
        for part, text in proposed_parts(scheme.id, language).items():
            form[part].data = text
    elif form.validate_on_submit() or form.errors:
        based_on = form.version.data
        resolved = conflicts.resolved_version(request.form)
        if resolved is not None and resolved == status.number:
            # Approved again after a conflict: only with a choice for every difference, then over the version compared.
            comparison = _comparison(form, status.approved, request.form)
            if comparison.unchosen:
                code = 409
                comparison.refuse(form)
            else:
                for part, text in comparison.chosen().items():
                    form[part].data = text
                based_on = resolved
        if code == 200:
            try:
                with transaction():
                    wording = approve(scheme.id, language, form.parts(), current_actor(), based_on=based_on)
            except MessagesChanged as error:
                code = 409
                comparison = _comparison(form, error.current, None)
                comparison.show(form)
            except DomainError as error:
                code = 422
                apply_errors(form, error, "sms_body")
            else:
                if status.approved is not None and wording.id == status.approved.id:
                    flash(_("Nothing was changed, so no new version was approved."), "success")
                else:
                    flash(
                        _(
                            "Version %(number)d of the %(language)s messages is approved. Reminders written from now "
                            "on to women whose language is %(language)s use it.",
                            number=wording.number,
                            language=status.name,
                        ),
                        "success",
                    )
                return redirect(url_for("organisations.messages", scheme_id=scheme.id))
    versions = versions_of(scheme.id, language)
    return render_template(
        "organisations/messages_language.html",
        scheme=scheme,
        status=status,
        form=form,
        comparison=comparison,
        versions=versions,
        authors=_authors_of(versions),
        has_catalogue=language in catalogues(),
        english=ENGLISH,
    ), code
