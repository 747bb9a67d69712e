"""Reading a real survey export: waves, answer codes, codebook, person file, and their messages.

The fixture in ``fixtures/export`` is written the way survey tools export data (text wave labels,
"Yes"/"Y"/"1", "Don't know", "Refused", 8, 9 and blank cells, ``ID`` in the survey but
``client_id`` in the person file, a codebook); ``evaluation.toml`` is the config of issue 15 as
written. Every test of a mistake checks the message names the file, the key, the value, the
nearest valid name and the fix, in config terms.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from mirabal_stats.exceptions import ConfigError, RowsExcludedWarning
from mirabal_stats.reporting import load_config
from mirabal_stats.reporting.inputs import load_inputs
from tests.reporting.test_config import assert_config_terms

FIXTURE = Path(__file__).parent / "fixtures" / "export"
CONFIG = (FIXTURE / "evaluation.toml").read_text()


def make_study(
    folder: Path,
    *,
    config: Callable[[str], str] | None = None,
    survey: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    persons: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    codebook: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> Path:
    """A copy of the export fixture, optionally edited; returns the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, edit in (
        ("export.csv", survey),
        ("persons.csv", persons),
        ("codebook.csv", codebook),
    ):
        if edit is None:
            shutil.copy(FIXTURE / name, folder / name)
        else:
            frame = pd.read_csv(FIXTURE / name, dtype=str, keep_default_na=False)
            edit(frame).to_csv(folder / name, index=False)
    text = CONFIG if config is None else config(CONFIG)
    path = folder / "evaluation.toml"
    path.write_text(text)
    return path


def load(path: Path):
    with pytest.warns(RowsExcludedWarning, match=r"2 person\(s\) of persons\.csv"):
        return load_inputs(load_config(path))


def refused(path: Path, match: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsExcludedWarning)
        with pytest.raises(ConfigError, match=match) as err:
            load_inputs(load_config(path))
    message = str(err.value)
    assert message.startswith(str(path)), message  # the config file is named first
    assert_config_terms(message)
    return message


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return load(make_study(tmp_path_factory.mktemp("export")))


# --------------------------------------------------------------------------- the export as written
def test_text_waves_in_the_configured_order(inputs):
    panel = inputs.panel
    assert list(panel.waves) == ["baseline", "3m", "6m", "9m", "12m", "15m"]
    assert inputs.baseline_wave == "baseline"
    assert (panel.treated, panel.comparison) == ("programme", "comparison")
    assert panel.n_persons == 80


def test_answers_coded_and_missing_codes_counted(inputs):
    raw = pd.read_csv(FIXTURE / "export.csv", dtype=str, keep_default_na=False)
    indicators = pd.read_csv(FIXTURE / "codebook.csv")["indicator"].tolist()
    cells = raw[indicators].stack()
    # Independent recount from the file: the codes of the config, case-insensitively.
    norm = cells.str.strip().str.casefold()
    assert (
        inputs.responses.counts.query("answer == 'yes'")["n"].sum()
        == norm.isin(["yes", "y", "1"]).sum()
    )
    assert (
        inputs.responses.counts.query("answer == 'no'")["n"].sum()
        == norm.isin(["no", "n", "0"]).sum()
    )
    by_code = inputs.responses.missing_by_group()["total"]
    assert by_code["Don't know"] == (cells == "Don't know").sum()
    assert by_code["Refused"] == (cells == "Refused").sum()
    assert by_code["8"] == (cells == "8").sum()
    assert by_code["9"] == (cells == "9").sum()
    assert by_code["(blank)"] == (cells == "").sum()
    # Every cell is accounted for once.
    assert inputs.responses.counts["n"].sum() == len(cells)
    assert inputs.panel.n_observed == norm.isin(["yes", "y", "1", "no", "n", "0"]).sum()


def test_person_columns_differ_between_files(inputs):
    persons = inputs.persons
    assert len(persons) == 80
    assert persons["person"].str.startswith("C").all()
    assert set(inputs.covariate_sources) == {"age", "separated"}
    assert set(inputs.covariate_sources.values()) == {"person file"}
    assert {"duration", "event", "age"} <= set(persons.columns)


def test_files_agree_with_counts(inputs):
    checks = {c.name: c for c in inputs.checks}
    assert checks["same persons"].passed
    assert "all 80 persons of the survey" in checks["same persons"].detail
    assert checks["same groups"].passed
    assert not checks["persons only in the person file"].passed
    assert '"C9001", "C9002"' in checks["persons only in the person file"].detail


