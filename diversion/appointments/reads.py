"""Reading a case's appointments: every one in order, those that count after rebookings, and those she attended.

The case's state machine (diversion/referrals/states.py) works out progress from these, and the appointment
services change appointments and then ask it to: so the reads live apart from the changes, and neither side
imports the other both ways.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select

from diversion.appointments.models import Appointment, Outcome
from diversion.dates import london_date
from diversion.extensions import db
from diversion.referrals.models import Referral

ATTENDED_VALUES = (Outcome.ATTENDED.value, Outcome.ATTENDED_LATE.value)


@functools.cache
def _appointments_query() -> Any:
    # Built once: every case page reads a case's appointments.
    return (
        select(Appointment)
        .where(Appointment.referral_id == bindparam("referral_id"))
        .order_by(Appointment.number, Appointment.starts_at)
    )


def appointments_of(referral: Referral) -> list[Appointment]:
    """Every appointment of the case, superseded ones too, in order."""
    return list(db.session.scalars(_appointments_query(), {"referral_id": referral.id}))


def current_among(appointments: list[Appointment]) -> list[Appointment]:
    """Of a case's appointments (all of them, in order), those that count: not superseded by a rebooking."""
    superseded = {item.supersedes_id for item in appointments if item.supersedes_id is not None}
    return [item for item in appointments if item.id not in superseded]


def current_appointments(referral: Referral) -> list[Appointment]:
    """The appointments that count: those not superseded by a rebooking."""
    return current_among(appointments_of(referral))


def attended_among(appointments: list[Appointment], return_date: Any) -> set[int]:
    """Of a case's appointments, the numbers she attended (on time or late) before the return date; rebooked
    appointments count too."""
    return {
        item.number
        for item in appointments
        if item.outcome in ATTENDED_VALUES and london_date(item.starts_at) < return_date
    }


def attended_numbers(referral: Referral) -> set[int]:
    """Appointment numbers she attended before the return date."""
    return attended_among(appointments_of(referral), referral.return_date)
