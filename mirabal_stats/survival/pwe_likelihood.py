"""Piecewise-exponential survival likelihood: data preparation (numpy) and the log-density
(pytensor), vectorised, with right censoring, exact times and interval censoring.

The baseline hazard is constant on intervals ``[c_j, c_{j+1})``; a person with linear predictor
``eta`` has cumulative hazard ``H(t) = exp(eta) * sum_j exp(alpha_j) E_j(t)`` with ``E_j(t)`` the
time spent in interval ``j`` before ``t``. Then (Holford 1980; Laird & Olivier 1981):

* exact event at ``t`` / right-censored at ``t``: ``d (alpha_{j(t)} + eta) - H(t)``, which is the
  Poisson log-likelihood of event counts with log-exposure offsets, so rows sharing a covariate
  pattern collapse into one count and one exposure per interval (the "Poisson trick");
* event in ``(L, U]``: ``-H(L) + log(1 - exp(-(H(U) - H(L))))``; the ``-H(L)`` part collapses like a
  right-censored row, the second term is kept per row.

Weights multiply each row's contribution (a weighted pseudo-likelihood).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "PWEData",
    "exposure_matrix",
    "prepare_pwe_data",
    "pwe_loglik_numpy",
    "pwe_loglik_pytensor",
]


def exposure_matrix(times, cuts) -> np.ndarray:
    """``E[i, j]`` = time person ``i`` spends in interval ``[cuts[j], cuts[j+1])`` before ``times[i]``.

    ``cuts`` starts at 0 and the last interval is open-ended.
    """
    t = np.asarray(times, dtype=float)[:, None]
    lo = np.asarray(cuts, dtype=float)[None, :]
    hi = np.append(np.asarray(cuts, dtype=float)[1:], np.inf)[None, :]
    return np.clip(np.minimum(t, hi) - lo, 0.0, None)


@dataclass(frozen=True)
class PWEData:
    """Arrays the likelihood needs.

    Collapsed part (one row per covariate pattern ``p``): ``X_pattern`` (P, K), ``cluster_pattern``
    (P,), ``events`` and ``exposure`` (P, J). Interval part (one row per interval-censored person):
    ``X_interval`` (M, K), ``cluster_interval`` (M,), ``dexposure`` = ``E(U) - E(L)`` (M, J),
    ``w_interval`` (M,).
    """

    cuts: np.ndarray
    X_pattern: np.ndarray
    cluster_pattern: np.ndarray
    events: np.ndarray
    exposure: np.ndarray
    X_interval: np.ndarray
    cluster_interval: np.ndarray
    dexposure: np.ndarray
    w_interval: np.ndarray
    n_rows: int


def prepare_pwe_data(
    X, cuts, *, time, event, interval_upper=None, weights=None, cluster=None
) -> PWEData:
    """Collapse person rows into pattern-by-interval counts and exposures.

    Parameters
    ----------
    X : array (n, K)
        Design (group indicator first, then covariates).
    time, event : arrays (n,)
        For right-censored/exact rows the follow-up time and event indicator. For interval rows
        ``time`` is the lower bound and ``event`` 0 (their ``-H(L)`` term is a censored row).
    interval_upper : array (n,), optional
        Upper bound for genuinely interval-censored rows (``L < U < inf``), NaN otherwise.
    """
    X = np.asarray(X, dtype=float).reshape(len(time), -1)
    n = X.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    cl = np.zeros(n, dtype=int) if cluster is None else np.asarray(cluster, dtype=int)
    t = np.asarray(time, dtype=float)
    d = np.asarray(event, dtype=float)
    E = exposure_matrix(t, cuts)
    # Event indicator per interval: the interval containing t (right-closed at cut points is
    # immaterial for continuous time; at a cut the event belongs to the interval ending there).
    j_event = np.clip(np.searchsorted(cuts, t, side="left") - 1, 0, len(cuts) - 1)
    D = np.zeros_like(E)
    D[np.arange(n), j_event] = d
    key = np.column_stack([X, cl])
    patterns, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    P = len(patterns)
    events = np.zeros((P, E.shape[1]))
    exposure = np.zeros((P, E.shape[1]))
    np.add.at(events, inverse, w[:, None] * D)
    np.add.at(exposure, inverse, w[:, None] * E)
    if interval_upper is None:
        interval_upper = np.full(n, np.nan)
    up = np.asarray(interval_upper, dtype=float)
    is_int = np.isfinite(up)
    dE = exposure_matrix(up[is_int], cuts) - E[is_int]
    return PWEData(
        cuts=np.asarray(cuts, dtype=float),
        X_pattern=patterns[:, :-1],
        cluster_pattern=patterns[:, -1].astype(int),
        events=events,
        exposure=exposure,
        X_interval=X[is_int],
        cluster_interval=cl[is_int],
        dexposure=dE,
        w_interval=w[is_int],
        n_rows=n,
    )


def _log1mexp_np(x):
    """log(1 - exp(-x)) for x > 0, accurate at both ends (Maechler 2012)."""
    x = np.asarray(x, dtype=float)
    return np.where(x < np.log(2), np.log(-np.expm1(-x)), np.log1p(-np.exp(-x)))


def pwe_loglik_numpy(data: PWEData, alpha, beta, frailty=None) -> float:
    """Reference implementation of the (pseudo-)log-likelihood, for tests."""
    b = np.zeros(data.cluster_pattern.max() + 1) if frailty is None else np.asarray(frailty)
    eta_p = data.X_pattern @ beta + b[data.cluster_pattern]
    log_rate = alpha[None, :] + eta_p[:, None]
    ll = np.sum(data.events * log_rate - np.exp(log_rate) * data.exposure)
    if len(data.w_interval):
        eta_i = data.X_interval @ beta + b[data.cluster_interval]
        dH = np.exp(eta_i) * (data.dexposure @ np.exp(alpha))
        ll += np.sum(data.w_interval * _log1mexp_np(dH))
    return float(ll)


def pwe_loglik_pytensor(data: PWEData, alpha, beta, frailty=None):
    """The same log-likelihood as a pytensor expression (no loops over persons or intervals)."""
    import pytensor.tensor as pt

    eta_p = pt.dot(data.X_pattern, beta)
    if frailty is not None:
        eta_p = eta_p + frailty[data.cluster_pattern]
    log_rate = alpha[None, :] + eta_p[:, None]
    ll = pt.sum(data.events * log_rate - pt.exp(log_rate) * data.exposure)
    if len(data.w_interval):
        eta_i = pt.dot(data.X_interval, beta)
        if frailty is not None:
            eta_i = eta_i + frailty[data.cluster_interval]
        dH = pt.exp(eta_i) * pt.dot(data.dexposure, pt.exp(alpha))
        ll = ll + pt.sum(data.w_interval * pt.log1mexp(-dH))
    return ll
