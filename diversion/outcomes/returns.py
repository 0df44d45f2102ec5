"""The funder return: indicators read from a data file (``indicators.toml``), their figures from the measures, small
numbers suppressed for anything that leaves the organisation, and snapshots that let a past return be run again and
compared.

Suppression: a count from 1 to 4 reads ``<5`` (primary). Where a total would give a suppressed count away (the parts
of a breakdown, indicators declared as ``parts`` of another, and a rate's denominator, which is its numerator plus
the rest: 13 opted in of 15 would say that 2 declined), the smallest other part is withheld too and reads ``[c]``
(secondary), until no total has exactly one withheld part, or withheld parts adding up to less than 5. A rate, mean
or median reads ``[c]`` when a count it is made from is withheld, since it would give that count away.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from diversion import scoping
from diversion.assessments.models import Domain
from diversion.audit.services import record_event
from diversion.auth.models import User
from diversion.care_plans.models import Service
from diversion.db import transaction
from diversion.errors import NotFound
from diversion.extensions import db
from diversion.organisations.models import Organisation, Scheme
from diversion.outcomes import queries, services
from diversion.outcomes.models import ReturnSnapshot
from diversion.outcomes.queries import AGE_BANDS, NOT_RECORDED, Scope
from diversion.reports.scope import SchemeRef, shown_scope_label
from diversion.reports.services import N_, Period
from diversion.scoping import Counted

INDICATORS_FILE = Path(__file__).with_name("indicators.toml")
FORMATS = ("count", "rate", "mean", "median")
SMALL = "<5"
WITHHELD = "[c]"
ALL = "all"
# Groups in which each unit falls in exactly one group, so the groups add up to the total.
PARTITIONS = ("service", "age_band", "ethnicity")
# English for the API and the exports; pages show it through ``_``.
SUPPRESSION_TEXT = N_(
    "Counts from 1 to 4 read <5. Where a total would give such a count away, another count is withheld and reads "
    "[c]; a rate, mean or median made from a withheld count, or over fewer than 5, reads [c] too."
)


class IndicatorFileError(ValueError):
    """The indicators file names a measure, a group or a format that does not exist."""


@dataclass(frozen=True)
class Indicator:
    """One line of the funder return, as the data file defines it."""

    key: str
    name: str
    definition: str
    numerator: str
    denominator: str | None = None
    format: str = "count"
    by: str | None = None
    parts: tuple[str, ...] = ()
    reference: float | None = None


def parse_indicators(text: str) -> tuple[Indicator, ...]:
    """Indicators from TOML text, checked against the measures: IndicatorFileError saying what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise IndicatorFileError(f"The indicators file is not valid TOML: {error}") from None
    found: list[Indicator] = []
    for entry in data.get("indicator", []):
        try:
            indicator = Indicator(**{**entry, "parts": tuple(entry.get("parts", ()))})
        except TypeError as error:
            raise IndicatorFileError(f"Indicator {entry.get('key')!r}: {error}") from None
        _check(indicator, {item.key for item in found})
        found.append(indicator)
    if not found:
        raise IndicatorFileError("The indicators file defines no indicator")
    return tuple(found)


def _check(indicator: Indicator, earlier: set[str]) -> None:
    where = f"Indicator {indicator.key!r}"
    if indicator.key in earlier:
        raise IndicatorFileError(f"{where} is defined twice")
    if indicator.format not in FORMATS:
        raise IndicatorFileError(f"{where}: format must be one of {', '.join(FORMATS)}")
    for name in (indicator.numerator, indicator.denominator):
        if name is not None and name not in services.MEASURES:
            raise IndicatorFileError(f"{where}: no measure is called {name!r}")
    if (indicator.format == "count") != (indicator.denominator is None):
        raise IndicatorFileError(f"{where}: a count has no denominator; a rate, mean or median needs one")
    expected_kind = {"mean": "sum", "median": "values"}.get(indicator.format, "count")
    if services.MEASURES[indicator.numerator].kind != expected_kind:
        raise IndicatorFileError(f"{where}: the {indicator.format} needs a numerator measure of kind {expected_kind}")
    if indicator.by is not None and indicator.by not in services.MEASURES[indicator.numerator].groups:
        raise IndicatorFileError(f"{where}: {indicator.numerator!r} cannot be broken down by {indicator.by!r}")
    if indicator.by is not None and indicator.format == "median":
        raise IndicatorFileError(f"{where}: a median cannot be broken down")
    for part in indicator.parts:
        if part not in earlier:
            raise IndicatorFileError(f"{where}: its part {part!r} must be an indicator defined before it")


