"""Checking an email address wherever one is typed: a user's account (the admin pages and ``users create``) and a
client's contact details (the referral form and the API).

The address is checked by its shape only (email-validator, without a DNS look-up: the server may have no network and
a look-up would tell a resolver whom the service writes to). An address the check refuses is never stored, so an
address such as ``=HYPERLINK(...)@x.example`` cannot reach a page or an export as one (exports also neutralise it:
diversion/exports.py)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

FORMAT_MESSAGE = "Enter an email address in the correct format, like name@example.org"
MAX_LENGTH = 254


class InvalidEmail(ValueError):
    """The text is not an email address; its message is the one to show (it never quotes the address)."""


def checked_email(text: str) -> str:
    """The address in its normal form (the domain lower-cased), or InvalidEmail."""
    candidate = (text or "").strip()
    if not candidate or len(candidate) > MAX_LENGTH:
        raise InvalidEmail(FORMAT_MESSAGE)
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidEmail(FORMAT_MESSAGE) from None
