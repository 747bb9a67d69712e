"""Propensity-score models: unpenalised logistic regression (Newton-Raphson, in numpy) with
separation detection. Gradient boosting lives in :mod:`mirabal_stats.weighting._sklearn`.

The logistic fit is written out rather than delegated so that (i) separation is detected and
reported with the covariates responsible, and (ii) the stacked M-estimation variance in
:mod:`mirabal_stats.weighting.effect` can reuse exactly the design and scores used here.

References
----------
Albert, A. & Anderson, J. A. (1984). On the existence of maximum likelihood estimates in
logistic regression models. *Biometrika* 71:1-10. doi:10.1093/biomet/71.1.1
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from mirabal_stats.exceptions import ConvergenceWarning, EstimationError, SeparationWarning

__all__ = ["LogisticFit", "fit_logistic", "separating_columns"]

# A fitted probability this close to 0 or 1 means the likelihood is maximised at infinity along
# some direction (Albert & Anderson 1984): the estimates are not finite in truth.
_SEPARATION_EPS = 1e-8


@dataclass(frozen=True)
class LogisticFit:
    """A fitted logistic regression.

    Attributes
    ----------
    coef : numpy.ndarray
        Coefficients on the original covariate scale, intercept first.
    names : list of str
        ``["(Intercept)", *covariate names]``.
    propensity : numpy.ndarray
        Fitted probabilities.
    design : numpy.ndarray
        The standardised design (intercept column first) the fit was computed on; the M-estimation
        variance uses it (the variance of a treatment effect does not depend on how the
        propensity model is parametrised).
    converged : bool
    n_iter : int
    separated : bool
    culprits : list of str
        Covariates involved in the separation (empty when none).
    log_likelihood : float
    vcov : numpy.ndarray
        Covariance of ``coef`` (inverse of the observed information, as R's ``glm``); not
        meaningful under separation (the information is then nearly singular).
    """

    coef: np.ndarray
    names: list
    propensity: np.ndarray
    design: np.ndarray
    converged: bool
    n_iter: int
    separated: bool
    culprits: list
    log_likelihood: float
    vcov: np.ndarray | None = None

    @property
    def std_error(self) -> np.ndarray:
        """Standard errors of ``coef`` (NaN where the information cannot be inverted)."""
        if self.vcov is None:
            return np.full(self.coef.shape, np.nan)
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.where(np.diag(self.vcov) >= 0, np.diag(self.vcov), np.nan))


def original_scale(design_scale: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The matrix ``T`` mapping coefficients on standardised columns to the original scale.

    With ``z = (x - center) / scale``: ``coef = T beta`` where ``coef_0 = beta_0 - sum beta_j
    center_j / scale_j`` and ``coef_j = beta_j / scale_j``.
    """
    center, scale = design_scale
    k = center.size + 1
    t = np.zeros((k, k))
    t[0, 0] = 1.0
    t[0, 1:] = -center / scale
    t[1:, 1:] = np.diag(1.0 / scale)
    return t


def covariance_from_information(information: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """``T inv(information) T'``, or None when the information matrix is singular."""
    try:
        inverse = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(inverse)):
        return None
    return t @ inverse @ t.T


def separating_columns(x: np.ndarray, y: np.ndarray, names: list) -> list:
    """Columns that on their own separate ``y`` completely or quasi-completely.

    A 0/1 column separates when one of its values occurs in only one outcome class; a continuous
    column separates when the ranges of the two classes do not overlap (or touch only at a point).
    """
    culprits = []
    for j, name in enumerate(names):
        col = x[:, j]
        if np.all((col == 0) | (col == 1)):
            for value in (0.0, 1.0):
                sel = col == value
                if sel.any() and np.unique(y[sel]).size == 1 and not np.all(sel):
                    culprits.append(name)
                    break
        else:
            lo1, hi1 = col[y == 1].min(), col[y == 1].max()
            lo0, hi0 = col[y == 0].min(), col[y == 0].max()
            if hi1 <= lo0 or hi0 <= lo1:
                culprits.append(name)
    return culprits


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    names: list,
    *,
    sample_weight: np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
    warn: bool = True,
    context: str = "propensity model",
) -> LogisticFit:
    """Maximum-likelihood logistic regression of ``y`` on ``x`` (an intercept is added).

    Newton-Raphson on standardised columns, with step halving when the log-likelihood does not
    increase. Issues :class:`SeparationWarning` (naming the covariates) when fitted probabilities
    reach 0 or 1, and :class:`ConvergenceWarning` when the iterations run out.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise EstimationError(
            f"the {context} received non-finite values; check the covariates for NaN or inf."
        )
    n = y.size
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    center = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.column_stack([np.ones(n), (x - center) / scale])
    beta = np.zeros(design.shape[1])
    ybar = np.sum(sw * y) / np.sum(sw)
    beta[0] = np.log(ybar / (1 - ybar))

    def loglik(b: np.ndarray) -> float:
        eta = design @ b
        # log(1 + exp(eta)) computed stably.
        return float(np.sum(sw * (y * eta - np.logaddexp(0.0, eta))))

    current = loglik(beta)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is returned)
        p = expit(design @ beta)
        grad = design.T @ (sw * (y - p))
        info = (design * (sw * p * (1 - p))[:, None]).T @ design
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            try:
                step = np.linalg.lstsq(info, grad, rcond=None)[0]
            except np.linalg.LinAlgError as err:
                raise EstimationError(
                    f"the {context} could not be fitted: its information matrix cannot be "
                    f"factorised ({err}). Remove collinear or near-constant covariates."
                ) from err
        t = 1.0
        for _ in range(30):
            candidate = beta + t * step
            value = loglik(candidate)
            if value >= current - 1e-12:
                break
            t /= 2
        beta = candidate
        change = value - current
        current = value
        if abs(change) < tol * (abs(current) + tol) and np.max(np.abs(t * step)) < 1e-6:
            converged = True
            break
    p = expit(design @ beta)
    separated = bool(np.any(p < _SEPARATION_EPS) or np.any(p > 1 - _SEPARATION_EPS))
    culprits: list = []
    if separated:
        culprits = separating_columns(x, y, names)
        if not culprits:
            # Separation by a combination of covariates: report those with the largest
            # standardised coefficients, which are the ones running off to infinity.
            order = np.argsort(-np.abs(beta[1:]))
            culprits = [names[j] for j in order[:3]]
        if warn:
            n_extreme = int(np.sum((p < _SEPARATION_EPS) | (p > 1 - _SEPARATION_EPS)))
            warnings.warn(
                f"The {context} shows (quasi-)complete separation: {n_extreme} unit(s) have fitted "
                f"probability 0 or 1, involving {', '.join(culprits)}. Coefficients are not finite "
                "and weights for those units are extreme. Coarsen or drop these covariates"
                + (
                    ", or use method='entropy' (which needs no propensity model)."
                    if context == "propensity model"
                    else "."
                ),
                SeparationWarning,
                stacklevel=3,
            )
    elif not converged and warn:
        warnings.warn(
            f"The {context} did not converge in {max_iter} Newton iterations; weights may be "
            "inaccurate. Check for near-collinear covariates.",
            ConvergenceWarning,
            stacklevel=3,
        )
    if not np.all(np.isfinite(beta)):
        raise EstimationError(
            f"the {context} diverged (non-finite coefficients); remove collinear or "
            "near-constant covariates."
        )
    t = original_scale((center, scale))
    coef = t @ beta
    info = (design * (sw * p * (1 - p))[:, None]).T @ design
    return LogisticFit(
        coef=coef,
        names=["(Intercept)", *names],
        propensity=p,
        design=design,
        converged=converged,
        n_iter=n_iter,
        separated=separated,
        culprits=culprits,
        log_likelihood=current,
        vcov=covariance_from_information(info, t),
    )
