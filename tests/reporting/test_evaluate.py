"""End to end: config -> evaluate -> written report, checked through its HTML and CSV files."""

from __future__ import annotations

import contextlib
import importlib
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mirabal_stats import cli
from mirabal_stats.datasets import simulate_mirabal
from mirabal_stats.reporting import evaluate, load_config
from tests.reporting.conftest import PNG_MAGIC, write_study

FIXTURE = Path(__file__).parent / "fixtures" / "export"

ALL_SECTIONS = [
    "key-findings",
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


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- a real export
@pytest.fixture(scope="module")
def export_run(tmp_path_factory):
    """The issue-15 config as written (plus the Bayesian step off, for speed), through the CLI."""
    folder = tmp_path_factory.mktemp("export")
    for name in ("export.csv", "persons.csv", "codebook.csv"):
        shutil.copy(FIXTURE / name, folder / name)
    text = (FIXTURE / "evaluation.toml").read_text() + "\n[bayes]\nenabled = false\n"
    (folder / "evaluation.toml").write_text(text)
    out = folder / "report"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["evaluate", str(folder / "evaluation.toml"), "--output", str(out)])
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_export_runs_without_recoding(export_run, parse_report):
    code, out, err, folder = export_run
    assert code == 0, err
    outline = parse_report((folder / "report.html").read_text())
    assert outline.section_ids == ALL_SECTIONS
    assert outline.open_tags == [] and outline.external == []
    assert "Exit status 0: every analysis step ran." in out
    # progress per step with elapsed time, numbered
    assert "[2/9] Estimating propensity weights and balance ..." in err
    assert "done in" in err


def test_report_shows_missing_code_counts(export_run):
    _, _, _, folder = export_run
    page = (folder / "report.html").read_text()
    table = pd.read_csv(folder / "tables" / "missing_codes.csv", index_col=0)
    raw = pd.read_csv(FIXTURE / "export.csv", dtype=str, keep_default_na=False)
    cells = raw[pd.read_csv(FIXTURE / "codebook.csv")["indicator"]].stack()
    assert table.loc["Don't know", "total"] == (cells == "Don't know").sum()
    assert table.loc["Refused", "total"] == (cells == "Refused").sum()
    assert table.loc["(blank)", "total"] == (cells == "").sum()
    assert table.loc["9", "programme"] + table.loc["9", "comparison"] == (cells == "9").sum()
    assert "Answers coded as missing, by code and group." in page
    assert "Don&#x27;t know" in page


def test_key_findings_come_first_with_every_check(export_run):
    _, _, _, folder = export_run
    checks = pd.read_csv(folder / "tables" / "checks.csv", index_col=0)
    assert list(checks.index) == [
        "Covariate balance after weighting",
        "Overlap / effective sample size of the weights",
        "Sampler convergence (Bayesian model)",
        "Proportional hazards (Cox model)",
        "Parallel pre-programme trends",
        "Agreement of the Bayesian, GEE and DiD estimates",
        "Differential dropout",
    ]
    assert checks.loc["Sampler convergence (Bayesian model)", "result"] == "not run"
    assert checks.loc["Parallel pre-programme trends", "result"] == "not applicable"
    effects = pd.read_csv(folder / "tables" / "key_effects.csv", index_col=0)
    assert list(effects.index) == ["overall", "communication", "safety", "childhoods"]
    assert {"gee_estimate", "did_lower", "did_upper"} <= set(effects.columns)
    reoffending = pd.read_csv(folder / "tables" / "key_reoffending.csv", index_col=0)
    assert reoffending.index[0] == "hazard ratio, weighted Cox (main)"
    assert reoffending.index[2].startswith("RMST difference up to 12 months")
    confounding = pd.read_csv(folder / "tables" / "confounding.csv", index_col=0)
    assert "propensity-weighted (ATT" in confounding.loc["GEE", "confounding"]


def test_failed_checks_are_all_in_the_terminal(export_run):
    code, out, _, folder = export_run
    checks = pd.read_csv(folder / "tables" / "checks.csv", index_col=0)
    failed = checks.index[checks["result"] == "FAIL"]
    assert len(failed) >= 1
    for name in failed:
        assert f"FAILED {name}:" in out


def test_library_noise_goes_to_the_log(export_run):
    _, _, err, folder = export_run
    page = (folder / "report.html").read_text()
    log = (folder / "mirabal_stats.log").read_text()
    for noise in ("FutureWarning", "DeprecationWarning", "BLAS", "WARNING ("):
        assert noise not in page
    assert "[weighting] ran in" in log and "[gee] ran in" in log


def test_figures_have_one_colour_per_group_and_units(export_run, parse_report):
    _, _, _, folder = export_run
    outline = parse_report((folder / "report.html").read_text())
    assert len(outline.images) >= 8
    assert all(image.startswith(PNG_MAGIC) for image in outline.images)
    assert "time in months" in outline.text


# --------------------------------------------------------------------------- long export
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
n_bootstrap = 50
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
    assert report.exit_code == 0
    assert [s.status for s in report.steps if s.name == "bayes"] == ["skipped"]


