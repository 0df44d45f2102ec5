"""The completion report's chart: finished cases by month as stacked bars, an SVG document.

The page shows it with ``<img>`` from its own route (an inline ``<svg>`` would need inline styles the page's CSP
refuses), with a table of the same figures beside it. ``diversion.charts`` lays it out and
``templates/charts/chart.svg`` draws it with presentation attributes only (docs/charts.md). The same figures give the
same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diversion.charts import BLUE, DARK_GREY, ORANGE, Series, bar_chart, span
from diversion.reports.services import MonthFigures

SERIES = (
    ("completed", _l("Completed"), BLUE),
    ("not_completed", _l("Not completed"), ORANGE),
    ("withdrawn", _l("Withdrawn"), DARK_GREY),
)


def completion_chart_svg(months: Sequence[MonthFigures], title: str) -> str:
    """Stacked bars of completed, not completed and withdrawn cases for each month, as an SVG document."""
    labels = [month.short_label for month in months]
    chart = bar_chart(
        title,
        _(
            "Stacked bars of the completed, not completed and withdrawn cases of each month, %(months)s. "
            "The table beside the chart on the report's page gives each month's figures.",
            months=span(labels),
        ),
        labels,
        [Series(str(label), colour, tuple(getattr(month, key) for month in months)) for key, label, colour in SERIES],
        y_label=_("Finished cases"),
        message=_("No finished cases in this period"),
    )
    return render_template("charts/chart.svg", chart=chart)
