"""User and court administration. Each change is audited in its own transaction."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, delete, func, select

from diversion.admin import scope
from diversion.audit.services import record_event
from diversion.auth import passwords, sessions, tokens
from diversion.auth.models import RecoveryCode, Role, User
from diversion.auth.names import clean_display_name, display_name_problem
from diversion.auth.services import find_user_by_email, normalise_email, temporary_password
from diversion.courts.models import Court
from diversion.db import transaction, utcnow
from diversion.emails import InvalidEmail, checked_email
from diversion.errors import Conflict, Forbidden, NotFound, ValidationFailed
from diversion.extensions import db
from diversion.i18n import DEFAULT_LANGUAGE, UI_LANGUAGES
from diversion.organisations.models import Organisation, Scheme
from diversion.organisations.services import (
    link_court,
    only_organisation,
    only_scheme,
    organisation_for,
    scheme_by_slug,
)


def list_users(actor: User) -> list[User]:
    """The accounts an administrator manages (diversion/admin/scope.py), by name (then email, which is unique)."""
    return list(
        db.session.scalars(
            select(User).where(scope.managed_filter(actor)).order_by(func.lower(User.display_name), User.email)
        )
    )


def _user_within(condition: ColumnElement[bool], user_id: object) -> User | None:
    try:
        key = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        return None
    return db.session.scalars(select(User).where(User.id == key, condition)).first()


def managed_user(actor: User, user_id: object) -> User | None:
    """The account with this id when the administrator manages it; None otherwise, as for no account at all."""
    return _user_within(scope.managed_filter(actor), user_id)


def confirmable_user(actor: User, user_id: object) -> User | None:
    """The account with this id when the manager may confirm it; None otherwise."""
    return _user_within(scope.confirmable_filter(actor), user_id)


def list_courts(active_only: bool = False) -> list[Court]:
    """Courts by name."""
    query = select(Court).order_by(Court.name)
    if active_only:
        query = query.where(Court.is_active.is_(True))
    return list(db.session.scalars(query))


def court_by_code(code: str) -> Court | None:
    """The court with this code (case-insensitive)."""
    return db.session.scalars(select(Court).where(func.upper(Court.code) == code.strip().upper())).first()


def create_user(
    email: str,
    role: str,
    court_code: str | None = None,
    password: str | None = None,
    actor: User | None = None,
    *,
    display_name: str,
    organisation: str | None = None,
    schemes: list[str] | None = None,
    cps_courts: list[str] | None = None,
) -> tuple[User, str | None]:
    """Create a user, with the name shown wherever they are named. Without a password, a temporary one is made,
    returned once, and must be changed at sign-in.

    Support workers, managers and administrators join an organisation (``organisation``, a slug; else the
    administrator's own; else the only one), workers and managers one or more of its schemes (``schemes``, slugs;
    else its only scheme). A CPS user covers the courts named (``cps_courts``, codes); else, while the service
    holds one organisation, every court (docs/organisations.md)."""
    email = normalise_email(email)
    errors: dict[str, str] = {}
    taken = False
    if (problem := display_name_problem(display_name)) is not None:
        errors["display_name"] = problem
    role_value, court = _role_and_court(role, court_code, errors)
    if actor is not None and actor.role == Role.ADMIN.value and role_value is Role.OPERATOR:
        errors["role"] = _("Only the platform operator's own command line makes a platform operator")
    _check_own_court(actor, court, errors)
    home, their_schemes, covered = _belonging(role_value, organisation, schemes, cps_courts, actor, errors)
    try:
        # Lower-cased whole, as sign-in compares it (normalise_email).
        email = normalise_email(checked_email(email))
    except InvalidEmail as error:
        errors["email"] = str(error)
    else:
        if find_user_by_email(email) is not None:
            taken = True
            errors["email"] = _("A user with this email address already exists")
    issued = None
    if password is None:
        password = issued = temporary_password()
    elif (problem := passwords.password_problem(password, email)) is not None:
        errors["password"] = problem
    if errors or role_value is None:
        if taken:
            raise Conflict(errors["email"], errors)
        raise ValidationFailed(next(iter(errors.values())), errors)
    with transaction():
        user = User(
            email=email,
            display_name=clean_display_name(display_name),
            role=role_value.value,
            court_id=court.id if court else None,
            organisation_id=home.id if home else None,
            password_hash=passwords.hash_password(password),
            must_change_password=issued is not None,
        )
        user.schemes = their_schemes
        user.cps_courts = covered
        db.session.add(user)
        db.session.flush()
        record_event(
            "user.created",
            object_type="user",
            object_id=user.id,
            details={
                "role": role_value.value,
                **({"organisation": home.slug} if home else {}),
                **({"schemes": [scheme.slug for scheme in their_schemes]} if their_schemes else {}),
                **({"courts": [court.code for court in covered]} if covered else {}),
            },
            actor=actor,
        )
        _needs_confirmation(user, "created", actor)
    return user, issued


# Why an account waits for a manager's confirmation, in words.
CONFIRMATION_REASONS = {
    "created": _l("Account created"),
    "enabled": _l("Account enabled again"),
    "role_changed": _l("Role changed"),
    "password_reset": _l("Temporary password issued"),
    "two_factor_reset": _l("Authenticator reset"),
    "access_changed": _l("Schemes or courts added"),
}
# The roles that read client data (support content, or a case's status with her name, date of birth and URN): an
# administrator's change to one of these accounts, or to how it signs in, waits for a manager (docs/people.md).
DATA_ROLES = frozenset({Role.WORKER.value, Role.MANAGER.value, Role.COURT.value, Role.CPS.value})


def _needs_confirmation(user: User, reason: str, actor: User | None) -> None:
    """Mark a data-reading account changed by an administrator as waiting for a manager, and audit it. The command
    line is trusted (``actor`` None): whoever runs it on the server already holds the database and its keys, so a
    confirmation would not stop them (docs/people.md). Call inside the change's transaction."""
    if actor is None or actor.role != Role.ADMIN.value or user.role not in DATA_ROLES:
        return
    user.confirmation_needed_at = utcnow()
    user.confirmation_reason = reason
    user.confirmation_asked_by_id = actor.id
    db.session.flush()
    record_event(
        "user.confirmation_needed",
        object_type="user",
        object_id=user.id,
        details={"reason": reason, "role": user.role},
        actor=actor,
    )


