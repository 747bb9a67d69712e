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

Errors and warnings. statsmodels, scipy and numpy exceptions raised while building or fitting a
model become :class:`~mirabal_stats.exceptions.EstimationError` (raised ``from`` the original);
estimates that come out non-finite do too. statsmodels' warnings are caught here: failure to
converge is re-issued as our :class:`~mirabal_stats.exceptions.ConvergenceWarning` naming what
was fitted; the projection of a working covariance that is not positive definite (it only costs
efficiency; the robust standard errors stay valid) is returned in :attr:`GEEFit.projected` for
the result's notes; overflow and domain noise from fits that still give finite estimates is
dropped.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from formulaic.errors import FormulaicError
from patsy import PatsyError
from statsmodels.genmod.cov_struct import CovStruct, Independence
from statsmodels.tools.sm_exceptions import ConvergenceWarning as _SMConvergenceWarning

from mirabal_stats.exceptions import ConvergenceWarning, EstimationError, SpecificationError

__all__ = ["GEEFit", "fit_gee", "fit_gee_formula", "separated_terms", "CORRELATIONS", "FAMILIES"]

#: What statsmodels, its formula engines (patsy, formulaic), scipy, numpy and pandas raise on data a GEE cannot be fitted to.
_FIT_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    ZeroDivisionError,
    OverflowError,
    np.linalg.LinAlgError,
    PatsyError,
    FormulaicError,
)

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
        if n_pairs == 0 or not ssr > 0:
            # No pairs, or every answer fitted exactly: nothing to estimate a correlation from.
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
        if n_pairs == 0 or not ssr > 0:
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
    sd = np.sqrt(model.family.variance(expval))
    # A fitted probability of exactly 0 or 1 has no variance; such an answer is fitted exactly
    # and carries no information on the correlation (residual 0 rather than 0/0).
    resid = model.endog_li[i] - expval
    return np.divide(resid, sd, out=np.zeros_like(resid, dtype=float), where=sd > 0)


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
    n_obs : int
    projected : bool
        statsmodels replaced the working covariance of some person by the nearest positive
        definite matrix (the working correlation estimate is outside its valid range for that
        person's number of answers). Costs efficiency only.
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
    projected: bool = False


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
    what: str = "the GEE",
) -> GEEFit:
    """Fit a GEE from arrays; rows must be sorted by cluster (and by ``time`` within cluster).

    ``groups`` should be integer codes (labels of mixed types cannot be sorted); ``what`` names
    the fit in warnings and errors (e.g. ``"indicator 'slapped'"``).
    """
    cov_struct = _cov_struct(correlation)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = sm.GEE(
                np.asarray(endog, dtype=float),
                exog,
                groups=np.asarray(groups),
                time=None if time is None else np.asarray(time, dtype=float),
                family=_family(family),
                cov_struct=cov_struct,
                weights=None if weights is None else np.asarray(weights, dtype=float),
            )
    except _FIT_ERRORS as err:
        raise EstimationError(f"{what} could not be set up: {err}.") from err
    return _finish(model, cov_struct, maxiter, what)


