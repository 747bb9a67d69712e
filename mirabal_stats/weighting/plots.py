"""Balance and overlap plots (matplotlib). Drawing only: the numbers come from the results objects.

Functions return the Axes they drew on and never call ``plt.show()``, so they are safe under the
non-interactive ``Agg`` backend.
"""

from __future__ import annotations

import numpy as np

from mirabal_stats._results import axes_or_new, group_colour
from mirabal_stats.exceptions import SpecificationError

__all__ = ["love_plot", "propensity_plot"]

_STATS = {
    "diff": ("diff_un", "diff_adj", "mean difference (continuous: SMD; binary: raw)"),
    "smd": ("smd_un", "smd_adj", "standardised mean difference"),
    "ks": ("ks_un", "ks_adj", "Kolmogorov-Smirnov statistic"),
}


def love_plot(balance, *, ax=None, absolute: bool = True, stat: str = "diff"):
    """Love plot: a balance statistic per covariate before (open) and after (filled) weighting.

    Parameters
    ----------
    balance : BalanceTable
    ax : matplotlib Axes, optional
    absolute : bool, default True
        Plot absolute values (signs dropped), as is usual.
    stat : {"diff", "smd", "ks"}
        ``"diff"`` is cobalt's default statistic (SMD for continuous, raw difference for binary).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if stat not in _STATS:
        raise SpecificationError(
            f"stat must be one of {', '.join(map(repr, _STATS))}, got {stat!r}."
        )
    before_col, after_col, label = _STATS[stat]
    table = balance.frame
    before = table[before_col].to_numpy(dtype=float)
    after = table[after_col].to_numpy(dtype=float)
    if absolute or stat == "ks":
        before, after = np.abs(before), np.abs(after)
    ax = axes_or_new(ax, figsize=(6.0, max(3.0, 0.35 * len(table) + 1.0)))
    y = np.arange(len(table))[::-1]
    # A statistic that cannot be computed (NaN) is simply not drawn; the table says why.
    ax.scatter(before, y, facecolors="none", edgecolors="tab:red", label="unweighted", zorder=3)
    ax.scatter(after, y, color="tab:blue", label="weighted", zorder=3)
    for yi, b, a in zip(y, before, after):
        ax.plot([b, a], [yi, yi], color="0.8", zorder=1)
    if stat != "ks":
        thr = balance.threshold
        ax.axvline(thr, color="0.4", linestyle="--", linewidth=1)
        if not absolute:
            ax.axvline(-thr, color="0.4", linestyle="--", linewidth=1)
    ax.axvline(0.0, color="0.2", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(list(map(str, table.index)))
    ax.set_xlabel(("absolute " if absolute and stat != "ks" else "") + label)
    ax.set_title(f"Covariate balance ({balance.estimand})")
    ax.legend(loc="lower right", frameon=False)
    return ax


def propensity_plot(results, *, ax=None, bins: int = 30, weighted: bool = False):
    """Overlaid histograms of the propensity score in the two groups.

    With ``weighted=True`` the histograms use the weights (after weighting the distributions
    should be similar). Entropy balancing estimates no propensity score: the histogram then shows
    the comparison group's weights. Returns the Axes.
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise SpecificationError(f"bins must be a positive whole number, got {bins!r}.")
    p = results.propensity_values
    a = results.indicator
    ax = axes_or_new(ax)
    if p is None:
        ax.hist(results.weight_values[a == 0], bins=bins, color=group_colour(False))
        ax.set_xlabel("comparison-group weight (entropy balancing estimates no propensity)")
        ax.set_ylabel("persons")
        ax.set_title("Weights of the comparison group")
        return ax
    w = results.weight_values if weighted else np.ones(a.size)
    edges = np.linspace(0.0, 1.0, bins + 1)
    for code, label in ((1, "intervention"), (0, "comparison")):
        if not np.any(w[a == code] > 0):
            continue
        ax.hist(
            p[a == code],
            bins=edges,
            weights=w[a == code],
            density=True,
            alpha=0.5,
            color=group_colour(code == 1),
            label=label,
        )
    ax.set_xlabel("propensity score")
    ax.set_ylabel("density" + (" (weighted)" if weighted else ""))
    ax.set_title("Propensity-score distributions by group")
    ax.legend(frameon=False)
    return ax
