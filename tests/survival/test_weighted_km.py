"""Weighted and clustered Kaplan-Meier: robust variance against R, and weights matched by label.

Reference: tests/golden/reference/weighted_km/ (weighted_km.R, output.txt, values.csv, README.md;
R survival 3.5-3). R calls:
    survfit(Surv(week, arrest) ~ fin, data = rossi, weights = w, conf.type = "log-log")
    survfit(Surv(week, arrest) ~ fin, data = rossi, cluster = site, conf.type = "log-log")
    survfit(Surv(reoffend_time, reoffend_event) ~ group, data = persons, weights = w, ...)
With non-integer weights or a cluster, survfit's std.err is the infinitesimal-jackknife SE.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.datasets import load_mirabal_persons, load_rossi
from mirabal_stats.survival import compare_groups, kaplan_meier, restricted_mean

REFERENCE = Path(__file__).resolve().parents[1] / "golden" / "reference" / "weighted_km"


@pytest.fixture(scope="module")
def ref() -> pd.Series:
    return pd.read_csv(REFERENCE / "values.csv").set_index("name")["value"]


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    data = load_rossi()
    n = len(data)
    data["w"] = 0.5 + (np.arange(n) % 5) * 0.25  # as weighted_km.R
    data["site"] = np.arange(n) // 3
    return data


@pytest.fixture(scope="module")
def mirabal() -> pd.DataFrame:
    persons = load_mirabal_persons()
    weights = pd.read_csv(REFERENCE / "mirabal_weights.csv")
    assert (weights["person"].to_numpy() == persons["person"].to_numpy()).all()
    return persons.assign(w=weights["w"].to_numpy())


def _check_against_r(ref, prefix, curves, times):
    for label, curve in curves.items():
        s = curve.survival_at(times)
        se = np.sqrt(curve.variance_at(times))
        lower, upper = curve.interval_at(times)
        for k, t in enumerate(times):
            key = f"{prefix}.{label}.t{t:.10g}"
            # values.csv holds 10 significant digits: relative 1e-8 is the printing, not a fudge.
            assert s[k] == pytest.approx(ref[f"{key}.surv"], rel=1e-8)
            assert se[k] == pytest.approx(ref[f"{key}.se"], rel=1e-8)
            assert lower[k] == pytest.approx(ref[f"{key}.lower"], rel=1e-8)
            assert upper[k] == pytest.approx(ref[f"{key}.upper"], rel=1e-8)


def test_weighted_km_robust_se_matches_r(rossi, ref):
    curves = {
        g: kaplan_meier(
            rossi.week[rossi.fin == g],
            rossi.arrest[rossi.fin == g],
            weights=rossi.w[rossi.fin == g],
        )
        for g in (0, 1)
    }
    assert curves[0].variance == "robust"
    _check_against_r(ref, "rossiw", curves, [1, 8, 13, 26, 52])


def test_clustered_km_robust_se_matches_r(rossi, ref):
    curves = {
        g: kaplan_meier(
            rossi.week[rossi.fin == g],
            rossi.arrest[rossi.fin == g],
            cluster=rossi.site[rossi.fin == g],
        )
        for g in (0, 1)
    }
    _check_against_r(ref, "rossic", curves, [8, 26, 52])


@pytest.mark.parametrize(("prefix", "tau"), [("rossiw", 52), ("rossic", 52), ("mirabal", 12)])
def test_rmst_robust_se_matches_r_influence(rossi, mirabal, ref, prefix, tau):
    """R's se(rmean) is Greenwood on weighted counts (weights as frequencies); the robust SE of
    the area is computed in the R script from survfit's own influence matrix."""
    if prefix == "mirabal":
        data, time, event, group, levels = (
            mirabal,
            "reoffend_time",
            "reoffend_event",
            "group",
            (
                "comparison",
                "intervention",
            ),
        )
    else:
        data, time, event, group, levels = rossi, "week", "arrest", "fin", (0, 1)
    for g in levels:
        m = data[group] == g
        extra = {"cluster": data.site[m]} if prefix == "rossic" else {"weights": data.w[m]}
        rmst, se = restricted_mean(kaplan_meier(data[time][m], data[event][m], **extra), tau=tau)
        assert rmst == pytest.approx(ref[f"{prefix}.rmst{tau}.{g}"], rel=1e-8)
        assert se == pytest.approx(ref[f"{prefix}.rmst{tau}.{g}.se_ij"], rel=1e-8)


