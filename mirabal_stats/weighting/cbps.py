"""Covariate-balancing propensity score, just-identified (Imai & Ratkovic 2014).

A logistic propensity model whose coefficients are chosen so that the implied weights balance
the covariates exactly (the score equations of maximum likelihood are replaced by balance
conditions, one per column of the design):

* ATT: ``sum_i [a_i - (1 - a_i) p_i / (1 - p_i)] z_i = 0`` (treated sums = odds-weighted
  comparison sums);
* ATE: ``sum_i [a_i / p_i - (1 - a_i) / (1 - p_i)] z_i = 0``;
* ATO: ``sum_i (a_i - p_i) z_i = 0``, which *is* the logistic score: maximum-likelihood
  overlap weights already balance the means exactly (Li et al. 2018).

The system is solved with scipy's hybrid Powell method from the maximum-likelihood start. The
coefficients' covariance is the just-identified GMM sandwich ``G^-1 S G^-T / n``, with ``G`` the
Jacobian of the mean balance conditions and ``S`` the mean outer product of the per-person
conditions (Imai & Ratkovic 2014, Section 2.3; Hansen 1982).

References
----------
Imai, K. & Ratkovic, M. (2014). Covariate balancing propensity score. *JRSS B* 76:243-263.
doi:10.1111/rssb.12027
Hansen, L. P. (1982). Large sample properties of generalized method of moments estimators.
*Econometrica* 50:1029-1054. doi:10.2307/1912775
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import optimize
from scipy.special import expit

from mirabal_stats.exceptions import EstimationError, WeightingError
from mirabal_stats.weighting.propensity import LogisticFit, fit_logistic, original_scale

__all__ = ["fit_cbps", "balance_moments"]


def _multipliers(p: np.ndarray, a: np.ndarray, estimand: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-person multiplier ``m_i`` of ``z_i`` in the balance conditions, and ``dm_i / deta_i``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if estimand == "ATT":
            m = np.where(a == 1, 1.0, -p / (1 - p))
            dm = np.where(a == 1, 0.0, -p / (1 - p))
        elif estimand == "ATE":
            m = np.where(a == 1, 1.0 / p, -1.0 / (1 - p))
            dm = np.where(a == 1, -(1 - p) / p, -p / (1 - p))
        else:
            m = a - p
            dm = -p * (1 - p)
    return m, dm


def balance_moments(beta: np.ndarray, z: np.ndarray, a: np.ndarray, estimand: str) -> np.ndarray:
    """The CBPS balance conditions, divided by n."""
    m, _ = _multipliers(expit(z @ beta), a, estimand)
    return z.T @ m / a.size


def _gmm_covariance(beta: np.ndarray, z: np.ndarray, a: np.ndarray, estimand: str, t: np.ndarray):
    """Just-identified GMM sandwich of the standardised coefficients, mapped by ``t``."""
    n = a.size
    m, dm = _multipliers(expit(z @ beta), a, estimand)
    jacobian = (z * dm[:, None]).T @ z / n
    meat = (z * (m**2)[:, None]).T @ z / n
    try:
        inverse = np.linalg.inv(jacobian)
    except np.linalg.LinAlgError:
        return None
    vcov = inverse @ meat @ inverse.T / n
    if not np.all(np.isfinite(vcov)):
        return None
    return t @ vcov @ t.T


def fit_cbps(x: np.ndarray, a: np.ndarray, names: list, *, estimand: str) -> LogisticFit:
    """Just-identified CBPS; returns a :class:`LogisticFit` whose propensities balance exactly."""
    start = fit_logistic(x, a, names)
    z = start.design
    if estimand == "ATO":
        return start
    # The maximum-likelihood fit on the standardised design is the starting point (clipped so a
    # separated start stays finite).
    p0 = np.clip(start.propensity, 1e-12, 1 - 1e-12)
    beta0 = np.linalg.lstsq(z, np.log(p0 / (1 - p0)), rcond=None)[0]
    try:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            sol = optimize.root(
                balance_moments,
                beta0,
                args=(z, a, estimand),
                method="hybr",
                options={"xtol": 1e-12},
            )
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
        raise EstimationError(
            f"CBPS could not solve the balance conditions ({err}). Use method='logistic' or "
            "'entropy', or drop covariates with little overlap."
        ) from err
    resid = balance_moments(sol.x, z, a, estimand)
    if not sol.success or not np.all(np.isfinite(resid)) or np.max(np.abs(resid)) > 1e-7:
        raise WeightingError(
            f"CBPS could not solve the balance conditions ({sol.message.strip()}; largest residual "
            f"{np.max(np.abs(resid)):.2e}). Overlap is probably too weak for exact balance; use "
            "method='logistic' or 'entropy', or drop covariates with little overlap."
        )
    p = expit(z @ sol.x)
    x = np.asarray(x, dtype=float)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    t = original_scale((x.mean(axis=0), scale))
    return replace(
        start,
        coef=t @ sol.x,
        propensity=p,
        converged=True,
        n_iter=int(sol.nfev),
        vcov=_gmm_covariance(sol.x, z, a, estimand, t),
    )
