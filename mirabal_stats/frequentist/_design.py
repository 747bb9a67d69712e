"""Turn an IndicatorPanel (and optional weights) into the analysis frame of the panel estimators,
and the data checks every panel estimator runs (few clusters, no within-person variation, waves
without comparison-group respondents)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mirabal_stats.data.validation import plain_value
from mirabal_stats.exceptions import (
    DataWarning,
    EstimabilityWarning,
    FewClustersWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting.person_keys import person_keyed_weights, weights_at_answers

__all__ = [
    "MIN_CLUSTERS",
    "analysis_frame",
    "check_clusters",
    "within_person_varies",
    "check_comparison_waves",
    "resolve_level",
]

#: Below this many persons cluster-robust standard errors are too small (Cameron & Miller 2015).
MIN_CLUSTERS = 30

LEVELS = ("indicator", "measure", "overall")


def resolve_level(level: str) -> str:
    if level not in LEVELS:
        raise SpecificationError(
            f"level={level!r} is not supported; use one of {', '.join(map(repr, LEVELS))}."
        )
    return level


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

    Columns: ``person, wave, indicator, measure, response`` (0/1), ``treated`` (1/0), ``wave_code``
    (0 = first wave), ``post`` (1 after ``baseline_wave``), ``benefit_sign`` and ``weight``
    (1 when ``weights`` is None). Sorted by person, indicator and wave.
    """
    _require_panel(panel)
    waves = tuple(panel.waves)
    if baseline_wave is None:
        baseline_code = 0
    elif baseline_wave in waves:
        baseline_code = waves.index(baseline_wave)
    else:
        raise SpecificationError(
            f"baseline_wave={baseline_wave!r} is not a wave of this panel; waves are "
            f"{list(waves)}. Pass the last pre-programme wave."
        )
    if baseline_code == len(waves) - 1:
        raise SpecificationError(
            f"baseline_wave={waves[baseline_code]!r} is the last wave, so there is no "
            "post-programme wave to estimate an effect from. Pass an earlier wave."
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
    wave_codes = {w: i for i, w in enumerate(waves)}
    frame["wave_code"] = frame["wave"].map(wave_codes).astype(int)
    frame["post"] = (frame["wave_code"] > baseline_code).astype(int)
    frame["benefit_sign"] = frame["indicator"].map(panel.benefit_sign).astype(int)
    frame["weight"] = _cell_weights(frame, weights)
    indicator_rank = {k: i for i, k in enumerate(panel.indicators)}
    person_rank = {p: i for i, p in enumerate(dict.fromkeys(frame["person"]))}
    order = np.lexsort(
        (
            frame["wave_code"].to_numpy(),
            frame["indicator"].map(indicator_rank).to_numpy(),
            frame["person"].map(person_rank).to_numpy(),
        )
    )
    frame = frame.iloc[order].reset_index(drop=True)
    frame.attrs["baseline_code"] = baseline_code
    frame.attrs["waves"] = waves
    return frame


def _cell_weights(frame: pd.DataFrame, weights: object) -> np.ndarray:
    """Product of the given weights at each observed cell (1 when ``weights`` is None).

    ``weights`` is a Series indexed by person (e.g. propensity weights), a Series indexed by
    (person, wave) (e.g. attrition weights), a fitted weighting result (keyed by person through
    :func:`~mirabal_stats.weighting.person_keys.person_keyed_weights`), or a list/tuple of these
    to multiply.
    """
    if weights is None:
        return np.ones(len(frame))
    parts = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    total = np.ones(len(frame))
    persons = frame["person"].unique()
    for number, part in enumerate(parts):
        if isinstance(part, pd.DataFrame) and part.shape[1] == 1:
            part = part.iloc[:, 0]
        if hasattr(part, "weights") or isinstance(part, pd.Series):
            part = person_keyed_weights(part, persons)
        if not isinstance(part, pd.Series):
            raise WeightingError(
                f"weights must be a pandas Series indexed by person or by (person, wave), or a "
                f"list of them; item {number} is a {type(part).__name__}. Convert it, e.g. "
                "pd.Series(w, index=persons)."
            )
        values = weights_at_answers(
            part, frame["person"], frame["wave"], what=f"weights item {number}"
        )
        total = total * values
    return total


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
    spread = frame.groupby(["indicator", "person"], sort=False)["response"].agg(["min", "max"])
    varies = (spread["max"] > spread["min"]).groupby(level="indicator", sort=False).any()
    return varies


def warn_no_variation(indicators: Sequence, *, stacklevel: int = 3) -> None:
    if len(indicators):
        shown = ", ".join(repr(k) for k in list(indicators)[:3])
        warnings.warn(
            f"{len(indicators)} indicator(s) have no within-person variation (every person gives "
            f"the same answer at every wave they answered), e.g. {shown}. Their person-fixed-"
            "effects DiD effect is not identified; they are reported as NaN and left out of "
            "measure and overall averages. Check their prevalence with panel.prevalence_table().",
            EstimabilityWarning,
            stacklevel=stacklevel,
        )


def check_comparison_waves(frame: pd.DataFrame, *, stacklevel: int = 3) -> list:
    """Warn about waves at which no comparison-group person answered; return those waves."""
    waves = frame.attrs.get("waves", tuple(dict.fromkeys(frame["wave"])))
    answered = set(frame.loc[frame["treated"] == 0, "wave"])
    empty = [plain_value(w) for w in waves if w in set(frame["wave"]) and w not in answered]
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
