"""Bayesian hierarchical models for repeated binary outcomes (PyMC).

- :class:`IndicatorModel`: the evaluation model for an :class:`~mirabal_stats.IndicatorPanel`
  (difference in differences per indicator, partially pooled by measure, person random intercept,
  attrition models); fitted into :class:`IndicatorResults`.
- :class:`BinaryMixedModel`: ``BinaryMixedModel(data, formula=...)``, random-intercept (and
  slope) logistic regression; fitted into :class:`MixedModelResults`.

Both share one likelihood (:mod:`mirabal_stats.bayes.likelihood`). They and the survival
pillar's :class:`~mirabal_stats.survival.PiecewiseExponentialModel` share one ``fit()`` path
(:func:`mirabal_stats.bayes.sampling.fit_posterior`: settings checks, the only call of a sampler,
timing, provenance, diagnostics and :class:`~mirabal_stats.exceptions.SamplingWarning`) and one
results base (:class:`mirabal_stats.bayes.results.BayesResults`).
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
