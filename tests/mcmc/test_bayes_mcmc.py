"""MCMC tests of the Bayesian pillar (small draws; each asserts recovery of something known).

Every fit checks its sampler diagnostics (tests/mcmc/_diagnostics.py): the SamplingWarnings it
issues match its R-hat / ESS / divergences, and these are within the bounds measured on the
test's seed (see each fixture). Time budget (2 cores): toenail ~20 s, simulation recovery ~60 s,
severity MNAR (two fits, 500 persons) ~80 s, effects by wave ~40 s, including compilation. Run
with `flock /tmp/mcmc.lock pytest -m mcmc tests/mcmc/test_bayes_mcmc.py`.
"""

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.bayes import IndicatorModel
from mirabal_stats.datasets import simulate_mirabal
from mirabal_stats.reproductions.toenail_glmm import LME4_AGQ50, LME4_LAPLACE, run, sd_quartiles
from tests._contract import assert_results_contract
from tests.mcmc._diagnostics import check_diagnostics, fit_checked

pytestmark = pytest.mark.mcmc

# Diagnostics bounds of these short runs (2 chains x 500 draws; toenail 2 x 1000). The library's own targets
# (R-hat <= 1.01, ESS >= 400, no divergences) need longer runs, and the fits warn that they miss
# them (checked by fit_checked); these bounds are what the tests' conclusions need: chains that
# agree (R-hat <= 1.05), enough effective draws for 90% interval ends (ESS >= 50), and at most 2%
# divergent transitions. Measured with these seeds (2 cores; max R-hat, min ESS, divergences):
# toenail 1.024 (trt), 170, 0; recovery 1.020 (effect_sd), 102, 8 (the 13-indicator design's
# small effect_sd makes a funnel: 10-19 per fit in studies/bayes_coverage_results.md); severity
# MNAR, MAR fit 1.014 (wave_sd), 226, 0, shared fit 1.025 (person_sd), 220, 0; effects by wave
# 1.037 (a measure mean), 59 (effect_sd), 0, so its ESS bound is 30 (the SD of the indicator
# effects is a nuisance there; the measure x wave effects it checks mix better); random slopes
# 1.009 (trt), 118 (sd of the slope), 0.
RHAT_BOUND = 1.05
ESS_BOUND = 50
DIVERGENCE_BOUND = 20
BY_WAVE_ESS_BOUND = 30


def _short_fit(model, *, random_seed, min_ess=ESS_BOUND):
    """2 chains x (500 tune + 500 draws), diagnostics checked against the bounds above."""
    return fit_checked(
        model,
        draws=500,
        tune=500,
        chains=2,
        random_seed=random_seed,
        max_r_hat=RHAT_BOUND,
        min_ess=min_ess,
        max_divergences=DIVERGENCE_BOUND,
    )


# 3 measures with 4-5 indicators each: enough indicators per measure for the measure level.
RECOVERY_INDICATORS = [
    "negotiates",
    "considerate",
    "listens",
    "shouts_swears",
    "puts_down",
    "justifies_abuse",
    "understands_child_impact",
    "takes_responsibility",
    "blames_her",
    "children_worried",
    "children_frightened",
    "children_friendships",
    "children_sleep_problems",
]
COVARIATES = ["age", "separated", "children", "prior_police", "employed", "area"]


@pytest.fixture(scope="module")
def toenail():
    return run(quick=True)


