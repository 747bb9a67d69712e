"""Performance measures against hand-computed values (Morris, White & Crowther 2019, Table 6)."""

import numpy as np
import pytest

from mirabal_stats.studies.performance import MEASURES, performance_measures


def test_measures_and_mc_errors_match_hand_computation():
    est = np.array([1.0, 2.0, 4.0, 5.0])
    truth = np.array([2.0, 2.0, 2.0, 3.0])  # the truth may vary between replicates
    se = np.array([1.0, 1.0, 2.0, 2.0])
    lower, upper = est - 2 * se, est + 2 * se
    m = performance_measures(est, se, lower, upper, truth)
    e = est - truth  # [-1, 0, 2, 2]
    n = 4
    assert m["n"] == 4 and m["n_missing"] == 0
    assert m["bias"] == pytest.approx(0.75)
    assert m["bias_mcse"] == pytest.approx(np.std(e, ddof=1) / 2)
    assert m["empirical_se"] == pytest.approx(np.std(e, ddof=1))
    assert m["empirical_se_mcse"] == pytest.approx(np.std(e, ddof=1) / np.sqrt(2 * 3))
    assert m["model_se"] == pytest.approx(np.sqrt(2.5))
    v = se**2
    assert m["model_se_mcse"] == pytest.approx(np.sqrt(np.var(v, ddof=1) / (4 * n * 2.5)))
    mse = np.mean(e**2)  # 9/4
    assert m["rmse"] == pytest.approx(1.5)
    mse_mcse = np.sqrt(np.sum((e**2 - mse) ** 2) / (n * (n - 1)))
    assert m["rmse_mcse"] == pytest.approx(mse_mcse / (2 * 1.5))
    # Intervals: [-1,3] covers 2; [0,4] covers 2; [0,8] covers 2; [1,9] covers 3.
    assert m["coverage"] == 1.0 and m["coverage_mcse"] == 0.0
    assert m["mean_width"] == pytest.approx(np.mean(4 * se))
    assert m["mean_width_mcse"] == pytest.approx(np.std(4 * se, ddof=1) / 2)
    # Intervals excluding 0: [1, 9] only.
    assert m["power"] == pytest.approx(0.25)
    assert m["power_mcse"] == pytest.approx(np.sqrt(0.25 * 0.75 / 4))


def test_missing_estimates_are_counted_and_left_out():
    m = performance_measures(
        [1.0, np.nan, 3.0], [1, 1, 1], [0.5, np.nan, 2], [1.5, np.nan, 4], [1, 1, 1]
    )
    assert (m["n"], m["n_missing"]) == (2, 1)
    assert m["bias"] == pytest.approx(1.0)
    assert m["coverage"] == pytest.approx(0.5)


def test_no_estimate_gives_nan_measures_not_an_error():
    m = performance_measures([np.nan], [np.nan], [np.nan], [np.nan], [1.0])
    assert m["n"] == 0
    assert all(np.isnan(m[k]) for k in MEASURES)
