"""The consent wordings: what she is agreeing to, purpose by purpose, in the words the consent page reads her.

Each scheme keeps its own register. A purpose's wording has numbered versions; a manager publishes a new one by
changing it on the scheme's programme screen (diversion/organisations/programme_views.py), which saves a new version
of the programme naming it. Old wordings are kept and never edited (``ConsentWording`` refuses a change), because each
consent ledger line points at the version she was read (docs/privacy.md, "Consent").

A case reads her the wordings its programme version names, the version it started under, whatever the scheme
publishes later (docs/organisations.md, "Programmes"). The first scheme's first versions were seeded by the migration
that made the register, with the words the page showed before it; a scheme added since starts from the same words
(``FIRST_WORDINGS``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from diversion.audit.services import record_event
from diversion.dates import today
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.referrals.models import ConsentPurpose, ConsentWording, in_a_sentence
from diversion.referrals.programme import Programme, programme_for, scheme_programme

if TYPE_CHECKING:
    from diversion.referrals.models import Referral

MAX_WORDING = 2000

# The first edition's words, which a new scheme starts from (the first scheme's were seeded by the migration that
# made the register, with these same words).
FIRST_WORDINGS = {
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
}


class WordingChanged(Conflict):
    """The page read her other words than the case's wording of a purpose: nothing is recorded, and the page reads
    her the case's words and asks again."""

    code = "wording_changed"

    def __init__(self, purposes: tuple[ConsentPurpose, ...]) -> None:
        names = ", ".join(in_a_sentence(purpose.label) for purpose in purposes)
        super().__init__(
            _(
                "The wording changed while she was reading it (%(names)s): read her the new wording and ask her "
                "again. Nothing was recorded.",
                names=names,
            )
        )
        self.purposes = purposes


def wordings_of(programme: Programme) -> dict[ConsentPurpose, ConsentWording]:
    """The wording of each purpose that a programme version names, in one query."""
    ids = {ConsentPurpose(purpose): wording_id for purpose, wording_id in programme.consent_wordings}
    rows = {
        row.id: row for row in db.session.scalars(select(ConsentWording).where(ConsentWording.id.in_(ids.values())))
    }
    # Every saved version names all four (organisations.services completes them), so one missing is a broken
    # database, not bad input.
    return {purpose: rows[ids[purpose]] for purpose in ConsentPurpose}


def case_wordings(referral: Referral) -> dict[ConsentPurpose, ConsentWording]:
    """The words a case reads her: those of the programme version it started under."""
    return wordings_of(programme_for(referral))


def scheme_wordings(scheme_id: int) -> dict[ConsentPurpose, ConsentWording]:
    """The words a scheme's new cases read her: those of its current programme version."""
    return wordings_of(scheme_programme(scheme_id))


def versions_of(purpose: ConsentPurpose, scheme_id: int) -> list[ConsentWording]:
    """Every version of a purpose's wording in a scheme, newest first."""
    return list(
        db.session.scalars(
            select(ConsentWording)
            .where(ConsentWording.scheme_id == scheme_id, ConsentWording.purpose == purpose.value)
            .order_by(ConsentWording.number.desc())
        )
    )


def wording_named(referral: Referral, purpose: ConsentPurpose, version: str | None) -> ConsentWording:
    """The version of a purpose's wording, in the case's scheme, that an API client names (None: the case's). A
    version the scheme's register does not hold for this purpose is refused: the ledger records only words that
    exist."""
    own = case_wordings(referral)[purpose]
    if version is None:
        return own
    found = db.session.scalar(
        select(ConsentWording).where(
            ConsentWording.scheme_id == referral.scheme_id,
            ConsentWording.purpose == purpose.value,
            ConsentWording.version == version,
        )
    )
    if found is None:
        raise ValidationFailed.on(
            "wording_version",
            _("No wording of this purpose has that version: the case's is %(version)s", version=own.version),
        )
    return found


def refuse_changed(referral: Referral, shown: dict[ConsentPurpose, int | None]) -> None:
    """WordingChanged when any purpose's wording shown (by id) is not the case's wording of that purpose."""
    own = case_wordings(referral)
    changed = tuple(purpose for purpose, wording_id in shown.items() if own[purpose].id != wording_id)
    if changed:
        raise WordingChanged(changed)


def check_text(purpose: ConsentPurpose, text: str | None) -> str:
    """A wording as typed, its spacing tidied, or ValidationFailed on the purpose's field."""
    words = " ".join((text or "").split())
    if not words:
        raise ValidationFailed.on(
            f"wording_{purpose.value}", _("Enter the wording she is read for %(purpose)s", purpose=_lower(purpose))
        )
    if len(words) > MAX_WORDING:
        raise ValidationFailed.on(
            f"wording_{purpose.value}",
            _(
                "The wording for %(purpose)s must be %(max)d characters or fewer",
                purpose=_lower(purpose),
                max=MAX_WORDING,
            ),
        )
    return words


def _lower(purpose: ConsentPurpose) -> str:
    return in_a_sentence(purpose.label)


def publish(
    scheme_id: int, purpose: ConsentPurpose, text: str, actor: Any, replaces: ConsentWording | None
) -> ConsentWording:
    """A new version of a purpose's wording in a scheme, named by the year and its number ("2027-3"), and its audit
    event (flush only: the caller holds the transaction, and saves the programme version that names it)."""
    number = (
        db.session.scalar(
            select(func.max(ConsentWording.number)).where(
                ConsentWording.scheme_id == scheme_id, ConsentWording.purpose == purpose.value
            )
        )
        or 0
    ) + 1
    wording = ConsentWording(
        scheme_id=scheme_id,
        purpose=purpose.value,
        number=number,
        version=f"{today().year}-{number}",
        text=text,
        published_by_id=getattr(actor, "id", None),
    )
    db.session.add(wording)
    db.session.flush()
    record_event(
        "consent_wording.published",
        object_type="consent_wording",
        object_id=wording.id,
        details={
            "scheme_id": scheme_id,
            "purpose": purpose.value,
            "version": wording.version,
            "replaces": replaces.version if replaces is not None else None,
        },
        actor=actor,
    )
    return wording
