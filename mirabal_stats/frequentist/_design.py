"""Turn an IndicatorPanel (and optional weights) into the analysis frame of the panel estimators,
and the data checks every panel estimator runs (few clusters, no within-person variation, waves
without comparison-group respondents)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mirabal_stats.data.beneficial import beneficial_contrasts, check_level
from mirabal_stats.data.persons import plain_value
from mirabal_stats.exceptions import (
    DataWarning,
    EstimabilityWarning,
    FewClustersWarning,
    SpecificationError,
)
from mirabal_stats.weighting.analysis_weights import Weights

__all__ = [
    "MIN_CLUSTERS",
    "analysis_frame",
    "check_clusters",
    "within_person_varies",
    "check_comparison_waves",
    "resolve_level",
    "level_groups",
    "contrast_rows",
    "named",
]

#: Below this many persons cluster-robust standard errors are too small (Cameron & Miller 2015).
MIN_CLUSTERS = 30


def resolve_level(level: str) -> str:
    """``level`` after checking it is ``"indicator"``, ``"measure"`` or ``"overall"``."""
    return check_level(level)


def named(values: Sequence, k: int = 10) -> str:
    """Labels for a message: ``'a', 'b' and 3 more``."""
    values = [plain_value(v) for v in values]
    text = ", ".join(repr(v) for v in values[:k])
    return text + (f" and {len(values) - k} more" if len(values) > k else "")


def _require_panel(panel: object) -> None:
    needed = ("to_long", "waves", "indicators", "benefit_sign", "treated", "indicator_measures")
    if not all(hasattr(panel, name) for name in needed):
        raise SpecificationError(
            f"expected an IndicatorPanel, got {type(panel).__name__}. Build one with "
            "IndicatorPanel.from_long(...) or IndicatorPanel.from_wide(...); for a plain long "
            "DataFrame use frequentist.gee(data, formula=..., person=...)."
        )


def analysis_frame(
    panel: object,
    *,
    baseline_wave: object = None,
    weights: object = None,
) -> pd.DataFrame:
    """Observed cells of ``panel`` with the codes the panel estimators need.

    Columns: ``person, wave, indicator, measure, response`` (0/1), ``treated`` (1/0),
    ``person_code`` (0, 1, ... in order of first appearance: persons may be labelled by numbers
    and text at once, which cannot be sorted), ``wave_code`` (0 = first wave), ``post`` (1 after
    ``baseline_wave``), ``benefit_sign`` and ``weight`` (1 when ``weights`` is None; otherwise
    looked up by label through :class:`~mirabal_stats.weighting.Weights`). Sorted by person,
    indicator and wave.
    """
    _require_panel(panel)
    waves = tuple(panel.waves)
    if baseline_wave is None:
        baseline_code = 0
    elif baseline_wave in waves:
        baseline_code = waves.index(baseline_wave)
    else:
        raise SpecificationError(
            f"baseline_wave={plain_value(baseline_wave)!r} is not a wave of this panel; waves "
            f"are {[plain_value(w) for w in waves]}. Pass the last pre-programme wave."
        )
    if baseline_code == len(waves) - 1:
        raise SpecificationError(
            f"baseline_wave={plain_value(waves[baseline_code])!r} is the last wave, so there is "
            "no post-programme wave to estimate an effect from. Pass an earlier wave."
        )
    long = panel.to_long(include_missing=False)
    frame = pd.DataFrame(
        {
            "person": long["person"].to_numpy(),
            "wave": long["wave"].to_numpy(),
            "indicator": long["indicator"].to_numpy(),
            "measure": long["measure"].to_numpy(),
            "response": long["response"].to_numpy(dtype=float),
            "treated": (long["group"] == panel.treated).to_numpy(dtype=int),
        }
    )
    frame["person_code"] = pd.factorize(frame["person"])[0]
    wave_codes = {w: i for i, w in enumerate(waves)}
    frame["wave_code"] = frame["wave"].map(wave_codes).astype(int)
    frame["post"] = (frame["wave_code"] > baseline_code).astype(int)
    frame["benefit_sign"] = frame["indicator"].map(panel.benefit_sign).astype(int)
    if weights is None:
        frame["weight"] = 1.0
    else:
        frame["weight"] = Weights(weights).at_answers(
            frame["person"], frame["wave"], where="the panel's observed answers"
        )
    indicator_rank = {k: i for i, k in enumerate(panel.indicators)}
    order = np.lexsort(
        (
            frame["wave_code"].to_numpy(),
            frame["indicator"].map(indicator_rank).to_numpy(),
            frame["person_code"].to_numpy(),
        )
    )
    frame = frame.iloc[order].reset_index(drop=True)
    frame.attrs["baseline_code"] = baseline_code
    frame.attrs["waves"] = waves
    return frame


def level_groups(panel: object, level: str) -> list[tuple[object, list]]:
    """The rows of a table at ``level`` and the indicators each averages."""
    if level == "indicator":
        return [(k, [k]) for k in panel.indicators]
    if level == "measure":
        measures = panel.indicator_measures
        return [(m, [k for k in panel.indicators if measures[k] == m]) for m in panel.measures]
    return [("overall", list(panel.indicators))]


def contrast_rows(panel: object, level: str, usable: Sequence) -> pd.DataFrame:
    """:func:`~mirabal_stats.data.beneficial.beneficial_contrasts` over the estimable indicators.

    Indicators that could not be estimated are left out of measure and overall means (each
    such indicator is named in a warning); a measure none of whose indicators is estimable has
    no row.
    """
    usable = list(usable)
    return beneficial_contrasts(
        panel.indicator_measures.reindex(usable),
        panel.benefit_sign.reindex(usable),
        level=level,
    )


def check_clusters(n_clusters: int, *, what: str, stacklevel: int = 3) -> None:
    """Warn when there are too few persons for cluster-robust standard errors."""
    if n_clusters < MIN_CLUSTERS:
        warnings.warn(
            f"{what} has only {n_clusters} persons (clusters); cluster-robust standard errors "
            f"are biased downwards and intervals too narrow below about {MIN_CLUSTERS} clusters "
            "(Cameron & Miller 2015). Treat the intervals as optimistic, or use the Bayesian "
            "model, which does not rely on many clusters.",
            FewClustersWarning,
            stacklevel=stacklevel,
        )


def within_person_varies(frame: pd.DataFrame) -> pd.Series:
    """For each indicator, whether any person's answer changes between waves."""
    spread = frame.groupby(["indicator", "person_code"], sort=False)["response"].agg(["min", "max"])
    varies = (spread["max"] > spread["min"]).groupby(level="indicator", sort=False).any()
    return varies


