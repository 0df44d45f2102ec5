"""Reminder lead times: when a reminder goes, relative to the appointment it is for. Each scheme's programme says
which (diversion/referrals/programme.py); the planner reads them from the case's programme version
(diversion/notifications/reminders.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from diversion.dates import clock_time, from_london, london_date

_LEAD = re.compile(
    r"^(?:(?P<days>\d{1,2})d@(?P<hour>\d{2}):(?P<minute>\d{2})|(?P<hours>\d{1,3})h|(?P<minutes>\d{1,4})m)$"
)


@dataclass(frozen=True)
class LeadTime:
    """When a reminder goes, relative to the appointment: a number of days before at a London time, or a span."""

    code: str
    days: int | None = None
    at: time | None = None
    before: timedelta | None = None

    @classmethod
    def parse(cls, code: str) -> LeadTime:
        """'1d@10:00' (the day before at 10:00), '2h' or '90m'; ValueError for anything else."""
        match = _LEAD.match(code.strip())
        if not match:
            raise ValueError(f"Unreadable reminder lead time {code!r}: use forms like 1d@10:00, 2h or 90m")
        if match["days"] is not None:
            hour, minute = int(match["hour"]), int(match["minute"])
            if hour > 23 or minute > 59:
                raise ValueError(f"Unreadable reminder lead time {code!r}: use forms like 1d@10:00, 2h or 90m")
            return cls(code.strip(), days=int(match["days"]), at=time(hour, minute))
        span = (
            timedelta(hours=int(match["hours"]))
            if match["hours"] is not None
            else timedelta(minutes=int(match["minutes"]))
        )
        if span <= timedelta(0):
            raise ValueError(f"Unreadable reminder lead time {code!r}: use forms like 1d@10:00, 2h or 90m")
        return cls(code.strip(), before=span)

    def due_at(self, starts_at: datetime) -> datetime:
        """When the reminder for an appointment starting then is due, in UTC."""
        if self.before is not None:
            return starts_at - self.before
        day = london_date(starts_at) - timedelta(days=self.days or 0)
        return from_london(day, self.at or time(10))

    @property
    def reach(self) -> timedelta:
        """How far ahead of an appointment this reminder can fall, at most."""
        return timedelta(days=self.days + 1) if self.days is not None else self.before or timedelta(0)

    @property
    def label(self) -> str:
        """The lead time as a manager reads it: "the day before at 10am", "2 hours before"."""
        if self.days is not None:
            before = {0: "the same day", 1: "the day before"}.get(self.days, f"{self.days} days before")
            return f"{before} at {clock_time(self.at or time(10))}"
        minutes = int((self.before or timedelta(0)).total_seconds() // 60)
        if minutes % 60 == 0:
            hours = minutes // 60
            return f"{hours} hour{'' if hours == 1 else 's'} before"
        return f"{minutes} minutes before"
