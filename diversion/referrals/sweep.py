"""The daily sweep: open cases whose return date has passed become not completed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from diversion.dates import today
from diversion.db import transaction
from diversion.extensions import db
from diversion.referrals.models import OPEN_STATES, Referral, State
from diversion.referrals.states import change_state


def sweep_passed_return_dates(on: date | None = None) -> int:
    """Open cases whose return date has passed become not completed (the outcome notice follows). Running it
    again changes nothing more. Returns how many cases moved."""
    on = on or today()
    moved = 0
    ids = db.session.scalars(
        select(Referral.id).where(Referral.state.in_([state.value for state in OPEN_STATES]), Referral.return_date < on)
    ).all()
    for referral_id in ids:
        with transaction():
            # Re-read under the transaction: another sweep may have got there first.
            referral = db.session.scalars(
                select(Referral)
                .where(Referral.id == referral_id)
                .with_for_update(of=Referral)
                .execution_options(populate_existing=True)
            ).first()
            if referral is None or not referral.is_open or referral.return_date >= on:
                continue
            change_state(referral, State.NOT_COMPLETED, on=referral.return_date)
            moved += 1
    return moved
