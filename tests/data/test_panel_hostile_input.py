"""Issue 14: hostile and messy input to IndicatorPanel, one regression test per defect family.

Each test names its family (F1, F7, ...) from issue 14. Every refusal is a named
PanelValidationError whose message says what, where and how to fix it; everything treated as
missing is counted in ``panel.notes`` and the grid always adds up.
"""

import numpy as np
import pandas as pd
import pytest

from mirabal_stats import IndicatorPanel
from mirabal_stats.exceptions import MirabalError, PanelValidationError

INDICATORS = {"slapped": "safety", "negotiates": "communication"}


def wide_frame(**overrides):
    frame = pd.DataFrame(
        {
            "id": [1, 1, 2, 2, 3, 3, 4, 4],
            "wave": [1, 2] * 4,
            "arm": ["P"] * 4 + ["C"] * 4,
            "slapped": ["yes", "no", "yes", "no", "no", "yes", "yes", "no"],
            "negotiates": ["no", "yes", "no", "yes", "yes", "no", "no", "yes"],
            "age": [30, 30, 40, 40, 50, 50, 60, 60],
        }
    )
    for column, values in overrides.items():
        frame[column] = values
    return frame


def wide(frame, **kwargs):
    options = dict(
        person="id",
        wave="wave",
        group="arm",
        treated="P",
        indicators=INDICATORS,
        covariates=["age"],
    )
    options.update(kwargs)
    return IndicatorPanel.from_wide(frame, **options)


def long_frame(frame=None):
    frame = wide_frame() if frame is None else frame
    return frame.melt(
        id_vars=["id", "wave", "arm", "age"],
        value_vars=list(INDICATORS),
        var_name="item",
        value_name="answer",
    )


def long(frame, **kwargs):
    options = dict(
        person="id",
        wave="wave",
        indicator="item",
        response="answer",
        group="arm",
        treated="P",
        covariates=["age"],
        measure=INDICATORS,
    )
    options.update(kwargs)
    return IndicatorPanel.from_long(frame, **options)


def assert_grid_adds_up(panel):
    grid = panel.n_persons * len(panel.waves) * len(panel.indicators)
    assert panel.n_observed + panel.n_missing == grid
    assert panel.n_observed == int(panel.to_long()["response"].notna().sum())


# ----------------------------------------------------------------------------- F1
@pytest.mark.parametrize("build", [wide, long], ids=["wide", "long"])
def test_covariate_blank_on_first_row_takes_the_known_value(build):
    """F1: a covariate blank on a person's first row but known later is the known value."""
    frame = wide_frame(age=[np.nan, 30, 40, np.nan, np.nan, np.nan, 60, 60])
    data = frame if build is wide else long_frame(frame)
    panel = build(data)
    base = panel.baseline().set_index("person")["age"]
    assert base[1] == 30 and base[2] == 40 and base[4] == 60
    assert np.isnan(base[3])  # never known: stays missing, and is reported
    assert any(
        "covariate 'age' is missing for 1 of 4 persons (e.g. person 3)" in n for n in panel.notes
    )
    assert panel.to_wide().set_index("person")["age"].loc[1].tolist() == [30.0, 30.0]


# ----------------------------------------------------------------------------- F7
def test_repeated_wave_in_wave_order_is_refused():
    """F7: wave_order listing a wave twice used to duplicate waves and break attrition_table()."""
    frame = wide_frame(wave=["before", "after"] * 4)
    with pytest.raises(
        PanelValidationError, match=r"wave_order lists wave 'before' more than once"
    ):
        wide(frame, wave_order=["before", "after", "before"])
    panel = wide(frame, wave_order=["before", "after"])
    assert panel.waves == ("before", "after")
    assert len(panel.attrition_table()) == 4


@pytest.mark.parametrize("bad", [np.nan, None, ["before"]], ids=["nan", "none", "list"])
def test_wave_order_with_a_missing_or_unhashable_wave_is_refused(bad):
    """F7: wave_order holding NaN/None or a list is not a wave label."""
    frame = wide_frame(wave=["before", "after"] * 4)
    with pytest.raises(PanelValidationError, match=r"wave_order holds .* not a wave label"):
        wide(frame, wave_order=["before", "after", bad])


