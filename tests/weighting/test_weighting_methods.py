"""Entropy balancing, CBPS, gradient boosting, full formulas and the plots."""

from __future__ import annotations

import warnings

import matplotlib.axes
import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import BalanceWarning, ESSWarning, SpecificationError, WeightingError
from mirabal_stats.weighting import PropensityWeights, love_plot, weighted_mean
from tests._contract import assert_results_contract
from tests.weighting.conftest import LALONDE_COVARIATES


def _fit(data, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)
        return PropensityWeights(data, **options).fit()


@pytest.fixture(scope="module")
def entropy_att(lalonde):
    return _fit(lalonde, group="treat", covariates=LALONDE_COVARIATES, method="entropy")


def test_entropy_att_matches_treated_means_exactly(lalonde, entropy_att):
    x = entropy_att.design.balance_matrix
    a = entropy_att.indicator
    w = entropy_att.weights.to_numpy()
    treated = x[a == 1].mean(axis=0)
    control = weighted_mean(x[a == 0], w[a == 0])
    np.testing.assert_allclose(control, treated, rtol=1e-6, atol=1e-6)
    assert w[a == 0].sum() == pytest.approx((a == 0).sum())
    np.testing.assert_array_equal(w[a == 1], 1.0)
    assert entropy_att.balance(threshold=1e-6).all_balanced


def test_entropy_estimate_table_holds_the_dual_parameters(entropy_att):
    """to_frame() for entropy balancing: the dual parameters, NaN standard errors."""
    table = entropy_att.to_frame()
    assert list(table.index) == entropy_att.design.model_names
    assert table["std_error"].isna().all()
    assert (table["group"] == "comparison").all()
    fit = entropy_att.entropy_fits[0]
    # w_i is proportional to exp(x_i' dual) within the comparison group.
    x = entropy_att.design.model_matrix[entropy_att.indicator == 0]
    log_w = np.log(entropy_att.weight_values[entropy_att.indicator == 0])
    implied = x @ table["estimate"].to_numpy()
    np.testing.assert_allclose(log_w - log_w.mean(), implied - implied.mean(), atol=1e-8)
    assert fit.converged
    assert_results_contract(entropy_att)


def test_entropy_second_moments_match_variances(lalonde):
    res = _fit(
        lalonde,
        group="treat",
        covariates=["age", "educ", "re74", "married"],
        method="entropy",
        moments=2,
    )
    x = lalonde[["age", "educ", "re74"]].to_numpy(float)
    a = res.indicator
    w = res.weights.to_numpy()
    for j in range(3):
        m1 = x[a == 1, j].mean()
        v1 = np.mean((x[a == 1, j] - m1) ** 2)
        m0 = np.average(x[a == 0, j], weights=w[a == 0])
        v0 = np.average((x[a == 0, j] - m0) ** 2, weights=w[a == 0])
        assert m0 == pytest.approx(m1, rel=1e-6)
        assert v0 == pytest.approx(v1, rel=1e-6)


def test_entropy_ate_balances_both_groups_to_sample(lalonde):
    res = _fit(
        lalonde, group="treat", covariates=LALONDE_COVARIATES, estimand="ATE", method="entropy"
    )
    x = res.design.balance_matrix
    a, w = res.indicator, res.weights.to_numpy()
    target = x.mean(axis=0)
    for g in (0, 1):
        np.testing.assert_allclose(
            weighted_mean(x[a == g], w[a == g]), target, rtol=1e-6, atol=1e-6
        )
    assert set(res.to_frame()["group"]) == {"intervention", "comparison"}


@pytest.mark.parametrize("estimand", ["ATT", "ATE", "ATO"])
def test_cbps_balances_means_exactly(lalonde, estimand):
    res = _fit(
        lalonde, group="treat", covariates=LALONDE_COVARIATES, estimand=estimand, method="cbps"
    )
    table = res.balance().frame
    # Just-identified CBPS balances every propensity-model column exactly (raw mean differences).
    np.testing.assert_allclose(
        table["raw_diff_adj"], 0.0, atol=1e-6 * table["mean_treated_un"].abs().max()
    )
    coefficients = res.to_frame()
    assert np.isfinite(coefficients["std_error"]).all()
    assert (coefficients["std_error"] > 0).all()