def accounts_to_confirm(actor: User) -> list[User]:
    """Accounts waiting for a manager's confirmation that she may confirm (her organisation's staff, the court and
    CPS users of her schemes' courts: diversion/admin/scope.py), oldest first."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.confirmation_needed_at.is_not(None),
                User.is_disabled.is_(False),
                scope.confirmable_filter(actor),
            )
            .order_by(User.confirmation_needed_at, User.display_name, User.email)
        )
    )


def confirm_account(user: User, actor: User) -> None:
    """A manager confirms an account an administrator changed: it may open records again. Nobody confirms their own
    account, a manager whose own account is waiting confirms nothing, and the administrator who made the change
    cannot confirm it through a manager's account of theirs."""
    if actor.role != Role.MANAGER.value or actor.confirmation_needed_at is not None:
        raise Forbidden(_("Only a confirmed manager can confirm an account"))
    if confirmable_user(actor, user.id) is None:
        # Another organisation's account, or a partner's of courts her schemes do not serve: as if there were none.
        raise NotFound(_("There is no such account"))
    if user.id == actor.id:
        raise Forbidden(_("Another manager must confirm your account"))
    if user.confirmation_needed_at is None:
        raise Conflict(_("This account is not waiting to be confirmed"))
    if user.confirmation_asked_by_id == actor.id:
        raise Forbidden(_("You made this change as an administrator: another manager must confirm it"))
    with transaction():
        reason = user.confirmation_reason
        user.confirmation_needed_at = None
        user.confirmation_reason = None
        user.confirmation_asked_by_id = None
        record_event(
            "user.confirmed",
            object_type="user",
            object_id=user.id,
            details={"reason": reason, "role": user.role},
            actor=actor,
        )


ORGANISATION_ROLES = frozenset({Role.WORKER, Role.MANAGER, Role.ADMIN})
SCHEME_ROLES = frozenset({Role.WORKER, Role.MANAGER})


