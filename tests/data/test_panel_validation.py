"""Every validation error of IndicatorPanel, one check each, with the message asserted."""

import pandas as pd
import pytest

from mirabal_stats import IndicatorPanel
from mirabal_stats.exceptions import PanelValidationError


def long_frame(**overrides):
    frame = pd.DataFrame(
        {
            "pid": [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3],
            "wave": [1, 1, 2, 2] * 3,
            "item": ["slapped", "negotiates"] * 6,
            "answer": [
                "yes",
                "no",
                "no",
                "yes",
                "yes",
                "no",
                "yes",
                "no",
                "no",
                "yes",
                "no",
                "yes",
            ],
            "arm": ["programme"] * 8 + ["comparison"] * 4,
            "domain": ["safety", "communication"] * 6,
            "age": [30] * 4 + [40] * 4 + [50] * 4,
        }
    )
    for column, values in overrides.items():
        frame[column] = values
    return frame


def build(frame, **kwargs):
    options = dict(
        person="pid",
        wave="wave",
        indicator="item",
        response="answer",
        group="arm",
        treated="programme",
        measure="domain",
        covariates=["age"],
    )
    options.update(kwargs)
    return IndicatorPanel.from_long(frame, **options)


def test_valid_frame_builds():
    panel = build(long_frame())
    assert (panel.n_persons, panel.n_observed, panel.n_missing) == (3, 12, 0)


def test_missing_column_is_named():
    with pytest.raises(PanelValidationError, match=r"response column 'reply' is not in the data"):
        build(long_frame(), response="reply")
    with pytest.raises(PanelValidationError, match=r"'answr' is not.*did you mean 'answer'"):
        build(long_frame(), response="answr")


def test_duplicated_cell_names_the_cell():
    frame = pd.concat([long_frame(), long_frame().iloc[[0]]], ignore_index=True)
    with pytest.raises(
        PanelValidationError, match=r"2 rows duplicate.*pid=1, wave=1, item='slapped'"
    ):
        build(frame)


def test_person_in_both_groups():
    frame = long_frame()
    frame.loc[3, "arm"] = "comparison"
    with pytest.raises(
        PanelValidationError, match=r"1 person\(s\) appear in both groups.*person 1"
    ):
        build(frame)


def test_three_groups_rejected():
    frame = long_frame()
    frame.loc[8:, "arm"] = "waitlist"
    frame.loc[10:, "arm"] = "other"
    with pytest.raises(PanelValidationError, match=r"exactly two groups.*holds 3"):
        build(frame)


def test_treated_label_must_exist():
    with pytest.raises(PanelValidationError, match=r"treated='DVPP' is not one of the groups"):
        build(long_frame(), treated="DVPP")


def test_unorderable_waves_need_wave_order():
    frame = long_frame(wave=["before", "before", "after", "after"] * 3)
    with pytest.raises(PanelValidationError, match=r"cannot be ordered.*wave_order"):
        build(frame)
    panel = build(frame, wave_order=["before", "after"])
    assert panel.waves == ("before", "after")


def test_indicator_in_two_measures():
    frame = long_frame()
    frame.loc[2, "domain"] = "space"
    with pytest.raises(PanelValidationError, match=r"indicator 'slapped' is mapped to 2 measures"):
        build(frame)


def test_covariate_varying_within_person():
    frame = long_frame()
    frame.loc[1, "age"] = 31
    with pytest.raises(
        PanelValidationError, match=r"covariate 'age' varies within person.*person 1"
    ):
        build(frame)


def test_bad_response_values_are_counted():
    frame = long_frame()
    frame.loc[[0, 5], "answer"] = "sometimes"
    with pytest.raises(
        PanelValidationError, match=r"column 'answer'.*2 rows.*'sometimes' \(2 rows\).*pid=1"
    ):
        build(frame)


def test_response_map_accepts_extra_codes():
    frame = long_frame()
    frame.loc[[0, 5], "answer"] = "Don't know"
    panel = build(frame, response_map={"don't know": None})
    assert panel.n_observed == 10 and panel.n_missing == 2


def test_group_with_no_answers_is_empty():
    frame = long_frame()
    frame.loc[frame["arm"] == "comparison", "answer"] = None
    with pytest.raises(
        PanelValidationError, match=r"group 'comparison' has no person with an observed answer"
    ):
        build(frame)


def test_indicator_never_observed():
    frame = long_frame()
    frame.loc[frame["item"] == "negotiates", "answer"] = None
    with pytest.raises(
        PanelValidationError, match=r"1 indicator\(s\) are never observed.*'negotiates'"
    ):
        build(frame)


def test_missing_group_value():
    frame = long_frame()
    frame.loc[4, "arm"] = None
    with pytest.raises(
        PanelValidationError,
        match=r"column 'arm' \(group\) is missing for 1 rows \(row 4; e.g. person 2\)",
    ):
        build(frame)


def test_beneficial_direction_checked():
    with pytest.raises(PanelValidationError, match=r"beneficial\['negotiates'\] is 'up'"):
        build(long_frame(), beneficial={"negotiates": "up"})
    with pytest.raises(
        PanelValidationError, match=r"beneficial names 1 indicator\(s\) not in the data"
    ):
        build(long_frame(), beneficial={"hugs": "increase"})


def test_unmapped_indicator_in_measure_mapping():
    with pytest.raises(PanelValidationError, match=r"have no measure.*'negotiates'"):
        build(long_frame(), measure={"slapped": "safety"})


def test_from_wide_requires_indicator_mapping():
    wide = pd.DataFrame({"pid": [1], "wave": [1], "arm": ["programme"], "slapped": ["yes"]})
    with pytest.raises(PanelValidationError, match=r"indicators must be a non-empty mapping"):
        IndicatorPanel.from_wide(
            wide, person="pid", wave="wave", group="arm", treated="programme", indicators=[]
        )


def test_from_wide_duplicate_person_wave():
    wide = pd.DataFrame(
        {"pid": [1, 1], "wave": [1, 1], "arm": ["p", "p"], "slapped": ["yes", "no"]}
    )
    with pytest.raises(PanelValidationError, match=r"2 rows duplicate a pid-wave cell"):
        IndicatorPanel.from_wide(
            wide,
            person="pid",
            wave="wave",
            group="arm",
            treated="p",
            indicators={"slapped": "safety"},
        )


def test_panel_is_immutable():
    panel = build(long_frame())
    with pytest.raises(AttributeError, match="immutable"):
        panel._cells = None


def test_baseline_wave_must_exist():
    with pytest.raises(PanelValidationError, match=r"baseline_wave=7 is not a wave"):
        build(long_frame()).to_arrays(baseline_wave=7)
