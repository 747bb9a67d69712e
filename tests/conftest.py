"""Session-wide test settings: a non-interactive plotting backend and a fixed seed fixture."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture
def rng():
    """A seeded generator for tests that draw random numbers (never the global NumPy seed)."""
    return np.random.default_rng(20261122)
