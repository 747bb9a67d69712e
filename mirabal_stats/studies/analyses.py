"""Named analyses for simulation studies: one pillar estimator, its options and its truth each.

An :class:`Analysis` turns one simulated data set (an ``IndicatorPanel`` and its
``MirabalTruth``) into rows of a tidy table, one per estimand::

    level, estimand, scale, estimate, std_error, lower, upper, p_value, truth, (extras)

- ``estimand``: an indicator code, a measure name, ``"overall"`` or ``"reoffending"``;
- ``scale``: ``"pp"`` (percentage points) or ``"log_odds"`` for the survey indicators, always in
  the **beneficial orientation** (positive = the programme helps; indicator rows of the pillars,
  which are on the "yes" scale, are flipped for indicators where less "yes" is better);
  ``"log_hr"`` (log hazard ratio) and ``"rmst"`` (months) for reoffending;
- ``truth``: the value the estimate is compared with, from the design's ``MirabalTruth``:
  ``beneficial_pp`` (average effect on the treated over the post waves, all intervention women
  including those who dropped out) or ``beneficial_log_odds`` (the conditional effect ``d_k``);
  measure and overall truths are means over indicators, as the estimates are. For reoffending:
  the conditional log hazard ratio, and the difference in restricted mean time without
  reoffending of the intervention group with and without the programme.

Some analyses estimate something else than this truth by construction (the naive before/after
comparison ignores the comparison group's change; a population-averaged GEE odds ratio is
attenuated relative to the conditional ``d_k``; Cox without the latent severity is
attenuated relative to the conditional hazard ratio): a study's bias column shows by how much.

**Every call into a pillar is one small function below (``_call_*``)**, so a change of a
pillar's signature touches one place.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mirabal_stats._results import check_ci_level
from mirabal_stats.exceptions import SpecificationError

__all__ = [
    "Analysis",
    "naive",
    "did",
    "gee",
    "weighted_effect",
    "indicator_model",
    "cox",
    "rmst",
    "custom",
    "ROW_COLUMNS",
]

#: Columns of the rows every analysis returns (extras follow).
ROW_COLUMNS = [
    "level",
    "estimand",
    "scale",
    "estimate",
    "std_error",
    "lower",
    "upper",
    "p_value",
    "truth",
]

_LEVELS = ("indicator", "measure", "overall")
_SCALES = ("pp", "log_odds")


@dataclass(frozen=True, eq=False)
class Analysis:
    """A named, parameterised estimator run on every replicate of a study.

    Build one with the functions of this module (:func:`did`, :func:`gee`,
    :func:`indicator_model` ...) or :func:`custom`. ``run`` never raises for a failed fit: the
    replicate gets one row with the error message (counted as a failure in the summary);
    warnings are recorded per row, not shown.
    """

    name: str
    kind: str
    options: tuple
    function: Callable

    def spec(self) -> dict[str, Any]:
        """Name, kind and options (JSON-ready), recorded with the study."""
        options = {k: _jsonable(v) for k, v in self.options}
        if self.kind == "custom":
            options["function"] = f"{self.function.__module__}.{self.function.__qualname__}"
        return {"name": self.name, "kind": self.kind, "options": options}

    def run(self, panel, truth, *, ci_level: float = 0.95, random_seed: int | None = None):
        """Rows for one replicate (see the module docstring)."""
        start, cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                rows = self.function(
                    panel, truth, ci_level=ci_level, random_seed=random_seed, **dict(self.options)
                )
                rows = _check_rows(rows, self.name)
                error = None
            except Exception as err:  # a failed fit is a result of the study, not a crash
                rows = pd.DataFrame({c: [np.nan] for c in ROW_COLUMNS})
                rows[["level", "estimand", "scale"]] = None
                error = f"{type(err).__name__}: {err}"
        counts = Counter(w.category.__name__ for w in caught)
        rows = rows.copy()
        rows.insert(0, "analysis", self.name)
        rows["warnings"] = "; ".join(f"{k} x{v}" for k, v in sorted(counts.items())) or None
        rows["error"] = error
        rows["seconds"] = time.perf_counter() - start
        # CPU time of this process (all its threads): what a run takes on idle cores.
        rows["cpu_seconds"] = time.process_time() - cpu
        return rows.reset_index(drop=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_rows(rows: object, name: str) -> pd.DataFrame:
    if not isinstance(rows, pd.DataFrame):
        raise SpecificationError(
            f"analysis {name!r} returned {type(rows).__name__}, not a DataFrame with columns "
            f"{ROW_COLUMNS}."
        )
    missing = [c for c in ROW_COLUMNS if c not in rows.columns and c != "p_value"]
    if missing:
        raise SpecificationError(
            f"analysis {name!r} returned a table without the columns {missing}; every analysis "
            f"returns {ROW_COLUMNS} (p_value optional)."
        )
    if "p_value" not in rows.columns:
        rows = rows.assign(p_value=np.nan)
    extras = [c for c in rows.columns if c not in ROW_COLUMNS]
    return rows[ROW_COLUMNS + extras]


def _check_choice(name: str, value: object, choices: Sequence) -> None:
    if value not in choices:
        raise SpecificationError(
            f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}."
        )


def _check_scales(scales: object, allowed: Sequence = _SCALES) -> tuple:
    if isinstance(scales, str):
        scales = (scales,)
    scales = tuple(scales)
    bad = [s for s in scales if s not in allowed]
    if bad or not scales:
        raise SpecificationError(
            f"scales must name one or more of {', '.join(map(repr, allowed))}, got {scales!r}."
        )
    return scales


def _check_levels(levels: object) -> tuple:
    if isinstance(levels, str):
        levels = (levels,)
    levels = tuple(levels)
    bad = [v for v in levels if v not in _LEVELS]
    if bad or not levels:
        raise SpecificationError(
            f"levels must name one or more of {', '.join(map(repr, _LEVELS))}, got {levels!r}."
        )
    return levels


def _check_weights(weights: object) -> None:
    if weights not in (None, "propensity"):
        raise SpecificationError(
            f"weights must be None or 'propensity' (ATT weights from a logistic propensity model "
            f"on the baseline covariates, re-fitted on every replicate), got {weights!r}."
        )


def _name(name: str | None, default: str) -> str:
    if name is None:
        return default
    if not isinstance(name, str) or not name.strip():
        raise SpecificationError(f"name must be a non-empty string, got {name!r}.")
    return name


# --------------------------------------------------------------------------- truth and rows
def truth_effects(truth, level: str, scale: str) -> pd.Series:
    """The true beneficial effects of a ``MirabalTruth`` at one level and scale."""
    column = "beneficial_pp" if scale == "pp" else "beneficial_log_odds"
    if level == "indicator":
        return truth.indicator_effects[column]
    if level == "measure":
        return truth.measure_effects[column]
    return pd.Series({"overall": float(truth.overall_effect[column])})


def _rows(table: pd.DataFrame, *, level: str, scale: str, truth, panel) -> pd.DataFrame:
    """Tidy rows from a pillar's estimate table indexed by estimand; indicator rows turned to
    the beneficial orientation when the pillar reports them on the "yes" scale."""
    out = pd.DataFrame(
        {
            "estimate": table["estimate"].to_numpy(dtype=float),
            "std_error": table["std_error"].to_numpy(dtype=float),
            "lower": table["lower"].to_numpy(dtype=float),
            "upper": table["upper"].to_numpy(dtype=float),
            "p_value": table["p_value"].to_numpy(dtype=float) if "p_value" in table else np.nan,
        },
        index=pd.Index([str(k) for k in table.index], name="estimand"),
    )
    for extra in ("prob_beneficial", "median"):
        if extra in table:
            out[extra] = table[extra].to_numpy(dtype=float)
    yes_scale = level == "indicator" and (
        "orientation" not in table or (table["orientation"] == "yes").all()
    )
    if yes_scale:
        sign = panel.benefit_sign.reindex(out.index).to_numpy(dtype=float)
        flipped = sign < 0
        est, lower, upper = out["estimate"].copy(), out["lower"].copy(), out["upper"].copy()
        out["estimate"] = np.where(flipped, -est, est)
        out["lower"] = np.where(flipped, -upper, lower)
        out["upper"] = np.where(flipped, -lower, upper)
        if "median" in out:
            out["median"] = np.where(flipped, -out["median"], out["median"])
    out["truth"] = truth_effects(truth, level, scale).reindex(out.index).to_numpy(dtype=float)
    out.insert(0, "scale", scale)
    out.insert(0, "level", level)
    return out.reset_index()[ROW_COLUMNS + [c for c in out.columns if c not in ROW_COLUMNS]]


def _normal_rows(estimates: dict, std_errors: dict, *, level, scale, truth, ci_level):
    names = list(estimates)
    est = np.array([estimates[k] for k in names], dtype=float)
    se = np.array([std_errors[k] for k in names], dtype=float)
    z = stats.norm.ppf(0.5 + ci_level / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2.0 * stats.norm.sf(np.abs(est / se))
    return pd.DataFrame(
        {
            "level": level,
            "estimand": names,
            "scale": scale,
            "estimate": est,
            "std_error": se,
            "lower": est - z * se,
            "upper": est + z * se,
            "p_value": p,
            "truth": truth_effects(truth, level, scale).reindex(names).to_numpy(dtype=float),
        }
    )


def _groups_of(panel, level: str) -> dict[str, list]:
    """Estimand -> its indicators."""
    if level == "indicator":
        return {str(k): [k] for k in panel.indicators}
    if level == "measure":
        measures = panel.indicator_measures
        return {str(m): [k for k in panel.indicators if measures[k] == m] for m in panel.measures}
    return {"overall": list(panel.indicators)}


def _person_wave_scores(panel, members: list) -> pd.DataFrame:
    """Person x wave mean of the beneficial answers (1 = the better answer) to ``members``."""
    long = panel.to_long(include_missing=False)
    long = long[long["indicator"].isin(members)]
    sign = long["indicator"].map(panel.benefit_sign).to_numpy(dtype=float)
    long = long.assign(better=np.where(sign > 0, long["response"], 1.0 - long["response"]))
    return long.pivot_table(index="person", columns="wave", values="better", aggfunc="mean")


# --------------------------------------------------------------------------- naive
def _run_naive(panel, truth, *, ci_level, random_seed, level):
    groups = _groups_of(panel, level)
    months = np.asarray(truth.wave_months, dtype=float)
    before, after = panel.waves[0], panel.waves[int(np.argmin(np.abs(months - 12.0)))]
    persons = panel.baseline().set_index("person")["group"]
    treated = persons.index[persons == panel.treated]
    est, se = {}, {}
    for name, members in groups.items():
        scores = _person_wave_scores(panel, members).reindex(treated)
        b = scores[before].dropna() if before in scores else pd.Series(dtype=float)
        a = scores[after].dropna() if after in scores else pd.Series(dtype=float)
        est[name] = 100.0 * (a.mean() - b.mean())
        # Independent samples: what a reader of a published before/after table can compute.
        se[name] = 100.0 * np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return _normal_rows(est, se, level=level, scale="pp", truth=truth, ci_level=ci_level)


def naive(*, level: str = "overall", name: str | None = None) -> Analysis:
    """The naive before/after comparison of the intervention group, as published.

    The change in the intervention group's prevalence of the better answer between the baseline
    and the wave nearest month 12 (percentage points), the two waves treated as independent
    samples (Wald interval from the two-sample standard error): what a reader of a published
    before/after table can compute. It ignores the comparison group, so its "bias" against the
    programme effect is the change that would have happened anyway (plus dropout).
    Written with pandas/scipy (no pillar).

    Parameters
    ----------
    level : {"indicator", "measure", "overall"}, default "overall"
        Measure and overall rows compare each woman's share of better answers over the
        measure's (all) indicators.
    name : str, optional
        Default ``"naive(<level>)"``.
    """
    _check_choice("level", level, _LEVELS)
    return Analysis(_name(name, f"naive({level})"), "naive", (("level", level),), _run_naive)


# --------------------------------------------------------------------------- pillar calls
def _call_propensity(data: pd.DataFrame, *, treated, covariates: list):
    from mirabal_stats.weighting import PropensityWeights

    return PropensityWeights(
        data, group="group", treated=treated, covariates=covariates, estimand="ATT"
    ).fit()


def _call_did(panel, *, level: str, weights, ci_level: float) -> pd.DataFrame:
    from mirabal_stats.frequentist import did as fixed_effects_did

    return fixed_effects_did(panel, level=level, weights=weights, ci_level=ci_level).to_frame(
        scale="pp"
    )


def _call_gee(panel, *, level, correlation, weights, ci_level, scales) -> dict:
    from mirabal_stats.frequentist import indicator_gee

    fit = indicator_gee(
        panel, level=level, correlation=correlation, weights=weights, ci_level=ci_level
    )
    return {scale: fit.to_frame(scale=scale) for scale in scales}


def _call_weighted_effect(data, *, treated, weights, ci_level) -> pd.Series:
    from mirabal_stats.weighting import weighted_effect as pillar_weighted_effect

    fit = pillar_weighted_effect(
        data,
        response="change",
        group="group",
        treated=treated,
        weights=weights,
        ci_level=ci_level,
        se_method="robust",
    )
    return fit.to_frame().iloc[0]


def _call_indicator_model(panel, *, covariates, weights, attrition, fit_options, effects):
    from mirabal_stats.bayes import IndicatorModel

    fit = IndicatorModel(panel, covariates=covariates, weights=weights, attrition=attrition).fit(
        **fit_options
    )
    tables = {
        (level, scale): fit.effects(level=level, scale=scale, ci_level=ci)
        for level, scale, ci in effects
    }
    d = fit.diagnostics_summary
    diagnostics = {
        "rhat_max": float(d.max_r_hat),
        "ess_bulk_min": float(d.min_ess_bulk),
        "divergences": float(d.divergences),
    }
    return tables, diagnostics


def _call_compare_groups(data, *, treated, covariates, weights, ci_level):
    from mirabal_stats.survival import compare_groups

    return compare_groups(
        data,
        group="group",
        treated=treated,
        duration="reoffend_time",
        event="reoffend_event",
        covariates=covariates,
        weights=weights,
        ci_level=ci_level,
        parametric=(),
        ph_alpha=None,
    )


# --------------------------------------------------------------------------- DiD and GEE
def _propensity_for_panel(panel):
    return _call_propensity(
        panel.baseline(), treated=panel.treated, covariates=list(panel.covariate_names)
    )


def _run_did(panel, truth, *, ci_level, random_seed, level, weights):
    w = _propensity_for_panel(panel) if weights == "propensity" else None
    table = _call_did(panel, level=level, weights=w, ci_level=ci_level)
    return _rows(table, level=level, scale="pp", truth=truth, panel=panel)


def did(*, level: str = "overall", weights: str | None = None, name: str | None = None):
    """Fixed-effects difference in differences (:func:`mirabal_stats.frequentist.did`).

    Linear probability model with person and wave effects, cluster-robust by person; effects in
    percentage points.

    Parameters
    ----------
    level : {"indicator", "measure", "overall"}, default "overall"
    weights : {None, "propensity"}
        ``"propensity"``: ATT weights from a logistic propensity model of group membership on
        the baseline covariates, fitted on each replicate (:class:`~mirabal_stats.weighting.
        PropensityWeights`).
    name : str, optional
        Default ``"did(<level>)"`` or ``"did(<level>, propensity)"``.
    """
    _check_choice("level", level, _LEVELS)
    _check_weights(weights)
    default = f"did({level}{', ' + weights if weights else ''})"
    return Analysis(_name(name, default), "did", (("level", level), ("weights", weights)), _run_did)


def _run_gee(panel, truth, *, ci_level, random_seed, level, correlation, weights, scales):
    w = _propensity_for_panel(panel) if weights == "propensity" else None
    tables = _call_gee(
        panel, level=level, correlation=correlation, weights=w, ci_level=ci_level, scales=scales
    )
    return pd.concat(
        [_rows(tables[s], level=level, scale=s, truth=truth, panel=panel) for s in scales],
        ignore_index=True,
    )


def gee(
    *,
    level: str = "overall",
    correlation: str = "exchangeable",
    weights: str | None = None,
    scales: Sequence[str] = ("pp", "log_odds"),
    name: str | None = None,
) -> Analysis:
    """Per-indicator logistic GEE (:func:`mirabal_stats.frequentist.indicator_gee`).

    Population-averaged log odds ratios (``"log_odds"``; attenuated relative to the conditional
    truth when persons differ) and effects on the treated in percentage points (``"pp"``).

    Parameters
    ----------
    level : {"indicator", "measure", "overall"}, default "overall"
    correlation : {"exchangeable", "independence", "ar1"}, default "exchangeable"
    weights : {None, "propensity"}
        As in :func:`did`.
    scales : sequence of {"pp", "log_odds"}
    name : str, optional
    """
    _check_choice("level", level, _LEVELS)
    _check_choice("correlation", correlation, ("exchangeable", "independence", "ar1"))
    _check_weights(weights)
    scales = _check_scales(scales)
    default = f"gee({level}{', ' + weights if weights else ''})"
    options = (
        ("level", level),
        ("correlation", correlation),
        ("weights", weights),
        ("scales", scales),
    )
    return Analysis(_name(name, default), "gee", options, _run_gee)


# --------------------------------------------------------------------------- weighted effect
def _run_weighted_effect(panel, truth, *, ci_level, random_seed, level):
    persons = panel.baseline()
    fit = _propensity_for_panel(panel)
    baseline = panel.waves[0]
    est, se = {}, {}
    for name, members in _groups_of(panel, level).items():
        scores = _person_wave_scores(panel, members)
        post = [w for w in scores.columns if w != baseline]
        change = scores[post].mean(axis=1) - scores[baseline]
        data = persons.merge(
            change.rename("change").dropna().reset_index(), on="person", how="inner"
        )
        row = _call_weighted_effect(data, treated=panel.treated, weights=fit, ci_level=ci_level)
        est[name], se[name] = 100.0 * row["estimate"], 100.0 * row["std_error"]
    return _normal_rows(est, se, level=level, scale="pp", truth=truth, ci_level=ci_level)


def weighted_effect(*, level: str = "overall", name: str | None = None) -> Analysis:
    """Propensity-weighted difference in each woman's change (:func:`~mirabal_stats.weighting.
    weighted_effect`).

    Response: a woman's share of better answers (over the estimand's indicators), averaged over
    the post-baseline waves she answered, minus that share at baseline; ATT weights from a
    logistic propensity model on the baseline covariates (re-fitted per replicate); robust
    (sandwich) standard error, as ``survey::svyglm``. Women with no post-baseline answer are
    left out (complete cases). Percentage points.

    Parameters
    ----------
    level : {"indicator", "measure", "overall"}, default "overall"
    name : str, optional
        Default ``"weighted_effect(<level>)"``.
    """
    _check_choice("level", level, _LEVELS)
    return Analysis(
        _name(name, f"weighted_effect({level})"),
        "weighted_effect",
        (("level", level),),
        _run_weighted_effect,
    )


# --------------------------------------------------------------------------- Bayesian model
def _run_indicator_model(
    panel,
    truth,
    *,
    ci_level,
    random_seed,
    covariates,
    weights,
    attrition,
    draws,
    tune,
    chains,
    levels,
    scales,
    sampler_kwargs,
):
    w = _propensity_for_panel(panel) if weights == "propensity" else None
    cov = list(panel.covariate_names) if covariates is True else (list(covariates or []) or None)
    fit_options = {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "random_seed": random_seed,
        "sampler_kwargs": dict(sampler_kwargs) if sampler_kwargs else None,
    }
    effects = [(level, scale, ci_level) for level in levels for scale in scales]
    tables, diagnostics = _call_indicator_model(
        panel,
        covariates=cov,
        weights=w,
        attrition=attrition,
        fit_options=fit_options,
        effects=effects,
    )
    rows = pd.concat(
        [
            _rows(tables[(level, scale)], level=level, scale=scale, truth=truth, panel=panel)
            for level, scale, _ in effects
        ],
        ignore_index=True,
    )
    for key, value in diagnostics.items():
        rows[key] = value
    return rows


def indicator_model(
    *,
    covariates: bool | Sequence[str] = False,
    weights: str | None = None,
    attrition: str = "mar",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    levels: Sequence[str] = ("indicator", "measure", "overall"),
    scales: Sequence[str] = ("log_odds", "pp"),
    sampler_kwargs: dict | None = None,
    name: str | None = None,
) -> Analysis:
    """The Bayesian indicator model (:class:`~mirabal_stats.bayes.IndicatorModel`).

    Estimate = posterior mean, ``std_error`` = posterior SD, equal-tailed credible interval,
    ``prob_beneficial`` = posterior probability that the effect is beneficial; every row also
    records the fit's ``rhat_max``, ``ess_bulk_min`` and ``divergences``. The sampler's seed is
    drawn from the replicate's seed.

    Parameters
    ----------
    covariates : bool or sequence of str, default False
        ``True``: every baseline covariate of the panel.
    weights : {None, "propensity"}
    attrition : {"mar", "shared"}, default "mar"
    draws, tune, chains : int
        Sampler settings (each chain uses a core: run such studies with
        ``n_workers = cores // chains``).
    levels, scales
        Which effects to record (default: every level, log-odds and pp).
    sampler_kwargs : dict, optional
        Passed to the sampler (e.g. ``{"target_accept": 0.95}``).
    name : str, optional
        Default ``"indicator_model(<attrition>)"`` (``", covariates"`` / ``", propensity"``
        appended when used).
    """
    _check_choice("attrition", attrition, ("mar", "shared"))
    _check_weights(weights)
    for label, value in (("draws", draws), ("tune", tune), ("chains", chains)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise SpecificationError(f"{label} must be a whole number >= 1, got {value!r}.")
    if not isinstance(covariates, bool):
        if isinstance(covariates, str):
            raise SpecificationError(
                f"covariates must be True, False or a list of column names, got the string "
                f"{covariates!r}; write covariates=[{covariates!r}]."
            )
        covariates = tuple(covariates)
    default = (
        f"indicator_model({attrition}"
        + (", covariates" if covariates else "")
        + (", propensity" if weights else "")
        + ")"
    )
    options = (
        ("covariates", covariates),
        ("weights", weights),
        ("attrition", attrition),
        ("draws", int(draws)),
        ("tune", int(tune)),
        ("chains", int(chains)),
        ("levels", _check_levels(levels)),
        ("scales", _check_scales(scales)),
        ("sampler_kwargs", tuple(sorted(dict(sampler_kwargs or {}).items()))),
    )
    return Analysis(_name(name, default), "indicator_model", options, _run_indicator_model)


# --------------------------------------------------------------------------- reoffending
def _survival_data(truth) -> pd.DataFrame:
    return truth.reoffending.drop(columns=["true_time"])


def _survival_covariates(truth, covariates):
    from mirabal_stats.datasets.simulate import COVARIATES

    if covariates is True:
        return list(COVARIATES)
    return list(covariates) if covariates else None


def _survival_weights(truth, weights):
    if weights != "propensity":
        return None
    from mirabal_stats.datasets.simulate import COVARIATES

    return _call_propensity(_survival_data(truth), treated="intervention", covariates=COVARIATES)


def _run_cox(panel, truth, *, ci_level, random_seed, covariates, weights):
    result = _call_compare_groups(
        _survival_data(truth),
        treated="intervention",
        covariates=_survival_covariates(truth, covariates),
        weights=_survival_weights(truth, weights),
        ci_level=ci_level,
    )
    table = result.cox.hazard_ratio(ci_level=ci_level)
    row = table.loc[getattr(result.cox, "group_term", table.index[0])]
    return pd.DataFrame(
        {
            "level": ["reoffending"],
            "estimand": ["reoffending"],
            "scale": ["log_hr"],
            "estimate": [np.log(row["estimate"])],
            "std_error": [row["std_error"]],
            "lower": [np.log(row["lower"])],
            "upper": [np.log(row["upper"])],
            "p_value": [row.get("p_value", np.nan)],
            "truth": [np.log(truth.reoffending_hazard_ratio)],
        }
    )


def cox(
    *,
    covariates: bool | Sequence[str] = False,
    weights: str | None = None,
    name: str | None = None,
) -> Analysis:
    """Cox hazard ratio of reoffending (police records, 15 months), log scale.

    :func:`~mirabal_stats.survival.compare_groups` (Efron ties). The truth is the generating
    hazard ratio, conditional on the latent severity: a Cox model that cannot condition on it
    estimates a marginal hazard ratio closer to 1 (non-collapsibility).

    Parameters
    ----------
    covariates : bool or sequence of str, default False
        ``True``: the six baseline covariates.
    weights : {None, "propensity"}
    name : str, optional
    """
    _check_weights(weights)
    if not isinstance(covariates, bool):
        covariates = tuple(covariates)
    default = (
        "cox("
        + ", ".join(
            [s for s in ("covariates" if covariates else "", weights or "") if s] or ["unadjusted"]
        )
        + ")"
    )
    options = (("covariates", covariates), ("weights", weights))
    return Analysis(_name(name, default), "cox", options, _run_cox)


def rmst_truth(truth, tau: float) -> float:
    """True difference in restricted mean months without reoffending up to ``tau``: the
    intervention group with and without the programme (``truth.reoffending_survival``)."""
    curves = truth.reoffending_survival
    grid = np.linspace(0.0, tau, 2001)
    months = np.r_[0.0, curves.index.to_numpy(dtype=float)]
    treated = np.interp(grid, months, np.r_[1.0, curves["treated"].to_numpy()])
    untreated = np.interp(grid, months, np.r_[1.0, curves["untreated_counterfactual"].to_numpy()])
    return float(np.trapezoid(treated - untreated, grid))


def _run_rmst(panel, truth, *, ci_level, random_seed, tau, weights):
    result = _call_compare_groups(
        _survival_data(truth),
        treated="intervention",
        covariates=None,
        weights=_survival_weights(truth, weights),
        ci_level=ci_level,
    )
    row = result.rmst_difference(tau=tau, ci_level=ci_level).iloc[0]
    return pd.DataFrame(
        {
            "level": ["reoffending"],
            "estimand": ["reoffending"],
            "scale": ["rmst"],
            "estimate": [row["estimate"]],
            "std_error": [row["std_error"]],
            "lower": [row["lower"]],
            "upper": [row["upper"]],
            "p_value": [row.get("p_value", np.nan)],
            "truth": [rmst_truth(truth, tau)],
        }
    )


def rmst(*, tau: float = 12.0, weights: str | None = None, name: str | None = None) -> Analysis:
    """Difference in restricted mean months without reoffending up to ``tau`` (Kaplan-Meier).

    Parameters
    ----------
    tau : float, default 12.0
        Horizon in months (at most 15, the end of follow-up).
    weights : {None, "propensity"}
    name : str, optional
    """
    _check_weights(weights)
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not 0 < tau <= 15:
        raise SpecificationError(
            f"tau must be a number of months in (0, 15] (follow-up ends at 15), got {tau!r}."
        )
    default = f"rmst(tau={tau:g}{', ' + weights if weights else ''})"
    options = (("tau", float(tau)), ("weights", weights))
    return Analysis(_name(name, default), "rmst", options, _run_rmst)


# --------------------------------------------------------------------------- custom
def custom(function: Callable, *, name: str) -> Analysis:
    """An analysis of your own.

    ``function(panel, truth, *, ci_level, random_seed)`` returns a DataFrame with the columns
    ``level, estimand, scale, estimate, std_error, lower, upper, truth`` (``p_value`` and extra
    columns optional), one row per estimand. Define it at module level (not a lambda) so that
    it can be sent to the workers of a cluster.
    """
    if not callable(function):
        raise SpecificationError(f"custom analysis {name!r}: function must be callable.")
    return Analysis(_name(name, name), "custom", (), function)


def check_analyses(analyses: object) -> tuple[Analysis, ...]:
    """One Analysis or a sequence of them, with distinct names."""
    if isinstance(analyses, Analysis):
        analyses = (analyses,)
    if isinstance(analyses, (str, bytes)) or not isinstance(analyses, Sequence):
        raise SpecificationError(
            "analyses must be an Analysis or a list of them, e.g. [analyses.did(level="
            f"'overall'), analyses.naive()], got {analyses!r}."
        )
    analyses = tuple(analyses)
    bad = [a for a in analyses if not isinstance(a, Analysis)]
    if bad or not analyses:
        raise SpecificationError(
            "analyses must be Analysis objects built by mirabal_stats.studies.analyses "
            f"(did, gee, naive, ...), got {bad or analyses!r}."
        )
    names = Counter(a.name for a in analyses)
    twice = [n for n, c in names.items() if c > 1]
    if twice:
        raise SpecificationError(
            f"analysis names must be distinct, {twice} appear more than once; pass name=... to "
            "tell them apart."
        )
    return analyses


def check_study_ci_level(ci_level: float) -> float:
    """``ci_level`` of a study (strictly between 0 and 1)."""
    return check_ci_level(ci_level)
