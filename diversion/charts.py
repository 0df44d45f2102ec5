"""The geometry of the reports' SVG charts, in plain Python: scales, tick values, and where each bar, line, label
and legend key goes. ``templates/charts/chart.svg`` draws the :class:`Chart` this module lays out.

The charts are a few bars or points a month, so they need no plotting library: docs/charts.md gives the reasons and
the measurements. Labels are real ``<text>`` in the system font stack the pages use, so their width is not known
here: :data:`CHAR_WIDTH` over-estimates it, and the margins leave that much room. Every coordinate is rounded to
two decimals, so the same figures give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

WIDTH, HEIGHT = 640, 300
FONT_SIZE = 12
CHAR_WIDTH = 0.62 * FONT_SIZE  # wider than the average character of any sans-serif in the font stack
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
MAX_X_LABELS = 12  # more months than this label every second (third, ...) month
ROTATE_AFTER = 6  # more months than this turn their labels 45 degrees
TICK = 5
# GOV.UK Design System colours: blue, orange and dark grey stay distinct for the common colour-vision deficiencies.
TEXT_COLOUR, BLUE, ORANGE, DARK_GREY = "#0b0c0c", "#1d70b8", "#f47738", "#505a5f"


def _round(value: float) -> float:
    return round(value, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def text_width(text: str) -> float:
    """An over-estimate of a label's width in pixels."""
    return len(text) * CHAR_WIDTH


def nice_ticks(maximum: float, count: int = 5, *, integer: bool = True) -> list[float]:
    """Tick values from 0 to the first multiple of a "nice" step (1, 2 or 5 times a power of ten) at or above
    ``maximum``, about ``count`` of them. Counts (``integer``) never step by less than 1; nothing to show is 0 to 1."""
    if maximum <= 0:
        return [0, 1]
    rough = maximum / count
    power = 10 ** math.floor(math.log10(rough))
    step = next(power * m for m in (1, 2, 5, 10) if power * m >= rough)
    if integer:
        step = max(1, round(step))
    top = math.ceil(round(maximum / step, 9))
    return [round(i * step, 9) if not integer else i * step for i in range(top + 1)]


def span(labels: Sequence[str]) -> str:
    """The months a chart covers, for its description: "Jan 2026 to Mar 2026"."""
    if not labels:
        return _("no months")
    return labels[0] if len(labels) == 1 else _("%(start)s to %(end)s", start=labels[0], end=labels[-1])


def tick_label(value: float) -> str:
    """12, not 12.0; 0.5 as 0.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Box:
    """The plot area, in pixels from the top left."""

    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class LinearScale:
    """Values from 0 to ``maximum`` onto the plot's height, 0 at the bottom."""

    maximum: float
    bottom: float
    top: float

    def __call__(self, value: float) -> float:
        return _round(self.bottom - (self.bottom - self.top) * value / self.maximum)


@dataclass(frozen=True)
class BandScale:
    """``count`` equal bands (one a month) across the plot's width."""

    count: int
    left: float
    right: float

    @property
    def band(self) -> float:
        return (self.right - self.left) / max(self.count, 1)

    def centre(self, index: int) -> float:
        return _round(self.left + (index + 0.5) * self.band)


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass(frozen=True)
class Line:
    """A polyline through ``points``; ``markers`` puts a dot on each, ``dashed`` draws it dashed."""

    points: tuple[tuple[float, float], ...]
    colour: str
    dashed: bool = False
    markers: bool = False

    @property
    def path(self) -> str:
        return " ".join(f"{x:g},{y:g}" for x, y in self.points)


@dataclass(frozen=True)
class Key:
    """One legend entry: a swatch (``bar``, ``line`` with a dot, or ``dashed``) at (x, y), its label after it."""

    label: str
    colour: str
    kind: str
    x: float
    y: float


@dataclass(frozen=True)
class Series:
    """One set of values, a month each; None where the month has nothing to show (no point is drawn)."""

    label: str
    colour: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    """Everything ``templates/charts/chart.svg`` draws."""

    title: str
    description: str
    plot: Box
    y_label: str
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    rotate_x: bool
    bars: tuple[Bar, ...] = ()
    lines: tuple[Line, ...] = ()
    keys: tuple[Key, ...] = ()
    message: str | None = None
    width: int = WIDTH
    height: int = HEIGHT
    font_family: str = FONT_FAMILY
    font_size: int = FONT_SIZE
    text_colour: str = TEXT_COLOUR

    @property
    def y_label_at(self) -> tuple[float, float]:
        """The rotated axis title's centre: at the left edge, half way down the plot."""
        return (FONT_SIZE + 2, _round((self.plot.top + self.plot.bottom) / 2))

    @property
    def message_at(self) -> tuple[float, float]:
        return (_round((self.plot.left + self.plot.right) / 2), _round((self.plot.top + self.plot.bottom) / 2))


