"""Degenerate but valid designs and hostile options (issue 14): a result with a warning that
names the reason, or a named error saying what the analysis needs; never a dependency's
exception, never a silent NaN."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _contract import assert_results_contract

from mirabal_stats import IndicatorPanel, frequentist
from mirabal_stats.exceptions import (
    EstimabilityWarning,
    EstimationError,
    FewClustersWarning,
    MirabalWarning,
    SeparationWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting import Weights


def _panel(rows, **options) -> IndicatorPanel:
    frame = pd.DataFrame(rows, columns=["person", "wave", "indicator", "response", "group"])
    return IndicatorPanel.from_long(
        frame,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated="programme",
        **options,
    )


def _grid(answers: dict, *, indicator: str = "hit") -> list:
    """Rows from {person: (group, [answer at wave 1, 2, ...])} (None = not asked)."""
    rows = []
    for person, (group, values) in answers.items():
        for wave, value in enumerate(values, start=1):
            if value is not None:
                rows.append((person, wave, indicator, value, group))
    return rows


def _quiet(call):
    """Run ``call``; return its result and the warnings, failing on any foreign warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    foreign = [w for w in caught if not issubclass(w.category, MirabalWarning)]
    assert not foreign, [f"{w.category.__name__}: {w.message}" for w in foreign]
    return result, [w for w in caught if not issubclass(w.category, FewClustersWarning)]


# 3 + 3 persons, 3 waves; in 'hit' the programme group answers "yes" at every baseline answer.
ALL_YES_AT_BASELINE = {
    "p1": ("programme", [1, 0, 1]),
    "p2": ("programme", [1, 1, 0]),
    "p3": ("programme", [1, 0, 0]),
    "c1": ("comparison", [1, 1, 0]),
    "c2": ("comparison", [0, 1, 1]),
    "c3": ("comparison", [0, 0, 1]),
}
ORDINARY = {
    "p1": ("programme", [1, 0, 0]),
    "p2": ("programme", [0, 1, 0]),
    "p3": ("programme", [1, 1, 0]),
    "c1": ("comparison", [1, 1, 0]),
    "c2": ("comparison", [0, 1, 1]),
    "c3": ("comparison", [0, 0, 1]),
}


@pytest.fixture(scope="module")
def baseline_all_yes() -> IndicatorPanel:
    rows = _grid(ALL_YES_AT_BASELINE, indicator="hit") + _grid(ORDINARY, indicator="shout")
    return _panel(rows, measure={"hit": "harm", "shout": "harm"})


# ----------------------------------------------------------------- family 4: GEE on small panels
def test_indicator_gee_drops_a_separated_indicator_and_estimates_the_others(baseline_all_yes):
    """Family 4: scipy's "array must not contain infs or NaNs" before; now 'hit' is dropped
    with a warning naming it and why (as geepack's users would check with detectseparation),
    and 'shout' is estimated."""
    result, caught = _quiet(lambda: frequentist.indicator_gee(baseline_all_yes))
    messages = [str(w.message) for w in caught if w.category is SeparationWarning]
    assert len(messages) == 1
    assert "'hit'" in messages[0]
    assert 'every intervention-group answer at wave 1 is "yes"' in messages[0]
    frame = result.to_frame()
    assert np.isnan(frame.loc["hit", "estimate"])
    assert np.isfinite(frame.loc["shout", ["estimate", "std_error"]].astype(float)).all()
    assert "Separated (odds ratio not estimable): 'hit'" in result.summary()
    # The measure is the mean of the estimable indicators only (here 'shout', harm: sign -1).
    measure = frequentist.indicator_gee(baseline_all_yes, level="measure").to_frame()
    assert measure.loc["harm", "estimate"] == pytest.approx(-frame.loc["shout", "estimate"])


def test_formula_gee_names_the_separated_terms(baseline_all_yes):
    long = baseline_all_yes.to_long(include_missing=False)
    hit = long[long["indicator"] == "hit"].assign(
        treated=lambda d: (d["group"] == "programme").astype(int),
        post=lambda d: (d["wave"] > 1).astype(int),
    )
    with pytest.raises(EstimationError, match=r"separated .* estimates of \[.*'treated:post'"):
        frequentist.gee(hit, formula="response ~ treated * post", person="person", wave="wave")


