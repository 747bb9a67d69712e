"""Small panels for the Bayesian unit tests (no sampling)."""

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.data import IndicatorPanel


def make_long(rng, *, n_per_group=12, n_waves=3, n_indicators=4, treated_post=True):
    """A tiny random long table: two groups, some indicators in two measures, random answers."""
    rows = []
    for p in range(2 * n_per_group):
        group = "programme" if p < n_per_group else "control"
        for t in range(1, n_waves + 1):
            if group == "programme" and t > 1 and not treated_post:
                continue
            for k in range(n_indicators):
                rows.append(
                    {
                        "person": p,
                        "wave": t,
                        "indicator": f"ind{k}",
                        "group": group,
                        "response": float(rng.random() < 0.3 + 0.1 * k),
                        "age": 30 + p % 7,
                    }
                )
    return pd.DataFrame(rows)


def make_panel(long, **kwargs):
    inds = sorted(long["indicator"].unique())
    return IndicatorPanel.from_long(
        long,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated="programme",
        measure={k: ("m1" if i % 2 == 0 else "m2") for i, k in enumerate(inds)},
        beneficial={k: ("increase" if i == 0 else "decrease") for i, k in enumerate(inds)},
        covariates=["age"],
        **kwargs,
    )


@pytest.fixture
def small_panel():
    return make_panel(make_long(np.random.default_rng(7)))
