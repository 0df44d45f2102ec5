"""Who may do what: named rules declared on every route, and object loaders that 404 before they 403.

Every view carries a rule, set by ``@requires(RULE)`` directly under ``@bp.route`` or by ``@public``. A request to an
endpoint without a rule is refused (default deny), and a test walks ``app.url_map`` to find any that slipped through.

The case loader notes what it hands out for the audit of reads (diversion/audit/reads.py), and ``requires`` drops
those notes when the view ends in an error, whose answer shows none of it: views never audit their own reads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user  # type: ignore[import-untyped]

from diversion.audit import reads
from diversion.auth.models import Role

if TYPE_CHECKING:
    from diversion.auth.models import User
    from diversion.referrals.models import Referral
from diversion.auth.next_page import next_for

F = TypeVar("F", bound=Callable[..., Any])

ALL_ROLES = frozenset(Role)

# Each rule names the roles that pass it. Support content (client records, assessment, plan, notes) is only ever
# behind a rule without court, cps and admin: separation of duties keeps the administrator out of case files.
RULES: dict[str, frozenset[Role]] = {
    "signed_in": ALL_ROLES,
    "admin": frozenset({Role.ADMIN}),
    "client_records": frozenset({Role.WORKER, Role.MANAGER}),
    "case_management": frozenset({Role.MANAGER}),
    # Reversing a decline or withdrawal made in error (docs/reversals.md).
    "reverse_decisions": frozenset({Role.MANAGER}),
    "referral_status": frozenset({Role.WORKER, Role.MANAGER, Role.COURT, Role.CPS}),
    # Shown in the navigation only to partners: support staff have the caseload.
    "partner_status": frozenset({Role.COURT, Role.CPS}),
    "make_referral": frozenset({Role.WORKER, Role.MANAGER, Role.COURT}),
    "notices": frozenset({Role.MANAGER, Role.COURT, Role.CPS}),
    "cps_decisions": frozenset({Role.CPS}),
    "completion_reports": frozenset({Role.MANAGER, Role.COURT, Role.CPS}),
    "audit_log": frozenset({Role.MANAGER}),
    # Funded-outcome figures, their drill-down to cases, the funder return and its exports.
    "outcome_reports": frozenset({Role.MANAGER}),
    # Court and CPS users choose whether to be emailed when an outcome notice is made.
    "notice_emails": frozenset({Role.COURT, Role.CPS}),
    # Court and CPS users subscribe their own systems to events (docs/webhooks.md).
    "webhooks": frozenset({Role.COURT, Role.CPS}),
    # Retention, legal holds, subject access exports, erasure requests and the consent wordings she is read: the
    # service manager's duties.
    "data_protection": frozenset({Role.MANAGER}),
    # The list of the agency's venues where appointments are held: the manager keeps it (workers choose from it).
    "venues": frozenset({Role.MANAGER}),
    # A scheme's programme (appointments, deadlines, reminders, retention, consent wordings): the manager keeps it;
    # each change is a new version (docs/organisations.md).
    "programme": frozenset({Role.MANAGER}),
    # The platform operator adds organisations and their first administrator, and opens no case.
    "platform": frozenset({Role.OPERATOR}),
}

# Rules that are not about roles: open to anyone, or to someone halfway through signing in.
PUBLIC = "public"
LOGIN_IN_PROGRESS = "login_in_progress"
SPECIAL_RULES = frozenset({PUBLIC, LOGIN_IN_PROGRESS})

# Endpoints Flask or extensions register without a view of ours. Everything else must declare a rule.
PUBLIC_ENDPOINTS = frozenset({"static"})

RULE_ATTRIBUTE = "permission_rule"


def allows(role: Role | str, rule: str) -> bool:
    """True when the role passes the named rule."""
    return Role(role) in RULES[rule]


def rule_of(view: Callable[..., Any] | None) -> str | None:
    """The rule declared on a view function, or None."""
    return getattr(view, RULE_ATTRIBUTE, None) if view is not None else None


def _wants_json() -> bool:
    # The API, the page's own session checks (/session/...) and its draft autosave, which must learn "signed out"
    # as a 401 and never follow a redirect to the sign-in page (docs/sessions.md): one rule, in diversion.errors.
    from diversion.errors import is_api_request

    return is_api_request()


def user_allows(user: Any, rule: str) -> bool:
    """True when this user passes ``rule``: their role does, and for anything beyond being signed in their account
    is not waiting for a manager to confirm it (see ``User.confirmation_needed_at``)."""
    if not allows(user.role, rule):
        return False
    return rule == "signed_in" or getattr(user, "confirmation_needed_at", None) is None


def awaiting_confirmation() -> Any:
    """Refuse a page or API call to an account waiting for a manager's confirmation, saying why: a page that tells
    them to ask a manager, or the API's JSON error. Nothing of the record they asked for is read."""
    from flask import render_template

    from diversion.errors import json_error

    if _wants_json():
        return json_error(403, AWAITING_CONFIRMATION)
    return render_template("auth/awaiting_confirmation.html"), 403