def warn_no_variation(indicators: Sequence, *, stacklevel: int = 3) -> None:
    if len(indicators):
        warnings.warn(
            f"{len(indicators)} indicator(s) have no within-person variation (every person gives "
            f"the same answer at every wave they answered): {named(indicators)}. Their person-"
            "fixed-effects DiD effect is not identified; they are reported as NaN and left out of "
            "measure and overall averages. Check their prevalence with panel.prevalence_table().",
            EstimabilityWarning,
            stacklevel=stacklevel,
        )


def check_comparison_waves(frame: pd.DataFrame, *, stacklevel: int = 3) -> list:
    """Warn about waves at which no comparison-group person answered; return those waves."""
    waves = frame.attrs.get("waves", tuple(dict.fromkeys(frame["wave"])))
    answered = set(frame.loc[frame["treated"] == 0, "wave"])
    present = set(frame["wave"])
    empty = [plain_value(w) for w in waves if w in present and w not in answered]
    if empty:
        warnings.warn(
            f"no comparison-group respondents at wave(s) {empty}: the wave effect there is "
            "estimated from the intervention group alone, so those waves add nothing to the "
            "difference-in-differences and cannot have an event-study effect. Check "
            "panel.attrition_table().",
            DataWarning,
            stacklevel=stacklevel,
        )
    return empty
