"""Hostile input found by a fuzz run of the survival pillar (issue 14): every case ends in a
named error or a result with a warning, never in a pandas / numpy / lifelines exception."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import (
    ConvergenceWarning,
    EstimabilityWarning,
    EstimationError,
    SpecificationError,
    SurvivalDataError,
)
from mirabal_stats.survival import (
    _lifelines,
    compare_groups,
    effects_from_counts,
    efron_score_residuals,
    kaplan_meier,
    restricted_mean,
    robust_variance,
    se_from_interval,
    turnbull,
)


@pytest.fixture
def data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "t": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "e": [1, 0, 1, 1, 0, 1, 1, 0, 1, 1],
            "g": ["a", "b"] * 5,
            "x": [0.1, 0.5, 0.2, 0.9, 1.5, 0.3, 0.7, 1.1, 0.4, 0.8],
            "lo": [0, 3, 3, 6, 0, 3, 6, 0, 3, 0.0],
            "hi": [3, 6, np.inf, np.inf, 3, 6, 9, np.inf, 6, 3],
        }
    )


def fit(data, **kw):
    kw.setdefault("parametric", ())
    kw.setdefault("ph_alpha", None)
    return compare_groups(data, group="g", treated="b", **kw)


@pytest.mark.parametrize("column", ["t", "g", "x"])
def test_cell_holding_a_list_is_named(data, column):
    data[column] = pd.Series([*data[column].iloc[:3], [1, 2], *data[column].iloc[4:]], dtype=object)
    with pytest.raises(SurvivalDataError, match=rf"column '{column}' holds a list in row 3"):
        fit(data, duration="t", event="e", covariates=["x"])


def test_unrelated_column_holding_lists_is_fine(data):
    data["notes"] = [[1]] * len(data)
    assert fit(data, duration="t", event="e").provenance.data_fingerprint


def test_group_must_be_a_column_name(data):
    with pytest.raises(SpecificationError, match=r"group must name the column"):
        compare_groups(data, group=["g"], duration="t", event="e")


@pytest.mark.parametrize("covariates", [3, {"x": 1}])
def test_covariates_must_be_names(data, covariates):
    with pytest.raises(SpecificationError, match=r"covariates must be a column name or a list"):
        fit(data, duration="t", event="e", covariates=covariates)


def test_empty_covariate_list_means_none(data):
    assert list(fit(data, duration="t", event="e", covariates=[]).cox.params.index) == ["g"]


def test_constant_or_date_covariates(data):
    data["k"] = 1.0
    with pytest.raises(SurvivalDataError, match=r"covariates \['k'\] are constant"):
        fit(data, duration="t", event="e", covariates=["k"])
    data["d"] = pd.date_range("2020-01-01", periods=len(data))
    with pytest.raises(
        SurvivalDataError, match=r"covariates must be numbers, yes/no or categories"
    ):
        fit(data, duration="t", event="e", covariates=["d"])


def test_cluster_ids_mixing_numbers_and_text(data):
    data["site"] = pd.Series([1, "1", 2, 2, 3, 3, 1, 2, 3, 1], dtype=object)
    with pytest.raises(SurvivalDataError, match=r"both as a number and as text"):
        fit(data, duration="t", event="e", cluster="site")


def test_aft_fit_that_fails_gives_a_nan_row(data):
    data["x2"] = 2 * data["x"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit(data, duration="t", event="e", covariates=["x", "x2"], parametric=("weibull",))
    assert any(
        issubclass(w.category, ConvergenceWarning) and "weibull AFT model" in str(w.message)
        for w in caught
    )
    assert "singular information matrix" in res.weibull.note or "converge" in res.weibull.note
    assert np.isnan(res.to_frame().loc["weibull_log_time_ratio", "estimate"])


def test_ph_test_failure_is_a_warning_not_a_crash(data, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("no events to test")

    monkeypatch.setattr(_lifelines, "proportional_hazard_test", broken)
    with pytest.warns(EstimabilityWarning, match=r"proportional-hazards test could not be comp"):
        res = fit(data, duration="t", event="e", ph_alpha=0.05)
    assert res.cox.ph_test["p_value"].isna().all()
    assert res.cox.estimable


def test_adapter_turns_numeric_errors_into_estimation_error(monkeypatch):
    from lifelines import CoxPHFitter

    def broken(self, *args, **kwargs):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(CoxPHFitter, "fit", broken)
    frame = pd.DataFrame({"a": [0.0, 1.0, 1.0], "_d": [1.0, 2.0, 3.0], "_e": [1, 1, 0]})
    with pytest.raises(EstimationError, match=r"LinAlgError inside lifelines: Singular matrix"):
        _lifelines.fit_cox(frame, duration="_d", event="_e", weights=None)


def test_concordance_without_comparable_pairs_is_nan(data):
    data["t"] = 2.0
    data.loc[0, "t"] = 1.0  # one earlier time, censored: no pair is comparable
    data["e"] = [0] + [1] * (len(data) - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = fit(data, duration="t", event="e")
    assert np.isnan(res.cox.concordance)


def test_pure_function_shapes(data):
    with pytest.raises(SurvivalDataError, match=r"duration and event must have the same length"):
        kaplan_meier([1.0, 2.0], [1])
    with pytest.raises(SurvivalDataError, match=r"duration is empty"):
        kaplan_meier([], [])
    with pytest.raises(SurvivalDataError, match=r"weights must have one value per duration"):
        kaplan_meier([1.0, 2.0], [1, 0], weights=[1.0])
    with pytest.raises(SurvivalDataError, match=r"duration must be numbers"):
        kaplan_meier(["a", "b"], [1, 0])
    with pytest.raises(SurvivalDataError, match=r"one-dimensional arrays of one length"):
        turnbull([0.0, 1.0], [1.0])
    with pytest.raises(SurvivalDataError, match=r"weights must be finite and > 0"):
        turnbull([0.0], [1.0], weights=[0.0])
    with pytest.raises(SurvivalDataError, match=r"one coefficient per column of X"):
        efron_score_residuals([1.0, 2.0], [1, 1], [[0.1], [0.2]], [0.1, 0.2])
    with pytest.raises(SurvivalDataError, match=r"score_residuals must be n x p"):
        robust_variance(np.ones(3), np.eye(1))
    with pytest.raises(SurvivalDataError, match=r"must be numbers"):
        robust_variance([["a"]], np.eye(1))
    curve = kaplan_meier(data["t"], data["e"])
    with pytest.raises(SpecificationError, match=r"tau must be a finite time > 0"):
        restricted_mean(curve, tau=pd.Series([5.0]))


def test_time_unit_must_be_text(data):
    res = fit(data, duration="t", event="e")
    with pytest.raises(SpecificationError, match=r"time_unit must be text"):
        res.plot_survival(time_unit=3)
    import matplotlib.pyplot as plt

    plt.close("all")


# --- effects from published counts --------------------------------------------------------
@pytest.mark.parametrize("bad", ["a", None, True, 2.5])
def test_counts_must_be_whole_numbers(bad):
    with pytest.raises(SpecificationError, match=r"treated arm: events .* must be whole numbers"):
        effects_from_counts(bad, 10, 1, 10)


@pytest.mark.parametrize(("counts", "ratio"), [((0, 10, 3, 10), 0.0), ((0, 10, 0, 10), np.nan)])
def test_counts_with_an_empty_cell_warn_and_keep_the_rest(counts, ratio):
    with pytest.warns(
        EstimabilityWarning, match=r"an arm has no events.*risk ratio and the odds ratio"
    ):
        table = effects_from_counts(*counts)
    np.testing.assert_equal(table.loc["risk_ratio", "estimate"], ratio)
    assert np.isnan(table.loc["risk_ratio", "lower"])  # Katz's log interval is undefined
    assert np.isfinite(table.loc["risk_difference", ["lower", "upper"]].astype(float)).all()


@pytest.mark.parametrize("bounds", [(0.5, np.inf), (np.nan, 1.0), ("a", 1.0)])
def test_interval_bounds_must_be_finite(bounds):
    with pytest.raises(SpecificationError, match=r"need finite bounds"):
        se_from_interval(*bounds)
