"""Survival analysis of time to (reported) reoffending: groups compared with weights, right or
interval censoring, a Bayesian piecewise-exponential model, and effects from published counts.

lifelines is reached only through :mod:`mirabal_stats.survival._lifelines`.
"""

from mirabal_stats.survival.bayes_pwe import PiecewiseExponentialModel, PiecewiseExponentialResults
from mirabal_stats.survival.compare import compare_groups
from mirabal_stats.survival.completion import ComplierSurvival, complier_survival
from mirabal_stats.survival.counts import effects_from_counts, se_from_interval
from mirabal_stats.survival.km import KaplanMeierCurve, kaplan_meier, restricted_mean
from mirabal_stats.survival.results import AFTResult, CoxResult, SurvivalComparison
from mirabal_stats.survival.robust import efron_score_residuals, robust_variance
from mirabal_stats.survival.turnbull import TurnbullCurve, turnbull

__all__ = [
    "compare_groups",
    "SurvivalComparison",
    "complier_survival",
    "ComplierSurvival",
    "PiecewiseExponentialModel",
    "PiecewiseExponentialResults",
    "CoxResult",
    "AFTResult",
    "kaplan_meier",
    "KaplanMeierCurve",
    "restricted_mean",
    "turnbull",
    "TurnbullCurve",
    "effects_from_counts",
    "se_from_interval",
    "efron_score_residuals",
    "robust_variance",
]
