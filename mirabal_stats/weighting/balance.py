"""Covariate balance: standardised mean differences, variance ratios, weighted KS statistics.

Conventions follow R's cobalt (Greifer), so that numbers can be compared line by line:

* the standardisation factor is computed once, in the *unweighted* sample, and used both before
  and after weighting (Stuart 2008): the treated-group SD for the ATT, the pooled SD
  ``sqrt((s1^2 + s0^2) / 2)`` for the ATE and ATO (the control-group SD for an ATC);
* the SD of a binary covariate is ``sqrt(p (1 - p))`` (Austin 2009), of a continuous one the
  sample SD (denominator n - 1);
* the balance statistic cobalt shows (``diff``) is the SMD for continuous covariates and the raw
  difference in proportions for binary ones; both the SMD and the raw difference are reported;
* variance ratios (treated / comparison) use the unbiased weighted variance
  ``sum(w) / (sum(w)^2 - sum(w^2)) * sum(w (x - xbar_w)^2)`` and are not computed for binary
  covariates;
* the KS statistic is the largest gap between the weighted empirical CDFs.

References
----------
Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline covariates
between treatment groups in propensity-score matched samples. *Statistics in Medicine*
28:3083-3107. doi:10.1002/sim.3697
Stuart, E. A. (2008). Developing practical recommendations for the use of propensity scores.
*Statistics in Medicine* 27:2062-2065. doi:10.1002/sim.3207
Greifer, N. (2024). cobalt: Covariate Balance Tables and Plots. R package.
https://ngreifer.github.io/cobalt/
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mirabal_stats._results import Summary
from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.weighting.weights import as_indicator, as_values

__all__ = [
    "weighted_mean",
    "weighted_variance",
    "standardization_factor",
    "smd",
    "variance_ratio",
    "weighted_ks",
    "balance_statistics",
    "BalanceTable",
    "SD_DENOMINATORS",
]

SD_DENOMINATORS = ("treated", "control", "pooled")
DEFAULT_SD_DENOMINATOR = {"ATT": "treated", "ATE": "pooled", "ATO": "pooled"}


def _inputs(x, treated, weights=None):
    """``x`` as an (n, k) float array, ``treated`` as 0/1, ``weights`` (default 1) checked."""
    x = as_values(x, name="x")
    x = np.atleast_2d(x.T).T if x.ndim <= 1 else x
    a = as_indicator(treated, n=x.shape[0])
    w = np.ones(a.size) if weights is None else as_values(weights, name="weights", n=a.size)
    if np.any(w < 0):
        raise SpecificationError("weights must be non-negative.")
    for code, label in ((1, "treated"), (0, "comparison")):
        if not np.any(w[a == code] > 0):
            raise SpecificationError(
                f"the {label} group has no unit with positive weight; balance needs both groups."
            )
    return x, a, w


def weighted_mean(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Column-wise weighted means of ``x`` (shape (n,) or (n, k)).

    Examples
    --------
    >>> import numpy as np
    >>> weighted_mean(np.array([1.0, 3.0]), np.array([3.0, 1.0])).item()
    1.5
    """
    x = np.asarray(x, dtype=float)
    w = as_values(weights, name="weights", n=x.shape[0] if x.ndim else None)
    return np.tensordot(w, x, axes=1) / w.sum()


