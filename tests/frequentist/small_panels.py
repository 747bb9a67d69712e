"""A seeded generator of small but *valid* survey panels for the robustness tests (issue 14).

Every panel it makes is accepted by :class:`~mirabal_stats.IndicatorPanel`: 3-8 persons per group,
2-4 waves, 1-4 indicators, everybody answers at the first wave, then random attrition (dropout or
a skipped wave), indicator prevalences anywhere from 0% to 100% (so some indicators are
constant, some groups answer all "yes"), and person ids that are numbers, text or a mix of both.
Such panels are degenerate in many ways, but they are valid data: an estimator must give a
result (with warnings naming what could not be estimated) or a named error saying what it needs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirabal_stats import IndicatorPanel

__all__ = ["small_valid_panel"]


def small_valid_panel(seed: int) -> IndicatorPanel:
    """The small valid panel number ``seed`` (same seed, same panel)."""
    rng = np.random.default_rng([2026, seed])
    n_treated, n_comparison = (int(n) for n in rng.integers(3, 9, size=2))
    n_waves = int(rng.integers(2, 5))
    n_indicators = int(rng.integers(1, 5))
    indicators = [f"ind_{k}" for k in range(n_indicators)]
    # Prevalence on the logit scale, sometimes extreme (near-constant indicators), with a
    # programme effect and a wave trend of either sign.
    base = rng.choice([-6.0, -2.0, -0.5, 0.0, 0.5, 2.0, 6.0], size=n_indicators)
    effect = rng.normal(0.0, 1.5, size=n_indicators)
    trend = rng.normal(0.0, 0.5, size=n_indicators)
    dropout = float(rng.uniform(0.0, 0.5))
    id_style = rng.choice(["int", "str", "mixed"], p=[0.5, 0.3, 0.2])
    rows = []
    for i in range(n_treated + n_comparison):
        treated = i < n_treated
        if id_style == "int":
            person: object = 100 + i
        elif id_style == "str":
            person = f"p{i:02d}"
        else:
            person = 100 + i if i % 2 else f"p{i:02d}"
        u = rng.normal(0.0, 1.0)
        stayed = True
        for t in range(n_waves):
            if t > 0:
                stayed = stayed and rng.random() > dropout
                if not stayed or rng.random() < 0.1:
                    continue
            for k, name in enumerate(indicators):
                if t > 0 and rng.random() < 0.05:
                    continue
                eta = base[k] + u + trend[k] * t + effect[k] * treated * (t > 0)
                answer = int(rng.random() < 1.0 / (1.0 + np.exp(-eta)))
                rows.append((person, t + 1, name, answer, "programme" if treated else "comparison"))
    frame = pd.DataFrame(rows, columns=["person", "wave", "indicator", "response", "group"])
    measures = {name: ("harm" if k % 2 == 0 else "voice") for k, name in enumerate(indicators)}
    beneficial = {name: "increase" for k, name in enumerate(indicators) if k % 2 == 1}
    return IndicatorPanel.from_long(
        frame,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated="programme",
        measure=measures,
        beneficial=beneficial or None,
    )
