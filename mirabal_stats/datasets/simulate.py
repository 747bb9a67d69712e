"""Simulated panels with the Project Mirabal design and known truth.

The generating model (log-odds of answering "yes" for person i, indicator k, wave t):

    eta[i,k,t] = a_k + s_k * u_i + b_k * (trend(t) + x_i' gamma * post_t) + d_k * g_i * post_t

- ``b_k`` = +1 if more "yes" is beneficial for indicator k, -1 if less is; ``s_k = -b_k``: the
  person's latent severity ``u_i`` raises harmful answers and lowers positive ones;
- ``u_i = x_i' lambda + sigma * e_i``: severity depends on baseline covariates (prior police
  call-outs, age, employment) plus a person effect;
- ``trend(t)``: a common improvement over time (comparison women improve too), and
  ``x_i' gamma``: covariate-specific change (separated women improve more whatever the
  programme), so a naive difference-in-differences is confounded;
- ``g_i``: intervention group, assigned with a propensity that depends on the same covariates
  (separated women are less often partners of programme attenders);
- ``d_k``: the programme effect, constant over post waves, calibrated so that the intervention
  group's marginal prevalence is the published "before" figure at baseline and the published
  "after" figure at month 12 (see :mod:`mirabal_stats.datasets.mirabal_design`).

Calibration uses a large reference population of intervention persons drawn with a fixed
internal seed, so the true parameters do not depend on ``random_seed``, which only draws the sample.

Attrition is monotone dropout between surveys (the first survey covers the first two time
points), with a hazard rising over surveys and depending on group and covariates (MAR) and, with
``attrition="mnar"``, on the latent severity. Reoffending is a Weibull proportional-hazards time
with a known conditional hazard ratio for the programme and a frailty given by the severity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import expit

from mirabal_stats.data import IndicatorPanel
from mirabal_stats.datasets._simulation_options import (
    _completion_probability,
    _completion_truth,
    _design_options,
    _finite,
    _shift_to_hazard,
)
from mirabal_stats.datasets.mirabal_design import indicator_catalogue, wave_months
from mirabal_stats.exceptions import SpecificationError

__all__ = ["MirabalTruth", "simulate_mirabal", "COVARIATES"]

#: Person-level baseline covariates of the simulated panel.
COVARIATES = ("age", "separated", "children", "prior_police", "employed", "area")

_AREAS = np.array(["north", "midlands", "south"])
_REFERENCE_SEED = 20150601
_REFERENCE_SIZE = 40_000
_FOLLOW_UP_MONTHS = 15.0


@dataclass(frozen=True)
class MirabalTruth:
    """The data-generating values behind a :func:`simulate_mirabal` panel.

    Attributes
    ----------
    indicator_effects : pandas.DataFrame
        One row per indicator: ``measure``, ``benefit_sign``, ``log_odds`` (d_k, the effect on the
        log-odds of "yes", conditional on the person), ``beneficial_log_odds``
        (``benefit_sign * log_odds``: positive = the programme helps), ``pp_att`` (sample average
        effect on the treated in percentage points of "yes", averaged over post waves and over all
        intervention persons, including those who dropped out), ``beneficial_pp`` and
        ``intercept`` (a_k), ``target_before_pct``, ``target_after_pct``, ``source``.
    measure_effects : pandas.DataFrame
        Per measure: the mean over its indicators of ``beneficial_log_odds`` and
        ``beneficial_pp``.
    overall_effect : dict
        The same means over all indicators.
    pp_att_by_wave : pandas.DataFrame
        Indicator x wave effect on the treated in percentage points ("yes" scale).
    log_odds_by_wave : pandas.DataFrame
        Indicator x wave programme effect on the log-odds of "yes" (0 at the baseline wave;
        ``log_odds`` times ``effect_profile`` at the post waves).
    sigma_person : float
        SD of the person effect given the covariates.
    severity : pandas.Series
        Each person's latent severity ``u_i`` (index: person).
    response : pandas.Series
        Each person's deviation from the average programme effect (beneficial log-odds; zero for
        comparison women and when ``response_sd=0``).
    reoffending : pandas.DataFrame
        Person-level reoffending data as an evaluator would have it, plus the truth:
        ``person, group, treated`` and the covariates; ``reoffend_time`` and ``reoffend_event``
        (police records: exact month of the first reoffence, censored at 15 months);
        ``reoffend_lower`` and ``reoffend_upper`` (partner report at the next survey she answers:
        the event lies in (lower, upper]; ``upper`` is ``inf`` when right-censored at her last
        answered survey); ``true_time`` (uncensored, may exceed 15).
    reoffending_hazard_ratio : float
        Programme hazard ratio conditional on severity and covariates.
    reoffending_survival : pandas.DataFrame
        True survival of the intervention group at months 0.5 ... 15 with and without the
        programme (columns ``treated``, ``untreated_counterfactual``), averaged over the reference
        population: the marginal ATT survival curves.
    wave_months : list of float
        Months since programme start of each wave.
    parameters : dict
        Every other generating value (trend, covariate coefficients, attrition, propensity).
    completion : pandas.DataFrame or None
        With ``simulate_mirabal(completion=...)``: one row per person (index ``person``):
        ``complier`` (latent: would complete if referred, drawn for both groups),
        ``completed`` (0/1: ``complier`` and in the intervention group) and ``p_complete``.
        None otherwise.
    complier_effects : pandas.DataFrame or None
        With completion: per indicator, ``measure``, ``complier_pp`` (the sample complier
        average causal effect on the beneficial change score of
        :func:`~mirabal_stats.frequentist.completion_effects`: mean over the compliers of both
        groups of ``100 * b_k * (mean post-wave P(yes) with the programme - without)``) and
        ``naive_bias_pp`` (what the naive completers-vs-comparison contrast adds to it in
        expectation: mean expected change without the programme among referred compliers minus
        among comparison persons).
    complier_effect : dict or None
        With completion: ``{"overall": {"complier_pp", "naive_bias_pp"}, "measure":
        DataFrame}``, the means over all indicators and per measure.
    """

    indicator_effects: pd.DataFrame
    measure_effects: pd.DataFrame
    overall_effect: dict
    pp_att_by_wave: pd.DataFrame
    log_odds_by_wave: pd.DataFrame
    sigma_person: float
    severity: pd.Series
    response: pd.Series
    reoffending: pd.DataFrame
    reoffending_hazard_ratio: float
    reoffending_survival: pd.DataFrame
    wave_months: list
    parameters: dict = field(default_factory=dict)
    completion: pd.DataFrame | None = None
    complier_effects: pd.DataFrame | None = None
    complier_effect: dict | None = None


def _draw_covariates(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": np.clip(np.round(rng.normal(36.0, 9.0, n)), 18, 70).astype(int),
            "separated": rng.binomial(1, 0.45, n),
            "children": rng.binomial(1, 0.75, n),
            "prior_police": np.minimum(rng.poisson(1.2, n), 6),
            "employed": rng.binomial(1, 0.5, n),
            "area": rng.choice(_AREAS, size=n, p=[0.35, 0.30, 0.35]),
        }
    )


def _propensity_logit(x: pd.DataFrame, confounding: float = 1.0) -> np.ndarray:
    # ``confounding`` scales every covariate coefficient (0: groups exchangeable, as randomised);
    # each coefficient is multiplied first so that the default (1.0) is bit-for-bit unchanged.
    k = confounding
    area = x["area"].map({"north": 0.3 * k, "midlands": 0.0, "south": -0.3 * k}).to_numpy()
    return (
        0.55
        - 1.0 * k * x["separated"].to_numpy()
        + 0.5 * k * x["children"].to_numpy()
        + 0.3 * k * (x["prior_police"].to_numpy() - 1.2)
        + 0.02 * k * (x["age"].to_numpy() - 36.0)
        + area
    )


def _severity_mean(x: pd.DataFrame, scale: float = 1.0) -> np.ndarray:
    """x' lambda: prior call-outs raise severity, older and employed women report less."""
    return (
        0.35 * scale * (x["prior_police"].to_numpy() - 1.2)
        - 0.015 * scale * (x["age"].to_numpy() - 36.0)
        - 0.2 * scale * (x["employed"].to_numpy() - 0.5)
    )