@dataclass(frozen=True)
class ShownIndicator:
    """An indicator's name and definition as a page shows them, in the language of the page."""

    name: str
    definition: str


def shown_indicator(indicator: Indicator) -> ShownIndicator:
    """An indicator's words for a page: the catalogue's translation of the data file's English when it has one
    (``indicator_words`` lists them for the catalogue), else the file's own words."""
    return ShownIndicator(_(indicator.name), _(indicator.definition))


def shown_name(name: str) -> str:
    """An indicator's name kept in a snapshot (English), as a page shows it."""
    return _(name)


@functools.cache
def _file_indicators(path: Path, stamp: float) -> tuple[tuple[Indicator, ...], str]:
    text = path.read_text(encoding="utf-8")
    return parse_indicators(text), hashlib.sha256(text.encode("utf-8")).hexdigest()


def indicators(path: Path | None = None) -> tuple[tuple[Indicator, ...], str]:
    """The indicators of the data file and the file's SHA-256 (read again whenever the file changes)."""
    path = path or INDICATORS_FILE
    return _file_indicators(path, path.stat().st_mtime)


# --- figures ---


@dataclass
class Cell:
    """One figure of the return: a group (or "all"), the counts it is made from and its value."""

    group: str
    value: Any
    numerator: Any = None
    denominator: Any = None
    suppressed: bool = False


@dataclass
class IndicatorFigures:
    """An indicator's cells: "all" first, then its groups."""

    indicator: Indicator
    cells: list[Cell] = field(default_factory=list)

    def cell(self, group: str) -> Cell:
        """The cell of a group ("all" for the total)."""
        return next(cell for cell in self.cells if cell.group == group)


def _groups(by: str, found: dict[str | None, int]) -> list[str]:
    if by == "service":
        return [service.value for service in Service]
    if by == "domain":
        return [domain.value for domain in Domain]
    if by == "age_band":
        return [code for code, _, _ in AGE_BANDS] + [NOT_RECORDED]
    return sorted((str(group) for group in found if group is not None), key=lambda g: (g == NOT_RECORDED, g))


class _Counts:
    """Measure aggregates for one scope, each queried once however many indicators use it. Measures over the same
    rows (a mean's sum and count) share one query; a total over groups that partition it is their sum; a measure's
    partitions come from one query grouped by all of them; and the measures of one family (outcomes by state,
    appointments by outcome, onward referrals by status) are sums over one count of the family."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._cache: dict[tuple[Any, ...], Any] = {}

    def get(self, what: str, key: str, by: str | None) -> Any:
        measure = services.MEASURES[key]
        if what == "values":
            cache_key: tuple[Any, ...] = ("values", measure.rows)
            if cache_key not in self._cache:
                self._cache[cache_key] = queries.value_histogram(measure.rows(self.scope))
            return self._cache[cache_key]
        if by is None and what == "count" and any(group in PARTITIONS for group in measure.groups):
            by_group = self.get("count", key, next(group for group in measure.groups if group in PARTITIONS))
            return {None: sum(by_group.values())}
        if what == "count" and isinstance(measure.rows, queries.Tallied):
            cache_key = ("tally", measure.rows.family)
            if cache_key not in self._cache:
                self._cache[cache_key] = measure.rows.tally(self.scope)
            return measure.rows.count(self._cache[cache_key], by)
        partitions = tuple(group for group in measure.groups if group in PARTITIONS)
        if what == "count" and by in partitions and len(partitions) > 1 and measure.kind == "count":
            cache_key = ("partitions", measure.rows)
            if cache_key not in self._cache:
                self._cache[cache_key] = queries.count_units_by_each(measure.rows(self.scope), partitions)
            return self._cache[cache_key][by]
        if measure.kind == "sum" or any(other.rows is measure.rows and other.kind == "sum" for other in _SUMS):
            # A mean is shown in all and by its group: both come from one statement.
            cache_key = ("count_and_sum", measure.rows)
            if cache_key not in self._cache:
                grouping = measure.groups[0] if measure.groups else None
                self._cache[cache_key] = (
                    queries.count_and_sum_with_total(measure.rows(self.scope), grouping)
                    if grouping is not None
                    else queries.count_and_sum(measure.rows(self.scope))
                )
            if by is not None and measure.groups[0] != by:
                raise ValueError(f"{key} is broken down by {measure.groups[0]}, not {by}")
            pairs = self._cache[cache_key]
            if by is None:
                return {None: pairs[None][1 if what == "sum" else 0]}
            return {group: pair[1 if what == "sum" else 0] for group, pair in pairs.items() if group is not None}
        cache_key = ("count", measure.rows, by)
        if cache_key not in self._cache:
            self._cache[cache_key] = queries.count_units(measure.rows(self.scope), by)
        return self._cache[cache_key]


_SUMS = [measure for measure in services.MEASURES.values() if measure.kind == "sum"]


def _value(indicator: Indicator, numerator: Any, denominator: int | None) -> Any:
    if indicator.format == "count":
        return numerator
    if not denominator:
        return None
    if indicator.format == "rate":
        return round(numerator / denominator, 3)
    return round(numerator / denominator, 2)


def compute(scope: Scope, indicator_set: tuple[Indicator, ...]) -> list[IndicatorFigures]:
    """Every indicator's cells, unsuppressed: aggregate queries only."""
    counts = _Counts(scope)
    result = []
    for indicator in indicator_set:
        figures = IndicatorFigures(indicator)
        if indicator.format == "median":
            histogram = counts.get("values", indicator.numerator, None)
            n = counts.get("count", indicator.denominator or "", None)[None]
            value = services.median(histogram)
            figures.cells.append(Cell(ALL, None if value is None else round(value, 1), None, n))
            result.append(figures)
            continue
        what = "sum" if indicator.format == "mean" else "count"
        groups: list[str | None] = [None]
        by = indicator.by
        numerators = counts.get(what, indicator.numerator, None)
        denominators = counts.get("count", indicator.denominator, None) if indicator.denominator else {}
        cells = [(ALL, numerators.get(None, 0), denominators.get(None))]
        if by is not None:
            grouped = counts.get(what, indicator.numerator, by)
            grouped_den = counts.get("count", indicator.denominator, by) if indicator.denominator else {}
            groups = list(_groups(by, grouped))
            cells += [
                (str(g), grouped.get(g, 0), grouped_den.get(g, 0) if indicator.denominator else None) for g in groups
            ]
        for group, numerator, denominator in cells:
            if indicator.denominator is not None and denominator is None:
                denominator = 0
            figures.cells.append(Cell(group, _value(indicator, numerator, denominator), numerator, denominator))
        result.append(figures)
    return result


