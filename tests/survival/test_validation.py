"""Bad input gets a clear error (or warning) naming the column, the values and the fix."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import (
    ConvergenceWarning,
    EstimabilityWarning,
    SpecificationError,
    SurvivalDataError,
)
from mirabal_stats.survival import compare_groups


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
        }
    )


def fit(df, **kw):
    kw.setdefault("parametric", ())
    kw.setdefault("ph_alpha", None)
    return compare_groups(df, group="arm", **kw)


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


def test_event_outside_01(small):
    small.loc[7, "e"] = 2
    with pytest.raises(
        SurvivalDataError, match=r"'e' \(event\) must be 0 \(censored\) or 1.*2 in row 7"
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


def test_negative_weights(small):
    w = np.ones(len(small))
    w[3] = -0.5
    with pytest.raises(
        SurvivalDataError, match=r"must be non-negative, but 1 weights are negative"
    ):
        fit(small, duration="t", event="e", weights=w)


def test_weights_wrong_length(small):
    with pytest.raises(
        SurvivalDataError, match=r"weights has shape \(3,\) but the data have 60 rows"
    ):
        fit(small, duration="t", event="e", weights=[1.0, 2.0, 3.0])


def test_group_without_events_warns(small):
    small.loc[small.arm == "intervention", "e"] = 0
    with pytest.warns(EstimabilityWarning, match=r"group 'intervention' of 'arm' has no events"):
        with warnings.catch_warnings():
            # lifelines' separation/convergence messages, re-issued as our ConvergenceWarning
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = fit(small, duration="t", event="e")
    assert res.cox.params["arm"] < -5  # the estimate runs off towards -inf


def test_both_or_neither_censoring_kinds(small):
    with pytest.raises(SpecificationError, match=r"give either duration="):
        fit(small, duration="t", lower="lo", upper="hi")
    with pytest.raises(SpecificationError, match=r"need both lower= and upper="):
        fit(small, lower="lo")


def test_unknown_column(small):
    with pytest.raises(SpecificationError, match=r"covariates\[0\]='age' is not a column"):
        fit(small, duration="t", event="e", covariates=["age"])


def test_three_groups(small):
    small.loc[0, "arm"] = "waitlist"
    with pytest.raises(SurvivalDataError, match=r"exactly two levels .* found 3"):
        fit(small, duration="t", event="e")


def test_ambiguous_treated_level(small):
    small["arm"] = small["arm"].map({"comparison": "A", "intervention": "B"})
    with pytest.raises(SpecificationError, match=r"pass treated=<level>"):
        fit(small, duration="t", event="e")
    res = fit(small, duration="t", event="e", treated="B")
    assert res.levels == ("A", "B") and res.cox.group_term == "arm"


def test_missing_covariate(small):
    small.loc[[5, 6, 8], "x"] = np.nan
    with pytest.raises(SurvivalDataError, match=r"'x' \(3 rows\).*never dropped silently"):
        fit(small, duration="t", event="e", covariates=["x"])


def test_zero_duration_rejected_by_parametric_fit(small):
    small.loc[0, "t"] = 0.0
    with pytest.raises(SpecificationError, match=r"weibull model needs positive durations"):
        fit(small, duration="t", event="e", parametric=("weibull",))


def test_text_group_and_bool_event(small):
    small["e"] = small["e"].astype(bool)
    res = fit(small, duration="t", event="e", covariates=["x"])
    assert list(res.cox.to_frame().index) == ["arm", "x"]
    assert res.treated == "intervention"


def test_results_do_not_mutate_input(small):
    before = small.copy()
    fit(small, duration="t", event="e", weights=np.full(len(small), 2.0))
    pd.testing.assert_frame_equal(small, before)


def test_weighted_km_se_invariant_to_weight_scale(small):
    a = fit(small, duration="t", event="e", weights=np.full(len(small), 1.0)).survival_at([5.0])
    b = fit(small, duration="t", event="e", weights=np.full(len(small), 10.0)).survival_at([5.0])
    np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-12)


def test_plots_return_figures(rossi_fit):
    import matplotlib

    matplotlib.use("Agg")
    fig = rossi_fit.plot_survival(at_risk_times=[0, 13, 26, 39, 52])
    assert "at risk" in fig.axes[0].texts[0].get_text()
    assert len(rossi_fit.plot_cumulative_incidence().axes[0].lines) == 2
    text = rossi_fit.summary()
    assert "hazard ratio 0.68" in text and "age" in text