@dataclass(frozen=True)
class _Frame:
    plot: Box
    x: BandScale
    y: LinearScale
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    rotate_x: bool


def _frame(labels: Sequence[str], ticks: Sequence[float], legend: bool) -> _Frame:
    """The plot area left after the axis title, tick labels, month labels and legend, and its two scales."""
    tick_labels = [tick_label(value) for value in ticks]
    rotate = len(labels) > ROTATE_AFTER
    longest = max((text_width(label) for label in labels), default=0)
    left = FONT_SIZE * 2 + 4 + max(text_width(label) for label in tick_labels) + TICK + 4
    bottom = HEIGHT - (TICK + 6 + (longest * math.sqrt(0.5) + FONT_SIZE if rotate else FONT_SIZE + 4))
    top = FONT_SIZE * 3 if legend else FONT_SIZE
    plot = Box(_round(left), top, WIDTH - 16, _round(bottom))
    x = BandScale(len(labels), plot.left, plot.right)
    y = LinearScale(ticks[-1], plot.bottom, plot.top)
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    return _Frame(
        plot=plot,
        x=x,
        y=y,
        y_ticks=tuple(Tick(y(value), label) for value, label in zip(ticks, tick_labels, strict=True)),
        x_ticks=tuple(Tick(x.centre(i), label) for i, label in enumerate(labels) if i % step == 0),
        rotate_x=rotate,
    )


def legend(entries: Sequence[tuple[str, str, str]], left: float) -> tuple[Key, ...]:
    """Keys in a row above the plot from ``left``, each after the one before it: (label, colour, kind) each."""
    keys, x = [], left
    for label, colour, kind in entries:
        keys.append(Key(label, colour, kind, _round(x), FONT_SIZE))
        x += 28 + text_width(label) + 16
    return tuple(keys)


def bar_chart(
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str,
    message: str,
    show_legend: bool = True,
) -> Chart:
    """Bars of each month's values, the series stacked in order from the bottom. ``message`` is shown across an
    empty plot when every value is 0."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    frame = _frame(labels, nice_ticks(max(totals, default=0)), show_legend)
    width = frame.x.band * 0.8
    bars = []
    for index in range(len(labels)):
        bottom = 0.0
        for one in series:
            value = one.values[index] or 0
            if value > 0:
                top_y, bottom_y = frame.y(bottom + value), frame.y(bottom)
                left = _round(frame.x.centre(index) - width / 2)
                bars.append(Bar(left, top_y, _round(width), _round(bottom_y - top_y), one.colour))
            bottom += value
    return _framed(
        frame,
        title,
        description,
        y_label,
        bars=tuple(bars),
        keys=legend([(s.label, s.colour, "bar") for s in series], frame.plot.left) if show_legend else (),
        message=None if any(totals) else message,
    )


def line_chart(
    title: str,
    description: str,
    labels: Sequence[str],
    series: Series,
    reference: tuple[str, float, str],
    *,
    y_label: str,
    maximum: float,
    message: str,
) -> Chart:
    """A line with a dot at each month that has a value, and a dashed line across the plot at the reference value
    ((label, value, colour)), on an axis from 0 to ``maximum``. ``message`` is shown when no month has a value."""
    frame = _frame(labels, nice_ticks(maximum, integer=False), True)
    points = tuple(
        (frame.x.centre(index), frame.y(value)) for index, value in enumerate(series.values) if value is not None
    )
    label, value, colour = reference
    # The reference first, so that the data's line and dots are drawn over it.
    lines = [Line(((frame.plot.left, frame.y(value)), (frame.plot.right, frame.y(value))), colour, dashed=True)]
    if points:
        lines.append(Line(points, series.colour, markers=True))
    return _framed(
        frame,
        title,
        description,
        y_label,
        lines=tuple(lines),
        keys=legend([(series.label, series.colour, "line"), (label, colour, "dashed")], frame.plot.left),
        message=None if points else message,
    )


def _framed(frame: _Frame, title: str, description: str, y_label: str, **drawn: Any) -> Chart:
    """A chart on ``frame``'s plot and axes, with what is drawn on it (bars or lines, keys, a message)."""
    return Chart(
        title=title,
        description=description,
        plot=frame.plot,
        y_label=y_label,
        y_ticks=frame.y_ticks,
        x_ticks=frame.x_ticks,
        rotate_x=frame.rotate_x,
        **drawn,
    )
