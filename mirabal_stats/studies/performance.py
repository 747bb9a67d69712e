"""Performance measures of a simulation study and their Monte-Carlo standard errors.

Morris, White & Crowther (2019), Table 6, with one generalisation: the true value may differ
between replicates (the simulated truth is the *sample* average effect on the treated), so
every measure is computed from the errors ``e_i = estimate_i - truth_i``:

=================  ============================================  ===============================
measure            estimate                                      Monte-Carlo SE
=================  ============================================  ===============================
bias               mean(e)                                       sd(e) / sqrt(n)
empirical SE       sd(e)                                         sd(e) / sqrt(2 (n - 1))
model SE           sqrt(mean(std_error^2))                       sqrt(var(std_error^2) /
                                                                 (4 n model_se^2))
RMSE               sqrt(mean(e^2))                               sd(e^2) / (2 RMSE sqrt(n))
coverage           mean(lower <= truth <= upper)                 sqrt(c (1 - c) / n)
mean width         mean(upper - lower)                           sd(width) / sqrt(n)
power              mean(interval excludes 0)                     sqrt(p (1 - p) / n)
=================  ============================================  ===============================

(RMSE's MC SE is the delta method applied to the MSE's, ``sqrt(sum((e^2 - MSE)^2) /
(n (n - 1)))``.) "Power" is the rejection rate of the null of no effect at the level
``1 - ci_level``: the share of intervals that exclude 0 (for the frequentist analyses the same as
``p_value < 1 - ci_level``; for Bayesian ones, credible intervals that exclude 0). When the
truth is 0 it is the type I error rate.

References
----------
Morris, T.P., White, I.R. & Crowther, M.J. (2019). Using simulation studies to evaluate
statistical methods. *Statistics in Medicine* 38:2074-2102. doi:10.1002/sim.8086
"""

from __future__ import annotations

import numpy as np

__all__ = ["performance_measures", "MEASURES"]

#: The measures, in the order of the summary table (each followed by ``<name>_mcse``).
MEASURES = (
    "bias",
    "empirical_se",
    "model_se",
    "rmse",
    "coverage",
    "mean_width",
    "power",
)


def performance_measures(estimate, std_error, lower, upper, truth) -> dict[str, float]:
    """Bias, empirical and model SE, RMSE, coverage, mean width and power with MC SEs.

    Replicates whose estimate is not finite are left out (their number is ``n_missing``).

    Parameters
    ----------
    estimate, std_error, lower, upper, truth : array-like
        One value per replicate.

    Returns
    -------
    dict
        ``n`` (replicates used), ``n_missing``, ``truth`` (mean), ``mean_estimate``, then each
        of :data:`MEASURES` and ``<measure>_mcse``.

    Examples
    --------
    >>> m = performance_measures([1.0, 3.0], [1.0, 1.0], [-1.0, 1.5], [3.0, 4.5], [1.0, 1.0])
    >>> m["bias"], m["bias_mcse"], m["coverage"], m["power"]
    (1.0, 1.0, 0.5, 0.5)
    """
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    theta = np.asarray(truth, dtype=float)
    keep = np.isfinite(est) & np.isfinite(theta)
    out: dict[str, float] = {"n": int(keep.sum()), "n_missing": int((~keep).sum())}
    est, se, lo, hi, theta = est[keep], se[keep], lo[keep], hi[keep], theta[keep]
    n = len(est)
    nan = float("nan")
    out["truth"] = float(theta.mean()) if n else nan
    out["mean_estimate"] = float(est.mean()) if n else nan
    if n == 0:
        for name in MEASURES:
            out[name] = out[f"{name}_mcse"] = nan
        return out
    e = est - theta
    sd_e = float(e.std(ddof=1)) if n > 1 else nan
    root_n = np.sqrt(n)
    out["bias"] = float(e.mean())
    out["bias_mcse"] = sd_e / root_n
    out["empirical_se"] = sd_e
    out["empirical_se_mcse"] = sd_e / np.sqrt(2.0 * (n - 1)) if n > 1 else nan
    var = se**2
    finite_var = var[np.isfinite(var)]
    if len(finite_var):
        model_se = float(np.sqrt(finite_var.mean()))
        out["model_se"] = model_se
        out["model_se_mcse"] = (
            float(np.sqrt(finite_var.var(ddof=1) / (4.0 * len(finite_var) * model_se**2)))
            if len(finite_var) > 1 and model_se > 0
            else nan
        )
    else:
        out["model_se"] = out["model_se_mcse"] = nan
    mse = float(np.mean(e**2))
    rmse = float(np.sqrt(mse))
    out["rmse"] = rmse
    mse_mcse = float(np.sqrt(np.sum((e**2 - mse) ** 2) / (n * (n - 1)))) if n > 1 else nan
    out["rmse_mcse"] = mse_mcse / (2.0 * rmse) if rmse > 0 else nan
    covered = (lo <= theta) & (theta <= hi)
    cover = float(covered.mean())
    out["coverage"] = cover
    out["coverage_mcse"] = float(np.sqrt(cover * (1.0 - cover) / n))
    width = hi - lo
    out["mean_width"] = float(width.mean())
    out["mean_width_mcse"] = float(width.std(ddof=1) / root_n) if n > 1 else nan
    rejected = (lo > 0) | (hi < 0)
    power = float(rejected.mean())
    out["power"] = power
    out["power_mcse"] = float(np.sqrt(power * (1.0 - power) / n))
    return {k: v if isinstance(v, int) else float(v) for k, v in out.items()}