def test_codebook_gives_measures_directions_and_labels(inputs):
    panel = inputs.panel
    assert list(panel.measures) == ["communication", "safety", "childhoods"]
    assert panel.benefit_sign["feels_very_safe"] == 1
    assert panel.benefit_sign["injured"] == -1
    assert inputs.labels["injured"] == "She was injured"
    assert inputs.unused_columns == ("interviewer",)


# --------------------------------------------------------------------------- answer codes
def _put(column: str, row: int, value: str):
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row, column] = value
        return frame

    return edit


def test_unknown_answer_names_the_code(tmp_path):
    path = make_study(tmp_path, survey=_put("listens", 3, "Sometimes"))
    message = refused(
        path,
        r"\[responses\]: export\.csv \(\[data\] survey\) holds answers that are not listed as "
        r'yes, no or missing for indicator "listens" \(column "listens"\): "Sometimes" \(1 cells\)',
    )
    assert 'person "C1001" at wave "9m"' in message
    assert "[responses.listens]" in message


def test_per_indicator_codes(tmp_path):
    path = make_study(
        tmp_path,
        survey=_put("listens", 3, "Sometimes"),
        config=lambda t: t + '\n[responses.listens]\nyes = ["Yes", "Y", "1", "Sometimes"]\n',
    )
    inputs = load(path)
    counts = inputs.responses.counts.query("indicator == 'listens' and answer == 'yes'")
    raw = pd.read_csv(FIXTURE / "export.csv", dtype=str, keep_default_na=False)["listens"]
    expected = raw.str.casefold().isin(["yes", "y", "1"]).sum() + 1
    assert counts["n"].sum() == expected


def test_numbers_written_alike(tmp_path):
    path = make_study(tmp_path, survey=_put("listens", 3, "1.0"))
    inputs = load(path)
    assert inputs.panel.n_observed > 0  # "1.0" is the yes code "1"


def test_code_in_two_lists(tmp_path):
    path = make_study(
        tmp_path, config=lambda t: t.replace('no = ["No", "N", "0"]', 'no = ["No", "N", "0", "y"]')
    )
    refused(
        path,
        r'\[responses\] no = \["No", "N", "0", "y"\]: lists "y", which is also under yes\. '
        r"Each answer means one thing",
    )


def test_codes_for_an_unknown_indicator(tmp_path):
    path = make_study(tmp_path, config=lambda t: t + '\n[responses.listen]\nyes = ["Yes"]\n')
    refused(
        path,
        r"\[responses\.listen\]: is not one of the indicators, so these answer codes apply to "
        r'nothing\. Did you mean "listens"\?',
    )


def test_indicator_without_any_answer(tmp_path):
    def blank(frame):
        frame["injured"] = "Refused"
        return frame

    refused(
        make_study(tmp_path, survey=blank),
        r'\[data\] codebook: indicator "injured" has no yes or no answer in export\.csv .*'
        r'"Refused": ',
    )


# --------------------------------------------------------------------------- indicators
MEASURES = """
[measures]
communication = ["negotiates", "listens", "puts_down"]
safety = ["slaped_pushed", "injured", "feels_very_safe"]
"""


def test_indicator_typo_in_measures(tmp_path):
    path = make_study(
        tmp_path, config=lambda t: t.replace('codebook = "codebook.csv"', "") + MEASURES
    )
    refused(
        path,
        r'\[measures\] safety: lists indicator "slaped_pushed", which is not a column of '
        r'export\.csv \(\[data\] survey\)\. Did you mean "slapped_pushed"\? Write each indicator '
        r"exactly as its column header",
    )


def test_indicator_typo_in_codebook(tmp_path):
    path = make_study(tmp_path, codebook=_put("indicator", 4, "injurd"))
    refused(
        path,
        r'\[data\] codebook: the codebook lists indicator "injurd", which is not a column of '
        r'export\.csv \(\[data\] survey\)\. Did you mean "injured"\?',
    )


def test_codebook_and_measures_both_given(tmp_path):
    path = make_study(tmp_path, config=lambda t: t + MEASURES)
    refused(path, r"\[measures\]: the config has both a \[measures\] table and \[data\] codebook")


def test_codebook_bad_direction(tmp_path):
    path = make_study(tmp_path, codebook=_put("beneficial", 2, "lower"))
    refused(path, r'row 4 of the codebook \(indicator "puts_down"\) has beneficial = "lower"')


def test_codebook_without_measure_column(tmp_path):
    def rename(frame):
        return frame.rename(columns={"measure": "measures"})

    refused(
        make_study(tmp_path, codebook=rename),
        r"the codebook has no column 'measure'; its columns are .*Did you mean \"measures\"\?",
    )


