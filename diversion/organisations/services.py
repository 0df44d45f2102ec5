"""Organisations, schemes and programme versions: adding them, finding them, and which scheme takes a referral.

While the service holds one organisation with one scheme (a new database, or the first edition's data moved in),
every command and form works as it did before organisations: the organisation and scheme need not be named
(docs/organisations.md).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from diversion.audit.services import record_event
from diversion.courts.models import Court
from diversion.db import transaction
from diversion.errors import Conflict, ValidationFailed
from diversion.extensions import db
from diversion.organisations.models import (
    SLUG_MAX,
    Access,
    Organisation,
    ProgrammeVersion,
    Scheme,
    scheme_courts,
)

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def check_slug(slug: str, what: str) -> str:
    """A slug as typed, cleaned, or ValidationFailed saying what it must be."""
    slug = (slug or "").strip().lower()
    if not slug or len(slug) > SLUG_MAX or not SLUG.fullmatch(slug):
        if what == "scheme":
            message = _(
                "Enter a short name for the scheme of up to %(max)d lower case letters, digits and hyphens",
                max=SLUG_MAX,
            )
        else:
            message = _(
                "Enter a short name for the organisation of up to %(max)d lower case letters, digits and hyphens",
                max=SLUG_MAX,
            )
        raise ValidationFailed.on("slug", message)
    return slug


def check_name(name: str, what: str) -> str:
    """A display name, cleaned, or ValidationFailed."""
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        if what == "scheme":
            message = _("Enter the scheme's name, up to 120 characters")
        else:
            message = _("Enter the organisation's name, up to 120 characters")
        raise ValidationFailed.on("name", message)
    return name


def check_access(access: str | None) -> str:
    """A scheme's access rule as chosen, or ValidationFailed asking for one (docs/organisations.md, "Need to
    know")."""
    if access not in {value.value for value in Access}:
        raise ValidationFailed.on("access", _("Choose who opens a case: the team, or the worker assigned"))
    return str(access)


def organisations() -> list[Organisation]:
    """Every organisation, by name."""
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def organisation_by_slug(slug: str) -> Organisation | None:
    """The organisation with this slug."""
    return db.session.scalars(select(Organisation).where(Organisation.slug == slug.strip().lower())).first()


def only_organisation() -> Organisation | None:
    """The organisation, when the service holds exactly one; None otherwise."""
    found = list(db.session.scalars(select(Organisation).limit(2)))
    return found[0] if len(found) == 1 else None


def scheme_by_slug(organisation: Organisation, slug: str) -> Scheme | None:
    """The organisation's scheme with this slug."""
    return db.session.scalars(
        select(Scheme).where(Scheme.organisation_id == organisation.id, Scheme.slug == slug.strip().lower())
    ).first()


def schemes_of(organisation_id: int) -> list[Scheme]:
    """An organisation's schemes, by name."""
    return list(
        db.session.scalars(select(Scheme).where(Scheme.organisation_id == organisation_id).order_by(Scheme.name))
    )


def only_scheme(organisation_id: int) -> Scheme | None:
    """The organisation's scheme, when it has exactly one."""
    found = list(db.session.scalars(select(Scheme).where(Scheme.organisation_id == organisation_id).limit(2)))
    return found[0] if len(found) == 1 else None


def schemes_serving(court_id: int) -> list[Scheme]:
    """The schemes, of any organisation, that serve a court."""
    return list(
        db.session.scalars(
            select(Scheme)
            .join(scheme_courts, scheme_courts.c.scheme_id == Scheme.id)
            .where(scheme_courts.c.court_id == court_id)
            .order_by(Scheme.name, Scheme.id)
        )
    )


def scheme_court_ids(scheme_ids: list[int]) -> list[int]:
    """The courts these schemes serve."""
    if not scheme_ids:
        return []
    return sorted(
        db.session.scalars(select(scheme_courts.c.court_id).where(scheme_courts.c.scheme_id.in_(scheme_ids)).distinct())
    )


def add_organisation(slug: str, name: str, actor: Any = None) -> Organisation:
    """A new organisation with its own blind-index salt. A slug in use is a Conflict."""
    slug = check_slug(slug, "organisation")
    name = check_name(name, "organisation")
    if organisation_by_slug(slug) is not None:
        raise Conflict(_("An organisation with this short name already exists"), {"slug": _("Already in use")})
    with transaction():
        organisation = Organisation(slug=slug, name=name, index_salt=secrets.token_bytes(32))
        db.session.add(organisation)
        db.session.flush()
        record_event("organisation.created", object_type="organisation", object_id=organisation.id, actor=actor)
    return organisation


