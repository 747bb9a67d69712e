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
    "as_indicator",
    "weights_from_propensity",
    "weight_derivative",
    "effective_sample_size",
    "normalize_weights",
    "trim_weights",
    "TrimReport",
]

ESTIMANDS = ("ATT", "ATE", "ATO")


def as_indicator(treated: object, *, n: int | None = None, name: str = "treated") -> np.ndarray:
    """``treated`` as a 0/1 int array, refusing other codes and a length other than ``n``.

    Booleans (nullable ones included) are accepted; the pure functions of this pillar take this
    array positionally, so a wrong one must fail here with its name, not inside numpy.
    """
    try:
        values = np.asarray(treated, dtype=float)
    except (TypeError, ValueError):
        raise SpecificationError(
            f"{name} must be a 0/1 array (1 = intervention group), got values that are not "
            "numbers. Recode it, e.g. (data['group'] == 'programme').astype(int)."
        ) from None
    values = np.atleast_1d(values)
    if values.ndim != 1 or not np.all(np.isin(values, (0.0, 1.0))):
        bad = values[~np.isin(values, (0.0, 1.0))] if values.ndim == 1 else values.ravel()[:1]
        raise SpecificationError(
            f"{name} must be a one-dimensional 0/1 array (1 = intervention group), but it holds "
            f"{bad.size} other value(s) (e.g. {bad[0].item()!r}). Recode it, e.g. "
            "(data['group'] == 'programme').astype(int)."
        )
    if n is not None and values.size != n:
        raise SpecificationError(
            f"{name} has {values.size} entries but the other arrays have {n}; pass arrays of the "
            "same persons in the same order."
        )
    return values.astype(int)


def as_values(values: object, *, name: str, n: int | None = None) -> np.ndarray:
    """``values`` as a finite float array of length ``n`` (weights, propensities, covariates)."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise SpecificationError(
            f"{name} must be numbers; convert them with pandas.to_numeric first."
        ) from None
    if n is not None and (array.ndim == 0 or array.shape[0] != n):
        raise SpecificationError(
            f"{name} has {0 if array.ndim == 0 else array.shape[0]} rows but the other arrays "
            f"have {n}; pass arrays of the same persons in the same order."
        )
    if not np.all(np.isfinite(array)):
        raise SpecificationError(
            f"{name} holds {int(np.sum(~np.isfinite(array)))} missing or infinite value(s); "
            "every value must be a finite number."
        )
    return array


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
    treated: np.ndarray,
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
    a = as_indicator(treated, n=p.size)
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise SpecificationError(
            "propensity must hold probabilities between 0 and 1; "
            f"{int(np.sum(~((p >= 0) & (p <= 1))))} value(s) are not."
        )
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


def weight_derivative(propensity: np.ndarray, treated: np.ndarray, *, estimand: str) -> np.ndarray:
    """Derivative of each unit's weight with respect to its logit-propensity ``eta``.

    Used by the M-estimation variance (the weights are functions of the propensity coefficients).
    With ``p = expit(eta)``: ATT comparison ``w = exp(eta)`` so ``dw = w``; ATE treated
    ``w = 1 + exp(-eta)`` so ``dw = -(1 - p) / p``, comparison ``dw = p / (1 - p)``; ATO treated
    ``w = 1 - p`` so ``dw = -p(1 - p)``, comparison ``dw = p(1 - p)``.
    """
    estimand = check_estimand(estimand)
    p = np.asarray(propensity, dtype=float)
    a = as_indicator(treated, n=p.size)
    # As in weights_from_propensity: both branches are evaluated; p = 0 or 1 in the branch a
    # person does not use must not warn (the caller checks the result is finite).
    with np.errstate(divide="ignore", invalid="ignore"):
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
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise SpecificationError(
            "weights must be finite and non-negative to compute an effective sample size; "
            f"{int(np.sum(~np.isfinite(w) | (w < 0)))} are not."
        )
    total = w.sum()
    squares = np.sum(w**2)
    return float(total**2 / squares) if squares > 0 else 0.0


def normalize_weights(weights: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Rescale weights so that they sum to the group size within each group.

    Weighted group means (and so the weighted difference in means) are unchanged; weighted
    regressions with covariates are not invariant to it.

    Examples
    --------
    >>> import numpy as np
    >>> normalize_weights(np.array([1.0, 3.0, 2.0]), np.array([1, 1, 0])).tolist()
    [0.5, 1.5, 1.0]
    """
    w = as_values(weights, name="weights").copy()
    a = as_indicator(treated, n=w.size)
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
    treated: np.ndarray,
    *,
    propensity: np.ndarray | None = None,
    quantile: float | None = None,
    propensity_bounds: tuple[float, float] | None = None,
    estimand: str = "ATT",
) -> tuple[np.ndarray, TrimReport]:
    """Truncate extreme weights at a quantile, or drop units outside propensity bounds.

    Parameters
    ----------
    weights, treated : array-like
        One weight and one 0/1 code (1 = intervention group) per person.
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
    from mirabal_stats.weighting._design import check_number

    if (quantile is None) == (propensity_bounds is None):
        raise SpecificationError("give exactly one of quantile= or propensity_bounds=.")
    w = as_values(weights, name="weights").copy()
    a = as_indicator(treated, n=w.size)
    affected = np.zeros(w.size, dtype=bool)
    if quantile is not None:
        quantile = check_number(
            quantile,
            name="quantile",
            lower=0.5,
            upper=1.0,
            lower_open=True,
            upper_open=True,
            example="0.99",
        )
        groups = (0,) if check_estimand(estimand) == "ATT" else (0, 1)
        lower = None
        uppers = []
        for g in groups:
            mask = a == g
            if not mask.any():
                continue
            cap = float(np.quantile(w[mask], quantile))
            uppers.append(cap)
            hit = mask & (w > cap)
            affected |= hit
            w[hit] = cap
        rule = f"weights truncated at the {quantile:g} quantile within group"
        upper = max(uppers) if uppers else None
    else:
        if propensity is None:
            raise SpecificationError("propensity_bounds needs the propensity scores.")
        lower, upper = check_bounds(propensity_bounds)
        p = as_values(propensity, name="propensity", n=w.size)
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


def check_bounds(bounds: object) -> tuple[float, float]:
    """``propensity_bounds`` as ``(lower, upper)`` with ``0 <= lower < upper <= 1``."""
    from mirabal_stats.weighting._design import check_number

    fix = "(0.1, 0.9) is the rule of thumb of Crump et al. (2009)"
    if isinstance(bounds, (str, bytes)) or not hasattr(bounds, "__len__") or len(bounds) != 2:
        raise SpecificationError(
            f"propensity_bounds must be a pair (lower, upper), got {bounds!r}; {fix}."
        )
    lower = check_number(bounds[0], name="propensity_bounds[0]", lower=0.0, upper=1.0)
    upper = check_number(bounds[1], name="propensity_bounds[1]", lower=0.0, upper=1.0)
    if not lower < upper:
        raise SpecificationError(
            f"propensity_bounds must satisfy 0 <= lower < upper <= 1, got {bounds!r}; {fix}."
        )
    return lower, upper