def _covariate_change(x: pd.DataFrame, scale: float = 1.0) -> np.ndarray:
    """x' gamma: beneficial change after baseline that does not come from the programme."""
    return 0.6 * scale * x["separated"].to_numpy() - 0.1 * scale * (
        x["prior_police"].to_numpy() - 1.2
    )


def _trend(months: np.ndarray, level: float = 0.4) -> np.ndarray:
    # Common improvement on the beneficial log-odds scale, levelling off at ``level`` (0.4).
    return level * (1.0 - np.exp(-np.asarray(months) / 4.0))


def _draw_sample(
    rng: np.random.Generator, n_intervention: int, n_comparison: int, confounding: float = 1.0
) -> pd.DataFrame:
    """Draw candidates, assign groups by propensity, keep the first n of each group."""
    treated, control = [], []
    while sum(map(len, treated)) < n_intervention or sum(map(len, control)) < n_comparison:
        pool = _draw_covariates(rng, 4 * (n_intervention + n_comparison))
        g = rng.random(len(pool)) < expit(_propensity_logit(pool, confounding))
        treated.append(pool[g])
        control.append(pool[~g])
    x = pd.concat(
        [pd.concat(treated).iloc[:n_intervention], pd.concat(control).iloc[:n_comparison]],
        ignore_index=True,
    )
    x.insert(0, "treated", np.r_[np.ones(n_intervention, int), np.zeros(n_comparison, int)])
    return x


