"""MNAR delta adjustment on observed shares, checked against hand computations (moved from the
reporting layer: the report only renders the result)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _contract import assert_results_contract
from scipy.special import expit, logit

from mirabal_stats._results import make_provenance
from mirabal_stats.data import IndicatorPanel
from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.frequentist import DeltaSensitivity, delta_sensitivity


def mnar_sensitivity(panel, **options):
    """The long table of the result, as the report renders it."""
    return delta_sensitivity(panel, **options).to_frame().reset_index()


@pytest.fixture(scope="module")
def tiny_panel():
    """Two harm indicators in one measure, 4 treated and 4 comparison persons, 2 waves.

    Treated: wave 1 all "yes" to 'hit'; wave 2 persons 1-2 answer "no", persons 3-4 drop out.
    """
    rows = []
    answers = {
        # person: (group, {wave: (hit, shout)})
        1: ("t", {1: (1, 1), 2: (0, 1)}),
        2: ("t", {1: (1, 0), 2: (0, 0)}),
        3: ("t", {1: (1, 1), 2: (None, None)}),
        4: ("t", {1: (1, 1), 2: (None, None)}),
        5: ("c", {1: (1, 1), 2: (1, 1)}),
        6: ("c", {1: (0, 1), 2: (1, 0)}),
        7: ("c", {1: (1, 0), 2: (0, 0)}),
        8: ("c", {1: (0, 1), 2: (0, 1)}),
    }
    for person, (group, waves) in answers.items():
        for wave, (hit, shout) in waves.items():
            rows.append({"id": person, "wave": wave, "arm": group, "hit": hit, "shout": shout})
    return IndicatorPanel.from_wide(
        pd.DataFrame(rows),
        person="id",
        wave="wave",
        group="arm",
        treated="t",
        indicators={"hit": "harm", "shout": "harm"},
    )


def test_hand_computed_example(tiny_panel):
    result = delta_sensitivity(
        tiny_panel, baseline_wave=1, odds_ratios=[1.0, 2.0], n_bootstrap=50, random_seed=1
    )
    assert_results_contract(result)
    table = result.to_frame().reset_index()

    # Treated 'hit': baseline 4/4 yes; wave 2: 0/2 observed -> q_obs = 0, so any odds ratio keeps
    # the missing at 0 (logit(0) = -inf): q_adj = 0. 'shout': baseline 3/4; wave 2: 1/2 observed.
    # Comparison: 'hit' 2/4 -> 2/4; 'shout' 3/4 -> 2/4.
    def effect(ratio):
        q_shout_missing = expit(logit(0.5) + np.log(ratio))
        q_shout = (2 * 0.5 + 2 * q_shout_missing) / 4
        hit = -100 * ((0.0 - 1.0) - (0.5 - 0.5))
        shout = -100 * ((q_shout - 0.75) - (0.5 - 0.75))
        return (hit + shout) / 2

    got = table.set_index("odds_ratio")["estimate"]
    assert got[1.0] == pytest.approx(effect(1.0))
    assert got[2.0] == pytest.approx(effect(2.0))
    assert got[2.0] < got[1.0]


def test_missing_at_random_equals_complete_case_did():
    from mirabal_stats.datasets import load_mirabal_example

    panel = load_mirabal_example()
    table = mnar_sensitivity(
        panel, baseline_wave=1, odds_ratios=[1.0], n_bootstrap=20, random_seed=3
    )
    # Independent computation from the panel's prevalence table: with odds ratio 1 the adjusted
    # share equals the observed one, so the effect is the complete-case DiD of the shares.
    prev = panel.prevalence_table()
    sign = panel.benefit_sign
    prev["post"] = prev["wave"] != 1
    share = (
        prev.groupby(["indicator", "group", "post"])["pct_yes"].mean().unstack(["group", "post"])
    )
    t, c = panel.treated, panel.comparison
    did = (share[(t, True)] - share[(t, False)]) - (share[(c, True)] - share[(c, False)])
    beneficial = did * sign.reindex(did.index)
    expected = beneficial.groupby(panel.indicator_measures.reindex(did.index)).mean()
    got = table.set_index("measure")["estimate"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_effects_fall_as_dropouts_are_assumed_worse():
    from mirabal_stats.datasets import load_mirabal_example

    table = mnar_sensitivity(
        load_mirabal_example(),
        baseline_wave=1,
        odds_ratios=[0.5, 1.0, 2.0, 4.0],
        n_bootstrap=20,
        random_seed=3,
    )
    for _, block in table.groupby("measure"):
        assert np.all(np.diff(block.sort_values("odds_ratio")["estimate"]) < 0)
    assert (table["lower"] <= table["estimate"]).all() and (
        table["estimate"] <= table["upper"]
    ).all()


def test_bootstrap_is_seeded(tiny_panel):
    a = mnar_sensitivity(tiny_panel, baseline_wave=1, n_bootstrap=30, random_seed=5)
    b = mnar_sensitivity(tiny_panel, baseline_wave=1, n_bootstrap=30, random_seed=5)
    pd.testing.assert_frame_equal(a, b)


def test_tipping_points():
    table = pd.DataFrame(
        {
            "measure": ["a"] * 3 + ["b"] * 3,
            "odds_ratio": [1.0, 2.0, 3.0] * 2,
            "estimate": [5, 3, 1, 5, 4, 3],
            "lower": [2, 0.5, -1, 1, 0.5, 0.2],
            "upper": [8, 6, 3, 9, 8, 6],
        }
    )
    result = DeltaSensitivity(
        table=table.assign(std_error=np.nan, ci_level=0.95).set_index(["measure", "odds_ratio"]),
        provenance=make_provenance(),
    )
    tips = result.tipping_points().set_index("measure")["tipping_odds_ratio"]
    assert tips["a"] == 3.0
    assert np.isnan(tips["b"])
    without_mar = DeltaSensitivity(
        table=result.to_frame().drop(index=1.0, level="odds_ratio"), provenance=make_provenance()
    )
    with pytest.raises(SpecificationError, match="need odds ratio 1"):
        without_mar.tipping_points()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"odds_ratios": [1.0, -1.0]}, r"odds_ratios must be positive finite"),
        ({"baseline_wave": 9}, r"baseline_wave 9 is not a wave"),
        ({"baseline_wave": 2}, r"is the last wave"),
        ({"n_bootstrap": 5}, r"n_bootstrap must be at least 20"),
        ({"n_bootstrap": 25.5}, r"n_bootstrap must be a whole number"),
        ({"odds_ratios": [1.0, float("nan")]}, r"odds_ratios must be positive finite"),
        ({"odds_ratios": ["two"]}, r"odds_ratios must be positive finite"),
    ],
)
def test_invalid_arguments(tiny_panel, kwargs, match):
    options = {"baseline_wave": 1, "random_seed": 1, **kwargs}
    with pytest.raises(SpecificationError, match=match):
        delta_sensitivity(tiny_panel, **options)