def test_cbps_standard_errors_are_the_gmm_sandwich(lalonde):
    """Just-identified GMM: V = G^-1 S G^-T / n, checked with a finite-difference Jacobian."""
    from scipy.special import expit

    res = _fit(lalonde, group="treat", covariates=["age", "educ", "re74"], method="cbps")
    coef = res.to_frame()["estimate"].to_numpy()
    x1 = np.column_stack([np.ones(len(lalonde)), lalonde[["age", "educ", "re74"]].to_numpy(float)])
    a = res.indicator

    def moments(beta):  # per-person ATT balance conditions on the original scale
        p = expit(x1 @ beta)
        return x1 * np.where(a == 1, 1.0, -p / (1 - p))[:, None]

    n = len(a)
    g = np.empty((4, 4))
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-6 * max(1.0, abs(coef[j]))
        g[:, j] = (moments(coef + step).mean(0) - moments(coef - step).mean(0)) / (2 * step[j])
    s = moments(coef).T @ moments(coef) / n
    g_inv = np.linalg.inv(g)
    expected = np.sqrt(np.diag(g_inv @ s @ g_inv.T / n))
    np.testing.assert_allclose(res.to_frame()["std_error"], expected, rtol=1e-4)


def test_ato_logistic_balances_means_exactly(fitted_lalonde):
    """Li, Morgan & Zaslavsky (2018): ML overlap weights give exact mean balance."""
    table = fitted_lalonde["ATO"].balance().frame
    np.testing.assert_allclose(table["smd_adj"], 0.0, atol=1e-8)


def test_gbm_default_improves_balance_and_is_reproducible(lalonde):
    spec = PropensityWeights(
        lalonde,
        group="treat",
        covariates=LALONDE_COVARIATES,
        method="gbm",
        random_seed=7,
        gbm_options={"n_estimators": 150},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)
        with pytest.warns(ESSWarning, match="comparison group collapsed to 36.1 of 429"):
            res = spec.fit()
        warnings.simplefilter("ignore", ESSWarning)
        again = spec.fit()
    table = res.balance().frame
    assert table["smd_adj"].abs().mean() < 0.5 * table["smd_un"].abs().mean()
    assert 1 <= res.extra["gbm_n_trees"] <= 150
    np.testing.assert_array_equal(res.weights, again.weights)
    empty = res.to_frame()
    assert len(empty) == 0
    assert list(empty.columns[:5]) == ["estimate", "std_error", "lower", "upper", "ci_level"]
    assert_results_contract(res)


def test_gbm_rejects_unknown_and_invalid_options(lalonde):
    with pytest.raises(SpecificationError, match="unknown key"):
        PropensityWeights(
            lalonde, group="treat", covariates=["age"], method="gbm", gbm_options={"trees": 5}
        ).fit()
    with pytest.raises(SpecificationError, match="refused by scikit-learn"):
        PropensityWeights(
            lalonde,
            group="treat",
            covariates=["age"],
            method="gbm",
            gbm_options={"learning_rate": -1.0},
        ).fit()
    with pytest.raises(SpecificationError, match="gbm_options applies to method='gbm' only"):
        PropensityWeights(lalonde, group="treat", covariates=["age"], gbm_options={"max_depth": 2})


def test_full_formula_balance_is_on_the_design_terms(lalonde):
    """Formulaic formulas: transformations, C(), interactions; balance on each design column."""
    data = lalonde.assign(site=np.where(lalonde["re74"] > 0, "earning", "not earning"))
    with pytest.warns(BalanceWarning), pytest.warns(ESSWarning, match="55.6 of 429"):
        res = PropensityWeights(
            data, formula="treat ~ age + I(age**2) + educ + C(race) + married + age:married"
        ).fit()
    names = list(res.balance().frame.index)
    assert names == [
        "age",
        "I(age ** 2)",
        "educ",
        "C(race)[T.hispan]",
        "C(race)[T.white]",
        "married",
        "age:married",
    ]
    np.testing.assert_allclose(res.design.balance_matrix[:, 1], lalonde["age"].to_numpy(float) ** 2)
    # Same model, same weights as the equivalent columns built by hand.
    by_hand = lalonde.assign(
        age2=lalonde["age"] ** 2, age_married=lalonde["age"] * lalonde["married"]
    )
    with pytest.warns(BalanceWarning), pytest.warns(ESSWarning):
        same = PropensityWeights(
            by_hand,
            group="treat",
            covariates=["age", "age2", "educ", "race", "married", "age_married"],
        ).fit()
    np.testing.assert_allclose(res.weights, same.weights, rtol=1e-8)
    assert res.covariates == ("age", "educ", "married", "race")
    assert "I(age ** 2)" in res.to_frame().index
    assert_results_contract(res)