def test_indicator_gee_separation_with_one_estimable_indicator_only_in_the_measure():
    rows = _grid(ALL_YES_AT_BASELINE, indicator="hit")
    panel = _panel(rows)
    with pytest.raises(EstimationError, match=r"no indicator's GEE effect can be estimated.*'hit'"):
        frequentist.indicator_gee(panel)


# ----------------------------------------------------------------- family 6: DiD degenerate designs
@pytest.mark.filterwarnings("ignore::mirabal_stats.exceptions.MirabalWarning")
def test_did_without_programme_answers_after_baseline_is_a_named_error():
    answers = {
        k: (g, v if g == "comparison" else [v[0], None, None]) for k, (g, v) in ORDINARY.items()
    }
    panel = _panel(_grid(answers))
    with pytest.raises(EstimationError, match="no intervention-group answers after the baseline"):
        frequentist.did(panel)
    with pytest.raises(EstimationError, match="no wave has answers from both"):
        frequentist.event_study(panel)
    with pytest.raises(
        EstimationError, match="GEE effect can be estimated .*no intervention-group"
    ):
        frequentist.indicator_gee(panel)


def test_did_with_one_programme_person_gives_a_result():
    answers = {k: v for k, v in ORDINARY.items() if k in ("p1", "c1", "c2", "c3")}
    panel = _panel(_grid(answers))
    for call in (frequentist.did, frequentist.event_study):
        result, caught = _quiet(lambda call=call: call(panel, level="overall"))
        assert_results_contract(result)
        table = result.to_frame()
        assert np.isfinite(table["estimate"]).all()


@pytest.mark.parametrize("n_persons", [3, 4])
def test_did_with_three_or_four_persons_never_leaks(n_persons):
    answers = dict(list(ORDINARY.items())[: n_persons - 1] + [("c3", ORDINARY["c3"])])
    panel = _panel(_grid(answers) + _grid(answers, indicator="shout"))
    for call in (frequentist.did, frequentist.event_study, frequentist.indicator_gee):
        try:
            result, caught = _quiet(lambda call=call: call(panel, level="overall"))
        except EstimationError:
            continue
        table = result.to_frame()[["estimate", "std_error", "lower", "upper"]]
        if not np.isfinite(table.to_numpy(dtype=float)).all():
            assert caught, f"{call.__name__}: NaN without a warning"


def test_zero_standard_error_is_reported_not_printed_as_an_interval():
    # Two persons per group, two waves: both programme persons go from "no" to "yes", no
    # comparison person changes, so person and wave effects plus the effect fit every answer:
    # no residual is left and the clustered standard error is exactly zero.
    answers = {
        "p1": ("programme", [0, 1]),
        "p2": ("programme", [0, 1]),
        "c1": ("comparison", [0, 0]),
        "c2": ("comparison", [1, 1]),
    }
    with pytest.warns(EstimabilityWarning, match="standard error of zero"):
        table = frequentist.did(_panel(_grid(answers))).to_frame()
    assert np.isfinite(table.loc["hit", "estimate"])
    assert np.isnan(table.loc["hit", ["std_error", "lower", "upper"]].astype(float)).all()


# ----------------------------------------------------------------- family 11: event-study summary
def test_event_study_summary_with_a_wave_without_an_estimable_effect():
    answers = {
        "p1": ("programme", [1, 0, 0, None]),
        "p2": ("programme", [0, 1, 0, None]),
        "p3": ("programme", [1, 1, 0, None]),
        "c1": ("comparison", [1, 1, 0, 1]),
        "c2": ("comparison", [0, 1, 1, 0]),
        "c3": ("comparison", [0, 0, 1, 1]),
    }
    panel = _panel(_grid(answers))
    with pytest.warns(
        EstimabilityWarning, match=r"no event-study effect at wave\(s\) 4 \(no intervention-group"
    ):
        study = frequentist.event_study(panel, level="overall")
    table = study.to_frame()
    assert np.isnan(table.loc[("overall", 4), "estimate"])
    assert table.loc[("overall", 1), "n_persons"] == 6
    text = study.summary()
    assert "Not estimable (1 row(s)): overall, wave 4." in text
    assert_results_contract(study)