def test_only_the_switched_off_model_is_noted(written):
    report, _ = written
    assert report.omitted() == []
    effects_text = " ".join(getattr(b, "text", "") for b in report.section("effects").blocks)
    assert "[bayes] enabled = false" in effects_text


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
        "key_effects",
        "checks",
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
    at_12 = incidence.query("quantity == 'intervention' and time == 12")["estimate"].item()
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


# --------------------------------------------------------------------------- failed steps (issue 14)
def test_survival_without_events_still_writes_the_report(tmp_path, capsys):
    """Family 2: no reoffence at all -> the survival section says why; exit 1, not 3."""

    def no_events(persons):
        return persons.assign(reoffend_event=0, reoffend_upper=float("inf"))

    path = write_study(tmp_path / "s", persons_edit=no_events)
    code, out, err = run(capsys, "evaluate", str(path), "--output", str(tmp_path / "o"))
    assert code == 1, err
    page = (tmp_path / "o" / "report.html").read_text()
    assert "no reoffence is recorded ([survival] event = &#x27;reoffend_event&#x27; is 0" in page
    assert "no partner reported a reoffence" in page
    assert "NOT RUN Comparing time to reoffending (records): no reoffence is recorded" in out
    assert "Exit status 1: some analysis steps could not run" in out
    assert "could not run" in err


def test_no_events_in_one_group(tmp_path):
    def none_in_comparison(persons):
        comparison = persons["group"] == "comparison"
        persons.loc[comparison, "reoffend_event"] = 0
        return persons

    report = evaluate(load_config(write_study(tmp_path, persons_edit=none_in_comparison)))
    assert report.exit_code == 1
    record = next(s for s in report.steps if s.name == "survival")
    assert record.status == "failed"
    assert "no reoffence is recorded in group 'comparison' (0 of 24 persons" in record.reason


def test_interval_censored_without_parametric_models(tmp_path):
    """Family 3: ``parametric = []`` used to crash the report (AttributeError)."""
    path = write_study(tmp_path, extra="")
    path.write_text(
        path.read_text().replace("n_bootstrap = 20", "n_bootstrap = 20\nparametric = []")
    )
    report = evaluate(load_config(path))
    assert report.exit_code == 0
    section = report.section("reoffending")
    names = {t.name for t in section.tables()}
    assert "cumulative_incidence_reported" in names and "hazard_ratio_reported" not in names
    texts = " ".join(getattr(b, "text", "") for b in section.blocks)
    assert "[survival] parametric = []" in texts


def test_clashing_measure_names_and_math_text(tmp_path, parse_report):
    """Family 16: ``Safety`` / ``safety!`` share a file name; ``$...$`` is not math text."""
    rename = {"injured": "paid $5 a day$ fine", "slapped_pushed": "slapped_pushed"}
    path = write_study(
        tmp_path,
        rename=rename,
        measures={
            "Safety": ["slapped_pushed"],
            "safety!": ["paid $5 a day$ fine", "children_frightened"],
            "communication": ["negotiates"],
        },
    )
    report = evaluate(load_config(path))
    assert report.exit_code == 0
    written = report.write(tmp_path / "out")
    names = {p.name for p in written.tables}
    assert {"prevalence_safety.csv", "prevalence_safety_2.csv"} <= names
    outline = parse_report(written.html.read_text())
    assert all(image.startswith(PNG_MAGIC) for image in outline.images)
    assert "paid $5 a day$ fine" in outline.text


def test_hostile_names_are_neutralised_in_every_csv(tmp_path):
    """CSV injection (OWASP): cells starting with = + - @ never reach a spreadsheet as formulas."""
    hostile_indicator = '=HYPERLINK("http://evil.example","click")'
    hostile_measure = "+cmd|' /C calc'!A0"
    hostile_person = "@SUM(1+1)"

    def extra_person(persons):
        row = persons.iloc[[0]].assign(person=hostile_person)
        return pd.concat([persons, row])

    path = write_study(
        tmp_path,
        rename={"injured": hostile_indicator},
        measures={
            hostile_measure: ["slapped_pushed", hostile_indicator],
            "communication": ["negotiates"],
            "-childhoods": ["children_frightened"],
        },
        persons_edit=extra_person,
    )
    report = evaluate(load_config(path))
    data = next(s for s in report.steps if s.name == "data")
    assert any("never appear in survey.csv" in str(w.message) for w in data.ours)
    written = report.write(tmp_path / "out")
    cells = []
    for csv in written.tables:
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False, header=None)
        cells.extend(frame.to_numpy().ravel().tolist())
    text = [c for c in cells if isinstance(c, str) and c]
    assert not [c for c in text if c[0] in "=+@" or (c[0] == "-" and not _is_number(c))]
    assert "'" + hostile_indicator in text
    assert "'" + hostile_measure in text
    assert "'" + hostile_person in text
    assert "'-childhoods" in text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_a_bug_in_one_step_is_exit_3_with_the_report_written(tmp_path, capsys, monkeypatch):
    evaluate_module = importlib.import_module("mirabal_stats.reporting.evaluate")

    def broken(config, inputs, weights):
        raise RuntimeError("boom")

    monkeypatch.setattr(evaluate_module, "_compare_records", broken)
    path = write_study(tmp_path / "s")
    code, out, err = run(capsys, "evaluate", str(path), "--output", str(tmp_path / "o"))
    assert code == 3
    assert "BUG Comparing time to reoffending (records): RuntimeError: boom" in out
    assert "Exit status 3: an internal error" in out
    page = (tmp_path / "o" / "report.html").read_text()
    assert "This is a bug in mirabal_stats, not in your data" in page
    log = (tmp_path / "o" / "mirabal_stats.log").read_text()
    assert "Traceback (most recent call last)" in log and "RuntimeError: boom" in log