def fit_gee_formula(
    formula: str,
    data: pd.DataFrame,
    *,
    groups: np.ndarray,
    time: np.ndarray | None = None,
    family: str = "binomial",
    correlation: str = "exchangeable",
    weights: np.ndarray | None = None,
    maxiter: int = 100,
    what: str = "the GEE",
) -> GEEFit:
    """Fit a GEE from a formula on ``data`` (complete rows only; the caller drops and reports).

    ``groups`` holds integer cluster codes, one per row of ``data``. For the binomial family a
    design that separates the answers (some terms' estimates are infinite) is refused with an
    :class:`~mirabal_stats.exceptions.EstimationError` naming those terms.
    """
    cov_struct = _cov_struct(correlation)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = sm.GEE.from_formula(
                formula,
                groups=np.asarray(groups),
                data=data,
                time=None if time is None else np.asarray(time, dtype=float),
                family=_family(family),
                cov_struct=cov_struct,
                weights=None if weights is None else np.asarray(weights, dtype=float),
            )
    except _FIT_ERRORS as err:
        raise EstimationError(
            f"the GEE design could not be built from formula {formula!r}: {err}. Check that "
            "the formula's columns hold numbers (or categories wrapped in C(...))."
        ) from err
    exog = pd.DataFrame(model.exog, columns=list(model.exog_names))
    _check_rank(exog, what)
    if family == "binomial":
        separated = separated_terms(exog, model.endog)
        if separated:
            raise EstimationError(
                f"the answers are (quasi-)completely separated in {what}: the estimates of "
                f"{separated} are infinite (some combination of them predicts the response "
                "exactly for a group of rows, e.g. one group answering 1 at every occasion). "
                "Remove or merge those terms or categories, or use a penalised or Bayesian "
                "model (mirabal_stats.bayes.BinaryMixedModel), whose priors keep them finite."
            )
    return _finish(model, cov_struct, maxiter, what)


def _check_rank(exog: pd.DataFrame, what: str) -> None:
    x = exog.to_numpy(dtype=float)
    if not np.all(np.isfinite(x)):
        raise EstimationError(f"the design of {what} holds infinite values.")
    rank = np.linalg.matrix_rank(x) if x.size else 0
    if rank < x.shape[1]:
        redundant = _redundant_columns(x, list(exog.columns))
        raise EstimationError(
            f"the design of {what} is singular: {redundant} are constant or combinations of the "
            "other terms on these rows (e.g. a category with no answers, or a variable that "
            "does not vary). Remove them from the formula."
        )


def _redundant_columns(x: np.ndarray, names: list) -> list:
    kept, redundant = [], []
    for j, name in enumerate(names):
        trial = x[:, [*kept, j]]
        if np.linalg.matrix_rank(trial) > len(kept):
            kept.append(j)
        else:
            redundant.append(name)
    return redundant