# ----------------------------------------------------------------- family 13: mixed person ids
def test_mixed_number_and_text_person_ids(baseline_all_yes):
    relabel = {"p1": 1, "p2": "2b", "p3": 3, "c1": "c1", "c2": 22, "c3": "c3"}
    long = baseline_all_yes.to_long(include_missing=False)
    mixed = long.assign(person=long["person"].map(relabel))
    panel = IndicatorPanel.from_long(
        mixed,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated="programme",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MirabalWarning)
        got = frequentist.indicator_gee(panel).to_frame()
        want = frequentist.indicator_gee(baseline_all_yes).to_frame()
        pd.testing.assert_series_equal(got["estimate"], want["estimate"])
        shout = mixed[mixed["indicator"] == "shout"].assign(
            treated=lambda d: (d["group"] == "programme").astype(int)
        )
        fit = frequentist.gee(
            shout, formula="response ~ treated * wave", person="person", wave="wave"
        )
    assert fit.to_frame()["n_persons"].iloc[0] == 6


def test_gee_refuses_the_same_id_as_number_and_text():
    data = pd.DataFrame({"id": [7, "7", 8, 8], "y": [0, 1, 1, 0], "x": [0.0, 1.0, 0.0, 1.0]})
    with pytest.raises(
        SpecificationError, match=r"same id both as a number and as text \(7 and '7'\)"
    ):
        frequentist.gee(data, formula="y ~ x", person="id")


# ----------------------------------------------------------------- families 21 and 25: gee options
def _long_data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 40
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), 3),
            "visit": np.tile([1, 2, 3], n),
            "x": rng.normal(size=3 * n),
            "y": rng.integers(0, 2, size=3 * n),
        }
    )


def test_binomial_gee_refuses_a_response_of_two():
    data = _long_data()
    data.loc[5, "y"] = 2
    with pytest.raises(
        SpecificationError,
        match=r"response column 'y' must be 0/1 .* for family='binomial', but 1 row\(s\) are not, e.g. 2 in row 5",
    ):
        frequentist.gee(data, formula="y ~ x", person="id")
    # A count is fine for the Poisson family.
    assert (
        frequentist.gee(data, formula="y ~ x", person="id", family="poisson").to_frame().shape[0]
        == 2
    )


def test_binomial_gee_refuses_a_text_response():
    data = _long_data().astype({"y": object})
    data.loc[0, "y"] = "yes"
    with pytest.raises(
        SpecificationError, match=r"response column 'y' must hold numbers .* e.g. 'yes'"
    ):
        frequentist.gee(data, formula="y ~ x", person="id")


def test_text_wave_column_names_the_option():
    data = _long_data().astype({"visit": object})
    data["visit"] = data["visit"].map({1: "baseline", 2: "month 6", 3: "month 12"})
    with pytest.raises(
        SpecificationError, match=r"wave='visit': the occasion column must hold numbers.*'baseline'"
    ):
        frequentist.gee(data, formula="y ~ x", person="id", wave="visit")


def test_formula_gee_refuses_one_person():
    data = _long_data()
    data = data[data["id"] == 0]
    with pytest.raises(
        EstimationError, match=r"1 person\(s\) in column 'id'.*at least two persons"
    ):
        frequentist.gee(data, formula="y ~ x", person="id")


def test_formula_gee_singular_design_is_named():
    data = _long_data().assign(x2=lambda d: 2 * d["x"])
    with pytest.raises(EstimationError, match=r"singular: \['x2'\]"):
        frequentist.gee(data, formula="y ~ x + x2", person="id")


