"""Role-shaped reads of cases, each noted for the audit of reads.

Court and CPS users may see the status of a case and nothing more (docs/design.md section 2): name, date of birth, URN,
dates, state, and appointment numbers, times and outcomes. The queries here for those roles load only those
columns, with every other column set to raise if touched, so contact details, notes, assessment and plan are never
read from the database for them, not merely left out of the answer. Support staff read whole records through the
ordinary loaders.

Each function that hands out decrypted case fields notes the cases it returns (diversion/audit/reads.py): once the
request has answered with them, one ``case.viewed`` event per case is written, so no page or API call audits its
own reads, and none can forget to.

Her name and date of birth reach court and CPS users only through ``identities``: once she has refused or withdrawn
her consent to share with the court and the CPS, they get a placeholder instead (URN, court, dates, state and the
notice stay), and a search by name and date of birth no longer finds the case for them. Support staff see her
identity whatever that consent says.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import joinedload, load_only, raiseload

from diversion import keyset, scoping
from diversion.appointments.models import Appointment
from diversion.audit import reads
from diversion.auth.models import Role, User
from diversion.clients.models import Client
from diversion.clients.services import name_dob_indexes
from diversion.courts.models import Court
from diversion.crypto.blind import URN_PURPOSE, normalise_text, search_index_keys, urn_index
from diversion.crypto.fields import is_unreadable
from diversion.extensions import db
from diversion.keyring import key_provider, keyring
from diversion.keyset import CURSOR_PATTERN, Cursor  # noqa: F401 - the lists' cursor, named here by their callers
from diversion.referrals import need_to_know
from diversion.referrals.models import Consent, ConsentPurpose, Referral, State

# What court and CPS users may see, column by column. Anything not named here is never loaded for them.
STATUS_REFERRAL_COLUMNS = (
    Referral.id,
    Referral.client_id,
    Referral.court_id,
    Referral.state,
    Referral.first_hearing_date,
    Referral.return_date,
    Referral.outcome_date,
    Referral.version,
    Referral.created_at,
    Referral._urn,  # type: ignore[attr-defined]
)
STATUS_CLIENT_COLUMNS = (
    Client.id,
    Client.erased_at,
    Client._given_name,  # type: ignore[attr-defined]
    Client._family_name,  # type: ignore[attr-defined]
    Client._date_of_birth,  # type: ignore[attr-defined]
)
STATUS_COURT_COLUMNS = (Court.id, Court.code, Court.name)
STATUS_APPOINTMENT_COLUMNS = (
    Appointment.id,
    Appointment.referral_id,
    Appointment.client_id,
    Appointment.number,
    Appointment.starts_at,
    Appointment.outcome,
    Appointment.supersedes_id,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100

# Court and CPS users: who loses sight of her identity when she withdraws consent to share with them.
PARTNER_ROLES = frozenset({Role.COURT, Role.CPS})
WITHHELD_TEXT = "Withheld: consent to share withdrawn"
# What a notice's sentence calls her when her name is withheld.
WITHHELD_SUBJECT = _l("The defendant (name withheld: consent to share withdrawn)")


# --- her identity, as the viewer may see it ---


def is_partner(role: Role | str | None) -> bool:
    """True for court and CPS users."""
    return role is not None and Role(role) in PARTNER_ROLES


def sharing_withdrawn() -> ColumnElement[bool]:
    """SQL, correlated to ``Referral``: true when her consent to share with the court and the CPS on this case was
    refused or has been withdrawn, and is not given again. Refusing or withdrawing it ends diversion (the case is
    declined or withdrawn, and a final case takes no new consent to diversion), so one such ledger line is enough,
    and it fails closed; the one way back is a manager's reversal of that decision (docs/reversals.md), which gives
    the consent again in a new ledger line (a decline reversed: she is asked again)."""
    share = Consent.purpose == ConsentPurpose.SHARE_WITH_COURT_CPS.value
    refused = exists().where(
        Consent.referral_id == Referral.id, share, or_(Consent.is_given.is_(False), Consent.withdrawn_at.is_not(None))
    )
    given_now = exists().where(
        Consent.referral_id == Referral.id, share, Consent.is_given.is_(True), Consent.withdrawn_at.is_(None)
    )
    return and_(refused, ~given_now)


def withheld_from_partners(referral_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The cases among these whose identity court and CPS users may no longer see, in one query."""
    ids = list(referral_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Referral.id).where(Referral.id.in_(ids), sharing_withdrawn())))


def shares_with_partners(referral: Referral) -> bool:
    """True while court and CPS users may see her name and date of birth on this case."""
    return referral.id not in withheld_from_partners([referral.id])


