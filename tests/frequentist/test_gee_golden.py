"""GEE against R geepack (toenail) and the published HSAUR respiratory GEE interval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mirabal_stats import frequentist
from mirabal_stats.datasets import load_toenail
from mirabal_stats.reproductions.toenail_gee import respiratory_analysis_frame

REFERENCE = Path(__file__).parents[1] / "golden" / "reference" / "toenail_gee" / "output.csv"
TERMS = {"(Intercept)": "Intercept", "trt": "trt", "time": "time", "trt:time": "trt:time"}


def _reference(correlation: str) -> pd.DataFrame:
    raw = pd.read_csv(REFERENCE, comment="#", skipinitialspace=True)
    rows = raw[(raw["correlation"] == correlation) & (~raw["scale_fix"])]
    return rows.set_index(rows["term"].map(TERMS))


def _sig(x: np.ndarray, digits: int = 3) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    magnitude = np.floor(np.log10(np.abs(x)))
    return np.round(x / 10**magnitude, digits - 1) * 10**magnitude


@pytest.fixture(scope="module")
def toenail() -> pd.DataFrame:
    return load_toenail()


@pytest.mark.parametrize("correlation", ["exchangeable", "independence"])
def test_toenail_matches_geepack_to_three_significant_digits(toenail, correlation):
    """R: geeglm(y ~ trt * time, id = patient, waves = visit, family = binomial, corstr = ...)."""
    ref = _reference(correlation)
    fit = (
        frequentist.gee(
            toenail,
            formula="y ~ trt * time",
            person="patient",
            wave="visit",
            correlation=correlation,
        )
        .to_frame()
        .loc[ref.index]
    )
    np.testing.assert_array_equal(_sig(fit["estimate"]), _sig(ref["estimate"]))
    np.testing.assert_array_equal(_sig(fit["std_error"]), _sig(ref["std_error"]))
    # Tighter than the requirement (both fits stop at their own convergence tolerance), to catch
    # a drift in the working-correlation estimator.
    assert np.all(np.abs(fit["estimate"] - ref["estimate"]) < 1e-4 * ref["std_error"])


def test_toenail_exchangeable_alpha_matches_geepack(toenail):
    fit = frequentist.gee(toenail, formula="y ~ trt * time", person="patient", wave="visit")
    assert fit.settings["dependence"] == pytest.approx(
        _reference("exchangeable")["alpha"].iloc[0], rel=1e-6
    )


def test_toenail_ar1_close_to_geepack(toenail):
    ref = _reference("ar1")
    fit = (
        frequentist.gee(
            toenail, formula="y ~ trt * time", person="patient", wave="visit", correlation="ar1"
        )
        .to_frame()
        .loc[ref.index]
    )
    assert np.all(np.abs(fit["estimate"] - ref["estimate"]) < 0.01 * ref["std_error"])
    np.testing.assert_array_equal(_sig(fit["std_error"]), _sig(ref["std_error"]))


def test_respiratory_gee_reproduces_published_interval():
    """Everitt & Hothorn, HSAUR 3rd ed., ch. 13: exchangeable GEE, robust 95% CI 0.612 to 1.987."""
    data = respiratory_analysis_frame()
    fit = frequentist.gee(
        data,
        formula="good ~ centre2 + active + male + baseline_good + age",
        person="subject",
        wave="month",
    ).to_frame()
    assert round(fit.loc["active", "lower"], 3) == 0.612
    assert round(fit.loc["active", "upper"], 3) == 1.987
    assert round(fit.loc["active", "estimate"], 3) == 1.299