def add_scheme(
    organisation: Organisation,
    slug: str,
    name: str,
    courts: Iterable[Court] = (),
    *,
    settings: dict[str, Any] | None = None,
    access: str = Access.TEAM.value,
    actor: Any = None,
) -> Scheme:
    """A new scheme of an organisation, serving ``courts``, with version 1 of its programme (the first edition's
    two appointments unless ``settings`` say otherwise; what they leave out is the default's) and its own register
    of consent wordings, starting from the first edition's words."""
    from diversion.referrals.programme import DEFAULT_PROGRAMME, parse_programme

    slug = check_slug(slug, "scheme")
    name = check_name(name, "scheme")
    access = check_access(access)
    settings = {**DEFAULT_PROGRAMME, **(settings or {})}
    settings.pop("consent_wordings", None)  # a new scheme's wordings are its own rows, made below
    try:
        parse_programme(settings)
    except (ValueError, KeyError, TypeError) as error:
        raise ValidationFailed.on("programme", str(error)) from None
    if scheme_by_slug(organisation, slug) is not None:
        raise Conflict(_("This organisation already has a scheme with this short name"), {"slug": _("Already in use")})
    with transaction():
        scheme = Scheme(organisation_id=organisation.id, slug=slug, name=name, access=access)
        scheme.courts = list(courts)
        db.session.add(scheme)
        db.session.flush()
        record_event(
            "scheme.created",
            object_type="scheme",
            object_id=scheme.id,
            details={"organisation": organisation.slug, "courts": [court.code for court in scheme.courts]},
            actor=actor,
        )
        settings["consent_wordings"] = _first_wordings(scheme, actor)
        db.session.add(
            ProgrammeVersion(
                scheme_id=scheme.id,
                number=1,
                settings_json=json.dumps(settings, sort_keys=True),
                created_by_id=getattr(actor, "id", None),
            )
        )
        db.session.flush()
    return scheme


def _first_wordings(scheme: Scheme, actor: Any) -> dict[str, int]:
    """A new scheme's register of consent wordings: the first edition's words, version 1 of each purpose (flush
    only)."""
    from diversion.referrals.wording import FIRST_WORDINGS, publish

    return {
        purpose.value: publish(scheme.id, purpose, text, actor, None).id for purpose, text in FIRST_WORDINGS.items()
    }


def current_version(scheme_id: int) -> ProgrammeVersion:
    """The scheme's current programme version: its highest number."""
    version = db.session.scalars(
        select(ProgrammeVersion)
        .where(ProgrammeVersion.scheme_id == scheme_id)
        .order_by(ProgrammeVersion.number.desc())
        .limit(1)
    ).first()
    if version is None:
        raise LookupError(f"scheme {scheme_id} has no programme")
    return version


class ProgrammeChanged(Conflict):
    """A programme was saved from a page shown before a newer version was saved: nothing is saved, and the page
    shows the two side by side (docs/conflicts.md)."""

    code = "programme_changed"

    def __init__(self, current: ProgrammeVersion) -> None:
        super().__init__(
            _(
                "Someone else saved version %(number)d of this programme while you were changing it. Nothing of "
                "yours has been saved yet",
                number=current.number,
            )
        )
        self.current = current


# The settings a version holds, by name, in the order a change is described (the audit event's "changed").
SETTING_NAMES = (
    "name",
    "steps",
    "deadline",
    "at_risk_working_days",
    "reminder_lead_times",
    "retention_years",
    "consent_wordings",
)


def new_programme_version(
    scheme: Scheme,
    settings: dict[str, Any],
    actor: Any,
    *,
    wordings: dict[Any, str] | None = None,
    based_on: int | None = None,
) -> ProgrammeVersion:
    """Save a change to a scheme's programme as its next version; cases already started keep theirs.

    What ``settings`` leave out stays as the current version has it. ``wordings`` (purpose to text) publishes a new
    version of each purpose's consent wording whose text differs from the current one, and the new programme version
    names it; without them the current wordings stay in force. Audited as ``programme.changed``.

    ``based_on``, the number of the version the change was made to, makes the new version that number's next one:
    when another was saved since, even at the same moment, the unique number refuses this one (ProgrammeChanged)."""
    from diversion.referrals.models import ConsentPurpose
    from diversion.referrals.programme import parse_programme
    from diversion.referrals.wording import check_text, publish, scheme_wordings

    current = current_version(scheme.id)
    if based_on is not None and based_on != current.number:
        raise ProgrammeChanged(current)
    merged = {**current.settings, **settings}
    merged["consent_wordings"] = dict(merged["consent_wordings"])
    in_force = scheme_wordings(scheme.id)
    texts: dict[ConsentPurpose, str] = {}
    for purpose, text in (wordings or {}).items():
        chosen = ConsentPurpose(purpose)
        words = check_text(chosen, text)
        if words != in_force[chosen].text:
            texts[chosen] = words
    try:
        parse_programme(merged)
    except (ValueError, KeyError, TypeError) as error:
        raise ValidationFailed.on("programme", str(error)) from None
    _check_wording_ids(scheme, merged["consent_wordings"])
    try:
        with transaction():
            for chosen, words in texts.items():
                merged["consent_wordings"][chosen.value] = publish(scheme.id, chosen, words, actor, in_force[chosen]).id
            number = current.number + 1
            version = ProgrammeVersion(
                scheme_id=scheme.id,
                number=number,
                settings_json=json.dumps(merged, sort_keys=True),
                created_by_id=getattr(actor, "id", None),
            )
            db.session.add(version)
            db.session.flush()
            record_event(
                "programme.changed",
                object_type="scheme",
                object_id=scheme.id,
                details={
                    "version": number,
                    "replaces": current.number,
                    "changed": [name for name in SETTING_NAMES if merged.get(name) != current.settings.get(name)],
                },
                actor=actor,
            )
    except IntegrityError:
        # Another version was saved since the current one was read: the unique number lets one through.
        raise ProgrammeChanged(current_version(scheme.id)) from None
    return version