@lru_cache(maxsize=16)
def _calibrate_cached(
    indicators: tuple[str, ...],
    months: tuple[float, ...],
    after_wave: int,
    sigma: float,
    options: tuple = (),
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, np.ndarray]:
    # Calibration depends only on the design, not on the seed: compute it once per design.
    # ``options`` holds the design keywords that differ from their defaults, as sorted pairs.
    return _calibrate(
        indicator_catalogue().loc[list(indicators)],
        list(months),
        after_wave,
        sigma,
        **dict(options),
    )


def _calibrate(
    catalogue: pd.DataFrame,
    months: list[float],
    after_wave: int,
    sigma: float,
    *,
    confounding: float = 1.0,
    covariate_effects: float = 1.0,
    comparison_change: float = 0.4,
    baseline_pct: tuple = (),
    effect_pp: tuple | None = None,
    effect_log_odds: tuple | None = None,
    profile: tuple | None = None,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, np.ndarray]:
    """Solve a_k and d_k on a fixed reference population of intervention persons."""
    rng = np.random.default_rng(_REFERENCE_SEED)
    x = _draw_sample(rng, _REFERENCE_SIZE, 0, confounding)
    u = _severity_mean(x, covariate_effects) + sigma * rng.standard_normal(len(x))
    change = _covariate_change(x, covariate_effects)
    b = np.where(catalogue["beneficial"].to_numpy() == "increase", 1.0, -1.0)
    trend = _trend(np.array(months), comparison_change)
    trend_after = trend[after_wave]
    before = catalogue["target_before_pct"].to_numpy(dtype=float).copy()
    override = dict(baseline_pct)
    for k, code in enumerate(catalogue.index):
        if code in override:
            before[k] = override[code]
    a = np.empty(len(catalogue))
    d = np.empty(len(catalogue))
    for k, (p0, p1) in enumerate(zip(before / 100.0, catalogue["target_after_pct"] / 100.0)):
        base = -b[k] * u
        a[k] = optimize.brentq(
            lambda ak, base=base, p0=p0: expit(ak + base).mean() - p0, -30, 30, xtol=1e-12
        )
        if effect_log_odds is not None:
            d[k] = b[k] * effect_log_odds[k]
        elif effect_pp is not None:
            d[k] = _solve_pp_effect(
                a[k] + base,
                b[k],
                trend,
                change,
                np.asarray(profile),
                effect_pp[k],
                catalogue.index[k],
            )
        else:
            after = a[k] + base + b[k] * (trend_after + change)
            d[k] = optimize.brentq(
                lambda dk, after=after, p1=p1: expit(after + dk).mean() - p1, -30, 30, xtol=1e-12
            )
    return a, d, x, u


def _solve_pp_effect(
    level: np.ndarray,
    sign: float,
    trend: np.ndarray,
    change: np.ndarray,
    profile: np.ndarray,
    effect: float,
    code: str,
) -> float:
    """The log-odds effect d whose average effect on the treated over the post waves is
    ``effect`` percentage points (beneficial orientation) in the reference population."""
    if effect == 0.0:
        return 0.0
    # Counterfactual log-odds at each post wave: (persons, post waves).
    eta0 = level[:, None] + sign * (trend[None, 1:] + change[:, None])
    p0 = expit(eta0).mean()
    target = sign * effect / 100.0

    def gap(dk: float) -> float:
        return float(expit(eta0 + dk * profile[None, :]).mean() - p0 - target)

    low, high = gap(-30.0), gap(30.0)
    if not np.isfinite(low) or not np.isfinite(high) or low * high > 0:
        # Beneficial effects that a finite log-odds effect can reach: up to all "yes" or all "no".
        reach = sorted((-sign * 100.0 * p0, sign * 100.0 * (1.0 - p0)))
        raise SpecificationError(
            f"effect_pp={effect:g} is not reachable for indicator {code!r}: without the programme "
            f"{100 * p0:.1f}% would answer 'yes' after baseline, so its beneficial effect must lie "
            f"strictly between {reach[0]:.1f} and {reach[1]:.1f} pp (and effect_profile must not "
            "be all zeros). Choose a smaller effect or another baseline_pct."
        )
    return float(optimize.brentq(gap, -30.0, 30.0, xtol=1e-12))


