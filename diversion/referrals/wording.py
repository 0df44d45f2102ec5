"""The register of consent wordings: what she is agreeing to, purpose by purpose, in the words the consent page reads
her. Each purpose has numbered versions; the current one is the highest. A manager publishes a new version beside the
old ones, which are kept and never edited (``ConsentWording`` refuses a change), because each consent ledger line
points at the version she was read (docs/privacy.md, "Consent"). The first versions were seeded by the migration that
made the register, with the words the page showed before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.dates import today
from diversion.db import transaction
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.referrals.models import ConsentPurpose, ConsentWording, in_a_sentence

MAX_WORDING = 2000


class WordingChanged(Conflict):
    """A new version of a purpose's wording was published after the page read her the old one: nothing is recorded,
    and the page reads her the new words and asks again."""

    code = "wording_changed"

    def __init__(self, purposes: tuple[ConsentPurpose, ...]) -> None:
        names = ", ".join(in_a_sentence(purpose.label) for purpose in purposes)
        super().__init__(
            f"The wording changed while she was reading it ({names}): read her the new wording and ask her again. "
            "Nothing was recorded."
        )
        self.purposes = purposes


def current_wordings() -> dict[ConsentPurpose, ConsentWording]:
    """The wording in use for each purpose: its highest-numbered version."""
    latest = (
        select(ConsentWording.purpose, func.max(ConsentWording.number).label("number"))
        .group_by(ConsentWording.purpose)
        .subquery()
    )
    rows = db.session.scalars(
        select(ConsentWording).join(
            latest, (ConsentWording.purpose == latest.c.purpose) & (ConsentWording.number == latest.c.number)
        )
    ).all()
    found = {ConsentPurpose(row.purpose): row for row in rows}
    # The migration seeds a first version of every purpose, so one missing is a broken database, not bad input.
    return {purpose: found[purpose] for purpose in ConsentPurpose}


def current_wording(purpose: ConsentPurpose) -> ConsentWording:
    """The wording in use for one purpose."""
    return current_wordings()[purpose]


def versions_of(purpose: ConsentPurpose) -> list[ConsentWording]:
    """Every version of a purpose's wording, newest first."""
    return list(
        db.session.scalars(
            select(ConsentWording).where(ConsentWording.purpose == purpose.value).order_by(ConsentWording.number.desc())
        )
    )


def wording_named(purpose: ConsentPurpose, version: str | None) -> ConsentWording:
    """The version of a purpose's wording that an API client names (None: the current one). A version the register
    does not hold for this purpose is refused: the ledger records only words that exist."""
    if version is None:
        return current_wording(purpose)
    found = db.session.scalar(
        select(ConsentWording).where(ConsentWording.purpose == purpose.value, ConsentWording.version == version)
    )
    if found is None:
        current = current_wording(purpose)
        raise ValidationFailed.on(
            "wording_version",
            f"No wording of this purpose has that version: the current one is {current.version}",
        )
    return found


def refuse_changed(shown: dict[ConsentPurpose, int | None]) -> None:
    """WordingChanged when any purpose's wording shown (by id) is no longer the current one."""
    current = current_wordings()
    changed = tuple(purpose for purpose, wording_id in shown.items() if current[purpose].id != wording_id)
    if changed:
        raise WordingChanged(changed)


@dataclass(frozen=True)
class NewWording:
    """A wording checked and ready to publish: what the preview shows."""

    purpose: ConsentPurpose
    text: str
    version: str
    replaces: ConsentWording


def _choose_purpose(value: str | None) -> ConsentPurpose:
    try:
        return ConsentPurpose(value or "")
    except ValueError:
        raise ValidationFailed.on("purpose", "Select which purpose the wording is for") from None


def check_wording(purpose: str | None, text: str | None, based_on: int | None) -> NewWording:
    """A new version as it would be published, or ValidationFailed or Conflict; changes nothing.

    ``based_on`` is the id of the current version the manager was shown when she started writing: when another
    version was published since, hers would silently replace words she has not read, so it is refused."""
    chosen = _choose_purpose(purpose)
    words = " ".join((text or "").split())
    if not words:
        raise ValidationFailed.on("text", "Enter the wording she will be read")
    if len(words) > MAX_WORDING:
        raise ValidationFailed.on("text", f"The wording must be {MAX_WORDING} characters or fewer")
    current = current_wording(chosen)
    if based_on is not None and based_on != current.id:
        raise Conflict(
            f"A new version of this wording ({current.version}) was published while you were writing: "
            "read it, then write yours again"
        )
    if words == current.text:
        raise ValidationFailed.on("text", "This is the wording in use now: change it to publish a new version")
    number = current.number + 1
    return NewWording(chosen, words, f"{today().year}-{number}", current)


def publish_wording(purpose: str | None, text: str | None, actor: User, *, based_on: int | None) -> ConsentWording:
    """Publish a new version of a purpose's wording: from now on the consent page reads her these words. The old
    versions stay as they are (there is no edit: ``ConsentWording`` refuses one)."""
    new = check_wording(purpose, text, based_on)
    try:
        with transaction():
            wording = ConsentWording(
                purpose=new.purpose.value,
                number=new.replaces.number + 1,
                version=new.version,
                text=new.text,
                published_by_id=actor.id,
            )
            db.session.add(wording)
            db.session.flush()
            record_event(
                "consent_wording.published",
                object_type="consent_wording",
                object_id=wording.id,
                details={"purpose": new.purpose.value, "version": new.version, "replaces": new.replaces.version},
                actor=actor,
            )
    except IntegrityError:
        # Two managers published the same purpose at once: the unique number lets one through.
        raise Conflict(
            "A new version of this wording was published at the same time: read it, then try again"
        ) from None
    return wording
