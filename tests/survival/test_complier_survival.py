"""complier_survival: complier curves and RMST differences under one-sided non-compliance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.datasets import simulate_mirabal
from mirabal_stats.exceptions import (
    CompletionDataError,
    EstimabilityWarning,
    SpecificationError,
    SurvivalDataError,
)
from mirabal_stats.survival import complier_survival, kaplan_meier
from mirabal_stats.weighting import Weights

KW = dict(completed="completed", group="treated", duration="time", event="event")


def _tiny() -> pd.DataFrame:
    # Comparison: events at 1, 3; censored at 4, 5. Referred completers: event at 2, censored
    # at 5, 5. Referred non-completers: events at 1, 2; censored at 5.
    return pd.DataFrame(
        {
            "person": list("abcdefghij"),
            "treated": [0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
            "completed": [0, 0, 0, 0, 1, 1, 1, 0, 0, 0],
            "time": [1.0, 3.0, 4.0, 5.0, 2.0, 5.0, 5.0, 1.0, 2.0, 5.0],
            "event": [1, 1, 0, 0, 1, 0, 0, 1, 1, 0],
        }
    )


def test_hand_computed_complier_curves_and_rmst():
    res = complier_survival(_tiny(), **KW, tau=4.0, n_bootstrap=20)
    p = 0.5
    # By hand: S_0 = 1, 3/4 at 1, 1/2 at 3; S_n = 1, 2/3 at 1, 1/3 at 2; S_c1 = 1, 2/3 at 2.
    s0 = {0: 1.0, 1: 0.75, 2: 0.75, 3: 0.5}
    sn = {0: 1.0, 1: 2 / 3, 2: 1 / 3, 3: 1 / 3}
    sc1 = {0: 1.0, 1: 1.0, 2: 2 / 3, 3: 2 / 3}
    curves = res.curves
    for time in (0, 1, 2, 3):
        expected = (s0[time] - (1 - p) * sn[time]) / p
        assert curves.loc[float(time), "complier_untreated"] == pytest.approx(expected, abs=1e-12)
        assert curves.loc[float(time), "complier_treated"] == pytest.approx(sc1[time], abs=1e-12)
    # S_c0 = 1, 5/6 on [1,2), 7/6 on [2,3), 2/3 on [3,4]: it rises above 1 (raw, not clipped).
    rmst_c0 = 1 + 5 / 6 + 7 / 6 + 2 / 3
    rmst_c1 = 1 + 1 + 2 / 3 + 2 / 3
    rmst_0 = 1 + 0.75 + 0.75 + 0.5
    # Referred (all six): 1, 5/6 on [1,2), 5/6 * 3/5 = 1/2 on [2,4].
    rmst_1 = 1 + 5 / 6 + 1 / 2 + 1 / 2
    table = res.to_frame()
    assert table.loc["cace", "estimate"] == pytest.approx(rmst_c1 - rmst_c0, abs=1e-12)
    assert table.loc["itt", "estimate"] == pytest.approx(rmst_1 - rmst_0, abs=1e-12)
    assert table.loc["per_protocol_naive", "estimate"] == pytest.approx(rmst_c1 - rmst_0)
    assert bool(table.loc["per_protocol_naive", "biased"]) and not table["biased"]["cace"]
    assert list(table.columns[:5]) == ["estimate", "std_error", "lower", "upper", "ci_level"]
    assert res.completion_rate == pytest.approx(0.5)
    at = res.survival_at([2.5])
    assert at.loc[("complier_untreated", 2.5), "estimate"] == pytest.approx(7 / 6)
    assert bool(at.loc[("complier_untreated", 2.5), "outside_unit_interval"])
    assert "rises" in res.summary()


def test_everyone_completes_gives_comparison_curve_and_cace_equals_itt():
    data = _tiny().assign(completed=lambda f: f["treated"])
    res = complier_survival(data, **KW, tau=4.0, n_bootstrap=20)
    comparison = data[data.treated == 0]
    km0 = kaplan_meier(comparison.time, comparison.event)
    grid = res.curves.index.to_numpy()
    np.testing.assert_array_equal(
        res.curves["complier_untreated"].to_numpy(), km0.survival_at(grid)
    )
    table = res.to_frame()
    assert table.loc["cace", "estimate"] == table.loc["itt", "estimate"]
    assert res.completion_rate == 1.0


def _sample_truth(truth, tau: float) -> float:
    """True complier RMST difference of this simulated sample: the mean, over the latent
    compliers of both groups (``truth.completion['complier']``), of
    ``int_0^tau [S(t | u, HR) - S(t | u, 1)] dt`` for the simulator's Weibull proportional-hazards
    model with severity frailty (``truth.parameters['reoffending']``), integrated on a fine grid.
    Averaging it over replicates gives the estimand the estimator's mean is compared with."""
    par = truth.parameters["reoffending"]
    u = truth.severity.to_numpy()[truth.completion["complier"].to_numpy()]
    grid = np.linspace(0.0, tau, 2001)
    mid = 0.5 * (grid[1:] + grid[:-1])
    cum = (mid[:, None] / par["weibull_scale"]) ** par["weibull_shape"] * np.exp(
        par["severity_log_hr"] * u
    )[None, :]
    diff = np.exp(-cum * par["hazard_ratio"]) - np.exp(-cum)
    return float((diff.mean(axis=1) * np.diff(grid)).sum())