def test_output_path_that_is_a_file_is_exit_2(tmp_path, capsys):
    path = write_study(tmp_path / "s")
    target = tmp_path / "taken"
    target.write_text("x")
    code, _, err = run(capsys, "evaluate", str(path), "--output", str(target))
    assert code == 2
    assert "this is an existing file, not a folder" in err
    assert "Traceback" not in err


def test_options_checked_before_anything_runs(tmp_path, capsys):
    path = write_study(tmp_path, extra="[survival.options]\nn_boot = 0\n")
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 2
    assert "[survival] options = { n_boot = 0 }: 'n_boot' is set by [survival] n_bootstrap" in err
    path.write_text(path.read_text().replace("n_boot = 0", "ph_alfa = 0.1"))
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 2
    assert "unknown option 'ph_alfa'" in err and "Did you mean ph_alpha?" in err


# --------------------------------------------------------------------------- MCMC
@pytest.mark.mcmc
def test_short_run_shows_the_convergence_failure(tmp_path):
    """A deliberately short run: the failed sampler check is in the key findings and beside
    every Bayesian number, and in the terminal summary (issue 15)."""
    path = write_study(
        tmp_path,
        extra="[bayes]\nenabled = true\ndraws = 10\ntune = 10\nchains = 2\n",
        n_intervention=16,
        n_comparison=12,
    )
    report = evaluate(load_config(path))
    checks = {c.key: c for c in report.checks}
    assert checks["convergence"].status == "FAIL", checks["convergence"].detail
    assert "2 chains x 10 draws" in checks["convergence"].detail

    def note_before(section, name):
        blocks = list(report.section(section).blocks)
        at = next(i for i, b in enumerate(blocks) if getattr(b, "name", None) == name)
        return blocks[at - 1]

    for section, table in (
        ("key-findings", "key_effects"),
        ("effects", "effects_measure_pp"),
        ("effects", "effects_indicator_pp"),
    ):
        note = note_before(section, table)
        assert note.kind == "warning" and "sampler convergence failed (R-hat" in note.text
    key_effects = report.tables()["key_effects"].frame
    assert (key_effects["check failed"].str.contains("Bayesian: sampler not converged")).all()
    assert "FAILED Sampler convergence (Bayesian model): max R-hat" in report.summary()


@pytest.mark.mcmc
def test_demo_quick_runs_every_pillar(tmp_path, capsys, parse_report):
    code, out, err = run(capsys, "demo", "--quick", "--output", str(tmp_path))
    assert code == 0, err
    assert "Sampling the Bayesian indicator model" in err
    assert "QUICK RUN, NOT FOR REPORTING" in out
    outline = parse_report((tmp_path / "report.html").read_text())
    assert outline.section_ids == ALL_SECTIONS
    assert "omitted" not in outline.notes
    assert all(image.startswith(PNG_MAGIC) for image in outline.images)
    tables = {p.stem for p in (tmp_path / "tables").glob("*.csv")}
    assert {"sampler_overview", "sensitivity_bayes", "effects_measure_or", "key_effects"} <= tables
    measures = pd.read_csv(tmp_path / "tables" / "effects_measure_pp.csv")
    # The simulated programme has a large benefit on safety; even tiny draws find it, and the
    # Bayesian and GEE estimates agree within 10 pp.
    safety = measures[measures.iloc[:, 0] == "safety"].iloc[0]
    assert safety["Bayesian|estimate"] > 20
    assert abs(safety["Bayesian|estimate"] - safety["GEE|estimate"]) < 10


def test_pre_trends_tested_when_two_waves_precede_the_programme(tmp_path):
    path = write_study(tmp_path, extra="[frequentist]\nenabled = true\n")
    path.write_text(path.read_text().replace("baseline_wave = 1", "baseline_wave = 2"))
    report = evaluate(load_config(path))
    record = next(s for s in report.steps if s.name == "pre_trends")
    assert record.status == "ran", record.reason
    check = next(c for c in report.checks if c.key == "pre_trends")
    # In the simulation the programme starts right after wave 1, so calling wave 2 the baseline
    # makes the large safety effect at wave 2 look like a pre-programme difference in trends:
    # the placebo test must flag it, and the caveat must sit beside the effects.
    assert check.status == "FAIL", check.detail
    assert "trends already differed before the programme for safety" in check.detail
    assert "(p < 0.05; waves 1)" in check.detail
    effects = report.tables()["key_effects"].frame
    assert effects["check failed"].str.contains("pre-trends differ").all()
