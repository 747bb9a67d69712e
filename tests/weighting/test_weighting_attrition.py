"""Attrition weights: inputs (panel, wide, long), recovery of full-sample means under MAR dropout,
monotone sequential models, combination with group weights, diagnostics and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import ESSWarning, SpecificationError, WeightingError
from mirabal_stats.weighting import AttritionWeights, PropensityWeights, combine_weights

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
    res = AttritionWeights(covariates=["x"]).fit(resp, baseline=base)
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
    wide = AttritionWeights(covariates=["x"]).fit(resp, baseline=base)
    long = resp.stack().rename("responded").rename_axis(["person", "wave"]).reset_index()
    from_long = AttritionWeights(covariates=["x"]).fit(long, baseline=base.reset_index())
    pd.testing.assert_series_equal(wide.weights, from_long.weights)
    assert wide.weights.index.names == ["person", "wave"]
    assert (wide.weights[~resp.stack().to_numpy()] == 0).all()


def test_stabilised_weights_average_one_among_responders(mar_data):
    base, resp, _ = mar_data
    res = AttritionWeights(covariates=["x"]).fit(resp, baseline=base)
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
        res = AttritionWeights(covariates=["x"], monotone=True).fit(
            resp, baseline=base, prior_outcome=y
        )
    assert "prior_outcome" not in res.response_models().columns
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
        AttritionWeights(covariates=["x"], monotone=True).fit(resp, baseline=base)


def test_prior_outcome_needs_monotone(mar_data):
    base, resp, y = mar_data
    with pytest.raises(SpecificationError, match="needs monotone=True"):
        AttritionWeights(covariates=["x"]).fit(resp, baseline=base, prior_outcome=y)


def test_missing_baseline_rows_and_cells_are_errors(mar_data):
    base, resp, _ = mar_data
    with pytest.raises(SpecificationError, match="baseline has no row for 5 person"):
        AttritionWeights(covariates=["x"]).fit(resp, baseline=base.iloc[5:])
    holes = resp.astype(object)
    holes.iloc[0, 1] = None
    with pytest.raises(SpecificationError, match="1 missing cells"):
        AttritionWeights(covariates=["x"]).fit(holes, baseline=base)
    with pytest.raises(SpecificationError, match="pass baseline="):
        AttritionWeights(covariates=["x"]).fit(resp)


def test_combine_with_group_weights_is_product(mar_data):
    base, resp, _ = mar_data
    aw = AttritionWeights(covariates=["x"]).fit(resp, baseline=base)
    gw = pd.Series(np.linspace(0.5, 2.0, len(base)), index=base.index)
    combined = aw.combine(gw)
    expected = aw.weights.to_numpy() * np.repeat(gw.to_numpy(), N_WAVES)
    np.testing.assert_allclose(combined.to_numpy(), expected)
    with pytest.raises(SpecificationError, match="missing for 10 person"):
        combine_weights(aw.weights, gw.iloc[10:])


def test_works_on_indicator_panel():
    from mirabal_stats.datasets import simulate_mirabal

    panel, _ = simulate_mirabal(random_seed=3)
    aw = AttritionWeights().fit(panel)
    responded = panel.responded()
    assert aw.weights.index.get_level_values("person").unique().tolist() == responded.index.tolist()
    table = aw.to_frame()
    assert set(table.columns) == {"person", "wave", "responded", "response_probability", "weights"}
    np.testing.assert_array_equal(table["responded"], responded.stack().to_numpy())
    assert "wave" in aw.summary()
    baseline = panel.baseline().set_index("person")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pw = PropensityWeights().fit(
            baseline, treatment="treated", covariates=["age", "employed", "prior_police"]
        )
    combined = aw.combine(pw.weights)
    assert combined.index.equals(aw.weights.index)
    ax = aw.plot_weights()
    assert ax.get_xlabel() == "wave"
