"""The dashboard's trend charts, SVG documents laid out by ``diversion.charts`` as the completion report's chart is
(see ``diversion.reports.charts``): referrals by month, and the completion rate by month against the reference."""

from __future__ import annotations

from collections.abc import Sequence

from flask import render_template

from diversion.charts import BLUE, ORANGE, Series, bar_chart, line_chart, span
from diversion.reports.services import MonthFigures


def referrals_chart_svg(months: Sequence[tuple[str, int]], title: str) -> str:
    """Bars of cases referred in each month, as an SVG document."""
    labels = [label for label, _ in months]
    chart = bar_chart(
        title,
        f"Bars of the cases referred in each month, {span(labels)}. "
        "The table beside the chart on the dashboard gives each month's figures.",
        labels,
        [Series("Referrals", BLUE, tuple(count for _, count in months))],
        y_label="Cases referred",
        message="No referrals in this period",
        show_legend=False,
    )
    return render_template("charts/chart.svg", chart=chart)


def completion_rate_chart_svg(months: Sequence[MonthFigures], reference: float, title: str) -> str:
    """The completion rate of each month with finished cases (a line, as percentages) and the reference rate as a
    dashed line, as an SVG document."""
    labels = [month.short_label for month in months]
    rates = tuple(None if m.completion.value is None else m.completion.value * 100 for m in months)
    chart = line_chart(
        title,
        f"A line through the completion rate of each month with finished cases, {span(labels)}, and a dashed line "
        f"at the reference rate of {reference:.0%}. The table beside the chart on the dashboard gives each month's "
        "figures.",
        labels,
        Series("Completion rate", BLUE, rates),
        (f"Reference, {reference:.0%}", reference * 100, ORANGE),
        y_label="Completion rate (%)",
        maximum=100,
        message="No finished cases in this period",
    )
    return render_template("charts/chart.svg", chart=chart)