# --------------------------------------------------------------------------- design
def test_covariate_typo_lists_the_person_file(tmp_path):
    path = make_study(tmp_path, config=lambda t: t.replace('"age"', '"agee"'))
    message = refused(
        path,
        r'\[design\] covariates = \["agee", "separated"\]: lists "agee", which is not a column '
        r"of neither persons\.csv \(\[data\] persons\) \(where covariates live\)",
    )
    assert (
        'the person file\'s columns are "arm", "age", "separated", "duration", "event"' in message
    )
    assert 'Did you mean "age"?' in message


def test_wrong_treated_label(tmp_path):
    path = make_study(
        tmp_path, config=lambda t: t.replace('treated = "programme"', 'treated = "program"')
    )
    refused(
        path,
        r'\[design\] treated = "program": no person in export\.csv \(\[data\] survey\) has this '
        r'value in the group column "arm"; its groups are "programme" \(45 persons\), '
        r'"comparison" \(35 persons\)\. Did you mean "programme"\?',
    )


def test_treated_as_a_number(tmp_path):
    def numeric(frame):
        frame["arm"] = frame["arm"].map({"programme": "1", "comparison": "0"})
        return frame

    path = make_study(
        tmp_path,
        survey=numeric,
        persons=numeric,
        config=lambda t: t.replace('treated = "programme"', "treated = 1"),
    )
    assert load(path).panel.treated == "1"


def test_baseline_wave_zero_for_number_waves(tmp_path):
    def numbered(frame):
        frame["timepoint"] = frame["timepoint"].map(
            {"baseline": "1", "3m": "2", "6m": "3", "9m": "4", "12m": "5", "15m": "6"}
        )
        return frame

    path = make_study(
        tmp_path,
        survey=numbered,
        config=lambda t: t.replace(
            'wave_order = ["baseline", "3m", "6m", "9m", "12m", "15m"]\n', ""
        ).replace('baseline_wave = "baseline"', "baseline_wave = 0"),
    )
    message = refused(
        path,
        r"\[design\] baseline_wave = 0: is not a wave of export\.csv \(\[data\] survey\); the "
        r'waves in column "timepoint" are 1, 2, 3, 4, 5, 6\.',
    )
    assert "int64" not in message


def test_text_waves_without_wave_order(tmp_path):
    path = make_study(
        tmp_path,
        config=lambda t: t.replace(
            'wave_order = ["baseline", "3m", "6m", "9m", "12m", "15m"]\n', ""
        ),
    )
    refused(
        path,
        r'\[design\] wave_order: is not set, and the waves in column "timepoint" of export\.csv '
        r'.* are text .* Add under \[design\]: wave_order = \["baseline", "3m", "6m", "9m", "12m", "15m"\]',
    )


def test_wave_missing_from_wave_order(tmp_path):
    path = make_study(tmp_path, config=lambda t: t.replace('"12m", ', ""))
    refused(
        path,
        r'\[design\] wave_order = \["baseline", "3m", "6m", "9m", "15m"\]: the wave column '
        r'"timepoint" of export\.csv .* holds waves not listed here: "12m" \(\d+ rows\)',
    )


def test_wave_order_lists_an_absent_wave(tmp_path):
    path = make_study(tmp_path, config=lambda t: t.replace('"15m"]', '"15m", "18m"]'))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_inputs(load_config(path))
    texts = [str(w.message) for w in caught if w.category is RowsExcludedWarning]
    assert any('wave_order lists "18m", but no row of export.csv' in t for t in texts), texts


# --------------------------------------------------------------------------- columns and files
def test_person_column_typo(tmp_path):
    path = make_study(tmp_path, config=lambda t: t.replace('person = "ID"', 'person = "Id "'))
    refused(
        path,
        r'\[columns\] person = "Id ": export\.csv \(\[data\] survey\) has no such column; its '
        r'columns are "ID", "timepoint", "arm".*Did you mean "ID"\?',
    )


def test_person_file_column_typo(tmp_path):
    path = make_study(tmp_path, config=lambda t: t.replace('"client_id"', '"clientid"'))
    refused(
        path,
        r'\[columns\.persons\] person = "clientid": persons\.csv \(\[data\] persons\) has no such '
        r'column.*Did you mean "client_id"\?',
    )


def test_group_disagrees_between_files(tmp_path):
    def swap(frame):
        frame.loc[frame["client_id"].isin(["C1001", "C1002", "C1003"]), "arm"] = "comparison"
        return frame

    refused(
        make_study(tmp_path, persons=swap),
        r'\[columns\] group = "arm": 3 of the 80 persons have a different group in persons\.csv '
        r'.* than in export\.csv .* \(e\.g\. person "C1001": "comparison" in the person file, '
        r'"programme" in the survey\)',
    )


