"""Unit tests: weights, ESS, trimming and balance statistics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.weighting import (
    effective_sample_size,
    normalize_weights,
    smd,
    trim_weights,
    variance_ratio,
    weighted_ks,
    weighted_variance,
    weights_from_propensity,
)

P = np.array([0.2, 0.5, 0.8, 0.25, 0.5])
A = np.array([1, 1, 1, 0, 0])


def test_att_ate_ato_weights_by_hand():
    np.testing.assert_allclose(weights_from_propensity(P, A, estimand="ATT"), [1, 1, 1, 1 / 3, 1])
    np.testing.assert_allclose(
        weights_from_propensity(P, A, estimand="ATE"), [5, 2, 1.25, 4 / 3, 2]
    )
    np.testing.assert_allclose(
        weights_from_propensity(P, A, estimand="ATO"), [0.8, 0.5, 0.2, 0.25, 0.5]
    )


def test_stabilised_ate_weights_use_group_shares():
    w = weights_from_propensity(P, A, estimand="ATE", stabilize=True)
    np.testing.assert_allclose(w, [5 * 0.6, 2 * 0.6, 1.25 * 0.6, 4 / 3 * 0.4, 2 * 0.4])


def test_stabilize_only_for_ate():
    with pytest.raises(SpecificationError, match="ATE weights only"):
        weights_from_propensity(P, A, estimand="ATT", stabilize=True)


def test_unknown_estimand_is_named():
    with pytest.raises(SpecificationError, match="'ATC'"):
        weights_from_propensity(P, A, estimand="ATC")


def test_kish_ess():
    assert effective_sample_size([2.0, 2.0, 2.0]) == pytest.approx(3.0)
    assert effective_sample_size([1.0, 3.0]) == pytest.approx(16 / 10)


def test_normalize_keeps_group_sums_at_group_sizes():
    w = normalize_weights(np.array([1.0, 3.0, 0.5, 1.5, 2.0]), A)
    assert w[A == 1].sum() == pytest.approx(3)
    assert w[A == 0].sum() == pytest.approx(2)
    np.testing.assert_allclose(w[A == 1] / w[A == 1].sum(), np.array([1, 3, 0.5]) / 4.5)


def test_quantile_truncation_reports_affected_units():
    a = np.r_[np.ones(5, int), np.zeros(100, int)]
    w = np.r_[np.ones(5), np.arange(1.0, 101.0)]
    out, report = trim_weights(w, a, quantile=0.95, estimand="ATT")
    cap = np.quantile(np.arange(1.0, 101.0), 0.95)
    assert out[a == 0].max() == pytest.approx(cap)
    assert report.n_affected_control == 5 and report.n_affected_treated == 0
    np.testing.assert_array_equal(out[a == 1], 1.0)


def test_propensity_bounds_trimming_zeroes_units():
    out, report = trim_weights(np.ones(5), A, propensity=P, propensity_bounds=(0.21, 0.79))
    np.testing.assert_array_equal(out, [0, 1, 0, 1, 1])
    assert report.n_affected == 2
    assert "0.21" in report.describe()


def test_trim_needs_exactly_one_rule():
    with pytest.raises(SpecificationError, match="exactly one"):
        trim_weights(np.ones(5), A)


def test_smd_treated_sd_by_hand():
    x = np.array([1.0, 2.0, 3.0, 1.0, 1.0])
    # treated mean 2, sd 1; control mean 1
    assert smd(x, A, sd_denominator="treated")[0] == pytest.approx(1.0)
    # pooled: sqrt((1 + 0) / 2)
    assert smd(x, A, sd_denominator="pooled")[0] == pytest.approx(1 / np.sqrt(0.5))


def test_smd_binary_uses_p_one_minus_p():
    x = np.array([1.0, 1.0, 0.0, 0.0, 1.0])
    a = np.array([1, 1, 1, 0, 0])
    p1 = 2 / 3
    assert smd(x, a, binary=True, sd_denominator="treated")[0] == pytest.approx(
        (p1 - 0.5) / np.sqrt(p1 * (1 - p1))
    )


def test_weighted_smd_keeps_unweighted_denominator():
    x = np.array([1.0, 2.0, 3.0, 1.0, 3.0])
    w = np.array([1.0, 1.0, 1.0, 3.0, 1.0])
    # weighted control mean (3*1 + 3)/4 = 1.5; treated sd 1
    assert smd(x, A, weights=w)[0] == pytest.approx(0.5)


def test_weighted_variance_reduces_to_sample_variance():
    x = np.array([1.0, 4.0, 2.0, 8.0])
    assert weighted_variance(x, np.full(4, 2.5)) == pytest.approx(np.var(x, ddof=1))


def test_variance_ratio_unweighted():
    x = np.array([1.0, 2.0, 3.0, 0.0, 4.0])
    assert variance_ratio(x, A)[0] == pytest.approx(1.0 / 8.0)


def test_weighted_ks_by_hand():
    x = np.array([1.0, 2.0, 3.0, 1.0, 3.0])
    # treated ECDF at 1, 2, 3: 1/3, 2/3, 1; control (weights 3, 1): 3/4, 3/4, 1
    w = np.array([1.0, 1.0, 1.0, 3.0, 1.0])
    assert weighted_ks(x, A, weights=w)[0] == pytest.approx(3 / 4 - 1 / 3)
    assert weighted_ks(x, A)[0] == pytest.approx(1 / 2 - 1 / 3)


def test_plain_formula_equals_group_and_covariates(lalonde, fitted_lalonde):
    from mirabal_stats.exceptions import BalanceWarning
    from mirabal_stats.weighting import PropensityWeights

    with pytest.warns(BalanceWarning, match=r"age \(\+0.119\)"):
        res = PropensityWeights(
            lalonde, formula="treat ~ age + educ + race + married + nodegree + re74 + re75"
        ).fit()
    np.testing.assert_allclose(res.weights, fitted_lalonde["ATT"].weights)
    assert list(res.balance().frame.index) == list(fitted_lalonde["ATT"].balance().frame.index)


def test_weights_keyed_by_index_label_when_no_person_column(lalonde):
    from mirabal_stats.weighting import PropensityWeights

    shuffled = lalonde.sample(frac=1.0, random_state=np.random.default_rng(3).integers(1 << 31))
    shuffled.index = pd.Index([f"p{i}" for i in range(len(shuffled))])
    res = PropensityWeights(shuffled, group="treat", covariates=["age", "educ", "re74"]).fit()
    assert res.weights.index.equals(shuffled.index)
    assert (res.weights[shuffled["treat"] == 1] == 1).all()
    assert res.propensity.between(0, 1).all()


def test_weights_keyed_by_person_column(lalonde):
    """With a person column the weights are keyed by it, whatever the row order or index."""
    from mirabal_stats.weighting import PropensityWeights

    data = lalonde.assign(person=[f"id{i}" for i in range(len(lalonde))])
    reordered = data.iloc[::-1].reset_index(drop=True)
    one = PropensityWeights(data, group="treat", covariates=["age", "educ", "re74"]).fit()
    two = PropensityWeights(reordered, group="treat", covariates=["age", "educ", "re74"]).fit()
    assert one.weights.index.name == "person"
    pd.testing.assert_series_equal(one.weights, two.weights.reindex(one.weights.index))
    assert (
        one.to_weights().for_persons(["id3", "id0"]).tolist()
        == one.weights[["id3", "id0"]].tolist()
    )


def test_results_are_immutable(fitted_lalonde):
    res = fitted_lalonde["ATT"]
    w = res.weights
    w.iloc[0] = 99.0
    assert res.weights.iloc[0] == 1.0
    with pytest.raises(AttributeError, match="cannot assign to field"):
        res.spec = None
    with pytest.raises(ValueError, match="read-only"):
        res.weight_values[0] = 5.0


def test_summary_overlap_and_tables(fitted_lalonde):
    from mirabal_stats._results import Summary

    res = fitted_lalonde["ATT"]
    text = res.summary()
    assert isinstance(text, Summary)
    assert "99.8 of 429" in text and "age" in text
    ov = res.overlap()
    assert list(ov.index) == ["treated", "control"]
    assert ov.loc["control", "min"] < ov.loc["treated", "min"]
    assert res.provenance.settings["estimand"] == "ATT"
    per_person = res.weights_frame()
    assert per_person.columns.tolist() == ["group", "treated", "propensity", "weights"]
    assert per_person["weights"].equals(res.weights)


def test_balance_threshold_is_user_settable(fitted_lalonde):
    bal = fitted_lalonde["ATT"].balance(threshold=0.15)
    assert bal.all_balanced
    strict = fitted_lalonde["ATT"].balance(threshold=0.01)
    assert set(strict.unbalanced) == {"age", "educ", "married", "nodegree", "re75"}
    vr = fitted_lalonde["ATT"].balance(threshold=0.2, vr_threshold=2.0)
    assert vr.unbalanced == ["age"]  # variance ratio 0.458 < 1/2


def test_balance_table_is_a_diagnostics_table_with_a_summary(fitted_lalonde):
    from mirabal_stats._results import Summary

    bal = fitted_lalonde["ATT"].balance()
    assert not hasattr(bal, "to_frame")
    assert "balanced" in bal.frame.columns
    assert isinstance(bal.summary(), Summary)
    assert "age (+0.119)" in bal.summary()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: smd(np.ones(3), np.array([1, 0])), "treated has 2 entries but the other arrays"),
        (lambda: smd(np.arange(3.0), np.array([1, 2, 0])), "0/1 array"),
        (
            lambda: weighted_ks(np.arange(3.0), np.array([1, 0, 0]), weights=[1.0, np.nan, 1.0]),
            "missing or infinite",
        ),
        (lambda: normalize_weights(np.ones(2), np.array([1, 0, 1])), "has 3 entries"),
        (
            lambda: trim_weights(np.ones(3), np.array([1, 0, 0]), quantile="0.99"),
            "quantile must be a finite number",
        ),
        (
            lambda: trim_weights(
                np.ones(3),
                np.array([1, 0, 0]),
                propensity=np.ones(3) / 2,
                propensity_bounds=(0.9, 0.1),
            ),
            "lower < upper",
        ),
        (
            lambda: weights_from_propensity(np.array([0.5, 1.5]), np.array([1, 0])),
            "probabilities between 0 and 1",
        ),
        (lambda: effective_sample_size([1.0, -1.0]), "finite and non-negative"),
        (lambda: variance_ratio(np.arange(3.0), np.array([0, 0, 0])), "treated group has no"),
    ],
)
def test_pure_functions_refuse_bad_arrays_with_named_errors(call, message):
    with pytest.raises(SpecificationError, match=message):
        call()
