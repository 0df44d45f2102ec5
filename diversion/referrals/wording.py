"""What she is agreeing to, purpose by purpose, in the words the consent page shows her: versioned, because each
consent ledger line keeps the version of the words it was given on (docs/confirmations.md). A new wording is a new
version beside the old ones, never an edit of one in use."""

from __future__ import annotations

from diversion.referrals.models import ConsentPurpose

CONSENT_WORDINGS: dict[str, dict[ConsentPurpose, str]] = {
    "2026-1": {
        ConsentPurpose.SUPPORT: (
            "I agree to take part in the diversion scheme: to meet a support worker for a needs assessment and to "
            "make a Care Action Plan with them before my return date at court."
        ),
        ConsentPurpose.SHARE_WITH_COURT_CPS: (
            "I agree that the scheme tells the court and the Crown Prosecution Service whether I went to my "
            "appointments and whether I completed the scheme. They are not told what I say in my assessment or "
            "my plan."
        ),
        ConsentPurpose.REMINDERS: (
            "I agree to be sent reminders of my appointments by text message or email. A reminder does not say "
            "what the appointment is for."
        ),
        ConsentPurpose.EQUALITY_MONITORING: (
            "I agree that my ethnic group may be recorded and counted, without my name, in reports on who the "
            "scheme reaches. Saying no changes nothing about my support."
        ),
    },
}


def consent_wording(version: str) -> dict[ConsentPurpose, str]:
    """The words of each purpose in a version of the consent wording."""
    return CONSENT_WORDINGS[version]
