"""Attrition weights: inputs (panel, wide, long), recovery of full-sample means under MAR dropout,
monotone sequential models, products with group weights, diagnostics and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import (
    ESSWarning,
    RowsExcludedWarning,
    SeparationWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting import AttritionWeights, PropensityWeights, Weights
from tests._contract import assert_results_contract

N_WAVES = 4


def simulate_dropout(rng: np.random.Generator, n: int, *, monotone: bool):
    """Baseline covariate x and group g; response at waves 2..4 depends on x and g (MAR).

    The outcome at every wave is y = x + 0.5 g + noise, so responders over-represent high x and the
    unweighted responder mean is biased for the full-sample mean.
    """
    base = pd.DataFrame(
        {"group": rng.binomial(1, 0.5, n), "x": rng.normal(size=n)},
        index=pd.Index(np.arange(100, 100 + n), name="person"),
    )
    resp = np.ones((n, N_WAVES), dtype=bool)
    for t in range(1, N_WAVES):
        p = 1 / (1 + np.exp(-(0.8 - 0.3 * t + 1.2 * base["x"] - 0.6 * base["group"])))
        r = rng.random(n) < p
        resp[:, t] = r & resp[:, t - 1] if monotone else r
    y = (
        base["x"].to_numpy()[:, None]
        + 0.5 * base["group"].to_numpy()[:, None]
        + rng.normal(size=(n, N_WAVES))
    )
    waves = list(range(1, N_WAVES + 1))
    return (
        base,
        pd.DataFrame(resp, index=base.index, columns=waves),
        pd.DataFrame(y, index=base.index, columns=waves),
    )


@pytest.fixture(scope="module")
def mar_data():
    return simulate_dropout(np.random.default_rng(11), 4000, monotone=False)


def test_ipw_recovers_full_sample_mean(mar_data):
    base, resp, y = mar_data
    res = AttritionWeights(resp, baseline=base, covariates=["x"]).fit()
    w = res.weights.unstack("wave")
    for t in range(2, N_WAVES + 1):
        full = y[t].mean()
        naive = y.loc[resp[t], t].mean()
        weighted = np.average(y[t], weights=w[t])
        se = y[t].std() / np.sqrt(resp[t].sum())
        assert abs(naive - full) > 8 * se  # dropout visibly biases the responders' mean
        assert abs(weighted - full) < 3 * se, (t, weighted, full)


def test_wide_and_long_inputs_agree(mar_data):
    base, resp, _ = mar_data
    wide = AttritionWeights(resp, baseline=base, covariates=["x"]).fit()
    long = resp.stack().rename("responded").rename_axis(["person", "wave"]).reset_index()
    from_long = AttritionWeights(long, baseline=base.reset_index(), covariates=["x"]).fit()
    pd.testing.assert_series_equal(wide.weights, from_long.weights)
    assert wide.weights.index.names == ["person", "wave"]
    assert (wide.weights[~resp.stack().to_numpy()] == 0).all()


def test_stabilised_weights_average_one_among_responders(mar_data):
    base, resp, _ = mar_data
    res = AttritionWeights(resp, baseline=base, covariates=["x"]).fit()
    summary = res.weight_summary()
    np.testing.assert_allclose(summary["mean"], 1.0, atol=0.02)
    assert summary.loc[1, "ess"] == pytest.approx(len(base))
    models = res.response_models()
    assert not models.loc[1, "modelled"] and models.loc[2, "modelled"]
    assert models.loc[2, "auc"] > 0.7


def test_monotone_sequential_model_recovers_mean():
    base, resp, y = simulate_dropout(np.random.default_rng(5), 4000, monotone=True)
    # Strong monotone dropout: by wave 4 a few responders stand in for many dropouts.
    with pytest.warns(ESSWarning, match="low effective sample size among responders"):
        res = AttritionWeights(
            resp, baseline=base, covariates=["x"], monotone=True, prior_outcome=y
        ).fit()
    assert "prior_outcome" not in res.response_models().columns
    assert "prior_outcome" in res.to_frame().loc[2].index
    w = res.weights.unstack("wave")
    for t in range(2, N_WAVES + 1):
        se = y[t].std() / np.sqrt(resp[t].sum())
        assert abs(np.average(y[t], weights=w[t]) - y[t].mean()) < 3 * se
    # cumulative probabilities never increase over waves
    p = res.response_probability.unstack("wave").to_numpy()
    assert np.all(np.diff(p, axis=1) <= 1e-12)


def test_monotone_refuses_intermittent_missingness(mar_data):
    base, resp, _ = mar_data
    with pytest.raises(WeightingError, match="respond again after missing"):
        AttritionWeights(resp, baseline=base, covariates=["x"], monotone=True)


def test_prior_outcome_needs_monotone(mar_data):
    base, resp, y = mar_data
    with pytest.raises(SpecificationError, match="needs monotone=True"):
        AttritionWeights(resp, baseline=base, covariates=["x"], prior_outcome=y)


def test_missing_baseline_rows_and_cells_are_errors(mar_data):
    base, resp, _ = mar_data
    with pytest.raises(SpecificationError, match="baseline has no row for 5 person"):
        AttritionWeights(resp, baseline=base.iloc[5:], covariates=["x"])
    holes = resp.astype(object)
    holes.iloc[0, 1] = None
    with pytest.raises(SpecificationError, match="1 missing cells .*person 100 at wave 2"):
        AttritionWeights(holes, baseline=base, covariates=["x"])
    with pytest.raises(SpecificationError, match="pass baseline="):
        AttritionWeights(resp, covariates=["x"])
    text = resp.astype(object)
    text.iloc[3, 2] = "no"
    with pytest.raises(SpecificationError, match="'no' for person 103 at wave 3"):
        AttritionWeights(text, baseline=base, covariates=["x"])
    with pytest.warns(RowsExcludedWarning, match="5 baseline person.* not in the response table"):
        AttritionWeights(resp.iloc[5:], baseline=base, covariates=["x"])


def test_product_with_group_weights_is_by_label(mar_data):
    base, resp, _ = mar_data
    aw = AttritionWeights(resp, baseline=base, covariates=["x"]).fit()
    gw = pd.Series(np.linspace(0.5, 2.0, len(base)), index=base.index)
    combined = aw * gw
    assert isinstance(combined, Weights)
    assert combined.sources == ("attrition", "user")
    answered = resp.stack()
    persons = answered[answered].index.get_level_values(0)
    waves = answered[answered].index.get_level_values(1)
    expected = aw.weights[answered[answered].index].to_numpy() * gw.reindex(persons).to_numpy()
    np.testing.assert_allclose(combined.at_answers(persons, waves), expected)
    # The same product whichever side and whatever the order of the Series.
    np.testing.assert_allclose((gw.iloc[::-1] * aw).at_answers(persons, waves), expected)
    # A person without a group weight is refused, not treated as weight 1.
    with pytest.raises(WeightingError, match="have no weight"):
        (aw * gw.iloc[10:]).at_answers(persons, waves)
    assert aw.to_weights().sources == ("attrition",)


def test_works_on_indicator_panel():
    from mirabal_stats.datasets import simulate_mirabal

    panel, _ = simulate_mirabal(random_seed=3)
    with warnings.catch_warnings():
        # Everyone answers the first waves (the first survey covers two time points), so some
        # response models are separated by design.
        warnings.simplefilter("ignore", SeparationWarning)
        aw = AttritionWeights(panel).fit()
    responded = panel.responded()
    assert aw.weights.index.get_level_values("person").unique().tolist() == responded.index.tolist()
    table = aw.weights_frame()
    assert set(table.columns) == {"person", "wave", "responded", "response_probability", "weights"}
    np.testing.assert_array_equal(table["responded"], responded.stack().to_numpy())
    assert "wave" in aw.summary()
    coefficients = aw.to_frame()
    assert coefficients.index.names == ["wave", "term"]
    assert "treated" in coefficients.index.get_level_values("term")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pw = PropensityWeights(
            panel.baseline(), group="group", covariates=["age", "employed", "prior_police"]
        ).fit()
    combined = pw * aw
    observed = panel.to_long(include_missing=False)
    values = combined.at_answers(observed["person"], observed["wave"])
    assert np.all(values > 0)
    ax = aw.plot_weights()
    assert ax.get_xlabel() == "wave"
    assert_results_contract(aw)


def test_option_errors(mar_data):
    base, resp, _ = mar_data
    for options, message in [
        ({"ess_threshold": -0.1}, "ess_threshold must be a finite number >= 0 and <= 1"),
        ({"ess_threshold": float("nan")}, "ess_threshold must be a finite number"),
        ({"ess_threshold": "0.2"}, "ess_threshold must be a finite number"),
        ({"trim_quantile": 0.3}, "trim_quantile must be a finite number > 0.5"),
        ({"monotone": "yes"}, "monotone must be True or False"),
    ]:
        with pytest.raises(SpecificationError, match=message):
            AttritionWeights(resp, baseline=base, covariates=["x"], **options)
