"""Issue 14 regressions in the weighting pillar: hostile or degenerate input gets a named error
or a result with a warning that names the reason, never a dependency's exception or a silent
meaningless number.

Each scenario was reproduced on the foundation commit (d703b9f), where it failed as the test
name says (``LinAlgError``, ``KeyError: nan``, an estimate with a meaningless standard error, a
NaN standard error without a warning, an option accepted, a valid column refused).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mirabal_stats._results import Summary
from mirabal_stats.exceptions import (
    BalanceWarning,
    ESSWarning,
    EstimabilityWarning,
    EstimationError,
    SeparationWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting import (
    AttritionWeights,
    BalanceTable,
    PropensityWeights,
    weighted_effect,
)
from tests._contract import assert_results_contract


@pytest.fixture
def two_groups(rng):
    n = 40
    return pd.DataFrame(
        {
            "person": [f"p{i}" for i in range(n)],
            "t": np.r_[np.ones(20, int), np.zeros(20, int)],
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
        }
    )


def _uniform(data):
    return pd.Series(1.0, index=data["person"])


# --------------------------------------------------------------------------- F14 weighted_effect
def test_f14_covariate_collinear_with_group_is_a_named_error(two_groups):
    """Was numpy's LinAlgError: Singular matrix."""
    data = two_groups.assign(c=2.0 * two_groups["t"])
    with pytest.raises(EstimationError, match=r"'c' is a linear combination of 't'.*determined by"):
        weighted_effect(data, response="y", group="t", weights=_uniform(data), covariates=["c"])


def test_f14_covariates_collinear_with_each_other_are_a_named_error(two_groups):
    """Was LinAlgError, or with rounding an arbitrary coefficient split between the two."""
    data = two_groups.assign(x2=3.0 * two_groups["x"] + 1.0)
    with pytest.raises(EstimationError, match=r"'x2' is a linear combination of .*'x'"):
        weighted_effect(
            data, response="y", group="t", weights=_uniform(data), covariates=["x", "x2"]
        )


def test_f14_one_person_in_a_group_is_refused(two_groups):
    """Was a result: the one treated person's residual is 0, so the SE ignored that group."""
    data = two_groups.iloc[19:]
    with pytest.raises(
        EstimationError, match=r"at least 2 persons .* group 1 of 't' has 1 \(person"
    ):
        weighted_effect(data, response="y", group="t", weights=_uniform(data))


def test_f14_all_weight_on_one_person_warns(two_groups):
    """Was a confident estimate (p = 0.047) resting on a single comparison person."""
    w = _uniform(two_groups)
    w.iloc[25] = 1e12
    with pytest.warns(
        ESSWarning, match=r"group 0 has an effective sample size of 1.0 .*20 persons"
    ):
        eff = weighted_effect(two_groups, response="y", group="t", weights=w)
    assert eff.ess_control == pytest.approx(1.0)


def test_f14_response_constant_in_a_group_warns(two_groups):
    """Was SE 0 and p NaN (constant everywhere) or an interval ignoring a group, silently."""
    data = two_groups.assign(y=np.where(two_groups["t"] == 1, 0.0, two_groups["y"]))
    with pytest.warns(EstimabilityWarning, match=r"'y' takes the single value 0 in group 1"):
        eff = weighted_effect(data, response="y", group="t", weights=_uniform(data))
    assert np.isfinite(eff.std_error)


def test_f14_more_coefficients_than_persons_is_refused(rng):
    data = pd.DataFrame(
        {"t": [1, 1, 0, 0], "y": rng.normal(size=4), "a": [1.0, 2, 4, 3], "b": [0.5, 0.1, 0.2, 1]}
    )
    with pytest.raises(EstimationError, match="4 coefficients but only 4 persons"):
        weighted_effect(
            data,
            response="y",
            group="t",
            weights=pd.Series(1.0, index=data.index),
            covariates=["a", "b"],
        )


def test_response_and_group_must_differ(two_groups):
    with pytest.raises(SpecificationError, match="response and group are the same column"):
        weighted_effect(two_groups, response="t", group="t", weights=_uniform(two_groups))
    with pytest.raises(SpecificationError, match="may not include the group column"):
        weighted_effect(
            two_groups, response="y", group="t", weights=_uniform(two_groups), covariates=["t"]
        )


