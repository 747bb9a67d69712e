"""``compare_groups``: time to event, treated vs comparison, right- or interval-censored."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from mirabal_stats._results import check_ci_level, make_provenance
from mirabal_stats.exceptions import ProportionalHazardsWarning, SpecificationError
from mirabal_stats.survival import _lifelines
from mirabal_stats.survival._validation import SurvivalInput, validate_survival_input
from mirabal_stats.survival.km import kaplan_meier
from mirabal_stats.survival.results import AFTResult, CoxResult, SurvivalComparison
from mirabal_stats.survival.robust import efron_score_residuals, robust_variance
from mirabal_stats.survival.turnbull import turnbull

__all__ = ["compare_groups"]

_DUR, _EV, _LO, _HI, _W = "_duration", "_event", "_lower", "_upper", "_weight"


def compare_groups(
    data: pd.DataFrame,
    *,
    group: str,
    duration: str | None = None,
    event: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    covariates=None,
    weights=None,
    treated=None,
    cluster: str | None = None,
    robust: bool | None = None,
    parametric=("weibull", "loglogistic"),
    ph_alpha: float | None = 0.05,
    ci_level: float = 0.95,
    n_boot: int = 200,
    random_seed: int = 0,
) -> SurvivalComparison:
    """Compare time to event between two groups, right- or interval-censored.

    Right censoring (``duration``, ``event``): Kaplan-Meier curves per group (weighted when
    ``weights`` are given), a Cox model with Efron ties whose group term is named after the group
    column, and Weibull / log-logistic AFT fits. Interval censoring (``lower``, ``upper``: the
    event lies in ``(lower, upper]``, ``upper = inf`` if none was reported): Turnbull NPMLE per
    group and interval-censored AFT fits; the Weibull fit gives the hazard ratio.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person (or per cluster member when ``cluster`` is given).
    group : str
        Two-level column; the treated level is 1/True, a level named like "intervention", or
        ``treated=``.
    duration, event : str
        Follow-up time (>= 0) and event indicator (0/1) columns.
    lower, upper : str
        Interval-censoring bounds (use instead of duration/event).
    covariates : list of str, optional
        Adjustment covariates (categorical ones are dummy-coded).
    weights : str or array-like, optional
        Case weights (e.g. ``PropensityWeights(...).weights``). With weights, Kaplan-Meier curves
        are weighted and Cox SEs are robust by default (weights estimated from the data are
        treated as known: usually conservative for ATE weights, Austin 2016).
    treated : optional
        Level of ``group`` that received the programme.
    cluster : str, optional
        Column whose levels are independent units for the robust variance (e.g. programme site,
        or person when one person contributes several rows).
    robust : bool, optional
        Robust (sandwich) Cox SEs; default True when weights or cluster are given, else False.
    parametric : tuple of {"weibull", "loglogistic"}
        AFT models to fit; ``()`` skips them.
    ph_alpha : float or None, default 0.05
        Warn (:class:`~mirabal_stats.exceptions.ProportionalHazardsWarning`) when a Cox term's
        scaled-Schoenfeld test has p below this; None skips the test (``cox.ph_test`` is NaN).
    ci_level : float, default 0.95
    n_boot, random_seed : int
        Bootstrap size and seed for the Turnbull intervals (interval censoring only).

    Returns
    -------
    SurvivalComparison

    References
    ----------
    Cox, D.R. (1972). Regression models and life-tables. JRSS B 34:187-220.
    doi:10.1111/j.2517-6161.1972.tb00899.x
    Lin, D.Y. & Wei, L.J. (1989). JASA 84:1074-1078. doi:10.1080/01621459.1989.10478874
    Grambsch, P.M. & Therneau, T.M. (1994). Proportional hazards tests and diagnostics based on
    weighted residuals. Biometrika 81:515-526. doi:10.1093/biomet/81.3.515
    Turnbull, B.W. (1976). JRSS B 38:290-295. doi:10.1111/j.2517-6161.1976.tb01597.x
    Austin, P.C. (2016). Variance estimation when using inverse probability of treatment weighting
    (IPTW) with survival analysis. Stat Med 35:5642-5655. doi:10.1002/sim.7084

    Examples
    --------
    >>> import warnings
    >>> from mirabal_stats.datasets import load_rossi
    >>> from mirabal_stats.survival import compare_groups
    >>> rossi = load_rossi()
    >>> res = compare_groups(rossi, duration="week", event="arrest", group="fin",
    ...                      covariates=["age", "race", "wexp", "mar", "paro", "prio"], ph_alpha=None)
    >>> round(float(res.cox.to_frame().loc["fin", "estimate"]), 3)
    -0.379
    >>> res.survival_at([52])["estimate"].round(3).tolist()
    [0.694, 0.778]
    """
    level = check_ci_level(ci_level)
    unknown = set(parametric) - set(_lifelines.AFT_FITTERS)
    if unknown:
        raise SpecificationError(
            f"parametric must name models from {sorted(_lifelines.AFT_FITTERS)}, got {sorted(unknown)}."
        )
    inp = validate_survival_input(
        data,
        group=group,
        duration=duration,
        event=event,
        lower=lower,
        upper=upper,
        covariates=covariates,
        weights=weights,
        treated=treated,
        cluster=cluster,
    )
    if robust is None:
        robust = inp.weights is not None or inp.cluster is not None
    frame = _model_frame(inp)
    wcol = _W if inp.weights is not None else None
    curves, boot = {}, {}
    for code, label in enumerate(inp.group_levels):
        m = inp.treated == code
        wg = None if inp.weights is None else inp.weights[m]
        if inp.kind == "right":
            curves[label] = kaplan_meier(inp.duration[m], inp.event[m], wg)
        else:
            curves[label] = turnbull(inp.lower[m], inp.upper[m], wg)
            boot[label] = (inp.lower[m], inp.upper[m], wg)
    cox = None
    if inp.kind == "right":
        cox = _fit_cox(inp, frame, wcol, robust, ph_alpha, level)
    fits = {}
    for dist in parametric:
        fits[dist] = _fit_aft(inp, frame, wcol, dist, level)
    return SurvivalComparison(
        kind=inp.kind,
        group=group,
        levels=inp.group_levels,
        curves=curves,
        cox=cox,
        weibull=fits.get("weibull"),
        loglogistic=fits.get("loglogistic"),
        weighted=inp.weights is not None,
        ci_level=level,
        provenance=make_provenance(
            random_seed=random_seed,
            data=data,
            settings=dict(
                group=group,
                duration=duration,
                event=event,
                lower=lower,
                upper=upper,
                covariates=list(inp.covariates.columns),
                weighted=inp.weights is not None,
                cluster=cluster,
                robust=robust,
                parametric=list(parametric),
                ph_alpha=ph_alpha,
                ci_level=level,
                n_boot=n_boot,
            ),
        ),
        _bootstrap={"data": boot, "n_boot": n_boot, "seed": random_seed},
    )


def _model_frame(inp: SurvivalInput) -> pd.DataFrame:
    """Numeric frame for lifelines: group indicator (named after the group column), covariates,
    outcome and weight columns under reserved names."""
    frame = pd.DataFrame({inp.group_name: inp.treated.astype(float)})
    cov = inp.covariates.reset_index(drop=True)
    frame = pd.concat([frame, cov], axis=1)
    if inp.kind == "right":
        frame[_DUR], frame[_EV] = inp.duration, inp.event
    else:
        frame[_LO], frame[_HI] = inp.lower, inp.upper
    if inp.weights is not None:
        frame[_W] = inp.weights
    return frame


def _fit_cox(inp, frame, wcol, robust, ph_alpha, level) -> CoxResult:
    fitter = _lifelines.fit_cox(frame, duration=_DUR, event=_EV, weights=wcol)
    terms = [inp.group_name, *inp.covariates.columns]
    params = fitter.params_.loc[terms]
    naive_cov = fitter.variance_matrix_.loc[terms, terms]
    if robust:
        U = efron_score_residuals(
            inp.duration, inp.event, frame[terms].to_numpy(), params.to_numpy(), inp.weights
        )
        cov = robust_variance(U, naive_cov.to_numpy(), inp.weights, inp.cluster)
        covariance = pd.DataFrame(cov, index=terms, columns=terms)
    else:
        covariance = naive_cov
    if ph_alpha is None:
        # The residual test is O(n x events): skip it entirely when the user opts out.
        ph = pd.DataFrame({"test_statistic": np.nan, "p_value": np.nan}, index=terms)
    else:
        ph = _lifelines.ph_test(fitter, frame)
        bad = ph[ph["p_value"] < ph_alpha]
        if len(bad):
            listing = ", ".join(f"{t} (p = {p:.3g})" for t, p in bad["p_value"].items())
            warnings.warn(
                f"proportional hazards is rejected at {ph_alpha} for {listing} by the scaled "
                "Schoenfeld residual test. A single hazard ratio then averages an effect that "
                "changes over time: report the restricted mean survival time difference "
                "(res.rmst_difference(tau=...)) or cumulative incidence at fixed horizons as well, "
                "and consider stratifying or adding a time interaction for those terms.",
                ProportionalHazardsWarning,
                stacklevel=3,
            )
    return CoxResult(
        params=params,
        std_errors=pd.Series(np.sqrt(np.diag(covariance)), index=terms),
        naive_std_errors=pd.Series(np.sqrt(np.diag(naive_cov)), index=terms),
        covariance=covariance,
        variance="robust" if robust else "model-based",
        log_likelihood=float(fitter.log_likelihood_),
        concordance=float(fitter.concordance_index_),
        ph_test=ph.loc[terms],
        group_term=inp.group_name,
        n=inp.n,
        n_events=int(inp.event.sum()),
        ci_level=level,
    )


def _fit_aft(inp, frame, wcol, dist, level) -> AFTResult:
    terms = [inp.group_name, *inp.covariates.columns]
    if inp.kind == "right":
        cols = terms + [_DUR, _EV] + ([wcol] if wcol else [])
        sub = frame[cols]
        if (inp.duration <= 0).any():
            raise SpecificationError(
                f"the {dist} model needs positive durations, but {(inp.duration <= 0).sum()} are 0; "
                "pass parametric=() or add a small offset deliberately."
            )
        fitter = _lifelines.fit_aft(sub, distribution=dist, duration=_DUR, event=_EV, weights=wcol)
    else:
        cols = terms + [_LO, _HI] + ([wcol] if wcol else [])
        fitter = _lifelines.fit_aft(
            frame[cols], distribution=dist, lower=_LO, upper=_HI, weights=wcol
        )
    est, se, cov = _lifelines.aft_params(fitter)
    primary, ancillary = fitter._primary_parameter_name, fitter._ancillary_parameter_name
    keys = [(primary, t) for t in est.index if t != "log(scale)"] + [(ancillary, "Intercept")]
    cov = cov.loc[keys, keys]
    cov.index = cov.columns = list(est.index)
    order = terms + ["Intercept", "log(scale)"]
    return AFTResult(
        distribution=dist,
        params=est.loc[order],
        std_errors=se.loc[order],
        log_likelihood=float(fitter.log_likelihood_),
        group_term=inp.group_name,
        censoring=inp.kind,
        covariance=cov.loc[order, order],
        ci_level=level,
    )
