"""The data-driven choice between centred and non-centred indicator effects (no sampling)."""

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.bayes import IndicatorModel
from mirabal_stats.bayes.indicator_design import build_design
from mirabal_stats.bayes.parametrisation import effect_informativeness
from mirabal_stats.datasets import simulate_mirabal

INDICATORS = [
    "negotiates",
    "considerate",
    "shouts_swears",
    "puts_down",
    "justifies_abuse",
    "blames_her",
]


def test_crude_scales_match_a_direct_computation(small_panel):
    """Crude DiD of the log-odds per indicator (half a count added per cell) with its binomial
    variance; the spread is the within-measure variance minus the mean sampling variance."""
    design = build_design(small_panel)
    long = small_panel.to_long(include_missing=False)
    long["post"] = (long["wave"] > small_panel.waves[0]).astype(int)
    long["treated"] = (long["group"] == small_panel.treated).astype(int)
    cells = long.groupby(["indicator", "treated", "post"])["response"].agg(["sum", "count"])
    p = (cells["sum"] + 0.5) / (cells["count"] + 1.0)
    logit = np.log(p / (1 - p)).unstack(["treated", "post"])
    did = (logit[(1, 1)] - logit[(1, 0)]) - (logit[(0, 1)] - logit[(0, 0)])
    var = (1.0 / ((cells["count"] + 1.0) * p * (1 - p))).groupby("indicator").sum()
    beneficial = did * small_panel.benefit_sign.reindex(did.index)
    measure = pd.Series(small_panel.indicator_measures).reindex(did.index)
    dev = beneficial - beneficial.groupby(measure).transform("mean")
    dof = len(beneficial) - measure.nunique()
    tau2 = max(float((dev**2).sum()) / dof - float(var.mean()), 0.0)
    got = effect_informativeness(design)
    assert got.median_se == pytest.approx(float(np.sqrt(var.median())), rel=1e-12)
    assert got.tau == pytest.approx(np.sqrt(tau2), rel=1e-12, abs=1e-12)


def test_large_panels_get_centred_effects_small_ones_not():
    """2,000 persons: each effect's SE (~0.1) is far below the spread (~0.6): centred. The same
    design at 162 persons: SE ~0.4, not clearly below: non-centred. An explicit choice wins."""
    big, _ = simulate_mirabal(
        n_intervention=1235,
        n_comparison=765,
        random_seed=7,
        indicators=INDICATORS,
        attrition="none",
    )
    small, _ = simulate_mirabal(random_seed=7, indicators=INDICATORS, attrition="none")
    auto_big, auto_small = IndicatorModel(big), IndicatorModel(small)
    assert auto_big.centred_effects and "effect_raw" not in auto_big.model.named_vars
    assert not auto_small.centred_effects and "effect_raw" in auto_small.model.named_vars
    assert "indicator effects centred (chosen: crude effect SE" in str(auto_big)
    assert not IndicatorModel(big, centred_effects=False).centred_effects
