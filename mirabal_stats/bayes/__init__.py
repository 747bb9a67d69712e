"""Bayesian hierarchical models for repeated binary outcomes (PyMC).

- :class:`IndicatorModel`: the evaluation model for an :class:`~mirabal_stats.IndicatorPanel`
  (difference in differences per indicator, partially pooled by measure, person random intercept,
  attrition models); fitted into :class:`IndicatorResults`.
- :class:`BinaryMixedModel`: formula front end, random-intercept logistic regression; fitted into
  :class:`MixedModelResults`.

Both share one likelihood (:mod:`mirabal_stats.bayes.likelihood`) and one sampling module
(:mod:`mirabal_stats.bayes.sampling`, the only caller of samplers).
"""

from mirabal_stats.bayes.indicator_model import DEFAULT_INDICATOR_PRIORS, IndicatorModel
from mirabal_stats.bayes.indicator_results import IndicatorResults
from mirabal_stats.bayes.mixed_model import (
    DEFAULT_MIXED_PRIORS,
    BinaryMixedModel,
    MixedModelResults,
)

__all__ = [
    "IndicatorModel",
    "IndicatorResults",
    "BinaryMixedModel",
    "MixedModelResults",
    "DEFAULT_INDICATOR_PRIORS",
    "DEFAULT_MIXED_PRIORS",
]
