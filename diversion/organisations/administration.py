"""An organisation's administrator keeps its schemes (name, courts, access rule); the platform operator adds
organisations with their first administrator and sees the list of them (docs/organisations.md).

Nothing here reads a case or a client: the operator's list counts schemes and staff accounts only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from diversion.audit.services import record_event
from diversion.auth.models import Role, User
from diversion.courts.models import Court
from diversion.db import transaction
from diversion.errors import Conflict, Forbidden, NotFound, ValidationFailed
from diversion.extensions import db
from diversion.organisations.models import Organisation, Scheme
from diversion.organisations.services import (
    add_organisation,
    add_scheme,
    check_access,
    check_name,
    check_slug,
    organisation_by_slug,
)

# The number of appointments a new scheme's programme may have (as ``flask schemes add --appointments``).
APPOINTMENTS_MIN, APPOINTMENTS_MAX = 1, 6


def _admin_of(actor: User) -> int:
    """The administrator's organisation's id; Forbidden for anyone else."""
    if actor is None or Role(actor.role) is not Role.ADMIN or actor.organisation_id is None:
        raise Forbidden(_("Only an organisation's administrator keeps its schemes"))
    return int(actor.organisation_id)


def own_scheme(actor: User, scheme_id: Any) -> Scheme:
    """A scheme of the administrator's organisation; NotFound for any other, as for none at all."""
    try:
        scheme = db.session.get(Scheme, int(str(scheme_id)))
    except ValueError:
        scheme = None
    if scheme is None or scheme.organisation_id != _admin_of(actor):
        raise NotFound(_("There is no such scheme"))
    return scheme


def court_choices(scheme: Scheme | None = None) -> list[Court]:
    """The courts a scheme may serve: every open court on the service (the courts are the country's, not an
    organisation's), and any it serves already."""
    courts = list(db.session.scalars(select(Court).where(Court.is_active.is_(True)).order_by(Court.name)))
    for court in scheme.courts if scheme is not None else ():
        if court not in courts:
            courts.append(court)
    return sorted(courts, key=lambda court: court.name)


def _courts(codes: Iterable[str], allowed: list[Court]) -> list[Court]:
    by_code = {court.code: court for court in allowed}
    chosen = []
    for code in codes:
        court = by_code.get(str(code).strip().upper())
        if court is None:
            raise ValidationFailed.on("courts", _("Select courts from the list"))
        chosen.append(court)
    return chosen


def new_scheme(
    actor: User, *, slug: str, name: str, court_codes: Iterable[str], access: str | None, appointments: Any
) -> Scheme:
    """An administrator adds a scheme to her organisation: its courts, its access rule and version 1 of its
    programme with ``appointments`` appointments. Audited (``scheme.created``)."""
    from diversion.referrals.programme import programme_with_appointments

    organisation = db.session.get(Organisation, _admin_of(actor))
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for what, check in (
        ("name", lambda: check_name(name, "scheme")),
        ("slug", lambda: check_slug(slug, "scheme")),
        ("access", lambda: check_access(access)),
        ("courts", lambda: _courts(court_codes, court_choices())),
    ):
        try:
            clean[what] = check()
        except ValidationFailed as error:
            errors.update(error.fields)
    try:
        count = int(str(appointments))
    except ValueError:
        count = 0
    if not APPOINTMENTS_MIN <= count <= APPOINTMENTS_MAX:
        errors["appointments"] = _(
            "Enter the number of appointments, from %(low)d to %(high)d", low=APPOINTMENTS_MIN, high=APPOINTMENTS_MAX
        )
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    if organisation is None:
        raise NotFound(_("There is no such organisation"))
    return add_scheme(
        organisation,
        clean["slug"],
        clean["name"],
        clean["courts"],
        settings=programme_with_appointments(clean["name"], count),
        access=clean["access"],
        actor=actor,
    )


def change_scheme(
    scheme: Scheme, actor: User, *, name: str, court_codes: Iterable[str], access: str | None
) -> list[str]:
    """An administrator changes her organisation's scheme: its name, the courts it serves, its access rule. Cases
    already taken stay in the scheme. Audited (``scheme.changed``, naming what changed); returns what changed."""
    if scheme.organisation_id != _admin_of(actor):
        raise NotFound(_("There is no such scheme"))
    errors: dict[str, str] = {}
    clean_name = ""
    courts: list[Court] = []
    rule = ""
    try:
        clean_name = check_name(name, "scheme")
    except ValidationFailed as error:
        errors.update(error.fields)
    try:
        courts = _courts(court_codes, court_choices(scheme))
    except ValidationFailed as error:
        errors.update(error.fields)
    try:
        rule = check_access(access)
    except ValidationFailed as error:
        errors.update(error.fields)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    before = {court.code for court in scheme.courts}
    after = {court.code for court in courts}
    changed = [
        what
        for what, differs in (
            ("name", clean_name != scheme.name),
            ("courts", before != after),
            ("access", rule != scheme.access),
        )
        if differs
    ]
    if not changed:
        raise ValidationFailed(_("Change something before saving"), {"name": _("Nothing has changed")})
    with transaction():
        scheme.name = clean_name
        scheme.courts = courts
        scheme.access = rule
        db.session.flush()
        record_event(
            "scheme.changed",
            object_type="scheme",
            object_id=scheme.id,
            details={
                "changed": changed,
                "added_courts": sorted(after - before),
                "removed_courts": sorted(before - after),
                "access": rule,
            },
            actor=actor,
        )
    return changed


