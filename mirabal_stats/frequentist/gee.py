"""Population-averaged GEE: on a long DataFrame with a formula, and per indicator / measure on an
IndicatorPanel (odds ratios and percentage-point effects)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from formulaic import Formula
from scipy.special import expit

from mirabal_stats._results import check_ci_level, make_provenance, normal_table
from mirabal_stats.exceptions import (
    EstimabilityWarning,
    RowsExcludedWarning,
    SeparationWarning,
    SpecificationError,
)
from mirabal_stats.frequentist._design import (
    analysis_frame,
    check_clusters,
    check_comparison_waves,
    resolve_level,
)
from mirabal_stats.frequentist._statsmodels_gee import (
    CORRELATIONS,
    FAMILIES,
    fit_gee,
    fit_gee_formula,
)
from mirabal_stats.frequentist.results import PanelEffects

__all__ = ["gee", "indicator_gee"]

_GEE_REFERENCES = """
    Liang, K.-Y. & Zeger, S.L. (1986). Longitudinal data analysis using generalized linear
    models. *Biometrika* 73:13-22. doi:10.1093/biomet/73.1.13
    Halekoh, U., Højsgaard, S. & Yan, J. (2006). The R package geepack for generalized
    estimating equations. *J Statistical Software* 15(2). doi:10.18637/jss.v015.i02"""


def gee(
    df: pd.DataFrame,
    formula: str,
    *,
    person: str,
    family: str = "binomial",
    correlation: str = "exchangeable",
    wave: str | None = None,
    weights: str | None = None,
    ci_level: float = 0.95,
) -> PanelEffects:
    """Population-averaged GLM by generalised estimating equations, with robust standard errors.

    Parameters
    ----------
    df : pandas.DataFrame
        Long data: one row per person and occasion.
    formula : str
        Model formula, e.g. ``"y ~ trt * time"`` (patsy syntax, as in statsmodels).
    person : str
        Column identifying the cluster (person).
    family : {"binomial", "gaussian", "poisson"}, default "binomial"
        Logit, identity and log links respectively.
    correlation : {"exchangeable", "independence", "ar1"}, default "exchangeable"
        Working correlation within a person; estimated with geepack's moment estimators, so
        results match R ``geepack::geeglm``. The robust standard errors are valid whichever
        is chosen.
    wave : str, optional
        Column with the occasion number (integer-valued). Rows are ordered by it within person,
        and for ``"ar1"`` the lag between two answers is the difference in ``wave`` (a missed
        occasion counts). Without it, the row order within person is used.
    weights : str, optional
        Column of positive observation weights (e.g. propensity x inverse probability of
        response); enter the estimating equations, not the working correlation.
    ci_level : float, default 0.95

    Returns
    -------
    PanelEffects
        One row per term on the ``"coef"`` (link) scale; for the binomial family also
        ``"odds_ratio"``. Standard errors are the robust (sandwich) ones.

    Warns
    -----
    RowsExcludedWarning
        Rows with a missing value in a model column were dropped (count given).
    FewClustersWarning
        Fewer than 30 persons.

    References
    ----------
    {refs}

    Examples
    --------
    >>> from mirabal_stats import frequentist
    >>> from mirabal_stats.datasets import load_toenail
    >>> fit = frequentist.gee(load_toenail(), "y ~ trt * time", person="patient")
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
    if not isinstance(df, pd.DataFrame):
        raise SpecificationError(f"df must be a pandas DataFrame, got {type(df).__name__}.")
    used = _formula_columns(formula, df)
    extra = [c for c in (person, wave, weights) if c is not None]
    absent = [c for c in extra if c not in df.columns]
    if absent:
        raise SpecificationError(
            f"column(s) {absent} not in the data; columns are {list(df.columns)[:12]}."
        )
    columns = list(dict.fromkeys([*used, *extra]))
    data = df[columns]
    complete = data.notna().all(axis=1)
    if not complete.all():
        n_bad = int((~complete).sum())
        bad_cols = [c for c in columns if data[c].isna().any()]
        warnings.warn(
            f"{n_bad} of {len(df)} rows have a missing value in {bad_cols} and were left out of "
            "the GEE (complete-case analysis; under dropout this assumes data missing "
            "completely at random unless weights correct for it).",
            RowsExcludedWarning,
            stacklevel=2,
        )
        data = data[complete]
    if weights is not None and (data[weights] <= 0).any():
        raise SpecificationError(
            f"column {weights!r} has {int((data[weights] <= 0).sum())} zero or negative weights; "
            "weights must be positive."
        )
    sort_keys = [person] if wave is None else [person, wave]
    data = data.sort_values(sort_keys, kind="stable").reset_index(drop=True)
    if wave is not None:
        time = data[wave].to_numpy(dtype=float)
    else:
        time = data.groupby(person, sort=False).cumcount().to_numpy(dtype=float)
    n_persons = int(data[person].nunique())
    check_clusters(n_persons, what="The data", stacklevel=3)
    fit = fit_gee_formula(
        formula,
        data,
        groups=person,
        time=time,
        family=family,
        correlation=correlation,
        weights=None if weights is None else data[weights].to_numpy(dtype=float),
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
        "weights": weights,
        "family": family,
        "correlation": correlation,
        "ci_level": ci_level,
        "std_error_type": "robust (sandwich), no small-sample correction, as geepack",
    }
    notes = (f"Working correlation ({correlation}): alpha = {fit.dependence:.4f}.",)
    return PanelEffects(
        method="gee",
        level="term",
        scale="coef",
        tables=tables,
        covariances={"coef": fit.cov},
        provenance=make_provenance(data=data, settings=settings),
        settings={**settings, "dependence": fit.dependence, "converged": fit.converged},
        notes=notes,
    )