def _true_survival(x_ref: pd.DataFrame, u_ref: np.ndarray, params: dict) -> pd.DataFrame:
    months = np.arange(0.5, _FOLLOW_UP_MONTHS + 0.25, 0.5)
    shape, scale = params["weibull_shape"], params["weibull_scale"]
    frail = np.exp(params["severity_log_hr"] * u_ref)
    cumulative = (months[:, None] / scale) ** shape * frail[None, :]
    hr = params["hazard_ratio"]
    return pd.DataFrame(
        {
            "treated": np.exp(-cumulative * hr).mean(axis=1),
            "untreated_counterfactual": np.exp(-cumulative).mean(axis=1),
        },
        index=pd.Index(months, name="month"),
    )


_MNAR_DRIVERS = ("severity", "current_severity", "response")


_DEFAULTS = {
    "n_intervention": 100,
    "n_comparison": 62,
    "n_waves": 6,
    "sigma_person": 1.0,
    "mnar_strength": 1.0,
    "response_sd": 0.0,
    "item_missing": 0.02,
    "reoffending_hazard_ratio": 0.6,
}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _is_whole(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_numbers(**options: object) -> None:
    """Refuse counts that are not whole numbers and parameters that are not finite numbers."""
    for name, minimum in (("n_intervention", 1), ("n_comparison", 1), ("n_waves", 2)):
        value = options[name]
        if not (_is_whole(value) and value >= minimum):
            raise SpecificationError(
                f"{name} must be a whole number of at least {minimum}, got {value!r}; e.g. "
                f"{name}={_DEFAULTS[name]} as in the Mirabal design."
            )
    seed = options["random_seed"]
    if seed is not None and not (_is_whole(seed) and seed >= 0):
        raise SpecificationError(
            f"random_seed must be a whole number >= 0 (or None for a fresh draw), got {seed!r}."
        )
    bounds = {
        "sigma_person": (0.0, None, "a finite number >= 0"),
        "mnar_strength": (None, None, "a finite number"),
        "response_sd": (0.0, None, "a finite number >= 0"),
        "item_missing": (0.0, 1.0, "a number in [0, 1)"),
        "reoffending_hazard_ratio": (None, None, "a finite number > 0"),
    }
    for name, (low, high, rule) in bounds.items():
        value = options[name]
        ok = _is_number(value) and np.isfinite(value)
        if ok and low is not None:
            ok = value >= low
        if ok and high is not None:
            ok = value < high
        if ok and name == "reoffending_hazard_ratio":
            ok = value > 0
        if not ok:
            raise SpecificationError(
                f"{name} must be {rule}, got {value!r}; e.g. {name}={_DEFAULTS[name]} (the default)."
            )


def simulate_mirabal(
    *,
    n_intervention: int = 100,
    n_comparison: int = 62,
    n_waves: int = 6,
    random_seed: int | None = None,
    indicators: list[str] | None = None,
    sigma_person: float = 1.0,
    attrition: str = "mar",
    mnar_strength: float = 1.0,
    mnar_driver: str = "severity",
    response_sd: float = 0.0,
    item_missing: float = 0.02,
    reoffending_hazard_ratio: float = 0.6,
    effect_profile=None,
    baseline_pct: dict | None = None,
    effect_pp=None,
    effect_log_odds=None,
    comparison_change: float = 0.4,
    covariate_effects: float = 1.0,
    confounding: float = 1.0,
    retention=None,
    completion: float | None = None,
    completion_severity: float = 1.0,
) -> tuple[IndicatorPanel, MirabalTruth]:
    """Simulate an evaluation panel with the Project Mirabal design and known truth.

    The defaults reproduce the published design: 100 intervention and 62 comparison women, six
    time points over 15 months, 34 yes/no indicators in six measures (16 named in the report,
    the others invented and labelled so: see
    :func:`~mirabal_stats.datasets.mirabal_design.indicator_catalogue`). Intervention-group
    prevalences are calibrated to the published before (wave 1) and after (month 12) figures.
    **This is simulated data constrained to published marginal figures, not the study's data.**

    Parameters
    ----------
    n_intervention, n_comparison : int
        Group sizes.
    n_waves : int, default 6
        Time points, evenly spaced over 0-15 months; the first is the baseline ("before").
    random_seed : int, optional
        Seed of every random step (sample, answers, dropout, reoffending). Same seed, same panel.
    indicators : list of str, optional
        A subset of indicator codes (smaller, faster models for tests).
    sigma_person : float, default 1.0
        SD of the latent severity given the covariates (log-odds scale).
    attrition : {"mar", "mnar", "mcar", "none"}, default "mar"
        ``"mar"``: dropout depends on group, survey and covariates; ``"mnar"``: also on the
        latent severity (``mnar_strength`` log-odds per SD); ``"mcar"``: on the survey only;
        ``"none"``: everybody answers every survey.
    mnar_strength : float, default 1.0
        Log-odds of dropping out per SD of the MNAR driver, used when ``attrition="mnar"``.
    mnar_driver : {"severity", "current_severity", "response"}, default "severity"
        What informative dropout depends on. ``"severity"``: more severe cases (baseline latent
        severity ``u_i``) drop out more (everyone answers the first survey, so severity is well
        measured before anyone leaves and a random-intercept model fitted under MAR is nearly
        unbiased). ``"current_severity"``: dropout rises with the severity *after* the programme
        started, ``u_i - v_i`` (baseline severity minus the person's own programme response):
        women whose situation improved less leave more, so those still answering overstate the
        effect. ``"response"``: dropout depends on the programme response ``v_i`` alone. The last
        two need ``response_sd > 0``.
    response_sd : float, default 0.0
        SD of a person-specific programme response among intervention women (beneficial
        log-odds, added to every indicator's effect at post waves). 0 means a common effect.
    item_missing : float, default 0.02
        Probability that an answered survey leaves one indicator blank (missing completely at
        random).
    reoffending_hazard_ratio : float, default 0.6
        Hazard ratio of reoffending for the programme, conditional on severity and covariates.
    effect_profile : sequence of float, optional
        One multiplier per post-baseline wave (``n_waves - 1`` values) of every indicator's
        log-odds effect, e.g. ``[0.25, 1, 1, 1, 1]`` for an effect that builds up after the
        first follow-up. Default: 1 at every post wave (the effects calibrated to the published
        after figures). The truth's ``log_odds`` is then the mean over the post waves.
    baseline_pct : dict, optional
        Intervention-group prevalence of "yes" at baseline (%, strictly between 0 and 100) for
        some indicators, replacing the catalogue's published (or assumed) "before" figure.
    effect_pp : float or dict, optional
        Programme effect in percentage points, beneficial orientation (positive = improvement):
        one number for every indicator, or a dict giving one per indicator. ``d_k`` is then
        solved so that the average effect on the treated over the post waves (the truth's
        ``beneficial_pp``) equals it in the reference population, instead of calibrating to the
        published "after" figures.
    effect_log_odds : float or dict, optional
        Programme effect on the beneficial log-odds (conditional on the person), at a wave whose
        ``effect_profile`` multiplier is 1; exclusive with ``effect_pp``.
    comparison_change : float, default 0.4
        Common change of every woman's beneficial log-odds over follow-up without the programme
        (the plateau of ``trend(t) = comparison_change * (1 - exp(-month / 4))``).
    covariate_effects : float, default 1.0
        Multiplier of the covariates' effects on the latent severity and on the change after
        baseline. With ``covariate_effects=0`` and ``sigma_person=0`` persons differ by their
        group only (no person effect).
    confounding : float, default 1.0
        Multiplier of the covariates' coefficients in the assignment to the intervention group;
        0 makes the groups exchangeable (as randomised), larger values confound more.
    retention : sequence of float, optional
        Expected share of the persons still answering at each wave (``n_waves`` values,
        non-increasing, > 0; the first two are 1 because the first survey covers the first two
        time points), e.g. ``[1, 1, .9, .8, .7, .6]``. The intercept of each wave's dropout
        hazard is solved on the sample so that, among the persons still answering, the expected
        share dropping out is ``1 - retention[t] / retention[t - 1]``; the group, covariate and
        MNAR terms of ``attrition`` keep their effects around it. Default: the Mirabal-like
        hazards (intercepts -2.4, -2.15, ...).

    completion : float, optional
        Expected share of persons who would complete the programme if referred (strictly
        between 0 and 1). Off by default (every intervention woman's partner gets the programme
        effect, and the random stream is unchanged). When given, each person (both groups) is a
        latent *complier* with probability ``expit(c - completion_severity * severity_sd)``
        (``severity_sd``: the latent severity standardised in the sample; ``c`` solved in the
        sample so that the mean probability is ``completion``); intervention persons who are
        compliers complete. Only completers get the programme effect on the indicators and on
        reoffending (exclusion restriction): ``d_k`` and ``reoffending_hazard_ratio`` are then
        effects of completing, and the truth's ``pp_att`` is the effect of referral (ITT).
        ``truth.completion``, ``truth.complier_effects`` and ``truth.complier_effect`` record
        completion and the complier effects; ``truth.reoffending`` gains ``completed``.
    completion_severity : float, default 1.0
        Log-odds decrease of completing per SD of latent severity (more severe cases complete
        less), used with ``completion``.

    Returns
    -------
    panel : IndicatorPanel
        Groups ``"intervention"`` (treated) and ``"comparison"``, waves 1..n_waves, covariates
        ``age, separated, children, prior_police, employed, area``.
    truth : MirabalTruth
        The generating effects, latent severities and the reoffending data.

    Examples
    --------
    >>> from mirabal_stats.datasets import simulate_mirabal
    >>> panel, truth = simulate_mirabal(random_seed=1)
    >>> panel.n_persons, len(panel.waves), len(panel.indicators), len(panel.measures)
    (162, 6, 34, 6)
    >>> float(truth.reoffending_hazard_ratio)
    0.6
    """
    if completion is not None and not (_finite(completion) and 0.0 < completion < 1.0):
        raise SpecificationError(
            f"completion must be the expected share of persons who would complete if referred, "
            f"a number strictly between 0 and 1, got {completion!r}; e.g. completion=0.6."
        )
    if not _finite(completion_severity):
        raise SpecificationError(
            f"completion_severity must be a finite number (log-odds per SD of severity), got "
            f"{completion_severity!r}; e.g. completion_severity=1.0 (the default)."
        )
    _check_numbers(
        n_intervention=n_intervention,
        n_comparison=n_comparison,
        n_waves=n_waves,
        random_seed=random_seed,
        sigma_person=sigma_person,
        mnar_strength=mnar_strength,
        response_sd=response_sd,
        item_missing=item_missing,
        reoffending_hazard_ratio=reoffending_hazard_ratio,
    )
    if not isinstance(mnar_driver, str) or mnar_driver not in _MNAR_DRIVERS:
        raise SpecificationError(
            f"mnar_driver must be one of {', '.join(map(repr, _MNAR_DRIVERS))}, got {mnar_driver!r}."
        )
    if attrition == "mnar" and mnar_driver != "severity" and response_sd <= 0:
        raise SpecificationError(
            f"mnar_driver={mnar_driver!r} needs a person-specific programme response: pass "
            "response_sd > 0 (e.g. 0.8)."
        )
    try:
        profile = (
            np.ones(n_waves - 1)
            if effect_profile is None
            else np.asarray(effect_profile, dtype=float)
        )
    except (TypeError, ValueError):
        profile = np.array([np.nan])  # text or nested lists: refused just below
    if profile.shape != (n_waves - 1,) or not np.all(np.isfinite(profile)):
        raise SpecificationError(
            f"effect_profile needs one finite multiplier per post-baseline wave ({n_waves - 1}), "
            f"got {effect_profile!r}."
        )
    if not isinstance(attrition, str) or attrition not in {"mar", "mnar", "mcar", "none"}:
        raise SpecificationError(
            f"attrition must be 'mar', 'mnar', 'mcar' or 'none', got {attrition!r}."
        )
    catalogue = indicator_catalogue()
    if indicators is not None:
        if isinstance(indicators, str) or not isinstance(indicators, Iterable):
            raise SpecificationError(
                f"indicators must be a list of indicator codes, e.g. indicators=['slapped_pushed'], "
                f"got {indicators!r}; choose from indicator_catalogue().index."
            )
        indicators = list(indicators)
        unknown = [k for k in indicators if k not in catalogue.index]
        if unknown:
            raise SpecificationError(
                f"unknown indicator codes {unknown}; choose from indicator_catalogue().index."
            )
        catalogue = catalogue.loc[list(indicators)]
    months = wave_months(n_waves)
    after_wave = int(np.argmin(np.abs(np.array(months) - 12.0)))
    options, hazards = _design_options(
        codes=list(catalogue.index),
        n_waves=n_waves,
        attrition=attrition,
        profile=profile,
        baseline_pct=baseline_pct,
        effect_pp=effect_pp,
        effect_log_odds=effect_log_odds,
        comparison_change=comparison_change,
        covariate_effects=covariate_effects,
        confounding=confounding,
        retention=retention,
    )
    a, d, x_ref, u_ref = _calibrate_cached(
        tuple(catalogue.index), tuple(months), after_wave, float(sigma_person), options
    )

    rng = np.random.default_rng(random_seed)
    sample = _draw_sample(rng, n_intervention, n_comparison, float(confounding))
    n = len(sample)
    g = sample["treated"].to_numpy()
    persons = np.arange(1001, 1001 + n)
    e = rng.standard_normal(n)
    u = _severity_mean(sample, float(covariate_effects)) + sigma_person * e
    change = _covariate_change(sample, float(covariate_effects))
    b = np.where(catalogue["beneficial"].to_numpy() == "increase", 1.0, -1.0)
    post = (np.arange(n_waves) > 0).astype(float)
    trend = _trend(np.array(months), float(comparison_change))

    # eta[i, k, t] without and with the programme effect.
    eta0 = (
        a[None, :, None]
        - b[None, :, None] * u[:, None, None]
        + b[None, :, None] * (trend[None, None, :] + change[:, None, None] * post[None, None, :])
    )
    # Drawn only when asked for, so the default design keeps its random stream (and the bundled
    # example its exact values).
    response = response_sd * rng.standard_normal(n) * g if response_sd > 0 else np.zeros(n)
    wave_multiplier = np.concatenate([[0.0], profile])  # baseline gets no effect
    # Who gets the programme: every intervention person, or (with completion) its completers.
    exposed = g
    if completion is not None:
        # Drawn only when asked for, so the default design keeps its random stream.
        p_complete = _completion_probability(u, float(completion), float(completion_severity))
        complier = rng.random(n) < p_complete
        exposed = (complier & (g == 1)).astype(int)
    programme = (
        d[None, :, None] * wave_multiplier[None, None, :]
        + b[None, :, None] * response[:, None, None]
    ) * post[None, None, :]
    effect = programme * exposed[:, None, None]
    p = expit(eta0 + effect)
    answers = (rng.random(p.shape) < p).astype(float)

    # Monotone dropout between surveys; the first survey covers the first two time points.
    responded = np.ones((n, n_waves), dtype=bool)
    if attrition != "none":
        alive = np.ones(n, dtype=bool)
        severity_sd = (u - u.mean()) / u.std()
        # Severity after the programme started: baseline severity minus the person's own
        # programme response (beneficial log-odds), standardised.
        current = u - g * response
        current_sd = (current - current.mean()) / current.std()
        for t in range(2, n_waves):
            logit_h = -2.4 + 0.25 * (t - 2)
            if attrition in {"mar", "mnar"}:
                logit_h = (
                    logit_h
                    + 0.3 * (1 - g)
                    - 0.02 * (sample["age"].to_numpy() - 36.0)
                    + 0.4 * sample["separated"].to_numpy()
                )
            if attrition == "mnar" and mnar_driver == "severity":
                logit_h = logit_h + mnar_strength * severity_sd
            elif attrition == "mnar" and mnar_driver == "response":
                logit_h = logit_h - mnar_strength * g * response / response_sd
            elif attrition == "mnar":
                logit_h = logit_h + mnar_strength * current_sd
            if hazards is not None:
                logit_h = _shift_to_hazard(logit_h, alive, hazards[t])
            alive &= rng.random(n) >= expit(logit_h)
            responded[:, t] = alive
    blank = rng.random(answers.shape) < item_missing
    answers[~responded[:, None, :].repeat(len(catalogue), axis=1)] = np.nan
    answers[blank] = np.nan

    indicator_codes = list(catalogue.index)
    ii, kk, tt = np.meshgrid(
        np.arange(n), np.arange(len(catalogue)), np.arange(n_waves), indexing="ij"
    )
    long = pd.DataFrame(
        {
            "person": persons[ii.ravel()],
            "wave": tt.ravel() + 1,
            "indicator": np.array(indicator_codes)[kk.ravel()],
            "response": answers.ravel(),
        }
    )
    # Absent survey calls are absent rows, as in a real export; blanks within a call stay NaN.
    long = long[responded[ii.ravel(), tt.ravel()]]
    covariates = sample.drop(columns="treated").assign(person=persons)
    covariates["group"] = np.where(g == 1, "intervention", "comparison")
    long = long.merge(covariates, on="person", how="left")
    panel = IndicatorPanel.from_long(
        long,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated="intervention",
        measure=dict(catalogue["measure"]),
        covariates=list(COVARIATES),
        beneficial=dict(catalogue["beneficial"]),
    )

    # Truth on the percentage-point scale: effect on the treated, all intervention persons.
    diff = (p - expit(eta0))[g == 1]  # (n_treated, K, T)
    pp_by_wave = 100.0 * diff.mean(axis=0)
    post_mask = post.astype(bool)
    effects = pd.DataFrame(
        {
            "measure": catalogue["measure"],
            "benefit_sign": b.astype(int),
            "log_odds": d * profile.mean(),
            "beneficial_log_odds": b * d * profile.mean(),
            "pp_att": pp_by_wave[:, post_mask].mean(axis=1),
            "intercept": a,
            "target_before_pct": catalogue["target_before_pct"],
            "target_after_pct": catalogue["target_after_pct"],
            "source": catalogue["source"],
        },
        index=pd.Index(indicator_codes, name="indicator"),
    )
    effects["beneficial_pp"] = effects["benefit_sign"] * effects["pp_att"]
    measure_effects = effects.groupby("measure", sort=False)[
        ["beneficial_log_odds", "beneficial_pp"]
    ].mean()
    overall = {
        "beneficial_log_odds": float(effects["beneficial_log_odds"].mean()),
        "beneficial_pp": float(effects["beneficial_pp"].mean()),
    }
    pp_att_by_wave = pd.DataFrame(
        pp_by_wave, index=effects.index, columns=pd.Index(range(1, n_waves + 1), name="wave")
    )
    log_odds_by_wave = pd.DataFrame(
        d[:, None] * wave_multiplier[None, :],
        index=effects.index,
        columns=pd.Index(range(1, n_waves + 1), name="wave"),
    )

    # Reoffending: Weibull proportional hazards with a severity frailty.
    surv_params = {
        "weibull_shape": 0.7,
        "weibull_scale": 30.0,
        "severity_log_hr": 0.6,
        "hazard_ratio": reoffending_hazard_ratio,
    }
    linpred = np.log(reoffending_hazard_ratio) * exposed + surv_params["severity_log_hr"] * u
    true_time = surv_params["weibull_scale"] * (rng.exponential(1.0, n) / np.exp(linpred)) ** (
        1.0 / surv_params["weibull_shape"]
    )
    event = true_time <= _FOLLOW_UP_MONTHS
    survey_months = np.array(months[1:])  # survey s reports on the time since the previous one
    survey_answered = responded[:, 1:]
    lower = np.zeros(n)
    upper = np.full(n, np.inf)
    for i in range(n):
        answered = survey_months[survey_answered[i]]
        before = answered[answered < true_time[i]]
        after = answered[answered >= true_time[i]]
        lower[i] = before.max() if len(before) else 0.0
        if len(after):
            upper[i] = after.min()
    reoffending = covariates[["person", "group"]].copy()
    reoffending.insert(2, "treated", g)
    for column in COVARIATES:
        reoffending[column] = covariates[column].to_numpy()
    reoffending["reoffend_time"] = np.minimum(true_time, _FOLLOW_UP_MONTHS)
    reoffending["reoffend_event"] = event.astype(int)
    reoffending["reoffend_lower"] = lower
    reoffending["reoffend_upper"] = upper
    reoffending["true_time"] = true_time
    completion_truth = {}
    if completion is not None:
        reoffending["completed"] = exposed
        completion_truth = _completion_truth(
            eta0, programme, b, g, complier, exposed, p_complete, persons, effects["measure"]
        )

    truth = MirabalTruth(
        indicator_effects=effects,
        measure_effects=measure_effects,
        overall_effect=overall,
        pp_att_by_wave=pp_att_by_wave,
        log_odds_by_wave=log_odds_by_wave,
        sigma_person=float(sigma_person),
        severity=pd.Series(u, index=pd.Index(persons, name="person"), name="severity"),
        response=pd.Series(response, index=pd.Index(persons, name="person"), name="response"),
        reoffending=reoffending,
        reoffending_hazard_ratio=float(reoffending_hazard_ratio),
        reoffending_survival=_true_survival(x_ref, u_ref, surv_params),
        wave_months=months,
        parameters={
            "random_seed": random_seed,
            "after_wave": after_wave + 1,
            "trend": dict(
                zip(range(1, n_waves + 1), _trend(np.array(months), comparison_change).tolist())
            ),
            "severity_coefficients": {"prior_police": 0.35, "age": -0.015, "employed": -0.2},
            "covariate_change_coefficients": {"separated": 0.6, "prior_police": -0.1},
            "propensity_coefficients": {
                "intercept": 0.55,
                "separated": -1.0,
                "children": 0.5,
                "prior_police": 0.3,
                "age": 0.02,
                "area_north": 0.3,
                "area_south": -0.3,
            },
            "attrition": attrition,
            "mnar_strength": mnar_strength if attrition == "mnar" else 0.0,
            "mnar_driver": mnar_driver if attrition == "mnar" else None,
            "response_sd": response_sd,
            "effect_profile": profile.tolist(),
            "item_missing": item_missing,
            "reoffending": surv_params,
            "design": dict(options),
            "dropout_hazards": None if hazards is None else hazards[2:].tolist(),
            "completion": None
            if completion is None
            else {"rate": float(completion), "severity_log_odds_per_sd": -completion_severity},
        },
        **completion_truth,
    )
    return panel, truth