def separated_terms(exog: pd.DataFrame, endog: np.ndarray, *, among=None) -> list:
    """Terms with an infinite estimate in a binary regression ([] without separation).

    ``among`` limits the term-by-term check to those columns (all by default).

    The answers are (quasi-)completely separated when some direction ``d`` of the coefficients
    has ``x'd >= 0`` wherever the response is 1, ``x'd <= 0`` wherever it is 0, and is not zero
    everywhere: moving along it improves the likelihood for ever. Rows with the same covariates
    are pooled (a pool with both answers needs ``x'd = 0``) and a linear programme finds whether
    such a direction exists and, term by term, whether it moves that term (Konis 2007, the
    method of R's ``detectseparation``). Assumes a design of full rank.

    Reference: Konis, K. (2007). *Linear programming algorithms for detecting separated data in
    binary logistic regression models*. DPhil thesis, University of Oxford.
    """
    from scipy.optimize import linprog

    x = np.asarray(exog, dtype=float)
    y = np.asarray(endog, dtype=float)
    if x.shape[0] == 0 or x.shape[1] == 0:
        return []
    scale = np.max(np.abs(x), axis=0)
    x = x / np.where(scale > 0, scale, 1.0)
    rows, inverse = np.unique(np.round(x, 12), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    ones = np.bincount(inverse, weights=(y >= 1.0).astype(float), minlength=len(rows))
    zeros = np.bincount(inverse, weights=(y <= 0.0).astype(float), minlength=len(rows))
    count = np.bincount(inverse, minlength=len(rows)).astype(float)
    all_one, all_zero = ones == count, zeros == count
    mixed = ~(all_one | all_zero)
    sign = np.where(all_one, 1.0, -1.0)
    a_ub = -(sign[~mixed, None] * rows[~mixed])  # sign * x'd >= 0
    a_eq = rows[mixed] if mixed.any() else None
    bounds = [(-1.0, 1.0)] * x.shape[1]
    options = {
        "A_ub": a_ub if len(a_ub) else None,
        "b_ub": np.zeros(len(a_ub)) if len(a_ub) else None,
        "A_eq": a_eq,
        "b_eq": None if a_eq is None else np.zeros(len(a_eq)),
        "bounds": bounds,
        "method": "highs",
    }
    if not len(a_ub):
        return []
    objective = -(count[~mixed] * sign[~mixed]) @ rows[~mixed]
    total = linprog(objective, **options)
    tolerance = 1e-7 * max(1.0, float(count.sum()))
    if total.status != 0 or -total.fun <= tolerance:
        return []
    names, moved = list(exog.columns), []
    for j, name in enumerate(names):
        if among is not None and name not in among:
            continue
        for direction in (1.0, -1.0):
            c = np.zeros(x.shape[1])
            c[j] = -direction
            one = linprog(c, **options)
            if one.status == 0 and -one.fun > 1e-7:
                moved.append(name)
                break
    return moved


def _finish(model, cov_struct: CovStruct, maxiter: int, what: str) -> GEEFit:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = model.fit(maxiter=maxiter)
            if result is None:
                # statsmodels returns None when the update or the covariance is singular.
                raise EstimationError(
                    f"the GEE of {what} could not be fitted: "
                    + "; ".join(str(w.message) for w in caught[-2:])
                    + ". It needs answers of both values in each group, and persons answering "
                    "at several waves."
                )
            names = list(model.exog_names)
            params = pd.Series(np.asarray(result.params, dtype=float), index=names)
            if not np.all(np.isfinite(params)):
                raise EstimationError(
                    f"the GEE of {what} gave non-finite estimates (the fit diverged); this "
                    "usually means (quasi-)separation: an answer that is always 0 or always 1 "
                    "for some group at some wave. Check the prevalence table."
                )
            scores, _ = _cluster_scores(model, params.to_numpy())
            fitted = np.asarray(result.fittedvalues, dtype=float)
    except EstimationError:
        raise
    except _FIT_ERRORS as err:
        raise EstimationError(
            f"the GEE of {what} could not be fitted ({type(err).__name__}: {err}). It needs "
            "answers of both values in each group, and persons answering at several waves."
        ) from err
    # statsmodels flags an exhausted iteration limit with IterationLimitWarning (not its
    # ConvergenceWarning) and records it in ``converged``.
    converged = bool(getattr(result, "converged", True)) and not any(
        issubclass(w.category, _SMConvergenceWarning) for w in caught
    )
    projected = any("required projection" in str(w.message) for w in caught)
    if not converged:
        warnings.warn(
            f"the GEE of {what} did not converge in {maxiter} iterations; its estimates may be "
            "unreliable. This often signals (quasi-)separation (an answer that is always 0 or "
            "always 1 in some group x wave cell: check the prevalence table) or a working "
            "correlation outside its valid range (compare with correlation='independence').",
            ConvergenceWarning,
            stacklevel=4,
        )
    cov = pd.DataFrame(scores.T @ scores, index=names, columns=names)
    if not np.all(np.isfinite(cov.to_numpy())):
        raise EstimationError(
            f"the robust covariance of the GEE of {what} is not finite: the estimating "
            "equations are degenerate on these answers (too few persons, or answers fitted "
            "exactly)."
        )
    dependence = getattr(cov_struct, "dep_params", None) or 0.0
    return GEEFit(
        params=params,
        cov=cov,
        scores=scores,
        clusters=np.asarray(model.group_labels),
        exog=pd.DataFrame(model.exog, columns=names),
        fitted=fitted,
        dependence=float(dependence) if np.ndim(dependence) == 0 else np.nan,
        converged=converged,
        n_obs=int(model.nobs),
        projected=projected,
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