gee.__doc__ = gee.__doc__.replace("{refs}", _GEE_REFERENCES.strip())


def _formula_columns(formula: str, df: pd.DataFrame) -> list[str]:
    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(
            f"formula must be a string like 'y ~ trt * time', got {formula!r}."
        )
    try:
        required = Formula(formula).required_variables
    except Exception as error:  # formulaic raises several parser error types
        raise SpecificationError(f"cannot parse formula {formula!r}: {error}") from error
    names = {getattr(v, "name", str(v)) for v in required}
    missing = sorted(n for n in names if n not in df.columns and not re.fullmatch(r"np|C", n))
    missing = [n for n in missing if n not in {"np", "C", "Treatment", "Sum", "I"}]
    if missing:
        raise SpecificationError(
            f"formula {formula!r} uses column(s) {missing} that are not in the data; columns "
            f"are {list(df.columns)[:12]}."
        )
    return [c for c in df.columns if c in names]


def _odds_ratio_table(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    out["estimate"] = np.exp(table["estimate"])
    # Delta method for the SE; the interval is the exponentiated log-scale interval.
    out["std_error"] = out["estimate"] * table["std_error"]
    out["lower"] = np.exp(table["lower"])
    out["upper"] = np.exp(table["upper"])
    return out


def indicator_gee(
    indicator_panel: object,
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
    is beneficial (log odds ratios and pp), with standard errors from the joint sandwich of the
    indicators' estimating equations, summed person by person (so answers of the same woman to
    different indicators are allowed to be correlated).

    Parameters
    ----------
    indicator_panel : IndicatorPanel
    level : {"indicator", "measure", "overall"}
    correlation : {"exchangeable", "independence", "ar1"}, default "exchangeable"
        Working correlation over waves within person (AR(1) in wave distance).
    weights : Series or list of Series, optional
        As in :func:`~mirabal_stats.frequentist.did` (person and/or person-wave weights).
    baseline_wave : wave label, optional
        Last pre-programme wave (default: the first wave).
    ci_level : float, default 0.95

    Returns
    -------
    PanelEffects
        Scales ``"pp"`` (default), ``"log_odds"`` and ``"odds_ratio"``.

    Warns
    -----
    SeparationWarning
        The intervention group's post-baseline answers to an indicator are all "no" (or all
        "yes"): the odds ratio is infinite; the row is NaN and left out of averages.
    EstimabilityWarning
        An indicator with a single answer value overall (reported as NaN).
    FewClustersWarning, DataWarning
        As in :func:`~mirabal_stats.frequentist.did`.

    References
    ----------
    {refs}
    Robins, J.M., Rotnitzky, A. & Zhao, L.P. (1995). Analysis of semiparametric regression
    models for repeated outcomes in the presence of missing data. *JASA* 90:106-121.
    doi:10.1080/01621459.1995.10476493

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
    frame = analysis_frame(indicator_panel, baseline_wave=baseline_wave, weights=weights)
    check_comparison_waves(frame, stacklevel=3)
    check_clusters(frame["person"].nunique(), what="The panel", stacklevel=3)
    persons = pd.Index(pd.unique(frame["person"]))
    weighted = weights is not None

    estimates, influence, counts, separated, constant = {}, {}, {}, [], []
    for k in indicator_panel.indicators:
        sub = frame[frame["indicator"] == k]
        counts[k] = (sub["person"].nunique(), len(sub))
        if sub["response"].nunique() < 2:
            constant.append(k)
            continue
        treated_post = sub.loc[(sub["treated"] == 1) & (sub["post"] == 1), "response"]
        if treated_post.nunique() < 2:
            separated.append(k)
            continue
        est, infl = _fit_indicator(sub, persons, correlation, weighted, frame.attrs)
        estimates[k] = est
        influence[k] = infl
    if constant:
        warnings.warn(
            f"{len(constant)} indicator(s) have the same answer for everybody at every wave, "
            f"e.g. {constant[0]!r}; no effect can be estimated and they are reported as NaN.",
            EstimabilityWarning,
            stacklevel=2,
        )
    if separated:
        warnings.warn(
            f"{len(separated)} indicator(s) have only one answer value in the intervention "
            f"group after baseline, e.g. {separated[0]!r}: (quasi-)separation, the odds ratio "
            "is infinite, so these indicators are reported as NaN and left out of measure and "
            "overall averages. The fixed-effects DiD (linear probability) and the Bayesian model "
            "(whose priors keep such effects finite) still estimate them.",
            SeparationWarning,
            stacklevel=2,
        )

    if level == "indicator":
        groups = [(k, [k]) for k in indicator_panel.indicators]
    elif level == "measure":
        measures = indicator_panel.indicator_measures
        groups = [
            (m, [k for k in indicator_panel.indicators if measures[k] == m])
            for m in indicator_panel.measures
        ]
    else:
        groups = [("overall", list(indicator_panel.indicators))]
    signs = indicator_panel.benefit_sign

    tables, covariances = {}, {}
    for s, scale in enumerate(("log_odds", "pp")):
        names, est_rows, infl_rows, n_rows = [], [], [], []
        for name, members in groups:
            usable = [k for k in members if k in estimates]
            names.append(name)
            member_frame = frame[frame["indicator"].isin(members)]
            n_rows.append((member_frame["person"].nunique(), len(member_frame)))
            if not usable:
                est_rows.append(np.nan)
                infl_rows.append(np.full(len(persons), np.nan))
                continue
            weight = {
                k: (1.0 if level == "indicator" else float(signs[k])) / len(usable) for k in usable
            }
            est_rows.append(sum(weight[k] * estimates[k][s] for k in usable))
            infl_rows.append(sum(weight[k] * influence[k][:, s] for k in usable))
        infl = np.vstack(infl_rows)
        cov = infl @ infl.T
        index = pd.Index(names, name=level)
        table = normal_table(est_rows, np.sqrt(np.diag(cov)), index=index, ci_level=ci_level)
        table["n_persons"] = [n[0] for n in n_rows]
        table["n_obs"] = [n[1] for n in n_rows]
        if level == "indicator":
            table["measure"] = indicator_panel.indicator_measures.reindex(index).to_numpy()
            table["benefit_sign"] = signs.reindex(index).to_numpy()
        tables[scale] = table
        covariances[scale] = pd.DataFrame(cov, index=index, columns=index)
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
        notes.append(f"Separated (odds ratio not estimable): {', '.join(map(str, separated))}.")
    if constant:
        notes.append(f"No variation (not estimable): {', '.join(map(str, constant))}.")
    return PanelEffects(
        method="gee",
        level=level,
        scale="pp",
        tables=tables,
        covariances=covariances,
        provenance=make_provenance(
            data=frame[["person", "wave", "indicator", "response", "weight"]], settings=settings
        ),
        settings=settings,
        notes=tuple(notes),
    )


