"""Shared fixtures for the survival tests: Rossi data, R golden values, fitted comparisons."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.datasets import load_rossi
from mirabal_stats.exceptions import ProportionalHazardsWarning

REFERENCE = Path(__file__).resolve().parents[1] / "golden" / "reference" / "rossi_survival"
COVARIATES = ["age", "race", "wexp", "mar", "paro", "prio"]


@pytest.fixture(scope="session")
def rossi() -> pd.DataFrame:
    data = load_rossi()
    # The deterministic weights of rossi_survival.R: 0.5, 0.75, 1, 1.25, 1.5, repeating.
    data["w"] = 0.5 + (np.arange(len(data)) % 5) * 0.25
    waves = pd.read_csv(REFERENCE / "rossi_waves.csv")
    return pd.concat([data, waves], axis=1)


@pytest.fixture(scope="session")
def r_values() -> pd.Series:
    """Values computed by tests/golden/reference/rossi_survival/rossi_survival.R (R survival 3.5-3)."""
    return pd.read_csv(REFERENCE / "values.csv").set_index("name")["value"]


@pytest.fixture(scope="session")
def rossi_fit(rossi):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProportionalHazardsWarning)
        from mirabal_stats.survival import compare_groups

        return compare_groups(
            rossi, duration="week", event="arrest", group="fin", covariates=COVARIATES
        )
