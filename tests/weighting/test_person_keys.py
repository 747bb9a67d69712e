"""Propensity weights reach the outcome models keyed by person id, never by row position."""

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.datasets import simulate_mirabal
from mirabal_stats.exceptions import WeightingError
from mirabal_stats.weighting import PropensityWeights, person_keyed_weights

COVARIATES = ["age", "separated", "children", "prior_police"]


@pytest.fixture(scope="module")
def panel_and_fit():
    panel, _ = simulate_mirabal(seed=4, indicators=["negotiates", "slapped_pushed"])
    baseline = panel.baseline()
    fitted = PropensityWeights(estimand="ATT").fit(baseline, treatment="treated", covariates=COVARIATES,
                                                   warn=False)
    return panel, baseline, fitted


def test_by_person_rekeys_through_the_person_column(panel_and_fit):
    panel, baseline, fitted = panel_and_fit
    # Row positions 0..n-1 are not person ids (the simulator numbers persons from 1001).
    assert not fitted.weights.index.isin(panel.persons).any()
    by_person = fitted.by_person
    expected = pd.Series(fitted.weights.to_numpy(), index=baseline["person"].to_numpy())
    assert by_person.index.tolist() == baseline["person"].tolist()
    np.testing.assert_array_equal(by_person.to_numpy(), expected.to_numpy())
    assert person_keyed_weights(fitted, panel.persons) is not None


def test_row_position_weights_are_refused_with_the_fix(panel_and_fit):
    panel, _, fitted = panel_and_fit
    with pytest.raises(WeightingError, match=r"indexed by 0, 1, 2, \.\.\., which matches none of the panel's "
                                             r"person ids \(e\.g\. 1001"):
        person_keyed_weights(fitted.weights, panel.persons)


def test_by_person_needs_a_person_column(panel_and_fit):
    _, baseline, _ = panel_and_fit
    fitted = PropensityWeights().fit(baseline.drop(columns="person"), treatment="treated",
                                     covariates=COVARIATES, warn=False)
    with pytest.raises(WeightingError, match="has no 'person' column"):
        fitted.by_person


def test_indicator_model_takes_the_fitted_result(panel_and_fit):
    from mirabal_stats.bayes import IndicatorModel

    panel, baseline, fitted = panel_and_fit
    model = IndicatorModel(panel, weights=fitted)
    order = fitted.by_person.reindex(list(model.arrays.persons)).to_numpy()
    np.testing.assert_allclose(model.person_weights, order / order.mean(), rtol=1e-12)
    with pytest.raises(WeightingError, match="matches none of the panel's person ids"):
        IndicatorModel(panel, weights=fitted.weights)


def test_did_takes_the_fitted_result(panel_and_fit):
    from mirabal_stats.panel import did

    panel, _, fitted = panel_and_fit
    from_result = did(panel, level="overall", weights=fitted).to_frame()
    from_series = did(panel, level="overall", weights=fitted.by_person).to_frame()
    unweighted = did(panel, level="overall").to_frame()
    assert from_result["estimate"].iloc[0] == pytest.approx(from_series["estimate"].iloc[0], rel=1e-12)
    assert from_result["estimate"].iloc[0] != pytest.approx(unweighted["estimate"].iloc[0], rel=1e-6)
    with pytest.raises(WeightingError, match="matches none of the panel's person ids"):
        did(panel, level="overall", weights=fitted.weights)