def test_wave_order_must_be_a_list():
    """F7: a string wave_order would be read letter by letter."""
    frame = wide_frame(wave=["a", "b"] * 4)
    with pytest.raises(PanelValidationError, match=r"wave_order must be a list.*got 'ab'"):
        wide(frame, wave_order="ab")


# ----------------------------------------------------------------------------- F8
@pytest.mark.parametrize("build", [wide, long], ids=["wide", "long"])
def test_same_person_as_number_and_text_is_refused(build):
    """F8: person 7 and "7" silently became two persons."""
    frame = wide_frame(id=[7, "7", 2, 2, 3, 3, 4, 4])
    data = frame if build is wide else long_frame(frame)
    with pytest.raises(
        PanelValidationError, match=r"column 'id' \(person\) writes the same id both as a number"
    ):
        build(data)


def test_same_wave_as_number_and_text_is_refused():
    """F8: the same check on the wave column (1 and "1" would be two waves)."""
    frame = wide_frame(wave=[1, "1", 1, 2, 1, 2, 1, 2])
    with pytest.raises(PanelValidationError, match=r"column 'wave' \(wave\) writes the same id"):
        wide(frame, wave_order=[1, "1", 2])


# ----------------------------------------------------------------------------- F18
def test_duplicate_column_labels_are_refused():
    """F18: duplicate column labels crashed from_wide (AttributeError) and from_long."""
    frame = wide_frame()
    frame.columns = ["id", "wave", "arm", "slapped", "slapped", "age"]
    with pytest.raises(PanelValidationError, match=r"duplicate column labels 'slapped'"):
        wide(frame, indicators={"slapped": "safety"})
    data = long_frame()
    data = pd.concat([data, data[["age"]]], axis=1)
    with pytest.raises(PanelValidationError, match=r"duplicate column labels 'age'"):
        long(data)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"covariates": ["id"]}, r"column 'id' is given as person and again as a covariate"),
        ({"covariates": ["arm"]}, r"column 'arm' is given as group and again as a covariate"),
        (
            {"indicators": {"slapped": "safety", "wave": "x"}},
            r"column 'wave' is given as wave and again as an indicator",
        ),
        (
            {"indicators": {"slapped": "safety", "age": "x"}},
            r"column 'age' is given as a covariate and again as an indicator",
        ),
        ({"covariates": ["age", "age"]}, r"column 'age' is given as a covariate and again.*once"),
    ],
)
def test_from_wide_refuses_one_column_in_two_roles(options, message):
    """F18: a covariate or indicator that is also the person/wave/group column."""
    with pytest.raises(PanelValidationError, match=message):
        wide(wide_frame(), **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"covariates": ["id"]}, r"column 'id' is given as person and again as a covariate"),
        ({"group": "id"}, r"column 'id' is given as person and again as group"),
        ({"measure": "item"}, r"column 'item' is given as indicator and again as measure"),
    ],
)
def test_from_long_refuses_one_column_in_two_roles(options, message):
    """F18: from_long raised "truth value of a Series is ambiguous" on such clashes."""
    with pytest.raises(PanelValidationError, match=message):
        long(long_frame(), **options)


# ----------------------------------------------------------------------------- F19
@pytest.mark.parametrize("missing", [None, np.nan], ids=["none", "nan"])
def test_missing_measure_in_a_mapping_is_refused_like_in_a_column(missing):
    """F19: a measure of None/NaN in the mapping was accepted (refused from a column)."""
    with pytest.raises(PanelValidationError, match=r"indicator 'slapped' has no measure"):
        wide(wide_frame(), indicators={"slapped": missing, "negotiates": "communication"})
    with pytest.raises(PanelValidationError, match=r"indicator 'slapped' has no measure"):
        long(long_frame(), measure={"slapped": missing, "negotiates": "communication"})
    data = long_frame()
    data["domain"] = data["item"].map({"slapped": missing, "negotiates": "communication"})
    with pytest.raises(PanelValidationError, match=r"indicator 'slapped' has no measure"):
        long(data, measure="domain")