def test_f14_text_response_names_a_value(two_groups):
    data = two_groups.assign(y=np.where(np.arange(40) == 3, "n/a", two_groups["y"].astype(str)))
    with pytest.raises(SpecificationError, match=r"'n/a' for person 'p3'"):
        weighted_effect(data, response="y", group="t", weights=_uniform(data))


def test_f14_weights_by_position_are_refused(two_groups):
    with pytest.raises(WeightingError, match="by person label, never by row position"):
        weighted_effect(two_groups, response="y", group="t", weights=np.ones(40))


def test_f14_weights_aligned_by_label_not_position(two_groups, rng):
    w = pd.Series(rng.uniform(0.5, 2.0, 40), index=two_groups["person"])
    one = weighted_effect(two_groups, response="y", group="t", weights=w)
    two = weighted_effect(two_groups, response="y", group="t", weights=w.iloc[::-1])
    three = weighted_effect(two_groups.iloc[::-1], response="y", group="t", weights=w)
    assert one.estimate == two.estimate == pytest.approx(three.estimate, rel=1e-12)
    assert one.std_error == pytest.approx(three.std_error, rel=1e-12)


# --------------------------------------------------------------------------- F15 one-unit groups
def test_f15_propensity_weighting_refuses_a_one_person_group(two_groups):
    """Was a fit whose summary() raised KeyError: nan (every balance statistic NaN)."""
    with pytest.raises(WeightingError, match=r"at least 2 persons in each group.*has 1 \(person"):
        PropensityWeights(two_groups.iloc[19:], group="t", covariates=["x"])


def test_f15_propensity_weighting_needs_more_persons_than_terms(rng):
    data = pd.DataFrame(
        {"t": [1, 1, 0, 0], "a": [1.0, 2, 4, 3], "b": [0.5, 0.1, 0.2, 1], "c": [3.0, 1, 2, 0]}
    )
    with pytest.raises(WeightingError, match="4 coefficients .* only 4 persons"):
        PropensityWeights(data, group="t", covariates=["a", "b", "c"])


def test_f15_balance_summary_survives_nan_statistics():
    stats = pd.DataFrame(
        {"diff_adj": [np.nan, np.inf], "type": "continuous"},
        index=pd.Index(["x", "z"], name="covariate"),
    )
    for col in ("diff_un", "vr_un", "vr_adj", "ks_un", "ks_adj"):
        stats[col] = np.nan
    table = BalanceTable(statistics=stats, estimand="ATT", sd_denominator="treated")
    text = table.summary()
    assert isinstance(text, Summary)
    assert "No balance statistic could be computed" in text
    assert "x (not computable" in text
    assert table.unbalanced == ["x", "z"]


def test_f15_covariate_without_variation_among_the_treated_is_explained(rng):
    n = 60
    data = pd.DataFrame({"t": np.r_[np.ones(20, int), np.zeros(40, int)], "z": rng.normal(size=n)})
    data["k"] = np.where(data["t"] == 1, 5.0, rng.normal(5, 1, n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ESSWarning)
        with pytest.warns(BalanceWarning, match=r"k \(not computable: it does not vary in the "):
            res = PropensityWeights(data, group="t", covariates=["z", "k"]).fit()
    assert "not computable" in res.summary()
    assert_results_contract(res)


# --------------------------------------------------------------------------- F26 options
@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf"), 1.5, "0.2", True, None])
def test_f26_ess_threshold_refused_with_the_option_named(two_groups, value):
    """Was accepted (a negative or NaN threshold silently switched the warning off)."""
    with pytest.raises(SpecificationError, match="ess_threshold must be a finite number"):
        PropensityWeights(two_groups, group="t", covariates=["x"], ess_threshold=value)
    responded = pd.DataFrame({1: [True] * 40, 2: [True, False] * 20}, index=two_groups["person"])
    with pytest.raises(SpecificationError, match="ess_threshold must be a finite number"):
        AttritionWeights(
            responded, baseline=two_groups, group="t", covariates=["x"], ess_threshold=value
        )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("balance_threshold", float("nan"), "balance_threshold must be a finite number > 0"),
        ("balance_threshold", "0.1", "balance_threshold must be a finite number > 0"),
        ("vr_threshold", 0.5, "vr_threshold must be a finite number > 1"),
        ("trim_quantile", "high", "trim_quantile must be a finite number"),
        ("propensity_bounds", (0.1, float("nan")), r"propensity_bounds\[1\] must be a finite"),
        ("moments", True, "moments must be 1 or 2"),
        ("normalize", 1, "normalize must be True or False"),
        ("gbm_options", [("max_depth", 2)], "gbm_options must be a dict"),
    ],
)
def test_f26_other_options_refused_with_the_option_named(two_groups, option, value, message):
    with pytest.raises(SpecificationError, match=message):
        PropensityWeights(two_groups, group="t", covariates=["x"], **{option: value})


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("n_bootstrap", 10.5, "n_bootstrap must be a whole number >= 50"),
        ("n_bootstrap", "500", "n_bootstrap must be a whole number"),
        ("random_seed", -1, "random_seed must be a whole number >= 0"),
        ("ci_level", 1.5, "ci_level must be a number strictly between 0 and 1"),
    ],
)
def test_f26_weighted_effect_options(two_groups, option, value, message):
    with pytest.raises(SpecificationError, match=message):
        weighted_effect(
            two_groups, response="y", group="t", weights=_uniform(two_groups), **{option: value}
        )


