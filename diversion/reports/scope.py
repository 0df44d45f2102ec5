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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false

from diversion import scoping
from diversion.auth.models import Role, User
from diversion.courts.models import Court
from diversion.errors import NotFound
from diversion.organisations.models import Organisation
from diversion.organisations.services import schemes_of
from diversion.referrals.models import Referral

NO_SCHEME = "No scheme of yours has this short name"
WHOLE_ORGANISATION = "Whole organisation"


@dataclass(frozen=True)
class Counted:
    """The cases a report counts: the cases of ``scheme_ids`` (support staff: her schemes, or the one she chose), or
    of ``court_ids`` (court and CPS users). One of the two is set; an empty one counts nothing."""

    scheme_ids: tuple[int, ...] | None = None
    court_ids: tuple[int, ...] | None = None

    def condition(self, model: Any = Referral) -> ColumnElement[bool]:
        """SQL: the cases counted. ``model`` is the Referral entity or an alias of it."""
        if self.scheme_ids is not None:
            return model.scheme_id.in_(self.scheme_ids) if self.scheme_ids else false()
        return model.court_id.in_(self.court_ids) if self.court_ids else false()

    @property
    def by_scheme(self) -> bool:
        """Whether the figures are counted scheme by scheme (support staff's reports); a court's are not."""
        return self.scheme_ids is not None

    def only(self, scheme_id: int) -> Counted:
        """The cases of one of these schemes."""
        if self.scheme_ids is None or scheme_id not in self.scheme_ids:
            raise ValueError("not one of the schemes counted")
        return Counted(scheme_ids=(scheme_id,))

    def detail(self) -> dict[str, Any]:
        """What is counted, for an audit event: ids only."""
        if self.scheme_ids is not None:
            return {"scheme_ids": list(self.scheme_ids)}
        return {"court_ids": list(self.court_ids or ())}


def counted_for(user: User) -> Counted:
    """Every case ``user`` may see, exactly ``scoping.cases_filter(user)``: her schemes for a support worker or a
    manager, the court or courts for court and CPS users, nothing for anyone else."""
    if Role(user.role) in scoping.STAFF_ROLES:
        return Counted(scheme_ids=tuple(scoping.scheme_ids(user)))
    return Counted(court_ids=tuple(scoping.court_ids(user) or ()))


@dataclass(frozen=True)
class SchemeRef:
    """A scheme as a report names it."""

    id: int
    slug: str
    name: str


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def scope_label(organisation: Organisation | None, schemes: Iterable[SchemeRef]) -> str:
    """How a report names the schemes it counts: "Whole organisation: <name>" when they are all of the
    organisation's, the scheme's name for one, "<organisation>: A and B" for some."""
    counted = sorted(schemes, key=lambda scheme: (scheme.name, scheme.id))
    if organisation is None:
        return _and([scheme.name for scheme in counted]) if counted else "No scheme"
    every = {scheme.id for scheme in schemes_of(organisation.id)}
    if counted and {scheme.id for scheme in counted} == every:
        return f"{WHOLE_ORGANISATION}: {organisation.name}"
    if not counted:
        return f"{organisation.name}: no scheme"
    if len(counted) == 1:
        return counted[0].name
    return f"{organisation.name}: {_and([scheme.name for scheme in counted])}"


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
    every = scope_label(scoping.organisation_of(user), offered)
    all_label = every if every.startswith(f"{WHOLE_ORGANISATION}:") else "All your schemes"
    if slug is not None:
        chosen = next((scheme for scheme in offered if scheme.slug == slug), None)
        if chosen is None:
            raise NotFound(NO_SCHEME, {"scheme": NO_SCHEME})
        return ReportChoice(counted.only(chosen.id), offered, chosen, (chosen,), chosen.name, all_label)
    return ReportChoice(counted, offered, None, offered, every, all_label)


def report_courts(user: User) -> list[Court] | None:
    """The courts a report of ``user`` may be narrowed to, by name: the courts her schemes serve (support staff),
    the courts a CPS user covers; None for a court user, whose report is always her own court's."""
    role = Role(user.role)
    if role == Role.COURT:
        return None
    if role in scoping.STAFF_ROLES:
        found = {court.id: court for scheme in user.schemes for court in scheme.courts}
    else:
        found = {court.id: court for court in (user.cps_courts if role == Role.CPS else [])}
    return sorted(found.values(), key=lambda court: (court.name, court.code))
