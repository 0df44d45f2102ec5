"""Who works a case: a manager gives it to anyone, a support worker takes one that has no worker."""

from __future__ import annotations

from flask_babel import gettext as _

from diversion.audit.services import record_event
from diversion.auth.models import Role, User
from diversion.db import transaction
from diversion.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from diversion.referrals.models import Referral
from diversion.referrals.reads import works_in
from diversion.referrals.versions import check_version, claim_case_version


def assign_worker(referral: Referral, worker: User | None, version: int | None, actor: User) -> None:
    """Give an open case to a support worker or manager, or to no one. Managers reassign any case; a support worker
    may only take a case that has no worker (one referred by the court, say) for herself."""
    if worker is not None and (not works_in(worker, referral.scheme_id) or worker.is_disabled):
        # Only the case's own scheme's people: nobody of another scheme or organisation (docs/organisations.md).
        raise ValidationFailed.on(
            "worker", _("Choose a support worker or manager of this scheme whose account is active")
        )
    if not referral.is_open:
        raise InvalidTransition(_("A closed case cannot be given to another worker"))
    if actor.role != Role.MANAGER:
        if worker is None or worker.id != actor.id:
            raise Forbidden(_("Only a manager can give a case to someone else"))
        if referral.assigned_worker_id not in (None, actor.id):
            raise Conflict(_("Another support worker has taken this case"))
    if worker is not None and referral.assigned_worker_id == worker.id:
        return
    check_version(referral, version)
    with transaction():
        claim_case_version(referral, version)
        referral.assigned_worker_id = worker.id if worker else None
        record_event(
            "referral.assigned",
            object_type="referral",
            object_id=referral.id,
            case_id=referral.id,
            details={"worker": str(worker.id) if worker else None},
            actor=actor,
        )