@dataclass(frozen=True)
class Identity:
    """Her name and date of birth on one case as the viewer may see them; all None when withheld."""

    client_id: uuid.UUID | None
    given_name: Any
    family_name: Any
    date_of_birth: Any
    withheld: bool = False

    @classmethod
    def of(cls, client: Client) -> Identity:
        """Her identity in full, from her client record."""
        return cls(client.id, client.given_name, client.family_name, client.date_of_birth)

    @property
    def name(self) -> str:
        """Her name for a page, or the placeholder."""
        return WITHHELD_TEXT if self.withheld else f"{self.given_name} {self.family_name}"

    @property
    def born(self) -> Any:
        """Her date of birth for a page (a date, or the placeholder text)."""
        return WITHHELD_TEXT if self.withheld else self.date_of_birth

    @property
    def subject(self) -> str:
        """Who a notice's sentence is about."""
        return str(WITHHELD_SUBJECT) if self.withheld else self.name


WITHHELD = Identity(None, None, None, None, withheld=True)


def identities(
    referrals: Iterable[Referral], role: Role | str | None, withheld: Iterable[uuid.UUID] = ()
) -> dict[uuid.UUID, Identity]:
    """Her identity on each case, as a user with ``role`` may see it: withheld from court and CPS users once her
    consent to share with them is refused or withdrawn, and on the cases ``withheld`` (a colleague's, found by a
    search, that she has given no reason for). Withheld names are not even decrypted."""
    cases = list(referrals)
    reads.note((referral.id for referral in cases), reads.IDENTITY)
    hidden = withheld_from_partners(referral.id for referral in cases) if is_partner(role) else set()
    hidden = set(hidden) | set(withheld)
    shown: dict[uuid.UUID, Identity] = {}
    for referral in cases:
        if referral.id in hidden:
            shown[referral.id] = WITHHELD
            continue
        shown[referral.id] = Identity.of(referral.client)
    return shown


def identity(referral: Referral, role: Role | str | None) -> Identity:
    """Her identity on one case, as a user with ``role`` may see it."""
    return identities([referral], role)[referral.id]


def status_options() -> tuple[Any, ...]:
    """Loader options for a case read by court and CPS: the status columns only, everything else raising."""
    return (
        load_only(*STATUS_REFERRAL_COLUMNS, raiseload=True),
        joinedload(Referral.client).load_only(*STATUS_CLIENT_COLUMNS, raiseload=True),
        joinedload(Referral.court).load_only(*STATUS_COURT_COLUMNS, raiseload=True),
        raiseload(Referral.assigned_worker),
    )


def case_status(referral_id: uuid.UUID, *, user: User) -> Referral | None:
    """A case's status columns only (for court and CPS), or None when it is unknown or outside what ``user`` may see
    (another organisation's, scheme's or court's: diversion/scoping.py)."""
    query = select(Referral).options(*status_options()).where(Referral.id == referral_id, scoping.cases_filter(user))
    referral = db.session.scalars(query).unique().first()
    if referral is not None:
        reads.note([referral.id], reads.STATUS)
    return referral


def status_appointments(referral_id: uuid.UUID) -> list[Appointment]:
    """A case's appointments, numbers, times and outcomes only (for court and CPS), superseded ones too, in order."""
    return list(
        db.session.scalars(
            select(Appointment)
            .options(load_only(*STATUS_APPOINTMENT_COLUMNS, raiseload=True), raiseload(Appointment.worker))
            .where(Appointment.referral_id == referral_id)
            .order_by(Appointment.number, Appointment.starts_at, Appointment.id)
        )
    )


# --- lists ---


@dataclass(frozen=True)
class CaseFilters:
    """What a list of cases is narrowed to; all optional. The URN is normalised, names as typed."""

    urn: str | None = None
    court_code: str | None = None
    state: State | None = None
    return_date: date | None = None
    family_name: str | None = None
    date_of_birth: date | None = None

    def names(self) -> list[str]:
        """Which filters are set (names only, for the audit trail)."""
        return [name for name, value in vars(self).items() if value is not None]


@dataclass
class CasePage:
    """One page of a list of cases and the cursor of the next (None at the end)."""

    items: list[Referral]
    next: Cursor | None
    # A colleague's cases found by a search that she would be asked a reason for: listed by their status only,
    # without her identity (docs/organisations.md, "Need to know").
    withheld: frozenset[uuid.UUID] = frozenset()


