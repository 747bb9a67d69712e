"""Turnbull's nonparametric maximum-likelihood estimate (NPMLE) for interval-censored data.

An event reported "at the next telephone survey" is only known to lie in ``(lower, upper]``.
The NPMLE puts probability mass only on Turnbull's innermost intervals and is found by the
self-consistency (EM) algorithm. Written here (a few vectorised lines) because lifelines'
``KaplanMeierFitter.fit_interval_censoring`` does not reproduce R's ``survfit`` NPMLE.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from mirabal_stats.exceptions import ConvergenceWarning, SurvivalDataError

__all__ = ["TurnbullCurve", "turnbull"]


@dataclass(frozen=True)
class TurnbullCurve:
    """NPMLE of the event-time distribution.

    ``left``/``right`` are the innermost intervals ``(left, right]`` (``left == right`` is a point
    mass at an exactly observed time) and ``mass`` the probability on each; ``iterations`` and
    ``converged`` describe the EM run. Mass beyond the last finite bound (right-censored tail)
    sits on ``(left, inf]``.
    """

    left: np.ndarray
    right: np.ndarray
    mass: np.ndarray
    iterations: int
    converged: bool

    def survival_at(self, times) -> np.ndarray:
        """``S(t) = 1 - P(T <= t)`` with each interval's mass counted once ``t`` reaches its right
        end. The NPMLE is not unique inside an innermost interval; at any time outside them
        (e.g. the survey waves) this is the unique value, and it matches R's ``survfit``."""
        t = np.asarray(times, dtype=float)
        order = np.argsort(self.right)
        cum = np.concatenate([[0.0], np.cumsum(self.mass[order])])
        idx = np.searchsorted(self.right[order], t, side="right")
        return 1.0 - cum[idx]

    def step_function(self) -> tuple[np.ndarray, np.ndarray]:
        """Times and survival for plotting: drops drawn across each innermost interval."""
        ts = np.unique(np.concatenate([[0.0], self.left, self.right[np.isfinite(self.right)]]))
        return ts, self.survival_at(ts)


def _innermost_intervals(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turnbull (1976) innermost intervals of half-open intervals ``(lower, upper]``.

    Sort all endpoints; an innermost interval is a left endpoint immediately followed by a right
    endpoint. At equal values an exact observation's left end sorts first (its point mass lies
    inside any interval ending there), then right ends, then ordinary left ends (``(a, b]`` and
    ``(b, c]`` do not overlap).
    """
    exact = lower == upper
    values = np.concatenate([lower, upper])
    kind = np.concatenate([np.where(exact, 0, 2), np.ones_like(upper, dtype=int)])
    is_left = np.concatenate([np.ones_like(lower, dtype=bool), np.zeros_like(upper, dtype=bool)])
    order = np.lexsort((kind, values))
    values, is_left = values[order], is_left[order]
    starts = np.flatnonzero(is_left[:-1] & ~is_left[1:])
    return values[starts], values[starts + 1]


def _check_bounds(lower, upper, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        lo = np.asarray(lower, dtype=float)
        hi = np.asarray(upper, dtype=float)
        w = np.ones_like(lo) if weights is None else np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as err:
        raise SurvivalDataError(f"lower, upper and weights must be numbers ({err}).") from None
    if lo.ndim != 1 or lo.shape != hi.shape or lo.shape != w.shape or len(lo) == 0:
        raise SurvivalDataError(
            "lower, upper (and weights) must be non-empty one-dimensional arrays of one length, "
            f"got shapes {lo.shape}, {hi.shape}, {w.shape}."
        )
    if not np.isfinite(lo).all() or (lo < 0).any() or np.isnan(hi).any() or (hi < lo).any():
        raise SurvivalDataError(
            "interval bounds must satisfy 0 <= lower <= upper with lower finite and upper a "
            "number (inf: no event seen); some rows do not."
        )
    if not (np.isfinite(w) & (w > 0)).all():
        raise SurvivalDataError("weights must be finite and > 0.")
    return lo, hi, w


def turnbull(
    lower, upper, *, weights=None, tol: float = 1e-10, max_iter: int = 20_000
) -> TurnbullCurve:
    """Turnbull NPMLE of the survival function from interval-censored data.

    Parameters
    ----------
    lower, upper : array-like
        The event lies in ``(lower, upper]``; ``upper = inf`` is right-censored at ``lower``,
        ``lower = 0`` left-censored at ``upper`` and ``lower == upper`` an exact time.
    weights : array-like, optional
        Case weights; the EM maximises the weighted log-likelihood.
    tol : float
        Stop when no mass changes by more than ``tol``.

    Returns
    -------
    TurnbullCurve

    References
    ----------
    Turnbull, B.W. (1976). The empirical distribution function with arbitrarily grouped, censored
    and truncated data. JRSS B 38:290-295. doi:10.1111/j.2517-6161.1976.tb01597.x

    Examples
    --------
    >>> import numpy as np
    >>> curve = turnbull([0, 0, 3, 3], [3, 6, 6, np.inf])
    >>> np.round(curve.survival_at([3, 6]), 3).tolist()
    [0.667, 0.0]
    """
    lo, hi, w = _check_bounds(lower, upper, weights)
    left, right = _innermost_intervals(lo, hi)
    point = left == right
    exact = (lo == hi)[:, None]
    # alpha[i, j] = 1 if innermost interval j lies inside observation i's interval.
    inside_open = (lo[:, None] <= left[None, :]) & (right[None, :] <= hi[:, None])
    inside_point = (lo[:, None] < right[None, :]) & (right[None, :] <= hi[:, None])
    alpha = np.where(point[None, :], inside_point, inside_open)
    alpha = np.where(exact, point[None, :] & (right[None, :] == lo[:, None]), alpha).astype(float)
    p = np.full(len(left), 1.0 / len(left))
    total = w.sum()
    converged = False
    for iteration in range(1, max_iter + 1):  # noqa: B007 (returned as iterations)
        # Self-consistency (EM) step: expected share of each person's weight on each interval.
        denom = alpha @ p
        new = p * (alpha.T @ (w / denom)) / total
        change = np.max(np.abs(new - p))
        p = new
        if change < tol:
            converged = True
            break
    if not converged:
        warnings.warn(
            f"Turnbull EM did not converge in {max_iter} iterations (last change {change:.2g}); "
            "increase max_iter or check for very sparse intervals.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return TurnbullCurve(left=left, right=right, mass=p, iterations=iteration, converged=converged)
