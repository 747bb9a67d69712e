"""MirabalDesign and the simulator's design keywords."""

import dataclasses

import numpy as np
import pytest

from mirabal_stats.datasets import simulate_mirabal
from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.studies import MirabalDesign


def test_published_design_is_the_simulator_default():
    design = MirabalDesign.published()
    assert (design.n_intervention, design.n_comparison, design.n_waves) == (100, 62, 6)
    assert design.wave_months == [0.0, 3.0, 6.0, 9.0, 12.0, 15.0]
    options = design.simulate_options()
    assert options["indicators"] is None and options["effect_pp"] is None


def test_design_simulates_the_same_panel_as_simulate_mirabal():
    design = MirabalDesign(indicators=("slapped_pushed",), n_intervention=10, n_comparison=8)
    p1, t1 = design.simulate(random_seed=4)
    p2, t2 = simulate_mirabal(
        random_seed=4, indicators=["slapped_pushed"], n_intervention=10, n_comparison=8
    )
    assert p1.to_long().equals(p2.to_long())
    assert t1.indicator_effects.equals(t2.indicator_effects)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"n_intervention": 1}, r"n_intervention=\.\.\.\) must be a whole number of at least 2"),
        ({"n_comparison": 10.5}, "n_comparison"),
        ({"n_waves": 1}, "n_waves"),
        ({"attrition": "random"}, "attrition"),
        ({"indicators": "slapped_pushed"}, "sequence of indicator codes"),
        ({"indicators": ("no_such_code",)}, "unknown or no indicator codes"),
        ({"retention": "high"}, "sequence of numbers"),
    ],
)
def test_bad_design_options_are_named(options, match):
    with pytest.raises(SpecificationError, match=match):
        MirabalDesign(**options)


def test_design_is_frozen_and_replace_changes_one_field():
    design = MirabalDesign()
    with pytest.raises(
        dataclasses.FrozenInstanceError, match="cannot assign to field 'n_intervention'"
    ):
        design.n_intervention = 5
    assert dataclasses.replace(design, n_intervention=5).n_intervention == 5


ONE = ["slapped_pushed"]


def test_effect_pp_is_the_average_effect_on_the_treated():
    _, truth = simulate_mirabal(
        random_seed=2,
        indicators=ONE,
        effect_pp=10,
        n_intervention=6000,
        n_comparison=10,
        attrition="none",
    )
    # Calibrated on the reference population; a sample of 6,000 is within ~0.3 pp of it.
    assert truth.indicator_effects["beneficial_pp"].iloc[0] == pytest.approx(10.0, abs=0.4)


def test_effect_log_odds_sets_the_conditional_effect():
    _, truth = simulate_mirabal(random_seed=2, indicators=ONE, effect_log_odds=0.5)
    row = truth.indicator_effects.iloc[0]
    assert row["beneficial_log_odds"] == pytest.approx(0.5)
    assert row["log_odds"] == pytest.approx(-0.5)  # less "yes" is beneficial here


def test_retention_sets_the_expected_share_still_answering():
    target = [1, 1, 0.9, 0.8, 0.7, 0.5]
    panel, truth = simulate_mirabal(
        random_seed=3,
        indicators=ONE,
        retention=target,
        n_intervention=3000,
        n_comparison=3000,
        item_missing=0,
    )
    share = panel.responded().mean(axis=0).to_numpy()
    # 6,000 persons: binomial SE of a share below 0.007.
    np.testing.assert_allclose(share, target, atol=0.025)
    assert truth.parameters["dropout_hazards"] == pytest.approx([0.1, 1 / 9, 0.125, 2 / 7])


def test_no_person_effect_makes_answers_depend_on_group_and_wave_only():
    panel, truth = simulate_mirabal(
        random_seed=1,
        indicators=ONE,
        sigma_person=0.0,
        covariate_effects=0.0,
        confounding=0.0,
        attrition="none",
        item_missing=0.0,
    )
    assert np.all(truth.severity.to_numpy() == 0.0)
    assert truth.parameters["design"] == {"confounding": 0.0, "covariate_effects": 0.0}


def test_confounding_zero_balances_the_groups():
    panel, _ = simulate_mirabal(
        random_seed=5, indicators=ONE, confounding=0.0, n_intervention=3000, n_comparison=3000
    )
    base = panel.baseline()
    gap = base.groupby("group")["separated"].mean()
    assert abs(gap["intervention"] - gap["comparison"]) < 0.04  # 1.0 on the logit by default


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"effect_pp": 10, "effect_log_odds": 0.5}, "either in percentage points"),
        ({"effect_pp": 90}, "not reachable for indicator 'slapped_pushed'"),
        ({"effect_pp": {"other": 1}}, "one number for every indicator"),
        ({"effect_pp": "big"}, "must be a number"),
        ({"baseline_pct": {"slapped_pushed": 100}}, "strictly between 0 and 100"),
        ({"baseline_pct": {"weapon": 20}}, "not in the design"),
        ({"retention": [1, 0.9, 0.8, 0.7, 0.6, 0.5]}, "the first two equal to 1"),
        ({"retention": [1, 1, 0.9, 0.95, 0.6, 0.5]}, "non-increasing"),
        ({"retention": [1, 1, 0.9], "attrition": "mar"}, "needs 6 shares"),
        ({"retention": [1, 1, 1, 1, 1, 1], "attrition": "none"}, "attrition='none' has no"),
        ({"confounding": float("nan")}, "confounding must be a finite number"),
        ({"covariate_effects": -1}, "covariate_effects must be a finite number >= 0"),
    ],
)
def test_bad_design_keywords_of_the_simulator_are_named(options, match):
    with pytest.raises(SpecificationError, match=match):
        simulate_mirabal(random_seed=1, indicators=ONE, **options)