def test_recovers_the_complier_rmst_difference_under_randomised_referral():
    tau, errors, naive_errors = 12.0, [], []
    for seed in range(80):
        _, truth = simulate_mirabal(
            random_seed=1000 + seed,
            n_intervention=300,
            n_comparison=300,
            completion=0.6,
            confounding=0.0,
            attrition="none",
        )
        with _quiet():
            res = complier_survival(
                truth.reoffending,
                completed="completed",
                group="treated",
                duration="reoffend_time",
                event="reoffend_event",
                tau=tau,
                n_bootstrap=2,
            )
        target = _sample_truth(truth, tau)
        errors.append(res.to_frame().loc["cace", "estimate"] - target)
        naive_errors.append(res.to_frame().loc["per_protocol_naive", "estimate"] - target)
    errors = np.asarray(errors)
    bias, mc_se = errors.mean(), errors.std(ddof=1) / np.sqrt(len(errors))
    # Measured (80 replicates, n = 300 + 300, completion 0.6, tau = 12 months): see the docs.
    assert abs(bias) < 2 * mc_se, (bias, mc_se)
    # The naive comparison is biased upwards (completers are the less severe cases).
    naive = np.asarray(naive_errors)
    assert naive.mean() > 2 * naive.std(ddof=1) / np.sqrt(len(naive))


class _quiet:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", EstimabilityWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "match"),
    [
        (
            lambda f: f.assign(completed=[0, 0, 0, 1, 1, 1, 1, 0, 0, 0]),
            {},
            CompletionDataError,
            "comparison-group person",
        ),
        (
            lambda f: f.assign(completed=[0, 0, 0, 0, 2, 1, 1, 0, 0, 0]),
            {},
            CompletionDataError,
            "must be 0/1",
        ),
        (
            lambda f: f.assign(completed=[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            {},
            CompletionDataError,
            "no referred",
        ),
        (lambda f: f.drop(columns="completed"), {}, CompletionDataError, "completed"),
        (
            lambda f: f.assign(time=[1.0, -3, 4, 5, 2, 5, 5, 1, 2, 5]),
            {},
            SurvivalDataError,
            "must be >= 0",
        ),
        (
            lambda f: f.assign(event=[1, 1, 0, 0, 1, 0, 0, 1, 1, 7]),
            {},
            SurvivalDataError,
            "0 \\(censored\\) or 1",
        ),
        (
            lambda f: f.assign(person=list("aacdefghij")),
            {},
            SpecificationError,
            "more than one row",
        ),
        (lambda f: f, {"tau": 6.0}, SpecificationError, "beyond the last follow-up"),
        (lambda f: f, {"tau": -1.0}, SpecificationError, "tau must be a finite time"),
        (lambda f: f, {"n_bootstrap": 1}, SpecificationError, "n_bootstrap"),
        (lambda f: f, {"ci_level": 95}, SpecificationError, "strictly between 0 and 1"),
        (lambda f: f, {"completed": [0, 1]}, CompletionDataError, "column name or a pandas Series"),
    ],
)
def test_bad_inputs_raise_named_errors(change, kwargs, error, match):
    options = {**KW, "tau": 4.0, "n_bootstrap": 5, **kwargs}
    with pytest.raises(error, match=match):
        complier_survival(change(_tiny()), **options)


def test_tau_beyond_the_non_completers_follow_up_is_named():
    data = _tiny().assign(time=[1.0, 3, 4, 5, 2, 5, 5, 1, 2, 3])
    with pytest.raises(SpecificationError, match="referred non completers"):
        complier_survival(data, **KW, tau=4.5, n_bootstrap=5)


def test_weights_matched_by_person_whatever_the_row_order():
    _, truth = simulate_mirabal(
        random_seed=7, n_intervention=120, n_comparison=120, completion=0.6, attrition="none"
    )
    data = truth.reoffending
    rng = np.random.default_rng(7)
    w = pd.Series(rng.uniform(0.5, 2.0, len(data)), index=data["person"].to_numpy())
    options = dict(
        completed="completed",
        group="treated",
        duration="reoffend_time",
        event="reoffend_event",
        tau=12.0,
        n_bootstrap=30,
        random_seed=3,
    )
    with _quiet():
        a = complier_survival(data, weights=Weights(w), **options)
        b = complier_survival(
            data.sample(frac=1.0, random_state=1), weights=Weights(w.sample(frac=1.0)), **options
        )
        plain = complier_survival(data, **options)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    pd.testing.assert_frame_equal(a.curve_frame(), b.curve_frame())
    assert a.to_frame().loc["cace", "estimate"] != plain.to_frame().loc["cace", "estimate"]


def test_warns_when_the_untreated_complier_curve_leaves_the_unit_interval():
    # Referred non-completers survive far better than the comparison group: the implied
    # complier curve drops below 0 (a violated exclusion restriction, or noise).
    n = 40
    data = pd.DataFrame(
        {
            "person": range(3 * n),
            "treated": [0] * n + [1] * 2 * n,
            "completed": [0] * n + [1] * n + [0] * n,
            "time": np.r_[np.linspace(0.1, 2.0, n), np.full(n, 10.0), np.full(n, 10.0)],
            "event": [1] * n + [0] * 2 * n,
        }
    )
    with pytest.warns(EstimabilityWarning, match="leaves \\[0, 1\\]"):
        res = complier_survival(data, **KW, tau=1.5, n_bootstrap=50)
    assert res.curves["complier_untreated"].min() < -0.5


def test_plot_and_summary_and_provenance():
    import matplotlib.pyplot as plt

    res = complier_survival(_tiny(), **KW, tau=4.0, n_bootstrap=20, times=[2.0])
    fig, ax = plt.subplots()
    assert res.plot_survival(ax=ax) is ax
    plt.close(fig)
    text = res.summary()
    assert "BIASED" in text and "exclusion restriction" in text
    assert res.provenance.random_seed == 0
    with pytest.raises(SpecificationError, match="times must be finite"):
        res.survival_at([99.0])
