"""Analyses run in-process on one simulated panel (no cluster): rows, orientation, truth, errors."""

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.studies import MirabalDesign, analyses
from mirabal_stats.studies._engine import point_key, replicate_seed, run_replicate
from mirabal_stats.studies.analyses import ROW_COLUMNS, check_analyses, rmst_truth

TWO = ("slapped_pushed", "feels_very_safe")  # less "yes" is better / more "yes" is better


@pytest.fixture(scope="module")
def drawn():
    design = MirabalDesign(indicators=TWO, n_intervention=80, n_comparison=80)
    return design.simulate(random_seed=11)


def test_naive_rows_are_oriented_and_carry_the_truth(drawn):
    panel, truth = drawn
    rows = analyses.naive(level="indicator").run(panel, truth, ci_level=0.9)
    assert list(rows.columns[:10]) == ["analysis", *ROW_COLUMNS]
    assert list(rows["estimand"]) == list(TWO)
    # Hand computation for slapped_pushed: share answering "no" at month 12 minus at baseline.
    long = panel.to_long(include_missing=False)
    sub = long[(long["indicator"] == "slapped_pushed") & (long["group"] == "intervention")]
    before = 1 - sub[sub["wave"] == 1]["response"]
    after = 1 - sub[sub["wave"] == 5]["response"]
    row = rows.set_index("estimand").loc["slapped_pushed"]
    assert row["estimate"] == pytest.approx(100 * (after.mean() - before.mean()))
    se = 100 * np.sqrt(after.var() / len(after) + before.var() / len(before))
    assert row["std_error"] == pytest.approx(se)
    assert row["upper"] - row["estimate"] == pytest.approx(1.6448536 * se, rel=1e-6)
    assert row["truth"] == pytest.approx(
        truth.indicator_effects.loc["slapped_pushed", "beneficial_pp"]
    )
    assert row["estimate"] > 0  # violence fell: beneficial orientation is positive


def test_did_indicator_rows_are_turned_to_the_beneficial_orientation(drawn):
    from mirabal_stats.frequentist import did

    panel, truth = drawn
    rows = analyses.did(level="indicator").run(panel, truth).set_index("estimand")
    raw = did(panel, level="indicator").to_frame()
    flip = raw.loc["slapped_pushed"]
    assert rows.loc["slapped_pushed", "estimate"] == pytest.approx(-flip["estimate"])
    assert rows.loc["slapped_pushed", "lower"] == pytest.approx(-flip["upper"])
    keep = raw.loc["feels_very_safe"]
    assert rows.loc["feels_very_safe", "estimate"] == pytest.approx(keep["estimate"])
    assert rows["error"].isna().all()


def test_a_failing_fit_is_a_row_with_its_error_not_a_crash(drawn):
    panel, truth = drawn
    rows = analyses.custom(_fails, name="broken").run(panel, truth)
    assert len(rows) == 1 and np.isnan(rows["estimate"].iloc[0])
    assert rows["error"].iloc[0] == "EstimationError: no events in the comparison group"


def test_custom_analysis_rows_and_warnings_are_recorded(drawn):
    panel, truth = drawn
    rows = analyses.custom(_constant, name="constant").run(panel, truth)
    assert rows["analysis"].iloc[0] == "constant"
    assert np.isnan(rows["p_value"].iloc[0])  # p_value optional
    assert rows["warnings"].iloc[0] == "DataWarning x2"


def test_custom_analysis_without_the_columns_is_refused_by_name(drawn):
    panel, truth = drawn
    rows = analyses.custom(_no_columns, name="bare").run(panel, truth)
    assert "without the columns ['level'" in rows["error"].iloc[0]


def _fails(panel, truth, *, ci_level, random_seed):
    from mirabal_stats.exceptions import EstimationError

    raise EstimationError("no events in the comparison group")


def _constant(panel, truth, *, ci_level, random_seed):
    import warnings

    from mirabal_stats.exceptions import DataWarning

    warnings.warn("first", DataWarning, stacklevel=1)
    warnings.warn("second", DataWarning, stacklevel=1)
    return pd.DataFrame(
        {
            "level": ["overall"],
            "estimand": ["overall"],
            "scale": ["pp"],
            "estimate": [1.0],
            "std_error": [1.0],
            "lower": [-1.0],
            "upper": [3.0],
            "truth": [0.0],
        }
    )


def _no_columns(panel, truth, *, ci_level, random_seed):
    return pd.DataFrame({"estimate": [1.0]})


def test_replicate_seeds_are_the_spawned_children_of_the_study_seed():
    children = np.random.SeedSequence(42).spawn(5)
    for r in range(5):
        mine = replicate_seed(42, (), r)
        assert mine.generate_state(4).tolist() == children[r].generate_state(4).tolist()


def test_point_keys_are_stable_and_distinct():
    assert point_key("n_per_group", 100) == point_key("n_per_group", np.int64(100))
    assert point_key("n_per_group", 100) == point_key("n_per_group", 100.0)
    assert point_key("n_per_group", 100) != point_key("n_per_group", 101)
    assert point_key("n_per_group", 100) == (1894466674,)  # fixed: changing it changes studies


def test_a_replicate_is_a_pure_function_of_its_seed():
    design = MirabalDesign(indicators=TWO, n_intervention=30, n_comparison=30)
    a = run_replicate(design, (analyses.naive(),), 7, (), 3, 0.95).drop(
        columns=["seconds", "cpu_seconds"]
    )
    b = run_replicate(design, (analyses.naive(),), 7, (), 3, 0.95).drop(
        columns=["seconds", "cpu_seconds"]
    )
    c = run_replicate(design, (analyses.naive(),), 7, (), 4, 0.95).drop(
        columns=["seconds", "cpu_seconds"]
    )
    pd.testing.assert_frame_equal(a, b)
    assert a["estimate"].iloc[0] != c["estimate"].iloc[0]


def test_rmst_truth_integrates_the_true_survival_curves(drawn):
    _, truth = drawn
    curves = truth.reoffending_survival
    gap = curves["treated"] - curves["untreated_counterfactual"]
    # Rectangle rule on the half-month grid is close to the trapezoid on a fine grid.
    assert rmst_truth(truth, 15.0) == pytest.approx(0.5 * gap.sum(), rel=0.05)
    assert rmst_truth(truth, 15.0) > 0  # the programme lowers the hazard


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: analyses.did(level="person"), "level must be one of"),
        (lambda: analyses.did(weights="entropy"), "weights must be None or 'propensity'"),
        (lambda: analyses.gee(correlation="ar2"), "correlation must be one of"),
        (lambda: analyses.gee(scales=("odds",)), "scales must name one or more"),
        (lambda: analyses.indicator_model(attrition="mnar"), "attrition must be one of"),
        (lambda: analyses.indicator_model(draws=0), "draws must be a whole number"),
        (lambda: analyses.indicator_model(covariates="age"), "write covariates=\\['age'\\]"),
        (lambda: analyses.rmst(tau=20), "tau must be a number of months in"),
        (lambda: analyses.naive(name=""), "name must be a non-empty string"),
        (lambda: analyses.custom(3, name="x"), "function must be callable"),
        (lambda: check_analyses([analyses.naive(), analyses.naive()]), "must be distinct"),
        (lambda: check_analyses("did"), "must be an Analysis or a list"),
        (lambda: check_analyses([]), "must be Analysis objects"),
    ],
)
def test_bad_analysis_options_are_named(build, match):
    with pytest.raises(SpecificationError, match=match):
        build()