def test_toenail_matches_adaptive_quadrature(toenail):
    """Posterior means of the fixed effects lie within 0.3 posterior SD of the published
    quadrature ML estimates; the quadrature SD lies between the quartiles of the skewed SD
    posterior, whose median is nearer quadrature than Laplace."""
    frame = toenail.to_frame()
    assert toenail.passed, frame
    result = toenail.extra["result"]
    check_diagnostics(
        result, toenail.extra["caught"], max_r_hat=RHAT_BOUND, min_ess=ESS_BOUND, max_divergences=0
    )
    assert_results_contract(result)
    table = toenail.extra["table"]
    # The same against lme4's nAGQ=50 (more digits), and Laplace is far off on the intercept.
    for term, value in LME4_AGQ50.items():
        if not term.startswith("sd("):
            assert abs(table.loc[term, "estimate"] - value) <= 0.3 * table.loc[term, "std_error"], (
                term
            )
    q25, median, q75 = sd_quartiles(toenail.extra["result"])
    assert q25 <= LME4_AGQ50["sd(patient)"] <= q75
    assert abs(median - LME4_AGQ50["sd(patient)"]) < abs(median - LME4_LAPLACE["sd(patient)"])
    assert (
        abs(table.loc["Intercept", "estimate"] - LME4_LAPLACE["Intercept"])
        > 1.5 * table.loc["Intercept", "std_error"]
    )
    # right skew of the SD posterior: mean above median
    assert table.loc["sd(patient)", "estimate"] > table.loc["sd(patient)", "median"]


@pytest.fixture(scope="module")
def recovery():
    panel, truth = simulate_mirabal(random_seed=11, indicators=RECOVERY_INDICATORS)
    model = IndicatorModel(panel, covariates=COVARIATES)
    result = _short_fit(model, random_seed=11)
    return panel, truth, result


def test_recovery_of_indicator_and_measure_effects(recovery):
    panel, truth, result = recovery
    ind = result.effects(level="indicator", ci_level=0.9)
    true = truth.indicator_effects.loc[ind.index, "log_odds"]
    covered = ((ind["lower"] <= true) & (true <= ind["upper"])).mean()
    # 13 indicators at nominal 0.9: P(covered <= 9/13) is about 0.07 under calibration
    assert covered >= 10 / 13, ind.assign(truth=true)
    meas = result.effects(level="measure", scale="log_odds", ci_level=0.9)
    true_m = truth.measure_effects.loc[meas.index, "beneficial_log_odds"]
    assert ((meas["lower"] <= true_m) & (true_m <= meas["upper"])).all(), meas.assign(truth=true_m)
    pp = result.effects(level="overall", scale="pp", ci_level=0.9).iloc[0]
    assert pp["lower"] <= truth.overall_effect["beneficial_pp"] <= pp["upper"]


def test_naive_prevalence_difference_is_biased_where_model_is_not(recovery):
    """The naive DiD of observed % (confounded by covariate-specific change and selective
    dropout) misses the true effect on the treated by more than the model does."""
    panel, truth, result = recovery
    prev = panel.prevalence_table()
    prev["post"] = prev["wave"] > panel.waves[0]
    means = (
        prev.groupby(["indicator", "group", "post"])["pct_yes"].mean().unstack(["group", "post"])
    )
    naive = (means[("intervention", True)] - means[("intervention", False)]) - (
        means[("comparison", True)] - means[("comparison", False)]
    )
    benefit = panel.benefit_sign.reindex(naive.index)
    naive_overall = float((naive * benefit).mean())
    model_overall = result.effects(level="overall", scale="pp", ci_level=0.9).iloc[0]["estimate"]
    target = truth.overall_effect["beneficial_pp"]
    assert abs(naive_overall - target) > 2 * abs(model_overall - target), (
        naive_overall,
        model_overall,
        target,
    )


def test_posterior_predictive_prevalence_and_tables(recovery):
    _, _, result = recovery
    ppc = result.ppc_prevalence(by="group_wave", ci_level=0.9)
    assert ppc["p_value"].between(0.02, 0.98).all(), ppc
    prev = result.prevalence(ci_level=0.9)
    assert {"model_pct", "observed_pct", "n", "lower", "upper"} <= set(prev.columns)
    frame = result.to_frame()
    assert {"estimate", "std_error", "lower", "upper", "ci_level", "r_hat", "ess_bulk"} <= set(
        frame.columns
    )
    assert "Across 13 indicators" in result.summary()
    assert_results_contract(result)


