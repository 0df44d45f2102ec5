"""A stale save shown, not silently overwritten: her answers beside the saved ones, field by field, with a choice
to make for each that differs before anything is saved again (docs/conflicts.md).

A form shown after a conflict carries the saved version it was compared with only in the ``resolved`` hidden field,
together with the choices; its ``version`` field keeps the version she started from. A later save is taken at the
``resolved`` version only when a choice was made for every answer that differs, so pressing Save again never takes
the newer version by itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

KEEP_SAVED = "theirs"
USE_MINE = "mine"
CHOICES = (KEEP_SAVED, USE_MINE)
ALL = "keep-all"
RESOLVED = "resolved"

MESSAGE = _l(
    "Someone else saved this %(what)s while you were working on it. Nothing of yours has been saved yet: "
    "compare your answers with the saved answers and choose which to keep for each difference"
)


def resolved_version(formdata: Mapping[str, Any]) -> int | None:
    """The saved version a submitted comparison was made against, or None when the form carries none."""
    raw = str(formdata.get(RESOLVED) or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def normal(value: Any) -> Any:
    """One answer in a form comparable with the saved one: text stripped (empty for none), lists sorted, dates as
    ISO text."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return tuple(sorted(str(item) for item in value))
    return str(value).strip()


@dataclass
class Row:
    """One question: her answer and the saved answer as shown, whether they differ, and her choice."""

    name: str
    label: str
    mine: str
    saved: str
    differs: bool
    choice: str | None = None
    error: str | None = None

    @property
    def choice_name(self) -> str:
        return f"keep-{self.name}"


@dataclass
class Comparison:
    """Her answers against the saved answers at ``version`` (as given, for saving); ``keep_all`` is the choice made
    for every difference."""

    version: int
    what: str
    rows: list[Row]
    mine: dict[str, Any]
    saved: dict[str, Any]
    keep_all: str | None = None
    message: str | None = None
    refused: bool = False
    summary: list[dict[str, str]] = field(default_factory=list)

    @property
    def differences(self) -> list[Row]:
        return [row for row in self.rows if row.differs]

    @property
    def unchosen(self) -> list[Row]:
        return [row for row in self.differences if (row.choice or self.keep_all) not in CHOICES]

    def chosen(self) -> dict[str, Any]:
        """Her answers with the saved answer put back wherever she chose to keep it."""
        values = dict(self.mine)
        for row in self.differences:
            if (row.choice or self.keep_all) == KEEP_SAVED:
                values[row.name] = self.saved[row.name]
        return values

    def show(self, form: Any) -> None:
        """Put the conflict at the top of the form's error summary (a form-level error, so that the page's title
        and summary say there is a problem)."""
        text = str(self.message or str(MESSAGE) % {"what": self.what})
        form.form_errors = [*list(form.form_errors or []), text]
        self.summary = [{"text": text, "href": "#conflict"}]
        form.extra_summary = self.summary

    def refuse(self, form: Any) -> None:
        """Save again without a choice for every difference: each unchosen question named, nothing saved."""
        self.refused = True
        self.show(form)
        for row in self.unchosen:
            row.error = _("Choose which answer to keep for %(question)s", question=str(row.label).lower())
            self.summary.append({"text": row.error, "href": f"#{row.choice_name}"})


def compare(
    *,
    what: str,
    questions: Iterable[tuple[str, str]],
    mine: Mapping[str, Any],
    saved: Mapping[str, Any],
    version: int,
    shown: Callable[[str, Any], str],
    formdata: Mapping[str, Any] | None = None,
    skip_blank: bool = False,
    message: str | None = None,
) -> Comparison:
    """Compare her answers with the saved ones (both by question name); ``formdata`` holds the choices made on a
    comparison already shown (None for a new conflict: no choice is taken for her). ``skip_blank`` leaves out the
    questions neither answered (a form of many optional rows); ``message`` replaces the error summary's first line."""
    questions = list(questions)
    mine_values = {name: normal(mine.get(name)) for name, _ in questions}
    saved_values = {name: normal(saved.get(name)) for name, _ in questions}
    rows = []
    for name, label in questions:
        if skip_blank and mine_values[name] == "" and saved_values[name] == "":
            continue
        row = Row(
            name=name,
            label=label,
            mine=shown(name, mine_values[name]),
            saved=shown(name, saved_values[name]),
            differs=mine_values[name] != saved_values[name],
        )
        if formdata is not None and row.differs and formdata.get(row.choice_name) in CHOICES:
            row.choice = formdata.get(row.choice_name)
        rows.append(row)
    keep_all = formdata.get(ALL) if formdata is not None and formdata.get(ALL) in CHOICES else None
    return Comparison(
        version=version,
        what=what,
        rows=rows,
        mine=dict(mine),
        saved=dict(saved),
        keep_all=keep_all,
        message=message,
    )
