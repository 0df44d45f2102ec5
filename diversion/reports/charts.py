"""The completion report's chart: finished cases by month as stacked bars, drawn by matplotlib as SVG.

The page shows it with ``<img>`` from its own route (an inline ``<svg>`` would need inline styles the page's CSP
refuses), with a table of the same figures beside it. Its styling is written as SVG presentation attributes rather
than CSS, so that no browser's CSP handling of an SVG image's own headers can strip its colours. The output is
deterministic: the same figures give the same bytes (fixed hash salt and ids, no date or creator metadata).
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from html import escape

from diversion.reports.services import MonthFigures

# GOV.UK Design System colours: blue, orange and dark grey stay distinct for the common colour-vision deficiencies.
SERIES = (
    ("completed", "Completed", "#1d70b8"),
    ("not_completed", "Not completed", "#f47738"),
    ("withdrawn", "Withdrawn", "#505a5f"),
)
TEXT_COLOUR = "#0b0c0c"
MAX_TICK_LABELS = 12
RC = {
    "svg.hashsalt": "diversion-completion-chart",
    "svg.id": "completion-chart",
    "svg.fonttype": "path",  # text drawn as paths: the same picture without depending on the viewer's fonts
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "text.color": TEXT_COLOUR,
    "axes.edgecolor": TEXT_COLOUR,
    "axes.labelcolor": TEXT_COLOUR,
    "xtick.color": TEXT_COLOUR,
    "ytick.color": TEXT_COLOUR,
}
_STYLE_ELEMENT = re.compile(r"<style[^>]*>\*\{([^}]*)\}</style>")
_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')
_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")
# matplotlib's settings are process-wide: one chart at a time, so a threaded server cannot mix two charts' settings.
_DRAWING = threading.Lock()


def _declarations(css: str) -> list[tuple[str, str]]:
    pairs = []
    for declaration in css.split(";"):
        name, _, value = declaration.partition(":")
        if name.strip() and value.strip():
            pairs.append((name.strip(), value.strip()))
    return pairs


def _attributes(pairs: list[tuple[str, str]]) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in pairs)


def presentation_attributes(svg: str, title: str) -> str:
    """matplotlib's SVG with every ``style`` attribute and its one ``<style>`` rule turned into presentation
    attributes (the rule's defaults go on the root, where they are inherited), and a ``<title>``."""
    defaults = _STYLE_ELEMENT.search(svg)
    svg = _STYLE_ELEMENT.sub("", svg)
    svg = _STYLE_ATTRIBUTE.sub(lambda match: _attributes(_declarations(match.group(1))), svg)
    root = _attributes(_declarations(defaults.group(1))) if defaults else ""
    return _SVG_OPEN.sub(
        lambda match: f'<svg{match.group(1)}{root} role="img">\n <title>{escape(title)}</title>', svg, count=1
    )


def completion_chart_svg(months: Sequence[MonthFigures], title: str) -> str:
    """Stacked bars of completed, not completed and withdrawn cases for each month, as an SVG document."""
    import matplotlib

    matplotlib.use("Agg")  # no GUI; chosen here, not at import, so importing the app never touches matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with _DRAWING, matplotlib.rc_context(RC):
        # The Figure API, not pyplot: no global figure state shared between requests or threads.
        figure = Figure(figsize=(8, 3.6))
        axes = figure.subplots()
        positions = list(range(len(months)))
        bottoms = [0] * len(months)
        for key, label, colour in SERIES:
            heights = [getattr(month, key) for month in months]
            axes.bar(positions, heights, bottom=bottoms, label=label, color=colour, edgecolor="#ffffff", linewidth=0.5)
            bottoms = [bottom + height for bottom, height in zip(bottoms, heights, strict=True)]
        step = max(1, -(-len(months) // MAX_TICK_LABELS))
        axes.set_xticks(positions[::step], [month.short_label for month in months][::step])
        if len(months) > 6:
            axes.tick_params(axis="x", labelrotation=45)
            for tick in axes.get_xticklabels():
                tick.set_horizontalalignment("right")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, max([*bottoms, 1]) * 1.1)
        axes.set_xlim(-0.6, max(len(months), 1) - 0.4)
        axes.set_ylabel("Finished cases")
        axes.spines[["top", "right"]].set_visible(False)
        if not any(bottoms):
            axes.text(0.5, 0.5, "No finished cases in this period", transform=axes.transAxes, ha="center")
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncols=3, frameon=False)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return presentation_attributes(buffer.getvalue(), title)
