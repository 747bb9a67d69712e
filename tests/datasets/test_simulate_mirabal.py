"""Properties of the Mirabal-design simulator and of the bundled simulated example."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from mirabal_stats.datasets import (
    indicator_catalogue,
    load_mirabal_example,
    load_mirabal_persons,
    load_mirabal_truth,
    simulate_mirabal,
    wave_months,
)
from mirabal_stats.datasets.example import EXAMPLE_FILES, write_mirabal_example
from mirabal_stats.exceptions import SpecificationError

SEEDS = range(10)


@pytest.fixture(scope="module")
def draws():
    return [simulate_mirabal(random_seed=seed) for seed in SEEDS]


def test_default_design_sizes(draws):
    panel, truth = draws[0]
    assert panel.n_persons == 162
    counts = panel.baseline()["group"].value_counts()
    assert counts["intervention"] == 100 and counts["comparison"] == 62
    assert len(panel.waves) == 6 and len(panel.indicators) == 34 and len(panel.measures) == 6
    assert panel.treated == "intervention"
    assert truth.wave_months == [0.0, 3.0, 6.0, 9.0, 12.0, 15.0]


def test_same_seed_same_panel():
    a, truth_a = simulate_mirabal(random_seed=7, indicators=["slapped_pushed", "negotiates"])
    b, truth_b = simulate_mirabal(random_seed=7, indicators=["slapped_pushed", "negotiates"])
    c, _ = simulate_mirabal(random_seed=8, indicators=["slapped_pushed", "negotiates"])
    pd.testing.assert_frame_equal(a.to_long(), b.to_long())
    pd.testing.assert_frame_equal(truth_a.reoffending, truth_b.reoffending)
    assert not a.to_long().equals(c.to_long())


def test_attrition_rises_over_waves(draws):
    for panel, _ in draws:
        table = panel.attrition_table()
        for _, block in table.groupby("group"):
            responding = block["n_responding"].to_numpy()
            assert np.all(np.diff(responding) <= 0)
            assert responding[-1] < responding[0]
    # Pooled over seeds, the share of remaining women lost at each survey rises (rising hazard).
    retained = np.sum(
        [p.attrition_table().groupby("wave")["n_responding"].sum().to_numpy() for p, _ in draws],
        axis=0,
    )
    hazard = -np.diff(retained[1:]) / retained[1:-1]
    assert np.all(np.diff(hazard) > 0), hazard


def test_baseline_and_after_prevalence_match_targets_over_seeds():
    catalogue = indicator_catalogue()
    # Baseline from the default design (nobody has dropped out at wave 1); the month-12 wave
    # without attrition, because MAR dropout rightly makes responders differ from the group.
    # 30 seeds: the indicators share persons, so their z-scores are correlated within a seed.
    seeds = range(30)
    baseline = pd.concat([simulate_mirabal(random_seed=s)[0].prevalence_table() for s in seeds])
    baseline = baseline.query("wave == 1")
    complete = [simulate_mirabal(random_seed=s, attrition="none")[0] for s in seeds]
    after = pd.concat([p.prevalence_table() for p in complete]).query("wave == 5")
    for stacked, target in ((baseline, "target_before_pct"), (after, "target_after_pct")):
        stacked = stacked.query("group == 'intervention'")
        pooled = stacked.groupby("indicator")[["n", "n_yes"]].sum()
        observed = 100 * pooled["n_yes"] / pooled["n"]
        expected = catalogue.loc[observed.index, target]
        # Binomial z-scores of the pooled prevalence against the calibrated target: one answer
        # per person and indicator at a wave, persons independent, so the binomial SE applies.
        se = 100 * np.sqrt(expected / 100 * (1 - expected / 100) / pooled["n"])
        z = (observed - expected) / se
        assert np.all(np.abs(z) < 4), z[np.abs(z) >= 4]
        assert np.mean(z**2) < 2.0  # about 1 when the targets are met


def test_comparison_changes_less_than_intervention(draws):
    truth = draws[0][1]
    deltas = []
    for panel, _ in draws:
        table = panel.prevalence_table().pivot_table(
            index="indicator", columns=["group", "wave"], values="pct_yes"
        )
        sign = truth.indicator_effects["benefit_sign"]
        change_i = sign * (table[("intervention", 5)] - table[("intervention", 1)])
        change_c = sign * (table[("comparison", 5)] - table[("comparison", 1)])
        deltas.append((change_i - change_c).mean())
    assert np.mean(deltas) > 10  # beneficial change in percentage points, averaged over indicators


def test_covariates_confound_group_and_outcome(draws):
    base = pd.concat([p.baseline() for p, _ in draws])
    shares = base.groupby("group")["separated"].mean()
    assert shares["comparison"] - shares["intervention"] > 0.2
    truth = draws[0][1]
    assert truth.parameters["covariate_change_coefficients"]["separated"] > 0


def test_truth_effects_consistent_with_generating_model(draws):
    panel, truth = draws[0]
    effects = truth.indicator_effects
    assert list(effects.index) == list(panel.indicators)
    assert (effects["beneficial_log_odds"] == effects["benefit_sign"] * effects["log_odds"]).all()
    # The pp effect has the sign of the log-odds effect.
    assert (np.sign(effects["pp_att"]) == np.sign(effects["log_odds"])).all()
    # Measure effects are the means of their indicators.
    manual = effects.groupby("measure")["beneficial_log_odds"].mean()
    pd.testing.assert_series_equal(
        truth.measure_effects["beneficial_log_odds"].sort_index(), manual.sort_index()
    )
    # Published indicators the report calls large drops are large harmful-to-beneficial effects.
    assert effects.loc["slapped_pushed", "beneficial_log_odds"] > 3


def test_calibration_reproduces_targets_in_reference_population():
    _, truth = simulate_mirabal(random_seed=0, indicators=["slapped_pushed", "negotiates"])
    from mirabal_stats.datasets.simulate import _calibrate_cached

    a, d, x_ref, u_ref = _calibrate_cached(
        ("slapped_pushed", "negotiates"), tuple(truth.wave_months), 4, 1.0
    )
    # Baseline prevalence of the reference intervention population equals the target exactly.
    assert expit(a[0] + u_ref).mean() == pytest.approx(0.87, abs=1e-9)
    assert expit(a[1] - u_ref).mean() == pytest.approx(0.34, abs=1e-9)


def test_mnar_dropout_depends_on_severity():
    gaps = []
    for seed in range(6):
        panel, truth = simulate_mirabal(
            random_seed=seed, attrition="mnar", mnar_strength=1.5, indicators=["slapped_pushed"]
        )
        last = panel.responded().iloc[:, -1]
        severity = truth.severity.reindex(last.index)
        gaps.append(severity[~last].mean() - severity[last].mean())
    assert np.mean(gaps) > 0.3


def test_no_attrition_option():
    panel, _ = simulate_mirabal(
        random_seed=1, attrition="none", item_missing=0.0, indicators=["weapon"]
    )
    assert panel.n_missing == 0


def test_reoffending_data(draws):
    panel, truth = draws[0]
    r = truth.reoffending
    assert len(r) == 162 and list(r["person"]) == list(panel.persons)
    assert (r["reoffend_time"] <= 15).all()
    assert ((r["true_time"] <= 15) == (r["reoffend_event"] == 1)).all()
    # The interval brackets the true time whenever the event was reported at a survey.
    reported = np.isfinite(r["reoffend_upper"])
    assert (r.loc[reported, "reoffend_lower"] < r.loc[reported, "true_time"]).all()
    assert (r.loc[reported, "true_time"] <= r.loc[reported, "reoffend_upper"]).all()
    assert set(r.loc[reported, "reoffend_upper"]) <= {3.0, 6.0, 9.0, 12.0, 15.0}
    # Pooled over seeds, the intervention group reoffends less (conditional HR 0.6).
    events = pd.concat([t.reoffending for _, t in draws]).groupby("group")["reoffend_event"].mean()
    assert events["intervention"] < events["comparison"]
    survival = truth.reoffending_survival
    assert (survival["treated"] > survival["untreated_counterfactual"]).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="attrition must be"):
        simulate_mirabal(random_seed=1, attrition="sometimes")
    with pytest.raises(ValueError, match="unknown indicator codes"):
        simulate_mirabal(random_seed=1, indicators=["hugs"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_intervention": 0}, r"n_intervention must be a whole number of at least 1, got 0"),
        ({"n_comparison": 2.5}, r"n_comparison must be a whole number of at least 1, got 2.5"),
        ({"n_waves": "6"}, r"n_waves must be a whole number of at least 2, got '6'"),
        ({"random_seed": "seven"}, r"random_seed must be a whole number >= 0.*'seven'"),
        ({"random_seed": -1}, r"random_seed must be a whole number >= 0"),
        ({"response_sd": float("nan")}, r"response_sd must be a finite number >= 0, got nan"),
        ({"sigma_person": "1"}, r"sigma_person must be a finite number >= 0, got '1'"),
        ({"mnar_strength": float("inf")}, r"mnar_strength must be a finite number, got inf"),
        ({"item_missing": 1.0}, r"item_missing must be a number in \[0, 1\), got 1.0"),
        ({"reoffending_hazard_ratio": 0}, r"reoffending_hazard_ratio must be a finite number > 0"),
        ({"indicators": "slapped_pushed"}, r"indicators must be a list of indicator codes"),
        ({"effect_profile": ["a"] * 5}, r"effect_profile needs one finite multiplier"),
        ({"attrition": ["mar"]}, r"attrition must be 'mar', 'mnar', 'mcar' or 'none'"),
    ],
)
def test_options_that_are_not_numbers_are_refused_by_name(options, message):
    """Issue 14 (F25 in datasets): text or NaN where a number is expected names the option."""
    with pytest.raises(SpecificationError, match=message):
        simulate_mirabal(**{"random_seed": 1, **options})


def test_wave_months_needs_a_whole_number_of_waves():
    """wave_months raised a plain ValueError (not a MirabalError)."""
    assert wave_months(3) == [0.0, 7.5, 15.0]
    for bad in (1, 2.0, "6", True):
        with pytest.raises(
            SpecificationError, match=r"n_waves must be a whole number of at least 2"
        ):
            wave_months(bad)


def test_bundled_example_is_the_documented_draw(tmp_path):
    paths = write_mirabal_example(tmp_path)
    from importlib import resources

    for key, name in EXAMPLE_FILES.items():
        shipped = (
            resources.files("mirabal_stats.datasets").joinpath("files").joinpath(name).read_bytes()
        )
        assert paths[key].read_bytes() == shipped, (
            f"{name} differs from simulate_mirabal(random_seed=2015)"
        )


def test_bundled_example_loads():
    panel = load_mirabal_example()
    assert panel.n_persons == 162 and len(panel.indicators) == 34
    persons = load_mirabal_persons()
    assert {"reoffend_time", "reoffend_event", "reoffend_lower", "reoffend_upper"} <= set(persons)
    truth = load_mirabal_truth()
    assert list(truth.index) == list(panel.indicators)


def test_response_driven_dropout_removes_non_responders():
    gaps = []
    for seed in range(6):
        panel, truth = simulate_mirabal(
            random_seed=seed,
            attrition="mnar",
            mnar_driver="response",
            response_sd=1.5,
            mnar_strength=2.0,
            indicators=["slapped_pushed"],
        )
        treated = panel.baseline().set_index("person")["treated"] == 1
        last = panel.responded().iloc[:, -1][treated]
        response = truth.response.reindex(last.index)
        gaps.append(response[last].mean() - response[~last].mean())
        assert (truth.response[~treated] == 0).all()
    # Intervention women still answering at the end responded better to the programme.
    assert np.mean(gaps) > 0.5


def test_response_options_validated():
    with pytest.raises(ValueError, match="needs a person-specific programme response"):
        simulate_mirabal(random_seed=1, attrition="mnar", mnar_driver="response")
    with pytest.raises(ValueError, match="mnar_driver must be"):
        simulate_mirabal(random_seed=1, mnar_driver="mood")


def test_current_severity_dropout_removes_the_worse_off():
    """mnar_driver="current_severity": women whose severity after the programme started
    (u_i - v_i) is higher drop out more, through both the baseline severity and the response."""
    gaps_response, gaps_severity = [], []
    for seed in range(6):
        panel, truth = simulate_mirabal(
            random_seed=seed,
            attrition="mnar",
            mnar_driver="current_severity",
            response_sd=1.5,
            mnar_strength=2.0,
            indicators=["slapped_pushed"],
        )
        treated = panel.baseline().set_index("person")["treated"] == 1
        last = panel.responded().iloc[:, -1][treated]
        response = truth.response.reindex(last.index)
        severity = truth.severity.reindex(last.index)
        gaps_response.append(response[last].mean() - response[~last].mean())
        gaps_severity.append(severity[last].mean() - severity[~last].mean())
    assert np.mean(gaps_response) > 0.5 and np.mean(gaps_severity) < -0.2


def test_effect_profile_scales_the_effect_per_post_wave():
    """effect_profile multiplies every indicator's log-odds effect at each post wave; the true pp
    effect is zero where the multiplier is 0 and unchanged where it is 1; the truth's log_odds is
    the average over the post waves."""
    profile = [0.0, 1.0, 1.0, 1.0, 1.0]
    _, flat = simulate_mirabal(random_seed=3, indicators=["negotiates", "slapped_pushed"])
    _, ramp = simulate_mirabal(
        random_seed=3, indicators=["negotiates", "slapped_pushed"], effect_profile=profile
    )
    d = flat.indicator_effects["log_odds"]
    np.testing.assert_allclose(ramp.log_odds_by_wave[2], 0.0)
    np.testing.assert_allclose(ramp.log_odds_by_wave[4], d)
    np.testing.assert_allclose(ramp.indicator_effects["log_odds"], d * 0.8)
    np.testing.assert_allclose(ramp.pp_att_by_wave[2], 0.0, atol=1e-12)
    np.testing.assert_allclose(ramp.pp_att_by_wave[5], flat.pp_att_by_wave[5], rtol=1e-12)
    with pytest.raises(
        ValueError, match=r"effect_profile needs one finite multiplier per post-baseline wave \(5\)"
    ):
        simulate_mirabal(random_seed=3, effect_profile=[1.0, 1.0])
