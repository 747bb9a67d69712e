"""Shared small panels for the panel tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirabal_stats import IndicatorPanel


def make_panel(
    seed: int,
    *,
    n_persons: int = 40,
    n_waves: int = 4,
    drop: float = 0.15,
    indicators: tuple = ("slapped", "negotiates", "threatens"),
) -> IndicatorPanel:
    """A small hand-made panel: person effects, a wave trend, a programme effect, dropout."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_persons):
        treated = i % 2
        u = rng.normal()
        for k, name in enumerate(indicators):
            for t in range(1, n_waves + 1):
                if t > 1 and rng.random() < drop:
                    continue
                eta = -0.3 + 0.4 * k + u + 0.2 * t - 1.0 * treated * (t > 1)
                rows.append(
                    (
                        i,
                        t,
                        name,
                        int(rng.random() < 1 / (1 + np.exp(-eta))),
                        "programme" if treated else "comparison",
                    )
                )
    frame = pd.DataFrame(rows, columns=["id", "wave", "indicator", "answer", "arm"])
    return IndicatorPanel.from_long(
        frame,
        person="id",
        wave="wave",
        indicator="indicator",
        response="answer",
        group="arm",
        treated="programme",
        measure={"slapped": "safety", "threatens": "safety", "negotiates": "communication"}
        if set(indicators) == {"slapped", "negotiates", "threatens"}
        else None,
        beneficial={"negotiates": "increase"} if "negotiates" in indicators else None,
    )


@pytest.fixture(scope="session")
def small_panel() -> IndicatorPanel:
    return make_panel(11)


@pytest.fixture(scope="session")
def panel_factory():
    return make_panel