def _matching_client_ids(family_name: str, date_of_birth: date, organisation_ids: list[int]) -> list[uuid.UUID]:
    """Clients of these organisations with this family name and date of birth, through the truncated blind index
    (keyed per organisation): only the bucket's few candidates are decrypted, and only their name and date of birth
    are loaded."""
    indexes = name_dob_indexes(family_name, date_of_birth, organisation_ids)
    if not indexes:
        return []
    candidates = list(
        db.session.scalars(
            select(Client)
            .options(load_only(Client.id, Client._family_name, Client._date_of_birth, raiseload=True))  # type: ignore[attr-defined]
            .where(
                Client.name_dob_index.in_(indexes),
                Client.organisation_id.in_(organisation_ids),
                Client.erased_at.is_(None),
            )
        )
    )
    if not candidates:
        return []
    key_provider().prefetch([client.id for client in candidates])
    wanted = normalise_text(family_name)
    return [
        client.id
        for client in candidates
        if not is_unreadable(client.family_name)
        and normalise_text(str(client.family_name)) == wanted
        and client.date_of_birth == date_of_birth
    ]


def list_cases(
    filters: CaseFilters,
    *,
    user: User,
    after: Cursor | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    partner: bool = False,
) -> CasePage:
    """A page of the cases ``user`` may see (diversion/scoping.py), newest first, status columns only. For a
    ``partner`` (court or CPS), a search by name and date of birth skips cases whose identity is withheld."""
    query = select(Referral).options(*status_options()).where(scoping.cases_filter(user))
    searched = filters.urn is not None or (filters.family_name is not None and filters.date_of_birth is not None)
    listed = need_to_know.listed_filter(user)
    if listed is not None and not searched:
        # A list shows the cases she opens as of right; a search by URN, or name and date of birth, finds a
        # colleague's too (docs/organisations.md, "Need to know").
        query = query.where(listed)
    if filters.urn is not None:
        indexes = [urn_index(key, filters.urn) for key in search_index_keys(keyring(), URN_PURPOSE)]
        query = query.where(Referral.urn_index.in_(indexes))
    if filters.court_code is not None:
        query = query.join(Court, Court.id == Referral.court_id).where(Court.code == filters.court_code.upper())
    if filters.state is not None:
        query = query.where(Referral.state == filters.state.value)
    if filters.return_date is not None:
        query = query.where(Referral.return_date == filters.return_date)
    if filters.family_name is not None and filters.date_of_birth is not None:
        client_ids = _matching_client_ids(filters.family_name, filters.date_of_birth, scoping.organisation_ids(user))
        if not client_ids:
            return CasePage([], None)
        query = query.where(Referral.client_id.in_(client_ids))
        if partner:
            query = query.where(~sharing_withdrawn())
    rows = list(db.session.scalars(keyset.newest_first(query, Referral, after, limit)).unique())
    items, following = keyset.page(rows, limit)
    # The page's cases are read, not the one more fetched to know whether there is a next page; a colleague's case
    # she has given no reason for, by its status only.
    withheld = frozenset(need_to_know.needing_reason_by_id(user, (referral.id for referral in items)))
    reads.note(withheld, reads.STATUS)
    reads.note((referral.id for referral in items), reads.LIST)
    key_provider().prefetch([referral.client_id for referral in items])
    return CasePage(items, following, withheld)


# --- the court-day list ---


@dataclass
class CourtDayCase:
    """One line of the court-day list: the case's status, its appointments and its notice."""

    referral: Referral
    appointments: list[Appointment]
    notice: Any


def court_day(day: date, *, user: User) -> list[CourtDayCase]:
    """Every case with this return date that ``user`` may see (a court user's at her court, a CPS user's at the
    courts she covers, support staff's of their schemes: diversion/scoping.py): status columns only, with
    appointment outcomes and the outcome notice, in three queries whatever the length of the list."""
    from diversion.notices.models import OutcomeNotice

    query = select(Referral).options(*status_options()).where(Referral.return_date == day, scoping.cases_filter(user))
    referrals = list(db.session.scalars(query.order_by(Referral.court_id, Referral.id)).unique())
    ids = [referral.id for referral in referrals]
    reads.note(ids, reads.STATUS)
    appointments: dict[uuid.UUID, list[Appointment]] = {referral_id: [] for referral_id in ids}
    notices: dict[uuid.UUID, Any] = {}
    if ids:
        for appointment in db.session.scalars(
            select(Appointment)
            .options(load_only(*STATUS_APPOINTMENT_COLUMNS, raiseload=True), raiseload(Appointment.worker))
            .where(Appointment.referral_id.in_(ids))
            .order_by(Appointment.number, Appointment.starts_at)
        ):
            appointments[appointment.referral_id].append(appointment)
        # The notice in force only: not one superseded by a correction, nor the correction (docs/reversals.md).
        in_force = OutcomeNotice.superseded_at.is_(None), OutcomeNotice.corrects_id.is_(None)
        for notice in db.session.scalars(select(OutcomeNotice).where(OutcomeNotice.referral_id.in_(ids), *in_force)):
            notices[notice.referral_id] = notice
        key_provider().prefetch([referral.client_id for referral in referrals])
    return [CourtDayCase(referral, appointments[referral.id], notices.get(referral.id)) for referral in referrals]
