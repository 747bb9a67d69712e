"""Covariate-balancing propensity score, just-identified (Imai & Ratkovic 2014).

A logistic propensity model whose coefficients are chosen so that the implied weights balance
the covariates exactly (the score equations of maximum likelihood are replaced by balance
conditions, one per column of the design):

* ATT: ``sum_i [a_i - (1 - a_i) p_i / (1 - p_i)] z_i = 0`` (treated sums = odds-weighted
  comparison sums);
* ATE: ``sum_i [a_i / p_i - (1 - a_i) / (1 - p_i)] z_i = 0``;
* ATO: ``sum_i (a_i - p_i) z_i = 0``, which *is* the logistic score: maximum-likelihood
  overlap weights already balance the means exactly (Li et al. 2018).

The system is solved with scipy's hybrid Powell method from the maximum-likelihood start.

References
----------
Imai, K. & Ratkovic, M. (2014). Covariate balancing propensity score. *JRSS B* 76:243-263.
doi:10.1111/rssb.12027
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import optimize
from scipy.special import expit

from mirabal_stats.exceptions import WeightingError
from mirabal_stats.weighting.propensity import LogisticFit, fit_logistic

__all__ = ["fit_cbps", "balance_moments"]


def balance_moments(beta: np.ndarray, z: np.ndarray, a: np.ndarray, estimand: str) -> np.ndarray:
    """The CBPS balance conditions, divided by n."""
    p = expit(z @ beta)
    if estimand == "ATT":
        m = np.where(a == 1, 1.0, -p / (1 - p))
    elif estimand == "ATE":
        m = np.where(a == 1, 1.0 / p, -1.0 / (1 - p))
    else:
        m = a - p
    return z.T @ m / a.size


def fit_cbps(x: np.ndarray, a: np.ndarray, names: list, *, estimand: str) -> LogisticFit:
    """Just-identified CBPS; returns a :class:`LogisticFit` whose propensities balance exactly."""
    start = fit_logistic(x, a, names)
    z = start.design
    beta0 = np.linalg.lstsq(z, np.log(start.propensity / (1 - start.propensity)), rcond=None)[0]
    if estimand == "ATO":
        return start
    sol = optimize.root(
        balance_moments, beta0, args=(z, a, estimand), method="hybr", options={"xtol": 1e-12}
    )
    resid = balance_moments(sol.x, z, a, estimand)
    if not sol.success or np.max(np.abs(resid)) > 1e-7:
        raise WeightingError(
            f"CBPS could not solve the balance conditions ({sol.message.strip()}; largest residual "
            f"{np.max(np.abs(resid)):.2e}). Overlap is probably too weak for exact balance; use "
            "method='logistic' or 'entropy', or drop covariates with little overlap."
        )
    p = expit(z @ sol.x)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    center = x.mean(axis=0)
    coef = np.empty_like(sol.x)
    coef[1:] = sol.x[1:] / scale
    coef[0] = sol.x[0] - np.sum(sol.x[1:] * center / scale)
    return replace(start, coef=coef, propensity=p, converged=True, n_iter=int(sol.nfev))
