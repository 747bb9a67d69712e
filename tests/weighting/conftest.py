"""Shared fixtures of the weighting tests: the Lalonde data, fitted weights and the R reference."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from mirabal_stats.datasets import load_lalonde
from mirabal_stats.weighting import PropensityWeights

LALONDE_COVARIATES = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
REFERENCE = Path(__file__).resolve().parents[1] / "golden" / "reference" / "lalonde_att"


@pytest.fixture(scope="session")
def lalonde() -> pd.DataFrame:
    return load_lalonde()


@pytest.fixture(scope="session")
def reference() -> pd.DataFrame:
    """R output: columns quantity, estimand, covariate, value."""
    table = pd.read_csv(REFERENCE / "reference_values.csv", keep_default_na=False)
    table["value"] = table["value"].astype(float)
    return table


def ref_value(reference: pd.DataFrame, quantity: str, estimand: str, covariate: str = "") -> float:
    row = reference[
        (reference["quantity"] == quantity)
        & (reference["estimand"] == estimand)
        & (reference["covariate"] == covariate)
    ]
    assert len(row) == 1, (quantity, estimand, covariate)
    return float(row["value"].iloc[0])


@pytest.fixture(scope="session")
def fitted_lalonde(lalonde):
    """Logistic weights for ATT, ATE and ATO (balance warnings silenced: age fails 0.1 for ATT)."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for estimand in ("ATT", "ATE", "ATO"):
            out[estimand] = PropensityWeights(
                lalonde, group="treat", covariates=LALONDE_COVARIATES, estimand=estimand
            ).fit()
    return out