# --- suppression ---


def _count_refs(indicator: Indicator) -> list[tuple[str, str]]:
    """Which of a cell's attributes hold counts of people or cases, and of which measure."""
    if indicator.format == "count":
        return [("numerator", indicator.numerator)]
    if indicator.format == "rate":
        return [("numerator", indicator.numerator), ("denominator", indicator.denominator or "")]
    return [("denominator", indicator.denominator or "")]  # a mean's sum of changes, a median's values: not counts


def suppress(figures: list[IndicatorFigures]) -> list[IndicatorFigures]:
    """The figures with small numbers suppressed (see the module docstring); the input is not changed.

    Suppression is decided per measure and group, not per indicator, so a count withheld in one indicator is
    withheld in every indicator made from it (a completion rate cannot give away a withheld number completed)."""
    values: dict[tuple[str, str], int] = {}
    for item in figures:
        for cell in item.cells:
            for attribute, measure in _count_refs(item.indicator):
                values[(measure, cell.group)] = int(getattr(cell, attribute) or 0)
    state: dict[tuple[str, str], str] = {ref: "small" for ref, value in values.items() if 1 <= value <= 4}

    # Totals and the parts that add up to them: a breakdown's groups, and indicators declared as parts.
    numerators = {item.indicator.key: item.indicator.numerator for item in figures}
    relations: list[tuple[tuple[str, str], list[tuple[str, str]]]] = []
    for item in figures:
        indicator = item.indicator
        if indicator.by in PARTITIONS:
            for _, measure in _count_refs(indicator):
                relations.append(((measure, ALL), [(measure, cell.group) for cell in item.cells if cell.group != ALL]))
        if indicator.parts:
            relations.append(((indicator.numerator, ALL), [(numerators[part], ALL) for part in indicator.parts]))
        if indicator.format == "rate" and indicator.denominator:
            # A rate's denominator is its numerator plus the rest (opted in + declined): when the rest is 1 to 4,
            # showing both would give it away, so the rest counts as a withheld part of the denominator.
            for cell in item.cells:
                total = (indicator.denominator, cell.group)
                counted = (indicator.numerator, cell.group)
                rest = (f"{indicator.key}:rest", cell.group)
                values[rest] = values.get(total, 0) - values.get(counted, 0)
                if 1 <= values[rest] <= 4:
                    state[rest] = "small"
                relations.append((total, [counted, rest]))
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            hidden = [ref for ref in parts if ref in state]
            visible = [ref for ref in parts if ref not in state]
            # One withheld part is given away by the total; several are too when they add up to less than 5
            # (two parts of 1 to 4 adding up to 2 are both 1).
            hidden_sum = sum(values.get(ref, 0) for ref in hidden)
            if total in state or not hidden or not visible or (len(hidden) > 1 and hidden_sum >= 5):
                continue
            # The smallest other part, a non-zero one first: withholding it gives the least away.
            choice = min(visible, key=lambda ref: (values.get(ref, 0) == 0, values.get(ref, 0)))
            state[choice] = "withheld"
            changed = True

    out = []
    for item in figures:
        copy = IndicatorFigures(item.indicator, [Cell(**vars(cell)) for cell in item.cells])
        for cell in copy.cells:
            for attribute, measure in _count_refs(item.indicator):
                mark = state.get((measure, cell.group))
                if mark:
                    setattr(cell, attribute, SMALL if mark == "small" else WITHHELD)
                    cell.suppressed = True
            if cell.suppressed:
                if item.indicator.format == "count":
                    cell.value = cell.numerator
                else:
                    cell.value = WITHHELD
                    if item.indicator.format == "mean":
                        cell.numerator = WITHHELD
        out.append(copy)
    return out