# ----------------------------------------------------------------- weights by label, warnings
def test_gee_weights_by_label_and_as_a_column():
    data = _long_data()
    rng = np.random.default_rng(8)
    person_w = pd.Series(rng.uniform(0.5, 2.0, 40), index=np.arange(40))
    column = data.assign(w=data["id"].map(person_w))
    by_column = frequentist.gee(column, formula="y ~ x", person="id", weights="w").to_frame()
    by_label = frequentist.gee(data, formula="y ~ x", person="id", weights=person_w).to_frame()
    shuffled = person_w.sample(frac=1.0, random_state=1)
    by_shuffled = frequentist.gee(data, formula="y ~ x", person="id", weights=shuffled).to_frame()
    pd.testing.assert_frame_equal(by_column, by_label)
    pd.testing.assert_frame_equal(by_label, by_shuffled)
    attrition = pd.Series(1.5, index=pd.MultiIndex.from_arrays([data["id"], data["visit"]]))
    with pytest.raises(SpecificationError, match="needs wave= to look them up"):
        frequentist.gee(data, formula="y ~ x", person="id", weights=Weights(attrition))
    both = frequentist.gee(
        data, formula="y ~ x", person="id", wave="visit", weights=Weights(person_w) * attrition
    ).to_frame()
    pd.testing.assert_series_equal(both["estimate"], by_label["estimate"])


@pytest.mark.parametrize("call", ["did", "indicator_gee"])
def test_panel_weights_in_two_row_orders_give_identical_results(small_panel, call):
    rng = np.random.default_rng(4)
    w = pd.Series(rng.uniform(0.5, 2.0, small_panel.n_persons), index=list(small_panel.persons))
    fit = getattr(frequentist, call)
    a = fit(small_panel, level="measure", weights=w).to_frame()
    b = fit(small_panel, level="measure", weights=w.iloc[::-1]).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_statsmodels_warnings_do_not_reach_the_user():
    """Pairs of answers with a negative within-person correlation: statsmodels projects the
    working covariance (SingularMatrixWarning, 145 of 147 warnings of the fast suite before);
    the result says so in its notes instead."""
    data = pd.DataFrame(
        {"y": [0, 1, 1, 0, 1, 0] * 10, "x": np.arange(60.0), "id": np.repeat(np.arange(30), 2)}
    )
    result, caught = _quiet(lambda: frequentist.gee(data, formula="y ~ x", person="id"))
    # What remains is ours: statsmodels stops at its iteration limit (IterationLimitWarning,
    # which the adapter used to miss) and the user is told, with the likely causes.
    assert [w.category.__name__ for w in caught] == ["ConvergenceWarning"]
    assert "correlation='independence'" in str(caught[0].message)
    assert "nearest valid one" in result.summary()
    independent, caught = _quiet(
        lambda: frequentist.gee(data, formula="y ~ x", person="id", correlation="independence")
    )
    assert not caught


# ----------------------------------------------------------------- what the adapters say
def test_did_names_an_unidentified_indicator_and_estimates_the_others():
    # 'hit': programme persons answer only at baseline; 'shout': ordinary.
    answers = {
        k: (g, v if g == "comparison" else [v[0], None, None]) for k, (g, v) in ORDINARY.items()
    }
    panel = _panel(_grid(answers) + _grid(ORDINARY, indicator="shout"))
    with pytest.warns(
        EstimabilityWarning,
        match=r"not identified by these data .*'hit' \(no intervention-group answers after the "
        "baseline wave\\)",
    ):
        table = frequentist.did(panel).to_frame()
    assert np.isnan(table.loc["hit", "estimate"]) and np.isfinite(table.loc["shout", "estimate"])
    with pytest.warns(
        EstimabilityWarning,
        match=r"GEE design does not identify \('hit': no intervention-group answers after",
    ):
        frequentist.indicator_gee(panel)


def test_panel_ols_adapter_raises_estimation_errors():
    from linearmodels.panel.utility import AbsorbingEffectError

    from mirabal_stats.frequentist._panelols import fit_panel_ols

    x = pd.DataFrame({"effect": [0.0, 1.0, 0.0, 1.0]})
    codes = np.array([0, 0, 1, 1])
    time = np.array([0, 1, 0, 1])
    with pytest.raises(EstimationError, match=r"answers from 1 person\(s\)"):
        fit_panel_ols(np.ones(4), x, entity=np.zeros(4), time=time, cluster=np.zeros(4))
    # The effect equals the time dummy: absorbed; linearmodels' error is the cause.
    with pytest.raises(EstimationError, match="could not be fitted on these answers") as err:
        fit_panel_ols(np.array([0.0, 1.0, 1.0, 1.0]), x, entity=codes, time=time, cluster=codes)
    assert isinstance(err.value.__cause__, AbsorbingEffectError)


