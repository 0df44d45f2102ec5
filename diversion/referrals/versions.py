"""A case's version: a page or request made on the case as it was is refused once someone else changed it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from diversion.db import claim_version
from diversion.errors import Conflict
from diversion.referrals.models import Referral

STALE_MESSAGE = _l("Someone else changed this case while you were working on it. Reload it and try again")


def check_version(referral: Referral, version: int | None) -> None:
    """Conflict when the case changed since the page was shown at ``version``: a page that asks to confirm a decision
    checks before it asks, and the decision checks again when it is confirmed."""
    if version is not None and version != referral.version:
        raise Conflict(str(STALE_MESSAGE))


def claim_case_version(referral: Referral, version: int | None) -> None:
    """The case's next version, claimed against the one the form was shown (a request with none just moves it on)."""
    if version is None:
        referral.version += 1
    else:
        claim_version(referral, version, str(STALE_MESSAGE))
