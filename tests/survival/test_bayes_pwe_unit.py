"""PiecewiseExponentialModel without sampling: weights by person label, option checks, and the
results contract on prior draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.datasets import load_rossi
from mirabal_stats.exceptions import SpecificationError, SurvivalDataError, WeightingError
from mirabal_stats.survival import PiecewiseExponentialModel, PiecewiseExponentialResults
from mirabal_stats.weighting import Weights
from tests._contract import assert_results_contract
from tests.bayes.conftest import prior_posterior

RIGHT = dict(duration="week", event="arrest", group="fin", covariates=["age", "prio"])


@pytest.fixture(scope="module")
def rossi_ids():
    data = load_rossi()
    data.insert(0, "person", [f"p{i:03d}" for i in range(len(data))])
    return data


def test_weights_are_matched_by_person_label(rossi_ids):
    """The same weights Series in two row orders gives the same collapsed likelihood data;
    weights by position (an array) are refused."""
    w = pd.Series(0.5 + (np.arange(len(rossi_ids)) % 5) * 0.25, index=rossi_ids["person"])
    a = PiecewiseExponentialModel(rossi_ids, weights=w, **RIGHT)
    b = PiecewiseExponentialModel(rossi_ids, weights=w.sample(frac=1.0, random_state=3), **RIGHT)
    np.testing.assert_array_equal(a.pwe_data.events, b.pwe_data.events)
    np.testing.assert_array_equal(a.pwe_data.exposure, b.pwe_data.exposure)
    # Unweighted data differ: the weights really entered.
    plain = PiecewiseExponentialModel(rossi_ids, **RIGHT)
    assert not np.allclose(plain.pwe_data.exposure, a.pwe_data.exposure)
    # Each row's exposure is multiplied by its own person's weight.
    np.testing.assert_allclose(
        a.pwe_data.exposure.sum(), (w.to_numpy() * rossi_ids["week"].to_numpy()).sum(), rtol=1e-12
    )
    assert "weighted pseudo-likelihood" in str(a)
    with pytest.raises(WeightingError, match="never by row position"):
        PiecewiseExponentialModel(rossi_ids, weights=w.to_numpy(), **RIGHT)
    with pytest.raises(WeightingError, match="To multiply weights, write w1 \\* w2"):
        PiecewiseExponentialModel(rossi_ids, weights=[w, w], **RIGHT)
    with pytest.raises(WeightingError, match=r"1 row\(s\) of persons \(column 'person'\) have no"):
        PiecewiseExponentialModel(rossi_ids, weights=w.iloc[1:], **RIGHT)
    both = PiecewiseExponentialModel(rossi_ids, weights=Weights(w) * Weights(w), **RIGHT)
    np.testing.assert_allclose(
        both.pwe_data.exposure.sum(),
        (w.to_numpy() ** 2 * rossi_ids["week"].to_numpy()).sum(),
        rtol=1e-12,
    )


def test_weights_column_and_index_labels(rossi_ids):
    data = rossi_ids.assign(w=2.0)
    by_column = PiecewiseExponentialModel(data, weights="w", **RIGHT)
    np.testing.assert_allclose(by_column.pwe_data.exposure.sum(), 2 * data["week"].sum())
    indexed = rossi_ids.drop(columns="person").set_axis(rossi_ids["person"])
    w = pd.Series(3.0, index=rossi_ids["person"][::-1])
    model = PiecewiseExponentialModel(indexed, weights=w, **RIGHT)
    np.testing.assert_allclose(model.pwe_data.exposure.sum(), 3 * data["week"].sum())


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"prior_sd": float("nan")}, "prior_sd must be a finite positive number"),
        ({"prior_sd": "wide"}, r"prior_sd must be a finite positive number .*got 'wide'"),
        ({"frailty_prior_sd": -1.0}, "frailty_prior_sd must be positive"),
        ({"cuts": []}, "cuts must be a non-empty list of numbers"),
        ({"cuts": ["0", "10"]}, "cuts must be a non-empty list of numbers"),
        ({"cuts": [0, np.nan]}, "cuts must be finite, non-negative and start at 0"),
        ({"cuts": [5, 10]}, "cuts must be finite, non-negative and start at 0"),
        ({"n_intervals": 0}, r"n_intervals=0 is outside the accepted range 1 to 100"),
        ({"n_intervals": 2.5}, "n_intervals must be a whole number"),
        ({"person": "id"}, "person column 'id' is not in the data"),
    ],
)
def test_options_are_checked(options, match):
    with pytest.raises(SpecificationError, match=match):
        PiecewiseExponentialModel(load_rossi(), **{**RIGHT, **options})


def test_no_time_at_risk_is_named():
    data = load_rossi().assign(week=0.0)
    # The survival data door refuses it before the model is built (same error as compare_groups).
    with pytest.raises(SurvivalDataError, match="every duration in column 'week' is 0"):
        PiecewiseExponentialModel(data, **RIGHT)


@pytest.fixture(scope="module")
def prior_result():
    model = PiecewiseExponentialModel(load_rossi(), **RIGHT)
    posterior = prior_posterior(model.model, monitored=["alpha", "beta_std"])
    return PiecewiseExponentialResults(posterior=posterior, model=model)


def test_results_follow_the_contract_without_sampling(prior_result):
    assert_results_contract(prior_result)
    table = prior_result.to_frame()
    assert list(table.index) == ["fin", "age", "prio"]
    assert (table["ci_level"] == 0.95).all()
    hr = prior_result.hazard_ratio()
    assert list(hr.columns) == ["estimate", "std_error", "lower", "upper", "ci_level"]
    np.testing.assert_allclose(
        hr["estimate"], np.median(np.exp(prior_result.beta_draws), axis=0), rtol=1e-12
    )


@pytest.mark.parametrize("times", [[np.nan], [np.inf], [-1.0], ["52"], []])
def test_survival_times_must_be_finite_numbers(prior_result, times):
    with pytest.raises(SpecificationError, match="times must be"):
        prior_result.survival(times)


def test_survival_is_standardised_over_the_sample(prior_result):
    """S(t) per group = mean over persons of exp(-H0(t) exp(x_i' beta)), group set to the level."""
    from mirabal_stats.survival.pwe_likelihood import exposure_matrix

    table = prior_result.survival([20.0], max_draws=10_000)
    beta, alpha = prior_result.beta_draws, prior_result.alpha_draws
    data = load_rossi()
    X = np.column_stack([np.ones(len(data)), data["age"], data["prio"]])
    H0 = np.exp(alpha) @ exposure_matrix([20.0], prior_result.cuts)[0]
    s = np.exp(-H0[:, None] * np.exp(beta @ X.T)).mean(axis=1)
    assert table.loc[(1, 20.0), "estimate"] == pytest.approx(np.median(s), rel=1e-10)