def _check_wording_ids(scheme: Scheme, named: Any) -> None:
    """A version names, for each purpose, a wording of that purpose in this scheme's own register."""
    from diversion.referrals.models import ConsentWording

    rows = db.session.execute(
        select(ConsentWording.id, ConsentWording.purpose).where(
            ConsentWording.scheme_id == scheme.id, ConsentWording.id.in_(list(named.values()))
        )
    ).all()
    if {(row.purpose, row.id) for row in rows} != set(named.items()):
        raise ValidationFailed.on("programme", _("Each consent wording must be one of this scheme's, of its purpose."))


def save_programme(
    scheme: Scheme,
    settings: dict[str, Any],
    wordings: dict[Any, str],
    actor: Any,
    *,
    based_on: int | None,
) -> ProgrammeVersion | None:
    """The programme screen's save: a new version when anything differs from the current one, None when nothing
    does (no version is made). ``based_on`` is the number of the version the page was shown: when a newer one has
    been saved since, nothing is saved (ProgrammeChanged)."""
    from diversion.referrals.models import ConsentPurpose
    from diversion.referrals.wording import check_text, scheme_wordings

    current = current_version(scheme.id)
    if based_on != current.number:
        raise ProgrammeChanged(current)
    in_force = scheme_wordings(scheme.id)
    same_words = all(
        check_text(ConsentPurpose(purpose), text) == in_force[ConsentPurpose(purpose)].text
        for purpose, text in wordings.items()
    )
    unchanged = all(current.settings.get(name) == value for name, value in settings.items())
    if same_words and unchanged:
        return None
    return new_programme_version(scheme, settings, actor, wordings=wordings, based_on=based_on)


def organisation_for(actor: Any, slug: str | None = None) -> Organisation:
    """The organisation a change is made in: the one named, else the actor's own, else the only one there is.
    ValidationFailed when it cannot be told."""
    if slug:
        found = organisation_by_slug(slug)
        if found is None:
            raise ValidationFailed.on("organisation", _("There is no organisation with this short name"))
        return found
    if actor is not None and getattr(actor, "organisation_id", None) is not None:
        found = db.session.get(Organisation, actor.organisation_id)
        if found is not None:
            return found
    found = only_organisation()
    if found is None:
        raise ValidationFailed.on("organisation", _("Name the organisation: the service holds more than one"))
    return found


def link_court(scheme: Scheme, court: Court) -> None:
    """Add a court to the courts a scheme serves (flush only; the caller's transaction)."""
    if court not in scheme.courts:
        scheme.courts.append(court)
        db.session.flush()


def scheme_for_referral(court: Court, actor: Any, chosen: int | str | None = None) -> Scheme:
    """The scheme that takes a referral from ``court`` made by ``actor``: among the schemes serving the court (for a
    worker or manager, only her own), the one chosen, or the only one. ValidationFailed says what to do."""
    from diversion.auth.models import Role

    serving = schemes_serving(court.id)
    if Role(actor.role) in (Role.WORKER, Role.MANAGER):
        own = {scheme.id for scheme in actor.schemes}
        serving = [scheme for scheme in serving if scheme.id in own]
    if not serving:
        raise ValidationFailed.on(
            "court", _("No scheme of yours takes referrals from this court: select another court")
        )
    if chosen not in (None, ""):
        picked = [scheme for scheme in serving if str(scheme.id) == str(chosen) or scheme.slug == str(chosen)]
        if not picked:
            raise ValidationFailed.on("scheme", _("Select a scheme that takes referrals from this court"))
        return picked[0]
    if len(serving) > 1:
        raise ValidationFailed.on("scheme", _("Select the scheme that takes this referral"))
    return serving[0]
