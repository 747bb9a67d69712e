"""Figures drawn by the report itself (those not provided by a pillar's results object).

Figures are built with :class:`matplotlib.figure.Figure` directly, not through ``pyplot``, so
they need no display and leave no global state behind. Every figure gives each group the same
colour (:func:`mirabal_stats._results.group_colour`: intervention blue, comparison orange), and
labels taken from the data (indicator names, questions) are drawn as plain text, never as
matplotlib math (``$...$``).
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mirabal_stats._results import group_colour

__all__ = [
    "attrition_plot",
    "forest_plot",
    "plain_text",
    "prevalence_plot",
    "sensitivity_plot",
    "survival_plot",
]

#: Colours of the methods in forest plots (not groups: every method compares the two groups).
_METHOD_COLOURS = ("#3f3f46", "#0f766e", "#7c3aed", "#be185d")
#: Colours of measures (sensitivity lines): none is a group colour.
_MEASURE_COLOURS = (
    "#3f3f46",
    "#0f766e",
    "#7c3aed",
    "#be185d",
    "#65a30d",
    "#0891b2",
    "#a16207",
    "#9ca3af",
)


@contextmanager
def plain_text():
    """Draw every label as text: a ``$`` in an indicator name is not matplotlib math."""
    with matplotlib.rc_context({"text.parse_math": False}):
        yield


def _groups(groups: tuple, treated: object) -> list[tuple[object, str]]:
    """``[(label, colour)]``: the intervention group first, each in its own colour."""
    ordered = [treated] + [g for g in groups if g != treated]
    return [(label, group_colour(label == treated)) for label in ordered]


def attrition_plot(table: pd.DataFrame, *, groups: tuple, treated: object) -> Figure:
    """Share of each group's baseline respondents still responding at each wave."""
    with plain_text():
        return _attrition_plot(table, groups=groups, treated=treated)


def _attrition_plot(table: pd.DataFrame, *, groups: tuple, treated: object) -> Figure:
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.add_subplot()
    for label, colour in _groups(groups, treated):
        rows = table[table["group"] == label]
        x = np.arange(len(rows))
        ax.plot(x, rows["pct_of_baseline"], marker="o", color=colour, label=str(label))
        ax.set_xticks(x, [str(w) for w in rows["wave"]])
    ax.set_ylim(0, 105)
    ax.set_xlabel("wave")
    ax.set_ylabel("% of baseline respondents")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def prevalence_plot(
    table: pd.DataFrame,
    *,
    measure: object,
    groups: tuple,
    treated: object,
    questions: dict | None = None,
) -> Figure:
    """Small multiples: % answering yes by wave, one panel per indicator, one line per group.

    Three panels a row at a readable size (titles 11 pt, ticks 10 pt when the page shows the
    figure at its natural width); ``questions`` maps indicators to the text shown as titles.
    """
    with plain_text():
        rows = table[table["measure"] == measure]
        indicators = list(dict.fromkeys(rows["indicator"]))
        ncols = min(3, len(indicators))
        nrows = math.ceil(len(indicators) / ncols)
        fig = Figure(figsize=(3.6 * ncols + 0.4, 3.0 * nrows + 0.6))
        axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
        lines = []
        for ax, indicator in zip(axes.flat, indicators):
            block = rows[rows["indicator"] == indicator]
            for label, colour in _groups(groups, treated):
                line = block[block["group"] == label]
                x = np.arange(len(line))
                lines.append(
                    ax.plot(x, line["pct_yes"], marker="o", ms=4, color=colour, label=str(label))[0]
                )
                ax.set_xticks(x, [str(w) for w in line["wave"]], fontsize=10)
            title = (questions or {}).get(indicator, str(indicator))
            ax.set_title(_wrap(str(title), 32), fontsize=11)
            ax.tick_params(axis="y", labelsize=10)
            ax.set_ylim(-2, 102)
            ax.grid(alpha=0.3)
        for ax in axes.flat[len(indicators) :]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("% answering yes", fontsize=10)
        fig.legend(
            lines[: len(groups)],
            [str(label) for label, _ in _groups(groups, treated)],
            loc="upper center",
            ncol=len(groups),
            frameon=False,
            fontsize=11,
        )
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))
        return fig


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines[:3])


def forest_plot(
    table: pd.DataFrame,
    *,
    label_column: str | None = None,
    reference: float = 0.0,
    xlabel: str,
    series: str | None = None,
    log_scale: bool = False,
    width: float = 6.8,
) -> Figure:
    """Point estimates and intervals (columns ``estimate, lower, upper``), one row per label.

    With ``series`` (a column naming the method, e.g. "Bayesian" / "GEE"), rows with the same label
    are drawn slightly offset so the methods can be compared.
    """
    with plain_text():
        return _forest_plot(
            table,
            label_column=label_column,
            reference=reference,
            xlabel=xlabel,
            series=series,
            log_scale=log_scale,
            width=width,
        )


