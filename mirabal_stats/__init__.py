"""mirabal_stats: statistical methods for evaluating social programmes against a comparison group.

Four pillars share one validated data model, :class:`IndicatorPanel`:

- :mod:`mirabal_stats.bayes`: Bayesian hierarchical models for repeated binary indicators;
- :mod:`mirabal_stats.weighting`: propensity and attrition weights with balance diagnostics;
- :mod:`mirabal_stats.survival`: time to reoffending, right- and interval-censored;
- :mod:`mirabal_stats.panel`: frequentist difference-in-differences and GEE cross-checks.

The subpackages are imported on first use so that ``import mirabal_stats`` stays fast (PyMC and
PyTensor are loaded only when a Bayesian model is built).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from mirabal_stats.data import IndicatorPanel, PanelArrays

try:
    __version__ = version("mirabal_stats")
except PackageNotFoundError:  # running from a source checkout that is not installed
    __version__ = "0.0.0+unknown"

_SUBPACKAGES = ("bayes", "datasets", "panel", "reporting", "reproductions", "survival", "weighting")

__all__ = ["IndicatorPanel", "PanelArrays", "__version__", *_SUBPACKAGES]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return import_module(f"mirabal_stats.{name}")
    raise AttributeError(f"module 'mirabal_stats' has no attribute {name!r}")
