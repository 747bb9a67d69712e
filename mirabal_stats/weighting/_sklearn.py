"""Adapter over scikit-learn: gradient-boosted propensity scores with balance-based stopping.

The only module of the weighting pillar that imports scikit-learn, so that an upgrade touches
one file.

Default (documented in docs/weighting.md): ``GradientBoostingClassifier(learning_rate=0.05,
max_depth=3, subsample=1.0, n_estimators=500)``, and the number of trees is chosen, as in
McCaffrey, Ridgeway & Morral (2004) and R's twang / WeightIt, as the one minimising the mean
absolute standardised mean difference of the covariates after weighting (not the prediction
loss: the goal is balance, and the best classifier gives the most extreme weights).

References
----------
McCaffrey, D. F., Ridgeway, G. & Morral, A. R. (2004). Propensity score estimation with boosted
regression for evaluating causal effects in observational studies. *Psychological Methods*
9:403-425. doi:10.1037/1082-989X.9.4.403
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

from mirabal_stats.exceptions import EstimationError, SpecificationError

__all__ = ["GBM_DEFAULTS", "BoostedFit", "fit_boosted"]

GBM_DEFAULTS = {"learning_rate": 0.05, "max_depth": 3, "subsample": 1.0, "n_estimators": 500}
# Propensities are kept inside [eps, 1 - eps]: trees can output exactly 0 or 1 for pure leaves.
_CLIP = 1e-6


@dataclass(frozen=True)
class BoostedFit:
    propensity: np.ndarray
    n_trees: int
    criterion_path: np.ndarray
    options: dict


def fit_boosted(
    x: np.ndarray,
    treated: np.ndarray,
    *,
    balance_x: np.ndarray,
    balance_scale: np.ndarray,
    weight_fn,
    options: dict | None = None,
    random_seed: int | None = None,
) -> BoostedFit:
    """Fit boosted trees and return propensities at the tree count with the best mean |SMD|.

    ``weight_fn(p)`` maps propensities to weights (it carries the estimand); ``balance_x`` and
    ``balance_scale`` are the balance columns and their fixed SMD denominators.

    scikit-learn's own errors do not escape: an option it refuses becomes a
    :class:`SpecificationError` naming ``gbm_options``, a failed fit an :class:`EstimationError`.
    """
    settings = dict(GBM_DEFAULTS)
    unknown = set(options or {}) - set(GradientBoostingClassifier().get_params())
    if unknown:
        raise SpecificationError(
            f"gbm_options has unknown key(s) {sorted(unknown)}; see "
            "sklearn.ensemble.GradientBoostingClassifier for valid ones."
        )
    if "random_state" in (options or {}):
        raise SpecificationError(
            "gbm_options may not set random_state; seed the fit with random_seed= instead."
        )
    settings.update(options or {})
    a = np.asarray(treated, dtype=int)
    try:
        model = GradientBoostingClassifier(random_state=random_seed, **settings)
        model.fit(x, a)
    except (TypeError, ValueError) as err:  # sklearn's InvalidParameterError is a ValueError
        if "parameter" in str(err).lower():
            raise SpecificationError(
                f"gbm_options {options!r} are refused by scikit-learn's "
                f"GradientBoostingClassifier: {err}"
            ) from err
        raise EstimationError(f"the gradient-boosted propensity model failed: {err}") from err
    xb = np.asarray(balance_x, dtype=float)
    # A column without variation in the SD-denominator group would divide by zero: it is left out
    # of the stopping criterion (its balance is still reported).
    usable = np.isfinite(balance_scale) & (balance_scale > 0)
    path = []
    best_p, best_value, best_trees = None, np.inf, 0
    for trees, proba in enumerate(model.staged_predict_proba(x), start=1):
        p = np.clip(proba[:, 1], _CLIP, 1 - _CLIP)
        w = weight_fn(p)
        m1 = w[a == 1] @ xb[a == 1] / w[a == 1].sum()
        m0 = w[a == 0] @ xb[a == 0] / w[a == 0].sum()
        diff = (m1 - m0)[usable] / balance_scale[usable]
        value = float(np.mean(np.abs(diff))) if diff.size else 0.0
        path.append(value)
        if value < best_value:
            best_p, best_value, best_trees = p, value, trees
    if best_p is None:
        raise EstimationError(
            "the gradient-boosted propensity model gave no usable propensities (the balance "
            "criterion was never finite); try method='logistic'."
        )
    return BoostedFit(
        propensity=best_p, n_trees=best_trees, criterion_path=np.array(path), options=settings
    )
