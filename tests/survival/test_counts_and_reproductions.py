"""Aggregate-count effects against base R, and the survival reproductions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.reproductions import run_reproduction
from mirabal_stats.survival import effects_from_counts, se_from_interval

COUNTS_REF = (
    Path(__file__).resolve().parents[1] / "golden" / "reference" / "counts_rossi52" / "output.txt"
)


@pytest.fixture(scope="module")
def r_counts() -> pd.Series:
    return pd.read_csv(COUNTS_REF, header=None, index_col=0).iloc[:, 0]


def test_counts_intervals_match_base_r(r_counts):
    t = effects_from_counts(48, 216, 66, 216)
    assert t.loc["risk_treated", ["lower", "upper"]].tolist() == pytest.approx(
        [r_counts["wilson_treated_lower"], r_counts["wilson_treated_upper"]], abs=1e-6
    )
    assert t.loc["risk_control", ["lower", "upper"]].tolist() == pytest.approx(
        [r_counts["wilson_control_lower"], r_counts["wilson_control_upper"]], abs=1e-6
    )
    assert t.loc["odds_ratio", ["lower", "upper"]].tolist() == pytest.approx(
        [r_counts["or_exact_lower"], r_counts["or_exact_upper"]], abs=5e-5
    )
    wald = effects_from_counts(48, 216, 66, 216, difference_method="wald")
    assert wald.loc["risk_difference", ["lower", "upper"]].tolist() == pytest.approx(
        [r_counts["rd_wald_lower"], r_counts["rd_wald_upper"]], abs=1e-6
    )
    cp = effects_from_counts(48, 216, 66, 216, proportion_method="beta")
    assert cp.loc["risk_treated", ["lower", "upper"]].tolist() == pytest.approx(
        [r_counts["cp_treated_lower"], r_counts["cp_treated_upper"]], abs=1e-6
    )


def test_katz_and_newcombe_match_hand_formulas():
    x1, n1, x0, n0 = 48, 216, 66, 216
    t = effects_from_counts(x1, n1, x0, n0)
    rr = (x1 / n1) / (x0 / n0)
    se = np.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)  # Katz et al. (1978)
    z = stats.norm.ppf(0.975)
    assert t.loc["risk_ratio", ["lower", "upper"]].tolist() == pytest.approx(
        [rr * np.exp(-z * se), rr * np.exp(z * se)], rel=1e-10
    )
    # Newcombe (1998) method 10 from the two Wilson intervals.
    p1, p0 = x1 / n1, x0 / n0
    (l1, u1), (l0, u0) = (
        t.loc["risk_treated", ["lower", "upper"]],
        t.loc["risk_control", ["lower", "upper"]],
    )
    lo = (p1 - p0) - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    hi = (p1 - p0) + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    assert t.loc["risk_difference", ["lower", "upper"]].tolist() == pytest.approx(
        [lo, hi], abs=1e-8
    )


def test_counts_match_cumulative_incidence_on_rossi(rossi_fit):
    """Without censoring before week 52, 1 - KM(52) is the crude proportion: the two routes agree."""
    ci = rossi_fit.cumulative_incidence([52]).xs(52.0, level="time")
    t = effects_from_counts(48, 216, 66, 216)
    assert ci.loc["risk_ratio", "estimate"] == pytest.approx(t.loc["risk_ratio", "estimate"])
    assert ci.loc["risk_difference", "estimate"] == pytest.approx(
        t.loc["risk_difference", "estimate"]
    )
    assert ci.loc["1", "estimate"] == pytest.approx(48 / 216)


def test_se_from_interval_round_trip():
    out = se_from_interval(0.49, 1.28)
    assert out["std_error"] == pytest.approx((np.log(1.28) - np.log(0.49)) / 3.919927969, rel=1e-9)
    assert out["estimate"] == pytest.approx(0.79, abs=0.005)
    lin = se_from_interval(-1.0, 3.0, log=False)
    assert lin["estimate"] == pytest.approx(1.0) and lin["std_error"] == pytest.approx(
        4 / 3.919927969
    )


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((50, 40, 10, 20), r"treated arm: need 0 <= events <= n"),
        ((5, 40, -1, 20), r"control arm: need 0 <= events <= n"),
        ((5.5, 40, 1, 20), r"must be whole numbers"),
    ],
)
def test_counts_bad_input(args, match):
    with pytest.raises(SpecificationError, match=match):
        effects_from_counts(*args)


def test_counts_bad_method():
    with pytest.raises(SpecificationError, match=r"ratio_method must be one of"):
        effects_from_counts(5, 40, 10, 40, ratio_method="nope")
    with pytest.raises(SpecificationError, match=r"0 < lower < upper"):
        se_from_interval(1.2, 0.8)


@pytest.mark.parametrize("name", ["rossi_cox", "cara_reoffending"])
def test_reproduction_passes(name):
    rep = run_reproduction(name, quick=True)
    failed = rep.to_frame().query("not passed")
    assert rep.passed, failed
    assert len(rep.checks) >= 7


def test_cara_reproduction_separates_assumptions():
    rep = run_reproduction("cara_reoffending")
    assert all("CARA men" not in c.quantity for c in rep.checks)
    pairs = rep.extra["cara_compatible_counts"]
    assert ((1 - pairs["risk_ratio"]).round(2) == 0.35).all()
    assert "not published" in rep.notes
