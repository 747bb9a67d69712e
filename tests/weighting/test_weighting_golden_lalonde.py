"""Golden tests: Lalonde propensity weighting against R (glm, survey::svyglm, cobalt conventions
written out in base R) and against the values published in the WeightIt documentation.

R calls (see tests/golden/reference/lalonde_att/make_reference.R):
    ps <- glm(treat ~ age + educ + race + married + nodegree + re74 + re75, binomial, lalonde)
    svyglm(re78 ~ treat, design = svydesign(ids = ~1, weights = ~w, data = lalonde))
Tolerances and their reasons: tests/golden/reference/lalonde_att/README.md.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mirabal_stats.weighting import PropensityWeights, weighted_effect
from tests.weighting.conftest import LALONDE_COVARIATES, ref_value

ESTIMANDS = ["ATT", "ATE", "ATO"]
BALANCE_COLUMNS = [
    "age",
    "educ",
    "race_black",
    "race_hispan",
    "race_white",
    "married",
    "nodegree",
    "re74",
    "re75",
]


# glm's standard errors, printed by make_reference.R (raw_output.txt, summary(ps)); the printed
# 9 significant digits allow rtol 1e-6 as for the coefficients.
GLM_STD_ERRORS = [
    9.70886397e-01,
    1.35770505e-02,
    6.51264413e-02,
    3.67214679e-01,
    2.86526191e-01,
    2.90329152e-01,
    3.37668268e-01,
    2.87480394e-05,
    4.63488410e-05,
]


def test_propensity_coefficients_match_glm(fitted_lalonde, reference):
    fit = fitted_lalonde["ATT"].logistic_fit
    r_names = [
        "(Intercept)",
        "age",
        "educ",
        "racehispan",
        "racewhite",
        "married",
        "nodegree",
        "re74",
        "re75",
    ]
    expected = [ref_value(reference, "propensity_coef", "none", nm) for nm in r_names]
    np.testing.assert_allclose(fit.coef, expected, rtol=1e-6)
    first5 = [ref_value(reference, "propensity_first5", "none", str(i)) for i in range(1, 6)]
    np.testing.assert_allclose(fitted_lalonde["ATT"].propensity.iloc[:5], first5, rtol=1e-6)


def test_estimate_table_is_the_glm_coefficient_table(fitted_lalonde, reference):
    """to_frame() is the propensity model's estimate table: glm's coefficients and SEs."""
    table = fitted_lalonde["ATT"].to_frame()
    assert list(table.columns[:5]) == ["estimate", "std_error", "lower", "upper", "ci_level"]
    np.testing.assert_allclose(table["estimate"], fitted_lalonde["ATT"].logistic_fit.coef)
    np.testing.assert_allclose(table["std_error"], GLM_STD_ERRORS, rtol=1e-6)
    assert table.index[3] == "race_hispan"


@pytest.mark.parametrize("estimand", ESTIMANDS)
def test_weights_and_ess_match_r(fitted_lalonde, reference, estimand):
    res = fitted_lalonde[estimand]
    first5 = [ref_value(reference, "weight_first5", estimand, str(i)) for i in range(1, 6)]
    np.testing.assert_allclose(res.weights.iloc[:5], first5, rtol=1e-6)
    ess = res.effective_sample_size()
    assert ess.loc["treated", "ess"] == pytest.approx(
        ref_value(reference, "ess_treated", estimand), rel=1e-6
    )
    assert ess.loc["control", "ess"] == pytest.approx(
        ref_value(reference, "ess_control", estimand), rel=1e-6
    )
    w, a = res.weights.to_numpy(), res.indicator
    assert w[a == 0].max() == pytest.approx(
        ref_value(reference, "weight_control_max", estimand), rel=1e-6
    )


@pytest.mark.parametrize("estimand", ESTIMANDS)
@pytest.mark.parametrize("when", ["un", "adj"])
def test_balance_statistics_match_cobalt_conventions(fitted_lalonde, reference, estimand, when):
    table = fitted_lalonde[estimand].balance().frame
    assert list(table.index) == BALANCE_COLUMNS
    binary = table["type"] == "binary"
    r_smd = np.array([ref_value(reference, f"smd_{when}", estimand, c) for c in BALANCE_COLUMNS])
    r_raw = np.array([ref_value(reference, f"diff_{when}", estimand, c) for c in BALANCE_COLUMNS])
    r_ks = np.array([ref_value(reference, f"ks_{when}", estimand, c) for c in BALANCE_COLUMNS])
    # Unitless statistics: atol 1e-9 covers values that are zero up to rounding (ATO balances the
    # means of the propensity-model terms exactly).
    np.testing.assert_allclose(table[f"smd_{when}"], r_smd, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(table[f"ks_{when}"], r_ks, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(table[f"raw_diff_{when}"], r_raw, rtol=1e-6, atol=1e-9)
    # cobalt's displayed statistic: SMD for continuous, raw difference for binary covariates.
    np.testing.assert_allclose(
        table[f"diff_{when}"], np.where(binary, r_raw, r_smd), rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize("estimand", ESTIMANDS)
def test_variance_ratios_match_r(fitted_lalonde, reference, estimand):
    table = fitted_lalonde[estimand].balance().frame
    for c in ["age", "educ", "re74", "re75"]:
        assert table.loc[c, "vr_un"] == pytest.approx(
            ref_value(reference, "vr_un", estimand, c), rel=1e-6
        )
        assert table.loc[c, "vr_adj"] == pytest.approx(
            ref_value(reference, "vr_adj", estimand, c), rel=1e-6
        )
    assert table.loc[["married", "nodegree", "race_black"], "vr_adj"].isna().all()


@pytest.mark.parametrize("estimand", ESTIMANDS)
def test_weighted_difference_matches_svyglm(lalonde, fitted_lalonde, reference, estimand):
    eff = weighted_effect(
        lalonde, response="re78", group="treat", weights=fitted_lalonde[estimand].weights
    )
    assert eff.estimate == pytest.approx(
        ref_value(reference, "svyglm_estimate", estimand, "treat"), rel=1e-6
    )
    assert eff.std_error == pytest.approx(
        ref_value(reference, "svyglm_se", estimand, "treat"), rel=1e-6
    )
    table = eff.to_frame()
    assert {"estimate", "std_error", "lower", "upper", "ci_level"} <= set(table.columns)
    assert table.loc["treat", "upper"] - table.loc["treat", "estimate"] == pytest.approx(
        1.959963985 * eff.std_error, rel=1e-8
    )


@pytest.mark.parametrize("estimand", ESTIMANDS)
def test_weighted_regression_matches_svyglm(lalonde, fitted_lalonde, reference, estimand):
    eff = weighted_effect(
        lalonde,
        response="re78",
        group="treat",
        weights=fitted_lalonde[estimand].weights,
        covariates=LALONDE_COVARIATES,
    )
    assert eff.estimate == pytest.approx(
        ref_value(reference, "svyglm_cov_estimate", estimand, "treat"), rel=1e-6
    )
    assert eff.std_error == pytest.approx(
        ref_value(reference, "svyglm_cov_se", estimand, "treat"), rel=1e-6
    )


@pytest.mark.parametrize("estimand", ESTIMANDS)
def test_m_estimation_se_matches_stacked_r(lalonde, fitted_lalonde, reference, estimand):
    eff = weighted_effect(
        lalonde,
        response="re78",
        group="treat",
        weights=fitted_lalonde[estimand],
        se_method="m_estimation",
    )
    assert eff.std_error == pytest.approx(
        ref_value(reference, "mest_se", estimand, "treat"), rel=1e-5
    )


def test_published_weightit_values(lalonde, fitted_lalonde):
    """WeightIt documentation: ESS 99.82, max control weight 3.743, ATT 1214.1, SE 798.2, balance."""
    res = fitted_lalonde["ATT"]
    assert round(res.effective_sample_size().loc["control", "ess"], 2) == 99.82
    assert round(res.weights[res.indicator == 0].max(), 3) == 3.743
    eff = weighted_effect(
        lalonde, response="re78", group="treat", weights=res, se_method="m_estimation"
    )
    assert round(eff.estimate, 1) == 1214.1
    assert round(eff.std_error, 1) == 798.2
    table = res.balance().frame
    after = {
        "age": 0.1188,
        "educ": -0.0284,
        "married": 0.0186,
        "nodegree": 0.0184,
        "re74": -0.0021,
        "re75": 0.0110,
    }
    before = {
        "age": -0.3094,
        "educ": 0.0550,
        "married": -0.3236,
        "nodegree": 0.1114,
        "re74": -0.7211,
        "re75": -0.2903,
    }
    for name, value in after.items():
        assert round(table.loc[name, "diff_adj"], 4) == pytest.approx(value, abs=1e-12)
    for name, value in before.items():
        assert round(table.loc[name, "diff_un"], 4) == pytest.approx(value, abs=1e-12)


def test_entropy_balancing_matches_r_dual_solution(lalonde, reference):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = PropensityWeights(
            lalonde, group="treat", covariates=LALONDE_COVARIATES, estimand="ATT", method="entropy"
        ).fit()
    w, a = res.weights.to_numpy(), res.indicator
    assert res.effective_sample_size().loc["control", "ess"] == pytest.approx(
        ref_value(reference, "ebal_ess_control", "ATT"), rel=1e-4
    )
    assert w[a == 0].max() == pytest.approx(
        ref_value(reference, "ebal_weight_control_max", "ATT"), rel=1e-4
    )
    eff = weighted_effect(lalonde, response="re78", group="treat", weights=res)
    assert eff.estimate == pytest.approx(
        ref_value(reference, "ebal_svyglm_estimate", "ATT", "treat"), rel=1e-4
    )
    assert eff.std_error == pytest.approx(
        ref_value(reference, "ebal_svyglm_se", "ATT", "treat"), rel=1e-4
    )
