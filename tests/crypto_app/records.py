"""Case records whose every encrypted field holds a random canary, committed to a real database; and the search for
canaries in bytes (as UTF-8, UTF-16, base64 and hex)."""

from __future__ import annotations

import base64
import random
import secrets
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import inspect as sa_inspect

from diversion.admin.services import create_user, save_court
from diversion.appointments.models import Appointment
from diversion.assessments.models import Assessment, AssessmentDomain
from diversion.auth.models import User
from diversion.care_plans.models import CarePlan, CarePlanAction, CarePlanGoal
from diversion.clients.models import Client
from diversion.clients.services import Identity, SafeContact, create_client, name_dob_index_value
from diversion.contacts.models import Contact
from diversion.crypto.blind import URN_PURPOSE, urn_index
from diversion.crypto.fields import encrypted_fields
from diversion.db import transaction
from diversion.documents.models import Document
from diversion.extensions import db
from diversion.keyring import key_provider, keyring, keystore
from diversion.referrals.models import Referral
from tests.factories import MAIN_ORG_ID

PASSWORD = "correct horse battery staple"


def canary() -> str:
    """A random marker that cannot occur by chance."""
    return "CANARY" + secrets.token_hex(10).upper()


# The random canary dates drawn so far in this process: one test's two women must never share a date by chance (a
# search for one's date in the other's export would find it: about one run in a few thousand did).
_DRAWN_DATES: set[date] = set()


def canary_date(rng: random.Random | None = None) -> date:
    """A date of birth no timestamp or hearing date of the test shares; without ``rng``, one not drawn before."""
    if rng is not None:
        return date(1931, 1, 1) + timedelta(days=rng.randrange(60 * 365))
    chooser = random.Random(secrets.randbits(32))
    while True:
        drawn = date(1931, 1, 1) + timedelta(days=chooser.randrange(60 * 365))
        if drawn not in _DRAWN_DATES or len(_DRAWN_DATES) >= 60 * 365:
            _DRAWN_DATES.add(drawn)
            return drawn


def canary_file(text: str, repeat: int = 64) -> bytes:
    """A PDF (by its header) whose every line is the canary: a document's file."""
    return b"%PDF-1.7\n" + (text.encode("utf-8") + b"\n") * repeat


@dataclass
class Canaries:
    """Every canary written, and what each record's fields hold, to read back and to search for."""

    texts: list[str] = field(default_factory=list)
    values: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    classes: set[type[Any]] = field(default_factory=set)

    def fill(self, obj: Any, skip: Iterable[str] = ()) -> None:
        """Put a distinct canary in every encrypted field of ``obj`` (a random date in date fields, a file full of a
        canary in binary ones)."""
        for name, spec in encrypted_fields(type(obj)).items():
            if name in skip:
                self.values[(type(obj).__name__, name, str(obj.id))] = getattr(obj, name)
                continue
            if spec.is_binary:
                text = canary()
                setattr(obj, name, canary_file(text))
                self.values[(type(obj).__name__, name, str(obj.id))] = canary_file(text)
                self.texts.append(text)
                continue
            value: Any = canary()
            try:
                setattr(obj, name, value)
            except TypeError:
                value = canary_date()
                setattr(obj, name, value)
            self.record(obj, name, value)
        self.classes.add(type(obj))

    def record(self, obj: Any, name: str, value: Any) -> None:
        """Remember a value written some other way (a service that sets a field itself)."""
        self.values[(type(obj).__name__, name, str(obj.id))] = value
        text = value.isoformat() if isinstance(value, date) else str(value)
        if text not in self.texts:
            self.texts.append(text)


@dataclass
class CaseRecords:
    """The ids of one client's records."""

    client_id: uuid.UUID
    referral_id: uuid.UUID
    family_name: str
    date_of_birth: date
    urn: str
    urn_index: bytes
    ids: dict[str, uuid.UUID] = field(default_factory=dict)


def create_staff(canaries: Canaries) -> tuple[Any, User]:
    """A court and a support worker whose TOTP secret is a canary (committed)."""
    court = save_court("C" + secrets.token_hex(3).upper(), f"Plain Court {secrets.token_hex(6)}")
    user, _ = create_user(
        f"worker-{secrets.token_hex(4)}@example.org", "worker", None, PASSWORD, display_name="Plain Worker"
    )
    with transaction():
        canaries.fill(user)
    return court, user


