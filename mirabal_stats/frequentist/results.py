"""The one result format of the frequentist panel estimators (GEE, fixed-effects DiD, event study).

Every table has the stable columns ``estimate, std_error, lower, upper, ci_level, p_value,
n_persons, n_obs`` whatever the estimator and interval level (the first five are the library's
:data:`~mirabal_stats._results.TABLE_COLUMNS`); a result can hold the same effects on several
scales (``"pp"`` percentage points, ``"log_odds"``, ``"odds_ratio"``, ``"coef"``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mirabal_stats._results import Provenance, Results, Summary, axes_or_new
from mirabal_stats.exceptions import EstimabilityWarning, SpecificationError

__all__ = ["PanelEffects", "EventStudyEffects", "COLUMNS"]

COLUMNS = [
    "estimate",
    "std_error",
    "lower",
    "upper",
    "ci_level",
    "p_value",
    "n_persons",
    "n_obs",
]

_SCALE_TEXT = {
    "pp": "percentage points",
    "log_odds": "log odds ratio",
    "odds_ratio": "odds ratio",
    "coef": "coefficient (link scale)",
}

_METHOD_TEXT = {
    "gee": "population-averaged GEE",
    "did": "fixed-effects difference-in-differences (person and wave effects, linear probability)",
    "event_study": "fixed-effects event study (wave-specific effects relative to the baseline wave)",
}


@dataclass(frozen=True, eq=False)
class PanelEffects(Results):
    """Estimates of a frequentist panel estimator in the library's tidy format.

    Attributes
    ----------
    method : str
        ``"gee"``, ``"did"`` or ``"event_study"``.
    level : str
        ``"term"`` (formula GEE), ``"indicator"``, ``"measure"`` or ``"overall"``.
    scale : str
        Default scale of :meth:`to_frame`.
    tables : mapping of str to DataFrame
        One table per scale (columns :data:`COLUMNS`).
    covariances : mapping of str to DataFrame
        Covariance matrix of the estimates on the scales where it is defined (not
        ``"odds_ratio"``).
    provenance : Provenance
    settings : dict
        Options of the fit (correlation, weights, baseline wave ...).
    notes : tuple of str
        What the estimator reported (dependence parameter, excluded indicators ...).
    """

    method: str
    level: str
    scale: str
    tables: Mapping[str, pd.DataFrame]
    covariances: Mapping[str, pd.DataFrame]
    provenance: Provenance
    settings: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))
        object.__setattr__(self, "covariances", MappingProxyType(dict(self.covariances)))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    # ------------------------------------------------------------------ tables
    @property
    def scales(self) -> tuple[str, ...]:
        """Scales on which the effects are available."""
        return tuple(self.tables)

    @property
    def ci_level(self) -> float:
        """Level of every interval of this result (``ci_level`` of the fit)."""
        level = self.settings.get("ci_level")
        if level is None:
            table = self.tables[self.scale]
            level = float(table["ci_level"].iloc[0]) if len(table) else np.nan
        return float(level)

    def _scale(self, scale: str | None) -> str:
        scale = self.scale if scale is None else scale
        if scale not in self.tables:
            raise SpecificationError(
                f"scale={scale!r} is not available for this {self.method} result; choose one of "
                f"{', '.join(map(repr, self.tables))}."
            )
        return scale

    def to_frame(self, *, scale: str | None = None) -> pd.DataFrame:
        """The estimate table (a copy) on ``scale`` (default :attr:`scale`)."""
        return self.tables[self._scale(scale)].copy()

    def cov(self, *, scale: str | None = None) -> pd.DataFrame:
        """Covariance of the estimates on ``scale`` (a copy)."""
        scale = self._scale(scale)
        if scale not in self.covariances:
            raise SpecificationError(
                f"no covariance on the {scale!r} scale (intervals there are transformed); use "
                f"one of {', '.join(map(repr, self.covariances))}."
            )
        return self.covariances[scale].copy()

    # ------------------------------------------------------------------ text
    def summary(self, *, scale: str | None = None) -> Summary:
        """A plain-language paragraph per estimate and the estimate table.

        Rows whose effect could not be estimated are listed as such (the reason is in the
        notes and in the warning given at fit time).
        """
        scale = self._scale(scale)
        table = self.tables[scale]
        level = self.ci_level
        percent = f"{100 * level:.0f}%"
        head = (
            f"{_METHOD_TEXT.get(self.method, self.method)}; level: {self.level}; scale: "
            f"{_SCALE_TEXT.get(scale, scale)}; {percent} intervals; "
            f"standard errors {self.settings.get('std_error_type', 'cluster-robust by person')}."
        )
        lines = [head]
        if self.level in ("measure", "overall"):
            lines.append(
                "Measure and overall effects average the indicator effects oriented so that a "
                "positive value is beneficial."
            )
        shown = table.dropna(subset=["estimate"])
        if "period" in shown.columns:
            shown = shown[shown["period"] != "baseline"]
        for name, row in shown.head(12).iterrows():
            interval = (
                f"{percent} CI {row['lower']:.3g} to {row['upper']:.3g}, p = {row['p_value']:.2g}"
                if np.isfinite(row["std_error"])
                else "no standard error"
            )
            counts = f"{_count(row.get('n_persons'))} persons, {_count(row.get('n_obs'))} answers"
            label = _label(name)
            if "benefit_sign" in row.index or self.level in ("measure", "overall"):
                sign = "beneficial" if _beneficial(row, self.level, scale) else "not beneficial"
                lines.append(
                    f"- {label}: {row['estimate']:.3g} ({interval}; {sign} direction; {counts})."
                )
            else:
                lines.append(f"- {label}: {row['estimate']:.3g} ({interval}; {counts}).")
        if len(shown) > 12:
            lines.append(f"... and {len(shown) - 12} more rows (see to_frame()).")
        missing = table.index[table["estimate"].isna()]
        if len(missing):
            lines.append(
                f"Not estimable ({len(missing)} row(s)): "
                + ", ".join(_label(v) for v in list(missing)[:10])
                + (" ..." if len(missing) > 10 else "")
                + "."
            )
        lines.extend(self.notes)
        return Summary.build("\n".join(lines), tables={f"estimates ({scale})": table})

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(method={self.method!r}, level={self.level!r}, "
            f"scale={self.scale!r}, rows={len(self.tables[self.scale])})"
        )

    # ------------------------------------------------------------------ plots
    def plot_effects(self, *, scale: str | None = None, ax=None):
        """Forest plot of the estimates with their intervals; returns the matplotlib Axes."""
        scale = self._scale(scale)
        table = self.tables[scale]
        ax = axes_or_new(ax, figsize=(6, 0.35 * len(table) + 1.2))
        y = np.arange(len(table))[::-1]
        est, lower, upper = (table[c].to_numpy(dtype=float) for c in ("estimate", "lower", "upper"))
        ax.errorbar(
            est,
            y,
            xerr=[est - lower, upper - est],
            fmt="o",
            color="black",
            ecolor="grey",
            capsize=2,
        )
        ax.axvline(1.0 if scale == "odds_ratio" else 0.0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(y)
        ax.set_yticklabels([_label(v) for v in table.index])
        ax.set_xlabel(f"{self.method} effect ({_SCALE_TEXT.get(scale, scale)})")
        return ax

    # ------------------------------------------------------------------ comparison
    def compare_with(
        self,
        bayes_result: Any,
        *,
        scale: str | None = None,
    ) -> pd.DataFrame:
        """Line up these estimates with a Bayesian result, row by row, at one interval level.

        The Bayesian intervals are computed at this result's ``ci_level`` (a 95% confidence
        interval is never shown beside a 90% credible interval): a fitted Bayesian result is
        asked for ``effects(level=..., scale=..., ci_level=self.ci_level)``; an effects frame
        must carry a ``ci_level`` column equal to it.

        Parameters
        ----------
        bayes_result : object with ``effects(level=, scale=, ci_level=)``, or DataFrame
            A fitted Bayesian indicator model (``mirabal_stats.bayes``), whose ``effects`` frame
            has columns ``estimate, std_error, lower, upper, ci_level, prob_beneficial`` indexed
            by indicator or measure name; or such a frame directly.
        scale : str, optional
            Scale of both sides (default :attr:`scale`); passed to ``bayes_result.effects``.

        Returns
        -------
        DataFrame
            One row per indicator/measure present in either result: ``bayes_estimate,
            bayes_lower, bayes_upper, prob_beneficial`` beside ``freq_estimate, freq_std_error,
            freq_lower, freq_upper, p_value``, then ``difference`` (Bayesian minus frequentist),
            ``intervals_overlap``, ``same_sign`` and ``ci_level`` (of both intervals);
            ``method``, ``level`` and ``scale`` columns say what was compared.

        Raises
        ------
        SpecificationError
            The Bayesian intervals cannot be put at this result's level (an effects frame
            without ``ci_level`` or at another level; a result whose ``effects`` has no
            ``ci_level=``), or the Bayesian result cannot report this level or scale.
        """
        scale = self._scale(scale)
        level = self.ci_level
        if isinstance(bayes_result, pd.DataFrame):
            bayes = bayes_result
        elif hasattr(bayes_result, "effects"):
            try:
                bayes = bayes_result.effects(level=self.level, scale=scale, ci_level=level)
            except TypeError as error:
                raise SpecificationError(
                    f"cannot align interval levels: the Bayesian result's effects() does not "
                    f"take ci_level=, so its intervals cannot be put at this result's "
                    f"{100 * level:g}% level ({error}). Pass its effects frame computed at "
                    f"ci_level={level:g}."
                ) from error
            except ValueError as error:
                raise SpecificationError(
                    f"the Bayesian result could not report effects at level={self.level!r}, "
                    f"scale={scale!r}, ci_level={level:g} ({error}). Compare on a scale both "
                    "support, e.g. compare_with(bayes, scale='pp')."
                ) from error
        else:
            raise SpecificationError(
                f"compare_with needs a Bayesian result with an effects(level=, scale=, ci_level=) "
                f"method or its effects DataFrame; got {type(bayes_result).__name__}."
            )
        if not isinstance(bayes, pd.DataFrame):
            raise SpecificationError(
                f"the Bayesian effects must be a DataFrame, got {type(bayes).__name__}."
            )
        missing = [c for c in ("estimate", "lower", "upper", "ci_level") if c not in bayes.columns]
        if missing:
            raise SpecificationError(
                f"the Bayesian effects frame lacks column(s) {missing}; expected estimate, "
                "std_error, lower, upper, ci_level, prob_beneficial indexed by indicator or "
                "measure (the ci_level column says the level of its intervals)."
            )
        levels = pd.to_numeric(bayes["ci_level"], errors="coerce").to_numpy(dtype=float)
        if len(levels) and not np.allclose(levels, level):
            shown = sorted({f"{100 * v:g}%" for v in levels if np.isfinite(v)}) or ["unknown"]
            raise SpecificationError(
                f"cannot align interval levels: the Bayesian intervals are at {', '.join(shown)} "
                f"but these {self.method} intervals at {100 * level:g}%. Recompute them at the "
                f"same level, e.g. bayes.effects(level={self.level!r}, scale={scale!r}, "
                f"ci_level={level:g}), or pass the fitted Bayesian result itself."
            )
        freq = self.tables[scale]
        left = pd.DataFrame(
            {
                "bayes_estimate": bayes["estimate"],
                "bayes_lower": bayes["lower"],
                "bayes_upper": bayes["upper"],
                "prob_beneficial": bayes.get("prob_beneficial", np.nan),
            }
        )
        right = pd.DataFrame(
            {
                "freq_estimate": freq["estimate"],
                "freq_std_error": freq["std_error"],
                "freq_lower": freq["lower"],
                "freq_upper": freq["upper"],
                "p_value": freq["p_value"],
            }
        )
        order = list(dict.fromkeys([*map(_key, freq.index), *map(_key, bayes.index)]))
        left.index = [_key(v) for v in left.index]
        right.index = [_key(v) for v in right.index]
        table = left.join(right, how="outer").reindex(order)
        table["difference"] = table["bayes_estimate"] - table["freq_estimate"]
        table["intervals_overlap"] = (table["bayes_lower"] <= table["freq_upper"]) & (
            table["freq_lower"] <= table["bayes_upper"]
        )
        table["same_sign"] = np.sign(table["bayes_estimate"]) == np.sign(table["freq_estimate"])
        table["ci_level"] = level
        table["method"] = self.method
        table["level"] = self.level
        table["scale"] = scale
        table.index.name = freq.index.name
        return table


def _key(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _beneficial(row: pd.Series, level: str, scale: str) -> bool:
    sign = row.get("benefit_sign", 1) if level == "indicator" else 1
    sign = 1 if pd.isna(sign) else sign
    centre = 1.0 if scale == "odds_ratio" else 0.0
    return bool((row["estimate"] - centre) * sign > 0)


def _count(value: Any) -> str:
    """A count for text: ``12``, or ``?`` when unknown (NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "?"
    return f"{number:.0f}" if np.isfinite(number) else "?"


def _label(value: Any) -> str:
    """A row label for text: ``safety`` or ``safety, wave 3``."""
    if isinstance(value, tuple):
        name, wave = value
        return f"{_key(name)}, wave {_key(wave)}"
    return str(_key(value))


@dataclass(frozen=True, eq=False)
class EventStudyEffects(PanelEffects):
    """Wave-specific effects relative to the baseline wave; rows indexed by (name, wave)."""

    def pre_trend_test(self, *, name: Any = None) -> pd.DataFrame:
        """Joint Wald test that every pre-programme wave effect is zero (parallel pre-trends).

        Uses the cluster-robust covariance of the wave effects. Needs at least one wave before
        the baseline wave (i.e. two pre-programme waves).

        Returns
        -------
        DataFrame
            One row per indicator/measure: ``statistic`` (chi-squared), ``df``, ``p_value`` and
            ``pre_waves``.
        """
        table = self.tables["pp"]
        cov = self.covariances["pp"]
        pre = table[table["period"] == "pre"]
        if pre.empty:
            raise SpecificationError(
                "no pre-trend test: the baseline wave is the first wave, so there is no earlier "
                "wave to compare. Pass baseline_wave= the last pre-programme wave when the "
                "survey has two or more pre-programme waves."
            )
        names = list(dict.fromkeys(pre.index.get_level_values(0)))
        if name is not None:
            if name not in names:
                raise SpecificationError(
                    f"{name!r} has no pre-programme wave effects in this event study; choose "
                    f"from {[_key(n) for n in names]}."
                )
            names = [name]
        rows = []
        for label in names:
            block = pre.loc[[label]]
            keys = list(block.index)
            est = block["estimate"].to_numpy()
            sub = cov.loc[keys, keys].to_numpy()
            keep = np.isfinite(est) & np.isfinite(np.diag(sub))
            est = est[keep]
            keys = [k for k, ok in zip(keys, keep) if ok]
            sub = sub[np.ix_(keep, keep)]
            statistic = np.nan
            if len(est) and np.linalg.matrix_rank(sub) == len(est):
                statistic = float(est @ np.linalg.solve(sub, est))
            elif len(est):
                warnings.warn(
                    f"the pre-trend test of {_key(label)!r} is not available: the covariance of "
                    "its pre-programme wave effects is singular (too few persons); reported as "
                    "NaN.",
                    EstimabilityWarning,
                    stacklevel=2,
                )
            rows.append(
                {
                    "statistic": statistic,
                    "df": len(est),
                    "p_value": float(stats.chi2.sf(statistic, len(est)))
                    if np.isfinite(statistic)
                    else np.nan,
                    "pre_waves": [k[1] for k in keys],
                }
            )
        return pd.DataFrame(rows, index=pd.Index(names, name=table.index.names[0]))

    def plot_event_study(self, *, name: Any = None, ax=None):
        """Wave effects with intervals (baseline wave at zero); returns the matplotlib Axes."""
        table = self.tables["pp"]
        names = list(dict.fromkeys(table.index.get_level_values(0)))
        label = names[0] if name is None else name
        if label not in names:
            raise SpecificationError(f"{label!r} is not in this event study; choose from {names}.")
        block = table.loc[label]
        ax = axes_or_new(ax, figsize=(6, 3.5))
        x = np.arange(len(block))
        est, lower, upper = (block[c].to_numpy(dtype=float) for c in ("estimate", "lower", "upper"))
        ax.errorbar(
            x,
            est,
            yerr=[est - lower, upper - est],
            fmt="o-",
            color="black",
            ecolor="grey",
            capsize=3,
        )
        ax.axhline(0.0, color="grey", lw=0.8, ls="--")
        base = np.flatnonzero(block["period"].to_numpy() == "baseline")
        if base.size:
            ax.axvline(base[0] + 0.5, color="tab:red", lw=0.8, ls=":")
        ax.set_xticks(x)
        ax.set_xticklabels([str(w) for w in block.index])
        ax.set_xlabel("wave")
        ax.set_ylabel("effect (percentage points)")
        ax.set_title(f"Event study: {label}")
        return ax
