"""Fixed-effects DiD against an explicit least-squares fit with dummies, and its warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _contract import assert_results_contract

from mirabal_stats import frequentist
from mirabal_stats.exceptions import (
    DataWarning,
    EstimabilityWarning,
    FewClustersWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting import Weights


def _explicit_did(long: pd.DataFrame, weights: np.ndarray | None):
    """WLS with person x indicator and indicator x wave dummies; clustered by person with
    G/(G-1) * (N-1)/(N-K), K = number of effect columns (dummies nested in clusters not counted).
    Returns the indicator effects (columns in first-appearance order) and their covariance."""
    indicators = list(dict.fromkeys(long["indicator"]))
    treated = (long["group"] == "programme").to_numpy(float)
    post = (long["wave"] > 1).to_numpy(float)
    effects = np.column_stack([treated * post * (long["indicator"] == k) for k in indicators])
    entity = pd.get_dummies(long["person"].astype(str) + "|" + long["indicator"]).to_numpy(float)
    other = pd.get_dummies(long["indicator"] + "|" + long["wave"].astype(str)).to_numpy(float)
    x = np.column_stack([effects, entity, other])
    w = np.ones(len(long)) if weights is None else weights
    sw = np.sqrt(w)
    xw, yw = x * sw[:, None], long["response"].to_numpy(float) * sw
    beta = np.linalg.lstsq(xw, yw, rcond=None)[0]
    resid = yw - xw @ beta
    bread = np.linalg.pinv(xw.T @ xw)
    persons = long["person"].to_numpy()
    meat = np.zeros((x.shape[1], x.shape[1]))
    for p in np.unique(persons):
        s = xw[persons == p].T @ resid[persons == p]
        meat += np.outer(s, s)
    g, n, k = len(np.unique(persons)), len(long), len(indicators)
    cov = bread @ meat @ bread * g / (g - 1) * (n - 1) / (n - k)
    return beta[:k], cov[:k, :k], indicators


@pytest.mark.parametrize("weighted", [False, True])
def test_did_equals_explicit_dummy_regression(small_panel, weighted):
    long = small_panel.to_long(include_missing=False)
    rng = np.random.default_rng(5)
    person_w = pd.Series(rng.uniform(0.5, 2.0, small_panel.n_persons), index=small_panel.persons)
    wave_w = pd.Series(
        rng.uniform(0.8, 1.5, len(long)),
        index=pd.MultiIndex.from_arrays([long["person"], long["wave"]]),
    )
    wave_w = wave_w[~wave_w.index.duplicated()]
    weights = Weights(person_w) * wave_w if weighted else None
    cell_w = None
    if weighted:
        cell_w = (
            long["person"].map(person_w).to_numpy()
            * wave_w.reindex(pd.MultiIndex.from_arrays([long["person"], long["wave"]])).to_numpy()
        )
    beta, cov, order = _explicit_did(long, cell_w)

    # Measure level stacks the indicators: compare its contrast with the explicit stacked fit.
    measure = frequentist.did(small_panel, level="overall", weights=weights).to_frame()
    sign = small_panel.benefit_sign.reindex(order).to_numpy()
    c = sign / len(order)
    assert measure.loc["overall", "estimate"] == pytest.approx(100 * c @ beta, rel=1e-10)
    assert measure.loc["overall", "std_error"] == pytest.approx(
        100 * np.sqrt(c @ cov @ c), rel=1e-8
    )

    # Per-indicator fits give the same point estimates as the fully interacted stacked model.
    per = frequentist.did(small_panel, level="indicator", weights=weights).to_frame().loc[order]
    np.testing.assert_allclose(per["estimate"], 100 * beta, rtol=1e-10)


def test_single_indicator_se_equals_explicit(small_panel):
    one = small_panel.subset(indicators=["slapped"])
    long = one.to_long(include_missing=False)
    beta, cov, _ = _explicit_did(long, None)
    fit = frequentist.did(one, level="indicator").to_frame().loc["slapped"]
    assert fit["estimate"] == pytest.approx(100 * beta[0], rel=1e-10)
    assert fit["std_error"] == pytest.approx(100 * np.sqrt(cov[0, 0]), rel=1e-8)
    assert fit["n_persons"] == long["person"].nunique() and fit["n_obs"] == len(long)


def test_to_frame_columns_and_compare_with(small_panel):
    result = frequentist.did(small_panel, level="measure")
    assert_results_contract(result)
    frame = result.to_frame()
    assert list(frame.columns) == [
        "estimate",
        "std_error",
        "lower",
        "upper",
        "ci_level",
        "p_value",
        "n_persons",
        "n_obs",
    ]
    bayes = pd.DataFrame(
        {
            "estimate": [1.0, -2.0],
            "std_error": [1.0, 1.0],
            "lower": [-1.0, -4.0],
            "upper": [3.0, 0.0],
            "ci_level": [0.95, 0.95],
            "prob_beneficial": [0.8, 0.1],
        },
        index=["safety", "communication"],
    )
    table = result.compare_with(bayes)
    assert list(table.index) == list(frame.index)
    assert table.loc["safety", "difference"] == pytest.approx(1.0 - frame.loc["safety", "estimate"])
    assert (table["ci_level"] == 0.95).all()

    asked = []

    class FakeBayes:
        def effects(self, *, level, scale, ci_level=0.9):
            asked.append((level, scale, ci_level))
            return bayes.assign(ci_level=ci_level)

    pd.testing.assert_frame_equal(result.compare_with(FakeBayes()), table)
    # The Bayesian intervals are recomputed at the frequentist level, never shown at 90%.
    assert asked == [("measure", "pp", 0.95)]
    with pytest.raises(SpecificationError, match="effects\\(level=, scale=, ci_level=\\)"):
        result.compare_with(object())


def test_compare_with_refuses_mixed_interval_levels(small_panel):
    result = frequentist.did(small_panel, level="measure", ci_level=0.9)
    bayes = pd.DataFrame(
        {"estimate": [1.0], "lower": [0.0], "upper": [2.0], "ci_level": [0.95]},
        index=["safety"],
    )
    with pytest.raises(SpecificationError, match=r"Bayesian intervals are at 95% but these did"):
        result.compare_with(bayes)
    with pytest.raises(SpecificationError, match="lacks column\\(s\\) \\['ci_level'\\]"):
        result.compare_with(bayes.drop(columns="ci_level"))

    class OldBayes:
        def effects(self, *, level, scale):
            return bayes

    with pytest.raises(SpecificationError, match="cannot align interval levels.*ci_level="):
        result.compare_with(OldBayes())

    class IgnoresLevel:
        def effects(self, *, level, scale, ci_level):
            return bayes  # still at 95%

    with pytest.raises(SpecificationError, match="cannot align interval levels"):
        result.compare_with(IgnoresLevel())
    assert "90% intervals" in result.summary()


def test_few_clusters_warns(panel_factory):
    tiny = panel_factory(3, n_persons=12)
    with pytest.warns(FewClustersWarning, match="only 12 persons"):
        frequentist.did(tiny, level="overall")


def test_no_within_person_variation_warns_and_gives_nan(panel_factory):
    base = panel_factory(4).to_long(include_missing=False)
    flat = base[base["indicator"] == "slapped"].copy()
    flat["indicator"] = "always_no"
    flat["response"] = 0.0
    long = pd.concat([base, flat])
    from mirabal_stats import IndicatorPanel

    built = IndicatorPanel.from_long(
        long,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated="programme",
    )
    with pytest.warns(EstimabilityWarning, match="no within-person variation.*'always_no'"):
        frame = frequentist.did(built, level="indicator").to_frame()
    assert np.isnan(frame.loc["always_no", "estimate"])
    assert np.isfinite(frame.loc["slapped", "estimate"])


def test_wave_without_comparison_respondents_warns(panel_factory):
    long = panel_factory(6).to_long(include_missing=False)
    long = long[~((long["group"] == "comparison") & (long["wave"] == 4))]
    from mirabal_stats import IndicatorPanel

    built = IndicatorPanel.from_long(
        long,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated="programme",
    )
    with pytest.warns(DataWarning, match=r"no comparison-group respondents at wave\(s\) \[4\]"):
        frequentist.did(built, level="overall")


def test_bad_inputs_raise(small_panel):
    with pytest.raises(SpecificationError, match="level='wave' is not available"):
        frequentist.did(small_panel, level="wave")
    with pytest.raises(SpecificationError, match="baseline_wave=9 is not a wave"):
        frequentist.did(small_panel, baseline_wave=9)
    with pytest.raises(SpecificationError, match="expected an IndicatorPanel"):
        frequentist.did(pd.DataFrame({"a": [1]}))
    with pytest.raises(
        WeightingError, match=r"answer\(s\) of the panel's observed answers have no weight"
    ):
        frequentist.did(small_panel, weights=pd.Series([1.0], index=[0]))
    bad = pd.Series(1.0, index=small_panel.persons)
    bad.iloc[0] = 0.0
    with pytest.raises(WeightingError, match="have a zero weight"):
        frequentist.did(small_panel, weights=bad)
    # Lists no longer mean products: users write w1 * w2.
    with pytest.raises(WeightingError, match=r"To multiply weights, write w1 \* w2"):
        frequentist.did(small_panel, weights=[bad, bad])


def test_event_study_and_pre_trend(small_panel):
    study = frequentist.event_study(small_panel, level="overall", baseline_wave=2)
    frame = study.to_frame()
    assert frame.loc[("overall", 2), "period"] == "baseline"
    assert frame.loc[("overall", 2), "estimate"] == 0.0
    assert frame.loc[("overall", 1), "period"] == "pre"
    test = study.pre_trend_test()
    # One pre wave: the Wald statistic is the squared z of its coefficient.
    z = frame.loc[("overall", 1), "estimate"] / frame.loc[("overall", 1), "std_error"]
    assert test.loc["overall", "statistic"] == pytest.approx(z**2)
    assert_results_contract(study)
    first = frequentist.event_study(small_panel, level="overall")
    with pytest.raises(SpecificationError, match="no pre-trend test"):
        first.pre_trend_test()
    # With two waves the event-study effect is the DiD effect.
    one_wave = small_panel.subset(waves=[1, 3])
    did3 = frequentist.did(one_wave, level="overall").to_frame().loc["overall", "estimate"]
    es3 = (
        frequentist.event_study(one_wave, level="overall")
        .to_frame()
        .loc[("overall", 3), "estimate"]
    )
    assert did3 == pytest.approx(es3, rel=1e-10)