def create_case(
    canaries: Canaries, court: Any, worker: User, *, state: str = "COMPLETED", scheme: Any = None
) -> CaseRecords:
    """A client with a referral, an appointment, a contact, an assessment with a domain, a plan with a goal and an
    action, and a document, every encrypted field a canary (committed). The case is the main scheme's unless
    ``scheme`` is given, and then it and her client belong to that scheme's organisation."""
    organisation_id, scheme_id, version_id = MAIN_ORG_ID, 1, 1
    if scheme is not None:
        from diversion.organisations.services import current_version

        organisation_id, scheme_id, version_id = scheme.organisation_id, scheme.id, current_version(scheme.id).id
    identity = Identity(
        given_name=canary(),
        family_name=canary(),
        date_of_birth=canary_date(),
        phone=canary(),
        email=canary(),
        safe_contact=SafeContact(note=canary()),
    )
    family_name, date_of_birth = identity.family_name, identity.date_of_birth
    with transaction():
        client = create_client(identity, organisation_id)
        for name in ("given_name", "family_name", "date_of_birth", "phone", "email"):
            canaries.record(client, name, getattr(identity, name))
        canaries.record(client, "safe_contact", identity.safe_contact.to_json())
        canaries.texts.append(identity.safe_contact.note)
        canaries.fill(client, skip=("given_name", "family_name", "date_of_birth", "phone", "email", "safe_contact"))
        urn = canary()
        referral = Referral(
            id=uuid.uuid4(),
            client_id=client.id,
            court_id=court.id,
            organisation_id=organisation_id,
            scheme_id=scheme_id,
            programme_version_id=version_id,
            offence_code="SOA1959_S1",
            first_hearing_date=date(2026, 3, 2),
            return_date=date(2026, 4, 27),
            state=state,
            referred_on=date(2026, 3, 2),
            referred_by_id=worker.id,
            urn_index=urn_index(keyring().derived(URN_PURPOSE), urn),
        )
        referral.urn = urn
        canaries.record(referral, "urn", urn)
        canaries.fill(referral, skip=("urn",))
        db.session.add(referral)
        db.session.flush()
        made: list[Any] = [client, referral]
        appointment = Appointment(
            id=uuid.uuid4(),
            client_id=client.id,
            referral_id=referral.id,
            number=1,
            starts_at=datetime(2026, 3, 9, 10, tzinfo=UTC),
            duration_minutes=60,
            worker_id=worker.id,
        )
        # A call logged on the case: with whom and what happened are canaries (docs/contacts.md).
        contact = Contact(
            id=uuid.uuid4(),
            client_id=client.id,
            referral_id=referral.id,
            kind="call",
            direction="out",
            contacted_at=datetime(2026, 3, 8, 15, tzinfo=UTC),
            logged_by_id=worker.id,
        )
        assessment = Assessment(id=uuid.uuid4(), client_id=client.id, referral_id=referral.id)
        domain = AssessmentDomain(
            id=uuid.uuid4(),
            client_id=client.id,
            assessment_id=assessment.id,
            domain="drugs",
            position=1,
            need_level=2,
            wellbeing_score=5,
        )
        plan = CarePlan(id=uuid.uuid4(), client_id=client.id, referral_id=referral.id)
        goal = CarePlanGoal(id=uuid.uuid4(), client_id=client.id, plan_id=plan.id, domain="drugs", position=1)
        action = CarePlanAction(
            id=uuid.uuid4(), client_id=client.id, goal_id=goal.id, position=1, owner="client", status="to_do"
        )
        # A document on her case: its title and its file canaries (the file a PDF full of one).
        document = Document(
            id=uuid.uuid4(),
            client_id=client.id,
            referral_id=referral.id,
            content_type="application/pdf",
            size_bytes=1,
            uploaded_by_id=worker.id,
        )
        for obj in (appointment, contact, assessment, domain, plan, goal, action, document):
            canaries.fill(obj)
            db.session.add(obj)
            db.session.flush()
            made.append(obj)
        document.size_bytes = len(document.file or b"")
        made.extend(_fill_other_models(canaries, made, worker, court))
    return CaseRecords(
        client.id,
        referral.id,
        family_name,
        date_of_birth,
        urn,
        referral.urn_index,
        {type(obj).__name__: obj.id for obj in made},
    )


def encrypted_models() -> list[type[Any]]:
    """Every mapped class with an encrypted field."""
    return sorted(
        (mapper.class_ for mapper in db.Model.registry.mappers if encrypted_fields(mapper.class_)),
        key=lambda cls: cls.__name__,
    )


