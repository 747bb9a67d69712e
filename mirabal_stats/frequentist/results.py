"""The one result format of the frequentist panel estimators (GEE, fixed-effects DiD, event study).

Every table has the stable columns ``estimate, std_error, lower, upper, ci_level, p_value,
n_persons, n_obs`` whatever the estimator and interval level; a result can hold the same effects
on several scales (``"pp"`` percentage points, ``"log_odds"``, ``"odds_ratio"``, ``"coef"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mirabal_stats._results import Provenance
from mirabal_stats.exceptions import SpecificationError

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
class PanelEffects:
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
    def summary(self, *, scale: str | None = None) -> str:
        """A plain-language paragraph and the estimate table."""
        scale = self._scale(scale)
        table = self.tables[scale]
        level = float(table["ci_level"].iloc[0]) if len(table) else np.nan
        head = (
            f"{_METHOD_TEXT.get(self.method, self.method)}; level: {self.level}; scale: "
            f"{_SCALE_TEXT.get(scale, scale)}; {100 * level:.0f}% intervals; "
            f"standard errors {self.settings.get('std_error_type', 'cluster-robust by person')}."
        )
        lines = [head]
        if self.level in ("measure", "overall"):
            lines.append(
                "Measure and overall effects average the indicator effects oriented so that a "
                "positive value is beneficial."
            )
        shown = table.dropna(subset=["estimate"])
        for name, row in shown.head(12).iterrows():
            sign = "beneficial" if _beneficial(row, self.level) else "not beneficial"
            lines.append(
                f"- {name}: {row['estimate']:.3g} ({100 * level:.0f}% CI {row['lower']:.3g} to "
                f"{row['upper']:.3g}, p = {row['p_value']:.2g}; {sign} direction; "
                f"{int(row['n_persons'])} persons, {int(row['n_obs'])} answers)."
                if "benefit_sign" in row or self.level in ("measure", "overall")
                else f"- {name}: {row['estimate']:.3g} ({100 * level:.0f}% CI {row['lower']:.3g} "
                f"to {row['upper']:.3g}, p = {row['p_value']:.2g}; {int(row['n_persons'])} "
                f"persons, {int(row['n_obs'])} observations)."
            )
        if len(shown) > 12:
            lines.append(f"... and {len(shown) - 12} more rows (see to_frame()).")
        lines.extend(self.notes)
        text = "\n".join(lines)
        return text + "\n\n" + table.to_string(float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return (
            f"PanelEffects(method={self.method!r}, level={self.level!r}, scale={self.scale!r}, "
            f"rows={len(self.tables[self.scale])})"
        )

    # ------------------------------------------------------------------ plots
    def plot_effects(self, *, scale: str | None = None, ax=None):
        """Forest plot of the estimates with their intervals; returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        scale = self._scale(scale)
        table = self.tables[scale]
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.35 * len(table) + 1.2))
        y = np.arange(len(table))[::-1]
        ax.errorbar(
            table["estimate"],
            y,
            xerr=[table["estimate"] - table["lower"], table["upper"] - table["estimate"]],
            fmt="o",
            color="black",
            ecolor="grey",
            capsize=2,
        )
        ax.axvline(1.0 if scale == "odds_ratio" else 0.0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(y)
        ax.set_yticklabels([str(v) for v in table.index])
        ax.set_xlabel(f"{self.method} effect ({_SCALE_TEXT.get(scale, scale)})")
        return ax

    # ------------------------------------------------------------------ comparison
    def compare_with(
        self,
        bayes_result: Any,
        *,
        scale: str | None = None,
    ) -> pd.DataFrame:
        """Line up these estimates with a Bayesian result, row by row.

        Parameters
        ----------
        bayes_result : object with ``effects(level=..., scale=...)``, or DataFrame
            A fitted Bayesian indicator model (``mirabal_stats.bayes``), whose ``effects`` frame
            has columns ``estimate, std_error, lower, upper, prob_beneficial`` indexed by
            indicator or measure name; or such a frame directly.
        scale : str, optional
            Scale of both sides (default :attr:`scale`); passed to ``bayes_result.effects``.

        Returns
        -------
        DataFrame
            One row per indicator/measure present in either result: ``bayes_estimate,
            bayes_lower, bayes_upper, prob_beneficial`` beside ``freq_estimate, freq_std_error,
            freq_lower, freq_upper, p_value``, then ``difference`` (Bayesian minus frequentist),
            ``intervals_overlap`` and ``same_sign``; ``method``, ``level`` and ``scale`` columns
            say what was compared.
        """
        scale = self._scale(scale)
        if isinstance(bayes_result, pd.DataFrame):
            bayes = bayes_result
        elif hasattr(bayes_result, "effects"):
            level = "overall" if self.level == "overall" else self.level
            try:
                bayes = bayes_result.effects(level=level, scale=scale)
            except (TypeError, ValueError) as error:
                raise SpecificationError(
                    f"the Bayesian result could not report effects at level={level!r}, "
                    f"scale={scale!r} ({error}). Compare on a scale both support, e.g. "
                    "compare_with(bayes, scale='pp')."
                ) from error
        else:
            raise SpecificationError(
                f"compare_with needs a Bayesian result with an effects(level=, scale=) method or "
                f"its effects DataFrame; got {type(bayes_result).__name__}."
            )
        missing = [c for c in ("estimate", "lower", "upper") if c not in bayes.columns]
        if missing:
            raise SpecificationError(
                f"the Bayesian effects frame lacks column(s) {missing}; expected estimate, "
                "std_error, lower, upper, prob_beneficial indexed by indicator or measure."
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
        table["method"] = self.method
        table["level"] = self.level
        table["scale"] = scale
        table.index.name = freq.index.name
        return table


def _key(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _beneficial(row: pd.Series, level: str) -> bool:
    sign = row.get("benefit_sign", 1) if level == "indicator" else 1
    centre = 1.0 if row.get("_scale") == "odds_ratio" else 0.0
    return bool((row["estimate"] - centre) * sign > 0)


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
            names = [name]
        rows = []
        for label in names:
            block = pre.loc[[label]]
            keys = list(block.index)
            est = block["estimate"].to_numpy()
            keep = np.isfinite(est)
            est = est[keep]
            keys = [k for k, ok in zip(keys, keep) if ok]
            sub = cov.loc[keys, keys].to_numpy()
            statistic = float(est @ np.linalg.solve(sub, est)) if len(est) else np.nan
            rows.append(
                {
                    "statistic": statistic,
                    "df": len(est),
                    "p_value": float(stats.chi2.sf(statistic, len(est))) if len(est) else np.nan,
                    "pre_waves": [k[1] for k in keys],
                }
            )
        return pd.DataFrame(rows, index=pd.Index(names, name=table.index.names[0]))

    def plot_event_study(self, *, name: Any = None, ax=None):
        """Wave effects with intervals (baseline wave at zero); returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        table = self.tables["pp"]
        names = list(dict.fromkeys(table.index.get_level_values(0)))
        label = names[0] if name is None else name
        if label not in names:
            raise SpecificationError(f"{label!r} is not in this event study; choose from {names}.")
        block = table.loc[label]
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        x = np.arange(len(block))
        ax.errorbar(
            x,
            block["estimate"],
            yerr=[block["estimate"] - block["lower"], block["upper"] - block["estimate"]],
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