# --- the return, its snapshot and a re-run ---


@dataclass
class FunderReturn:
    """A return: its scope, the indicator file's hash and the figures (suppressed or not)."""

    period: Period
    scope: Scope
    indicators_hash: str
    figures: list[IndicatorFigures]
    is_suppressed: bool


def funder_return(period: Period, scope: Scope, *, suppressed: bool = True) -> FunderReturn:
    """The return of a period and scope, with small numbers suppressed unless asked otherwise."""
    indicator_set, digest = indicators()
    figures = compute(scope, indicator_set)
    return FunderReturn(period, scope, digest, suppress(figures) if suppressed else figures, suppressed)


def _measures_used(indicator: Indicator) -> list[str]:
    return [name for name in (indicator.numerator, indicator.denominator) if name]


def _hash_ids(ids: list[Any]) -> str:
    return hashlib.sha256("\n".join(sorted(str(case_id) for case_id in ids)).encode("ascii")).hexdigest()


def _snapshot_content(scope: Scope, figures: list[IndicatorFigures]) -> tuple[dict[str, Any], str, int]:
    ids_by_measure: dict[str, list[Any]] = {}
    content: dict[str, Any] = {}
    for item in figures:
        ids: set[Any] = set()
        for name in _measures_used(item.indicator):
            if name not in ids_by_measure:
                ids_by_measure[name] = queries.case_ids(services.MEASURES[name].rows(scope))
            ids.update(ids_by_measure[name])
        content[item.indicator.key] = {
            "name": item.indicator.name,
            "cells": {cell.group: [cell.value, cell.numerator, cell.denominator] for cell in item.cells},
            "cases_hash": _hash_ids(list(ids)),
            "cases": len(ids),
        }
    every = {case_id for ids in ids_by_measure.values() for case_id in ids}
    return content, _hash_ids(list(every)), len(every)


def save_snapshot(period: Period, scope: Scope, actor: User) -> ReturnSnapshot:
    """Generate the return and keep it: parameters (the organisation and the schemes counted among them),
    unsuppressed figures, and hashes of the case ids behind them."""
    # Never every case: what she may see when no scheme was chosen, which is also what the snapshot records.
    counted = scope.counted or scoping.counted_for(actor)
    scope = replace(scope, counted=counted)
    scheme_ids = list(counted.scheme_ids or ())
    if actor.organisation_id is None or not scheme_ids:
        raise NotFound(_("No scheme of yours to keep a return of"))
    indicator_set, digest = indicators()
    content, cases_hash, case_count = _snapshot_content(scope, compute(scope, indicator_set))
    with transaction():
        snapshot = ReturnSnapshot(
            created_by_id=actor.id,
            period_start=period.start,
            period_end=period.end,
            period_kind=period.kind,
            organisation_id=actor.organisation_id,
            scheme_ids=sorted(scheme_ids),
            court_id=scope.court_id,
            worker_id=scope.worker_id,
            indicators_hash=digest,
            cases_hash=cases_hash,
            case_count=case_count,
            figures=content,
        )
        db.session.add(snapshot)
        db.session.flush()
        record_event("outcomes.snapshot_saved", object_type="return_snapshot", object_id=snapshot.id, actor=actor)
    return snapshot


def _may_open(saved: ReturnSnapshot, user: User) -> bool:
    """A snapshot is its organisation's, and opened by a manager of every scheme it counted: what it counted is
    inside what she may see."""
    return saved.organisation_id == user.organisation_id and set(saved.scheme_ids) <= set(scoping.scheme_ids(user))


