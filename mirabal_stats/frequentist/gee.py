"""Population-averaged GEE: on a long DataFrame with a formula, and per indicator / measure on an
IndicatorPanel (odds ratios and percentage-point effects)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from formulaic import Formula
from scipy.special import expit

from mirabal_stats._results import check_ci_level, make_provenance, normal_table
from mirabal_stats.data.persons import check_id_types, plain_value, require_columns
from mirabal_stats.exceptions import (
    EstimabilityWarning,
    EstimationError,
    RowsExcludedWarning,
    SeparationWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.frequentist._design import (
    analysis_frame,
    check_clusters,
    check_comparison_waves,
    contrast_rows,
    level_groups,
    named,
    resolve_level,
)
from mirabal_stats.frequentist._statsmodels_gee import (
    CORRELATIONS,
    FAMILIES,
    fit_gee,
    fit_gee_formula,
    separated_terms,
)
from mirabal_stats.frequentist.results import PanelEffects
from mirabal_stats.weighting.analysis_weights import Weights, check_weight_values

__all__ = ["gee", "indicator_gee"]

_GEE_REFERENCES = """
    Liang, K.-Y. & Zeger, S.L. (1986). Longitudinal data analysis using generalized linear
    models. *Biometrika* 73:13-22. doi:10.1093/biomet/73.1.13
    Halekoh, U., Højsgaard, S. & Yan, J. (2006). The R package geepack for generalized
    estimating equations. *J Statistical Software* 15(2). doi:10.18637/jss.v015.i02"""

_PROJECTED_NOTE = (
    "For some persons the estimated working correlation (alpha = {alpha:.3g}) is not a valid "
    "correlation matrix for their number of answers; statsmodels used the nearest valid one. "
    "This costs efficiency only: the estimates stay consistent and the robust standard errors "
    "valid (correlation='independence' avoids it)."
)


def gee(
    data: pd.DataFrame,
    *,
    formula: str,
    person: str,
    wave: str | None = None,
    family: str = "binomial",
    correlation: str = "exchangeable",
    weights: object = None,
    ci_level: float = 0.95,
) -> PanelEffects:
    """Population-averaged GLM by generalised estimating equations, with robust standard errors.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per person and occasion.
    formula : str
        Model formula, e.g. ``"y ~ trt * time"`` (patsy syntax, as in statsmodels). The
        response must be numeric: 0/1 (or a proportion in [0, 1]) for ``"binomial"``, a count
        for ``"poisson"``.
    person : str
        Column identifying the cluster (person). Ids may be numbers or text, but not the same
        id written both ways (``7`` and ``"7"``).
    wave : str, optional
        Column with the occasion number (numeric). Rows are ordered by it within person, and
        for ``"ar1"`` the lag between two answers is the difference in ``wave`` (a missed
        occasion counts). Without it, the row order within person is used.
    family : {"binomial", "gaussian", "poisson"}, default "binomial"
        Logit, identity and log links respectively.
    correlation : {"exchangeable", "independence", "ar1"}, default "exchangeable"
        Working correlation within a person; estimated with geepack's moment estimators, so
        results match R ``geepack::geeglm``. The robust standard errors are valid whichever
        is chosen.
    weights : str, Weights, fitted weighting result or Series, optional
        A column of ``data`` with positive observation weights, or anything
        :class:`~mirabal_stats.weighting.Weights` accepts (person weights, or (person, wave)
        weights, which need ``wave=``), looked up by label at every row. Weights enter the
        estimating equations, not the working correlation.
    ci_level : float, default 0.95

    Returns
    -------
    PanelEffects
        One row per term on the ``"coef"`` (link) scale; for the binomial family also
        ``"odds_ratio"``. Standard errors are the robust (sandwich) ones.

    Raises
    ------
    SpecificationError
        A missing column, a response outside the family's range (e.g. 2 in a binomial model),
        text in ``wave``, ids written both as numbers and text, an unknown option.
    EstimationError
        The model cannot be fitted to these data: separation (some terms' estimates are
        infinite; they are named), a singular design, fewer than two persons, a diverging fit.
    WeightingError
        A row without a valid weight.

    Warns
    -----
    RowsExcludedWarning
        Rows with a missing value in a model column were dropped (count given).
    FewClustersWarning
        Fewer than 30 persons.
    ConvergenceWarning
        The fit did not converge.

    References
    ----------
    {refs}

    Examples
    --------
    >>> from mirabal_stats import frequentist
    >>> from mirabal_stats.datasets import load_toenail
    >>> fit = frequentist.gee(load_toenail(), formula="y ~ trt * time", person="patient")
    >>> round(float(fit.to_frame().loc["trt:time", "estimate"]), 3)
    -0.078
    """
    ci_level = check_ci_level(ci_level)
    if correlation not in CORRELATIONS:
        raise SpecificationError(
            f"correlation={correlation!r} is not supported; use one of "
            f"{', '.join(map(repr, CORRELATIONS))}."
        )
    if family not in FAMILIES:
        raise SpecificationError(
            f"family={family!r} is not supported; use one of {', '.join(map(repr, FAMILIES))}."
        )
    weights_column = weights if isinstance(weights, str) else None
    require_columns(data, {"person": person, "wave": wave, "weights": weights_column}, source="gee")
    used, response = _formula_columns(formula, data)
    extra = [c for c in (person, wave) if c is not None]
    columns = list(dict.fromkeys([*used, *extra]))
    frame = data[columns]
    complete = frame.notna().all(axis=1)
    if not complete.all():
        n_bad = int((~complete).sum())
        bad_cols = [c for c in columns if frame[c].isna().any()]
        warnings.warn(
            f"{n_bad} of {len(data)} rows have a missing value in {bad_cols} and were left out of "
            "the GEE (complete-case analysis; under dropout this assumes data missing "
            "completely at random unless weights correct for it).",
            RowsExcludedWarning,
            stacklevel=2,
        )
    frame = frame[complete].copy()
    if weights_column is not None:
        frame["__weight"] = data[weights_column].to_numpy()[complete.to_numpy()]
    if frame.empty:
        raise SpecificationError(
            f"no row of the data has every model column ({columns}) filled in; nothing to fit."
        )
    check_id_types(frame[person], column=person, error=SpecificationError)
    if response is not None:
        _check_response(frame[response], column=response, family=family)
    _check_numbers(frame, [c for c in used if c != response])
    # The occasion as numbers (the column itself is left as it is: a formula may use C(wave)).
    occasion = None if wave is None else _numeric_wave(frame[wave], column=wave).to_numpy()
    # Persons are ordered by first appearance, as integer codes: ids of mixed types (numbers and
    # text) cannot be sorted, and statsmodels needs rows grouped by person.
    codes = pd.factorize(frame[person])[0]
    order = np.lexsort((np.arange(len(frame)), *(() if wave is None else (occasion,)), codes))
    frame = frame.iloc[order].reset_index(drop=True)
    codes = codes[order]
    if wave is not None:
        time = occasion[order]
    else:
        time = frame.groupby(codes, sort=False).cumcount().to_numpy(dtype=float)
    n_persons = int(pd.unique(codes).size)
    if n_persons < 2:
        raise EstimationError(
            f"the data hold {n_persons} person(s) in column {person!r}; robust (sandwich) "
            "standard errors need at least two persons (in practice 30 or more)."
        )
    check_clusters(n_persons, what="The data", stacklevel=3)
    row_weights = _formula_weights(weights, frame, person=person, wave=wave)
    fit = fit_gee_formula(
        formula,
        frame,
        groups=codes,
        time=time,
        family=family,
        correlation=correlation,
        weights=row_weights,
        what=f"formula {formula!r}",
    )
    se = np.sqrt(np.diag(fit.cov.to_numpy()))
    table = normal_table(
        fit.params.to_numpy(), se, index=pd.Index(fit.params.index, name="term"), ci_level=ci_level
    )
    table["n_persons"] = n_persons
    table["n_obs"] = fit.n_obs
    tables = {"coef": table}
    if family == "binomial":
        tables["odds_ratio"] = _odds_ratio_table(table)
    settings = {
        "formula": formula,
        "person": person,
        "wave": wave,
        "weights": weights_column if weights_column is not None else weights is not None,
        "family": family,
        "correlation": correlation,
        "ci_level": ci_level,
        "std_error_type": "robust (sandwich), no small-sample correction, as geepack",
    }
    notes = [f"Working correlation ({correlation}): alpha = {fit.dependence:.4f}."]
    if fit.projected:
        notes.append(_PROJECTED_NOTE.format(alpha=fit.dependence))
    return PanelEffects(
        method="gee",
        level="term",
        scale="coef",
        tables=tables,
        covariances={"coef": fit.cov},
        provenance=make_provenance(data=frame, settings=settings),
        settings={**settings, "dependence": fit.dependence, "converged": fit.converged},
        notes=tuple(notes),
    )


gee.__doc__ = gee.__doc__.replace("{refs}", _GEE_REFERENCES.strip())

_FORMULA_HELPERS = {"np", "C", "Treatment", "Sum", "I", "Q", "center", "scale", "standardize"}


def _formula_columns(formula: str, data: pd.DataFrame) -> tuple[list, str | None]:
    """The data columns a formula uses, and its response column (None for an expression)."""
    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(
            f"formula must be a string like 'y ~ trt * time', got {formula!r}."
        )
    try:
        parsed = Formula(formula)
        required = parsed.required_variables
        lhs = {getattr(v, "name", str(v)) for v in parsed.lhs.required_variables}
    except Exception as error:  # formulaic raises several parser error types
        raise SpecificationError(f"cannot parse formula {formula!r}: {error}") from error
    names = {getattr(v, "name", str(v)) for v in required}
    missing = sorted(n for n in names if n not in data.columns and n not in _FORMULA_HELPERS)
    if missing:
        raise SpecificationError(
            f"formula {formula!r} uses column(s) {missing} that are not in the data"
            f"; columns are {list(data.columns)[:12]}."
        )
    left = formula.split("~", 1)[0].strip()
    response = left if left in data.columns and left in lhs else None
    return [c for c in data.columns if c in names], response


_RANGES = {
    "binomial": (0.0, 1.0, "0/1 (or a proportion between 0 and 1)"),
    "poisson": (0.0, np.inf, "a count (0 or more)"),
    "gaussian": (-np.inf, np.inf, "a number"),
}


def _check_response(values: pd.Series, *, column: str, family: str) -> None:
    """The response must be numeric and inside the family's range (issue 14, family 21)."""
    low, high, what = _RANGES[family]
    if values.dtype == bool or str(values.dtype) == "boolean":
        return
    numbers = pd.to_numeric(values, errors="coerce")
    text = numbers.isna() & values.notna()
    if text.any():
        raise SpecificationError(
            f"response column {column!r} must hold numbers ({what}) for family={family!r}, but "
            f"{int(text.sum())} row(s) hold text, e.g. {plain_value(values[text].iloc[0])!r}. "
            f"Recode it, e.g. data[{column!r}] = data[{column!r}].map({{'yes': 1, 'no': 0}})."
        )
    outside = (numbers < low) | (numbers > high) | ~np.isfinite(numbers.to_numpy(dtype=float))
    if outside.any():
        raise SpecificationError(
            f"response column {column!r} must be {what} for family={family!r}, but "
            f"{int(outside.sum())} row(s) are not, e.g. {plain_value(numbers[outside].iloc[0])!r}"
            f" in row {plain_value(values.index[outside][0])!r}. Recode those values, or choose "
            "another family."
        )


