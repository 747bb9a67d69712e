"""End to end: config -> evaluate -> written report, checked through its HTML and CSV files."""

from __future__ import annotations

import pandas as pd
import pytest

from mirabal_stats import cli
from mirabal_stats.datasets import simulate_mirabal
from mirabal_stats.reporting import evaluate, load_config
from tests.reporting.conftest import PNG_MAGIC

ALL_SECTIONS = [
    "data",
    "attrition",
    "balance",
    "prevalence",
    "effects",
    "reoffending",
    "sensitivity",
    "diagnostics",
]
INDICATORS = ["negotiates", "slapped_pushed", "injured", "children_frightened"]


@pytest.fixture(scope="module")
def long_export(tmp_path_factory):
    """A small simulated study written as a long survey export plus a person file."""
    folder = tmp_path_factory.mktemp("study")
    panel, truth = simulate_mirabal(
        n_intervention=60, n_comparison=40, random_seed=11, indicators=INDICATORS
    )
    long = panel.to_long(include_missing=False)[
        ["person", "wave", "indicator", "measure", "group", "response"]
    ]
    long["response"] = long["response"].map({1.0: "Yes", 0.0: "No"})
    long.rename(columns={"person": "woman_id"}).to_csv(folder / "survey_long.csv", index=False)
    persons = truth.reoffending.drop(columns=["treated", "true_time"])
    persons.rename(columns={"person": "woman_id"}).to_parquet(folder / "persons.parquet")
    (folder / "eval.toml").write_text(
        """
title = "Small study"
seed = 3
output = "unused"
[data]
survey = "survey_long.csv"
layout = "long"
persons = "persons.parquet"
[columns]
person = "woman_id"
[design]
treated = "intervention"
baseline_wave = 1
covariates = ["age", "separated", "prior_police"]
positive_indicators = ["negotiates"]
[bayes]
enabled = false
[survival]
duration = "reoffend_time"
event = "reoffend_event"
lower = "reoffend_lower"
upper = "reoffend_upper"
[sensitivity]
mnar_odds_ratios = [1.0, 2.0]
"""
    )
    return folder


@pytest.fixture(scope="module")
def written(long_export, tmp_path_factory):
    report = evaluate(load_config(long_export / "eval.toml"))
    out = tmp_path_factory.mktemp("report")
    return report, report.write(out)


def test_every_section_present_in_order(written, parse_report):
    report, files = written
    outline = parse_report(files.html.read_text())
    assert outline.section_ids == ALL_SECTIONS
    assert outline.open_tags == []
    assert outline.external == []


def test_only_the_switched_off_model_is_noted(written):
    report, _ = written
    assert report.omitted() == []
    effects_text = " ".join(getattr(b, "text", "") for b in report.section("effects").blocks)
    assert "[bayes] enabled = false" in effects_text


def test_figures_decode_as_png(written, parse_report):
    _, files = written
    outline = parse_report(files.html.read_text())
    # attrition, love plot, one prevalence figure per measure, forest plots, survival, sensitivity
    assert len(outline.images) >= 8
    assert all(image.startswith(PNG_MAGIC) for image in outline.images)


def test_every_visible_table_has_its_csv(written):
    report, files = written
    names = {p.stem for p in files.tables}
    assert names == set(report.tables())
    for needed in (
        "attrition",
        "balance",
        "effects_measure_pp",
        "effects_indicator_or",
        "hazard_ratio_weighted",
        "cumulative_incidence",
        "sensitivity",
        "prevalence",
    ):
        assert needed in names


def test_partner_reports_analysed_as_interval_censored(written, long_export):
    _, files = written
    hr = pd.read_csv(files.folder / "tables" / "hazard_ratio_reported.csv", index_col=0)
    assert hr.index.tolist() == ["hazard ratio (Weibull, interval-censored)"]
    assert 0 < hr["lower"].item() < hr["estimate"].item() < hr["upper"].item()
    incidence = pd.read_csv(files.folder / "tables" / "cumulative_incidence_reported.csv")
    # Turnbull share reported by 12 months lies between the naive shares that count only the
    # reports made by then (a lower bound) and every event that happened by then (upper bound).
    persons = pd.read_parquet(long_export / "persons.parquet")
    at_12 = incidence.query("quantity == 'intervention' and horizon == 12")["estimate"].item()
    treated = persons[persons["group"] == "intervention"]
    reported_by_12 = (treated["reoffend_upper"] <= 12).mean()
    assert reported_by_12 <= at_12 + 1e-9
    assert "Turnbull" in files.html.read_text()


def test_csv_numbers_match_the_panel(written, long_export):
    _, files = written
    survey = pd.read_csv(long_export / "survey_long.csv")
    prevalence = pd.read_csv(files.folder / "tables" / "prevalence.csv")
    # Independent recount from the export: % "Yes" for one indicator, group and wave.
    rows = survey[
        (survey.indicator == "injured") & (survey.group == "comparison") & (survey.wave == 1)
    ]
    expected = 100 * (rows.response == "Yes").mean()
    got = prevalence.query("indicator == 'injured' and group == 'comparison' and wave == 1")
    assert got["pct_yes"].item() == pytest.approx(expected)


def test_config_copy_and_provenance(written, long_export):
    report, files = written
    assert files.config.read_text() == (long_export / "eval.toml").read_text()
    assert report.provenance.random_seed == 3
    assert report.provenance.settings["design"]["treated"] == "intervention"


def test_cli_output_flag_overrides_config(long_export, tmp_path, capsys):
    code = cli.main(["evaluate", str(long_export / "eval.toml"), "--output", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert code == 0
    assert (tmp_path / "o" / "report.html").is_file()
    assert "Report:" in out
    assert "Reading and validating the data" in err and "done" in err


@pytest.mark.mcmc
def test_demo_quick_runs_every_pillar(tmp_path, capsys, parse_report):
    code = cli.main(["demo", "--quick", "--output", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Sampling the Bayesian indicator model" in err
    outline = parse_report((tmp_path / "report.html").read_text())
    assert outline.section_ids == ALL_SECTIONS
    assert "omitted" not in outline.notes
    assert all(image.startswith(PNG_MAGIC) for image in outline.images)
    tables = {p.stem for p in (tmp_path / "tables").glob("*.csv")}
    assert {"sampler_overview", "sensitivity_bayes", "effects_measure_or"} <= tables
    measures = pd.read_csv(tmp_path / "tables" / "effects_measure_pp.csv")
    # The simulated programme has a large benefit on safety; even tiny draws find it, and the
    # Bayesian and GEE estimates agree within 10 pp.
    safety = measures[measures.iloc[:, 0] == "safety"].iloc[0]
    assert safety["Bayesian|estimate"] > 20
    assert abs(safety["Bayesian|estimate"] - safety["GEE|estimate"]) < 10
