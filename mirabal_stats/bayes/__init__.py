"""Bayesian hierarchical models for repeated binary outcomes (PyMC).

- :class:`IndicatorModel`: the evaluation model for an :class:`~mirabal_stats.IndicatorPanel`
  (difference in differences per indicator, partially pooled by measure, person random intercept,
  attrition models).
- :class:`BinaryMixedModel`: formula front end, random-intercept logistic regression.

Both share one likelihood (:mod:`mirabal_stats.bayes.likelihood`) and one sampling module
(:mod:`mirabal_stats.bayes.sampling`).
"""

from mirabal_stats.bayes.mixed_model import BinaryMixedModel, MixedModelResults

__all__ = ["BinaryMixedModel", "MixedModelResults"]
