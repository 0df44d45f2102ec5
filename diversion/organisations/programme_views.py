"""The programme screen: a manager sees the programme of each scheme she belongs to and its versions, and changes
it. Saving a change saves a new version; cases already started keep theirs (docs/organisations.md, "Programmes").
A scheme she does not belong to answers 404, as one that does not exist."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from diversion import conflicts
from diversion.auth.models import User
from diversion.errors import DomainError
from diversion.extensions import db
from diversion.forms import apply_errors
from diversion.organisations import bp
from diversion.organisations.models import ProgrammeVersion, Scheme
from diversion.organisations.programme_forms import (
    QUESTIONS,
    ProgrammeForm,
    answers_of,
    put,
    settings_from,
    shown,
    values_of,
)
from diversion.organisations.services import ProgrammeChanged, current_version, save_programme
from diversion.permissions import current_actor, requires
from diversion.referrals.programme import DEADLINE_RULES, PRODUCTS, version_programme
from diversion.referrals.wording import wordings_of

STALE = _l(
    "Someone else saved a new version of this programme while you were changing it. Nothing of yours has been saved "
    "yet: compare your answers with the saved ones and choose which to keep for each difference"
)


def _own_scheme(scheme_id: int) -> Scheme:
    """One of the manager's own schemes, or 404 (another scheme, of her organisation or another, is not hers)."""
    scheme = next((scheme for scheme in current_actor().schemes if scheme.id == scheme_id), None)
    if scheme is None:
        abort(404)
    return scheme


def _versions(scheme: Scheme) -> list[ProgrammeVersion]:
    """The scheme's programme versions, newest first."""
    return list(
        db.session.scalars(
            select(ProgrammeVersion)
            .where(ProgrammeVersion.scheme_id == scheme.id)
            .order_by(ProgrammeVersion.number.desc())
        )
    )


def _authors(versions: list[ProgrammeVersion]) -> dict[Any, str]:
    """Who saved each version, by user id, in one query."""
    ids = {version.created_by_id for version in versions if version.created_by_id is not None}
    if not ids:
        return {}
    return {user.id: user.display_name for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _described(version: ProgrammeVersion) -> dict[str, Any]:
    """What a version says, for the page: the parsed programme and the words of each consent purpose."""
    programme = version_programme(version.settings_json)
    return {"programme": programme, "wordings": wordings_of(programme)}


@bp.route("/programmes")
@requires("programme")
def programmes():
    """The schemes the manager belongs to, each with its current programme version."""
    schemes = sorted(current_actor().schemes, key=lambda scheme: (scheme.name, scheme.id))
    current = {scheme.id: current_version(scheme.id) for scheme in schemes}
    return render_template(
        "organisations/programmes.html",
        schemes=schemes,
        current=current,
        authors=_authors(list(current.values())),
    )


@bp.route("/programmes/<int:scheme_id>")
@requires("programme")
def programme(scheme_id: int):
    """A scheme's current programme and its version history."""
    scheme = _own_scheme(scheme_id)
    versions = _versions(scheme)
    return render_template(
        "organisations/programme.html",
        scheme=scheme,
        version=versions[0],
        versions=versions,
        authors=_authors(versions),
        products=PRODUCTS,
        deadlines=DEADLINE_RULES,
        **_described(versions[0]),
    )


@bp.route("/programmes/<int:scheme_id>/versions/<int:number>")
@requires("programme")
def programme_version(scheme_id: int, number: int):
    """One version of a scheme's programme, as it was saved (cases started under it follow it still)."""
    scheme = _own_scheme(scheme_id)
    versions = _versions(scheme)
    version = next((item for item in versions if item.number == number), None)
    if version is None:
        abort(404)
    return render_template(
        "organisations/programme_version.html",
        scheme=scheme,
        version=version,
        latest=versions[0],
        authors=_authors([version]),
        products=PRODUCTS,
        deadlines=DEADLINE_RULES,
        **_described(version),
    )


def _saved_values(version: ProgrammeVersion) -> dict[str, str]:
    wordings = wordings_of(version_programme(version.settings_json))
    return values_of(version.settings, {purpose: wording.text for purpose, wording in wordings.items()})


def _comparison(form: ProgrammeForm, version: ProgrammeVersion, formdata: Any) -> conflicts.Comparison:
    """Her answers beside those of the newest saved version (docs/conflicts.md)."""
    return conflicts.compare(
        what="programme",
        questions=QUESTIONS,
        mine=answers_of(form),
        saved=_saved_values(version),
        version=version.number,
        shown=shown,
        formdata=formdata,
        message=STALE,
    )


@bp.route("/programmes/<int:scheme_id>/edit", methods=["GET", "POST"])
@requires("programme")
def programme_edit(scheme_id: int):
    """Change a scheme's programme: saving makes a new version when anything differs, and none when nothing does.
    A page shown before someone else saved a newer version is refused (409) beside the newer one."""
    scheme = _own_scheme(scheme_id)
    current = current_version(scheme.id)
    form = ProgrammeForm()
    status, comparison = 200, None
    if request.method == "GET":
        form.version.data = str(current.number)
        put(form, _saved_values(current))
    elif form.validate_on_submit() or form.errors:
        based_on = form.version.data
        resolved = conflicts.resolved_version(request.form)
        if resolved is not None and resolved == current.number:
            # Saved again after a conflict: only with a choice for every difference, then over the version compared.
            comparison = _comparison(form, current, request.form)
            if comparison.unchosen:
                status = 409
                comparison.refuse(form)
            else:
                put(form, comparison.chosen())
                based_on = resolved
        made = settings_from(form) if status == 200 else None
        if status == 200 and made is None:
            status = 422
        elif made is not None:
            settings, wordings = made
            try:
                saved = save_programme(scheme, settings, wordings, current_actor(), based_on=based_on)
            except ProgrammeChanged as error:
                # Her answers stay on the page beside the newer version's; the form keeps the version she started
                # from, and the newer one goes only with the resolved marker (docs/conflicts.md).
                status = 409
                comparison = _comparison(form, error.current, None)
                comparison.show(form)
            except DomainError as error:
                status = 422
                apply_errors(form, error, "name")
            else:
                if saved is None:
                    flash(_("Nothing was changed, so no new version was saved."), "success")
                else:
                    flash(
                        _(
                            "Version %(number)d of the programme is saved. Cases taken from now on follow it; cases "
                            "already started keep the version they started under.",
                            number=saved.number,
                        ),
                        "success",
                    )
                return redirect(url_for("organisations.programme", scheme_id=scheme.id))
    return render_template(
        "organisations/programme_form.html",
        scheme=scheme,
        current=current,
        form=form,
        comparison=comparison,
    ), status
