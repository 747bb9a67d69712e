"""Bad input gets a clear error (or warning) naming the column, the values and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import (
    EstimabilityWarning,
    SpecificationError,
    SurvivalDataError,
    WeightingError,
)
from mirabal_stats.survival import compare_groups, kaplan_meier, robust_variance, turnbull


@pytest.fixture
def small() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    return pd.DataFrame(
        {
            "t": rng.exponential(10, n).round(2) + 0.1,
            "e": rng.binomial(1, 0.7, n),
            "arm": np.repeat(["comparison", "intervention"], n // 2),
            "x": rng.normal(size=n),
            "lo": np.repeat([0.0, 3.0], n // 2),
            "hi": np.repeat([3.0, np.inf], n // 2),
            "site": np.arange(n) % 7,
        }
    )


def fit(data, **kw):
    kw.setdefault("parametric", ())
    kw.setdefault("ph_alpha", None)
    return compare_groups(data, group="arm", **kw)


def test_negative_duration(small):
    small.loc[4, "t"] = -1.0
    with pytest.raises(
        SurvivalDataError, match=r"'t' \(duration\) must be >= 0, but 1 rows .*-1.0 in row 4"
    ):
        fit(small, duration="t", event="e")


def test_missing_duration(small):
    small.loc[[1, 2], "t"] = np.nan
    with pytest.raises(SurvivalDataError, match=r"'t' \(duration\) has 2 missing values"):
        fit(small, duration="t", event="e")


def test_text_duration(small):
    small["t"] = small["t"].astype(object)
    small.loc[5, "t"] = "ten"
    with pytest.raises(
        SurvivalDataError, match=r"'t' \(duration\) must be numeric.*'ten' in row 5"
    ):
        fit(small, duration="t", event="e")


def test_event_outside_01(small):
    small.loc[7, "e"] = 2
    with pytest.raises(
        SurvivalDataError, match=r"'e' \(event\) must be 0 \(censored\) or 1.*e.g. 2 in row 7"
    ):
        fit(small, duration="t", event="e")


def test_lower_above_upper(small):
    small.loc[0, "lo"] = 5.0
    with pytest.raises(
        SurvivalDataError, match=r"lower bound 'lo' exceeds upper bound 'hi' in 1 rows"
    ):
        fit(small, lower="lo", upper="hi")


def test_missing_upper_bound(small):
    small.loc[0, "hi"] = np.nan
    with pytest.raises(SurvivalDataError, match=r"use numpy.inf for right-censored rows"):
        fit(small, lower="lo", upper="hi")


def test_infinite_lower_bound(small):
    small.loc[2, "lo"] = np.inf
    small.loc[2, "hi"] = np.inf
    with pytest.raises(SurvivalDataError, match=r"'lo' \(lower bound\) must be finite"):
        fit(small, lower="lo", upper="hi")


def test_bounds_without_information(small):
    small["lo"], small["hi"] = 0.0, np.inf
    with pytest.raises(SurvivalDataError, match=r"every row has bounds \(0, inf\]"):
        fit(small, lower="lo", upper="hi")


# --- issue 14, F26: options that must be refused --------------------------------------------
def test_lower_without_upper_is_refused(small):
    with pytest.raises(SpecificationError, match=r"lower= was given without upper="):
        fit(small, lower="lo")
    with pytest.raises(SpecificationError, match=r"upper= was given without lower="):
        fit(small, upper="hi")
    # With duration=, a bound is not silently ignored either.
    with pytest.raises(SpecificationError, match=r"give either duration=.*not both"):
        fit(small, duration="t", event="e", lower="lo")


def test_event_with_interval_bounds_is_refused(small):
    with pytest.raises(SpecificationError, match=r"event='e' belongs to right-censored data"):
        fit(small, lower="lo", upper="hi", event="e")


def test_no_outcome(small):
    with pytest.raises(SpecificationError, match=r"no outcome given"):
        fit(small)


@pytest.mark.parametrize("ph_alpha", [1.5, 1.0, 0.0, -0.1, np.nan, "a", True])
def test_ph_alpha_outside_0_1_is_refused(small, ph_alpha):
    with pytest.raises(SpecificationError, match=r"ph_alpha .* strictly between 0 and 1"):
        fit(small, duration="t", event="e", ph_alpha=ph_alpha)


@pytest.mark.parametrize("bad", [("weibul",), "cox", (1,), 3])
def test_unknown_parametric_model(small, bad):
    with pytest.raises(SpecificationError, match=r"parametric must"):
        fit(small, duration="t", event="e", parametric=bad)


def test_parametric_as_one_name(small):
    res = fit(small, duration="t", event="e", parametric="weibull")
    assert list(res.models) == ["cox", "weibull"]


def test_robust_must_be_boolean(small):
    with pytest.raises(SpecificationError, match=r"robust must be True, False or None"):
        fit(small, duration="t", event="e", robust="yes")


# --- issue 14, F12: inputs that passed validation then crashed inside lifelines/numpy --------
@pytest.mark.parametrize("n_bootstrap", [0, -5, 1, 2.5, True])
def test_n_bootstrap_must_be_a_count(small, n_bootstrap):
    with pytest.raises(SpecificationError, match=r"n_bootstrap must be a whole number >= 2"):
        fit(small, lower="lo", upper="hi", n_bootstrap=n_bootstrap)


def test_random_seed_must_be_a_count(small):
    with pytest.raises(SpecificationError, match=r"random_seed must be a whole number >= 0"):
        fit(small, lower="lo", upper="hi", random_seed=-1)


def test_infinite_duration_is_refused(small):
    small.loc[3, "t"] = np.inf
    with pytest.raises(SurvivalDataError, match=r"'t' \(duration\) must be finite.*inf in row 3"):
        fit(small, duration="t", event="e")


def test_every_duration_zero_is_refused(small):
    small["t"] = 0.0
    with pytest.raises(SurvivalDataError, match=r"every duration in column 't' is 0"):
        fit(small, duration="t", event="e")


def test_nan_cluster_label_is_refused(small):
    small["site"] = small["site"].astype(float)
    small.loc[8, "site"] = np.nan
    with pytest.raises(SurvivalDataError, match=r"cluster column 'site' is missing for 1 row"):
        fit(small, duration="t", event="e", cluster="site")


def test_zero_weight_for_some_persons_is_refused(small):
    w = pd.Series(1.0, index=small.index)
    w[[3, 4]] = 0.0
    with pytest.raises(WeightingError, match=r"2 row\(s\) .* have a zero weight"):
        fit(small, duration="t", event="e", weights=w)


def test_zero_weight_for_a_whole_group_is_refused(small):
    w = pd.Series(1.0, index=small.index)
    w[small["arm"] == "intervention"] = 0.0
    with pytest.raises(WeightingError, match=r"30 row\(s\) .* have a zero weight"):
        fit(small, duration="t", event="e", weights=w)


def test_zero_weight_column_is_refused(small):
    small["w"] = 1.0
    small.loc[0, "w"] = 0.0
    with pytest.raises(WeightingError, match=r"zero weight in the weights \(column 'w'\)"):
        fit(small, duration="t", event="e", weights="w")


def test_pure_functions_refuse_bad_arrays():
    with pytest.raises(SurvivalDataError, match=r"durations must be finite and >= 0"):
        kaplan_meier([1.0, np.inf], [1, 0])
    with pytest.raises(SurvivalDataError, match=r"event must be 0 \(censored\) or 1"):
        kaplan_meier([1.0, 2.0], [1, 2])
    with pytest.raises(SurvivalDataError, match=r"weights must be finite and > 0"):
        kaplan_meier([1.0, 2.0], [1, 0], weights=[1.0, 0.0])
    with pytest.raises(SurvivalDataError, match=r"cluster has 1 missing label"):
        kaplan_meier([1.0, 2.0], [1, 0], cluster=["a", None])
    with pytest.raises(SurvivalDataError, match=r"0 <= lower <= upper"):
        turnbull([0.0, 3.0], [np.nan, np.inf])
    with pytest.raises(SurvivalDataError, match=r"1 missing"):
        robust_variance(np.ones((2, 1)), np.eye(1), cluster=["a", np.nan])


# --- weights are matched by label (issue 13, issue 14 F5) -------------------------------------
def test_weights_array_is_refused_with_the_fix(small):
    with pytest.raises(WeightingError, match=r"got a ndarray.*matched to the data by person label"):
        fit(small, duration="t", event="e", weights=np.ones(len(small)))
    with pytest.raises(WeightingError, match=r"got a list"):
        fit(small, duration="t", event="e", weights=[1.0] * len(small))


def test_weights_keyed_by_positions_are_explained(small):
    small.index = small.index + 1000  # persons 1000.. in the index, weights keyed 0..59
    w = pd.Series(1.0, index=range(len(small)))
    with pytest.raises(WeightingError, match=r"match none of the persons.*look like row positions"):
        fit(small, duration="t", event="e", weights=w)


def test_weights_use_the_person_column(small):
    small["person"] = np.arange(len(small)) + 500
    w = pd.Series(2.0, index=small["person"].to_numpy())
    res = fit(small, duration="t", event="e", weights=w)
    assert res.weighted
    other = small.rename(columns={"person": "pid"})
    res2 = fit(other, duration="t", event="e", weights=w, person="pid")
    np.testing.assert_array_equal(
        res.curves["comparison"].survival, res2.curves["comparison"].survival
    )


def test_duplicate_person_labels_refused_with_weights(small):
    small.index = [0] * 2 + list(range(2, len(small)))
    with pytest.raises(SpecificationError, match=r"appear on more than one row"):
        fit(small, duration="t", event="e", weights=pd.Series(1.0, index=range(len(small))))
    # Without weights nothing is looked up by label: a messy index is fine.
    assert fit(small, duration="t", event="e").counts["n"].sum() == len(small)


# --- groups and columns (the person-table door) ------------------------------------------------
def test_group_without_events_warns(small):
    small.loc[small.arm == "intervention", "e"] = 0
    with pytest.warns(EstimabilityWarning, match=r"group 'intervention' has no events \(0 of 30"):
        res = fit(small, duration="t", event="e")
    assert np.isnan(res.cox.params["arm"])


def test_unknown_column_with_hint(small):
    with pytest.raises(
        SpecificationError,
        match=r"covariates\[0\] column 'xx' is not in the data \(did you mean 'x'\?\)",
    ):
        fit(small, duration="t", event="e", covariates=["xx"])
    with pytest.raises(SpecificationError, match=r"duration column 'time' is not in the data"):
        fit(small, duration="time", event="e")


def test_three_groups(small):
    small.loc[0, "arm"] = "waitlist"
    with pytest.raises(SpecificationError, match=r"must hold exactly two groups .* holds 3"):
        fit(small, duration="t", event="e")


def test_ambiguous_treated_level(small):
    small["arm"] = small["arm"].map({"comparison": "A", "intervention": "B"})
    with pytest.raises(SpecificationError, match=r"cannot tell which group .* set treated"):
        fit(small, duration="t", event="e")
    res = fit(small, duration="t", event="e", treated="B")
    assert res.levels == ("A", "B") and res.cox.group_term == "arm"


def test_nullable_boolean_group(small):
    small["arm"] = (small["arm"] == "intervention").astype("boolean")
    res = fit(small, duration="t", event="e")
    assert res.treated is True and res.reference is False


def test_missing_covariate(small):
    small.loc[[5, 6, 8], "x"] = np.nan
    with pytest.raises(SurvivalDataError, match=r"'x' \(3 rows\).*never dropped silently"):
        fit(small, duration="t", event="e", covariates=["x"])


def test_covariate_listed_twice_or_reserved(small):
    with pytest.raises(SpecificationError, match=r"lists \['x'\] more than once"):
        fit(small, duration="t", event="e", covariates=["x", "x"])
    with pytest.raises(SpecificationError, match=r"the group column 'arm' must not also be"):
        fit(small, duration="t", event="e", covariates=["arm"])
    with pytest.raises(SpecificationError, match=r"the duration column 't' must not also be"):
        fit(small, duration="t", event="e", covariates="t")


def test_infinite_covariate(small):
    small.loc[1, "x"] = np.inf
    with pytest.raises(SurvivalDataError, match=r"covariates \['x'\] hold infinite values"):
        fit(small, duration="t", event="e", covariates=["x"])


def test_zero_durations_skip_the_parametric_fit_with_a_warning(small):
    small.loc[0, "t"] = 0.0
    with pytest.warns(EstimabilityWarning, match=r"weibull model needs positive durations, but 1"):
        res = fit(small, duration="t", event="e", parametric=("weibull",))
    assert res.weibull.note and np.isnan(res.weibull.params["arm"])
    assert np.isfinite(res.cox.params["arm"])  # the Cox model uses every row


def test_text_group_and_bool_event(small):
    small["e"] = small["e"].astype(bool)
    res = fit(small, duration="t", event="e", covariates=["x"])
    assert list(res.cox.to_frame().index) == ["arm", "x"]
    assert res.treated == "intervention"


def test_results_do_not_mutate_input(small):
    before = small.copy()
    fit(small, duration="t", event="e", weights=pd.Series(2.0, index=small.index))
    pd.testing.assert_frame_equal(small, before)


def test_weighted_km_se_invariant_to_weight_scale(small):
    w = pd.Series(np.linspace(0.5, 3.0, len(small)), index=small.index)
    a = fit(small, duration="t", event="e", weights=w).survival_at([5.0])
    b = fit(small, duration="t", event="e", weights=10 * w).survival_at([5.0])
    np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-12)


def test_one_distinct_event_time_skips_the_parametric_fit(small):
    small["t"] = 2.0
    with pytest.warns(EstimabilityWarning, match=r"at least two distinct event times"):
        res = fit(small, duration="t", event="e", parametric=("weibull",))
    assert np.isnan(res.weibull.params["arm"]) and "distinct event times" in res.weibull.note
