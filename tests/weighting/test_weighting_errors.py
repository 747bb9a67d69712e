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


def test_treatment_not_binary(small):
    bad = small.assign(treat=small["treat"] + 1)
    with pytest.raises(WeightingError, match="must be binary .* distinct value"):
        PropensityWeights().fit(bad, treatment="treat", covariates=["x"])


def test_treatment_strings_rejected_with_fix(small):
    bad = small.assign(treat=np.where(small["treat"] == 1, "programme", "comparison"))
    with pytest.raises(WeightingError, match="Recode it"):
        PropensityWeights().fit(bad, treatment="treat", covariates=["x"])


def test_empty_group_after_filtering(small):
    with pytest.raises(WeightingError, match=r"comparison \(0\) group is empty"):
        PropensityWeights().fit(small[small["treat"] == 1], treatment="treat", covariates=["x"])


def test_constant_covariate_named(small):
    with pytest.raises(WeightingError, match="covariate 'k' is constant"):
        PropensityWeights().fit(small.assign(k=3.0), treatment="treat", covariates=["x", "k"])
    with pytest.raises(WeightingError, match="covariate 'c' is constant"):
        PropensityWeights().fit(small.assign(c="a"), treatment="treat", covariates=["c"])


def test_missing_covariate_names_column_and_count(small):
    bad = small.copy()
    bad.loc[bad.index[:7], "x"] = np.nan
    with pytest.raises(WeightingError, match=r"'x': 7 of 200 rows.*missing='indicator'"):
        PropensityWeights().fit(bad, treatment="treat", covariates=["x", "z"])


def test_missing_indicator_strategy_is_reported(small):
    bad = small.copy()
    bad.loc[bad.index[:7], "x"] = np.nan
    bad.loc[bad.index[3:5], "site"] = None
    res = PropensityWeights(missing="indicator").fit(
        bad, treatment="treat", covariates=["x", "site"], warn=False
    )
    assert res.design.missing_report == {"x": 7, "site": 2}
    assert "x_missing" in res.design.model_names and "site_missing" in res.design.model_names
    assert "filled and flagged with indicators: x (7), site (2)" in res.summary()


def test_unknown_covariate_and_method(small):
    with pytest.raises(SpecificationError, match="'nope'"):
        PropensityWeights().fit(small, treatment="treat", covariates=["x", "nope"])
    with pytest.raises(SpecificationError, match="method must be one of"):
        PropensityWeights(method="forest")


def test_no_overlap_at_all(rng):
    x = np.r_[rng.normal(size=50), rng.normal(size=50) + 10]
    df = pd.DataFrame({"treat": np.r_[np.zeros(50, int), np.ones(50, int)], "x": x})
    with pytest.warns(SeparationWarning, match="separation.*involving x"):
        with pytest.raises(WeightingError, match="no overlap at all"):
            PropensityWeights().fit(df, treatment="treat", covariates=["x"])


def test_entropy_no_overlap(rng):
    x = np.r_[rng.normal(size=50), rng.normal(size=50) + 10]
    df = pd.DataFrame({"treat": np.r_[np.zeros(50, int), np.ones(50, int)], "x": x})
    with pytest.raises(WeightingError, match="outside the range of the comparison group"):
        PropensityWeights(method="entropy").fit(df, treatment="treat", covariates=["x"])


def test_quasi_separation_names_the_level(rng):
    n = 300
    df = pd.DataFrame({"x": rng.normal(size=n), "site": rng.choice(["a", "b", "c"], n)})
    df["treat"] = rng.binomial(1, 0.4, n)
    df.loc[df["site"] == "c", "treat"] = 1  # everyone at site c is treated
    with pytest.warns(SeparationWarning, match="site_c"):
        PropensityWeights().fit(df, treatment="treat", covariates=["x", "site"], warn=False)


