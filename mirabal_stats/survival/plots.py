"""Plots for survival comparisons: curves with pointwise bands and an at-risk table."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_curves"]


def plot_curves(result, *, ax=None, at_risk_times=None, ci: bool = True, incidence: bool = False):
    """Draw survival (or cumulative incidence) per group; return the matplotlib Figure.

    Right-censored data: Kaplan-Meier steps with pointwise complementary log-log bands and the
    number at risk under the axis. Interval-censored data: Turnbull NPMLE (no band: the bootstrap
    is run on demand by ``survival_at``).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.5))
    else:
        fig = ax.figure
    horizon = 0.0
    for label, curve in result.curves.items():
        if result.kind == "right":
            t = np.concatenate([[0.0], curve.time, [curve.durations.max()]])
            s = result.curves[label].survival_at(t)
            lo, hi = curve.interval_at(t, result.ci_level)
        else:
            t, s = curve.step_function()
            lo = hi = None
        horizon = max(horizon, float(np.nanmax(t[np.isfinite(t)])))
        y = 1 - s if incidence else s
        (line,) = ax.step(t, y, where="post", label=f"{result.group} = {label}")
        if ci and lo is not None:
            band = (1 - hi, 1 - lo) if incidence else (lo, hi)
            ax.fill_between(t, *band, step="post", alpha=0.2, color=line.get_color())
    ax.set_xlabel("time")
    ax.set_ylabel("cumulative incidence" if incidence else "survival probability")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left" if not incidence else "upper left")
    if result.kind == "right":
        ticks = (
            np.linspace(0, horizon, 5)
            if at_risk_times is None
            else np.asarray(at_risk_times, float)
        )
        rows = []
        for label, curve in result.curves.items():
            counts = curve.n_at_risk_at(ticks)
            rows.append(f"{label!s:>8}: " + "  ".join(f"{int(c):>5d}" for c in counts))
        header = "at risk   " + "  ".join(f"{x:>5g}" for x in ticks)
        ax.text(
            0.0,
            -0.22,
            "\n".join([header, *rows]),
            transform=ax.transAxes,
            family="monospace",
            va="top",
            fontsize=8,
        )
        fig.subplots_adjust(bottom=0.32)
    return fig
