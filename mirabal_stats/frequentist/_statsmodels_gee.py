"""Adapter over statsmodels GEE: the only module of the library that imports it.

It fits a marginal (population-averaged) GLM by generalised estimating equations and returns the
coefficients, the robust (sandwich) covariance and each cluster's contribution to the estimating
equations, from which :mod:`mirabal_stats.frequentist.gee` builds joint covariances across separate
fits.

Working correlations. ``"independence"`` is statsmodels' own. ``"exchangeable"`` and ``"ar1"``
are small covariance structures defined here that use the moment estimators of R's geepack
(Halekoh, Højsgaard & Yan 2006), so that results agree with ``geepack::geeglm``:

- the scale is ``phi = sum(r^2) / N`` (Pearson residuals ``r``, no degrees-of-freedom correction);
- exchangeable: ``alpha = sum_{i, j<k} r_ij r_ik / (phi * number of pairs)``;
- AR(1): correlation ``alpha ** |w_j - w_k|`` with ``w`` the wave number, so a missed wave counts
  as a lag, and ``alpha = sum over pairs one wave apart of r_ij r_ik / (phi * number of such
  pairs)``. geepack's AR(1) estimator for panels with gaps differs in a detail it does not
  document; estimates agree to about 0.3 % of a standard error on the toenail data.

The working correlation only affects efficiency; weights (when given) enter the estimating
equations for the coefficients (``D' V^-1 W (y - mu)``, Robins, Rotnitzky & Zhao 1995) and the
correlation parameter is estimated unweighted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.genmod.cov_struct import CovStruct, Independence
from statsmodels.tools.sm_exceptions import ConvergenceWarning as _SMConvergenceWarning

from mirabal_stats.exceptions import ConvergenceWarning, SpecificationError

__all__ = ["GEEFit", "fit_gee", "fit_gee_formula", "CORRELATIONS", "FAMILIES"]

CORRELATIONS = ("exchangeable", "independence", "ar1")
FAMILIES = ("binomial", "gaussian", "poisson")


class _GeepackExchangeable(CovStruct):
    """Exchangeable working correlation with geepack's moment estimator (see module doc)."""

    def __init__(self) -> None:
        super().__init__()
        self.dep_params = 0.0

    def update(self, params: np.ndarray) -> None:
        ssr, n_obs, cross, n_pairs = 0.0, 0, 0.0, 0
        for i in range(self.model.num_group):
            resid = _pearson(self.model, i)
            ssr += float(resid @ resid)
            n_obs += resid.size
            cross += 0.5 * (resid.sum() ** 2 - resid @ resid)
            n_pairs += resid.size * (resid.size - 1) // 2
        if n_pairs == 0:
            self.dep_params = 0.0
            return
        self.dep_params = float(cross / (ssr / n_obs * n_pairs))

    def covariance_matrix(self, expval: np.ndarray, index: int):
        dim = len(expval)
        corr = np.full((dim, dim), self.dep_params)
        np.fill_diagonal(corr, 1.0)
        return corr, True

    def summary(self) -> str:
        return f"Exchangeable working correlation: alpha = {self.dep_params:.4f}"


class _GeepackAR1(CovStruct):
    """AR(1) working correlation in wave distance with a geepack-style estimator."""

    def __init__(self) -> None:
        super().__init__()
        self.dep_params = 0.0

    def update(self, params: np.ndarray) -> None:
        ssr, n_obs, cross, n_pairs = 0.0, 0, 0.0, 0
        for i in range(self.model.num_group):
            resid = _pearson(self.model, i)
            waves = self.model.time_li[i][:, 0]
            ssr += float(resid @ resid)
            n_obs += resid.size
            lag1 = np.triu(np.abs(np.subtract.outer(waves, waves)) == 1, 1)
            cross += float(np.sum(np.outer(resid, resid)[lag1]))
            n_pairs += int(lag1.sum())
        if n_pairs == 0:
            self.dep_params = 0.0
            return
        self.dep_params = float(np.clip(cross / (ssr / n_obs * n_pairs), -0.99, 0.99))

    def covariance_matrix(self, expval: np.ndarray, index: int):
        waves = self.model.time_li[index][:, 0]
        return self.dep_params ** np.abs(np.subtract.outer(waves, waves)), True

    def summary(self) -> str:
        return f"AR(1) working correlation: alpha = {self.dep_params:.4f}"


def _pearson(model, i: int) -> np.ndarray:
    expval, _ = model.cached_means[i]
    return (model.endog_li[i] - expval) / np.sqrt(model.family.variance(expval))


def _cov_struct(correlation: str) -> CovStruct:
    if correlation == "exchangeable":
        return _GeepackExchangeable()
    if correlation == "ar1":
        return _GeepackAR1()
    if correlation == "independence":
        return Independence()
    raise SpecificationError(
        f"correlation={correlation!r} is not supported; use one of {', '.join(CORRELATIONS)}."
    )


def _family(family: str):
    families = {
        "binomial": sm.families.Binomial,
        "gaussian": sm.families.Gaussian,
        "poisson": sm.families.Poisson,
    }
    if family not in families:
        raise SpecificationError(
            f"family={family!r} is not supported; use one of {', '.join(FAMILIES)}."
        )
    return families[family]()


