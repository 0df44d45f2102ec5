"""Court dates a court would accept: the rules for a referral's first hearing and return date, shared by the web
forms and the API through the referral services (docs/court-dates.md).

- A new referral's return date is after today, unless a manager records a past case: an explicit choice, audited.
- Its first hearing is today or in the last 90 days (a past case's may be older), never in the future.
- A return date on a weekend or a bank holiday in England and Wales, or past the calendar's horizon, warns: it is
  taken only with a reason, as an appointment booking is (docs/calendar.md).
- Every date is from 1900 to 2100.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion.auth.models import Role, User
from diversion.dates import (
    horizon_warning,
    is_working_day,
    long_date,
    out_of_range_message,
    within_service_years,
)
from diversion.errors import Forbidden, ValidationFailed

FIRST_HEARING_WITHIN_DAYS = 90
MAX_OVERRIDE_REASON = 200
PAST_CASE_FORBIDDEN = _l("Only a manager can record a past case")


class ReturnDateNeedsReason(ValidationFailed):
    """The return date is a real date but falls on a weekend, a bank holiday or past the calendar's horizon: it is
    taken only with a reason (``override_reason``). ``warnings`` say why, naming the date; other problems with the
    referral, if any, are in ``fields`` beside it."""

    def __init__(self, warnings: list[str], fields: dict[str, str]) -> None:
        super().__init__(next(iter(fields.values())), fields)
        self.warnings = warnings


def day_in_words(day: date) -> str:
    """Sunday 27 December 2026."""
    return long_date(day, weekday=True)


def return_date_warnings(day: date, what: str | None = None) -> list[tuple[str, str]]:
    """Why a return date needs a second thought, as (code, sentence naming the date): a weekend day, a bank holiday
    in England and Wales, or a day past the calendar's horizon (whose bank holidays are not known yet)."""
    what = what or _("the return date")
    subject = f"{what[:1].upper()}{what[1:]}"
    named = day_in_words(day)
    warnings = []
    if day.weekday() >= 5:
        warnings.append(("weekend", _("%(what)s, %(day)s, is a weekend day.", what=subject, day=named)))
    elif not is_working_day(day):
        warnings.append(
            ("bank_holiday", _("%(what)s, %(day)s, is a bank holiday in England and Wales.", what=subject, day=named))
        )
    beyond = horizon_warning(day)
    if beyond:
        warnings.append(("beyond_horizon", _("%(warning)s: check %(what)s is not one.", warning=beyond, what=what)))
    return warnings


def needs_reason_message(warnings: list[tuple[str, str]]) -> str:
    """The refusal of a warned return date given without a reason."""
    said = " ".join(sentence for _code, sentence in warnings)
    return _("%(warnings)s Give a reason to keep this return date, or change it.", warnings=said)


@dataclass
class CourtDates:
    """The checked dates' findings: problems by field, warnings about the return date, and the override reason."""

    errors: dict[str, str]
    warnings: list[tuple[str, str]]
    override_reason: str | None

    @property
    def warning_codes(self) -> list[str]:
        """The warnings as codes, for the audit event."""
        return [code for code, _sentence in self.warnings]

    def raise_if_any(self) -> None:
        """ValidationFailed naming every field that is wrong; ReturnDateNeedsReason when a warned return date came
        without a reason (with the other problems beside it)."""
        if self.warnings and not self.override_reason and "override_reason" not in self.errors:
            fields = {**self.errors, "override_reason": needs_reason_message(self.warnings)}
            raise ReturnDateNeedsReason([sentence for _code, sentence in self.warnings], fields)
        if self.errors:
            raise ValidationFailed(next(iter(self.errors.values())), self.errors)


def clean_override_reason(reason: str | None, errors: dict[str, str]) -> str | None:
    """The reason for keeping a warned return date, stripped; too long is a problem on ``override_reason``."""
    reason = (reason or "").strip()
    if len(reason) > MAX_OVERRIDE_REASON:
        errors["override_reason"] = _("The reason must be %(max)d characters or fewer", max=MAX_OVERRIDE_REASON)
        return None
    return reason or None


def check_return_date_day(
    day: date, override_reason: str | None, errors: dict[str, str], what: str | None = None
) -> CourtDates:
    """The warnings for a return date that is otherwise acceptable, with the reason given for keeping it."""
    reason = clean_override_reason(override_reason, errors)
    warnings = return_date_warnings(day, what) if "return_date" not in errors else []
    return CourtDates(errors, warnings, reason)


def check_intake_dates(
    first_hearing: date | None,
    return_date: date | None,
    *,
    on: date,
    past_case: bool,
    override_reason: str | None,
    actor: User,
    errors: dict[str, str],
) -> CourtDates:
    """A new referral's first hearing and return date, on the day ``on``, their problems added to ``errors`` (the
    referral's other fields' too). ``past_case`` is a manager's choice to record a case whose return date is today
    or has passed; anyone else making it is refused (Forbidden)."""
    if past_case and actor.role != Role.MANAGER:
        raise Forbidden(str(PAST_CASE_FORBIDDEN))
    if first_hearing is None:
        errors["first_hearing_date"] = _("Enter the first hearing date")
    elif not within_service_years(first_hearing):
        errors["first_hearing_date"] = out_of_range_message(_("the first hearing date"))
    elif first_hearing > on:
        errors["first_hearing_date"] = _("The first hearing date must be today or in the past")
    elif not past_case and first_hearing < on - timedelta(days=FIRST_HEARING_WITHIN_DAYS):
        errors["first_hearing_date"] = _(
            "The first hearing date must be in the last %(days)d days, on or after %(date)s",
            days=FIRST_HEARING_WITHIN_DAYS,
            date=long_date(on - timedelta(days=FIRST_HEARING_WITHIN_DAYS)),
        )
    if return_date is None:
        errors["return_date"] = _("Enter the return date")
    elif not within_service_years(return_date):
        errors["return_date"] = out_of_range_message(_("the return date"))
    elif first_hearing is not None and return_date <= first_hearing:
        errors["return_date"] = _("The return date must be after the first hearing")
    elif return_date <= on and not past_case:
        errors["return_date"] = (
            _("The return date must be in the future. Only a manager can record a past case")
            if actor.role != Role.MANAGER
            else _("The return date must be in the future, or choose that this is a past case")
        )
    elif return_date > on and past_case:
        errors["past_case"] = _("The return date is in the future, so this is not a past case: do not choose it")
    if return_date is None:
        return CourtDates(errors, [], None)
    return check_return_date_day(return_date, override_reason, errors)


_WARNING_WORDS = {
    "weekend": "a weekend day",
    "bank_holiday": "a bank holiday",
    "beyond_horizon": "a day whose bank holidays are not known yet",
}


def with_override_reason(text: str | None, dates: CourtDates, what: str = "the return date") -> str | None:
    """``text`` with the reason for keeping a warned return date after it, so that the reason is kept (encrypted
    with the text it joins) beside what it explains; ``text`` itself when there was no warning."""
    if not dates.warnings or not dates.override_reason:
        return text
    kinds = " and ".join(_WARNING_WORDS[code] for code in dates.warning_codes)
    line = f"Why {what} stands on {kinds}: {dates.override_reason}"
    return f"{text}\n\n{line}" if text else line
