"""Pure functions that turn propensity scores into weights, and that trim, normalise and summarise them.

References
----------
Li, F., Morgan, K. L. & Zaslavsky, A. M. (2018). Balancing covariates via propensity score
weighting. *JASA* 113:390-400. doi:10.1080/01621459.2016.1260466
Kish, L. (1965). *Survey Sampling*. Wiley.
Robins, J. M., Hernan, M. A. & Brumback, B. (2000). Marginal structural models and causal
inference in epidemiology. *Epidemiology* 11:550-560. doi:10.1097/00001648-200009000-00011
Crump, R. K., Hotz, V. J., Imbens, G. W. & Mitnik, O. A. (2009). Dealing with limited overlap in
estimation of average treatment effects. *Biometrika* 96:187-199. doi:10.1093/biomet/asn055
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mirabal_stats.exceptions import SpecificationError

__all__ = [
    "ESTIMANDS",
    "weights_from_propensity",
    "weight_derivative",
    "effective_sample_size",
    "normalize_weights",
    "trim_weights",
    "TrimReport",
]

ESTIMANDS = ("ATT", "ATE", "ATO")


def check_estimand(estimand: str) -> str:
    """Return the upper-cased estimand after checking it is one of :data:`ESTIMANDS`."""
    value = str(estimand).upper()
    if value not in ESTIMANDS:
        raise SpecificationError(
            f"estimand must be one of {', '.join(ESTIMANDS)}, got {estimand!r}. ATT reweights the "
            "comparison group to the intervention group; ATE both to the whole sample; ATO to the "
            "overlap population."
        )
    return value


def weights_from_propensity(
    propensity: np.ndarray,
    treatment: np.ndarray,
    *,
    estimand: str = "ATT",
    stabilize: bool = False,
) -> np.ndarray:
    """Balancing weights for a binary treatment from propensity scores.

    ATT: 1 for treated, ``p / (1 - p)`` for comparison (odds weights). ATE: ``1 / p`` and
    ``1 / (1 - p)``. ATO (overlap weights, Li, Morgan & Zaslavsky 2018): ``1 - p`` and ``p``.
    ``stabilize=True`` (ATE only) multiplies by the marginal share of each group (Robins et al.
    2000), which keeps the weighted group sizes near the observed ones.

    Examples
    --------
    >>> import numpy as np
    >>> weights_from_propensity(np.array([0.5, 0.2]), np.array([1, 0]), estimand="ATE").tolist()
    [2.0, 1.25]
    """
    estimand = check_estimand(estimand)
    p = np.asarray(propensity, dtype=float)
    a = np.asarray(treatment, dtype=int)
    # np.where evaluates both branches: p = 1 for a treated unit (separation) must not warn in
    # the comparison-group formula it never uses.
    with np.errstate(divide="ignore", invalid="ignore"):
        if estimand == "ATT":
            w = np.where(a == 1, 1.0, p / (1.0 - p))
        elif estimand == "ATE":
            w = np.where(a == 1, 1.0 / p, 1.0 / (1.0 - p))
        else:
            w = np.where(a == 1, 1.0 - p, p)
    if stabilize:
        if estimand != "ATE":
            raise SpecificationError(
                f"stabilize=True applies to ATE weights only (got estimand={estimand!r}); ATT and "
                "ATO weights are already bounded by construction."
            )
        share = a.mean()
        w = w * np.where(a == 1, share, 1.0 - share)
    return w


def weight_derivative(
    propensity: np.ndarray, treatment: np.ndarray, *, estimand: str
) -> np.ndarray:
    """Derivative of each unit's weight with respect to its logit-propensity ``eta``.

    Used by the M-estimation variance (the weights are functions of the propensity coefficients).
    With ``p = expit(eta)``: ATT comparison ``w = exp(eta)`` so ``dw = w``; ATE treated
    ``w = 1 + exp(-eta)`` so ``dw = -(1 - p) / p``, comparison ``dw = p / (1 - p)``; ATO treated
    ``w = 1 - p`` so ``dw = -p(1 - p)``, comparison ``dw = p(1 - p)``.
    """
    estimand = check_estimand(estimand)
    p = np.asarray(propensity, dtype=float)
    a = np.asarray(treatment, dtype=int)
    if estimand == "ATT":
        return np.where(a == 1, 0.0, p / (1.0 - p))
    if estimand == "ATE":
        return np.where(a == 1, -(1.0 - p) / p, p / (1.0 - p))
    return np.where(a == 1, -p * (1.0 - p), p * (1.0 - p))


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (Kish 1965).

    Examples
    --------
    >>> effective_sample_size([1.0, 1.0, 1.0, 1.0])
    4.0
    >>> round(effective_sample_size([1.0, 1.0, 1.0, 5.0]), 3)
    2.286
    """
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    squares = np.sum(w**2)
    return float(total**2 / squares) if squares > 0 else 0.0


