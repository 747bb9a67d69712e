"""``compare_groups``: time to event, intervention vs comparison, right- or interval-censored."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from mirabal_stats._results import check_ci_level, make_provenance
from mirabal_stats.exceptions import (
    ConvergenceWarning,
    EstimabilityWarning,
    EstimationError,
    ProportionalHazardsWarning,
    SpecificationError,
)
from mirabal_stats.survival import _lifelines
from mirabal_stats.survival._validation import SurvivalInput, check_count, validate_survival_input
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
    treated=None,
    duration: str | None = None,
    event: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    covariates=None,
    weights=None,
    person: str | None = None,
    cluster: str | None = None,
    robust: bool | None = None,
    parametric=("weibull", "loglogistic"),
    ph_alpha: float | None = 0.05,
    ci_level: float = 0.95,
    n_bootstrap: int = 200,
    random_seed: int = 0,
) -> SurvivalComparison:
    """Compare time to event between the intervention and the comparison group.

    Right censoring (``duration``, ``event``): Kaplan-Meier curves per group (weighted when
    ``weights`` are given), a Cox model with Efron ties whose group term is named after the group
    column, and Weibull / log-logistic AFT fits. Interval censoring (``lower``, ``upper``: the
    event lies in ``(lower, upper]``, ``upper = inf`` if none was reported): Turnbull NPMLE per
    group and interval-censored AFT fits; the Weibull fit gives the hazard ratio.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person (several rows per person only with ``cluster``).
    group : str
        The two-group column.
    treated : optional
        The intervention group's label in ``group``. Default: ``True`` / ``1``, or the one label
        named like "intervention" / "programme" / "treated".
    duration, event : str
        Follow-up time (finite, >= 0) and event indicator (0/1; default: every row an event).
    lower, upper : str
        Interval-censoring bounds (instead of duration/event); both are needed.
    covariates : str or list of str, optional
        Adjustment covariates (categorical ones are dummy-coded).
    weights : Weights, fitted weighting result, pandas.Series or str, optional
        Case weights, matched to rows by person label (never by position): a
        :class:`~mirabal_stats.weighting.Weights`, a fitted weighting result, a Series indexed
        by person id, or the name of a weights column. Arrays and lists are refused (they carry
        no labels). With weights, Kaplan-Meier curves are weighted with robust variances and Cox
        SEs are robust by default (weights estimated from the data are treated as known: usually
        conservative for ATE weights, Austin 2016).
    person : str, optional
        The column of person ids that weights are matched by. Default: the column ``person``
        when there is one, else the index.
    cluster : str, optional
        Column whose levels are independent units for the robust variances (programme site, or
        person when one person contributes several rows).
    robust : bool, optional
        Robust (sandwich) Cox SEs; default True when weights or cluster are given, else False.
        Kaplan-Meier variances are robust whenever weights or a cluster are given.
    parametric : str or sequence of {"weibull", "loglogistic"}
        AFT models to fit; ``()`` skips them.
    ph_alpha : float or None, default 0.05
        Warn (:class:`~mirabal_stats.exceptions.ProportionalHazardsWarning`) when a Cox term's
        scaled-Schoenfeld test has p below this (0 < ph_alpha < 1); None skips the test
        (``cox.ph_test`` is NaN).
    ci_level : float, default 0.95
    n_bootstrap : int, default 200
        Bootstrap replicates (>= 2) for the Turnbull intervals and RMST (interval censoring).
    random_seed : int, default 0
        Seed of that bootstrap.

    Returns
    -------
    SurvivalComparison

    Raises
    ------
    SpecificationError, SurvivalDataError, WeightingError
        Invalid options, data or weights (each message names the column and the fix).
    EstimationError
        No events at all: there is nothing to compare.

    Warns
    -----
    EstimabilityWarning
        A group has no events: the curves, counts, cumulative incidence and RMST are estimated,
        but the Cox and AFT rows are NaN (their estimates diverge), with the reason in ``note``.
        Also when an AFT model cannot use zero durations (its rows are NaN).
    ConvergenceWarning
        lifelines could not fit a model (its rows are NaN, reason in ``note``) or warned that its
        fit did not converge (estimates kept, as R's ``coxph``).
    ProportionalHazardsWarning
        The scaled-Schoenfeld test rejects proportional hazards for a term at ``ph_alpha``.

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
    >>> from mirabal_stats.datasets import load_rossi
    >>> from mirabal_stats.survival import compare_groups
    >>> rossi = load_rossi()
    >>> res = compare_groups(rossi, duration="week", event="arrest", group="fin",
    ...                      covariates=["age", "race", "wexp", "mar", "paro", "prio"], ph_alpha=None)
    >>> round(float(res.cox.to_frame().loc["fin", "estimate"]), 3)
    -0.379
    >>> res.to_frame()[["estimate", "model", "scale"]].round(3)  # doctest: +NORMALIZE_WHITESPACE
                                estimate        model             scale
    effect
    cox_log_hazard_ratio          -0.379          cox  log hazard ratio
    weibull_log_time_ratio         0.272      weibull    log time ratio
    weibull_log_hazard_ratio      -0.382      weibull  log hazard ratio
    loglogistic_log_time_ratio     0.289  loglogistic    log time ratio
    >>> res.survival_at([52])["estimate"].round(3).tolist()
    [0.694, 0.778]
    """
    level = check_ci_level(ci_level)
    models = _check_parametric(parametric)
    ph_alpha = _check_ph_alpha(ph_alpha)
    n_bootstrap = check_count(n_bootstrap, "n_bootstrap", minimum=2)
    random_seed = check_count(random_seed, "random_seed", minimum=0)
    if robust is not None and not isinstance(robust, (bool, np.bool_)):
        raise SpecificationError(f"robust must be True, False or None, got {robust!r}.")
    inp = validate_survival_input(
        data,
        group=group,
        treated=treated,
        duration=duration,
        event=event,
        lower=lower,
        upper=upper,
        covariates=covariates,
        weights=weights,
        person=person,
        cluster=cluster,
        warn_no_events=False,
    )
    if robust is None:
        robust = inp.weights is not None or inp.cluster is not None
    counts = pd.DataFrame(inp.events_by_group(), index=["n", "events"]).T.rename_axis(group)
    if counts["events"].sum() == 0:
        what = "events" if inp.kind == "right" else "finite upper bounds (reported events)"
        raise EstimationError(
            f"there are no {what} in either group ({counts['n'].sum()} persons), so there is no "
            "time to event to compare. Check the event coding (1 = event), or report that no "
            "events occurred during follow-up."
        )
    used = [group, person, duration, event, lower, upper, cluster, *_names(covariates)]
    if isinstance(weights, str):
        used.append(weights)
    provenance = make_provenance(
        random_seed=random_seed,
        # The fingerprint covers the columns analysed (other columns may hold anything).
        data=data[list(dict.fromkeys(c for c in used if c is not None and c in data.columns))],
        settings=dict(
            group=group,
            treated=inp.group_levels[1],
            duration=duration,
            event=event,
            lower=lower,
            upper=upper,
            covariates=list(inp.covariates.columns),
            weighted=inp.weights is not None,
            person=person,
            cluster=cluster,
            robust=robust,
            parametric=list(models),
            ph_alpha=ph_alpha,
            ci_level=level,
            n_bootstrap=n_bootstrap,
        ),
    )
    curves, boot = {}, {}
    for code, label in enumerate(inp.group_levels):
        m = inp.treated == code
        wg = None if inp.weights is None else inp.weights[m]
        cg = None if inp.cluster is None else inp.cluster[m]
        if inp.kind == "right":
            curves[label] = kaplan_meier(inp.duration[m], inp.event[m], weights=wg, cluster=cg)
        else:
            curves[label] = turnbull(inp.lower[m], inp.upper[m], weights=wg)
            boot[label] = (inp.lower[m], inp.upper[m], wg)
    no_events = [label for label, row in counts.iterrows() if row["events"] == 0]
    reason = ""
    if no_events:
        label = no_events[0]
        reason = (
            f"group {label!r} has no events (0 of {counts.loc[label, 'n']} persons): the hazard "
            "and time ratios diverge, so they are not estimable"
        )
        warnings.warn(
            f"{reason}. The model rows are NaN; the curves, event counts, cumulative incidence "
            "and RMST difference are still estimated. Report the event counts, or pool follow-up "
            "to a horizon where events occur.",
            EstimabilityWarning,
            stacklevel=2,
        )
    frame = _model_frame(inp)
    wcol = _W if inp.weights is not None else None
    fitted = {}
    if inp.kind == "right":
        fitted["cox"] = _fit_cox(inp, frame, wcol, robust, ph_alpha, level, provenance, reason)
    for dist in models:
        fitted[dist] = _fit_aft(inp, frame, wcol, dist, level, provenance, reason)
    if inp.kind == "right":
        label = f"follow-up time (column {duration!r})"
    else:
        label = f"follow-up time (columns {lower!r}, {upper!r})"
    return SurvivalComparison(
        kind=inp.kind,
        group=group,
        levels=inp.group_levels,
        curves=curves,
        models=fitted,
        weighted=inp.weights is not None,
        ci_level=level,
        provenance=provenance,
        counts=counts,
        last_follow_up=inp.last_follow_up(),
        time_label=label,
        _bootstrap={"data": boot, "n_bootstrap": n_bootstrap, "random_seed": random_seed},
    )


def _names(covariates) -> list:
    if covariates is None:
        return []
    return [covariates] if isinstance(covariates, str) else list(covariates)


def _check_parametric(parametric) -> tuple:
    if isinstance(parametric, str):
        parametric = (parametric,)
    try:
        names = tuple(parametric)
    except TypeError:
        names = None
    if names is None or not all(isinstance(n, str) for n in names):
        raise SpecificationError(
            f"parametric must be a list of model names from {sorted(_lifelines.AFT_FITTERS)} "
            f"(or () for none), got {parametric!r}."
        )
    unknown = sorted(set(names) - set(_lifelines.AFT_FITTERS))
    if unknown:
        raise SpecificationError(
            f"parametric must name models from {sorted(_lifelines.AFT_FITTERS)}, got {unknown}."
        )
    return tuple(dict.fromkeys(names))


def _check_ph_alpha(ph_alpha) -> float | None:
    if ph_alpha is None:
        return None
    try:
        value = float(ph_alpha)
    except (TypeError, ValueError):
        value = np.nan
    if isinstance(ph_alpha, bool) or not 0.0 < value < 1.0:
        raise SpecificationError(
            "ph_alpha is the significance level of the proportional-hazards test and must lie "
            f"strictly between 0 and 1 (e.g. 0.05), or be None to skip the test; got {ph_alpha!r}."
        )
    return value


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


def _fit_cox(inp, frame, wcol, robust, ph_alpha, level, provenance, reason) -> CoxResult:
    terms = [inp.group_name, *inp.covariates.columns]
    common = dict(
        group_term=inp.group_name,
        n=inp.n,
        n_events=int(inp.event.sum()),
        variance="robust" if robust else "model-based",
        provenance=provenance,
        ci_level=level,
    )
    if reason:
        return CoxResult.not_estimable(terms, reason=reason, **common)
    try:
        fitter = _lifelines.fit_cox(frame, duration=_DUR, event=_EV, weights=wcol)
    except EstimationError as err:
        warnings.warn(
            f"{err} Its rows are NaN; the curves and the other models are still estimated.",
            ConvergenceWarning,
            stacklevel=3,
        )
        return CoxResult.not_estimable(terms, reason=str(err), **common)
    params = fitter.params_.loc[terms]
    naive_cov = fitter.variance_matrix_.loc[terms, terms]
    if robust:
        U = efron_score_residuals(
            inp.duration, inp.event, frame[terms].to_numpy(), params.to_numpy(), weights=inp.weights
        )
        cov = robust_variance(U, naive_cov.to_numpy(), weights=inp.weights, cluster=inp.cluster)
        covariance = pd.DataFrame(cov, index=terms, columns=terms)
    else:
        covariance = naive_cov
    ph = pd.DataFrame({"test_statistic": np.nan, "p_value": np.nan}, index=terms)
    if ph_alpha is not None:
        # The residual test is O(n x events): skipped entirely when the user opts out.
        try:
            ph = _lifelines.ph_test(fitter, frame).loc[terms]
        except EstimationError as err:
            warnings.warn(
                f"{err} Proportional hazards is not checked (ph_test is NaN).",
                EstimabilityWarning,
                stacklevel=3,
            )
        bad = ph[ph["p_value"] < ph_alpha]
        if len(bad):
            listing = ", ".join(f"{t} (p = {p:.3g})" for t, p in bad["p_value"].items())
            warnings.warn(
                f"proportional hazards is rejected at {ph_alpha} for {listing} by the scaled "
                "Schoenfeld residual test. A single hazard ratio then averages an effect that "
                "changes over time: report the restricted mean survival time difference "
                "(res.rmst_difference(tau=...)) or cumulative incidence at fixed times as well, "
                "and consider stratifying or adding a time interaction for those terms.",
                ProportionalHazardsWarning,
                stacklevel=3,
            )
    return CoxResult(
        params=params,
        std_errors=pd.Series(np.sqrt(np.diag(covariance)), index=terms),
        naive_std_errors=pd.Series(np.sqrt(np.diag(naive_cov)), index=terms),
        covariance=covariance,
        log_likelihood=float(fitter.log_likelihood_),
        concordance=_lifelines.concordance(fitter),
        ph_test=ph,
        **common,
    )


def _fit_aft(inp, frame, wcol, dist, level, provenance, reason) -> AFTResult:
    terms = [inp.group_name, *inp.covariates.columns]
    common = dict(
        distribution=dist,
        group_term=inp.group_name,
        censoring=inp.kind,
        provenance=provenance,
        ci_level=level,
    )
    if not reason and inp.kind == "right" and (inp.duration <= 0).any():
        reason = (
            f"the {dist} model needs positive durations, but {int((inp.duration <= 0).sum())} "
            "are 0 (its density at 0 is 0 or infinite)"
        )
        warnings.warn(
            f"{reason}. Its rows are NaN; the curves and the Cox model use every row. Pass "
            "parametric=() to skip it, or add a small offset to zero durations deliberately.",
            EstimabilityWarning,
            stacklevel=3,
        )
    if not reason and inp.kind == "right" and len(np.unique(inp.duration[inp.event == 1])) < 2:
        reason = (
            f"the {dist} model needs at least two distinct event times to estimate its shape, "
            f"but every event is at time {inp.duration[inp.event == 1][0]:g}"
        )
        warnings.warn(f"{reason}. Its rows are NaN.", EstimabilityWarning, stacklevel=3)
    if reason:
        return AFTResult.not_estimable(terms, reason=reason, **common)
    if inp.kind == "right":
        cols = terms + [_DUR, _EV] + ([wcol] if wcol else [])
        fit = dict(duration=_DUR, event=_EV)
    else:
        cols = terms + [_LO, _HI] + ([wcol] if wcol else [])
        fit = dict(lower=_LO, upper=_HI)
    try:
        fitter = _lifelines.fit_aft(frame[cols], distribution=dist, weights=wcol, **fit)
    except EstimationError as err:
        warnings.warn(
            f"{err} Its rows are NaN; the curves and the other models are still estimated.",
            ConvergenceWarning,
            stacklevel=3,
        )
        return AFTResult.not_estimable(terms, reason=str(err), **common)
    est, se, cov = _lifelines.aft_params(fitter)
    order = terms + ["Intercept", "log(scale)"]
    return AFTResult(
        params=est.loc[order],
        std_errors=se.loc[order],
        log_likelihood=float(fitter.log_likelihood_),
        covariance=cov.loc[order, order],
        **common,
    )
