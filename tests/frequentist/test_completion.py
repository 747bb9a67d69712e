"""completion_effects: ITT, naive per-protocol and CACE (issue 18, frequentist part)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS
from scipy import stats

from mirabal_stats import completion_effects, did
from mirabal_stats.datasets import simulate_mirabal
from mirabal_stats.exceptions import (
    CompletionDataError,
    EstimationError,
    RowsExcludedWarning,
    SpecificationError,
    WeakInstrumentWarning,
    WeightingError,
)
from tests._contract import assert_results_contract

INDICATORS = ["slapped_pushed", "negotiates", "threatened"]


@pytest.fixture(scope="module")
def persons():
    """A person-level table with one-sided completion linked to a confounder of the outcome."""
    rng = np.random.default_rng(18)
    n = 400
    referred = rng.random(n) < 0.5
    severity = rng.normal(size=n)
    completed = referred & (rng.random(n) < 1 / (1 + np.exp(0.2 + severity)))
    outcome = 2.0 - 1.5 * severity + 3.0 * completed + rng.normal(size=n)
    return pd.DataFrame(
        {
            "person": np.arange(5001, 5001 + n),
            "arm": np.where(referred, "programme", "comparison"),
            "completed": completed.astype(int),
            "y": outcome,
            "age": rng.integers(18, 60, n),
            "area": rng.choice(["north", "south", "east"], n),
        }
    )


@pytest.fixture(scope="module")
def sim():
    return simulate_mirabal(
        random_seed=7, indicators=INDICATORS, completion=0.6, attrition="mar", item_missing=0.02
    )


def _fit(persons, **options):
    return completion_effects(
        persons, completed="completed", response="y", group="arm", treated="programme", **options
    )


# --------------------------------------------------------------------------- (a) agreement
def test_cace_is_the_wald_ratio_and_matches_iv2sls_with_clustered_se(persons):
    table = _fit(persons).to_frame().loc["y"]
    z = (persons["arm"] == "programme").astype(float).to_numpy()
    d = persons["completed"].to_numpy(float)
    y = persons["y"].to_numpy()
    itt = y[z == 1].mean() - y[z == 0].mean()
    first = d[z == 1].mean() - d[z == 0].mean()
    assert table.loc["itt", "estimate"] == pytest.approx(itt, abs=1e-10)
    assert table.loc["cace", "estimate"] == pytest.approx(itt / first, abs=1e-8)
    # linearmodels IV2SLS called directly: 2SLS, clustered by person, G/(G-1)(N-1)/(N-K).
    frame = pd.DataFrame({"y": y, "const": 1.0, "d": d, "z": z})
    ref = IV2SLS(frame["y"], frame[["const"]], frame[["d"]], frame[["z"]]).fit(
        cov_type="clustered", clusters=persons["person"].reset_index(drop=True), debiased=True
    )
    assert table.loc["cace", "estimate"] == pytest.approx(ref.params["d"], abs=1e-8)
    assert table.loc["cace", "std_error"] == pytest.approx(ref.std_errors["d"], rel=1e-10)
    ols = IV2SLS(frame["y"], frame[["const", "z"]], None, None).fit(
        cov_type="clustered", clusters=persons["person"].reset_index(drop=True), debiased=True
    )
    assert table.loc["itt", "std_error"] == pytest.approx(ols.std_errors["z"], rel=1e-10)
    assert table.loc["cace", "first_stage_f"] > 10


def test_weighted_cace_is_the_weighted_wald_ratio(persons):
    rng = np.random.default_rng(3)
    w = pd.Series(rng.uniform(0.5, 2.0, len(persons)), index=persons["person"].to_numpy())
    table = _fit(persons, weights=w).to_frame().loc["y"]
    z = (persons["arm"] == "programme").to_numpy()
    d = persons["completed"].to_numpy(float)
    y = persons["y"].to_numpy()
    wv = w.to_numpy()
    itt = np.average(y[z], weights=wv[z]) - np.average(y[~z], weights=wv[~z])
    first = np.average(d[z], weights=wv[z])
    assert table.loc["cace", "estimate"] == pytest.approx(itt / first, abs=1e-8)


def test_covariates_enter_every_analysis_as_exogenous_regressors(persons):
    table = _fit(persons, covariates=["age", "area"]).to_frame().loc["y"]
    frame = pd.get_dummies(persons[["age", "area"]], drop_first=True, dtype=float)
    frame.insert(0, "const", 1.0)
    z = (persons["arm"] == "programme").astype(float).rename("z").reset_index(drop=True)
    ref = IV2SLS(persons["y"], frame, persons["completed"].astype(float), z).fit(
        cov_type="clustered", clusters=persons["person"], debiased=True
    )
    assert table.loc["cace", "estimate"] == pytest.approx(ref.params["completed"], abs=1e-8)
    assert table.loc["cace", "std_error"] == pytest.approx(ref.std_errors["completed"], rel=1e-8)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("covariates", [None, ["age", "area"]])
def test_every_row_and_the_first_stage_match_iv2sls(persons, weighted, covariates):
    """ITT, naive, CACE (estimate and SE) and the first-stage F against linearmodels directly."""
    rng = np.random.default_rng(11)
    w = pd.Series(rng.uniform(0.5, 2.0, len(persons)), index=persons["person"].to_numpy())
    fitted = _fit(persons, covariates=covariates, weights=w if weighted else None)
    table = fitted.to_frame().loc["y"]
    exog = pd.DataFrame({"const": np.ones(len(persons))})
    if covariates:
        dummies = pd.get_dummies(persons[covariates], drop_first=True, dtype=float)
        exog = pd.concat([exog, dummies.reset_index(drop=True)], axis=1)
    z = (persons["arm"] == "programme").astype(float).rename("z").reset_index(drop=True)
    d = persons["completed"].astype(float).rename("d").reset_index(drop=True)
    y = persons["y"].reset_index(drop=True)
    weights = pd.Series(w.to_numpy()) if weighted else None
    clusters = pd.Series(np.arange(len(persons)))

    def fit(dep, ex, endog=None, instr=None, rows=slice(None)):
        return IV2SLS(
            dep[rows],
            ex[rows],
            None if endog is None else endog[rows],
            None if instr is None else instr[rows],
            weights=None if weights is None else weights[rows],
        ).fit(cov_type="clustered", clusters=clusters[rows], debiased=True)

    itt = fit(y, pd.concat([exog, z], axis=1))
    cace = fit(y, exog, d.to_frame(), z.to_frame())
    naive_rows = ((z == 0) | (d == 1)).to_numpy()
    naive = fit(y, pd.concat([exog, d], axis=1), rows=naive_rows)
    first = fit(d, pd.concat([exog, z], axis=1))
    for analysis, ref, term in (
        ("itt", itt, "z"),
        ("per_protocol_naive", naive, "d"),
        ("cace", cace, "d"),
    ):
        assert table.loc[analysis, "estimate"] == pytest.approx(ref.params[term], abs=1e-8)
        assert table.loc[analysis, "std_error"] == pytest.approx(ref.std_errors[term], rel=1e-8)
    expected_f = (first.params["z"] / first.std_errors["z"]) ** 2
    assert table.loc["cace", "first_stage_f"] == pytest.approx(expected_f, rel=1e-8)


def test_panel_itt_equals_did_with_complete_data():
    panel, truth = simulate_mirabal(
        random_seed=4,
        indicators=INDICATORS,
        attrition="none",
        item_missing=0.0,
        completion=0.6,
    )
    ours = completion_effects(panel, completed=truth.completion["completed"], level="indicator")
    itt = ours.to_frame().xs("itt", level="analysis")["estimate"]
    # did() reports the "yes" scale; the change score is oriented so that positive is beneficial.
    reference = did(panel, level="indicator").to_frame()
    expected = reference["estimate"] * reference["benefit_sign"]
    np.testing.assert_allclose(itt.to_numpy(), expected.reindex(itt.index).to_numpy(), atol=1e-8)
    overall = completion_effects(panel, completed=truth.completion["completed"]).to_frame()
    assert overall.loc[("overall", "itt"), "estimate"] == pytest.approx(
        did(panel, level="overall").to_frame().loc["overall", "estimate"], abs=1e-8
    )


# --------------------------------------------------------------------------- (b) recovery
def test_recovers_the_complier_effect_and_the_naive_bias_over_200_replicates():
    """Seeded study: randomised referral, no dropout, completion linked to severity.

    The truth is each replicate's sample complier effect (``truth.complier_effect``); the naive
    contrast's bias is predicted by the simulator (``naive_bias_pp``). Measured (seeds 10000-10199):
    bias -0.61 (MC SE 0.39), coverage 0.935 (MC SE 0.017), naive bias 1.79 vs predicted 2.18.
    """
    rows = []
    for seed in range(200):
        panel, truth = simulate_mirabal(
            random_seed=10_000 + seed,
            n_intervention=200,
            n_comparison=200,
            indicators=INDICATORS,
            confounding=0.0,
            attrition="none",
            item_missing=0.0,
            completion=0.5,
            completion_severity=2.0,
        )
        table = completion_effects(panel, completed=truth.completion["completed"]).to_frame()
        row = table.loc["overall"]
        target = truth.complier_effect["overall"]
        rows.append(
            (
                row.loc["cace", "estimate"] - target["complier_pp"],
                row.loc["cace", "lower"] <= target["complier_pp"] <= row.loc["cace", "upper"],
                row.loc["per_protocol_naive", "estimate"]
                - target["complier_pp"]
                - target["naive_bias_pp"],
                row.loc["per_protocol_naive", "estimate"] - target["complier_pp"],
                target["naive_bias_pp"],
                row.loc["cace", "std_error"],
            )
        )
    a = np.array(rows, dtype=float)
    n = len(a)
    bias, bias_mcse = a[:, 0].mean(), a[:, 0].std(ddof=1) / np.sqrt(n)
    assert abs(bias) < 2 * bias_mcse, (bias, bias_mcse)
    coverage = a[:, 1].mean()
    cover_mcse = np.sqrt(0.95 * 0.05 / n)
    assert abs(coverage - 0.95) < 2 * cover_mcse, coverage
    # 90% intervals (the Bayesian report's level) from the same normal approximation.
    coverage90 = (np.abs(a[:, 0]) <= stats.norm.ppf(0.95) * a[:, 5]).mean()
    assert abs(coverage90 - 0.90) < 2 * np.sqrt(0.90 * 0.10 / n), coverage90
    # The naive comparison is biased in the predicted direction (upwards: completers are the
    # less severe cases) and by the predicted amount within Monte-Carlo error.
    predicted = a[:, 4].mean()
    assert predicted > 0
    naive_bias = a[:, 3].mean()
    assert naive_bias > 2 * a[:, 3].std(ddof=1) / np.sqrt(n)
    gap, gap_mcse = a[:, 2].mean(), a[:, 2].std(ddof=1) / np.sqrt(n)
    assert abs(gap) < 2 * gap_mcse, (naive_bias, predicted, gap_mcse)


# --------------------------------------------------------------------------- (c) bad inputs
def test_missing_completion_is_refused_with_the_count(persons):
    bad = persons.assign(completed=persons["completed"].astype(float))
    bad.loc[[3, 8], "completed"] = np.nan
    with pytest.raises(CompletionDataError, match=r"'completed' is missing for 2 row\(s\)"):
        _fit(bad)


def test_completion_must_be_zero_one(persons):
    bad = persons.assign(completed=persons["completed"].map({1: "yes", 0: "no"}))
    with pytest.raises(CompletionDataError, match=r"must be 0/1 or True/False, but 400 row"):
        _fit(bad)
    two = persons.assign(completed=persons["completed"].replace({1: 2}))
    with pytest.raises(CompletionDataError, match=r"hold other values \(e.g. 2 for person"):
        _fit(two)


def test_comparison_persons_cannot_complete(persons):
    bad = persons.copy()
    comparison = bad.index[bad["arm"] == "comparison"][:3]
    bad.loc[comparison, "completed"] = 1
    first = bad.loc[comparison[0], "person"]
    with pytest.raises(
        CompletionDataError,
        match=rf"marks 3 comparison-group person\(s\) as having completed .*e.g. {first}.*one-sided",
    ):
        _fit(bad)


def test_completion_must_be_constant_within_person(sim):
    panel, truth = sim
    flags = truth.completion["completed"]
    repeated = pd.concat([flags, 1 - flags.iloc[:2]])
    with pytest.raises(CompletionDataError, match=r"not constant within person for 2 person"):
        completion_effects(panel, completed=repeated)
    # Repeats that agree (a long column indexed by person) are fine.
    completion_effects(panel, completed=pd.concat([flags, flags.iloc[:5]]))


def test_completion_must_cover_every_person(sim):
    panel, truth = sim
    with pytest.raises(CompletionDataError, match=r"has no value for 4 of the 162 persons"):
        completion_effects(panel, completed=truth.completion["completed"].iloc[4:])


def test_completion_must_be_labelled(sim):
    panel, truth = sim
    with pytest.raises(CompletionDataError, match=r"got a ndarray. Arrays and lists carry no"):
        completion_effects(panel, completed=truth.completion["completed"].to_numpy())
    with pytest.raises(CompletionDataError, match=r"column 'done' is not in the data"):
        completion_effects(panel, completed="done")


def test_no_referred_completer_is_refused(persons):
    with pytest.raises(CompletionDataError, match=r"no referred .* completed the programme"):
        _fit(persons.assign(completed=0))


def test_weak_instrument_warns(persons):
    few = persons.assign(completed=0)
    referred = few.index[few["arm"] == "programme"][:3]
    few.loc[referred, "completed"] = 1
    with pytest.warns(WeakInstrumentWarning, match=r"first-stage F of \d+\.\d \(< 10\)"):
        result = _fit(few)
    assert "WEAK INSTRUMENT" in result.summary()


def test_options_of_the_other_input_are_refused(sim, persons):
    panel, truth = sim
    with pytest.raises(SpecificationError, match=r"response= is for a person-level DataFrame"):
        completion_effects(panel, completed=truth.completion["completed"], response="y")
    with pytest.raises(SpecificationError, match=r"needs response= the numeric outcome"):
        completion_effects(persons, completed="completed", group="arm")
    with pytest.raises(SpecificationError, match=r"level= and baseline_wave= are for an"):
        _fit(persons, level="measure")
    with pytest.raises(SpecificationError, match=r"covariates are missing for 1 person"):
        _fit(persons.assign(age=persons["age"].where(persons.index != 5)), covariates=["age"])
    with pytest.raises(SpecificationError, match=r"response column 'area' must be numeric"):
        completion_effects(persons, completed="completed", response="area", group="arm")
    with pytest.raises(SpecificationError, match=r"treated= is for a person-level DataFrame"):
        completion_effects(panel, completed=truth.completion["completed"], treated="comparison")
    with pytest.raises(SpecificationError, match=r"level"):
        completion_effects(panel, completed=truth.completion["completed"], level="measures")


def test_a_covariate_that_copies_completion_is_a_named_error(persons):
    copy = persons.assign(copy_of_completed=persons["completed"])
    with pytest.raises(EstimationError, match=r"copy of another \(or of the group or completion"):
        _fit(copy, covariates=["copy_of_completed"])


def test_wave_varying_weights_are_refused(sim):
    panel, truth = sim
    index = pd.MultiIndex.from_product([panel.persons, panel.waves])
    with pytest.raises(WeightingError, match=r"differ between waves"):
        completion_effects(
            panel,
            completed=truth.completion["completed"],
            weights=pd.Series(1.0, index=index),
        )


def test_simulate_completion_options_are_checked():
    for bad in (0.0, 1.0, "0.5", True):
        with pytest.raises(SpecificationError, match=r"completion must be the expected share"):
            simulate_mirabal(random_seed=1, completion=bad)
    with pytest.raises(SpecificationError, match=r"completion_severity must be a finite number"):
        simulate_mirabal(random_seed=1, completion=0.5, completion_severity=float("nan"))


# --------------------------------------------------------------------------- (d) weights by label
def test_weights_in_two_row_orders_give_identical_results(sim):
    panel, truth = sim
    rng = np.random.default_rng(11)
    w = pd.Series(rng.uniform(0.5, 3.0, panel.n_persons), index=list(panel.persons))
    shuffled = w.sample(frac=1.0, random_state=5)
    assert not shuffled.index.equals(w.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        a = completion_effects(
            panel, completed=truth.completion["completed"], weights=w, level="measure"
        )
        b = completion_effects(
            panel, completed=truth.completion["completed"], weights=shuffled, level="measure"
        )
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)


# --------------------------------------------------------------------------- contract
def test_results_contract_rows_and_summary(sim):
    panel, truth = sim
    with pytest.warns(RowsExcludedWarning, match=r"persons without an outcome were left out"):
        result = completion_effects(
            panel,
            completed=truth.completion["completed"],
            level="measure",
            covariates=["age", "area"],
        )
    assert_results_contract(result)
    table = result.to_frame()
    assert table.index.names == ["measure", "analysis"]
    assert table["biased"].tolist() == [False, True, False] * len(panel.measures)
    assert (table["completion_rate"] > 0.3).all()
    text = str(result.summary())
    assert "exclusion restriction" in text and "monotonicity" in text and "ignorable" in text
    assert "BIASED" in text
    fs = result.first_stage_table()
    assert (fs["completion_rate_comparison"] == 0).all()
    assert list(fs.columns[:3]) == ["first_stage", "std_error", "f_statistic"]


# --------------------------------------------------------------------------- reproduction
def test_vitamin_a_reproduction_passes_and_runs_from_the_cli(capsys):
    from mirabal_stats.cli import main
    from mirabal_stats.reproductions import REPRODUCTIONS, run_reproduction

    assert "vitamin_a_cace" in REPRODUCTIONS
    rep = run_reproduction("vitamin_a_cace")
    assert rep.passed, rep.to_frame().query("not passed")
    frame = rep.to_frame()
    assert frame.loc["infants in the trial", "reproduced"] == 23_682
    assert frame.loc["CACE on survival, per 1,000", "reproduced"] == pytest.approx(3.228, abs=5e-4)
    # The naive per-protocol contrast overstates the complier effect, as published analyses note.
    per_1000 = rep.extra["estimates_per_1000"]
    # Only the effect columns are rescaled: p-values and interval levels stay probabilities.
    assert (per_1000["p_value"] <= 1).all()
    assert (per_1000["ci_level"] == 0.9).all()
    assert per_1000.loc["per_protocol_naive", "estimate"] > per_1000.loc["cace", "estimate"] + 1
    assert main(["reproduce", "vitamin_a_cace"]) == 0
    assert "Vitamin A trial" in capsys.readouterr().out