def normalize_weights(weights: np.ndarray, treatment: np.ndarray) -> np.ndarray:
    """Rescale weights so that they sum to the group size within each group.

    Weighted group means (and so the weighted difference in means) are unchanged; weighted
    regressions with covariates are not invariant to it.
    """
    w = np.asarray(weights, dtype=float).copy()
    a = np.asarray(treatment, dtype=int)
    for g in (0, 1):
        mask = a == g
        total = w[mask].sum()
        if total > 0:
            w[mask] *= mask.sum() / total
    return w


@dataclass(frozen=True)
class TrimReport:
    """What trimming or truncation did: the rule, the bounds and the units affected."""

    rule: str
    lower: float | None
    upper: float | None
    n_affected_treated: int
    n_affected_control: int

    @property
    def n_affected(self) -> int:
        return self.n_affected_treated + self.n_affected_control

    def describe(self) -> str:
        return (
            f"{self.rule}: {self.n_affected} unit(s) affected ({self.n_affected_treated} treated, "
            f"{self.n_affected_control} comparison)"
        )


def trim_weights(
    weights: np.ndarray,
    treatment: np.ndarray,
    *,
    propensity: np.ndarray | None = None,
    quantile: float | None = None,
    propensity_bounds: tuple[float, float] | None = None,
    estimand: str = "ATT",
) -> tuple[np.ndarray, TrimReport]:
    """Truncate extreme weights at a quantile, or drop units outside propensity bounds.

    Parameters
    ----------
    weights, treatment : array-like
    propensity : array-like, optional
        Needed with ``propensity_bounds``.
    quantile : float, optional
        Truncation (winsorising): weights above the ``quantile`` (e.g. 0.99) of their group's
        weights are set to it. For the ATT only comparison weights are truncated (treated
        weights are 1).
    propensity_bounds : (float, float), optional
        Trimming (Crump et al. 2009): units with propensity outside ``[lower, upper]`` get weight
        0. This changes the estimand to the trimmed population; the report says how many units.
    estimand : str

    Returns
    -------
    (numpy.ndarray, TrimReport)
    """
    if (quantile is None) == (propensity_bounds is None):
        raise SpecificationError("give exactly one of quantile= or propensity_bounds=.")
    w = np.asarray(weights, dtype=float).copy()
    a = np.asarray(treatment, dtype=int)
    affected = np.zeros(w.size, dtype=bool)
    if quantile is not None:
        if not 0.5 < quantile < 1.0:
            raise SpecificationError(
                f"trim quantile must lie in (0.5, 1), e.g. 0.99, got {quantile!r}."
            )
        groups = (0,) if check_estimand(estimand) == "ATT" else (0, 1)
        lower = None
        uppers = []
        for g in groups:
            mask = a == g
            cap = float(np.quantile(w[mask], quantile))
            uppers.append(cap)
            hit = mask & (w > cap)
            affected |= hit
            w[hit] = cap
        rule = f"weights truncated at the {quantile:g} quantile within group"
        upper = max(uppers)
    else:
        if propensity is None:
            raise SpecificationError("propensity_bounds needs the propensity scores.")
        lower, upper = map(float, propensity_bounds)
        if not 0.0 <= lower < upper <= 1.0:
            raise SpecificationError(
                f"propensity_bounds must satisfy 0 <= lower < upper <= 1, got {propensity_bounds!r}; "
                "(0.1, 0.9) is the rule of thumb of Crump et al. (2009)."
            )
        p = np.asarray(propensity, dtype=float)
        affected = (p < lower) | (p > upper)
        w[affected] = 0.0
        rule = f"units with propensity outside [{lower:g}, {upper:g}] trimmed (weight 0)"
    report = TrimReport(
        rule=rule,
        lower=lower,
        upper=upper,
        n_affected_treated=int(np.sum(affected & (a == 1))),
        n_affected_control=int(np.sum(affected & (a == 0))),
    )
    return w, report
