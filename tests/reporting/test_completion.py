"""Issue 18 in the report: ``[design] completed`` -> the programme-completion section.

The section's numbers must be those of a direct ``completion_effects`` call on the same panel,
covariates and weights; every config mistake is an error in config terms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import ConfigError
from mirabal_stats.frequentist import completion_effects
from mirabal_stats.reporting import evaluate, load_config, parse_config
from mirabal_stats.reporting.inputs import load_inputs
from mirabal_stats.weighting import PropensityWeights
from tests.reporting.conftest import write_study
from tests.reporting.test_config import MINIMAL, assert_config_terms

COVARIATES = ["age", "separated"]


def completion_study(folder, *, column="completed", persons_edit=None, weighting=False):
    """A small simulated study with a completion column, named by ``[design] completed``."""
    path = write_study(
        folder,
        completion=0.6,
        n_intervention=70,
        n_comparison=50,
        covariates=COVARIATES,
        persons_edit=persons_edit,
        extra="[weighting]\nenabled = true\n" if weighting else "",
    )
    text = path.read_text().replace("[design]\n", f'[design]\ncompleted = "{column}"\n', 1)
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- config
def test_completed_key_is_optional_and_parsed():
    assert parse_config(MINIMAL).get("design", "completed") is None
    text = MINIMAL.replace("[data]\n", '[data]\npersons = "p.csv"\n').replace(
        "[design]\n", '[design]\ncompleted = "done"\n'
    )
    assert parse_config(text).get("design", "completed") == "done"


def test_completed_needs_a_person_file():
    text = MINIMAL.replace("[design]\n", '[design]\ncompleted = "done"\n')
    with pytest.raises(
        ConfigError,
        match=r'^eval\.toml: \[design\] completed = "done": is set but \[data\] persons is not: '
        r"the completion column lives in the person file\. Add persons",
    ) as err:
        parse_config(text, source="eval.toml")
    assert_config_terms(str(err.value))


def test_completed_must_be_text():
    text = MINIMAL.replace("[design]\n", "[design]\ncompleted = 1\n")
    with pytest.raises(ConfigError, match=r"\[design\] completed = 1: must be text in quotes"):
        parse_config(text, source="eval.toml")


def test_unknown_completion_column_names_file_key_value_and_nearest(tmp_path):
    config = load_config(completion_study(tmp_path, column="complete"))
    with pytest.raises(
        ConfigError,
        match=r'eval\.toml: \[design\] completed = "complete": persons\.csv .*has no such '
        r'column; its columns are .*Did you mean "completed"\?',
    ) as err:
        load_inputs(config)
    assert_config_terms(str(err.value))


def _recode(persons):
    persons = persons.copy()
    persons["completed"] = persons["completed"].map({1: "Yes", 0: "no"}).astype(object)
    persons.loc[persons.index[3], "completed"] = "partly"
    persons.loc[persons.index[7], "completed"] = ""
    return persons


def test_completion_values_other_than_yes_no_are_counted(tmp_path):
    config = load_config(completion_study(tmp_path, persons_edit=_recode))
    with pytest.raises(
        ConfigError,
        match=r'\[design\] completed = "completed": column "completed" of persons\.csv .*must '
        r"hold 1/0, yes/no or true/false for every surveyed person, but 2 of the 120 persons "
        r'have other values \(e\.g\. "partly" for person "\d+"\)\. Recode those cells',
    ) as err:
        load_inputs(config)
    assert_config_terms(str(err.value))


def test_yes_no_and_true_false_are_accepted(tmp_path):
    def words(persons):
        persons = persons.copy()
        persons["completed"] = persons["completed"].map({1: "TRUE", 0: "No"})
        return persons

    inputs = load_inputs(load_config(completion_study(tmp_path, persons_edit=words)))
    assert set(inputs.persons["completed"]) == {0.0, 1.0}


def test_comparison_persons_marked_completed_is_a_config_error(tmp_path):
    def cross(persons):
        persons = persons.copy()
        comparison = persons.index[persons["group"] == "comparison"][:2]
        persons.loc[comparison, "completed"] = 1
        return persons

    config = load_config(completion_study(tmp_path, persons_edit=cross))
    with pytest.raises(
        ConfigError,
        match=r'\[design\] completed = "completed": column "completed" of persons\.csv .*marks '
        r"2 comparison-group person\(s\) as having completed the programme \(e\.g\. .*\)\. "
        r"Completion is one-sided: only persons referred to the programme .*can complete\. "
        r"Check the group and completion columns",
    ) as err:
        load_inputs(config)
    assert_config_terms(str(err.value))


# --------------------------------------------------------------------------- end to end
@pytest.mark.filterwarnings("ignore::mirabal_stats.exceptions.RowsExcludedWarning")
@pytest.mark.parametrize("weighting", [False, True], ids=["adjusted", "weighted"])
def test_section_numbers_equal_a_direct_call(tmp_path, parse_report, weighting):
    config = load_config(completion_study(tmp_path, weighting=weighting))
    report = evaluate(config)
    assert report.exit_code == 0
    written = report.write(tmp_path / "report")
    outline = parse_report(written.html.read_text())
    assert "completion" in outline.section_ids
    assert any(h.endswith(". Programme completion") for h in outline.headings)

    inputs = load_inputs(config)
    completed = inputs.persons.set_index("person")["completed"]
    weights = None
    if weighting:
        weights = (
            PropensityWeights(
                inputs.persons,
                group="treated",
                treated=1,
                covariates=COVARIATES,
                estimand="ATT",
                random_seed=config.seed,
            )
            .fit()
            .weights
        )
    tables = pd.read_csv(tmp_path / "report" / "tables" / "completion_effects.csv")
    first = pd.read_csv(tmp_path / "report" / "tables" / "completion_first_stage.csv")
    for level in ("overall", "measure"):
        direct = completion_effects(
            inputs.panel,
            completed=completed,
            level=level,
            covariates=COVARIATES,
            weights=weights,
            baseline_wave=inputs.baseline_wave,
            ci_level=0.95,
        )
        expected = direct.to_frame().reset_index()
        expected.columns = ["estimand", *expected.columns[1:]]
        got = tables.set_index(["estimand", "analysis"]).loc[
            list(zip(expected["estimand"], expected["analysis"], strict=True))
        ]
        for column in ("estimate", "std_error", "lower", "upper", "first_stage_f"):
            np.testing.assert_allclose(got[column], expected[column], rtol=1e-10)
        assert got["biased"].tolist() == expected["biased"].tolist()
        fs = first.set_index("estimand").loc[direct.first_stage_table().index]
        np.testing.assert_allclose(
            fs["f_statistic"], direct.first_stage_table()["f_statistic"], rtol=1e-10
        )
    assert set(tables["estimand"]) == {"overall", "communication", "safety", "childhoods"}

    cace = tables.set_index(["estimand", "analysis"]).loc[("overall", "cace")]
    shown = f"{cace['estimate']:+.1f} pp ({cace['lower']:+.1f} to {cace['upper']:+.1f})"
    assert f"the effect among those who complete (CACE) is {shown}" in outline.text
    assert "naive per-protocol: completers vs comparison (BIASED)" in outline.text
    for assumption in ("Exclusion restriction", "Monotonicity", "Ignorability", "strong first"):
        assert assumption in outline.text
    # one line in the key findings
    key = report.section("key-findings")
    line = [b.text for b in key.blocks if getattr(b, "text", "").startswith("Programme completion")]
    assert len(line) == 1
    assert f"overall CACE: {cace['estimate']:+.1f} pp (95% interval" in line[0]
    assert "the effect among those who complete, under assumptions" in line[0]
    text = next(
        b.text
        for b in report.section("completion").blocks
        if "from the column" in getattr(b, "text", "")
    )
    assert ("weighted by the propensity weights" in text) is weighting


def test_weak_first_stage_is_a_visible_warning(tmp_path):
    def few(persons):
        persons = persons.copy()
        referred = persons.index[persons["group"] == "intervention"]
        persons["completed"] = 0
        persons.loc[referred[:2], "completed"] = 1
        return persons

    report = evaluate(load_config(completion_study(tmp_path, persons_edit=few)))
    assert report.exit_code == 0
    notes = [
        b.text for b in report.section("completion").blocks if getattr(b, "kind", "") == "warning"
    ]
    assert any(
        n.startswith("Weak instrument: referral predicts completion only weakly") for n in notes
    )
    first = report.tables()["completion_first_stage"].frame
    assert first["weak"].all() and (first["f_statistic"] < 10).all()
    assert any("weak instrument" in w for w in report.warnings())


def test_completion_failure_is_a_failed_step_not_a_crash(tmp_path):
    def nobody(persons):
        return persons.assign(completed=0)

    report = evaluate(load_config(completion_study(tmp_path, persons_edit=nobody)))
    assert report.exit_code == 1
    step = next(s for s in report.steps if s.name == "completion")
    assert step.status == "failed" and step.error_type == "CompletionDataError"
    assert "completion" in report.omitted()
    section = report.section("completion")
    assert "no referred (intervention-group) person" in section.blocks[0].text
    assert "NOT RUN Programme completion" in report.summary()


def test_no_completion_key_no_section(tmp_path):
    report = evaluate(load_config(write_study(tmp_path)))
    assert "completion" not in [s.key for s in report.sections]
    assert next(s for s in report.steps if s.name == "completion").status == "skipped"