# ----------------------------------------------------------------------------- F20
def test_indicator_named_like_a_helper_column_works_in_from_wide():
    """F20: an indicator column named "__response" broke from_wide (melt's value_name)."""
    frame = wide_frame().rename(columns={"slapped": "__response", "negotiates": "__indicator"})
    panel = wide(frame, indicators={"__response": "safety", "__indicator": "communication"})
    assert panel.indicators == ("__response", "__indicator")
    assert panel.n_observed == 16
    assert list(panel.to_wide().columns) == [
        "person",
        "wave",
        "group",
        "age",
        "__response",
        "__indicator",
    ]


@pytest.mark.parametrize("name", ["person", "wave", "group", "measure", "response", "treated"])
def test_indicator_named_like_a_panel_column_is_refused(name):
    """F20: an indicator named "person" broke to_wide(); the message says how to rename."""
    frame = wide_frame().rename(columns={"wave": "visit"}).rename(columns={"slapped": name})
    with pytest.raises(
        PanelValidationError,
        match=rf"indicator '{name}' has the name of a column of the panel's own tables.*"
        rf"rename\(columns=\{{'{name}': '{name}_indicator'\}}\)",
    ):
        wide(frame, wave="visit", indicators={name: "safety", "negotiates": "communication"})
    data = long_frame()
    data["item"] = data["item"].replace({"slapped": name})
    with pytest.raises(
        PanelValidationError,
        match=rf"indicator '{name}' has the name.*data\[indicator\]\.replace",
    ):
        long(data, measure=None)


def test_indicator_named_like_a_covariate_is_refused():
    """F20: an indicator (from_long) with a covariate's name gives to_wide() two such columns."""
    data = long_frame()
    data["item"] = data["item"].replace({"slapped": "age"})
    with pytest.raises(PanelValidationError, match=r"indicator 'age' has the name of a covariate"):
        long(data, measure=None)


def test_covariate_named_like_a_panel_column_is_refused():
    """F20: a covariate named "treated" would collide with baseline()'s treated column."""
    frame = wide_frame().rename(columns={"age": "treated"})
    with pytest.raises(PanelValidationError, match=r"covariate 'treated' has the name"):
        wide(frame, covariates=["treated"])


# ----------------------------------------------------------------------------- F24
def test_list_in_an_answer_cell_names_column_and_row():
    """F24: a list inside an answer cell raised pandas' "unhashable type"."""
    frame = wide_frame()
    frame.at[5, "slapped"] = ["yes", "no"]
    with pytest.raises(
        PanelValidationError,
        match=r"column 'slapped' \(an indicator\) holds a list in 1 row\(s\) \(e.g. row 5, person 3",
    ):
        wide(frame)
    data = long_frame()
    data.at[3, "answer"] = ["yes"]
    with pytest.raises(
        PanelValidationError, match=r"column 'answer' \(response\).*row 3, person 2"
    ):
        long(data)


@pytest.mark.parametrize("column", ["id", "wave", "arm", "age"])
def test_list_in_an_id_cell_is_refused(column):
    """F24: a list in a person, wave, group or covariate cell."""
    frame = wide_frame()
    frame[column] = frame[column].astype(object)
    frame.at[2, column] = [2]
    with pytest.raises(PanelValidationError, match=rf"column '{column}' .* holds a list.*row 2"):
        wide(frame)
    data = long_frame(frame)
    with pytest.raises(PanelValidationError, match=rf"column '{column}' .* holds a list"):
        long(data)


# ----------------------------------------------------------------------------- F25
@pytest.mark.parametrize("code", ["yes", "1", [1]], ids=["text", "digit-text", "list"])
def test_response_map_code_that_is_not_a_number_names_option_and_value(code):
    """F25: a response_map code written as text raised "could not convert string to float"."""
    frame = wide_frame(slapped=["oui", "no", "yes", "no", "no", "yes", "yes", "no"])
    with pytest.raises(
        PanelValidationError, match=r"response_map may only map answers to 0, 1 or None.*'oui' to"
    ):
        wide(frame, response_map={"oui": code})