# Severity-dependent MNAR dropout: dropout rises with the woman's severity after the programme
# started, u_i - v_i (baseline severity minus her partner's own programme response), so the
# intervention women still answering are those the programme helped most. Dropout on the
# baseline severity alone is nearly ignorable here (everyone answers the first two time points;
# docs/bayes.md, "Attrition"). 500 persons so that a bias of ~5 pp exceeds the noise.
SEVERITY_MNAR = dict(
    indicators=[
        "negotiates",
        "considerate",
        "shouts_swears",
        "puts_down",
        "justifies_abuse",
        "blames_her",
    ],
    n_intervention=300,
    n_comparison=200,
    response_sd=2.0,
    attrition="mnar",
    mnar_driver="current_severity",
    mnar_strength=3.0,
)


@pytest.fixture(scope="module")
def severity_mnar():
    panel, truth = simulate_mirabal(random_seed=1, **SEVERITY_MNAR)
    fits = {}
    for attrition in ("mar", "shared"):
        model = IndicatorModel(panel, covariates=COVARIATES, attrition=attrition)
        fits[attrition] = _short_fit(model, random_seed=1)
    return truth, fits


def test_mar_fit_is_biased_and_shared_fit_recovers_under_severity_mnar(severity_mnar):
    """The MAR fit over-estimates the overall effect (pp) and its 90% interval misses the truth;
    the shared-parameter fit's interval covers it, with less than half the MAR fit's error, and
    it detects the mechanism: severe persons answer less (lambda < 0), persons who respond to the
    programme answer more (lambda_v > 0). Measured on seeds 1-3 with 2 x (1000 + 1000) draws
    (studies/bayes_mnar_500_results.json): MAR +4.6 / +4.8 / +5.6 pp, its interval missing the
    truth on all three; shared -0.3 / -0.3 / +2.1 pp, covering on all three."""
    truth, fits = severity_mnar
    target = truth.overall_effect["beneficial_pp"]
    mar = fits["mar"].effects(level="overall", scale="pp", ci_level=0.9).iloc[0]
    shared = fits["shared"].effects(level="overall", scale="pp", ci_level=0.9).iloc[0]
    assert mar["lower"] > target, (mar, target)
    assert shared["lower"] <= target <= shared["upper"], (shared, target)
    assert abs(shared["estimate"] - target) < 0.5 * (mar["estimate"] - target), (
        shared,
        mar,
        target,
    )
    frame = fits["shared"].to_frame(ci_level=0.9)
    assert frame.loc["selection", "upper"] < 0, frame.loc["selection"]
    assert frame.loc["selection_response", "lower"] > 0, frame.loc["selection_response"]


def test_delta_adjustment_shrinks_the_effect(severity_mnar):
    """Tipping point: making the missing intervention answers worse by delta lowers the effect
    monotonically, and the effect is robust to small shifts (tipping point above zero)."""
    _, fits = severity_mnar
    sens = fits["mar"].delta_adjustment(deltas=[0.0, 1.0, 2.0], ci_level=0.9)
    assert np.all(np.diff(sens["estimate"].to_numpy()) < 0)
    assert sens.attrs["tipping_point"]["overall"] > 0


# An effect that builds up: a fifth of the average at the first follow-up, twice it at the last.
EFFECT_PROFILE = [0.2, 0.6, 1.0, 1.2, 2.0]
BY_WAVE_INDICATORS = [
    "negotiates",
    "considerate",
    "listens",
    "shouts_swears",
    "puts_down",
    "blames_her",
]


@pytest.fixture(scope="module")
def by_wave():
    panel, truth = simulate_mirabal(
        random_seed=21, indicators=BY_WAVE_INDICATORS, effect_profile=EFFECT_PROFILE
    )
    model = IndicatorModel(panel, covariates=COVARIATES, effect_by_wave=True)
    result = _short_fit(model, random_seed=21, min_ess=BY_WAVE_ESS_BOUND)
    return panel, truth, result