def test_balance_warning_on_lalonde(lalonde):
    with pytest.warns(BalanceWarning, match=r"age \(\+0.119\)"):
        PropensityWeights().fit(lalonde, treatment="treat", covariates=LALONDE_COVARIATES)


def test_ess_warning_when_ess_collapses(lalonde):
    with pytest.warns(ESSWarning, match="control group collapsed to .* of 429"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BalanceWarning)
            PropensityWeights(ess_threshold=0.3).fit(
                lalonde, treatment="treat", covariates=LALONDE_COVARIATES
            )


def test_effect_errors(lalonde, fitted_lalonde):
    with pytest.raises(SpecificationError, match="needs to know how the weights were estimated"):
        weighted_effect(
            lalonde,
            outcome="re78",
            treatment="treat",
            weights=fitted_lalonde["ATT"].weights,
            se_method="m_estimation",
        )
    with pytest.raises(WeightingError, match="non-negative"):
        weighted_effect(lalonde, outcome="re78", treatment="treat", weights=-np.ones(len(lalonde)))
    with pytest.raises(SpecificationError, match="weights are not available for 14 row"):
        weighted_effect(
            lalonde,
            outcome="re78",
            treatment="treat",
            weights=fitted_lalonde["ATT"].weights.iloc[:-14],
        )
    with pytest.raises(SpecificationError, match="se_method must be one of"):
        weighted_effect(
            lalonde,
            outcome="re78",
            treatment="treat",
            weights=np.ones(len(lalonde)),
            se_method="hc3",
        )


def test_missing_outcome_rows_excluded_with_warning(lalonde, fitted_lalonde):
    df = lalonde.copy()
    df.loc[df.index[:4], "re78"] = np.nan
    with pytest.warns(RowsExcludedWarning, match="4 row.* missing 're78'"):
        eff = weighted_effect(
            df,
            outcome="re78",
            treatment="treat",
            weights=fitted_lalonde["ATT"],
            se_method="m_estimation",
        )
    assert eff.n_treated == 181
    assert np.isfinite(eff.std_error)


def test_m_estimation_refuses_trimmed_and_other_methods(lalonde):
    res = PropensityWeights(trim_quantile=0.99).fit(
        lalonde, treatment="treat", covariates=LALONDE_COVARIATES, warn=False
    )
    assert res.trim_report.n_affected_control == 5
    with pytest.raises(SpecificationError, match="trimmed or truncated"):
        weighted_effect(
            lalonde, outcome="re78", treatment="treat", weights=res, se_method="m_estimation"
        )
    eb = PropensityWeights(method="entropy").fit(
        lalonde, treatment="treat", covariates=LALONDE_COVARIATES, warn=False
    )
    with pytest.raises(SpecificationError, match="use se_method='bootstrap'"):
        weighted_effect(
            lalonde, outcome="re78", treatment="treat", weights=eb, se_method="m_estimation"
        )


def test_specification_errors():
    with pytest.raises(SpecificationError, match="ATE weights only"):
        PropensityWeights(estimand="ATT", stabilize=True)
    with pytest.raises(SpecificationError, match="overlap weights"):
        PropensityWeights(estimand="ATO", method="entropy")
    with pytest.raises(SpecificationError, match="moments=2 applies"):
        PropensityWeights(moments=2)


def test_bootstrap_refits_weights_and_agrees_with_m_estimation(lalonde, fitted_lalonde):
    res = fitted_lalonde["ATT"]
    boot = weighted_effect(
        lalonde,
        outcome="re78",
        treatment="treat",
        weights=res,
        se_method="bootstrap",
        n_bootstrap=200,
        random_seed=5,
    )
    again = weighted_effect(
        lalonde,
        outcome="re78",
        treatment="treat",
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
    with pytest.raises(SpecificationError, match="at least 50"):
        weighted_effect(
            lalonde,
            outcome="re78",
            treatment="treat",
            weights=res,
            se_method="bootstrap",
            n_bootstrap=10,
        )
