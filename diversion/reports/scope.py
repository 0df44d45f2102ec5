"""Whose cases a report counts, and the scheme a manager chooses (docs/organisations.md, "Reports").

Every figure, drill-down list and export starts from the cases the signed-in user may see (``diversion.scoping``):
a support worker's or manager's schemes, a court user's court, a CPS user's courts. A manager may narrow a report
to one of her schemes (``?scheme=<slug>``); a scheme that is not hers answers 404, as for one that does not exist.
Without a choice a report counts all her schemes: when those are every scheme of her organisation it is the
organisation's roll-up, a total with a row (or a column) per scheme.

What a report counts is kept as ids (:class:`Counted`), never as a user or an SQL expression, so that a funder
return's snapshot can keep it and be run again over exactly the same schemes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from diversion import scoping
from diversion.auth.models import Role, User
from diversion.courts.models import Court
from diversion.errors import NotFound
from diversion.extensions import db
from diversion.organisations.models import Organisation
from diversion.organisations.services import scheme_court_ids, schemes_of
from diversion.scoping import Counted, counted_for

NO_SCHEME = "No scheme of yours has this short name"
WHOLE_ORGANISATION = "Whole organisation"


@dataclass(frozen=True)
class SchemeRef:
    """A scheme as a report names it."""

    id: int
    slug: str
    name: str


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _shown_and(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return _("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


def _is_whole(schemes: Sequence[SchemeRef], every: set[int]) -> bool:
    return bool(schemes) and {scheme.id for scheme in schemes} == every


def _every(organisation: Organisation, every_scheme_id: Collection[int] | None) -> set[int]:
    if every_scheme_id is not None:
        return set(every_scheme_id)
    return {scheme.id for scheme in schemes_of(organisation.id)}


def scope_label(
    organisation: Organisation, schemes: Iterable[SchemeRef], every_scheme_id: Collection[int] | None = None
) -> str:
    """How a report names the schemes it counts: "Whole organisation: <name>" when they are all of the
    organisation's (``every_scheme_id``, read when not given), the scheme's name for one, "<organisation>: A and B"
    for some. In English: the API and the exports name the scope this way (``shown_scope_label`` for pages)."""
    counted = sorted(schemes, key=lambda scheme: (scheme.name, scheme.id))
    if _is_whole(counted, _every(organisation, every_scheme_id)):
        return f"{WHOLE_ORGANISATION}: {organisation.name}"
    if not counted:
        return f"{organisation.name}: no scheme"
    if len(counted) == 1:
        return counted[0].name
    return f"{organisation.name}: {_and([scheme.name for scheme in counted])}"


def shown_scope_label(
    organisation: Organisation, schemes: Iterable[SchemeRef], every_scheme_id: Collection[int] | None = None
) -> str:
    """``scope_label`` in the language of the page."""
    counted = sorted(schemes, key=lambda scheme: (scheme.name, scheme.id))
    if _is_whole(counted, _every(organisation, every_scheme_id)):
        return _("Whole organisation: %(name)s", name=organisation.name)
    if not counted:
        return _("%(organisation)s: no scheme", organisation=organisation.name)
    if len(counted) == 1:
        return counted[0].name
    return _(
        "%(organisation)s: %(schemes)s",
        organisation=organisation.name,
        schemes=_shown_and([scheme.name for scheme in counted]),
    )


@dataclass(frozen=True)
class ReportChoice:
    """What a signed-in user's report counts: her cases (``counted``), and for support staff the schemes she may
    choose between (``offered``), the one chosen and the schemes counted, with the name exports give them."""

    counted: Counted
    offered: tuple[SchemeRef, ...] = ()
    chosen: SchemeRef | None = None
    schemes: tuple[SchemeRef, ...] = ()
    label: str | None = None  # None for court and CPS users: their reports are by court
    # The select's option for no single scheme: the organisation's name when her schemes are all of its schemes.
    all_label: str = "All your schemes"
    # ``label`` and ``all_label`` as pages show them, in the language of the page (the API and exports keep English).
    shown_label: str | None = None
    shown_all_label: str | None = None

    @property
    def slug(self) -> str | None:
        """The chosen scheme's slug, or None for all of hers."""
        return self.chosen.slug if self.chosen else None

    @property
    def rolls_up(self) -> bool:
        """Whether the report counts more than one scheme, so shows each beside the total."""
        return len(self.schemes) > 1

    @property
    def is_choosable(self) -> bool:
        """Whether there is a scheme to choose (she has more than one)."""
        return len(self.offered) > 1

    def each_scheme(self) -> list[tuple[SchemeRef, Counted]]:
        """Each scheme counted, with what counts it alone."""
        return [(scheme, self.counted.only(scheme.id)) for scheme in self.schemes]

    def link_args(self) -> dict[str, str]:
        """The query string that asks for this choice again."""
        return {"scheme": self.chosen.slug} if self.chosen else {}


def _refs(user: User) -> tuple[SchemeRef, ...]:
    return tuple(
        sorted((SchemeRef(s.id, s.slug, s.name) for s in user.schemes), key=lambda scheme: (scheme.name, scheme.id))
    )


def choose(user: User, slug: str | None = None) -> ReportChoice:
    """The cases a report of ``user`` counts, narrowed to her scheme ``slug`` when given: NotFound (on ``scheme``)
    for a scheme that is not hers, and for any scheme asked for by a court or CPS user, whose reports are by court."""
    counted = counted_for(user)
    slug = (slug or "").strip().lower() or None
    if counted.scheme_ids is None:
        if slug is not None:
            raise NotFound(NO_SCHEME, {"scheme": NO_SCHEME})
        return ReportChoice(counted)
    offered = _refs(user)
    every_id = _every(user.organisation, None)
    whole = _is_whole(offered, every_id)
    every = scope_label(user.organisation, offered, every_id)
    shown_every = shown_scope_label(user.organisation, offered, every_id)
    all_label = every if whole else "All your schemes"
    shown_all_label = shown_every if whole else _("All your schemes")
    if slug is not None:
        chosen = next((scheme for scheme in offered if scheme.slug == slug), None)
        if chosen is None:
            raise NotFound(NO_SCHEME, {"scheme": NO_SCHEME})
        return ReportChoice(
            counted.only(chosen.id), offered, chosen, (chosen,), chosen.name, all_label, chosen.name, shown_all_label
        )
    return ReportChoice(counted, offered, None, offered, every, all_label, shown_every, shown_all_label)


def report_courts(user: User) -> list[Court] | None:
    """The courts a report of ``user`` may be narrowed to, by name: the courts her schemes serve (support staff),
    the courts a CPS user covers; None for a court user, whose report is always her own court's."""
    role = Role(user.role)
    if role == Role.COURT:
        return None
    if role in scoping.STAFF_ROLES:
        ids = scheme_court_ids(scoping.scheme_ids(user))
        if not ids:
            return []
        return list(db.session.scalars(select(Court).where(Court.id.in_(ids)).order_by(Court.name, Court.code)))
    return sorted(user.cps_courts if role == Role.CPS else [], key=lambda court: (court.name, court.code))
