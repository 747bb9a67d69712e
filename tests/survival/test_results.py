"""The results contract of the survival pillar, and results that must refuse or say why.

Issue 13: ``SurvivalComparison``, ``CoxResult``, ``AFTResult`` derive from ``Results``; the
estimate table, ``Summary``, ``plot_*(ax=)`` returning the Axes. Issue 14: no events in a group
(F2), NaN times (F9), tau NaN / inf / beyond follow-up (F10), huge time scales (F27), and the
interval-censored comparison without parametric models.
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mirabal_stats._results import TABLE_COLUMNS, Summary, group_colour
from mirabal_stats.exceptions import (
    ConvergenceWarning,
    EstimabilityWarning,
    EstimationError,
    SpecificationError,
)
from mirabal_stats.survival import AFTResult, CoxResult, SurvivalComparison, compare_groups
from tests._contract import assert_results_contract


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
            "lo": np.tile([0.0, 3.0, 6.0], n // 3),
            "hi": np.tile([3.0, 6.0, np.inf], n // 3),
        }
    )


@pytest.fixture
def interval_fit(small):
    return compare_groups(small, lower="lo", upper="hi", group="arm", parametric=(), n_bootstrap=20)


# --- the contract ---------------------------------------------------------------------------
def test_right_censored_comparison_follows_the_contract(rossi_fit):
    assert_results_contract(rossi_fit, plot_kwargs={"plot_survival": {"time_unit": "weeks"}})
    assert_results_contract(rossi_fit.cox)
    assert_results_contract(rossi_fit.weibull)
    assert_results_contract(rossi_fit.loglogistic)
    assert isinstance(rossi_fit, SurvivalComparison)
    assert isinstance(rossi_fit.cox, CoxResult) and isinstance(rossi_fit.weibull, AFTResult)


def test_estimate_table_rows_and_scales(rossi_fit):
    table = rossi_fit.to_frame()
    assert list(table.columns[:5]) == TABLE_COLUMNS
    assert list(table.index) == [
        "cox_log_hazard_ratio",
        "weibull_log_time_ratio",
        "weibull_log_hazard_ratio",
        "loglogistic_log_time_ratio",
    ]
    assert table["scale"].tolist() == [
        "log hazard ratio",
        "log time ratio",
        "log hazard ratio",
        "log time ratio",
    ]
    assert table.loc["cox_log_hazard_ratio", "estimate"] == rossi_fit.cox.params["fin"]
    weibull_hr = rossi_fit.weibull.hazard_ratio().loc["fin"]
    assert np.exp(table.loc["weibull_log_hazard_ratio", "estimate"]) == pytest.approx(
        weibull_hr["estimate"]
    )
    assert (table["note"] == "").all()
    level90 = rossi_fit.to_frame(ci_level=0.9)
    assert (level90["ci_level"] == 0.9).all()
    assert (level90["upper"] < table["upper"]).all()


def test_weibull_hazard_ratio_delta_method(rossi_fit):
    """HR = exp(-b / scale) with the delta-method SE (by hand from the survreg-scale covariance)."""
    fit = rossi_fit.weibull
    b, ls = fit.params["fin"], fit.params["log(scale)"]
    cov = fit.covariance.loc[["fin", "log(scale)"], ["fin", "log(scale)"]].to_numpy()
    grad = np.array([-np.exp(-ls), b * np.exp(-ls)])
    row = fit.log_hazard_ratio().loc["fin"]
    assert row["estimate"] == pytest.approx(-b * np.exp(-ls), rel=1e-12)
    assert row["std_error"] == pytest.approx(np.sqrt(grad @ cov @ grad), rel=1e-12)
    with pytest.raises(SpecificationError, match=r"implied only by the Weibull model"):
        rossi_fit.loglogistic.hazard_ratio()


def test_curve_frame_is_the_per_group_table(rossi_fit):
    curves = rossi_fit.curve_frame()
    assert curves.index.names == ["group", "time"]
    assert curves.loc[(0, 0.0), "estimate"] == 1.0
    assert curves.loc[(1, 52.0), "estimate"] == pytest.approx(0.778, abs=5e-4)


def test_summary_is_a_summary(rossi_fit):
    text = rossi_fit.summary()
    assert isinstance(text, Summary)
    assert "Cox hazard ratio 0.68" in text and "66 events among 216 persons" in text
    assert "<table" in text._repr_html_()


def test_results_methods_take_options_by_keyword(rossi_fit):
    with pytest.raises(TypeError, match=r"rmst_difference\(\) takes 1 positional argument"):
        rossi_fit.rmst_difference(52)  # tau is keyword-only
    with pytest.raises(TypeError, match=r"survival_at\(\) takes 2 positional arguments"):
        rossi_fit.survival_at([52], 0.9)


# --- plots ----------------------------------------------------------------------------------
def test_plot_returns_axes_with_group_colours_and_time_unit(rossi_fit):
    fig, ax = plt.subplots()
    try:
        out = rossi_fit.plot_survival(ax=ax, at_risk_times=[0, 13, 26, 39, 52], time_unit="weeks")
        assert out is ax
        assert ax.get_xlabel() == "Weeks since the start of follow-up"
        colours = {line.get_label(): line.get_color() for line in ax.get_lines()}
        assert colours["1 (intervention)"] == group_colour(True)
        assert colours["0 (comparison)"] == group_colour(False)
        # The at-risk table: one count per tick and group, placed at the tick's x position.
        assert list(ax.get_xticks()) == [0, 13, 26, 39, 52]
        counts = [a for a in ax.texts if a.xycoords == ("data", "axes fraction")]
        assert len(counts) == 10
        assert sorted({a.xy[0] for a in counts}) == [0, 13, 26, 39, 52]
        assert {a.get_text() for a in counts if a.xy[0] == 0} == {"216"}
        assert any(a.get_text() == "Number at risk" for a in ax.texts)
    finally:
        plt.close(fig)


def test_plot_without_time_unit_names_the_column(rossi_fit):
    ax = rossi_fit.plot_cumulative_incidence()
    try:
        assert ax.get_xlabel() == "Follow-up time (column 'week')"
    finally:
        plt.close(ax.figure)


def test_plot_refuses_bad_ticks(rossi_fit):
    with pytest.raises(SpecificationError, match=r"at_risk_times must be finite times >= 0"):
        rossi_fit.plot_survival(at_risk_times=[0, np.nan])
    plt.close("all")


# --- issue 14, F9: NaN times --------------------------------------------------------------
@pytest.mark.parametrize("times", [[np.nan], [13.0, np.nan], [np.inf], [-1.0], ["a"], []])
def test_survival_at_refuses_missing_or_infinite_times(rossi_fit, times):
    with pytest.raises(SpecificationError, match=r"times must be"):
        rossi_fit.survival_at(times)
    with pytest.raises(SpecificationError, match=r"times must be"):
        rossi_fit.cumulative_incidence(times)


def test_times_beyond_follow_up_are_refused(rossi_fit):
    with pytest.raises(SpecificationError, match=r"time 60 lies beyond the last follow-up time"):
        rossi_fit.survival_at([26, 60])


# --- issue 14, F10: tau -------------------------------------------------------------------
@pytest.mark.parametrize("tau", [np.nan, np.inf, -np.inf, 0.0, -3.0, "a", None, True])
def test_rmst_refuses_tau_that_is_not_a_positive_time(rossi_fit, tau):
    with pytest.raises(SpecificationError, match=r"tau must be a finite time > 0"):
        rossi_fit.rmst_difference(tau=tau)


def test_rmst_refuses_tau_beyond_follow_up(rossi_fit, interval_fit):
    with pytest.raises(
        SpecificationError,
        match=r"tau = 1000 lies beyond the last follow-up time of group 0 \(52\).*tau <= 52",
    ):
        rossi_fit.rmst_difference(tau=1000)
    with pytest.raises(SpecificationError, match=r"beyond the last follow-up time of group"):
        interval_fit.rmst_difference(tau=100)
    assert rossi_fit.rmst_difference(tau=52)["tau"].item() == 52


# --- issue 14, F27: huge time scales --------------------------------------------------------
def test_rmst_standard_error_finite_for_huge_durations(small):
    base = compare_groups(small, duration="t", event="e", group="arm", parametric=(), ph_alpha=None)
    huge = compare_groups(
        small.assign(t=small["t"] * 1e200),
        duration="t",
        event="e",
        group="arm",
        parametric=(),
        ph_alpha=None,
    )
    a = base.rmst_difference(tau=20.0)
    b = huge.rmst_difference(tau=20.0e200)
    assert np.isfinite(b["std_error"].item()) and np.isfinite(b["upper"].item())
    # Same data in other units: the same answer, scaled.
    assert b["estimate"].item() == pytest.approx(a["estimate"].item() * 1e200, rel=1e-9)
    assert b["std_error"].item() == pytest.approx(a["std_error"].item() * 1e200, rel=1e-9)


# --- issue 14, F2: no events in a group, a Cox fit that cannot converge ----------------------
def test_no_events_in_a_group_gives_nan_model_rows_and_the_rest(small):
    small.loc[small.arm == "intervention", "e"] = 0
    with pytest.warns(EstimabilityWarning, match=r"group 'intervention' has no events") as rec:
        res = compare_groups(small, duration="t", event="e", group="arm", covariates=["x"])
    assert all(issubclass(w.category, EstimabilityWarning) for w in rec)
    table = res.to_frame()
    assert table["estimate"].isna().all()
    assert table["note"].str.contains("has no events").all()
    assert not res.cox.estimable and np.isnan(res.cox.params["x"])
    # Curves, counts, incidence and RMST are still estimated.
    assert res.counts.loc["intervention", "events"] == 0
    assert res.survival_at([5.0]).loc[("intervention", 5.0), "estimate"] == 1.0
    assert np.isfinite(res.rmst_difference(tau=10.0)["estimate"].item())
    assert "No hazard ratio: group 'intervention' has no events" in res.summary()
    assert "not estimated" in res.cox.summary()
    assert_results_contract(res)


def test_no_events_at_all_is_a_named_error(small):
    small["e"] = 0
    with pytest.raises(EstimationError, match=r"no events in either group \(60 persons\)"):
        compare_groups(small, duration="t", event="e", group="arm", parametric=())


def test_interval_group_without_reported_events(small):
    m = small.arm == "intervention"
    small.loc[m, "hi"] = np.inf
    with pytest.warns(EstimabilityWarning, match=r"group 'intervention' has no events"):
        res = compare_groups(
            small, lower="lo", upper="hi", group="arm", parametric=("weibull",), n_bootstrap=10
        )
    assert np.isnan(res.hazard_ratio()["estimate"].item())


def test_cox_that_cannot_be_fitted_gives_a_nan_row_with_the_reason(small):
    small["x2"] = 2 * small["x"]  # collinear: singular information matrix
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = compare_groups(
            small, duration="t", event="e", group="arm", covariates=["x", "x2"], parametric=()
        )
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert any("the Cox model did not converge" in m for m in messages)
    assert not res.cox.estimable
    assert "matrix inversion" in res.to_frame().loc["cox_log_hazard_ratio", "note"]
    assert res.survival_at([5.0]).shape == (2, 6)


def test_adapter_raises_estimation_error_from_lifelines():
    from lifelines.exceptions import ConvergenceError

    from mirabal_stats.survival import _lifelines

    frame = pd.DataFrame(
        {"a": [0.0, 1.0, 0.0, 1.0], "b": [0.0, 2.0, 0.0, 2.0], "_d": [1.0, 2.0, 3.0, 4.0]}
    )
    frame["_e"] = 1
    with pytest.raises(EstimationError, match=r"the Cox model did not converge") as info:
        _lifelines.fit_cox(frame, duration="_d", event="_e", weights=None)
    assert isinstance(info.value.__cause__, ConvergenceError)


# --- interval-censored data without parametric models (the report crash) ----------------------
def test_interval_censored_without_parametric_models_works_end_to_end(interval_fit):
    res = interval_fit
    assert_results_contract(res)
    assert list(res.to_frame().columns[:5]) == TABLE_COLUMNS and res.to_frame().empty
    assert "No model was fitted" in res.summary()
    assert res.survival_at([3.0, 6.0]).shape == (4, 5)
    assert res.cumulative_incidence([6.0]).shape == (4, 5)
    assert np.isfinite(res.rmst_difference(tau=6.0)["estimate"].item())
    assert res.curve_frame().loc[("comparison", 0.0), "estimate"] == 1.0
    assert res.models == {}


def test_missing_models_say_what_to_do(interval_fit, rossi_fit):
    with pytest.raises(SpecificationError, match=r"no Weibull model .* parametric=\(\)"):
        interval_fit.weibull.hazard_ratio()
    with pytest.raises(SpecificationError, match=r"no Cox model .* right-censored data"):
        _ = interval_fit.cox
    with pytest.raises(SpecificationError, match=r"no hazard ratio: interval-censored data"):
        interval_fit.hazard_ratio()
    # Python's attribute protocol still works (the error is also an AttributeError).
    assert not hasattr(interval_fit, "loglogistic")
    assert getattr(interval_fit, "weibull", None) is None
    assert rossi_fit.hazard_ratio()["model"].item() == "cox"