# What an account waiting for a manager is told when it asks for anything with client data (docs/people.md).
AWAITING_CONFIRMATION = "A manager must confirm this account before it can open any record."


def requires(rule: str) -> Callable[[F], F]:
    """Declare that a route needs a signed-in user whose role passes ``rule``. Put it right under ``@bp.route``."""
    if rule not in RULES:
        raise ValueError(f"Unknown permission rule {rule!r}")

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if _wants_json():
                    abort(401)
                # Back to this page once she has signed in again (a path on this site only, docs/sessions.md).
                return redirect(url_for("auth.login", next=next_for(request)))
            if not user_allows(current_user, rule):
                if allows(current_user.role, rule):
                    return awaiting_confirmation()
                abort(403)
            try:
                return view(*args, **kwargs)
            except Exception as error:
                reads.answered_by_error(error)
                raise

        setattr(wrapper, RULE_ATTRIBUTE, rule)
        return wrapper  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    """Declare a route open to anyone, signed in or not (login, health, assets)."""
    setattr(view, RULE_ATTRIBUTE, PUBLIC)
    return view


def login_in_progress(view: F) -> F:
    """Declare a route of the sign-in journey after the password (second factor, enrolment); the view checks state."""
    setattr(view, RULE_ATTRIBUTE, LOGIN_IN_PROGRESS)
    return view


def enforce_declared_rule() -> None:
    """Default deny: refuse any endpoint whose view declares no rule (before_request)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return
    view = current_app.view_functions.get(endpoint)
    if rule_of(view) is None:
        current_app.logger.error("endpoint without a permission rule refused", extra={"endpoint": endpoint})
        abort(403)


def current_actor() -> User:
    """The signed-in user as a model instance, not the request's proxy: what services record as the actor (and
    what the audit compares and stores). Only for a view behind a role rule, where someone is signed in."""
    return cast("User", current_user._get_current_object())


def current_role() -> Role | None:
    """The signed-in user's role, or None."""
    return Role(current_user.role) if current_user.is_authenticated else None


def load_or_404(model: type[Any], object_id: Any) -> Any:
    """Load a record by primary key or answer 404. Scoped loaders build on this in each domain."""
    from diversion.extensions import db

    try:
        # Coerce to the key's type first: a malformed id must be a 404 here, not a database error (on PostgreSQL it
        # would also abort the transaction).
        key_type = model.__mapper__.primary_key[0].type.python_type
        if not isinstance(object_id, key_type):
            object_id = key_type(str(object_id))
        obj = db.session.get(model, object_id)
    except (ValueError, TypeError):
        obj = None
    if obj is None:
        abort(404)
    return obj


def load_case(referral_id: Any, *, shown: bool = True) -> Referral:
    """A case for the signed-in user: 404 when it does not exist or is outside what she may see (another
    organisation, scheme or court), so an address with another's id tells her nothing. Role rules are checked on
    the route first. In a scheme where a support worker opens only her own and unassigned cases, a colleague's case
    raises ``ReasonRequired`` until she has given a reason today (docs/organisations.md, "Need to know"), before
    anything of it is handed out.

    The whole record is handed out, so its read is noted for the audit (``full``), with the grant it came through,
    if any. ``shown=False`` is for a request that answers nothing of the case (a draft's autosave checks only that
    she may open it)."""
    from diversion.referrals.need_to_know import check_opening

    referral = case_in_scope(referral_id)
    grant = check_opening(current_actor(), referral)
    if shown:
        reads.note([referral.id], reads.FULL)
        if grant is not None:
            reads.through_grant(referral.id, grant)
    return referral


def case_in_scope(referral_id: Any) -> Referral:
    """A case inside what the signed-in user may see, or 404, without the need-to-know question and noting no read:
    for the page that asks her reason, which shows only the case's status and notes that read
    (``need_to_know.status_shown``). Every other page loads a case with ``load_case``."""
    from diversion.referrals.models import Referral
    from diversion.scoping import may_see

    referral: Referral = load_or_404(Referral, referral_id)
    # Outside what she may see (another organisation, scheme or court) is answered as if it did not exist
    # (diversion/scoping.py).
    if not may_see(current_actor(), referral):
        abort(404)
    return referral
