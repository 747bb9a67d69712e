"""Frequentist panel cross-checks: fixed-effects difference-in-differences, event study and
population-averaged GEE, all reporting in one tidy format (:class:`PanelEffects`).

>>> from mirabal_stats import frequentist
>>> sorted(frequentist.__all__)[:3]
['EventStudyEffects', 'PanelEffects', 'did']
"""

from mirabal_stats.frequentist.did import did, event_study
from mirabal_stats.frequentist.gee import gee, indicator_gee
from mirabal_stats.frequentist.results import EventStudyEffects, PanelEffects

__all__ = ["gee", "indicator_gee", "did", "event_study", "PanelEffects", "EventStudyEffects"]