def _belonging(
    role: Role | None,
    organisation: str | None,
    schemes: list[str] | None,
    cps_court_codes: list[str] | None,
    actor: User | None,
    errors: dict[str, str],
) -> tuple[Organisation | None, list[Scheme], list[Court]]:
    """The organisation, schemes and (for CPS users) courts a new account belongs to; what is wrong goes into
    ``errors``. An administrator makes accounts in her own organisation only."""
    if role is None:
        return None, [], []
    home = None
    if role in ORGANISATION_ROLES:
        try:
            home = organisation_for(actor, organisation)
        except ValidationFailed as error:
            errors.update(error.fields)
            return None, [], []
        if actor is not None and actor.organisation_id is not None and home.id != actor.organisation_id:
            errors["organisation"] = _("You can only add users to your own organisation")
            return None, [], []
    elif organisation:
        errors["organisation"] = _("Only support workers, managers and administrators belong to an organisation")
    chosen: list[Scheme] = []
    if role in SCHEME_ROLES and home is not None:
        if schemes:
            for slug in schemes:
                found = scheme_by_slug(home, slug)
                if found is None:
                    errors["schemes"] = _("Select schemes of this organisation")
                else:
                    chosen.append(found)
        elif (single := only_scheme(home.id)) is not None:
            chosen = [single]
        else:
            errors["schemes"] = _("Select the schemes this user works in")
    elif schemes:
        errors["schemes"] = _("Only support workers and managers belong to a scheme")
    covered: list[Court] = []
    if role is Role.CPS:
        if cps_court_codes:
            own = set(scope.organisation_court_ids(actor.organisation_id)) if _is_admin(actor) else None
            for code in cps_court_codes:
                found_court = court_by_code(code)
                if found_court is None:
                    errors["cps_courts"] = _("Select the courts this CPS user covers")
                elif own is not None and found_court.id not in own:
                    errors["cps_courts"] = _("Select courts your organisation's schemes serve")
                else:
                    covered.append(found_court)
        elif _is_admin(actor):
            # An administrator chooses among her organisation's courts; when it serves one, that one.
            own_courts = scope.organisation_courts(actor.organisation_id, active_only=True)
            if len(own_courts) == 1:
                covered = own_courts
            else:
                errors["cps_courts"] = _("Select the courts this CPS user covers")
        elif only_organisation() is not None:
            covered = list_courts()
        else:
            errors["cps_courts"] = _("Select the courts this CPS user covers")
    elif cps_court_codes:
        errors["cps_courts"] = _("Only CPS users cover courts")
    return home, chosen, covered


def _is_admin(actor: User | None) -> bool:
    """True for an organisation's administrator (the command line has no actor)."""
    return actor is not None and actor.role == Role.ADMIN.value and actor.organisation_id is not None


def _check_own_court(actor: User | None, court: Court | None, errors: dict[str, str]) -> None:
    """An administrator puts court users only at courts her organisation's schemes serve."""
    if court is not None and _is_admin(actor) and court.id not in scope.organisation_court_ids(actor.organisation_id):
        errors["court"] = _("Select a court your organisation's schemes serve")


def _role_and_court(role: str, court_code: str | None, errors: dict[str, str]) -> tuple[Role | None, Court | None]:
    """The role asked for, and for court staff their court; what is wrong goes into ``errors`` by field."""
    try:
        role_value: Role | None = Role(role)
    except ValueError:
        errors["role"] = _("Select a role")
        role_value = None
    court = None
    if role_value is Role.COURT:
        court = court_by_code(court_code) if court_code else None
        if court is None:
            errors["court"] = _("Select the court this user works at")
    elif court_code:
        errors["court"] = _("Only court staff belong to a court")
    return role_value, court