@dataclass(frozen=True)
class GEEFit:
    """What one GEE fit returns.

    Attributes
    ----------
    params : Series
        Coefficients (link scale).
    cov : DataFrame
        Robust (sandwich) covariance, ``B^-1 (sum_i U_i U_i') B^-1``.
    scores : ndarray, shape (n_clusters, k)
        Influence of each cluster on the coefficients, ``B^-1 U_i``; ``cov == scores.T @ scores``.
    clusters : ndarray
        Cluster labels in the row order of ``scores``.
    exog : DataFrame
        Design matrix used (rows in the order of ``endog``).
    fitted : ndarray
        Fitted means.
    dependence : float
        Working correlation parameter (0 for independence).
    converged : bool
    """

    params: pd.Series
    cov: pd.DataFrame
    scores: np.ndarray
    clusters: np.ndarray
    exog: pd.DataFrame
    fitted: np.ndarray
    dependence: float
    converged: bool
    n_obs: int


def fit_gee(
    endog: np.ndarray,
    exog: pd.DataFrame,
    *,
    groups: np.ndarray,
    time: np.ndarray | None = None,
    family: str = "binomial",
    correlation: str = "exchangeable",
    weights: np.ndarray | None = None,
    maxiter: int = 100,
) -> GEEFit:
    """Fit a GEE from arrays; rows must be sorted by cluster (and by ``time`` within cluster)."""
    cov_struct = _cov_struct(correlation)
    model = sm.GEE(
        np.asarray(endog, dtype=float),
        exog,
        groups=np.asarray(groups),
        time=None if time is None else np.asarray(time, dtype=float),
        family=_family(family),
        cov_struct=cov_struct,
        weights=None if weights is None else np.asarray(weights, dtype=float),
    )
    return _finish(model, cov_struct, maxiter)


def fit_gee_formula(
    formula: str,
    data: pd.DataFrame,
    *,
    groups: str,
    time: np.ndarray | None = None,
    family: str = "binomial",
    correlation: str = "exchangeable",
    weights: np.ndarray | None = None,
    maxiter: int = 100,
) -> GEEFit:
    """Fit a GEE from a formula on ``data`` (complete rows only; the caller drops and reports)."""
    cov_struct = _cov_struct(correlation)
    model = sm.GEE.from_formula(
        formula,
        groups=groups,
        data=data,
        time=None if time is None else np.asarray(time, dtype=float),
        family=_family(family),
        cov_struct=cov_struct,
        weights=None if weights is None else np.asarray(weights, dtype=float),
    )
    return _finish(model, cov_struct, maxiter)


def _finish(model, cov_struct: CovStruct, maxiter: int) -> GEEFit:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", category=_SMConvergenceWarning)
        result = model.fit(maxiter=maxiter)
    converged = not any(issubclass(w.category, _SMConvergenceWarning) for w in caught)
    for record in caught:
        if not issubclass(record.category, _SMConvergenceWarning):
            warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
    if not converged:
        warnings.warn(
            f"GEE did not converge in {maxiter} iterations; estimates may be unreliable. This "
            "often signals (quasi-)separation: an outcome that is always 0 or always 1 in some "
            "group x wave cell. Check the prevalence table.",
            ConvergenceWarning,
            stacklevel=3,
        )
    names = list(model.exog_names)
    params = pd.Series(np.asarray(result.params), index=names)
    scores, bread_inv = _cluster_scores(model, params.to_numpy())
    cov = pd.DataFrame(scores.T @ scores, index=names, columns=names)
    dependence = getattr(cov_struct, "dep_params", None) or 0.0
    return GEEFit(
        params=params,
        cov=cov,
        scores=scores,
        clusters=np.asarray(model.group_labels),
        exog=pd.DataFrame(model.exog, columns=names),
        fitted=np.asarray(result.fittedvalues),
        dependence=float(dependence) if np.ndim(dependence) == 0 else np.nan,
        converged=converged,
        n_obs=int(model.nobs),
    )


def _cluster_scores(model, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster influence ``B^-1 U_i`` of the estimating equations at ``params``.

    Mirrors statsmodels' own sandwich (``GEE._covmat``), kept here so that several separate GEE
    fits can be combined person by person (a joint sandwich of stacked estimating equations).
    """
    model.update_cached_means(params)
    weights = getattr(model, "weights_li", None)
    bread = 0.0
    contributions = []
    for i in range(model.num_group):
        expval, lpr = model.cached_means[i]
        resid = model.endog_li[i] - expval
        dmat = model.mean_deriv(model.exog_li[i], lpr)
        sdev = np.sqrt(model.family.variance(expval))
        if weights is not None:
            wdmat, wresid = dmat * weights[i][:, None], resid * weights[i]
        else:
            wdmat, wresid = dmat, resid
        vinv_d, vinv_resid = model.cov_struct.covariance_matrix_solve(
            expval, i, sdev, (wdmat, wresid)
        )
        bread = bread + dmat.T @ vinv_d
        contributions.append(dmat.T @ vinv_resid)
    bread_inv = np.linalg.pinv(bread)
    scores = np.asarray(contributions) @ bread_inv.T
    return scores, bread_inv
