"""Plots for survival comparisons: curves with pointwise bands and an at-risk table."""

from __future__ import annotations

import numpy as np

from mirabal_stats._results import axes_or_new, group_colour
from mirabal_stats.exceptions import SpecificationError

__all__ = ["plot_curves"]

# Vertical layout under the axes, in points below its bottom edge: tick labels and the x label
# come first, then the at-risk table (a header and one row per group).
_TABLE_TOP = -40.0
_ROW = 11.0


def _ticks(ax, at_risk_times, horizon: float) -> np.ndarray:
    if at_risk_times is None:
        ticks = np.asarray(ax.get_xticks(), dtype=float)
        return ticks[(ticks >= 0) & (ticks <= horizon * (1 + 1e-9))]
    try:
        ticks = np.atleast_1d(np.asarray(at_risk_times, dtype=float))
    except (TypeError, ValueError):
        ticks = np.array([np.nan])
    if ticks.ndim != 1 or not np.isfinite(ticks).all() or (ticks < 0).any():
        raise SpecificationError(
            f"at_risk_times must be finite times >= 0 (the x ticks of the at-risk table), got "
            f"{at_risk_times!r}."
        )
    return np.unique(ticks)


def plot_curves(
    result,
    *,
    ax=None,
    at_risk_times=None,
    ci: bool = True,
    incidence: bool = False,
    time_unit: str | None = None,
):
    """Draw survival (or cumulative incidence) per group; return the matplotlib Axes.

    One colour per group in every figure (``_results.group_colour``: the intervention group
    always in the same colour). Right-censored data: Kaplan-Meier steps with pointwise
    complementary log-log bands and the number at risk printed under each x tick (so the table
    lines up with the axis). Interval-censored data: Turnbull NPMLE (no band: the bootstrap is
    run on demand by ``survival_at``).
    """
    created = ax is None
    ax = axes_or_new(ax, figsize=(7.0, 5.0))
    horizon = max(result.last_follow_up.values())
    for label, curve in result.curves.items():
        is_treated = label == result.treated
        colour = group_colour(is_treated)
        if result.kind == "right":
            t = np.concatenate([[0.0], curve.time, [curve.last_time]])
            s = curve.survival_at(t)
            lo, hi = curve.interval_at(t, ci_level=result.ci_level)
        else:
            t, s = curve.step_function()
            lo = hi = None
        y = 1 - s if incidence else s
        role = "intervention" if is_treated else "comparison"
        name = str(label) if str(label).strip().lower() == role else f"{label} ({role})"
        ax.step(t, y, where="post", color=colour, label=name)
        if ci and lo is not None:
            band = (1 - hi, 1 - lo) if incidence else (lo, hi)
            ax.fill_between(t, *band, step="post", alpha=0.2, color=colour, linewidth=0)
    if time_unit is not None and not isinstance(time_unit, str):
        raise SpecificationError(f"time_unit must be text such as 'months', got {time_unit!r}.")
    ax.set_xlabel(
        f"{time_unit.strip().capitalize()} since the start of follow-up"
        if time_unit and time_unit.strip()
        else result.time_label.capitalize()
    )
    ax.set_ylabel("cumulative incidence" if incidence else "survival probability")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, horizon * 1.02 if horizon > 0 else 1.0)
    ax.legend(title=result.group, loc="upper left" if incidence else "lower left")
    ticks = _ticks(ax, at_risk_times, horizon)
    ax.set_xticks(ticks)
    if result.kind == "right":
        _at_risk_table(ax, result, ticks)
        if created:
            rows = len(result.curves) + 1
            depth = (-_TABLE_TOP + rows * _ROW + 8) / 72.0  # inches under the axes
            width = (max(len(str(label)) for label in result.curves) * 5.0 + 24) / 72.0
            ax.figure.subplots_adjust(
                bottom=min(0.45, depth / ax.figure.get_figheight() + 0.05),
                left=min(0.3, max(0.125, width / ax.figure.get_figwidth())),
            )
    return ax


def _at_risk_table(ax, result, ticks: np.ndarray) -> None:
    """Number at risk under each x tick, one row per group in the group's colour."""
    style = dict(textcoords="offset points", va="top", fontsize=8, annotation_clip=False)
    ax.annotate(
        "Number at risk",
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, _TABLE_TOP),
        ha="left",
        fontweight="bold",
        **style,
    )
    for row, (label, curve) in enumerate(result.curves.items(), start=1):
        offset = _TABLE_TOP - row * _ROW
        colour = group_colour(label == result.treated)
        ax.annotate(
            str(label),
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(-16, offset),
            ha="right",
            color=colour,
            **style,
        )
        for tick, count in zip(ticks, curve.n_at_risk_at(ticks)):
            ax.annotate(
                f"{int(count)}",
                xy=(tick, 0),
                xycoords=("data", "axes fraction"),
                xytext=(0, offset),
                ha="center",
                color=colour,
                **style,
            )