def change_role(
    user: User,
    role: str,
    court_code: str | None = None,
    actor: User | None = None,
    *,
    schemes: list[str] | None = None,
    cps_courts: list[str] | None = None,
) -> None:
    """An administrator gives an account another role (and court, for court staff), or other schemes (support workers
    and managers) or courts covered (CPS). An account holds one role, so an administrator made a support worker is no
    longer an administrator; a data-reading role waits for a manager, and so do schemes or courts added. Nobody
    changes their own role; a change of role or court ends the account's API tokens: they were made for the old one.

    ``schemes`` (slugs) and ``cps_courts`` (codes) left out keep what the account has. An administrator chooses a
    CPS user's courts among those her organisation's schemes serve; the courts it covers elsewhere stay."""
    errors: dict[str, str] = {}
    role_value, court = _role_and_court(role, court_code, errors)
    _check_own_court(actor, court, errors)
    if errors or role_value is None:
        raise ValidationFailed(next(iter(errors.values())), errors)
    if actor is not None and actor.id == user.id:
        raise Forbidden(
            _("Another administrator must change your role"), {"role": _("You cannot change your own role")}
        )
    court_id = court.id if court else None
    # What the account belongs to under its new role: its organisation (or the administrator's), the schemes chosen
    # or those it had (or the organisation's only one), the courts a CPS user covers (chosen, or those it covered).
    keep_org = user.organisation.slug if user.organisation is not None and role_value in ORGANISATION_ROLES else None
    their_slugs = schemes if schemes is not None else [scheme.slug for scheme in user.schemes]
    if role_value not in SCHEME_ROLES:
        their_slugs = []
    chosen_codes = cps_courts if role_value is Role.CPS else None
    keep_courts = role_value is Role.CPS and chosen_codes is None and user.role == Role.CPS.value
    home, their_schemes, covered = _belonging(
        role_value, keep_org, their_slugs or None, chosen_codes or None, actor, errors
    )
    if keep_courts:
        # A CPS user's courts, not chosen again, stay as they are.
        errors.pop("cps_courts", None)
        covered = list(user.cps_courts)
    elif chosen_codes and _is_admin(actor) and user.role == Role.CPS.value:
        # The courts she covers that this administrator's organisation does not serve are not hers to take away.
        own = set(scope.organisation_court_ids(actor.organisation_id if actor is not None else None))
        covered = [*covered, *(item for item in user.cps_courts if item.id not in own and item not in covered)]
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    role_changed = role_value.value != user.role or court_id != user.court_id
    added_schemes = {scheme.id for scheme in their_schemes} - {scheme.id for scheme in user.schemes}
    added_courts = {item.id for item in covered} - {item.id for item in user.cps_courts}
    access_changed = {scheme.id for scheme in their_schemes} != {scheme.id for scheme in user.schemes} or {
        item.id for item in covered
    } != {item.id for item in user.cps_courts}
    if not role_changed and not access_changed:
        raise ValidationFailed(
            _("Choose a different role or court"), {"role": _("This user already has this role and court")}
        )
    with transaction():
        before = user.role
        user.role = role_value.value
        user.court_id = court_id
        user.organisation_id = home.id if home else None
        user.schemes = their_schemes
        user.cps_courts = covered
        if role_value is Role.ADMIN:
            # An administrator reads no client data: nothing is left for a manager to confirm.
            user.confirmation_needed_at = None
            user.confirmation_reason = None
            user.confirmation_asked_by_id = None
        if role_changed:
            tokens.revoke_all_tokens(user)
        db.session.flush()
        if role_changed:
            record_event(
                "user.role_changed",
                object_type="user",
                object_id=user.id,
                details={"from": before, "to": role_value.value},
                actor=actor,
            )
            _needs_confirmation(user, "role_changed", actor)
            return
        record_event(
            "user.access_changed",
            object_type="user",
            object_id=user.id,
            details={
                "schemes": [scheme.slug for scheme in their_schemes],
                "courts": [item.code for item in covered],
            },
            actor=actor,
        )
        if added_schemes or added_courts:
            # More cases to see: whoever holds the account now may not be who it was for.
            _needs_confirmation(user, "access_changed", actor)


def disable_user(user: User, actor: User | None = None) -> None:
    """Disable a user: their sessions end and their API tokens are revoked at once."""
    with transaction():
        user.is_disabled = True
        user.disabled_at = utcnow()
        sessions.end_all_sessions(user.id, "disabled")
        tokens.revoke_all_tokens(user)
        record_event("user.disabled", object_type="user", object_id=user.id, actor=actor)


def enable_user(user: User, actor: User | None = None) -> None:
    """Let a disabled user sign in again."""
    with transaction():
        user.is_disabled = False
        user.disabled_at = None
        record_event("user.enabled", object_type="user", object_id=user.id, actor=actor)
        # Whoever signs in to an account that was shut may not be the person it was for.
        _needs_confirmation(user, "enabled", actor)


def unlock_user(user: User, actor: User | None = None) -> None:
    """Lift a lockout after failed sign-ins."""
    with transaction():
        user.failed_login_count = 0
        user.first_failed_login_at = None
        user.locked_until = None
        record_event("user.unlocked", object_type="user", object_id=user.id, actor=actor)


def reset_two_factor(user: User, actor: User | None = None) -> None:
    """Forget the user's authenticator and recovery codes (a lost phone); they enrol again at next sign-in."""
    with transaction():
        user.totp_secret = None
        user.totp_enrolled_at = None
        user.totp_last_step = None
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        sessions.end_all_sessions(user.id, "two_factor_reset")
        record_event("two_factor.reset", object_type="user", object_id=user.id, actor=actor)
        _needs_confirmation(user, "two_factor_reset", actor)