def test_mirabal_example_band_no_longer_spikes(mirabal, ref):
    """The report's weighted comparison curve: at the first comparison-group event (a person of
    weight 0.62 among 62 at risk, weights up to 10.5) the Xie-Liu variance gave SE 0.0150 and a
    log-log band down to 0.391 at S = 0.994; R's robust SE is 0.00589 (band 0.958 to 0.9992)."""
    w = mirabal.set_index("person")["w"]
    res = compare_groups(
        mirabal,
        duration="reoffend_time",
        event="reoffend_event",
        group="group",
        weights=w,
        parametric=(),
        ph_alpha=None,
    )
    curve = res.curves["comparison"]
    first = curve.time[0]
    times = [*curve.time[:5], 3.0, 6.0, 12.0]
    _check_against_r(ref, "mirabal", res.curves, times)
    row = res.survival_at([first]).loc[("comparison", first)]
    assert row["estimate"] == pytest.approx(0.99419136, abs=1e-8)
    assert row["lower"] == pytest.approx(0.95817762, abs=1e-8)
    # The whole band stays above 0.9 until the second event (it used to drop to 0.39).
    lower, _ = curve.interval_at(np.linspace(0, curve.time[1] - 1e-9, 50))
    assert lower.min() > 0.95


def test_first_event_robust_se_by_hand():
    """At the first event time (S before it = 1) the influence of person k is
    w_k (Y_k h - dN_k) / Y, so se = sqrt(w_e^2 (1 - h)^2 + h^2 sum_{others} w^2) / Y."""
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    e = np.array([1, 0, 1, 0, 1])
    w = np.array([0.5, 4.0, 1.0, 2.0, 3.0])
    curve = kaplan_meier(t, e, weights=w)
    Y, h = w.sum(), w[0] / w.sum()
    by_hand = np.sqrt(w[0] ** 2 * (1 - h) ** 2 + h**2 * np.sum(w[1:] ** 2)) / Y
    assert curve.std_error[0] == pytest.approx(by_hand, rel=1e-12)


def test_robust_variance_equals_numerical_influence():
    """The robust variance is sum_k (w_k dS/dw_k)^2, summed within clusters: check it against
    finite differences of the weighted Kaplan-Meier estimate itself."""
    rng = np.random.default_rng(4)
    n = 40
    t = rng.exponential(5, n).round(1) + 0.1  # rounding makes ties
    e = rng.binomial(1, 0.7, n)
    w = rng.uniform(0.3, 3.0, n)
    cluster = rng.integers(0, 12, n)
    times = np.array([1.0, 3.0, 6.0])
    curve = kaplan_meier(t, e, weights=w, cluster=cluster)
    eps = 1e-6
    infl = np.empty((n, len(times)))
    for k in range(n):
        up, down = w.copy(), w.copy()
        up[k] *= 1 + eps
        down[k] *= 1 - eps
        infl[k] = (
            kaplan_meier(t, e, weights=up).survival_at(times)
            - kaplan_meier(t, e, weights=down).survival_at(times)
        ) / (2 * eps)
    by_cluster = np.vstack([infl[cluster == c].sum(axis=0) for c in np.unique(cluster)])
    np.testing.assert_allclose(curve.variance_at(times), np.sum(by_cluster**2, axis=0), rtol=1e-6)


def test_unweighted_km_keeps_greenwood(rossi):
    curve = kaplan_meier(rossi.week, rossi.arrest)
    assert curve.variance == "greenwood"


# --- issue 13 / issue 14 F5: weights matched by label, not by position ------------------------
def test_shuffled_weights_series_gives_identical_results():
    data = pd.DataFrame(
        {
            "time": [1.0, 2.0, 2.5, 3.0, 4.0, 1.5, 2.0, 2.2, 3.5, 5.0],
            "event": [1, 1, 0, 1, 0, 1, 1, 1, 0, 1],
            "arm": ["a"] * 5 + ["b"] * 5,
        },
        index=[11, 12, 13, 14, 15, 21, 22, 23, 24, 25],
    )
    w = pd.Series([0.5, 2.0, 1.0, 3.0, 1.5, 1.0, 0.4, 2.5, 1.2, 0.8], index=data.index)
    shuffled = w.sample(frac=1.0, random_state=3)
    assert not shuffled.index.equals(w.index)
    kw = dict(duration="time", event="event", group="arm", treated="b", parametric=("weibull",))
    kw["ph_alpha"] = None
    a = compare_groups(data, weights=w, **kw)
    b = compare_groups(data, weights=shuffled, **kw)
    pd.testing.assert_frame_equal(a.survival_at([2.5]), b.survival_at([2.5]))
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    pd.testing.assert_frame_equal(a.rmst_difference(tau=4.0), b.rmst_difference(tau=4.0))
    # ... and the weights matter: by position the shuffled Series gives another curve.
    by_position = compare_groups(data, weights=shuffled.set_axis(data.index), **kw)
    assert not np.allclose(
        a.survival_at([2.5])["estimate"], by_position.survival_at([2.5])["estimate"]
    )