def test_response_map_must_be_a_mapping_and_not_recode_missing():
    """F25: response_map given as a list, or recoding NaN (silently ignored before)."""
    with pytest.raises(PanelValidationError, match=r"response_map must be a mapping"):
        wide(wide_frame(), response_map=[("oui", 1)])
    with pytest.raises(PanelValidationError, match=r"response_map recodes a missing answer"):
        wide(wide_frame(), response_map={np.nan: 0})


def test_response_map_numeric_and_boolean_codes_still_work():
    """F25: valid codes (0, 1, True, None, 1.0) are accepted."""
    frame = wide_frame(slapped=["oui", "non", "nsp", "no", "no", "yes", "yes", "no"])
    panel = wide(frame, response_map={"oui": 1, "non": False, "nsp": None})
    assert panel.to_long()["response"].tolist()[:3] == [1.0, 0.0, 0.0]
    assert panel.n_observed == 15


# ----------------------------------------------------------------------------- F28
@pytest.mark.parametrize("treated", [True, "True", "true"])
def test_nullable_boolean_group_column_works(treated):
    """F28: a pandas nullable "boolean" group column; treated="True" (as a config writes it)."""
    frame = wide_frame(arm=pd.array([True] * 4 + [False] * 4, dtype="boolean"))
    panel = wide(frame, treated=treated)
    assert panel.treated is True and panel.comparison is False
    assert panel.baseline()["treated"].tolist() == [1, 1, 0, 0]
    assert panel.to_arrays().person_group.tolist() == [1, 1, 0, 0]
    assert panel.attrition_table()["n_responding"].tolist() == [2, 2, 2, 2]
    assert panel.prevalence_table()["n"].sum() == panel.n_observed


def test_text_treated_label_matches_a_numeric_group():
    """F28: treated="1" matches a 0/1 group column (resolve_groups, shared with persons)."""
    panel = wide(wide_frame(arm=[1] * 4 + [0] * 4), treated="1")
    assert panel.treated == 1 and panel.baseline()["treated"].tolist() == [1, 1, 0, 0]


# ----------------------------------------------------------------------------- blanks, waves
def test_blank_and_whitespace_answers_are_missing_and_counted():
    """Empty or whitespace-only answers are missing cells, counted in notes (not errors)."""
    frame = wide_frame(slapped=["", "   ", "yes", "no", "no", "yes", "yes", "no"])
    frame = frame.iloc[:-1]  # person 4 has no row at wave 2: two absent cells
    panel = wide(frame)
    assert (panel.n_observed, panel.n_missing) == (12, 4)
    assert panel.notes[0] == (
        "4 of the 16 cells (4 persons x 2 waves x 2 indicators) have no answer and are kept as "
        "missing cells: 2 blank or missing answers (NaN, None or empty text), 2 "
        "person-wave-indicator combinations with no row in the data; 12 answers are observed."
    )
    assert_grid_adds_up(panel)


@pytest.mark.parametrize("dtype", ["category", "string"])
def test_blank_answers_are_missing_whatever_the_column_dtype(dtype):
    """Blank answers in a categorical or pandas string column are missing cells too."""
    frame = wide_frame(slapped=["", " ", "yes", "no", "no", "yes", "yes", None])
    frame["slapped"] = frame["slapped"].astype(dtype)
    panel = wide(frame)
    assert (panel.n_observed, panel.n_missing) == (13, 3)
    assert "3 blank or missing answers" in panel.notes[0]


def test_persons_without_any_answer_are_kept_and_counted():
    """A person whose every answer is blank stays in the panel and is reported in notes."""
    frame = wide_frame(
        slapped=["yes", "no", None, "", "no", "yes", "yes", "no"],
        negotiates=["no", "yes", " ", None, "yes", "no", "no", "yes"],
    )
    panel = wide(frame)
    assert panel.n_persons == 4 and panel.responded().loc[2].tolist() == [False, False]
    assert "1 of 4 persons have no observed answer (e.g. person 2)" in panel.notes[1]
    assert_grid_adds_up(panel)