indicator_gee.__doc__ = indicator_gee.__doc__.replace("{refs}", _GEE_REFERENCES.strip())


def _fit_indicator(sub, persons, correlation, weighted, attrs):
    """GEE of one indicator: (log OR, pp) estimates and per-person influence (n_persons x 2)."""
    n_waves = len(attrs["waves"])
    wave_code = sub["wave_code"].to_numpy()
    present = [w for w in range(1, n_waves) if np.any(wave_code == w)]
    if not np.any(wave_code == 0):
        present = present[1:]
    design = {"const": np.ones(len(sub)), "treated": sub["treated"].to_numpy(dtype=float)}
    for w in present:
        design[f"wave_{w}"] = (wave_code == w).astype(float)
    design["effect"] = (sub["treated"] * sub["post"]).to_numpy(dtype=float)
    exog = pd.DataFrame(design)
    weights = sub["weight"].to_numpy() if weighted else None
    with warnings.catch_warnings():
        # Separation drives coefficients to the boundary; reported with our own warning.
        warnings.filterwarnings("ignore", message=".*overflow.*")
        fit = fit_gee(
            sub["response"].to_numpy(),
            exog,
            groups=sub["person"].to_numpy(),
            time=wave_code,
            family="binomial",
            correlation=correlation,
            weights=weights,
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
    return (beta[j], pp), influence
