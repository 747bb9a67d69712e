"""GEE on an IndicatorPanel: per-indicator fits, joint (stacked) sandwich, pp effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirabal_stats import frequentist
from mirabal_stats.exceptions import RowsExcludedWarning, SeparationWarning, SpecificationError


def test_indicator_gee_matches_formula_gee(small_panel):
    """The per-indicator model equals the formula interface on the same long data."""
    long = small_panel.to_long(include_missing=False)
    one = long[long["indicator"] == "slapped"].copy()
    one["treated"] = (one["group"] == "programme").astype(int)
    one["effect"] = one["treated"] * (one["wave"] > 1)
    direct = (
        frequentist.gee(
            one, formula="response ~ treated + C(wave) + effect", person="person", wave="wave"
        )
        .to_frame()
        .loc["effect"]
    )
    fit = frequentist.indicator_gee(small_panel, level="indicator")
    row = fit.to_frame(scale="log_odds").loc["slapped"]
    assert row["estimate"] == pytest.approx(direct["estimate"], rel=1e-6)
    assert row["std_error"] == pytest.approx(direct["std_error"], rel=1e-6)
    assert fit.to_frame(scale="odds_ratio").loc["slapped", "estimate"] == pytest.approx(
        np.exp(row["estimate"])
    )


def test_measure_effect_is_mean_of_oriented_indicator_effects(small_panel):
    ind = frequentist.indicator_gee(small_panel, level="indicator")
    meas = frequentist.indicator_gee(small_panel, level="measure")
    for scale in ("pp", "log_odds"):
        frame = ind.to_frame(scale=scale)
        safety = frame.loc[["slapped", "threatens"]]
        expected = (safety["estimate"] * safety["benefit_sign"]).mean()
        assert meas.to_frame(scale=scale).loc["safety", "estimate"] == pytest.approx(expected)
    # Joint covariance: the variance of a mean of two correlated effects is not the sum/4 of
    # their variances unless their cross-covariance is zero; check it is the joint-sandwich one.
    cov = ind.cov(scale="pp").loc[["slapped", "threatens"], ["slapped", "threatens"]].to_numpy()
    c = np.array([-0.5, -0.5])
    assert meas.to_frame().loc["safety", "std_error"] == pytest.approx(np.sqrt(c @ cov @ c))


def test_pp_effect_delta_method_against_numerical_gradient(small_panel):
    """pp = mean over treated post answers of expit(eta) - expit(eta - beta); check by hand."""
    from scipy.special import expit

    long = small_panel.to_long(include_missing=False)
    one = long[long["indicator"] == "negotiates"].copy()
    one["treated"] = (one["group"] == "programme").astype(int)
    one["effect"] = one["treated"] * (one["wave"] > 1)
    fit = frequentist.gee(
        one, formula="response ~ treated + C(wave) + effect", person="person", wave="wave"
    )
    beta = fit.to_frame()["estimate"]
    target = one[(one["treated"] == 1) & (one["wave"] > 1)]
    eta = (
        beta["Intercept"]
        + beta["treated"]
        + beta["effect"]
        + target["wave"].map(lambda w: beta.get(f"C(wave)[T.{w}]", 0.0))
    )
    expected = 100 * np.mean(expit(eta) - expit(eta - beta["effect"]))
    got = frequentist.indicator_gee(small_panel).to_frame().loc["negotiates", "estimate"]
    assert got == pytest.approx(expected, rel=1e-6)


def test_separation_warns(small_panel):
    long = small_panel.to_long(include_missing=False)
    mask = (long["indicator"] == "threatens") & (long["group"] == "programme") & (long["wave"] > 1)
    long.loc[mask, "response"] = 0.0
    from mirabal_stats import IndicatorPanel

    built = IndicatorPanel.from_long(
        long,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated="programme",
    )
    with pytest.warns(SeparationWarning, match="'threatens'"):
        fit = frequentist.indicator_gee(built)
    assert np.isnan(fit.to_frame(scale="log_odds").loc["threatens", "estimate"])
    assert np.isfinite(fit.to_frame().loc["slapped", "estimate"])


def test_formula_gee_errors_and_dropped_rows():
    df = pd.DataFrame(
        {"y": [0, 1, 1, 0, 1, 0] * 10, "x": np.arange(60.0), "id": np.repeat(np.arange(30), 2)}
    )
    df.loc[3, "x"] = np.nan
    with pytest.warns(RowsExcludedWarning, match="1 of 60 rows have a missing value in \\['x'\\]"):
        frequentist.gee(df, formula="y ~ x", person="id")
    with pytest.raises(SpecificationError, match="correlation='toeplitz'"):
        frequentist.gee(df, formula="y ~ x", person="id", correlation="toeplitz")
    with pytest.raises(SpecificationError, match="uses column\\(s\\) \\['z'\\]"):
        frequentist.gee(df, formula="y ~ z", person="id")
    with pytest.raises(SpecificationError, match="person column 'pid' is not in the data"):
        frequentist.gee(df, formula="y ~ x", person="pid")
