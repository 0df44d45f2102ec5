"""The charts' geometry (diversion/charts.py) and the SVG its template draws: nice ticks, scales, stacked bars, the
line and its gaps, month labels thinned and turned, the empty chart, and an accessible, deterministic document with
real text and no styles (docs/charts.md)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from diversion import charts
from diversion.charts import Series, bar_chart, line_chart, nice_ticks
from diversion.outcomes.charts import completion_rate_chart_svg, referrals_chart_svg
from diversion.reports.charts import completion_chart_svg
from diversion.reports.services import MonthFigures

SVG = "{http://www.w3.org/2000/svg}"


def labels(count: int) -> list[str]:
    return [f"M{i}" for i in range(count)]


def months(*figures: tuple[int, int, int]) -> list[MonthFigures]:
    return [MonthFigures(2026, 1 + i, *each) for i, each in enumerate(figures)]


@pytest.mark.parametrize(
    ("maximum", "integer", "expected"),
    [
        (0, True, [0, 1]),
        (1, True, [0, 1]),
        (3, True, [0, 1, 2, 3]),
        (7, True, [0, 2, 4, 6, 8]),
        (14, True, [0, 5, 10, 15]),
        (20, True, [0, 5, 10, 15, 20]),
        (137, True, [0, 50, 100, 150]),
        (100, False, [0, 20, 40, 60, 80, 100]),
        (0.9, False, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    ],
)
def test_nice_ticks_start_at_zero_reach_the_maximum_and_step_by_one_two_or_five(maximum, integer, expected) -> None:
    assert nice_ticks(maximum, integer=integer) == expected


def test_tick_labels_are_whole_numbers_where_they_can_be() -> None:
    assert [charts.tick_label(v) for v in (0, 5.0, 0.2, 100)] == ["0", "5", "0.2", "100"]


def test_a_linear_scale_puts_zero_at_the_bottom_and_the_maximum_at_the_top() -> None:
    scale = charts.LinearScale(maximum=10, bottom=200, top=20)
    assert (scale(0), scale(10), scale(5)) == (200, 20, 110)


def test_stacked_bars_sit_on_each_other_and_their_heights_follow_the_figures() -> None:
    chart = bar_chart(
        "t",
        "d",
        ["Jan", "Feb"],
        [Series("a", "#000001", (3, 0)), Series("b", "#000002", (1, 4))],
        y_label="y",
        message="none",
    )
    first_a, first_b, second_b = chart.bars  # a zero draws no bar
    assert [bar.colour for bar in chart.bars] == ["#000001", "#000002", "#000002"]
    assert first_a.y + first_a.height == pytest.approx(chart.plot.bottom)
    assert first_b.y + first_b.height == pytest.approx(first_a.y)  # b on top of a
    assert first_a.height == pytest.approx(3 * first_b.height, abs=0.02)
    assert second_b.height == pytest.approx(4 * first_b.height, abs=0.02)
    assert first_a.x < second_b.x
    assert chart.message is None
    assert [tick.label for tick in chart.y_ticks] == ["0", "1", "2", "3", "4"]
    assert chart.y_ticks[-1].at == chart.plot.top
    assert [key.label for key in chart.keys] == ["a", "b"]
    assert chart.keys[0].x < chart.keys[1].x


def test_bars_stay_inside_the_plot() -> None:
    chart = bar_chart("t", "d", labels(40), [Series("a", "#000001", tuple(range(40)))], y_label="y", message="m")
    for bar in chart.bars:
        assert chart.plot.left <= bar.x
        assert bar.x + bar.width <= chart.plot.right + 0.01
        assert chart.plot.top <= bar.y
        assert bar.y + bar.height <= chart.plot.bottom + 0.01


def test_up_to_twelve_months_are_each_labelled_and_more_are_thinned_and_turned() -> None:
    def frame(count: int) -> charts.Chart:
        return bar_chart("t", "d", labels(count), [Series("a", "#000001", (1,) * count)], y_label="y", message="m")

    assert [tick.label for tick in frame(3).x_ticks] == ["M0", "M1", "M2"]
    assert not frame(6).rotate_x
    assert frame(7).rotate_x
    assert len(frame(12).x_ticks) == 12
    assert [tick.label for tick in frame(13).x_ticks] == [f"M{i}" for i in range(0, 13, 2)]
    assert len(frame(120).x_ticks) == 12
    # Turned labels need more room below the plot.
    assert frame(7).plot.bottom < frame(6).plot.bottom


def test_an_empty_bar_chart_has_an_axis_and_the_message() -> None:
    chart = bar_chart("t", "d", labels(3), [Series("a", "#000001", (0, 0, 0))], y_label="y", message="Nothing")
    assert chart.bars == ()
    assert chart.message == "Nothing"
    assert [tick.label for tick in chart.y_ticks] == ["0", "1"]
    assert bar_chart("t", "d", [], [Series("a", "#000001", ())], y_label="y", message="Nothing").message == "Nothing"


def test_the_line_skips_months_without_a_value_and_the_reference_spans_the_plot() -> None:
    chart = line_chart(
        "t",
        "d",
        labels(4),
        Series("rate", "#000001", (50, None, 100, 0)),
        ("ref", 70, "#000002"),
        y_label="y",
        maximum=100,
        message="m",
    )
    reference, line = chart.lines
    assert reference.dashed
    assert [x for x, _ in reference.points] == [chart.plot.left, chart.plot.right]
    assert line.markers
    assert [y for _, y in line.points] == [
        pytest.approx((chart.plot.top + chart.plot.bottom) / 2, abs=0.01),
        chart.plot.top,
        chart.plot.bottom,
    ]
    xs = [x for x, _ in line.points]
    assert xs == sorted(xs)
    assert len(xs) == 3
    assert chart.message is None
    assert line.path.count(",") == 3


def test_a_line_chart_of_no_finished_month_keeps_the_reference_and_says_so() -> None:
    chart = line_chart(
        "t", "d", labels(3), Series("r", "#1", (None,) * 3), ("ref", 70, "#2"), y_label="y", maximum=100, message="m"
    )
    assert [line.dashed for line in chart.lines] == [True]
    assert chart.message == "m"


# --- the SVG documents ---


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_the_completion_chart_is_an_accessible_svg_with_real_text(app) -> None:
    with app.app_context():
        svg = completion_chart_svg(months((3, 1, 0), (0, 0, 0), (2, 2, 1)), "Finished cases & more <by month>")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    assert root.find(f"{SVG}title").text == "Finished cases & more <by month>"
    assert root.find(f"{SVG}desc").text.startswith("Stacked bars of the completed, not completed and withdrawn")
    assert "Jan 2026 to Mar 2026" in root.find(f"{SVG}desc").text
    assert root.get("font-family").startswith("system-ui")
    assert {"Jan 2026", "Feb 2026", "Mar 2026", "Finished cases", "Completed", "Not completed", "Withdrawn"} <= set(
        texts(root)
    )
    assert "style" not in svg
    # Two bars for the first month, none for the second, three for the third.
    assert len(root.findall(f"{SVG}g/{SVG}rect")) == 5
    with app.app_context():
        assert completion_chart_svg(months((3, 1, 0), (0, 0, 0), (2, 2, 1)), "Finished cases & more <by month>") == svg


def test_the_dashboard_charts_draw_bars_a_line_and_the_empty_message(app) -> None:
    with app.app_context():
        referrals = parse(referrals_chart_svg([("Jan 2026", 4), ("Feb 2026", 0)], "Referrals by month"))
        rate = parse(completion_rate_chart_svg(months((3, 1, 0), (0, 0, 0), (2, 2, 1)), 0.7, "Rate by month"))
        empty = parse(completion_rate_chart_svg(months((0, 0, 0)), 0.7, "Rate by month"))
    assert len(referrals.findall(f"{SVG}g/{SVG}rect")) == 1
    assert "Cases referred" in texts(referrals)
    assert "Referrals" not in texts(referrals)  # one series needs no legend
    assert {"Completion rate", "Reference, 70%", "Completion rate (%)"} <= set(texts(rate))
    assert len(rate.findall(f"{SVG}circle")) == 2 + 1  # a dot a month with finished cases, and the legend's
    assert [line.get("stroke-dasharray") for line in rate.findall(f"{SVG}polyline")] == ["7 4", None]
    assert "No finished cases in this period" in texts(empty)
    assert "No finished cases in this period" not in texts(rate)
