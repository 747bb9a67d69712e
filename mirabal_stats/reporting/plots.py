"""Figures drawn by the report itself (those not provided by a pillar's results object).

Figures are built with :class:`matplotlib.figure.Figure` directly, not through ``pyplot``, so
they need no display and leave no global state behind.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["attrition_plot", "prevalence_plot", "forest_plot", "sensitivity_plot"]

_GROUP_COLOURS = ("#2f5d8a", "#d9822b")


def attrition_plot(table: pd.DataFrame, *, groups: tuple, treated: object) -> Figure:
    """Share of each group's baseline respondents still responding at each wave."""
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.add_subplot()
    ordered = [treated] + [g for g in groups if g != treated]
    for colour, label in zip(_GROUP_COLOURS, ordered):
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
    """Small multiples: % answering yes by wave, one panel per indicator, one line per group."""
    rows = table[table["measure"] == measure]
    indicators = list(dict.fromkeys(rows["indicator"]))
    ncols = min(4, len(indicators))
    nrows = math.ceil(len(indicators) / ncols)
    fig = Figure(figsize=(2.9 * ncols + 0.6, 2.3 * nrows + 0.5))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    ordered = [treated] + [g for g in groups if g != treated]
    for ax, indicator in zip(axes.flat, indicators):
        block = rows[rows["indicator"] == indicator]
        for colour, label in zip(_GROUP_COLOURS, ordered):
            line = block[block["group"] == label]
            x = np.arange(len(line))
            ax.plot(x, line["pct_yes"], marker="o", ms=3, color=colour, label=str(label))
            ax.set_xticks(x, [str(w) for w in line["wave"]], fontsize=7)
        title = (questions or {}).get(indicator, str(indicator))
        ax.set_title(_wrap(title, 34), fontsize=8)
        ax.set_ylim(-2, 102)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(indicators) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("% yes", fontsize=8)
    axes.flat[0].legend(frameon=False, fontsize=7)
    fig.tight_layout()
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
    frame = table.reset_index() if label_column is None else table
    label_column = label_column or frame.columns[0]
    labels = list(dict.fromkeys(frame[label_column]))
    methods = [None] if series is None else list(dict.fromkeys(frame[series]))
    fig = Figure(figsize=(width, 0.3 * len(labels) * max(1, len(methods)) ** 0.5 + 1.3))
    ax = fig.add_subplot()
    y_of = {label: len(labels) - 1 - i for i, label in enumerate(labels)}
    offsets = np.linspace(0.2, -0.2, len(methods)) if len(methods) > 1 else [0.0]
    colours = ("#2f5d8a", "#d9822b", "#3f7f5f", "#7b4f9d")
    for offset, colour, method in zip(offsets, colours, methods):
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
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    if series is not None:
        ax.legend(frameon=False, fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def sensitivity_plot(table: pd.DataFrame, *, xlabel: str, ylabel: str) -> Figure:
    """Estimate and interval against the sensitivity parameter, one line per measure."""
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    for measure, rows in table.groupby("measure", sort=False):
        ax.plot(rows["odds_ratio"], rows["estimate"], marker="o", ms=3, label=str(measure))
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