def _forest_plot(table, *, label_column, reference, xlabel, series, log_scale, width) -> Figure:
    frame = table.reset_index() if label_column is None else table
    label_column = label_column or frame.columns[0]
    labels = list(dict.fromkeys(frame[label_column]))
    methods = [None] if series is None else list(dict.fromkeys(frame[series]))
    fig = Figure(figsize=(width, 0.3 * len(labels) * max(1, len(methods)) ** 0.5 + 1.3))
    ax = fig.add_subplot()
    y_of = {label: len(labels) - 1 - i for i, label in enumerate(labels)}
    offsets = np.linspace(0.2, -0.2, len(methods)) if len(methods) > 1 else [0.0]
    for offset, colour, method in zip(offsets, _METHOD_COLOURS, methods):
        rows = frame if method is None else frame[frame[series] == method]
        y = np.array([y_of[label] for label in rows[label_column]]) + offset
        est = rows["estimate"].to_numpy(float)
        ax.errorbar(
            est,
            y,
            xerr=[est - rows["lower"].to_numpy(float), rows["upper"].to_numpy(float) - est],
            fmt="o",
            ms=4,
            color=colour,
            ecolor=colour,
            elinewidth=1.2,
            capsize=0,
            label=None if method is None else str(method),
        )
    ax.axvline(reference, color="#52606d", lw=0.8, ls="--")
    ax.set_yticks(range(len(labels)), [str(label) for label in reversed(labels)], fontsize=9)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    if log_scale:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        # Plain numbers (0.5, 1, 2, 5): the default 10^x labels are math text, which is off.
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    if series is not None:
        ax.legend(frameon=False, fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def sensitivity_plot(table: pd.DataFrame, *, xlabel: str, ylabel: str) -> Figure:
    """Estimate and interval against the sensitivity parameter, one line per measure."""
    with plain_text():
        return _sensitivity_plot(table, xlabel=xlabel, ylabel=ylabel)


def _sensitivity_plot(table: pd.DataFrame, *, xlabel: str, ylabel: str) -> Figure:
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    for i, (measure, rows) in enumerate(table.groupby("measure", sort=False)):
        colour = _MEASURE_COLOURS[i % len(_MEASURE_COLOURS)]
        linestyle = "-" if i < len(_MEASURE_COLOURS) else "--"
        ax.plot(
            rows["odds_ratio"],
            rows["estimate"],
            marker="o",
            ms=3,
            color=colour,
            ls=linestyle,
            label=str(measure),
        )
    ax.axhline(0.0, color="#52606d", lw=0.8, ls="--")
    ax.axvline(1.0, color="#52606d", lw=0.8, ls=":")
    ax.set_xscale("log")
    ratios = sorted(table["odds_ratio"].unique())
    ax.set_xticks(ratios, [f"{r:g}" for r in ratios])
    ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    fig.tight_layout()
    return fig


def survival_plot(
    curves: pd.DataFrame,
    *,
    groups: tuple,
    treated: object,
    time_unit: str,
    durations: dict | None = None,
    ylabel: str = "share not yet reoffended",
) -> Figure:
    """Step curves with pointwise bands, one colour per group, and an at-risk table under the ticks.

    ``curves`` has columns ``group, time, estimate, lower, upper`` (the survival function at
    every time where it can change). ``durations`` maps each group to its persons' follow-up
    times; the numbers still at risk are printed under each tick of the time axis, so the
    table lines up with the axis.
    """
    with plain_text():
        return _survival_plot(
            curves,
            groups=groups,
            treated=treated,
            time_unit=time_unit,
            durations=durations,
            ylabel=ylabel,
        )


def _survival_plot(curves, *, groups, treated, time_unit, durations, ylabel) -> Figure:
    from matplotlib.ticker import MaxNLocator

    ordered = _groups(groups, treated)
    rows = 0 if durations is None else len(ordered)
    fig = Figure(figsize=(7.2, 4.4 + 0.28 * rows))
    ax = fig.add_subplot()
    t_max = float(curves["time"].max())
    for label, colour in ordered:
        block = curves[curves["group"] == label].sort_values("time")
        t = block["time"].to_numpy(float)
        ax.step(t, block["estimate"], where="post", color=colour, lw=1.8, label=str(label))
        ax.fill_between(
            t, block["lower"], block["upper"], step="post", color=colour, alpha=0.18, lw=0
        )
    locator = MaxNLocator(nbins=6, steps=[1, 2, 3, 5, 6, 10], integer=t_max >= 5)
    ticks = [x for x in locator.tick_values(0, t_max) if 0 <= x <= t_max + 1e-9]
    ax.set_xticks(ticks)
    ax.set_xlim(0, t_max * 1.02 if t_max > 0 else 1)
    ax.set_ylim(0, 1.02)
    unit = f" ({time_unit})" if time_unit else ""
    ax.set_xlabel(f"time since programme start{unit}")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="lower left")
    if durations is not None:
        # One row per group under the axis, each number centred on its tick (data coordinates
        # for x, axes coordinates for y), so the table is aligned with the ticks.
        transform = ax.get_xaxis_transform()
        ax.text(-0.05, -0.25, "at risk", transform=ax.transAxes, ha="right", fontsize=9)
        for row, (label, colour) in enumerate(ordered):
            y = -0.25 - 0.07 * (row + 1)
            ax.text(
                -0.05, y, str(label), transform=ax.transAxes, ha="right", fontsize=9, color=colour
            )
            times = np.asarray(durations[label], dtype=float)
            for tick in ticks:
                ax.text(
                    tick,
                    y,
                    f"{int((times >= tick).sum())}",
                    transform=transform,
                    ha="center",
                    fontsize=9,
                    color=colour,
                )
    fig.tight_layout()
    return fig
