"""Every error and warning class raised by mirabal_stats.

Errors subclass :class:`ValueError` (through :class:`MirabalError`) so that callers can write
``except ValueError``; warnings subclass :class:`MirabalWarning` (a :class:`UserWarning`) so that a
user can silence or escalate all of them at once with :func:`warnings.filterwarnings`.

Messages follow one rule: say what is wrong, where (column, example ids, counts), why it matters,
and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "MirabalError",
    "PanelValidationError",
    "SpecificationError",
    "WeightingError",
    "SurvivalDataError",
    "ConfigError",
    "EstimationError",
    "CompletionDataError",
    "MirabalWarning",
    "DataWarning",
    "RowsExcludedWarning",
    "BalanceWarning",
    "ESSWarning",
    "SeparationWarning",
    "ConvergenceWarning",
    "SamplingWarning",
    "ProportionalHazardsWarning",
    "FewClustersWarning",
    "EstimabilityWarning",
    "WeakInstrumentWarning",
]


class MirabalError(ValueError):
    """Base class of every error raised by mirabal_stats."""


class PanelValidationError(MirabalError):
    """Raw survey data cannot be turned into a valid :class:`~mirabal_stats.IndicatorPanel`."""


class SpecificationError(MirabalError):
    """A model specification (formula, priors, options) does not fit the data or is invalid."""


class WeightingError(MirabalError):
    """Propensity or attrition weights cannot be estimated or used as asked."""


class SurvivalDataError(MirabalError):
    """Durations, events or censoring bounds are invalid."""


class ConfigError(MirabalError):
    """A command-line configuration file is invalid."""


class EstimationError(MirabalError):
    """A model cannot be fitted to these data: no events, separation, a singular design, or an
    optimiser that did not converge. Raised by the adapters in place of the third-party
    library's own exception (kept as ``__cause__``), with what the analysis needs."""


class CompletionDataError(MirabalError):
    """A programme-completion flag cannot be used: missing, not 0/1, not constant within a
    person, or completion recorded in the comparison group (one-sided non-compliance)."""


class MirabalWarning(UserWarning):
    """Base class of every warning issued by mirabal_stats."""


class DataWarning(MirabalWarning):
    """Something in the data deserves attention but does not stop the analysis."""


class RowsExcludedWarning(DataWarning):
    """Rows were excluded from an analysis; the message gives the count and the reason."""


class BalanceWarning(MirabalWarning):
    """Covariate balance after weighting fails the chosen threshold."""


class ESSWarning(MirabalWarning):
    """An effective sample size (Kish or MCMC) is too small to trust the estimate."""


class SeparationWarning(MirabalWarning):
    """A logistic model shows (quasi-)complete separation; estimates are unreliable."""


class ConvergenceWarning(MirabalWarning):
    """An optimiser or sampler did not converge."""


class SamplingWarning(MirabalWarning):
    """MCMC diagnostics (R-hat, ESS, divergences) are outside safe limits."""


class ProportionalHazardsWarning(MirabalWarning):
    """The proportional-hazards assumption is rejected for a term of a Cox model."""


class FewClustersWarning(MirabalWarning):
    """Too few clusters for cluster-robust standard errors to be reliable."""


class EstimabilityWarning(MirabalWarning):
    """A quantity cannot be estimated from these data (e.g. a group with no events)."""


class WeakInstrumentWarning(MirabalWarning):
    """Referral predicts completion too weakly (first-stage F below 10) for a reliable
    instrumental-variable (CACE) estimate."""