def _fill_other_models(canaries: Canaries, made: list[Any], worker: User, court: Any) -> Iterator[Any]:
    # A model given encrypted fields after this test was written still gets a row of canaries: its required
    # columns take a plain value of their type, or the id of a record made above (or of the worker) for a foreign key.
    by_table = {"users": worker, "courts": court, **{type(obj).__table__.name: obj for obj in made}}
    client = made[0]
    for cls in encrypted_models():
        if cls in canaries.classes or cls is User:
            continue
        values: dict[str, Any] = {"id": uuid.uuid4()}
        if "client_id" in sa_inspect(cls).columns:
            values["client_id"] = client.id
        elif cls.__table__.name == "outcome_notices":
            # Encrypted under a data key of its own (an erased woman's notice kept for the CPS: docs/privacy.md).
            key_provider().new_client_key(values["id"])
        for column in cls.__table__.columns:
            if column.key in values or column.nullable or column.default is not None or column.primary_key:
                continue
            values[column.key] = _plain_value(column, by_table)
        if cls.__table__.name == "outcome_notices":
            values["outcome"] = "completed"  # a check constraint names the outcomes
            # Acknowledged, so that her erasure does not take it for a notice still waiting for the CPS.
            values["acknowledged_at"] = datetime(2026, 3, 11, 12, tzinfo=UTC)
            values["kept_until"] = datetime(2099, 1, 1, tzinfo=UTC)
        if cls.__table__.name == "nrm_decisions":
            values["outcome"] = "nrm_referred"  # a check constraint names the outcomes
        obj = cls(**values)
        canaries.fill(obj)
        db.session.add(obj)
        db.session.flush()
        yield obj


def _plain_value(column: sa.Column[Any], by_table: dict[str, Any]) -> Any:
    for foreign_key in column.foreign_keys:
        return getattr(by_table[foreign_key.column.table.name], foreign_key.column.key)
    python_type = column.type.python_type
    if python_type is datetime:
        return datetime(2026, 3, 10, 12, tzinfo=UTC)
    if python_type is date:
        return date(2026, 3, 10)
    if python_type is bool:
        return False
    if python_type is int:
        return 1
    if python_type is uuid.UUID:
        return uuid.uuid4()
    if column.unique or any(
        isinstance(constraint, sa.UniqueConstraint) and column.key in constraint.columns
        for constraint in column.table.constraints
    ):
        return secrets.token_hex(4)  # two cases' rows must not collide
    return "x"


def create_bulk_clients(count: int, *, rng: random.Random) -> list[tuple[uuid.UUID, str, str, date]]:
    """Many clients at once (keys made in one key-store transaction); returns (id, given, family, date of birth)."""
    people = [(uuid.uuid4(), canary(), "Family" + secrets.token_hex(5), canary_date(rng)) for _ in range(count)]
    keystore().create_data_keys(person[0] for person in people)
    key_provider().prefetch(person[0] for person in people)
    with transaction():
        for client_id, given, family, born in people:
            client = Client(id=client_id, organisation_id=MAIN_ORG_ID)
            client.given_name = given
            client.family_name = family
            client.date_of_birth = born
            client.birth_year_band = born.year - born.year % 5
            client.name_dob_index = name_dob_index_value(family, born, MAIN_ORG_ID)
            db.session.add(client)
    key_provider().clear()
    return people


def variants(text: str) -> dict[str, bytes]:
    """The forms a leaked value could take in a file or dump: UTF-8, UTF-16 both ways, base64 at each of the three
    alignments it can start at inside a longer base64 string, and hex."""
    raw = text.encode("utf-8")
    forms = {
        "utf-8": raw,
        "utf-16-le": text.encode("utf-16-le"),
        "utf-16-be": text.encode("utf-16-be"),
        "hex": raw.hex().encode("ascii"),
    }
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        # Drop the characters that depend on the unknown bytes around it.
        start = (shift * 8 + 5) // 6 if shift else 0
        forms[f"base64+{shift}"] = encoded[start : len(encoded) - 4]
    return forms


def find_canaries(haystacks: dict[str, bytes], texts: Iterable[str]) -> list[str]:
    """Every (where, canary, form) found: an empty list is the pass."""
    hits = []
    for text in texts:
        for case in {text, text.lower()}:
            for form, needle in variants(case).items():
                for where, haystack in haystacks.items():
                    if needle and needle in haystack:
                        hits.append(f"{form} of a canary in {where}")
    return hits