def test_surveyed_person_missing_from_person_file(tmp_path):
    def drop(frame):
        return frame[frame["client_id"] != "C1004"]

    refused(
        make_study(tmp_path, persons=drop),
        r'\[columns\.persons\] person = "client_id": 1 of the 80 persons in export\.csv .* are '
        r'not in persons\.csv .* \(e\.g\. "C1004"\)',
    )


def test_ids_written_differently_get_a_hint(tmp_path):
    def number(frame):
        frame["ID"] = frame["ID"].str.lstrip("C")
        return frame

    def pad(frame):
        frame["client_id"] = frame["client_id"].str.replace("C", "0", regex=False)
        return frame

    message = refused(make_study(tmp_path, survey=number, persons=pad), r"80 of the 80 persons")
    assert 'The ids are written differently: "1001" in the survey, "01001" in the person' in message


def test_duplicate_person_in_person_file(tmp_path):
    def twice(frame):
        return pd.concat([frame, frame.iloc[[0]]])

    refused(
        make_study(tmp_path, persons=twice),
        r'1 person id\(s\) appear on more than one row of persons\.csv .*e\.g\. "C1001"',
    )


def test_duplicate_rows_in_the_survey(tmp_path):
    def twice(frame):
        return pd.concat([frame, frame.iloc[[5]]])

    refused(
        make_study(tmp_path, survey=twice),
        r"\[data\] survey = \"export\.csv\": 2 rows share their person and wave with another row "
        r'\(e\.g\. ID "C1002", timepoint "baseline"\)',
    )


def test_person_in_two_groups(tmp_path):
    refused(
        make_study(tmp_path, survey=_put("arm", 1, "comparison")),
        r'\[columns\] group = "arm": 1 person\(s\) are in more than one group in export\.csv',
    )


def test_event_column_with_text(tmp_path):
    refused(
        make_study(tmp_path, persons=_put("event", 0, "yes")),
        r'\[survival\] event = "event": column "event" of persons\.csv .* must hold numbers, but '
        r'1 row\(s\) hold text \(e\.g\. "yes" for person "C1001"\)',
    )


def test_missing_data_file(tmp_path):
    path = make_study(tmp_path, config=lambda t: t.replace('"persons.csv"', '"people.csv"'))
    refused(path, r'\[data\] persons = "people\.csv": the file .*people\.csv\' does not exist')


def test_file_in_another_encoding(tmp_path):
    path = make_study(tmp_path, codebook=_put("label", 0, "Il négocie"))
    (tmp_path / "codebook.csv").write_bytes(
        (tmp_path / "codebook.csv").read_text().encode("cp1252")
    )
    refused(path, r"\[data\] codebook = \"codebook\.csv\": the file is not utf-8 text")
    path.write_text(
        path.read_text().replace('layout = "wide"', 'layout = "wide"\nencoding = "cp1252"')
    )
    with pytest.warns(RowsExcludedWarning):
        inputs = load_inputs(load_config(path))
    assert inputs.labels["negotiates"] == "Il négocie"


# --------------------------------------------------------------------------- long layout
def test_long_export_with_codes(tmp_path):
    wide = pd.read_csv(FIXTURE / "export.csv", dtype=str, keep_default_na=False)
    codebook = pd.read_csv(FIXTURE / "codebook.csv")
    long = wide.melt(
        id_vars=["ID", "timepoint", "arm"],
        value_vars=list(codebook["indicator"]) + ["interviewer"],
        var_name="item",
        value_name="answer",
    )
    long.to_csv(tmp_path / "long.csv", index=False)
    shutil.copy(FIXTURE / "persons.csv", tmp_path / "persons.csv")
    shutil.copy(FIXTURE / "codebook.csv", tmp_path / "codebook.csv")
    config = CONFIG.replace('survey = "export.csv"', 'survey = "long.csv"').replace(
        'layout = "wide"', 'layout = "long"'
    )
    config = config.replace(
        'group = "arm"', 'group = "arm"\nindicator = "item"\nresponse = "answer"'
    )
    (tmp_path / "eval.toml").write_text(config)
    with pytest.warns(RowsExcludedWarning) as caught:
        inputs = load_inputs(load_config(tmp_path / "eval.toml"))
    texts = [str(w.message) for w in caught]
    assert any(
        "357 row(s) of long.csv ([data] survey) are for 1 indicator(s) not listed" in t
        and '"interviewer"' in t
        for t in texts
    )
    assert inputs.panel.n_persons == 80
    assert list(inputs.panel.waves)[0] == "baseline"
