"""Propensity weights reach the outcome models keyed by person id, never by row position."""

import warnings

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.datasets import simulate_mirabal
from mirabal_stats.exceptions import SeparationWarning, WeightingError
from mirabal_stats.weighting import PropensityWeights, person_keyed_weights

COVARIATES = ["age", "separated", "children", "prior_police"]


@pytest.fixture(scope="module")
def panel_and_fit():
    panel, _ = simulate_mirabal(random_seed=4, indicators=["negotiates", "slapped_pushed"])
    baseline = panel.baseline()
    fitted = PropensityWeights(estimand="ATT").fit(
        baseline, treatment="treated", covariates=COVARIATES, warn=False
    )
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
    with pytest.raises(
        WeightingError,
        match=r"indexed by 0, 1, 2, \.\.\., which matches none of the panel's "
        r"person ids \(e\.g\. 1001",
    ):
        person_keyed_weights(fitted.weights, panel.persons)


def test_by_person_needs_a_person_column(panel_and_fit):
    _, baseline, _ = panel_and_fit
    fitted = PropensityWeights().fit(
        baseline.drop(columns="person"), treatment="treated", covariates=COVARIATES, warn=False
    )
    with pytest.raises(WeightingError, match="has no 'person' column"):
        _ = fitted.by_person


def test_indicator_model_takes_the_fitted_result(panel_and_fit):
    from mirabal_stats.bayes import IndicatorModel

    panel, baseline, fitted = panel_and_fit
    model = IndicatorModel(panel, weights=fitted)
    order = fitted.by_person.reindex(list(model.arrays.persons)).to_numpy()
    expected = (order / order.mean())[model.arrays.person]
    np.testing.assert_allclose(model.answer_weights, expected, rtol=1e-12)
    with pytest.raises(WeightingError, match="matches none of the panel's person ids"):
        IndicatorModel(panel, weights=fitted.weights)


def test_did_takes_the_fitted_result(panel_and_fit):
    from mirabal_stats.frequentist import did

    panel, _, fitted = panel_and_fit
    from_result = did(panel, level="overall", weights=fitted).to_frame()
    from_series = did(panel, level="overall", weights=fitted.by_person).to_frame()
    unweighted = did(panel, level="overall").to_frame()
    assert from_result["estimate"].iloc[0] == pytest.approx(
        from_series["estimate"].iloc[0], rel=1e-12
    )
    assert from_result["estimate"].iloc[0] != pytest.approx(
        unweighted["estimate"].iloc[0], rel=1e-6
    )
    with pytest.raises(WeightingError, match="matches none of the panel's person ids"):
        did(panel, level="overall", weights=fitted.weights)


def test_indicator_model_takes_attrition_weights_and_products(panel_and_fit):
    """(person, wave) attrition weights become one weight per observed answer (normalised to
    mean 1 over the answers); a list multiplies propensity and attrition weights; the weighted
    pseudo-likelihood is sum_n w_n loglik_n (checked against numpy at a random point)."""
    from scipy import stats
    from scipy.special import expit

    from mirabal_stats.bayes import IndicatorModel
    from mirabal_stats.weighting import AttritionWeights

    panel, _, fitted = panel_and_fit
    with warnings.catch_warnings():
        # Everyone answers wave 2 (the first survey covers the first two time points), so its
        # response model is separated by design.
        warnings.simplefilter("ignore", SeparationWarning)
        attrition = AttritionWeights(covariates=COVARIATES).fit(panel)
    model = IndicatorModel(panel, weights=attrition)
    arr = model.arrays
    persons = np.asarray(arr.persons)[arr.person]
    waves = np.asarray(arr.waves)[arr.wave]
    raw = attrition.weights.reindex(pd.MultiIndex.from_arrays([persons, waves])).to_numpy()
    np.testing.assert_allclose(model.answer_weights, raw / raw.mean(), rtol=1e-12)
    both = IndicatorModel(panel, weights=[fitted, attrition])
    person_part = fitted.by_person.reindex(list(arr.persons)).to_numpy()
    person_part = (person_part / person_part.mean())[arr.person]
    np.testing.assert_allclose(both.answer_weights, person_part * raw / raw.mean(), rtol=1e-12)
    m = both.model
    rng = np.random.default_rng(5)
    at = {k: rng.normal(scale=0.3, size=np.shape(v)) for k, v in m.initial_point().items()}
    fn = m.compile_fn(
        m.replace_rvs_by_values([m["cell_logit"], m["person_offset"], m.potentials[0]]),
        inputs=m.value_vars,
        on_unused_input="ignore",
    )
    F, off, loglik = fn(at)
    d = both.design
    eta = F.ravel()[d.cell] + d.sign * off.ravel()[d.offset_index]
    expected = np.sum(both.answer_weights * stats.bernoulli.logpmf(d.y, expit(eta)))
    assert float(loglik) == pytest.approx(expected, rel=1e-8)


def test_attrition_weights_missing_for_an_answered_wave_are_refused(panel_and_fit):
    from mirabal_stats.bayes import IndicatorModel

    panel, _, _ = panel_and_fit
    responded = panel.responded().stack()
    weights = pd.Series(1.0, index=responded[responded].index).iloc[1:]
    with pytest.raises(
        WeightingError, match=r"have no value for \d+ observed answers, e.g. person 1001 at wave 1"
    ):
        IndicatorModel(panel, weights=weights)


def test_weights_at_answers_looks_up_person_and_person_wave_keys():
    from mirabal_stats.weighting import weights_at_answers

    by_person = pd.Series([2.0, 5.0], index=[7, 8])
    np.testing.assert_array_equal(
        weights_at_answers(by_person, [8, 7, 8], ["a", "b", "c"]), [5.0, 2.0, 5.0]
    )
    by_wave = pd.Series([1.5, 3.0], index=pd.MultiIndex.from_tuples([(7, "a"), (7, "b")]))
    np.testing.assert_array_equal(weights_at_answers(by_wave, [7, 7], ["b", "a"]), [3.0, 1.5])
    with pytest.raises(
        WeightingError, match=r"have no value for 1 observed answers, e.g. person 8 at wave 'b'"
    ):
        weights_at_answers(by_wave, np.array([7, 8]), ["a", "b"])
    with pytest.raises(
        WeightingError, match=r"zero or negative for 1 observed answers, e.g. person 7 at wave 'b'"
    ):
        weights_at_answers(pd.Series([1.5, 0.0], index=by_wave.index), [7, 7], ["a", "b"])
    three = pd.Series([1.0], index=pd.MultiIndex.from_tuples([(7, "a", 1)]))
    with pytest.raises(WeightingError, match="3-level index; index them by person or by"):
        weights_at_answers(three, [7], ["a"])


def test_bayesian_and_panel_models_refuse_the_same_bad_weights_alike(panel_and_fit):
    # One lookup serves both outcome models, so a user sees one message whichever model she fits
    # (two answers: the panel has two indicators per wave).
    from mirabal_stats import frequentist
    from mirabal_stats.bayes import IndicatorModel

    panel, _, _ = panel_and_fit
    responded = panel.responded().stack()
    weights = pd.Series(1.0, index=responded[responded].index)
    weights.iloc[3] = -1.0
    messages = []
    for fit in (
        lambda: IndicatorModel(panel, weights=weights),
        lambda: frequentist.did(panel, weights=weights),
    ):
        with pytest.raises(
            WeightingError, match=r"\(person, wave\)\) are zero or negative for 2 observed answers"
        ) as err:
            fit()
        messages.append(str(err.value).split(" (indexed by")[1])
    assert messages[0] == messages[1]
