"""Entropy balancing, CBPS, gradient boosting and the plots."""

from __future__ import annotations

import matplotlib.axes
import numpy as np
import pytest

from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.weighting import PropensityWeights, love_plot, weighted_mean
from tests.weighting.conftest import LALONDE_COVARIATES


@pytest.fixture(scope="module")
def entropy_att(lalonde):
    return PropensityWeights(method="entropy").fit(
        lalonde, treatment="treat", covariates=LALONDE_COVARIATES, warn=False
    )


def test_entropy_att_matches_treated_means_exactly(lalonde, entropy_att):
    x = entropy_att.design.balance_matrix
    a = entropy_att.treatment
    w = entropy_att.weights.to_numpy()
    treated = x[a == 1].mean(axis=0)
    control = weighted_mean(x[a == 0], w[a == 0])
    np.testing.assert_allclose(control, treated, rtol=1e-6, atol=1e-6)
    assert w[a == 0].sum() == pytest.approx((a == 0).sum())
    np.testing.assert_array_equal(w[a == 1], 1.0)
    assert entropy_att.balance(threshold=1e-6).all_balanced


def test_entropy_second_moments_match_variances(lalonde):
    res = PropensityWeights(method="entropy", moments=2).fit(
        lalonde, treatment="treat", covariates=["age", "educ", "re74", "married"], warn=False
    )
    x = lalonde[["age", "educ", "re74"]].to_numpy(float)
    a = res.treatment
    w = res.weights.to_numpy()
    for j in range(3):
        m1 = x[a == 1, j].mean()
        v1 = np.mean((x[a == 1, j] - m1) ** 2)
        m0 = np.average(x[a == 0, j], weights=w[a == 0])
        v0 = np.average((x[a == 0, j] - m0) ** 2, weights=w[a == 0])
        assert m0 == pytest.approx(m1, rel=1e-6)
        assert v0 == pytest.approx(v1, rel=1e-6)


def test_entropy_ate_balances_both_groups_to_sample(lalonde):
    res = PropensityWeights(estimand="ATE", method="entropy").fit(
        lalonde, treatment="treat", covariates=LALONDE_COVARIATES, warn=False
    )
    x = res.design.balance_matrix
    a, w = res.treatment, res.weights.to_numpy()
    target = x.mean(axis=0)
    for g in (0, 1):
        np.testing.assert_allclose(
            weighted_mean(x[a == g], w[a == g]), target, rtol=1e-6, atol=1e-6
        )


@pytest.mark.parametrize("estimand", ["ATT", "ATE", "ATO"])
def test_cbps_balances_means_exactly(lalonde, estimand):
    res = PropensityWeights(estimand=estimand, method="cbps").fit(
        lalonde, treatment="treat", covariates=LALONDE_COVARIATES, warn=False
    )
    table = res.balance().to_frame()
    # Just-identified CBPS balances every propensity-model column exactly (raw mean differences).
    np.testing.assert_allclose(
        table["raw_diff_adj"], 0.0, atol=1e-6 * table["mean_treated_un"].abs().max()
    )


def test_ato_logistic_balances_means_exactly(fitted_lalonde):
    """Li, Morgan & Zaslavsky (2018): ML overlap weights give exact mean balance."""
    table = fitted_lalonde["ATO"].balance().to_frame()
    np.testing.assert_allclose(table["smd_adj"], 0.0, atol=1e-8)


def test_gbm_default_improves_balance_and_is_reproducible(lalonde):
    spec = PropensityWeights(method="gbm", random_seed=7, gbm_options={"n_estimators": 150})
    res = spec.fit(lalonde, treatment="treat", covariates=LALONDE_COVARIATES, warn=False)
    table = res.balance().to_frame()
    assert table["smd_adj"].abs().mean() < 0.5 * table["smd_un"].abs().mean()
    assert 1 <= res.extra["gbm_n_trees"] <= 150
    again = spec.fit(lalonde, treatment="treat", covariates=LALONDE_COVARIATES, warn=False)
    np.testing.assert_array_equal(res.weights, again.weights)


def test_gbm_rejects_unknown_options(lalonde):
    with pytest.raises(SpecificationError, match="unknown key"):
        PropensityWeights(method="gbm", gbm_options={"trees": 5}).fit(
            lalonde, treatment="treat", covariates=["age"], warn=False
        )


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


def test_propensity_plot_refuses_entropy(entropy_att):
    with pytest.raises(ValueError, match="estimates no propensity score"):
        entropy_att.plot_propensity()