def test_formula_group_must_agree_with_group(lalonde):
    with pytest.raises(SpecificationError, match="differs from the left-hand side"):
        PropensityWeights(lalonde, group="married", formula="treat ~ age")
    with pytest.raises(SpecificationError, match="not both"):
        PropensityWeights(lalonde, formula="treat ~ age", covariates=["age"])
    with pytest.raises(SpecificationError, match="cannot parse the right-hand side"):
        PropensityWeights(lalonde, formula="treat ~ age +* educ")
    with pytest.raises(SpecificationError, match="left-hand side .* must be the group column"):
        PropensityWeights(lalonde, formula="I(treat) ~ age")
    with pytest.raises(SpecificationError, match="'agee', not in the data .*did you mean 'age'"):
        PropensityWeights(lalonde, formula="treat ~ log(agee) + educ")
    with pytest.raises(SpecificationError, match="always has an intercept"):
        PropensityWeights(lalonde, formula="treat ~ log(age) + educ - 1")


def test_formula_transformation_undefined_for_some_persons(lalonde):
    with pytest.raises(
        WeightingError, match=r"'np.log\(re74\)' is not a finite number for \d+ person"
    ):
        PropensityWeights(lalonde, formula="treat ~ age + np.log(re74)")


def test_love_and_propensity_plots_return_axes(fitted_lalonde):
    res = fitted_lalonde["ATT"]
    ax = res.plot_love()
    assert isinstance(ax, matplotlib.axes.Axes)
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "age"
    assert len(ax.collections) == 2  # before and after
    ax2 = res.plot_propensity(weighted=True)
    assert isinstance(ax2, matplotlib.axes.Axes)
    assert ax2.get_xlabel() == "propensity score"
    ax3 = love_plot(res.balance(), stat="ks")
    assert "Kolmogorov" in ax3.get_xlabel()
    with pytest.raises(SpecificationError, match="stat must be one of"):
        love_plot(res.balance(), stat="t")


def test_propensity_plot_of_entropy_shows_the_weights(entropy_att):
    ax = entropy_att.plot_propensity()
    assert "entropy balancing estimates no propensity" in ax.get_xlabel()


@pytest.mark.parametrize("estimand", ["ATT", "ATE", "ATO"])
def test_results_contract(fitted_lalonde, estimand):
    assert_results_contract(fitted_lalonde[estimand])


def test_weights_multiply_by_label(fitted_lalonde):
    from mirabal_stats.weighting import Weights

    res = fitted_lalonde["ATT"]
    other = pd.Series(2.0, index=res.weights.index[::-1])
    for product in (res * other, other * res, Weights(other) * res):
        assert isinstance(product, Weights)
        np.testing.assert_allclose(
            product.for_persons(res.weights.index[:3]), 2.0 * res.weights.iloc[:3]
        )
    assert (res * other).sources == ("propensity (ATT, logistic)", "user")


def test_weighted_effect_follows_the_results_contract(lalonde, fitted_lalonde):
    from mirabal_stats.weighting import weighted_effect

    eff = weighted_effect(
        lalonde, response="re78", group="treat", weights=fitted_lalonde["ATT"], covariates=["age"]
    )
    assert_results_contract(eff)
    assert eff.to_frame().index.tolist() == ["treat"]
    assert eff.coefficients.index.tolist() == ["(Intercept)", "treat", "age"]
    assert "propensity (ATT, logistic)" in eff.summary()


def test_balance_table_love_plot_draws_on_the_given_axes(fitted_lalonde):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        assert fitted_lalonde["ATT"].balance().plot_love(ax=ax) is ax
        assert fitted_lalonde["ATT"].plot_propensity(ax=ax) is ax
    finally:
        plt.close(fig)
