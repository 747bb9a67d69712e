"""Sensitivity of before/after comparisons to informative (missing-not-at-random) dropout.

A delta-adjustment (pattern-mixture) analysis on the observed prevalences. At every follow-up wave,
the intervention-group women who did not answer an indicator are assumed to give the
*unfavourable* answer with odds ``odds_ratio`` times the odds among those who answered::

    logit q_missing = logit q_observed + log(odds_ratio)                       (1)
    q_adjusted = (n_observed * q_observed + n_missing * q_missing) / n_group      (2)

where ``q`` is the share giving the unfavourable answer ("yes" to a harm such as "slapped you",
"no" to a benefit such as "feels very safe"). ``odds_ratio = 1`` is missing at random within
group and wave; values above 1 say the women lost to follow-up were doing worse. The comparison
group and the baseline wave are left at their observed values, so the whole departure from
missing-at-random is put where it would flatter the programme. The effect of an indicator is the
difference in differences of ``q`` (post-baseline waves averaged, minus baseline; intervention
minus comparison), sign-flipped so that a positive number is a beneficial change, in percentage
points; a measure's effect is the mean over its indicators. Intervals are percentile bootstraps
over persons, resampled within group.

This is the expected-value form of the delta method of Carpenter & Kenward (2013, ch. 10): no
imputation noise, so a grid of odds ratios is cheap. :func:`delta_sensitivity` returns a
:class:`DeltaSensitivity` result (one row per measure and odds ratio) whose
:meth:`~DeltaSensitivity.tipping_points` gives, per measure, the odds ratio at which a benefit
stops being clear.

References
----------
Carpenter, J. R., & Kenward, M. G. (2013). *Multiple Imputation and its Application*, ch. 10.
Wiley. https://doi.org/10.1002/9781119942283
White, I. R., Horton, N. J., Carpenter, J., & Pocock, S. J. (2011). Strategy for intention to
treat analysis in randomised trials with missing outcome data. *BMJ*, 342, d40.
https://doi.org/10.1136/bmj.d40
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from mirabal_stats._results import (
    TABLE_COLUMNS,
    Provenance,
    Results,
    Summary,
    axes_or_new,
    check_ci_level,
    make_provenance,
)
from mirabal_stats.data import IndicatorPanel
from mirabal_stats.data.persons import plain_value
from mirabal_stats.exceptions import SpecificationError

__all__ = ["delta_sensitivity", "DeltaSensitivity"]


def _dense_responses(panel: IndicatorPanel) -> tuple[np.ndarray, np.ndarray]:
    """Answers as a ``(person, wave, indicator)`` float array (NaN = missing) and the group flag."""
    arrays = panel.to_arrays()
    cube = np.full((arrays.n_persons, arrays.n_waves, arrays.n_indicators), np.nan)
    cube[arrays.person, arrays.wave, arrays.indicator] = arrays.response
    return cube, arrays.person_group.astype(bool)


def _unfavourable_share(cube: np.ndarray, sign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share giving the unfavourable answer per (wave, indicator), and the count answering."""
    n_obs = np.sum(~np.isnan(cube), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_yes = np.nansum(cube, axis=0) / n_obs
    # benefit_sign -1: "yes" is unfavourable; +1: "no" is.
    q = np.where(sign < 0, p_yes, 1.0 - p_yes)
    return q, n_obs


def _effects(
    treated: np.ndarray,
    comparison: np.ndarray,
    *,
    sign: np.ndarray,
    baseline: int,
    post: np.ndarray,
    log_odds_ratios: np.ndarray,
) -> np.ndarray:
    """Beneficial DiD (pp) per (odds ratio, indicator)."""
    q_t, n_t = _unfavourable_share(treated, sign)
    q_c, _ = _unfavourable_share(comparison, sign)
    n_group = treated.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        q_missing = expit(logit(q_t)[None] + log_odds_ratios[:, None, None])  # Eq. (1)
        q_adj = (n_t * q_t + (n_group - n_t) * q_missing) / n_group  # Eq. (2)
    change_t = np.nanmean(q_adj[:, post, :], axis=1) - q_t[baseline]
    change_c = np.nanmean(q_c[post, :], axis=0) - q_c[baseline]
    return -100.0 * (change_t - change_c[None, :])


@dataclass(frozen=True, eq=False)
class DeltaSensitivity(Results):
    """Effect per measure under missing-not-at-random dropout, for a grid of odds ratios.

    Attributes
    ----------
    table : DataFrame
        Indexed by (measure, odds_ratio); columns ``estimate, std_error, lower, upper,
        ci_level`` (beneficial change in percentage points, percentile bootstrap interval).
    provenance : Provenance
    settings : mapping
        ``baseline_wave``, ``n_bootstrap``, ``ci_level``, ``random_seed``.
    """

    table: pd.DataFrame
    provenance: Provenance
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    @property
    def ci_level(self) -> float:
        """Level of the bootstrap intervals."""
        return float(self.table["ci_level"].iloc[0]) if len(self.table) else np.nan

    def to_frame(self) -> pd.DataFrame:
        """The estimate table (a copy), indexed by (measure, odds_ratio)."""
        return self.table.copy()

    def tipping_points(self) -> pd.DataFrame:
        """Per measure: the effect under MAR and the smallest odds ratio at which it is lost.

        "Lost" means the interval's lower end reaches zero or below, for a measure whose
        interval excludes zero under missing at random (odds ratio 1). Columns ``measure,
        estimate_mar, lower_mar, upper_mar, tipping_odds_ratio`` (NaN when never lost within the
        grid or when the effect is not clearly beneficial under MAR).

        Raises
        ------
        SpecificationError
            The grid of odds ratios does not contain 1 (missing at random).
        """
        table = self.table.reset_index()
        rows = []
        for measure, block in table.groupby("measure", sort=False):
            block = block.sort_values("odds_ratio")
            mar = block[np.isclose(block["odds_ratio"], 1.0)]
            if mar.empty:
                raise SpecificationError(
                    "tipping points need odds ratio 1 (missing at random) in the grid; add 1 to "
                    "odds_ratios."
                )
            mar = mar.iloc[0]
            tipping = np.nan
            if mar["lower"] > 0:
                lost = block[(block["odds_ratio"] > 1.0) & (block["lower"] <= 0)]
                if not lost.empty:
                    tipping = float(lost["odds_ratio"].iloc[0])
            rows.append(
                {
                    "measure": measure,
                    "estimate_mar": mar["estimate"],
                    "lower_mar": mar["lower"],
                    "upper_mar": mar["upper"],
                    "tipping_odds_ratio": tipping,
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> Summary:
        """What was assumed, and the effect per measure and odds ratio."""
        wide = self.table["estimate"].unstack("odds_ratio")
        wide.columns = [f"OR {c:g}" for c in wide.columns]
        return Summary.build(
            "Sensitivity to informative (missing-not-at-random) dropout: intervention-group "
            "women who did not answer at a follow-up wave are assumed to give the unfavourable "
            "answer with odds that many times the odds of those who answered (odds ratio 1 = "
            "missing at random). Beneficial change in percentage points (positive = the "
            "intervention group improved more), with "
            f"{100 * self.ci_level:g}% percentile bootstrap intervals over persons "
            f"({self.settings.get('n_bootstrap')} resamples).",
            tables={"estimate by odds ratio": wide, "estimates": self.table},
        )

    def plot_sensitivity(self, *, ax=None):
        """Estimate and interval against the odds ratio, one line per measure; returns the Axes."""
        ax = axes_or_new(ax)
        table = self.table.reset_index()
        for measure, rows in table.groupby("measure", sort=False):
            x, est, lower, upper = (
                rows[c].to_numpy(dtype=float) for c in ("odds_ratio", "estimate", "lower", "upper")
            )
            line = ax.plot(x, est, marker="o", ms=3, label=str(measure))
            ax.fill_between(
                x,
                lower,
                upper,
                alpha=0.15,
                color=line[0].get_color(),
            )
        ax.axhline(0.0, color="grey", lw=0.8, ls="--")
        ax.axvline(1.0, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("odds ratio: unfavourable answer, dropouts vs responders")
        ax.set_ylabel("beneficial change (pp)")
        ax.legend(frameon=False, fontsize=8)
        return ax


def delta_sensitivity(
    panel: IndicatorPanel,
    *,
    baseline_wave: object = None,
    odds_ratios: Sequence[float] = (0.5, 1.0, 1.5, 2.0, 3.0),
    n_bootstrap: int = 400,
    ci_level: float = 0.95,
    random_seed: int,
) -> DeltaSensitivity:
    """Effect per measure (beneficial change, percentage points) under MNAR dropout.

    Parameters
    ----------
    panel : IndicatorPanel
    baseline_wave : wave label, optional
        The last pre-programme wave (default: the first wave); every later wave counts as
        follow-up.
    odds_ratios : sequence of float
        Odds of the unfavourable answer among intervention-group non-responders relative to
        responders (1 = missing at random). See the module docstring, Eq. (1).
    n_bootstrap : int, default 400
        Bootstrap resamples of persons (within group) for the intervals (at least 20).
    ci_level : float, default 0.95
    random_seed : int
        Seed of the bootstrap.

    Returns
    -------
    DeltaSensitivity
        ``to_frame()``: one row per (measure, odds ratio) with ``estimate, std_error, lower,
        upper, ci_level``; ``estimate`` > 0 means the intervention group improved more than
        the comparison group. ``tipping_points()`` per measure.

    Raises
    ------
    SpecificationError
        Odds ratios that are not positive finite numbers, an unknown or the last wave as
        baseline, fewer than 20 bootstrap resamples.

    References
    ----------
    Carpenter, J. R., & Kenward, M. G. (2013). *Multiple Imputation and its Application*,
    ch. 10. Wiley. https://doi.org/10.1002/9781119942283

    Examples
    --------
    >>> from mirabal_stats.datasets import load_mirabal_example
    >>> from mirabal_stats.frequentist import delta_sensitivity
    >>> result = delta_sensitivity(load_mirabal_example(), baseline_wave=1, odds_ratios=[1, 2],
    ...                            n_bootstrap=50, random_seed=1)
    >>> list(result.to_frame().columns)
    ['estimate', 'std_error', 'lower', 'upper', 'ci_level']
    """
    level = check_ci_level(ci_level)
    try:
        ratios = np.asarray(list(odds_ratios), dtype=float)
    except (TypeError, ValueError):
        ratios = np.array([np.nan])
    if ratios.size == 0 or np.any(~np.isfinite(ratios)) or np.any(ratios <= 0):
        raise SpecificationError(
            f"odds_ratios must be positive finite numbers, got {odds_ratios!r}; use e.g. "
            "[0.5, 1, 2] (1 = missing at random)."
        )
    waves = list(panel.waves)
    if baseline_wave is None:
        baseline_wave = waves[0]
    if baseline_wave not in waves:
        raise SpecificationError(
            f"baseline_wave {plain_value(baseline_wave)!r} is not a wave of the panel; waves are "
            f"{[plain_value(w) for w in waves]}."
        )
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)):
        raise SpecificationError(
            f"n_bootstrap must be a whole number of resamples, got {n_bootstrap!r}."
        )
    if n_bootstrap < 20:
        raise SpecificationError(
            f"n_bootstrap must be at least 20 for an interval, got {n_bootstrap}."
        )
    cube, is_treated = _dense_responses(panel)
    sign = panel.benefit_sign.reindex(list(panel.indicators)).to_numpy()
    baseline = waves.index(baseline_wave)
    post = np.arange(len(waves)) > baseline
    if not post.any():
        raise SpecificationError(
            f"baseline_wave {plain_value(baseline_wave)!r} is the last wave: there is no "
            "follow-up to compare."
        )
    log_or = np.log(ratios)
    treated, comparison = cube[is_treated], cube[~is_treated]
    kwargs = dict(sign=sign, baseline=baseline, post=post, log_odds_ratios=log_or)

    measures = panel.indicator_measures.reindex(list(panel.indicators)).to_numpy()
    labels = list(panel.measures)
    members = [measures == m for m in labels]

    def by_measure(per_indicator: np.ndarray) -> np.ndarray:
        return np.stack([np.nanmean(per_indicator[:, m], axis=1) for m in members], axis=1)

    with warnings.catch_warnings():
        # An indicator x wave without answers (in the data or a resample) is NaN and skipped.
        warnings.simplefilter("ignore", RuntimeWarning)
        point = by_measure(_effects(treated, comparison, **kwargs))
        rng = np.random.default_rng(random_seed)
        boot = np.empty((n_bootstrap,) + point.shape)
        for b in range(n_bootstrap):
            t = treated[rng.integers(0, len(treated), len(treated))]
            c = comparison[rng.integers(0, len(comparison), len(comparison))]
            boot[b] = by_measure(_effects(t, c, **kwargs))
        alpha = (1.0 - level) / 2.0
        lower, upper = np.nanquantile(boot, [alpha, 1.0 - alpha], axis=0)
        std_error = np.nanstd(boot, axis=0, ddof=1)
    rows = [
        {
            "measure": measure,
            "odds_ratio": ratio,
            "estimate": point[k, j],
            "std_error": std_error[k, j],
            "lower": lower[k, j],
            "upper": upper[k, j],
            "ci_level": level,
        }
        for j, measure in enumerate(labels)
        for k, ratio in enumerate(ratios)
    ]
    table = pd.DataFrame(rows).set_index(["measure", "odds_ratio"])[TABLE_COLUMNS]
    settings = {
        "baseline_wave": baseline_wave,
        "odds_ratios": [float(r) for r in ratios],
        "n_bootstrap": int(n_bootstrap),
        "ci_level": level,
    }
    return DeltaSensitivity(
        table=table,
        provenance=make_provenance(random_seed=random_seed, settings=settings),
        settings={**settings, "random_seed": random_seed},
    )