# --------------------------------------------------------------------------- F27 M-estimation
def test_f27_m_estimation_variance_that_cannot_be_computed_is_a_named_error():
    """Was a result with std_error NaN and no warning (ATE weights, quasi-separation)."""
    rng = np.random.default_rng(9)
    n = int(rng.integers(8, 60))
    x = rng.normal(size=n)
    t = rng.integers(0, 2, n)
    b = np.where(t == 1, rng.integers(0, 2, n), 0)  # b = 1 only in the intervention group
    data = pd.DataFrame({"t": t, "x": x, "b": b, "y": rng.normal(size=n)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)
        warnings.simplefilter("ignore", ESSWarning)
        with pytest.warns(SeparationWarning, match="involving b"):
            fitted = PropensityWeights(data, group="t", covariates=["x", "b"], estimand="ATE").fit()
    with pytest.raises(EstimationError, match=r"M-estimation variance .*\(quasi-\)separated"):
        weighted_effect(data, response="y", group="t", weights=fitted, se_method="m_estimation")
    # The fixed-weight SE is still available and finite.
    robust = weighted_effect(data, response="y", group="t", weights=fitted)
    assert np.isfinite(robust.std_error)


# --------------------------------------------------------------------------- F28 nullable boolean
def test_f28_nullable_boolean_group_works(two_groups):
    """Was refused: 'must be binary (0/1 or True/False) but holds ... np.True_, np.False_'."""
    as_bool = two_groups.assign(t=pd.array(two_groups["t"] == 1, dtype="boolean"))
    res = PropensityWeights(as_bool, group="t", covariates=["x"]).fit()
    ref = PropensityWeights(two_groups, group="t", covariates=["x"]).fit()
    np.testing.assert_allclose(res.weights, ref.weights)
    assert res.groups.treated is True
    eff = weighted_effect(as_bool, response="y", group="t", weights=res)
    assert eff.estimate == pytest.approx(
        weighted_effect(two_groups, response="y", group="t", weights=ref).estimate
    )
    responded = pd.DataFrame({1: [True] * 40, 2: [True, False] * 20}, index=two_groups["person"])
    aw = AttritionWeights(responded, baseline=as_bool, group="t", covariates=["x"]).fit()
    assert "t" in aw.to_frame().index.get_level_values("term")


def test_f28_nullable_covariates_work(two_groups):
    data = two_groups.assign(
        flag=pd.array(np.arange(40) % 3 == 0, dtype="boolean"),
        count=pd.array(np.arange(40) % 5, dtype="Int64"),
    )
    res = PropensityWeights(data, group="t", covariates=["flag", "count"]).fit()
    assert res.design.model_names == ["flag_True", "count"]


# --------------------------------------------------------------------------- text in numbers
def test_text_in_a_numeric_covariate_names_the_column_and_a_value(two_groups):
    """Was accepted as a category with one level per distinct age (silently)."""
    ages = (20 + np.arange(40)).astype(str).astype(object)
    ages[7] = "unknown"
    data = two_groups.assign(age=ages)
    with pytest.raises(
        WeightingError, match=r"'age' mixes numbers and text.*'unknown' for person 'p7'"
    ):
        PropensityWeights(data, group="t", covariates=["age", "x"])
    with pytest.raises(WeightingError, match=r"'age' mixes numbers and text"):
        weighted_effect(data, response="y", group="t", weights=_uniform(data), covariates=["age"])
    with pytest.raises(WeightingError, match=r"'age' mixes numbers and text"):
        PropensityWeights(data, formula="t ~ np.log(x + 10) + age")


def test_numbers_stored_as_text_must_be_declared(two_groups):
    data = two_groups.assign(age=(20 + (np.arange(40) * 7) % 40).astype(str))
    with pytest.raises(WeightingError, match=r"stored as text, but every value reads as a number"):
        PropensityWeights(data, group="t", covariates=["age"])
    declared = data.assign(age=pd.to_numeric(data["age"]))
    assert PropensityWeights(declared, group="t", covariates=["age"]).fit() is not None


def test_text_categories_are_dummy_coded(two_groups):
    data = two_groups.assign(site=np.array(["north", "south", "east", "west"] * 10))
    res = PropensityWeights(data, group="t", covariates=["site"]).fit()
    assert res.design.model_names == ["site_north", "site_south", "site_west"]
    assert list(res.balance().frame.index) == ["site_east", "site_north", "site_south", "site_west"]


def test_object_column_of_numbers_is_numeric(two_groups):
    data = two_groups.assign(x=two_groups["x"].astype(object))
    res = PropensityWeights(data, group="t", covariates=["x"]).fit()
    assert res.design.model_names == ["x"]


def test_unreadable_cells_are_named(two_groups):
    data = two_groups.assign(x=[[1.0]] + list(two_groups["x"].iloc[1:]))
    with pytest.raises(SpecificationError, match=r"holds a list \(\[1.0\]\) for person 'p0'"):
        PropensityWeights(data, group="t", covariates=["x"])


# --------------------------------------------------------------------------- nothing silent
def test_collinear_propensity_terms_are_refused(two_groups):
    data = two_groups.assign(x2=2.0 * two_groups["x"])
    with pytest.raises(SpecificationError, match=r"'x2' is a linear combination of 'x'"):
        PropensityWeights(data, group="t", covariates=["x", "x2"])


def test_missing_covariate_in_weighted_effect_is_counted(two_groups):
    data = two_groups.copy()
    data.loc[[2, 5], "x"] = np.nan
    with pytest.raises(WeightingError, match=r"'x': 2 of 40 rows"):
        weighted_effect(data, response="y", group="t", weights=_uniform(data), covariates=["x"])


def test_person_ids_written_as_number_and_text_are_refused(two_groups):
    data = two_groups.assign(person=[7, "7"] + list(range(100, 138)))
    with pytest.raises(SpecificationError, match="same id both as a number and as text"):
        PropensityWeights(data, group="t", covariates=["x"])


# --------------------------------------------------------------------------- attrition
def test_attrition_responders_with_probability_zero_are_a_named_error():
    """Was a result with infinite weights (and NaN ESS) or numpy warnings from the trimming."""
    rng = np.random.default_rng(3)
    found = None
    # Tiny, separated designs: the response model gives a responder a probability of 0.
    for _ in range(400):
        n = int(rng.integers(4, 16))
        base = pd.DataFrame(
            {"group": rng.integers(0, 2, n), "x": rng.normal(size=n) * 5},
            index=pd.Index([f"p{i}" for i in range(n)], name="person"),
        )
        resp = pd.DataFrame(rng.random((n, 3)) < 0.5, index=base.index, columns=[1, 2, 3])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                AttritionWeights(resp, baseline=base, covariates=["x"]).fit()
            except WeightingError as err:
                found = str(err)
                break
    assert found is not None
    assert "response probability of 0" in found and "infinite" in found


def test_attrition_response_table_values_are_checked():
    base = pd.DataFrame({"group": [1, 1, 0, 0]}, index=pd.Index([1, 2, 3, 4], name="person"))
    resp = pd.DataFrame({1: [True] * 4, 2: [1, 0, 2, 1]}, index=base.index)
    with pytest.raises(
        SpecificationError, match=r"True/False \(or 1/0\).*2 for person 3 at wave 2"
    ):
        AttritionWeights(resp, baseline=base)
