"""Propensity weighting: align the comparison group with the intervention group on baseline
covariates, prove that it worked (balance diagnostics), estimate weighted effects, and correct
for non-random attrition across survey waves.

Main entry points: :class:`PropensityWeights` (logistic, gradient boosting, entropy balancing,
CBPS; ATT / ATE / ATO), :func:`weighted_effect` (robust, M-estimation or bootstrap standard
errors) and :class:`AttritionWeights` (inverse probability of response per wave); each takes the
data first and is fitted with ``.fit()``. Fitted weights cross to the outcome models as
:class:`Weights`, keyed by person (or person and wave) label: ``weights=pw`` or ``pw * aw``.
Pure computations (SMD, ESS, weights from propensities) are plain functions on arrays.
"""

from mirabal_stats.weighting.analysis_weights import Weights
from mirabal_stats.weighting.attrition import AttritionWeights, AttritionWeightsResults
from mirabal_stats.weighting.balance import (
    BalanceTable,
    smd,
    variance_ratio,
    weighted_ks,
    weighted_mean,
    weighted_variance,
)
from mirabal_stats.weighting.effect import WeightedEffect, weighted_effect
from mirabal_stats.weighting.model import PropensityWeights, PropensityWeightsResults
from mirabal_stats.weighting.plots import love_plot, propensity_plot
from mirabal_stats.weighting.weights import (
    TrimReport,
    effective_sample_size,
    normalize_weights,
    trim_weights,
    weights_from_propensity,
)

__all__ = [
    "Weights",
    "PropensityWeights",
    "PropensityWeightsResults",
    "weighted_effect",
    "WeightedEffect",
    "AttritionWeights",
    "AttritionWeightsResults",
    "BalanceTable",
    "smd",
    "variance_ratio",
    "weighted_ks",
    "weighted_mean",
    "weighted_variance",
    "effective_sample_size",
    "weights_from_propensity",
    "normalize_weights",
    "trim_weights",
    "TrimReport",
    "love_plot",
    "propensity_plot",
]