def test_gee_adapter_errors_and_convergence_warning(monkeypatch):
    import statsmodels.api as sm

    from mirabal_stats.exceptions import ConvergenceWarning
    from mirabal_stats.frequentist._statsmodels_gee import fit_gee

    data = _long_data()
    exog = pd.DataFrame({"const": 1.0, "x": data["x"]})
    with pytest.raises(EstimationError, match="indicator 'hit' could not be set up") as err:
        fit_gee(data["y"].to_numpy()[:-1], exog, groups=data["id"], what="indicator 'hit'")
    assert isinstance(err.value.__cause__, ValueError)

    original = sm.GEE.fit

    def not_converged(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        result.converged = False
        return result

    monkeypatch.setattr(sm.GEE, "fit", not_converged)
    with pytest.warns(ConvergenceWarning, match="GEE of indicator 'hit' did not converge"):
        fit_gee(data["y"], exog, groups=data["id"], what="indicator 'hit'")
    monkeypatch.setattr(sm.GEE, "fit", lambda self, *a, **k: None)
    with pytest.raises(EstimationError, match="GEE of indicator 'hit' could not be fitted"):
        fit_gee(data["y"], exog, groups=data["id"], what="indicator 'hit'")


def test_indicator_gee_reports_a_failed_fit_by_name(small_panel, monkeypatch):
    import importlib

    gee_module = importlib.import_module("mirabal_stats.frequentist.gee")
    original = gee_module.fit_gee

    def failing(*args, what, **kwargs):
        if what == "indicator 'slapped'":
            raise EstimationError("the GEE of indicator 'slapped' could not be fitted (test)")
        return original(*args, what=what, **kwargs)

    monkeypatch.setattr(gee_module, "fit_gee", failing)
    with pytest.warns(
        EstimabilityWarning, match=r"could not be fitted for 1 indicator\(s\): 'slapped'"
    ):
        table = frequentist.indicator_gee(small_panel).to_frame()
    assert np.isnan(table.loc["slapped", "estimate"])
    assert np.isfinite(table.loc["negotiates", "estimate"])


def test_formula_gee_option_errors():
    data = _long_data()
    with pytest.raises(SpecificationError, match=r"column 'x' holds 1 infinite value\(s\)"):
        frequentist.gee(
            data.assign(x=data["x"].where(data.index != 4, np.inf)), formula="y ~ x", person="id"
        )
    with pytest.raises(SpecificationError, match="no row of the data has every model column"):
        frequentist.gee(data.assign(x=np.nan), formula="y ~ x", person="id")
    text = data.assign(w="heavy")
    with pytest.raises(WeightingError, match="weights column 'w' must hold numbers.*'heavy'"):
        frequentist.gee(text, formula="y ~ x", person="id", weights="w")
    with pytest.raises(WeightingError, match="have a zero weight in weights column 'w'"):
        frequentist.gee(data.assign(w=0.0), formula="y ~ x", person="id", weights="w")


def test_event_study_pre_trend_test_names_unknown_rows(small_panel):
    study = frequentist.event_study(small_panel, level="overall", baseline_wave=2)
    with pytest.raises(SpecificationError, match="'safety' has no pre-programme wave effects"):
        study.pre_trend_test(name="safety")


def test_compare_with_names_a_level_the_bayesian_result_cannot_report(small_panel):
    class Refuses:
        def effects(self, *, level, scale, ci_level):
            raise SpecificationError(f"level must be one of (...), got {level!r}")

    result = frequentist.gee(
        small_panel.to_long(include_missing=False), formula="response ~ wave", person="person"
    )
    with pytest.raises(SpecificationError, match="could not report effects at level='term'"):
        result.compare_with(Refuses())
