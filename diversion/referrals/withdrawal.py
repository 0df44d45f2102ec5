"""She leaves the scheme: the case is withdrawn, and the court and CPS will be told it proceeds."""

from __future__ import annotations

from flask_babel import gettext as _

from diversion.auth.models import User
from diversion.db import transaction
from diversion.errors import InvalidTransition, ValidationFailed
from diversion.referrals.models import Referral, State
from diversion.referrals.states import change_state
from diversion.referrals.versions import check_version, claim_case_version


def check_withdrawal(referral: Referral, reason: str) -> str:
    """The reason, cleaned, when the case may be withdrawn with it; ValidationFailed or InvalidTransition when not.
    Saves nothing: the withdrawal page checks before it asks to confirm."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", _("Enter why she is withdrawing"))
    if len(reason) > 2000:
        raise ValidationFailed.on("reason", _("The reason must be %(max)d characters or fewer", max=2000))
    if not referral.is_open:
        raise InvalidTransition(
            _("A case that is %(state)s cannot be withdrawn", state=referral.state_enum.label.lower())
        )
    return reason


def withdraw(referral: Referral, reason: str, actor: User, *, version: int | None = None) -> None:
    """She leaves the scheme: the case is withdrawn and the court and CPS will be told it proceeds. With ``version``
    (the case's version the page was shown), a case changed since is refused with Conflict."""
    reason = check_withdrawal(referral, reason)
    check_version(referral, version)
    with transaction():
        if version is not None:
            claim_case_version(referral, version)
        referral.withdrawal_reason = reason
        change_state(referral, State.WITHDRAWN, actor=actor)