def reset_password(user: User, actor: User | None = None) -> str:
    """Issue a temporary password, to be changed at next sign-in; ends the user's sessions."""
    issued = temporary_password()
    with transaction():
        user.password_hash = passwords.hash_password(issued)
        user.must_change_password = True
        sessions.end_all_sessions(user.id, "password_reset")
        record_event("user.password_reset", object_type="user", object_id=user.id, actor=actor)
        _needs_confirmation(user, "password_reset", actor)
    return issued


def save_court(
    code: str,
    name: str,
    court: Court | None = None,
    actor: User | None = None,
    schemes: list[Scheme] | None = None,
    *,
    language: str | None = None,
) -> Court:
    """Add a court, or rename an existing one. Codes are upper case and unique. A new court is served by
    ``schemes``; when none are named, by the administrator's organisation's only scheme, or (from the command line)
    the service's only scheme, so that a single-scheme service works as it always did (docs/organisations.md).

    ``language`` ("en" or "cy") is the language its staff see the service in when they have chosen none on their own
    account (diversion/i18n.py); left out, a new court's is English and an existing court keeps its own. A change of
    it is audited with the court's other changes, as codes."""
    code = code.strip().upper()
    name = name.strip()
    errors: dict[str, str] = {}
    if language is not None and language not in UI_LANGUAGES:
        errors["default_language"] = _("Select the language its staff see the service in")
    if not code or len(code) > 16 or not code.replace("-", "").isalnum():
        errors["code"] = _("Enter a court code of up to 16 letters and digits")
    if not name or len(name) > 120:
        errors["name"] = _("Enter the court's name, up to 120 characters")
    existing = court_by_code(code) if code else None
    if not errors and existing is not None and existing is not court:
        raise Conflict(_("A court with this code already exists"), {"code": _("A court with this code already exists")})
    if _is_admin(actor) and actor is not None:
        if court is None:
            # None chosen: her organisation's only scheme, as the form chooses it already.
            schemes = schemes or _default_schemes(actor)
            if not schemes:
                errors["schemes"] = _("Select the schemes that serve this court")
            elif any(scheme.organisation_id != actor.organisation_id for scheme in schemes):
                errors["schemes"] = _("Select schemes of your organisation")
        if court is not None and _served_elsewhere(court, actor.organisation_id):
            shared = _(
                "Another organisation's schemes serve this court too, so its code and name are not yours to change"
            )
            raise Forbidden(shared, {"code": shared})
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors)
    with transaction():
        action = "court.updated"
        details: dict[str, str] | None = None
        if court is None:
            court = Court(code=code, name=name, default_language=language or DEFAULT_LANGUAGE)
            db.session.add(court)
            action = "court.created"
            db.session.flush()
            for scheme in schemes if schemes is not None else _default_schemes(actor):
                link_court(scheme, court)
            if court.default_language != DEFAULT_LANGUAGE:
                details = {"default_language": court.default_language}
        else:
            court.code, court.name = code, name
            if language is not None and language != court.default_language:
                details = {"default_language_from": court.default_language, "default_language": language}
                court.default_language = language
        db.session.flush()
        record_event(action, object_type="court", object_id=court.id, details=details, actor=actor)
    return court


def _served_elsewhere(court: Court, organisation_id: int | None) -> bool:
    """True when a scheme of another organisation serves the court."""
    from diversion.organisations.services import schemes_serving

    return any(scheme.organisation_id != organisation_id for scheme in schemes_serving(court.id))


def list_own_courts(actor: User, active_only: bool = False) -> list[Court]:
    """The courts an administrator's organisation's schemes serve (her court list and choices)."""
    return scope.organisation_courts(actor.organisation_id, active_only=active_only)


def own_court(actor: User, court_id: object) -> Court | None:
    """The court with this id when the administrator's organisation serves it; None otherwise."""
    try:
        key = int(str(court_id))
    except ValueError:
        return None
    if key not in scope.organisation_court_ids(actor.organisation_id):
        return None
    return db.session.get(Court, key)


def _default_schemes(actor: User | None) -> list[Scheme]:
    """The schemes a new court joins when none are named: the only scheme of the actor's organisation (or of the
    service's only organisation); none when that cannot be told."""
    try:
        home = organisation_for(actor)
    except ValidationFailed:
        return []
    single = only_scheme(home.id)
    return [single] if single is not None else []