def snapshots_for(user: User, period: Period | None = None) -> list[ReturnSnapshot]:
    """The snapshots ``user`` may open, newest first (of one period when given)."""
    query = (
        select(ReturnSnapshot)
        .where(ReturnSnapshot.organisation_id == user.organisation_id)
        .order_by(ReturnSnapshot.created_at.desc())
    )
    if period is not None:
        query = query.where(ReturnSnapshot.period_start == period.start, ReturnSnapshot.period_end == period.end)
    return [saved for saved in db.session.scalars(query.limit(100)) if _may_open(saved, user)]


def snapshot(snapshot_id: Any, user: User) -> ReturnSnapshot:
    """One snapshot ``user`` may open, or NotFound (as for one that does not exist)."""
    found = db.session.get(ReturnSnapshot, snapshot_id)
    if found is None or not _may_open(found, user):
        raise NotFound(_("No such snapshot"))
    return found


def snapshot_scope(saved: ReturnSnapshot) -> tuple[Period, Scope]:
    """The period and scope a snapshot was made for: the same schemes, court and worker."""
    period = Period(saved.period_start, saved.period_end, saved.period_kind)
    counted = Counted(scheme_ids=tuple(sorted(saved.scheme_ids)))
    return period, Scope(saved.period_start, saved.period_end, saved.court_id, saved.worker_id, counted)


def snapshot_labels(snapshots: list[ReturnSnapshot]) -> list[tuple[ReturnSnapshot, str]]:
    """Each snapshot with what it counted, as the return's page names it ("Whole organisation: <name>", a scheme's
    name) in the language of the page: the organisations' schemes read once for the whole list."""
    organisations = {saved.organisation_id for saved in snapshots}
    if not organisations:
        return []
    schemes: dict[int, list[Scheme]] = {}
    for scheme in db.session.scalars(select(Scheme).where(Scheme.organisation_id.in_(organisations))):
        schemes.setdefault(scheme.organisation_id, []).append(scheme)
    labelled = []
    for saved in snapshots:
        own = schemes.get(saved.organisation_id, [])
        counted = [SchemeRef(s.id, s.slug, s.name) for s in own if s.id in saved.scheme_ids]
        label = shown_scope_label(db.session.get(Organisation, saved.organisation_id), counted, [s.id for s in own])
        labelled.append((saved, label))
    return labelled


def snapshot_label(saved: ReturnSnapshot) -> str:
    """What one snapshot counted, as the return names it."""
    return snapshot_labels([saved])[0][1]


@dataclass(frozen=True)
class Difference:
    """What changed in one indicator cell between a snapshot and now."""

    indicator: str
    name: str
    group: str
    then: Any
    now: Any


@dataclass
class Rerun:
    """A snapshot's return made again: identical, or what differs."""

    snapshot: ReturnSnapshot
    differences: list[Difference]
    cases_changed: list[str]
    cases_hash_now: str
    case_count_now: int
    indicators_changed: bool

    @property
    def is_identical(self) -> bool:
        """Same figures, same cases behind them, same indicator definitions."""
        return not (self.differences or self.cases_changed or self.indicators_changed) and (
            self.cases_hash_now == self.snapshot.cases_hash
        )


def rerun(saved: ReturnSnapshot, actor: User) -> Rerun:
    """Make a snapshot's return again from today's data and compare it with what was kept."""
    _, scope = snapshot_scope(saved)
    indicator_set, digest = indicators()
    content, cases_hash, case_count = _snapshot_content(scope, compute(scope, indicator_set))
    differences: list[Difference] = []
    cases_changed: list[str] = []
    for key in list(saved.figures) + [key for key in content if key not in saved.figures]:
        old, new = saved.figures.get(key, {}), content.get(key, {})
        name = new.get("name") or old.get("name") or key
        old_cells, new_cells = old.get("cells", {}), new.get("cells", {})
        for group in list(old_cells) + [group for group in new_cells if group not in old_cells]:
            then = old_cells.get(group, [None])[0]
            now = new_cells.get(group, [None])[0]
            if then != now:
                differences.append(Difference(key, name, group, then, now))
        if old.get("cases_hash") != new.get("cases_hash"):
            cases_changed.append(name)
    with transaction():
        record_event("outcomes.snapshot_rerun", object_type="return_snapshot", object_id=saved.id, actor=actor)
    return Rerun(saved, differences, cases_changed, cases_hash, case_count, digest != saved.indicators_hash)