def test_tuple_in_an_id_cell_is_refused():
    """F24: a tuple is hashable but is not one id (it crashed to_wide's sorting)."""
    frame = wide_frame(id=[(1, 2), 1, 2, 2, 3, 3, 4, 4])
    with pytest.raises(PanelValidationError, match=r"column 'id' \(person\) holds a tuple.*row 0"):
        wide(frame)


def test_answers_coded_missing_by_response_map_are_counted():
    """Answers that response_map codes as missing are counted apart from blanks."""
    frame = wide_frame(slapped=["dk", None, "yes", "no", "no", "yes", "yes", "no"])
    panel = wide(frame, response_map={"DK": None})
    assert "1 blank or missing answers" in panel.notes[0]
    assert "1 answers coded missing by response_map" in panel.notes[0]
    assert_grid_adds_up(panel)


def test_answers_with_stray_spaces_and_any_case_are_coded():
    """ "Yes ", " no", "YES", "nO" are yes/no answers."""
    frame = wide_frame(slapped=["Yes ", " no", "YES", "nO", "\tyes\n", "N", "y ", "False"])
    panel = wide(frame)
    assert panel.to_wide()["slapped"].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("build", [wide, long], ids=["wide", "long"])
def test_missing_wave_names_the_rows(build):
    """A wave column with NaN: a named error naming rows and a person."""
    frame = wide_frame(wave=[1, np.nan, 1, 2, 1, 2, np.nan, 2])
    data = frame if build is wide else long_frame(frame)
    with pytest.raises(
        PanelValidationError,
        match=r"column 'wave' \(wave\) is missing for \d+ rows \(rows .*person 1",
    ):
        build(data)


def test_missing_person_names_the_rows():
    """A person column with NaN: the rows are named."""
    frame = wide_frame(id=[1, 1, np.nan, 2, 3, 3, 4, 4])
    with pytest.raises(
        PanelValidationError, match=r"column 'id' \(person\) is missing for 1 rows \(row 2\)"
    ):
        wide(frame)


def test_covariates_must_be_a_list():
    """covariates="age" would be read letter by letter."""
    with pytest.raises(PanelValidationError, match=r"covariates must be a list of column names"):
        wide(wide_frame(), covariates="age")


def test_unhashable_beneficial_value_is_refused():
    """beneficial={"negotiates": ["increase"]} raised "unhashable type"."""
    with pytest.raises(PanelValidationError, match=r"beneficial\['negotiates'\] is \['increase'\]"):
        wide(wide_frame(), beneficial={"negotiates": ["increase"]})


@pytest.mark.parametrize(
    "mutate",
    [
        lambda f: f.assign(slapped=[{"a": 1}] + ["no"] * 7),
        lambda f: f.assign(id=[np.array([1])] + [1, 2, 2, 3, 3, 4, 4]),
        lambda f: f.assign(wave=[1.5, 2, 1, 2, 1, 2, 1, 2]),
        lambda f: f.assign(arm=["P", "P", "P", "P", "C", "C", "C", np.nan]),
        lambda f: f.assign(slapped=[2, 0, 1, 0, 1, 0, 1, 0]),
        lambda f: f.assign(slapped=[np.inf, 0, 1, 0, 1, 0, 1, 0]),
        lambda f: f.iloc[:0],
    ],
)
def test_hostile_cells_give_only_named_errors(mutate):
    """Whatever the cells hold, only a MirabalError escapes (or a valid panel that adds up)."""
    for build, data in ((wide, mutate(wide_frame())), (long, None)):
        if data is None:
            try:
                data = long_frame(mutate(wide_frame()))
            except Exception:
                continue
        try:
            panel = build(data)
        except MirabalError:
            continue
        assert_grid_adds_up(panel)


def test_subset_refuses_text_and_unhashable_choices():
    """subset(indicators="slapped") read letters; a list inside the choices raised TypeError."""
    panel = wide(wide_frame())
    with pytest.raises(
        PanelValidationError, match=r"indicators must be a list of indicator labels"
    ):
        panel.subset(indicators="slapped")
    with pytest.raises(PanelValidationError, match=r"1 person\(s\) not in the panel, e.g. \[1\]"):
        panel.subset(persons=[[1], 2])
    assert panel.subset(persons=(1, 4)).persons == (1, 4)