def weighted_variance(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Unbiased weighted variance with reliability weights (cobalt's ``col_w_var``).

    Equals the usual sample variance when all weights are equal.

    Examples
    --------
    >>> import numpy as np
    >>> float(weighted_variance(np.array([1.0, 2.0, 3.0]), np.ones(3)))
    1.0
    """
    x = np.asarray(x, dtype=float)
    w = as_values(weights, name="weights", n=x.shape[0] if x.ndim else None)
    mean = weighted_mean(x, w)
    total = w.sum()
    denom = total**2 - np.sum(w**2)
    # One unit (or all weight on one unit) leaves no spread to estimate: NaN, not a division error.
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / denom * np.tensordot(w, (x - mean) ** 2, axes=1)


def _unweighted_var(x: np.ndarray, binary: np.ndarray) -> np.ndarray:
    x = np.atleast_2d(np.asarray(x, dtype=float).T).T
    mean = x.mean(axis=0)
    if x.shape[0] < 2:
        # One unit: no sample variance (cobalt gives NA); binary columns keep p(1 - p) = 0.
        return np.where(binary, mean * (1 - mean), np.nan)
    return np.where(binary, mean * (1 - mean), x.var(axis=0, ddof=1))


def standardization_factor(
    x: np.ndarray, treated: np.ndarray, *, binary: np.ndarray, sd_denominator: str
) -> np.ndarray:
    """The SMD denominator ``s*`` per column, from the unweighted sample (see module docstring)."""
    if sd_denominator not in SD_DENOMINATORS:
        raise SpecificationError(
            f"sd_denominator must be one of {SD_DENOMINATORS}, got {sd_denominator!r}."
        )
    x, a, _ = _inputs(x, treated)
    v1 = _unweighted_var(x[a == 1], binary)
    v0 = _unweighted_var(x[a == 0], binary)
    if sd_denominator == "treated":
        var = v1
    elif sd_denominator == "control":
        var = v0
    else:
        var = (v1 + v0) / 2
    return np.sqrt(var)


def smd(
    x: np.ndarray,
    treated: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    binary: np.ndarray | bool = False,
    sd_denominator: str = "treated",
) -> np.ndarray:
    """Standardised mean difference (treated minus comparison) per column of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 3.0, 1.0, 1.0, 2.0])
    >>> a = np.array([1, 1, 1, 0, 0, 0])
    >>> float(np.round(smd(x, a)[0], 4))  # (2 - 4/3) / sd(1, 2, 3)
    0.6667
    """
    x, a, w = _inputs(x, treated, weights)
    binary = np.broadcast_to(np.asarray(binary, dtype=bool), (x.shape[1],))
    diff = weighted_mean(x[a == 1], w[a == 1]) - weighted_mean(x[a == 0], w[a == 0])
    scale = standardization_factor(x, a, binary=binary, sd_denominator=sd_denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        return diff / scale


def variance_ratio(
    x: np.ndarray, treated: np.ndarray, *, weights: np.ndarray | None = None
) -> np.ndarray:
    """Weighted variance of the treated over that of the comparison group, per column.

    NaN where a group has a single unit (no variance to estimate).

    Examples
    --------
    >>> import numpy as np
    >>> variance_ratio(np.array([1.0, 3.0, 1.0, 2.0]), np.array([1, 1, 0, 0])).tolist()
    [4.0]
    """
    x, a, w = _inputs(x, treated, weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        return weighted_variance(x[a == 1], w[a == 1]) / weighted_variance(x[a == 0], w[a == 0])


def weighted_ks(
    x: np.ndarray, treated: np.ndarray, *, weights: np.ndarray | None = None
) -> np.ndarray:
    """Largest absolute gap between the weighted ECDFs of the two groups, per column.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_ks(np.array([1.0, 2.0, 1.0, 1.0]), np.array([1, 1, 0, 0])).tolist()
    [0.5]
    """
    x, a, w = _inputs(x, treated, weights)
    # Signed mass: treated weights / their total minus comparison weights / their total; the
    # running sum over sorted values is F1 - F0, evaluated only where a value ends (ties grouped).
    mass = np.where(a == 1, w / w[a == 1].sum(), -w / w[a == 0].sum())
    out = np.empty(x.shape[1])
    for j in range(x.shape[1]):
        order = np.argsort(x[:, j], kind="stable")
        xs = x[order, j]
        cum = np.cumsum(mass[order])
        last_of_tie = np.r_[xs[1:] != xs[:-1], True]
        out[j] = np.max(np.abs(cum[last_of_tie]))
    return out


def balance_statistics(
    x: np.ndarray,
    treated: np.ndarray,
    weights: np.ndarray,
    *,
    names: list,
    binary: np.ndarray,
    sd_denominator: str,
) -> pd.DataFrame:
    """The numbers of a balance table (see :class:`BalanceTable` for the columns)."""
    x, a, w = _inputs(x, treated, weights)
    one = np.ones(a.size)
    binary = np.asarray(binary, dtype=bool)
    m1_un = weighted_mean(x[a == 1], one[a == 1])
    m0_un = weighted_mean(x[a == 0], one[a == 0])
    m1 = weighted_mean(x[a == 1], w[a == 1])
    m0 = weighted_mean(x[a == 0], w[a == 0])
    scale = standardization_factor(x, a, binary=binary, sd_denominator=sd_denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        smd_un = (m1_un - m0_un) / scale
        smd_adj = (m1 - m0) / scale
    vr_un = variance_ratio(x, a)
    vr_adj = variance_ratio(x, a, weights=w)
    vr_un[binary] = np.nan
    vr_adj[binary] = np.nan
    frame = pd.DataFrame(
        {
            "type": np.where(binary, "binary", "continuous"),
            "mean_treated_un": m1_un,
            "mean_control_un": m0_un,
            "mean_treated_adj": m1,
            "mean_control_adj": m0,
            "diff_un": np.where(binary, m1_un - m0_un, smd_un),
            "diff_adj": np.where(binary, m1 - m0, smd_adj),
            "smd_un": smd_un,
            "smd_adj": smd_adj,
            "raw_diff_un": m1_un - m0_un,
            "raw_diff_adj": m1 - m0,
            "vr_un": vr_un,
            "vr_adj": vr_adj,
            "ks_un": weighted_ks(x, a),
            "ks_adj": weighted_ks(x, a, weights=w),
        },
        index=pd.Index(list(names), name="covariate"),
    )
    return frame


@dataclass(frozen=True)
class BalanceTable:
    """Covariate balance before (``_un``) and after (``_adj``) weighting: a diagnostics table.

    :attr:`frame` has one row per covariate term (per level of categoricals) and the columns:

    ``type`` (binary / continuous); ``mean_treated_un, mean_control_un, mean_treated_adj,
    mean_control_adj``; ``diff_un, diff_adj`` (cobalt's balance statistic: SMD for continuous,
    raw difference in proportions for binary covariates); ``smd_un, smd_adj`` (SMD for every
    covariate, binary ones standardised by ``sqrt(p (1 - p))``); ``raw_diff_un, raw_diff_adj``;
    ``vr_un, vr_adj`` (variance ratios, NaN for binary); ``ks_un, ks_adj``; ``balanced``
    (``|diff_adj| < threshold``, and ``vr_adj`` within ``[1/vr_threshold, vr_threshold]`` when a
    variance-ratio threshold is set).

    A statistic that cannot be computed is NaN (a continuous covariate without variation in the
    group whose SD standardises it, a group of one unit) and counts as not balanced; the summary
    and the fit's warning say so.
    """

    statistics: pd.DataFrame
    estimand: str
    sd_denominator: str
    threshold: float = 0.1
    vr_threshold: float | None = None
    ess: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))

    @property
    def frame(self) -> pd.DataFrame:
        """The balance table with the ``balanced`` pass/fail column (a new copy on each access)."""
        table = self.statistics.copy()
        diff = table["diff_adj"].where(np.isfinite(table["diff_adj"]))
        ok = diff.abs() < self.threshold
        if self.vr_threshold is not None:
            vr = table["vr_adj"]
            ok &= vr.isna() | ((vr <= self.vr_threshold) & (vr >= 1 / self.vr_threshold))
        table["balanced"] = ok.to_numpy(dtype=bool)
        return table

    @property
    def all_balanced(self) -> bool:
        return bool(self.frame["balanced"].all())

    @property
    def unbalanced(self) -> list:
        """Covariate terms failing the threshold(s), or whose statistic cannot be computed."""
        table = self.frame
        return list(table.index[~table["balanced"]])

    @property
    def not_computable(self) -> list:
        """Covariate terms whose balance statistic after weighting is not a finite number."""
        diff = self.statistics["diff_adj"]
        return list(diff.index[~np.isfinite(diff.to_numpy(dtype=float))])

    def describe_unbalanced(self) -> str:
        """``"age (+0.119), x (not computable: ...)"``: the failing terms with their statistic."""
        table = self.frame
        parts = []
        for name in table.index[~table["balanced"]]:
            value = table.loc[name, "diff_adj"]
            if np.isfinite(value):
                parts.append(f"{name} ({value:+.3f})")
            else:
                parts.append(
                    f"{name} (not computable: it does not vary in the {self._sd_group()}, "
                    "whose SD standardises it, or a group has a single unit)"
                )
        return ", ".join(parts)

    def _sd_group(self) -> str:
        return {
            "treated": "intervention group",
            "control": "comparison group",
            "pooled": "groups",
        }[self.sd_denominator]

    def summary(self) -> Summary:
        """A plain-language paragraph and the main columns."""
        table = self.frame
        finite = table["diff_adj"].where(np.isfinite(table["diff_adj"])).abs().dropna()
        n_bad = len(self.unbalanced)
        verdict = (
            f"All {len(table)} covariate terms are balanced (|diff| < {self.threshold:g})."
            if self.all_balanced
            else f"{n_bad} of {len(table)} covariate terms fail |diff| < {self.threshold:g}: "
            f"{self.describe_unbalanced()}."
        )
        if len(finite):
            worst = finite.idxmax()
            largest = (
                f" Largest remaining imbalance: {worst} ({table.loc[worst, 'diff_adj']:+.3f})."
            )
        else:
            largest = " No balance statistic could be computed."
        ess = ""
        if len(self.ess):
            ess = (
                " Effective sample sizes: "
                + ", ".join(f"{k} {v:.1f}" for k, v in self.ess.items())
                + "."
            )
        text = (
            f"Balance for the {self.estimand} (SMD denominator: {self.sd_denominator} SD from the "
            f"unweighted sample; binary covariates as raw differences in proportion). {verdict}"
            f"{largest}{ess}"
        )
        cols = ["type", "diff_un", "diff_adj", "vr_un", "vr_adj", "ks_un", "ks_adj", "balanced"]
        return Summary.build(text, tables={"balance": table[cols]})

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def plot_love(self, *, ax=None, absolute: bool = True, stat: str = "diff"):
        """Love plot of the balance statistic before and after weighting; returns the Axes."""
        from mirabal_stats.weighting.plots import love_plot

        return love_plot(self, ax=ax, absolute=absolute, stat=stat)
