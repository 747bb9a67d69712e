"""mirabal_stats: statistical methods for evaluating social programmes against a comparison group.

Four pillars share one validated data model, :class:`IndicatorPanel`, and one contract (data first,
one :class:`Weights` value, one results base, one error hierarchy):

- :mod:`mirabal_stats.bayes`: Bayesian hierarchical models for repeated binary indicators;
- :mod:`mirabal_stats.weighting`: propensity and attrition weights with balance diagnostics;
- :mod:`mirabal_stats.survival`: time to reoffending, right- and interval-censored;
- :mod:`mirabal_stats.frequentist`: difference-in-differences, event study and GEE cross-checks.

Everything here is imported on first use, so ``import mirabal_stats`` stays fast (pandas, PyMC
and the estimation libraries load only when an analysis needs them).

Examples
--------
>>> from mirabal_stats import IndicatorPanel, did, Weights
>>> IndicatorPanel.__name__, did.__module__
('IndicatorPanel', 'mirabal_stats.frequentist.did')
"""

from __future__ import annotations

from importlib import import_module

#: Public name -> module that defines it (imported when the name is first used).
_LAZY = {
    "IndicatorPanel": "mirabal_stats.data.panel",
    "PropensityWeights": "mirabal_stats.weighting.model",
    "AttritionWeights": "mirabal_stats.weighting.attrition",
    "Weights": "mirabal_stats.weighting.analysis_weights",
    "weighted_effect": "mirabal_stats.weighting.effect",
    "IndicatorModel": "mirabal_stats.bayes.indicator_model",
    "BinaryMixedModel": "mirabal_stats.bayes.mixed_model",
    "compare_groups": "mirabal_stats.survival.compare",
    "complier_survival": "mirabal_stats.survival.completion",
    "did": "mirabal_stats.frequentist.did",
    "completion_effects": "mirabal_stats.frequentist.completion",
    "event_study": "mirabal_stats.frequentist.did",
    "gee": "mirabal_stats.frequentist.gee",
    "indicator_gee": "mirabal_stats.frequentist.gee",
    "evaluate": "mirabal_stats.reporting.evaluate",
}
_SUBPACKAGES = (
    "bayes",
    "data",
    "datasets",
    "frequentist",
    "reporting",
    "reproductions",
    "survival",
    "weighting",
)

__all__ = ["__version__", *_LAZY, *_SUBPACKAGES]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
    elif name in _SUBPACKAGES:
        value = import_module(f"mirabal_stats.{name}")
    elif name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("mirabal_stats")
        except PackageNotFoundError:  # a source checkout that is not installed
            value = "0.0.0+unknown"
    else:
        raise AttributeError(f"module 'mirabal_stats' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