def _check_numbers(frame: pd.DataFrame, columns: list) -> None:
    for column in columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            bad = ~np.isfinite(values.to_numpy(dtype=float))
            if bad.any():
                raise SpecificationError(
                    f"column {column!r} holds {int(bad.sum())} infinite value(s), e.g. in row "
                    f"{plain_value(values.index[bad][0])!r}. Replace or drop them."
                )


def _numeric_wave(values: pd.Series, *, column: str) -> pd.Series:
    """The wave column as numbers (issue 14, family 25: text waves named, not a numpy error)."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    numbers = pd.to_numeric(values, errors="coerce")
    text = numbers.isna() & values.notna()
    if text.any():
        raise SpecificationError(
            f"wave={column!r}: the occasion column must hold numbers (1, 2, 3 ...), but "
            f"{int(text.sum())} row(s) hold text, e.g. {plain_value(values[text].iloc[0])!r}. "
            f"Code the occasions as numbers, e.g. data[{column!r}].map({{'baseline': 0, "
            "'follow-up': 1}), or leave wave= out to use the row order within person."
        )
    if not np.all(np.isfinite(numbers.to_numpy(dtype=float))):
        raise SpecificationError(f"wave={column!r}: the occasion column holds infinite values.")
    return numbers.astype(float)


def _formula_weights(weights, frame: pd.DataFrame, *, person: str, wave: str | None):
    """Row weights of the formula GEE: a column, or a Weights value looked up by label."""
    if weights is None:
        return None
    if isinstance(weights, str):
        values = pd.to_numeric(frame["__weight"], errors="coerce")
        text = values.isna() & frame["__weight"].notna()
        if text.any():
            raise WeightingError(
                f"weights column {weights!r} must hold numbers, but {int(text.sum())} row(s) "
                f"hold text, e.g. {plain_value(frame['__weight'][text].iloc[0])!r}."
            )
        values = values.to_numpy(dtype=float)
        check_weight_values(
            values,
            pd.Index(frame[person]),
            None if wave is None else frame[wave].to_numpy(),
            where="the GEE rows",
            what=f"weights column {weights!r}",
        )
        return values
    value = Weights(weights)
    if value.by_wave and wave is None:
        raise SpecificationError(
            "these weights differ between waves (they are indexed by person and wave), so the "
            "GEE needs wave= to look them up; pass wave='<occasion column>'."
        )
    return value.at_answers(
        frame[person],
        frame[wave] if wave is not None else np.zeros(len(frame)),
        where="the GEE rows",
    )


def _odds_ratio_table(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    # Under (quasi-)separation a log odds ratio of several hundred is the honest fit; its odds
    # ratio is inf, and the separation check has already warned about it.
    with np.errstate(over="ignore"):
        out["estimate"] = np.exp(table["estimate"])
        # Delta method for the SE; the interval is the exponentiated log-scale interval.
        out["std_error"] = out["estimate"] * table["std_error"]
        out["lower"] = np.exp(table["lower"])
        out["upper"] = np.exp(table["upper"])
    return out


def indicator_gee(
    panel: object,
    *,
    level: str = "indicator",
    correlation: str = "exchangeable",
    weights: object = None,
    baseline_wave: object = None,
    ci_level: float = 0.95,
) -> PanelEffects:
    """Population-averaged logistic GEE of each indicator, with odds ratios and pp effects.

    For each indicator ``k`` the marginal model is::

        logit P(y_ikt = 1) = c_k + g_k * treated_i + l_kt + beta_k * treated_i * post_t

    fitted by GEE clustered by person with robust standard errors. ``exp(beta_k)`` is the
    population-averaged odds ratio of the programme; the percentage-point effect is the average
    effect on the treated, ``100 * mean over treated post answers of [expit(eta) - expit(eta -
    beta_k)]``, with a delta-method standard error (weighted means when weights are given).
    Measure and overall effects are the means of the indicator effects oriented so that positive
    is beneficial (log odds ratios and pp; :func:`~mirabal_stats.data.beneficial_contrasts`),
    with standard errors from the joint sandwich of the indicators' estimating equations, summed
    person by person (so answers of the same woman to different indicators are allowed to be
    correlated).

    An indicator whose effect the data cannot estimate is reported as NaN, named in a warning
    with the reason, and left out of measure and overall means; the others are estimated. This
    happens when its answers never vary, when the design does not identify the effect (e.g. no
    intervention-group answers after baseline), when the answers are separated so that the odds
    ratio is infinite (e.g. the intervention group answered "yes" every time at baseline:
    detected with the linear programme of Konis 2007, as R's ``detectseparation`` does), or when
    the GEE fit itself fails.

    Parameters
    ----------
    panel : IndicatorPanel
    level : {"indicator", "measure", "overall"}
    correlation : {"exchangeable", "independence", "ar1"}, default "exchangeable"
        Working correlation over waves within person (AR(1) in wave distance).
    weights : Weights, fitted weighting result or Series, optional
        As in :func:`~mirabal_stats.frequentist.did` (person and/or person x wave weights, looked
        up by label; ``w1 * w2`` multiplies).
    baseline_wave : wave label, optional
        Last pre-programme wave (default: the first wave).
    ci_level : float, default 0.95

    Returns
    -------
    PanelEffects
        Scales ``"pp"`` (default), ``"log_odds"`` and ``"odds_ratio"``.

    Raises
    ------
    EstimationError
        No indicator's effect can be estimated (the reasons are given).

    Warns
    -----
    SeparationWarning
        The odds ratio of an indicator is infinite (separation); the indicator is named with
        the group and wave whose answers are all "yes" or all "no".
    EstimabilityWarning
        An indicator with a single answer value overall, an effect the design does not identify,
        or a failed fit (named, with the reason).
    ConvergenceWarning
        An indicator's GEE did not converge (named).
    FewClustersWarning, DataWarning
        As in :func:`~mirabal_stats.frequentist.did`.

    References
    ----------
    {refs}
    Robins, J.M., Rotnitzky, A. & Zhao, L.P. (1995). Analysis of semiparametric regression
    models for repeated outcomes in the presence of missing data. *JASA* 90:106-121.
    doi:10.1080/01621459.1995.10476493
    Konis, K. (2007). *Linear programming algorithms for detecting separated data in binary
    logistic regression models*. DPhil thesis, University of Oxford.

    Examples
    --------
    >>> from mirabal_stats import frequentist
    >>> from mirabal_stats.datasets import simulate_mirabal
    >>> survey, truth = simulate_mirabal(random_seed=1)
    >>> fit = frequentist.indicator_gee(survey, level="overall")
    >>> fit.scales
    ('pp', 'log_odds', 'odds_ratio')
    """
    level = resolve_level(level)
    ci_level = check_ci_level(ci_level)
    if correlation not in CORRELATIONS:
        raise SpecificationError(
            f"correlation={correlation!r} is not supported; use one of "
            f"{', '.join(map(repr, CORRELATIONS))}."
        )
    frame = analysis_frame(panel, baseline_wave=baseline_wave, weights=weights)
    check_comparison_waves(frame, stacklevel=3)
    check_clusters(frame["person"].nunique(), what="The panel", stacklevel=3)
    persons = pd.Index(pd.unique(frame["person_code"]))
    weighted = weights is not None

    estimates, influence = {}, {}
    constant, not_identified, separated, failed, projected = [], {}, {}, {}, []
    for k in panel.indicators:
        sub = frame[frame["indicator"] == k]
        if sub["response"].nunique() < 2:
            constant.append(k)
            continue
        exog = _indicator_design(sub, frame.attrs)
        if np.linalg.matrix_rank(exog.to_numpy()) < exog.shape[1]:
            not_identified[k] = _why_gee_not_identified(sub)
            continue
        if separated_terms(exog, sub["response"].to_numpy(), among=["effect"]):
            separated[k] = _separated_cells(sub, frame.attrs)
            continue
        try:
            est, infl, fit = _fit_indicator(sub, exog, persons, correlation, weighted, k)
        except EstimationError as err:
            failed[k] = str(err)
            continue
        if not np.all(np.isfinite(infl)) or not np.all(np.isfinite(est)):
            failed[k] = "its estimates or their robust variance are not finite"
            continue
        estimates[k], influence[k] = est, infl
        if fit.projected:
            projected.append(k)
    _warn_dropped(constant, not_identified, separated, failed)

    tables, covariances = {}, {}
    groups = level_groups(panel, level)
    for s, scale in enumerate(("log_odds", "pp")):
        names, est_rows, infl_rows, n_rows = [], [], [], []
        for name, members in groups:
            usable = [k for k in members if k in estimates]
            names.append(name)
            member_frame = frame[frame["indicator"].isin(members)]
            n_rows.append((member_frame["person_code"].nunique(), len(member_frame)))
            if not usable:
                est_rows.append(np.nan)
                infl_rows.append(np.full(len(persons), np.nan))
                continue
            weight = contrast_rows(panel, level, usable).loc[name]
            est_rows.append(sum(weight[k] * estimates[k][s] for k in usable))
            infl_rows.append(sum(weight[k] * influence[k][:, s] for k in usable))
        infl = np.vstack(infl_rows)
        cov = infl @ infl.T
        index = pd.Index(names, name=level)
        table = normal_table(est_rows, np.sqrt(np.diag(cov)), index=index, ci_level=ci_level)
        table["n_persons"] = [n[0] for n in n_rows]
        table["n_obs"] = [n[1] for n in n_rows]
        if level == "indicator":
            table["measure"] = panel.indicator_measures.reindex(index).to_numpy()
            table["benefit_sign"] = panel.benefit_sign.reindex(index).to_numpy()
        tables[scale] = table
        covariances[scale] = pd.DataFrame(cov, index=index, columns=index)
    if not estimates:
        reasons = [
            *(["no indicator's answers vary"] if constant else []),
            *list(not_identified.values())[:1],
            *[f"{plain_value(k)!r}: {v}" for k, v in list(separated.items())[:1]],
            *list(failed.values())[:1],
        ]
        raise EstimationError(
            "no indicator's GEE effect can be estimated from this panel ("
            + "; ".join(reasons)
            + "). The GEE needs, for at least one indicator, answers of both values in the "
            "intervention and the comparison group before and after the baseline wave; the "
            "fixed-effects DiD (frequentist.did) or the Bayesian model may still estimate it."
        )
    tables = {
        "pp": tables["pp"],
        "log_odds": tables["log_odds"],
        "odds_ratio": _odds_ratio_table(tables["log_odds"]),
    }
    settings = {
        "level": level,
        "correlation": correlation,
        "baseline_wave": frame.attrs["waves"][frame.attrs["baseline_code"]],
        "weighted": weighted,
        "ci_level": ci_level,
        "std_error_type": "robust (sandwich) by person, joint across indicators",
    }
    notes = []
    if separated:
        notes.append(f"Separated (odds ratio not estimable): {named(list(separated))}.")
    if constant:
        notes.append(f"No variation (not estimable): {named(constant)}.")
    if not_identified or failed:
        notes.append(f"Not estimable: {named([*not_identified, *failed])}.")
    if projected:
        notes.append(
            f"Indicators {named(projected)}: the working correlation is not a valid correlation "
            "matrix for some persons; statsmodels used the nearest valid one (efficiency only; "
            "robust standard errors stay valid)."
        )
    return PanelEffects(
        method="gee",
        level=level,
        scale="pp",
        tables=tables,
        covariances=covariances,
        provenance=make_provenance(
            data=frame[["person_code", "wave_code", "indicator", "response", "weight"]],
            settings=settings,
        ),
        settings=settings,
        notes=tuple(notes),
    )


indicator_gee.__doc__ = indicator_gee.__doc__.replace("{refs}", _GEE_REFERENCES.strip())


def _warn_dropped(constant: list, not_identified: dict, separated: dict, failed: dict) -> None:
    if constant:
        warnings.warn(
            f"{len(constant)} indicator(s) have the same answer for everybody at every wave: "
            f"{named(constant)}; no effect can be estimated and they are reported as NaN.",
            EstimabilityWarning,
            stacklevel=3,
        )
    if not_identified:
        text = "; ".join(f"{plain_value(k)!r}: {v}" for k, v in list(not_identified.items())[:10])
        warnings.warn(
            f"{len(not_identified)} indicator(s) have an effect the GEE design does not identify "
            f"({text}); they are reported as NaN and left out of measure and overall averages.",
            EstimabilityWarning,
            stacklevel=3,
        )
    if separated:
        text = "; ".join(f"{plain_value(k)!r}: {v}" for k, v in list(separated.items())[:10])
        warnings.warn(
            f"{len(separated)} indicator(s) are separated, so their odds ratio is infinite "
            f"({text}). They are reported as NaN and left out of measure and overall averages. "
            "The fixed-effects DiD (linear probability) and the Bayesian model (whose priors keep "
            "such effects finite) still estimate them.",
            SeparationWarning,
            stacklevel=3,
        )
    if failed:
        text = "; ".join(f"{plain_value(k)!r}: {v}" for k, v in list(failed.items())[:3])
        warnings.warn(
            f"the GEE could not be fitted for {len(failed)} indicator(s): {named(list(failed))}. "
            f"They are reported as NaN and left out of averages. {text}",
            EstimabilityWarning,
            stacklevel=3,
        )


def _indicator_design(sub: pd.DataFrame, attrs) -> pd.DataFrame:
    """``const, treated, wave_<w>`` (waves present but the first), ``effect`` = treated x post."""
    n_waves = len(attrs["waves"])
    wave_code = sub["wave_code"].to_numpy()
    present = [w for w in range(1, n_waves) if np.any(wave_code == w)]
    if not np.any(wave_code == 0):
        present = present[1:]
    design = {"const": np.ones(len(sub)), "treated": sub["treated"].to_numpy(dtype=float)}
    for w in present:
        design[f"wave_{w}"] = (wave_code == w).astype(float)
    design["effect"] = (sub["treated"] * sub["post"]).to_numpy(dtype=float)
    return pd.DataFrame(design)


def _why_gee_not_identified(sub: pd.DataFrame) -> str:
    treated = sub["treated"].to_numpy() == 1
    post = sub["post"].to_numpy() == 1
    for mask, text in (
        (treated & post, "no intervention-group answers after the baseline wave"),
        (~treated & post, "no comparison-group answers after the baseline wave"),
        (treated & ~post, "no intervention-group answers at or before the baseline wave"),
        (~treated & ~post, "no comparison-group answers at or before the baseline wave"),
    ):
        if not mask.any():
            return text
    return "the effect is a combination of the group and wave terms on these answers"


def _separated_cells(sub: pd.DataFrame, attrs) -> str:
    """The group x wave cells whose answers are all "yes" or all "no", in words."""
    waves = attrs["waves"]
    cells = []
    for (treated, code), answers in sub.groupby(["treated", "wave_code"])["response"]:
        if answers.nunique() == 1:
            group = "intervention" if treated == 1 else "comparison"
            value = '"yes"' if answers.iloc[0] == 1 else '"no"'
            cells.append(
                f"every {group}-group answer at wave {plain_value(waves[code])!r} is {value}"
            )
    return ", ".join(cells[:3]) or "its answers are perfectly predicted by group and wave"


def _fit_indicator(sub, exog, persons, correlation, weighted, indicator):
    """GEE of one indicator: (log OR, pp) estimates and per-person influence (n_persons x 2)."""
    weights = sub["weight"].to_numpy() if weighted else None
    fit = fit_gee(
        sub["response"].to_numpy(),
        exog,
        groups=sub["person_code"].to_numpy(),
        time=sub["wave_code"].to_numpy(),
        family="binomial",
        correlation=correlation,
        weights=weights,
        what=f"indicator {plain_value(indicator)!r}",
    )
    beta = fit.params.to_numpy()
    x = exog.to_numpy()
    target = (sub["treated"].to_numpy() == 1) & (sub["post"].to_numpy() == 1)
    w = np.ones(len(sub)) if weights is None else weights
    w_t = w[target] / w[target].sum()
    eta1 = x[target] @ beta
    j = exog.columns.get_loc("effect")
    eta0 = eta1 - beta[j]
    p1, p0 = expit(eta1), expit(eta0)
    pp = 100.0 * float(w_t @ (p1 - p0))
    # Gradient of the pp effect in beta (the effect column is 1 in every target row, so
    # its derivative of eta0 is 0).
    x0 = x[target].copy()
    x0[:, j] = 0.0
    grad = 100.0 * (w_t @ ((p1 * (1 - p1))[:, None] * x[target] - (p0 * (1 - p0))[:, None] * x0))
    person_scores = pd.DataFrame(fit.scores, index=fit.clusters)
    aligned = person_scores.reindex(persons).fillna(0.0).to_numpy()
    influence = np.column_stack([aligned[:, j], aligned @ grad])
    return (beta[j], pp), influence, fit
