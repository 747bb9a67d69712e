"""Plain-data summaries of each analysis, the only thing the report sections read.

Each analysis step of :mod:`mirabal_stats.reporting.evaluate` calls one pillar and copies what
the report needs into one of these frozen dataclasses (tables as DataFrames, numbers as floats,
figures already rendered). The sections, the checks and the key findings never call a pillar, so
a change in a pillar's API touches one step function, and every section can be tested with
hand-made digests.

All effect tables use the columns ``estimate, lower, upper, ci_level`` (plus extras) and are
indexed by measure, indicator or ``"overall"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mirabal_stats.reporting.document import Figure

__all__ = [
    "BayesDigest",
    "CompletionDigest",
    "FrequentistDigest",
    "PreTrendDigest",
    "SurvivalDigest",
    "WeightingDigest",
]


@dataclass(frozen=True)
class WeightingDigest:
    """Propensity weights: balance, effective sample size and the weights by person."""

    estimand: str
    method: str
    covariates: tuple[str, ...]
    balance: pd.DataFrame  # one row per covariate term; *_un / *_adj columns, "balanced"
    threshold: float
    unbalanced: tuple[str, ...]
    ess: pd.DataFrame  # rows "treated", "control": n, ess, ess_ratio
    ess_threshold: float
    comparison_weight_range: tuple[float, float]
    person_weights: pd.Series  # indexed by person
    love_plot: Figure | None = None

    @property
    def all_balanced(self) -> bool:
        return not self.unbalanced

    @property
    def max_abs_smd_after(self) -> float:
        column = "diff_adj" if "diff_adj" in self.balance else None
        return float(self.balance[column].abs().max()) if column else float("nan")

    @property
    def comparison_ess_ratio(self) -> float:
        return float(self.ess.loc["control", "ess_ratio"])


@dataclass(frozen=True)
class BayesDigest:
    """The Bayesian indicator model: effects, sampler diagnostics and how it was fitted.

    ``effects[(level, scale)]`` for level ``indicator | measure | overall`` and scale
    ``pp | odds_ratio``. Indicator rows are on the "yes" scale with ``benefit_sign``; measure and
    overall rows are beneficial (positive = improvement). Odds ratios are exp(median) with the
    exp of the interval ends.
    """

    effects: dict
    diagnostics: pd.DataFrame
    max_r_hat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    converged: bool
    covariates: tuple[str, ...]
    draws: int
    tune: int
    chains: int
    fitted: object = field(default=None, repr=False, compare=False)  # for the sensitivity step


@dataclass(frozen=True)
class FrequentistDigest:
    """One frequentist cross-check (GEE or DiD) at every level, on each of its scales.

    ``effects[(level, scale)]``; ``scale`` is ``pp`` (both) or ``odds_ratio`` (GEE only).
    Measure and overall rows are beneficial; indicator rows are on the "yes" scale.
    """

    method: str  # "GEE" or "DiD"
    effects: dict
    weighted: bool


@dataclass(frozen=True)
class PreTrendDigest:
    """Joint test that the wave effects before the baseline wave are zero (event study)."""

    test: pd.DataFrame  # one row per measure: statistic, df, p_value
    pre_waves: tuple


@dataclass(frozen=True)
class SurvivalDigest:
    """One survival comparison of the two groups (records, or partners' reports).

    ``kind`` is ``"right"`` (Cox, Kaplan-Meier) or ``"interval"`` (Turnbull, Weibull).
    ``hazard_ratio`` has one row (``estimate, lower, upper, ci_level`` and ``p_value`` where the
    model gives one) or is None when no model was fitted.
    """

    kind: str
    treated: object
    reference: object
    weighted: bool
    ci_level: float
    hazard_ratio: pd.DataFrame | None
    hazard_model: str  # "Cox" or "Weibull" or ""
    n_events: int | None
    n_persons: int
    ph_p_value: float | None
    incidence: pd.DataFrame | None
    rmst: pd.DataFrame | None
    tau: float | None
    horizons: tuple[float, ...]
    dropped_horizons: tuple[float, ...]
    max_follow_up: float
    figure: Figure | None = None


@dataclass(frozen=True)
class CompletionDigest:
    """Programme completion: ITT, naive per-protocol and CACE, overall and per measure.

    ``effects`` is indexed by (estimand, ``analysis``) with ``analysis`` in ``itt``,
    ``per_protocol_naive``, ``cace`` (overall first, then each measure); columns ``estimate,
    std_error, lower, upper, ci_level, p_value, n_persons, biased, first_stage_f,
    completion_rate``, in percentage points. ``first_stage`` has one row per estimand:
    ``first_stage, std_error, f_statistic, completion_rate_referred,
    completion_rate_comparison, n_referred, n_comparison, n_completers``.
    """

    effects: pd.DataFrame
    first_stage: pd.DataFrame
    column: str
    ci_level: float
    weighted: bool
    covariates: tuple[str, ...]
    outcome: str
    naive_warning: str
    weak_f: float  # the first-stage F below which the instrument is weak
