"""From an IndicatorPanel to the index arrays and covariate matrices of the indicator model.

Pure data preparation (no PyMC): validation of the panel for this model, the cell codes of the
likelihood, the person x period offset index, standardised covariates and the response matrix
of the attrition model. Everything is computed once, at model construction.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirabal_stats.bayes.likelihood import cell_index
from mirabal_stats.data.beneficial import beneficial_contrasts
from mirabal_stats.data.persons import nearest, plain_value
from mirabal_stats.exceptions import RowsExcludedWarning, SpecificationError

__all__ = ["IndicatorDesign", "build_design", "answer_weights", "check_covariates"]


@dataclass(frozen=True, eq=False)
class IndicatorDesign:
    """Everything the indicator model needs, as numpy arrays (see :func:`build_design`)."""

    arrays: object  # PanelArrays
    cell: np.ndarray  # (n_obs,) cell code (indicator, wave, group)
    offset_index: np.ndarray  # (n_obs,) 2 * person + post: the person x period offset entry
    sign: np.ndarray  # (n_obs,) loading of the person offset: -benefit_sign of the indicator
    y: np.ndarray  # (n_obs,) 0/1
    post_wave: np.ndarray  # (n_waves,) 1 after the baseline wave
    other_waves: np.ndarray  # wave codes that get a wave effect (all but the baseline)
    covariate_names: tuple  # columns of X (after dummy coding)
    X_level: np.ndarray  # (n_persons, p) covariates centred within group, scaled
    X_change: np.ndarray  # (n_persons, p) covariates centred overall, scaled
    covariate_scale: np.ndarray  # (p,) the SDs used for scaling
    treated_index: np.ndarray  # person codes of the treated, in order
    comparison_index: np.ndarray
    response_at_risk: np.ndarray  # (n_risk,) person code of each (person, wave) at risk
    response_wave: np.ndarray  # (n_risk,) index into post waves
    response_y: np.ndarray  # (n_risk,) 1 if responded
    dropped_indicators: tuple

    def contrasts(self, level: str) -> pd.DataFrame:
        """Rows of indicator weights giving effects at ``level`` (measure / overall effects are
        means of beneficial indicator effects: :func:`~mirabal_stats.data.beneficial.beneficial_contrasts`,
        the one sign flip); posterior draws ``(draws, K)`` become ``draws @ C.T``."""
        arr = self.arrays
        indicators = list(arr.indicators)
        measures = pd.Series([arr.measures[m] for m in arr.indicator_measure], index=indicators)
        signs = pd.Series(arr.benefit_sign.astype(float), index=indicators)
        C = beneficial_contrasts(measures, signs, level=level)
        if level == "measure":
            C = C.reindex([m for m in arr.measures if m in C.index])
        return C


def _encode_covariates(
    baseline: pd.DataFrame, covariates: list[str]
) -> tuple[np.ndarray, list[str]]:
    columns, names = [], []
    for name in covariates:
        values = baseline[name]
        if values.isna().any():
            persons = [plain_value(p) for p in baseline.loc[values.isna(), "person"]]
            raise SpecificationError(
                f"Covariate {name!r} is missing for {len(persons)} of {len(values)} person(s), "
                f"e.g. {persons[:3]}. The model cannot drop persons silently: impute the "
                "covariate, or leave it out of covariates=."
            )
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            numeric = values.to_numpy(float)
            infinite = ~np.isfinite(numeric)
            if infinite.any():
                person = plain_value(baseline.loc[infinite, "person"].iloc[0])
                raise SpecificationError(
                    f"Covariate {name!r} is infinite for {int(infinite.sum())} person(s), e.g. "
                    f"person {person!r}. Replace those values (or leave the covariate out)."
                )
            columns.append(numeric)
            names.append(name)
        else:
            levels = sorted(values.astype(str).unique())
            for level in levels[1:]:  # first level is the reference
                columns.append((values.astype(str) == level).to_numpy(float))
                names.append(f"{name}[{level}]")
    X = np.column_stack(columns) if columns else np.zeros((len(baseline), 0))
    constant = [n for n, col in zip(names, X.T) if np.ptp(col) == 0]
    if constant:
        raise SpecificationError(
            f"Covariate column(s) {constant} take a single value in this panel, so their effect "
            "cannot be estimated. Leave them out of covariates=."
        )
    return X, names


def answer_weights(weights, arrays) -> np.ndarray:
    """One weight per observed answer, looked up by label through
    :class:`~mirabal_stats.weighting.Weights`, each factor normalised to mean 1.

    ``weights`` is a :class:`~mirabal_stats.weighting.Weights`, a fitted weighting result or a
    Series indexed by person or by (person, wave) (``w1 * w2`` multiplies them). The person
    factor (propensity weights) is normalised to mean 1 over the panel's persons; the person x
    wave factor (attrition weights) to mean 1 over the observed answers, so that unstabilised
    inverse-probability weights do not inflate the pseudo-likelihood's information. Missing,
    zero, negative or non-finite weights and persons without a weight raise
    :class:`~mirabal_stats.exceptions.WeightingError` (the one message of ``Weights``).
    """
    from mirabal_stats.weighting.analysis_weights import Weights

    w = Weights(weights)
    source = " x ".join(w.sources)
    total = np.ones(arrays.n_obs)
    if w.person is not None:
        per_person = Weights(w.person, source=source).for_persons(
            list(arrays.persons), where="the panel's persons"
        )
        total = total * (per_person / per_person.mean())[arrays.person]
    if w.person_wave is not None:
        person_at = np.asarray(arrays.persons, dtype=object)[arrays.person]
        wave_at = np.asarray(arrays.waves, dtype=object)[arrays.wave]
        at = Weights(w.person_wave, source=source).at_answers(
            person_at, wave_at, where="the panel's observed answers"
        )
        total = total * at / at.mean()
    return total


def check_covariates(covariates, available) -> list[str]:
    """``covariates`` as a list of distinct covariate names of the panel (a single name may be
    given as a string)."""
    if covariates is None:
        return []
    if isinstance(covariates, str):
        covariates = [covariates]
    if not isinstance(covariates, (list, tuple, pd.Index)):
        raise SpecificationError(
            f"covariates must be a list of covariate names, got {type(covariates).__name__} "
            f"({covariates!r}), e.g. covariates=['age', 'separated']."
        )
    covariates = list(covariates)
    repeated = sorted({str(c) for c in covariates if covariates.count(c) > 1})
    if repeated:
        raise SpecificationError(
            f"covariates lists {', '.join(map(repr, repeated))} more than once; list each "
            "covariate once (a repeated column would make its two coefficients unidentified)."
        )
    available = list(available)
    for name in covariates:
        if name not in available:
            raise SpecificationError(
                f"covariate {plain_value(name)!r} is not a covariate of the panel"
                f"{nearest(name, available)}; the panel has {available}. Declare covariates "
                "when building the IndicatorPanel (covariates=[...])."
            )
    return covariates


def build_design(
    panel, *, baseline_wave=None, covariates=None, drop_invariant: bool = False
) -> IndicatorDesign:
    """Validate ``panel`` for the indicator model and build its index arrays.

    Raises
    ------
    SpecificationError
        One wave only; an indicator without variation (unless ``drop_invariant``); a group with
        no post-baseline answers; unknown or unusable covariates.
    """
    if len(panel.waves) < 2:
        raise SpecificationError(
            f"The panel has a single wave ({plain_value(panel.waves[0])!r}); a before/after "
            "comparison needs "
            "at least two waves (a baseline and one later wave)."
        )
    arrays = panel.to_arrays(baseline_wave=baseline_wave)
    if arrays.baseline_wave == arrays.n_waves - 1:
        raise SpecificationError(
            f"baseline_wave={plain_value(panel.waves[arrays.baseline_wave])!r} is the last wave, "
            "so no wave is "
            "post-baseline. Choose an earlier baseline wave."
        )
    # Indicators whose observed answers never vary carry no information about their effect and
    # drive their intercept to +/- infinity.
    counts = np.bincount(arrays.indicator, minlength=arrays.n_indicators)
    yes = np.bincount(arrays.indicator, weights=arrays.response, minlength=arrays.n_indicators)
    invariant = [
        plain_value(arrays.indicators[k])
        for k in range(arrays.n_indicators)
        if counts[k] == 0 or yes[k] in (0, counts[k])
    ]
    dropped: tuple = ()
    if invariant:
        if not drop_invariant:
            raise SpecificationError(
                f"{len(invariant)} indicator(s) have no variation in the observed answers (all "
                f"'yes' or all 'no'): {invariant}. Their effects cannot be estimated. Pass "
                "drop_invariant=True to fit without them, or panel.subset(indicators=...)."
            )
        keep = [k for k in panel.indicators if k not in set(invariant)]
        if not keep:
            raise SpecificationError("Every indicator is invariant; nothing left to model.")
        warnings.warn(
            f"Dropped {len(invariant)} indicator(s) with no variation in the observed answers: "
            f"{invariant}.",
            RowsExcludedWarning,
            stacklevel=3,
        )
        panel = panel.subset(indicators=keep)
        arrays = panel.to_arrays(baseline_wave=baseline_wave)
        dropped = tuple(invariant)
    for g, label in ((1, panel.treated), (0, panel.comparison)):
        if not np.any((arrays.group == g) & (arrays.post == 1)):
            raise SpecificationError(
                f"Group {plain_value(label)!r} has no answers after the baseline wave "
                f"{plain_value(panel.waves[arrays.baseline_wave])!r}, so its change cannot be "
                "estimated. "
                "Check the wave labels and baseline_wave."
            )
        if not np.any(arrays.person_group == g):
            raise SpecificationError(
                f"Group {plain_value(label)!r} has no persons in the panel; the model compares "
                "two groups."
            )

    post_wave = (np.arange(arrays.n_waves) > arrays.baseline_wave).astype(np.int8)
    cell = cell_index(arrays.indicator, arrays.wave, arrays.group, n_waves=arrays.n_waves)
    offset_index = (2 * arrays.person.astype(np.int64) + arrays.post).astype(np.int32)
    sign = -arrays.benefit_sign[arrays.indicator].astype(float)

    # Covariates: severity (level) terms centred within group, change terms centred overall (a
    # group-specific centring of the change terms would move confounding into the effect).
    covariates = check_covariates(covariates, panel.covariate_names)
    baseline = panel.baseline().set_index("person").reindex(list(arrays.persons)).reset_index()
    X, names = _encode_covariates(baseline, covariates)
    scale = X.std(axis=0) if X.shape[1] else np.zeros(0)
    X_change = (X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0) if X.shape[1] else X
    X_level = X.copy()
    for g in (0, 1):
        rows = arrays.person_group == g
        if X.shape[1]:
            X_level[rows] = X[rows] - X[rows].mean(axis=0)
    X_level = X_level / np.where(scale > 0, scale, 1.0) if X.shape[1] else X_level

    # Attrition model data: for each post-baseline wave, persons who answered the previous wave
    # are at risk of not answering (a first-order transition model; returns are not modelled).
    responded = arrays.responded
    post_codes = np.flatnonzero(post_wave)
    at_risk, wave_idx, resp = [], [], []
    for j, t in enumerate(post_codes):
        risk = np.flatnonzero(responded[:, t - 1])
        at_risk.append(risk)
        wave_idx.append(np.full(risk.shape, j))
        resp.append(responded[risk, t].astype(np.int8))
    return IndicatorDesign(
        arrays=arrays,
        cell=cell,
        offset_index=offset_index,
        sign=sign,
        y=arrays.response.astype(float),
        post_wave=post_wave,
        other_waves=np.array([t for t in range(arrays.n_waves) if t != arrays.baseline_wave]),
        covariate_names=tuple(names),
        X_level=X_level,
        X_change=X_change,
        covariate_scale=scale,
        treated_index=np.flatnonzero(arrays.person_group == 1),
        comparison_index=np.flatnonzero(arrays.person_group == 0),
        response_at_risk=np.concatenate(at_risk).astype(np.int32),
        response_wave=np.concatenate(wave_idx).astype(np.int32),
        response_y=np.concatenate(resp),
        dropped_indicators=dropped,
    )
