"""Clients: creating one (her data key first, in the key store), finding her again by blind index, her identity.

Search never decrypts every row: the truncated name + date-of-birth index narrows to a bucket, then only the few
candidates in it are decrypted and compared, and the false positives dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select

from diversion.clients.contact import SafeContact
from diversion.clients.language_needs import LanguageNeeds, apply_language_needs
from diversion.clients.models import Client
from diversion.crypto.blind import (
    NAME_DOB_PURPOSE,
    name_dob_index,
    normalise_text,
    organisation_key,
    search_index_keys,
)
from diversion.crypto.fields import is_unreadable
from diversion.extensions import db
from diversion.keyring import key_provider, keyring
from diversion.organisations.models import Organisation

DEFAULT_NAME_DOB_BITS = 12

__all__ = ["Identity", "SafeContact", "create_client", "find_clients", "get_client"]


@dataclass
class Identity:
    """What intake records about who she is."""

    given_name: str
    family_name: str
    date_of_birth: date
    phone: str | None = None
    email: str | None = None
    safe_contact: SafeContact = field(default_factory=SafeContact)
    # Her language, interpreter need and reading help, checked by clients.language_needs.check_language_needs.
    language_needs: LanguageNeeds = field(default_factory=LanguageNeeds)


def name_dob_bits() -> int:
    """How many bits of the name + date-of-birth index are kept (configurable: BLIND_INDEX_NAME_DOB_BITS)."""
    return int(current_app.config.get("BLIND_INDEX_NAME_DOB_BITS", DEFAULT_NAME_DOB_BITS))


def organisation_salts(organisation_ids: Iterable[int]) -> dict[int, bytes | None]:
    """Each organisation's index salt (docs/organisations.md, "Blind indexes")."""
    wanted = sorted(set(organisation_ids))
    if not wanted:
        return {}
    rows = db.session.execute(select(Organisation.id, Organisation.index_salt).where(Organisation.id.in_(wanted)))
    return {row.id: row.index_salt for row in rows}


def organisation_index_key(organisation_id: int, key: bytes | None = None) -> bytes:
    """One organisation's name and date-of-birth index key, under the current index key (or ``key``): one read of
    its salt. Work over many clients makes it once per organisation and indexes with ``name_dob_index_under``."""
    salt = organisation_salts([organisation_id]).get(organisation_id)
    return organisation_key(key or keyring().derived(NAME_DOB_PURPOSE), salt)


def name_dob_index_under(index_key: bytes, family_name: str, date_of_birth: date) -> bytes:
    """The truncated blind index for a family name and date of birth under an organisation's index key."""
    return name_dob_index(index_key, family_name, date_of_birth, name_dob_bits())


def name_dob_index_value(
    family_name: str, date_of_birth: date, organisation_id: int, key: bytes | None = None
) -> bytes:
    """The truncated blind index for a family name and date of birth in one organisation, under the current index
    key (or ``key``): keyed per organisation, so equal values in two organisations do not match."""
    return name_dob_index_under(organisation_index_key(organisation_id, key), family_name, date_of_birth)


def name_dob_indexes(family_name: str, date_of_birth: date, organisation_ids: Iterable[int]) -> list[bytes]:
    """Every index value she may be filed under in these organisations: one per organisation and per index key in
    use (both during an index rebuild)."""
    salts = organisation_salts(organisation_ids)
    bits = name_dob_bits()
    return [
        name_dob_index(organisation_key(key, salt), family_name, date_of_birth, bits)
        for key in search_index_keys(keyring(), NAME_DOB_PURPOSE)
        for salt in salts.values()
    ]


def birth_year_band(date_of_birth: date) -> int:
    """The five-year band of the year of birth (1990 for 1990-1994), which reports may use."""
    return date_of_birth.year - date_of_birth.year % 5


def create_client(identity: Identity, organisation_id: int) -> Client:
    """Create a client of an organisation (flush only). Her data key is written, and committed, to the key store
    first."""
    client_id = uuid.uuid4()
    key_provider().new_client_key(client_id)
    client = Client(id=client_id, organisation_id=organisation_id)
    client.given_name = identity.given_name
    client.family_name = identity.family_name
    client.date_of_birth = identity.date_of_birth
    client.phone = identity.phone or None
    client.email = identity.email or None
    client.safe_contact = identity.safe_contact.to_json()
    apply_language_needs(client, identity.language_needs)
    client.birth_year_band = birth_year_band(identity.date_of_birth)
    client.name_dob_index = name_dob_index_value(identity.family_name, identity.date_of_birth, organisation_id)
    db.session.add(client)
    db.session.flush()
    return client


def find_clients(family_name: str, date_of_birth: date, organisation_ids: Iterable[int]) -> list[Client]:
    """Clients of these organisations with exactly this family name and date of birth: an indexed lookup, then the
    bucket's few candidates decrypted and compared. During an index rebuild, both the old and the new index keys are
    tried."""
    organisation_ids = list(organisation_ids)
    indexes = name_dob_indexes(family_name, date_of_birth, organisation_ids)
    if not indexes:
        return []
    candidates = list(
        db.session.scalars(
            select(Client).where(
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
        client
        for client in candidates
        if not is_unreadable(client.family_name)
        and normalise_text(str(client.family_name)) == wanted
        and client.date_of_birth == date_of_birth
    ]


def get_client(client_id: Any) -> Client | None:
    """A client by id, or None for an unknown or malformed id."""
    try:
        return db.session.get(Client, uuid.UUID(str(client_id)))
    except ValueError:
        return None
