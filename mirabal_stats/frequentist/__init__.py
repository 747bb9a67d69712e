"""Frequentist panel cross-checks: fixed-effects difference-in-differences, event study and
population-averaged GEE, all reporting in one tidy format (:class:`PanelEffects`), and the
delta-adjustment sensitivity of before/after comparisons to informative dropout
(:func:`delta_sensitivity`), and programme completion: ITT, the naive completer comparison and
the complier average causal effect (:func:`completion_effects`).

>>> from mirabal_stats import frequentist
>>> sorted(frequentist.__all__)[:4]
['CompletionEffects', 'DeltaSensitivity', 'EventStudyEffects', 'PanelEffects']
"""

from mirabal_stats.frequentist.completion import CompletionEffects, completion_effects
from mirabal_stats.frequentist.did import did, event_study
from mirabal_stats.frequentist.gee import gee, indicator_gee
from mirabal_stats.frequentist.results import EventStudyEffects, PanelEffects
from mirabal_stats.frequentist.sensitivity import DeltaSensitivity, delta_sensitivity

__all__ = [
    "gee",
    "indicator_gee",
    "did",
    "event_study",
    "delta_sensitivity",
    "completion_effects",
    "CompletionEffects",
    "PanelEffects",
    "EventStudyEffects",
    "DeltaSensitivity",
]