# --- the platform operator ---


@dataclass
class OrganisationRow:
    """One organisation on the operator's list: its name, slug and how many schemes and staff accounts it has."""

    organisation: Organisation
    schemes: int
    users: int


def organisation_rows() -> list[OrganisationRow]:
    """Every organisation with its counts of schemes and staff accounts: nothing about a case or a client."""
    schemes = dict(
        db.session.execute(select(Scheme.organisation_id, func.count()).group_by(Scheme.organisation_id)).all()
    )
    users = dict(
        db.session.execute(
            select(User.organisation_id, func.count())
            .where(User.organisation_id.is_not(None))
            .group_by(User.organisation_id)
        ).all()
    )
    return [
        OrganisationRow(organisation, int(schemes.get(organisation.id, 0)), int(users.get(organisation.id, 0)))
        for organisation in db.session.scalars(select(Organisation).order_by(Organisation.name))
    ]


def new_organisation(
    actor: User, *, slug: str, name: str, admin_email: str, admin_name: str
) -> tuple[Organisation, User, str]:
    """The platform operator adds an organisation and its first administrator, who gets a temporary password to
    change at first sign-in (returned once). Everything is checked before anything is saved, so a refusal adds
    neither. Audited (``organisation.created``, ``user.created``)."""
    from diversion.admin.services import create_user
    from diversion.auth.names import display_name_problem
    from diversion.auth.services import find_user_by_email, normalise_email
    from diversion.emails import InvalidEmail, checked_email

    if actor is None or Role(actor.role) is not Role.OPERATOR:
        raise Forbidden(_("Only the platform operator adds organisations"))
    errors: dict[str, str] = {}
    # Fields refused because what they name is taken: a conflict (409) when nothing else is wrong.
    taken: set[str] = set()
    for field, check in (
        ("name", lambda: check_name(name, "organisation")),
        ("slug", lambda: check_slug(slug, "organisation")),
    ):
        try:
            check()
        except ValidationFailed as error:
            errors[field] = next(iter(error.fields.values()))
    if "slug" not in errors and organisation_by_slug(slug) is not None:
        errors["slug"] = _("An organisation with this short name already exists")
        taken.add("slug")
    if (problem := display_name_problem(admin_name)) is not None:
        errors["admin_name"] = problem
    try:
        email = normalise_email(checked_email(normalise_email(admin_email or "")))
    except InvalidEmail as error:
        errors["admin_email"] = str(error)
    else:
        if find_user_by_email(email) is not None:
            errors["admin_email"] = _("A user with this email address already exists")
            taken.add("admin_email")
    if errors:
        if set(errors) <= taken:
            raise Conflict(next(iter(errors.values())), errors)
        raise ValidationFailed(next(iter(errors.values())), errors)
    organisation = add_organisation(slug, name, actor=actor)
    administrator, issued = create_user(
        email, Role.ADMIN.value, actor=actor, display_name=admin_name, organisation=organisation.slug
    )
    # No password was given, so a temporary one was made.
    return organisation, administrator, str(issued)


# --- the organisation's own settings, for its administrator ---


def own_organisation(actor: User) -> Organisation:
    """The administrator's organisation."""
    organisation = db.session.get(Organisation, _admin_of(actor))
    if organisation is None:
        raise NotFound(_("There is no such organisation"))
    return organisation


def set_first_responder(actor: User, is_first_responder: bool) -> bool:
    """An administrator says whether her organisation is a first responder for the National Referral Mechanism
    (docs/modern-slavery.md). Audited (``organisation.changed``) when it changes; returns whether it did."""
    organisation = own_organisation(actor)
    if bool(organisation.is_first_responder) == bool(is_first_responder):
        return False
    with transaction():
        organisation.is_first_responder = bool(is_first_responder)
        db.session.flush()
        record_event(
            "organisation.changed",
            object_type="organisation",
            object_id=organisation.id,
            details={"changed": ["is_first_responder"], "is_first_responder": bool(is_first_responder)},
            actor=actor,
        )
    return True
