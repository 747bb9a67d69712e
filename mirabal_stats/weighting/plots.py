"""Balance and overlap plots (matplotlib). Drawing only: the numbers come from the results objects.

Functions return the Axes they drew on and never call ``plt.show()``, so they are safe under the
non-interactive ``Agg`` backend.
"""

from __future__ import annotations

import numpy as np

__all__ = ["love_plot", "propensity_plot"]

_STATS = {
    "diff": ("diff_un", "diff_adj", "mean difference (continuous: SMD; binary: raw)"),
    "smd": ("smd_un", "smd_adj", "standardised mean difference"),
    "ks": ("ks_un", "ks_adj", "Kolmogorov-Smirnov statistic"),
}


def _new_axes(ax, height: float = 4.0):
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    # A Figure not registered with pyplot: no global state, nothing left open between calls.
    fig = Figure(figsize=(6.0, height))
    return fig.add_subplot(1, 1, 1)


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
        raise ValueError(f"stat must be one of {', '.join(_STATS)}, got {stat!r}.")
    before_col, after_col, label = _STATS[stat]
    table = balance.to_frame()
    before = table[before_col].to_numpy(dtype=float)
    after = table[after_col].to_numpy(dtype=float)
    if absolute or stat == "ks":
        before, after = np.abs(before), np.abs(after)
    ax = _new_axes(ax, height=max(3.0, 0.35 * len(table) + 1.0))
    y = np.arange(len(table))[::-1]
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
    should be similar). Returns the Axes.
    """
    p = results.propensity_values
    if p is None:
        raise ValueError(
            "method='entropy' estimates no propensity score; plot the weights instead "
            "(results.weights.hist())."
        )
    a = results.treatment
    w = results.weight_values if weighted else np.ones(a.size)
    ax = _new_axes(ax)
    edges = np.linspace(0.0, 1.0, bins + 1)
    for code, label, color in ((1, "intervention", "tab:blue"), (0, "comparison", "tab:orange")):
        ax.hist(
            p[a == code],
            bins=edges,
            weights=w[a == code],
            density=True,
            alpha=0.5,
            color=color,
            label=label,
        )
    ax.set_xlabel("propensity score")
    ax.set_ylabel("density" + (" (weighted)" if weighted else ""))
    ax.set_title("Propensity-score distributions by group")
    ax.legend(frameon=False)
    return ax