def test_effects_by_wave_recover_a_growing_effect(by_wave):
    """effect_by_wave=True on data whose effect grows over the follow-up: the measure x wave
    log-odds intervals cover the truth, the pp effect per wave covers the true ATT per wave, and
    the model sees that the last wave's effect exceeds the first's."""
    panel, truth, result = by_wave
    benefit = truth.indicator_effects["benefit_sign"]
    true_lo = (
        truth.log_odds_by_wave.mul(benefit, axis=0)
        .groupby(truth.indicator_effects["measure"])
        .mean()
    )
    lo = result.effects_by_wave(level="measure", scale="log_odds", ci_level=0.9)
    target = np.array([true_lo.loc[m, w] for m, w in lo.index])
    covered = (lo["lower"].to_numpy() <= target) & (target <= lo["upper"].to_numpy())
    # 10 measure x wave cells at nominal 0.9 (correlated): P(covered <= 7/10) is small if calibrated.
    assert covered.sum() >= 8, lo.assign(truth=target)
    pp = result.effects_by_wave(level="overall", scale="pp", ci_level=0.9)
    true_pp = truth.pp_att_by_wave.mul(benefit, axis=0).mean()
    target_pp = true_pp.loc[pp.index.get_level_values("wave")].to_numpy()
    assert (
        (pp["lower"].to_numpy() <= target_pp) & (target_pp <= pp["upper"].to_numpy())
    ).sum() >= 4, pp
    draws = result.idata.posterior["effect_wave"].values.reshape(-1, len(BY_WAVE_INDICATORS), 5)
    sign = benefit.reindex(list(result.model.arrays.indicators)).to_numpy()
    growth = (draws[:, :, -1] - draws[:, :, 0]) * sign[None, :]
    assert (growth.mean(axis=1) > 0).mean() > 0.95
    # The per-wave pp effects average to the pooled pp effect (same draws, same persons).
    pooled = result.effects(level="overall", scale="pp", ci_level=0.9).iloc[0]["estimate"]
    assert pp["estimate"].mean() == pytest.approx(pooled, rel=1e-10)
    assert "effect_wave_sd" in result.to_frame().index


def test_random_slopes_recover_known_truth():
    """BinaryMixedModel with correlated random intercepts and slopes on simulated data with known
    values (300 groups x 8 visits): each of the six quantities (three fixed effects, two SDs, the
    correlation) lies within 3 posterior SDs of its true value, and at least 4 of the 6 90%
    intervals cover it. (Requiring all six 90% intervals to cover would fail about half of the
    time for a calibrated posterior, 0.9^6 = 0.53; these two checks fail with probability ~2%.)"""
    from mirabal_stats.bayes import BinaryMixedModel

    rng = np.random.default_rng(31)
    n_groups, visits = 300, 8
    truth = {"Intercept": -0.5, "time": 0.6, "trt": 0.8, "sd0": 1.5, "sd1": 0.6, "rho": -0.4}
    cov = np.array(
        [
            [truth["sd0"] ** 2, truth["rho"] * truth["sd0"] * truth["sd1"]],
            [truth["rho"] * truth["sd0"] * truth["sd1"], truth["sd1"] ** 2],
        ]
    )
    b = rng.multivariate_normal([0.0, 0.0], cov, size=n_groups)
    g = np.repeat(np.arange(n_groups), visits)
    time = np.tile(np.linspace(-1.5, 1.5, visits), n_groups)
    trt = (g % 2).astype(float)
    eta = truth["Intercept"] + truth["time"] * time + truth["trt"] * trt + b[g, 0] + b[g, 1] * time
    data = pd.DataFrame(
        {
            "y": (rng.random(g.size) < 1 / (1 + np.exp(-eta))).astype(int),
            "time": time,
            "trt": trt,
            "id": g,
        }
    )
    result = _short_fit(
        BinaryMixedModel(data, formula="y ~ time + trt + (1 + time | id)"), random_seed=31
    )
    frame = result.to_frame(ci_level=0.9)
    targets = {
        "Intercept": truth["Intercept"],
        "time": truth["time"],
        "trt": truth["trt"],
        "sd(id)": truth["sd0"],
        "sd(time|id)": truth["sd1"],
        "cor(Intercept,time|id)": truth["rho"],
    }
    rows = frame.loc[list(targets)].assign(truth=list(targets.values()))
    assert ((rows["estimate"] - rows["truth"]).abs() <= 3 * rows["std_error"]).all(), rows
    assert ((rows["lower"] <= rows["truth"]) & (rows["truth"] <= rows["upper"])).sum() >= 4, rows
