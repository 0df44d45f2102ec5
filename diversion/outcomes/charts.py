"""The dashboard's trend charts, drawn by matplotlib as SVG in the completion report's way (see
``diversion.reports.charts``): referrals by month, and the completion rate by month against the reference line."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from diversion.reports.charts import _DRAWING, RC, TEXT_COLOUR, presentation_attributes
from diversion.reports.services import MonthFigures

BLUE, ORANGE = "#1d70b8", "#f47738"


def _figure(labels: list[str]) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.6))
    axes = figure.subplots()
    positions = list(range(len(labels)))
    step = max(1, -(-len(labels) // 12))
    axes.set_xticks(positions[::step], labels[::step])
    if len(labels) > 6:
        axes.tick_params(axis="x", labelrotation=45)
        for tick in axes.get_xticklabels():
            tick.set_horizontalalignment("right")
    axes.set_xlim(-0.6, max(len(labels), 1) - 0.4)
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _svg(figure: Any, title: str) -> str:
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return presentation_attributes(buffer.getvalue(), title)


def referrals_chart_svg(months: Sequence[tuple[str, int]], title: str) -> str:
    """Bars of cases referred in each month, as an SVG document."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.ticker import MaxNLocator

    with _DRAWING, matplotlib.rc_context({**RC, "svg.hashsalt": "diversion-referrals-chart", "svg.id": "referrals"}):
        figure, axes = _figure([label for label, _ in months])
        counts = [count for _, count in months]
        axes.bar(range(len(counts)), counts, color=BLUE, label="Referrals")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, max([*counts, 1]) * 1.1)
        axes.set_ylabel("Cases referred")
        if not any(counts):
            axes.text(0.5, 0.5, "No referrals in this period", transform=axes.transAxes, ha="center")
        return _svg(figure, title)


def completion_rate_chart_svg(months: Sequence[MonthFigures], reference: float, title: str) -> str:
    """The completion rate of each month with finished cases (a line, as percentages) and the reference rate as a
    dashed line, as an SVG document."""
    import matplotlib

    matplotlib.use("Agg")

    with _DRAWING, matplotlib.rc_context({**RC, "svg.hashsalt": "diversion-rate-chart", "svg.id": "rate"}):
        figure, axes = _figure([month.short_label for month in months])
        points = [
            (i, month.completion.value * 100) for i, month in enumerate(months) if month.completion.value is not None
        ]
        if points:
            axes.plot([x for x, _ in points], [y for _, y in points], color=BLUE, marker="o", label="Completion rate")
        else:
            axes.text(0.5, 0.5, "No finished cases in this period", transform=axes.transAxes, ha="center")
        axes.axhline(reference * 100, color=ORANGE, linestyle="--", label=f"Reference, {reference:.0%}")
        axes.set_ylim(0, 105)
        axes.set_ylabel("Completion rate (%)", color=TEXT_COLOUR)
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncols=2, frameon=False)
        return _svg(figure, title)
