"""The court re-adjourned: the return date moves, with the reason, and the change is kept (docs/court-dates.md)."""

from __future__ import annotations

import uuid
from datetime import date

from flask_babel import gettext as _

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.dates import out_of_range_message, within_service_years
from diversion.db import transaction
from diversion.errors import InvalidTransition
from diversion.extensions import db
from diversion.referrals.court_dates import CourtDates, check_return_date_day, with_override_reason
from diversion.referrals.models import Referral, ReturnDateChange
from diversion.referrals.versions import check_version, claim_case_version


def change_return_date(
    referral: Referral,
    new_date: date | None,
    reason: str,
    version: int | None,
    actor: User,
    override_reason: str | None = None,
) -> None:
    """The court re-adjourned: move the return date, with the reason, refusing a stale edit. A new return date on a
    weekend, a bank holiday or past the calendar's horizon needs ``override_reason`` (docs/court-dates.md)."""
    errors: dict[str, str] = {}
    if new_date is None:
        errors["return_date"] = _("Enter the new return date")
    elif not within_service_years(new_date):
        errors["return_date"] = out_of_range_message("the new return date")
    elif new_date <= referral.first_hearing_date:
        errors["return_date"] = _("The return date must be after the first hearing")
    elif new_date == referral.return_date:
        errors["return_date"] = _("The new return date is the same as the current one")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Enter the reason the return date changed")
    elif len(reason) > 2000:
        errors["reason"] = _("The reason must be %(max)d characters or fewer", max=2000)
    dates = (
        check_return_date_day(new_date, override_reason, errors, _("the new return date"))
        if new_date is not None
        else CourtDates(errors, [], None)
    )
    dates.raise_if_any()
    if not referral.is_open:
        raise InvalidTransition(_("The return date of a closed case cannot be changed"))
    check_version(referral, version)
    with transaction():
        claim_case_version(referral, version)
        change = ReturnDateChange(
            id=uuid.uuid4(),
            client_id=referral.client_id,
            referral_id=referral.id,
            from_date=referral.return_date,
            to_date=new_date,
            changed_by_id=actor.id,
        )
        # A reason for keeping a warned return date is kept with the reason for the change, encrypted like it.
        change.reason = with_override_reason(reason, dates, "the new return date")
        db.session.add(change)
        referral.return_date = new_date  # type: ignore[assignment]
        record_event(
            "referral.return_date_changed",
            object_type="referral",
            object_id=referral.id,
            case_id=referral.id,
            details={
                "from": change.from_date.isoformat(),
                "to": new_date.isoformat(),  # type: ignore[union-attr]
                **({"return_date_warnings": dates.warning_codes} if dates.warnings else {}),
            },
            actor=actor,
        )
