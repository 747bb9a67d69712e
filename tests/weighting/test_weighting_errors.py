"""Bad input gets a clear error; problems users must see are warnings (every one with match=)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import (
    BalanceWarning,
    ESSWarning,
    RowsExcludedWarning,
    SeparationWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting import PropensityWeights, weighted_effect
from tests.weighting.conftest import LALONDE_COVARIATES


@pytest.fixture
def small(rng):
    n = 200
    x = rng.normal(size=n)
    a = rng.binomial(1, 1 / (1 + np.exp(-0.5 * x)))
    return pd.DataFrame(
        {
            "treat": a,
            "x": x,
            "z": rng.normal(size=n),
            "site": rng.choice(["north", "south", "east"], n),
            "y": x + a + rng.normal(size=n),
        }
    )


def test_group_with_three_values(small):
    bad = small.assign(treat=small["treat"] + np.arange(len(small)) % 3)
    with pytest.raises(SpecificationError, match="must hold exactly two groups"):
        PropensityWeights(bad, group="treat", covariates=["x"])


def test_group_labels_are_accepted_with_treated(small):
    labelled = small.assign(arm=np.where(small["treat"] == 1, "programme", "comparison"))
    res = PropensityWeights(labelled, group="arm", covariates=["x"]).fit()
    ref = PropensityWeights(small, group="treat", covariates=["x"]).fit()
    np.testing.assert_allclose(res.weights, ref.weights)
    assert res.groups.treated == "programme"
    flipped = PropensityWeights(labelled, group="arm", treated="comparison", covariates=["x"])
    assert flipped.fit().groups.treated == "comparison"
    with pytest.raises(SpecificationError, match="treated='programm' is not one of the groups"):
        PropensityWeights(labelled, group="arm", treated="programm", covariates=["x"])


def test_empty_group_after_filtering(small):
    with pytest.raises(SpecificationError, match="holds 1: 1.*An evaluation needs both groups"):
        PropensityWeights(small[small["treat"] == 1], group="treat", covariates=["x"])


def test_constant_covariate_named(small):
    with pytest.raises(WeightingError, match="covariate 'k' is constant"):
        PropensityWeights(small.assign(k=3.0), group="treat", covariates=["x", "k"])
    with pytest.raises(WeightingError, match="covariate 'c' is constant"):
        PropensityWeights(small.assign(c="a"), group="treat", covariates=["c"])


def test_missing_covariate_names_column_and_count(small):
    bad = small.copy()
    bad.loc[bad.index[:7], "x"] = np.nan
    with pytest.raises(WeightingError, match=r"'x': 7 of 200 rows.*missing='indicator'"):
        PropensityWeights(bad, group="treat", covariates=["x", "z"])


def test_missing_indicator_strategy_is_reported(small):
    bad = small.copy()
    bad.loc[bad.index[:7], "x"] = np.nan
    bad.loc[bad.index[3:5], "site"] = None
    res = PropensityWeights(bad, group="treat", covariates=["x", "site"], missing="indicator").fit()
    assert res.design.missing_report == {"x": 7, "site": 2}
    assert res.design.model_names.count("site_missing") == 1  # the level is the indicator
    assert "x_missing" in res.design.model_names
    assert "filled and flagged with indicators: x (7), site (2)" in res.summary()


def test_missing_indicator_with_a_formula(small):
    bad = small.copy()
    bad.loc[bad.index[:7], "x"] = np.nan
    with pytest.warns(BalanceWarning, match=r"I\(x \*\* 2\)"):
        res = PropensityWeights(bad, formula="treat ~ x + I(x**2) + z", missing="indicator").fit()
    assert res.design.model_names == ["x", "I(x ** 2)", "z", "x_missing"]
    assert res.design.missing_report == {"x": 7}
    with pytest.raises(WeightingError, match=r"'x': 7 of 200 rows"):
        PropensityWeights(bad, formula="treat ~ x + I(x**2) + z")


def test_unknown_covariate_and_method(small):
    with pytest.raises(SpecificationError, match="'xx' is not in the data .*did you mean 'x'"):
        PropensityWeights(small, group="treat", covariates=["x", "xx"])
    with pytest.raises(SpecificationError, match="method must be one of"):
        PropensityWeights(small, group="treat", covariates=["x"], method="forest")
    with pytest.raises(SpecificationError, match="group column 'arm' is not in the data"):
        PropensityWeights(small, group="arm", covariates=["x"])
    with pytest.raises(SpecificationError, match="needs covariates"):
        PropensityWeights(small, group="treat")
    with pytest.raises(SpecificationError, match="listed among the covariates"):
        PropensityWeights(small, group="treat", covariates=["x", "treat"])


def test_no_overlap_at_all(rng):
    x = np.r_[rng.normal(size=50), rng.normal(size=50) + 10]
    df = pd.DataFrame({"treat": np.r_[np.zeros(50, int), np.ones(50, int)], "x": x})
    with pytest.warns(SeparationWarning, match="separation.*involving x"):
        with pytest.raises(WeightingError, match="no overlap at all"):
            PropensityWeights(df, group="treat", covariates=["x"]).fit()


def test_entropy_no_overlap(rng):
    x = np.r_[rng.normal(size=50), rng.normal(size=50) + 10]
    df = pd.DataFrame({"treat": np.r_[np.zeros(50, int), np.ones(50, int)], "x": x})
    with pytest.raises(WeightingError, match="outside the range of the comparison group"):
        PropensityWeights(df, group="treat", covariates=["x"], method="entropy").fit()


def test_quasi_separation_names_the_level(rng):
    n = 300
    df = pd.DataFrame({"x": rng.normal(size=n), "site": rng.choice(["a", "b", "c"], n)})
    df["treat"] = rng.binomial(1, 0.4, n)
    df.loc[df["site"] == "c", "treat"] = 1  # everyone at site c is treated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)
        warnings.simplefilter("ignore", ESSWarning)
        with pytest.warns(SeparationWarning, match="site_c"):
            PropensityWeights(df, group="treat", covariates=["x", "site"]).fit()


def test_balance_warning_on_lalonde(lalonde):
    with pytest.warns(BalanceWarning, match=r"age \(\+0.119\)"):
        PropensityWeights(lalonde, group="treat", covariates=LALONDE_COVARIATES).fit()


def test_ess_warning_when_ess_collapses(lalonde):
    with pytest.warns(ESSWarning, match="comparison group collapsed to .* of 429"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BalanceWarning)
            PropensityWeights(
                lalonde, group="treat", covariates=LALONDE_COVARIATES, ess_threshold=0.3
            ).fit()


def test_effect_errors(lalonde, fitted_lalonde):
    with pytest.raises(SpecificationError, match="needs to know how the weights were estimated"):
        weighted_effect(
            lalonde,
            response="re78",
            group="treat",
            weights=fitted_lalonde["ATT"].weights,
            se_method="m_estimation",
        )
    with pytest.raises(WeightingError, match="matched to the data by person label"):
        weighted_effect(lalonde, response="re78", group="treat", weights=-np.ones(len(lalonde)))
    with pytest.raises(WeightingError, match="14 row.* have no weight"):
        weighted_effect(
            lalonde,
            response="re78",
            group="treat",
            weights=fitted_lalonde["ATT"].weights.iloc[:-14],
        )
    negative = pd.Series(-1.0, index=lalonde.index)
    with pytest.raises(WeightingError, match="have a negative weight"):
        weighted_effect(lalonde, response="re78", group="treat", weights=negative)
    with pytest.raises(SpecificationError, match="se_method must be one of"):
        weighted_effect(
            lalonde,
            response="re78",
            group="treat",
            weights=fitted_lalonde["ATT"],
            se_method="hc3",
        )
    with pytest.raises(SpecificationError, match="response column 'r78' is not in the data"):
        weighted_effect(lalonde, response="r78", group="treat", weights=fitted_lalonde["ATT"])


def test_missing_outcome_rows_excluded_with_warning(lalonde, fitted_lalonde):
    df = lalonde.copy()
    df.loc[df.index[:4], "re78"] = np.nan
    with pytest.warns(RowsExcludedWarning, match="4 row.* missing 're78'.*e.g. person 0"):
        eff = weighted_effect(
            df,
            response="re78",
            group="treat",
            weights=fitted_lalonde["ATT"],
            se_method="m_estimation",
        )
    assert eff.n_treated == 181
    assert np.isfinite(eff.std_error)


def test_m_estimation_refuses_trimmed_and_other_methods(lalonde):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)
        res = PropensityWeights(
            lalonde, group="treat", covariates=LALONDE_COVARIATES, trim_quantile=0.99
        ).fit()
        eb = PropensityWeights(
            lalonde, group="treat", covariates=LALONDE_COVARIATES, method="entropy"
        ).fit()
    assert res.trim_report.n_affected_control == 5
    with pytest.raises(SpecificationError, match="trimmed or truncated"):
        weighted_effect(
            lalonde, response="re78", group="treat", weights=res, se_method="m_estimation"
        )
    with pytest.raises(SpecificationError, match="use se_method='bootstrap'"):
        weighted_effect(
            lalonde, response="re78", group="treat", weights=eb, se_method="m_estimation"
        )


def test_propensity_bounds_exclude_trimmed_persons_openly(lalonde):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)
        res = PropensityWeights(
            lalonde,
            group="treat",
            covariates=LALONDE_COVARIATES,
            estimand="ATE",
            propensity_bounds=(0.1, 0.9),
        ).fit()
    n_trimmed = res.trim_report.n_affected
    assert n_trimmed > 0
    with pytest.warns(RowsExcludedWarning, match=f"{n_trimmed} person.* weight is 0 because"):
        eff = weighted_effect(lalonde, response="re78", group="treat", weights=res)
    assert eff.n_treated + eff.n_control == len(lalonde) - n_trimmed
    # Other outcome models refuse zero weights with the core's message.
    with pytest.raises(WeightingError, match="zero weight"):
        res.to_weights().for_persons(lalonde.index)


def test_specification_errors(small):
    def spec(**options):
        return PropensityWeights(small, group="treat", covariates=["x"], **options)

    with pytest.raises(SpecificationError, match="ATE weights only"):
        spec(estimand="ATT", stabilize=True)
    with pytest.raises(SpecificationError, match="overlap weights"):
        spec(estimand="ATO", method="entropy")
    with pytest.raises(SpecificationError, match="moments=2 applies"):
        spec(moments=2)
    with pytest.raises(SpecificationError, match="trim_quantile must be a finite number > 0.5"):
        spec(trim_quantile=1.5)
    with pytest.raises(SpecificationError, match="at most one of"):
        spec(trim_quantile=0.99, propensity_bounds=(0.1, 0.9))
    with pytest.raises(SpecificationError, match="propensity_bounds must be a pair"):
        spec(propensity_bounds=0.1)
    with pytest.raises(SpecificationError, match="stabilize must be True or False"):
        spec(estimand="ATE", stabilize="yes")
    with pytest.raises(SpecificationError, match="random_seed must be a whole number >= 0"):
        spec(random_seed="seven")
    with pytest.raises(SpecificationError, match="missing must be one of"):
        spec(missing="drop")


def test_bootstrap_refits_weights_and_agrees_with_m_estimation(lalonde, fitted_lalonde):
    res = fitted_lalonde["ATT"]
    boot = weighted_effect(
        lalonde,
        response="re78",
        group="treat",
        weights=res,
        se_method="bootstrap",
        n_bootstrap=200,
        random_seed=5,
    )
    again = weighted_effect(
        lalonde,
        response="re78",
        group="treat",
        weights=res,
        se_method="bootstrap",
        n_bootstrap=200,
        random_seed=5,
    )
    assert boot.std_error == again.std_error  # seeded
    assert boot.bootstrap_estimates.size == 200
    # Both estimate the same sampling SD; 200 resamples give ~5% Monte-Carlo error.
    assert boot.std_error == pytest.approx(798.15, rel=0.2)
    assert boot.estimate == pytest.approx(1214.07, abs=0.01)
    with pytest.raises(SpecificationError, match="n_bootstrap must be a whole number >= 50"):
        weighted_effect(
            lalonde,
            response="re78",
            group="treat",
            weights=res,
            se_method="bootstrap",
            n_bootstrap=10,
        )
