"""The report's own figures: one colour per group, time units, aligned at-risk table, plain text."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

from mirabal_stats._results import group_colour
from mirabal_stats.reporting.document import figure_from_matplotlib
from mirabal_stats.reporting.plots import (
    attrition_plot,
    forest_plot,
    prevalence_plot,
    survival_plot,
)
from tests.reporting.conftest import PNG_MAGIC

TREATED, COMPARISON = "programme", "comparison"
BLUE, ORANGE = group_colour(True), group_colour(False)


def _draw(fig):
    FigureCanvasAgg(fig).draw()
    return fig


def _line_colours(ax) -> dict:
    return {
        line.get_label(): line.get_color()
        for line in ax.get_lines()
        if not line.get_label().startswith("_")
    }


def test_attrition_and_prevalence_give_each_group_its_colour():
    # Comparison listed first in the data: the colours must still follow the groups.
    table = pd.DataFrame(
        {
            "group": [COMPARISON] * 2 + [TREATED] * 2,
            "wave": ["baseline", "3m"] * 2,
            "pct_of_baseline": [100, 80, 100, 90],
        }
    )
    fig = attrition_plot(table, groups=(COMPARISON, TREATED), treated=TREATED)
    assert _line_colours(fig.axes[0]) == {TREATED: BLUE, COMPARISON: ORANGE}
    prevalence = pd.DataFrame(
        {
            "measure": "safety",
            "indicator": "paid $5 a day$",
            "group": [COMPARISON] * 2 + [TREATED] * 2,
            "wave": ["baseline", "3m"] * 2,
            "pct_yes": [50.0, 40.0, 55.0, 20.0],
        }
    )
    fig = _draw(
        prevalence_plot(prevalence, measure="safety", groups=(COMPARISON, TREATED), treated=TREATED)
    )
    ax = fig.axes[0]
    assert _line_colours(ax) == {TREATED: BLUE, COMPARISON: ORANGE}
    assert ax.title.get_text() == "paid $5 a day$" and ax.title.get_fontsize() >= 10
    assert all(label.get_fontsize() >= 9 for label in ax.get_xticklabels())


def test_survival_plot_units_colours_and_at_risk_under_the_ticks():
    curves = pd.DataFrame(
        {
            "group": [TREATED] * 3 + [COMPARISON] * 3,
            "time": [0.0, 4.0, 15.0] * 2,
            "estimate": [1.0, 0.9, 0.8, 1.0, 0.7, 0.6],
            "lower": [1.0, 0.8, 0.7, 1.0, 0.6, 0.5],
            "upper": [1.0, 0.95, 0.9, 1.0, 0.8, 0.7],
        }
    )
    durations = {TREATED: np.array([2.0, 15.0, 15.0]), COMPARISON: np.array([1.0, 3.0, 15.0])}
    fig = _draw(
        survival_plot(
            curves,
            groups=(COMPARISON, TREATED),
            treated=TREATED,
            time_unit="weeks",
            durations=durations,
        )
    )
    ax = fig.axes[0]
    assert ax.get_xlabel() == "time since programme start (weeks)"
    assert _line_colours(ax) == {TREATED: BLUE, COMPARISON: ORANGE}
    ticks = list(ax.get_xticks())
    assert ticks == [0, 3, 6, 9, 12, 15]
    numbers = [t for t in ax.texts if t.get_text().isdigit()]
    by_colour = {BLUE: [], ORANGE: []}
    for text in numbers:
        by_colour[text.get_color()].append((text.get_position()[0], int(text.get_text())))
    # One number per tick and group, placed at the tick: persons still followed at that time.
    assert by_colour[BLUE] == [(0, 3), (3, 2), (6, 2), (9, 2), (12, 2), (15, 2)]
    assert by_colour[ORANGE] == [(0, 3), (3, 2), (6, 1), (9, 1), (12, 1), (15, 1)]


def test_log_scale_labels_are_plain_numbers():
    table = pd.DataFrame(
        {"measure": ["a", "b"], "estimate": [1.5, 0.8], "lower": [1.1, 0.5], "upper": [2.0, 1.3]}
    )
    fig = _draw(
        forest_plot(
            table, label_column="measure", xlabel="odds ratio", reference=1.0, log_scale=True
        )
    )
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert labels and all("$" not in t and "mathdefault" not in t for t in labels)
    assert "1" in labels
    png = figure_from_matplotlib(fig, name="x", caption="x").png
    assert png.startswith(PNG_MAGIC)
