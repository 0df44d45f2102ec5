"""The dashboard's trend charts, SVG documents laid out by ``diversion.charts`` as the completion report's chart is
(see ``diversion.reports.charts``): referrals by month, and the completion rate by month against the reference."""

from __future__ import annotations

from collections.abc import Sequence

from flask import render_template
from flask_babel import gettext as _

from diversion.charts import BLUE, ORANGE, Series, bar_chart, line_chart, span
from diversion.reports.services import MonthFigures


def referrals_chart_svg(months: Sequence[tuple[str, int]], title: str) -> str:
    """Bars of cases referred in each month, as an SVG document."""
    labels = [label for label, _count in months]
    chart = bar_chart(
        title,
        _(
            "Bars of the cases referred in each month, %(months)s. "
            "The table beside the chart on the dashboard gives each month's figures.",
            months=span(labels),
        ),
        labels,
        [Series(_("Referrals"), BLUE, tuple(count for _label, count in months))],
        y_label=_("Cases referred"),
        message=_("No referrals in this period"),
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
        _(
            "A line through the completion rate of each month with finished cases, %(months)s, and a dashed line "
            "at the reference rate of %(reference)s. The table beside the chart on the dashboard gives each month's "
            "figures.",
            months=span(labels),
            reference=f"{reference:.0%}",
        ),
        labels,
        Series(_("Completion rate"), BLUE, rates),
        (_("Reference, %(reference)s", reference=f"{reference:.0%}"), reference * 100, ORANGE),
        y_label=_("Completion rate (%)"),
        maximum=100,
        message=_("No finished cases in this period"),
    )
    return render_template("charts/chart.svg", chart=chart)
