"""Entropy balancing (Hainmueller 2012): weights closest to uniform (in Kullback-Leibler
divergence) whose weighted covariate moments equal a target exactly.

The primal problem is solved through its convex dual. For weights ``w_i = exp(c_i' lambda) / Z``
on centred constraint columns ``c_i = g(x_i) - target``, the dual objective is
``log(sum_i exp(c_i' lambda))``; its gradient is the weighted mean of ``c`` (zero at the optimum:
the balance constraints) and its Hessian the weighted covariance of ``c``. Newton's method with
backtracking converges quadratically when the target lies inside the convex hull of the
``g(x_i)``; when it does not, no weights exist and a :class:`WeightingError` says so.

References
----------
Hainmueller, J. (2012). Entropy balancing for causal effects: a multivariate reweighting method to
produce balanced samples in observational studies. *Political Analysis* 20:25-46.
doi:10.1093/pan/mpr025
Zhao, Q. & Percival, D. (2017). Entropy balancing is doubly robust. *Journal of Causal Inference*
5(1). doi:10.1515/jci-2016-0010
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from mirabal_stats.exceptions import EstimationError, WeightingError

__all__ = ["EntropyFit", "entropy_balance", "entropy_balance_groups"]


@dataclass(frozen=True)
class EntropyFit:
    """Weights of one group (summing to the group size), the dual solution and convergence.

    ``dual`` holds the Lagrange multipliers of the balance constraints on the covariates'
    original scale (one per entry of ``names``): ``w_i`` is proportional to
    ``exp(sum_j dual_j x_ij)``.
    """

    weights: np.ndarray
    dual: np.ndarray
    max_imbalance: float
    n_iter: int
    converged: bool
    names: tuple = ()


def _constraint_columns(x: np.ndarray, moments: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns to balance and, for moments=2, which input columns were squared.

    Squares of 0/1 columns repeat the column itself, so only non-binary columns are squared;
    matching means and second moments matches the variances too.
    """
    if moments == 1:
        return x, np.zeros(x.shape[1], dtype=bool)
    squared = ~np.all((x == 0) | (x == 1), axis=0)
    return np.column_stack([x, x[:, squared] ** 2]), squared


def entropy_balance(
    x: np.ndarray,
    target: np.ndarray,
    *,
    base_weights: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 200,
    label: str = "comparison group",
    names: list | None = None,
) -> EntropyFit:
    """Weights for the rows of ``x`` whose weighted column means equal ``target``.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, k)
        Constraint columns (already expanded: dummies, squares ...).
    target : numpy.ndarray, shape (k,)
    base_weights : numpy.ndarray, optional
        Design/base weights ``q_i`` (the solution minimises KL divergence from them).
    tol : float
        Convergence when the largest standardised imbalance is below ``tol``.

    Returns
    -------
    EntropyFit
        ``weights`` sum to ``n``.
    """
    x = np.asarray(x, dtype=float)
    n, k = x.shape
    q = np.ones(n) if base_weights is None else np.asarray(base_weights, dtype=float)
    log_q = np.log(q / q.sum())
    # Centre on the target and scale by the column SD so that tol is comparable across columns
    # (earnings in dollars and 0/1 indicators in the same problem).
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    c = (x - target) / scale
    outside = [j for j in range(k) if not (c[:, j].min() <= 0.0 <= c[:, j].max())]
    if outside:
        which = ", ".join(names[j] if names else str(j) for j in outside)
        raise WeightingError(
            f"entropy balancing cannot reach the target for {which}: the target lies outside the "
            f"range of the {label}, so no positive weights can match it (no overlap). Remove or "
            "coarsen these covariates, or choose an estimand whose target the group covers."
        )
    lam = np.zeros(k)
    converged = False
    n_iter = 0
    imbalance = np.inf

    def objective(lmb: np.ndarray) -> tuple[float, np.ndarray]:
        eta = log_q + c @ lmb
        value = logsumexp(eta)
        return value, np.exp(eta - value)

    value, p = objective(lam)
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is returned)
        grad = p @ c
        imbalance = float(np.max(np.abs(grad)))
        if imbalance < tol:
            converged = True
            break
        centred = c - grad
        hess = (centred * p[:, None]).T @ centred
        # A tiny ridge keeps the Newton system solvable when constraint columns are collinear.
        hess[np.diag_indices_from(hess)] += 1e-12
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as err:
            raise EstimationError(
                f"entropy balancing of the {label} failed: its Newton system is singular ({err}). "
                "Remove collinear or near-constant covariates."
            ) from err
        t = 1.0
        for _ in range(50):
            new_value, new_p = objective(lam - t * step)
            if new_value <= value - 1e-4 * t * grad @ step:
                break
            t /= 2
        lam = lam - t * step
        value, p = new_value, new_p
    weights = p * n
    if not converged:
        raise WeightingError(
            f"entropy balancing of the {label} did not converge in {max_iter} iterations (largest "
            f"standardised imbalance {imbalance:.2e}). The target is probably at the edge of the "
            "group's covariate range (weak overlap); drop moments='2', coarsen covariates or "
            "remove those with little overlap."
        )
    return EntropyFit(
        weights=weights,
        dual=lam / scale,
        max_imbalance=imbalance,
        n_iter=n_iter,
        converged=converged,
        names=tuple(names) if names else tuple(str(j) for j in range(k)),
    )


def entropy_balance_groups(
    x: np.ndarray,
    treated: np.ndarray,
    *,
    estimand: str,
    moments: int = 1,
    names: list | None = None,
    tol: float = 1e-10,
) -> tuple[np.ndarray, dict]:
    """Entropy-balancing weights for an ATT (comparison to treated) or ATE (both to the sample).

    Returns the weight vector (treated weights 1 for the ATT) and ``{group: EntropyFit}``.
    """
    if moments not in (1, 2):
        raise WeightingError(
            f"moments must be 1 (means) or 2 (means and variances), got {moments!r}."
        )
    a = np.asarray(treated, dtype=int)
    g, squared = _constraint_columns(np.asarray(x, dtype=float), moments)
    all_names = list(names) if names else [str(j) for j in range(x.shape[1])]
    all_names = all_names + [f"{nm}^2" for nm, sq in zip(all_names, squared) if sq]
    w = np.ones(a.size)
    fits = {}
    if estimand == "ATT":
        target = g[a == 1].mean(axis=0)
        groups = {0: "comparison group"}
    elif estimand == "ATE":
        target = g.mean(axis=0)
        groups = {1: "treated group", 0: "comparison group"}
    else:
        raise WeightingError(
            f"entropy balancing supports estimand 'ATT' or 'ATE', got {estimand!r}; overlap "
            "weights (ATO) come from a propensity model: use method='logistic'."
        )
    for code, label in groups.items():
        mask = a == code
        fit = entropy_balance(g[mask], target, label=label, names=all_names, tol=tol)
        w[mask] = fit.weights
        fits[code] = fit
    return w, fits
