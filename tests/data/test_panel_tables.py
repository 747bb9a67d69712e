"""Tables, arrays and round trips of IndicatorPanel on hand-made panels with known answers."""

import numpy as np
import pandas as pd
import pytest

from mirabal_stats import IndicatorPanel


@pytest.fixture
def survey():
    # 3 programme women, 2 comparison women, 3 waves; woman 2 drops out after wave 1,
    # woman 5 skips wave 2 and leaves one answer blank at wave 3.
    rows = [
        (1, 1, "P", "yes", "no"),
        (1, 2, "P", "no", "yes"),
        (1, 3, "P", "no", "yes"),
        (2, 1, "P", "yes", "no"),
        (3, 1, "P", "no", "no"),
        (3, 2, "P", "no", "no"),
        (3, 3, "P", "no", "yes"),
        (4, 1, "C", "yes", "no"),
        (4, 2, "C", "yes", "no"),
        (4, 3, "C", "no", "no"),
        (5, 1, "C", "yes", "yes"),
        (5, 3, "C", None, "yes"),
    ]
    frame = pd.DataFrame(rows, columns=["id", "wave", "arm", "slapped", "negotiates"])
    frame["age"] = frame["id"].map({1: 25, 2: 31, 3: 44, 4: 38, 5: 52})
    return frame


@pytest.fixture
def panel(survey):
    return IndicatorPanel.from_wide(
        survey,
        person="id",
        wave="wave",
        group="arm",
        treated="P",
        indicators={"slapped": "safety", "negotiates": "communication"},
        beneficial={"negotiates": "increase"},
        covariates=["age"],
    )


def test_counts_and_repr(panel):
    # 12 person-waves x 2 indicators = 24 rows, one blank -> 23 observed; grid 5*3*2 = 30.
    assert panel.n_observed == 23
    assert panel.n_missing == 7
    text = repr(panel)
    assert (
        "persons=5 [P: 3, C: 2]" in text
        and "observed cells=23" in text
        and "missing cells=7" in text
    )


def test_attrition_table(panel):
    table = panel.attrition_table().set_index(["group", "wave"])
    assert table.loc[("P", 1), "n_responding"] == 3
    assert table.loc[("P", 2), "n_responding"] == 2
    assert table.loc[("P", 3), "pct_of_baseline"] == pytest.approx(200 / 3)
    assert table.loc[("C", 2), "n_responding"] == 1
    assert table.loc[("C", 3), "n_responding"] == 2
    assert table.loc[("C", 2), "pct_of_group"] == pytest.approx(50.0)


def test_prevalence_table(panel):
    table = panel.prevalence_table().set_index(["indicator", "group", "wave"])
    assert table.loc[("slapped", "P", 1), ["n", "n_yes"]].tolist() == [3, 2]
    assert table.loc[("slapped", "P", 1), "pct_yes"] == pytest.approx(200 / 3)
    # The blank answer of woman 5 leaves one comparison answer at wave 3.
    assert table.loc[("slapped", "C", 3), ["n", "n_yes"]].tolist() == [1, 0]
    assert table.loc[("negotiates", "C", 3), "pct_yes"] == pytest.approx(50.0)
    assert table.loc[("negotiates", "P", 1), "measure"] == "communication"
    assert len(table) == 2 * 2 * 3


def test_prevalence_with_no_answers_is_nan():
    frame = pd.DataFrame(
        {
            "id": [1, 1, 2, 3],
            "wave": [1, 2, 1, 1],
            "arm": ["P", "P", "P", "C"],
            "slapped": ["yes", "no", "no", "yes"],
        }
    )
    panel = IndicatorPanel.from_wide(
        frame, person="id", wave="wave", group="arm", treated="P", indicators={"slapped": "safety"}
    )
    table = panel.prevalence_table().set_index(["group", "wave"])
    assert table.loc[("C", 2), "n"] == 0 and np.isnan(table.loc[("C", 2), "pct_yes"])


def test_baseline_one_row_per_person(panel):
    base = panel.baseline()
    assert base["person"].tolist() == [1, 2, 3, 4, 5]
    assert base["treated"].tolist() == [1, 1, 1, 0, 0]
    assert base["age"].tolist() == [25, 31, 44, 38, 52]


def test_arrays_codes_and_labels(panel):
    arrays = panel.to_arrays()
    assert arrays.n_obs == 23
    assert arrays.persons == (1, 2, 3, 4, 5) and arrays.waves == (1, 2, 3)
    assert arrays.benefit_sign.tolist() == [-1, 1]
    assert arrays.indicator_measure.tolist() == [0, 1]
    # Decoding the arrays gives back the observed long table.
    decoded = pd.DataFrame(
        {
            "person": np.array(arrays.persons)[arrays.person],
            "wave": np.array(arrays.waves)[arrays.wave],
            "indicator": np.array(arrays.indicators)[arrays.indicator],
            "response": arrays.response.astype(float),
        }
    )
    observed = panel.to_long(include_missing=False)[["person", "wave", "indicator", "response"]]
    pd.testing.assert_frame_equal(decoded, observed.reset_index(drop=True), check_dtype=False)
    assert arrays.responded[1].tolist() == [True, False, False]
    assert arrays.post.tolist() == (arrays.wave > 0).astype(int).tolist()
    assert arrays.group.tolist() == (arrays.person < 3).astype(int).tolist()
    with pytest.raises(ValueError, match="read-only"):
        arrays.response[0] = 1


def test_baseline_wave_sets_post(panel):
    arrays = panel.to_arrays(baseline_wave=2)
    assert arrays.baseline_wave == 1
    assert arrays.post.tolist() == (arrays.wave > 1).astype(int).tolist()


def test_round_trip_wide_long_wide(panel, survey):
    wide = panel.to_wide()
    again = IndicatorPanel.from_wide(
        wide,
        person="person",
        wave="wave",
        group="group",
        treated="P",
        indicators={"slapped": "safety", "negotiates": "communication"},
        beneficial={"negotiates": "increase"},
        covariates=["age"],
    )
    pd.testing.assert_frame_equal(again.to_long(), panel.to_long())
    long = panel.to_long()
    from_long = IndicatorPanel.from_long(
        long,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated="P",
        measure="measure",
        covariates=["age"],
        beneficial={"negotiates": "increase"},
    )
    pd.testing.assert_frame_equal(from_long.to_wide(), wide)


def test_responses_coded_from_mixed_types():
    frame = pd.DataFrame(
        {
            "id": [1, 1, 2, 2, 3, 3],
            "wave": [1, 2] * 3,
            "arm": ["P"] * 4 + ["C"] * 2,
            "slapped": ["YES", True, 0, " no ", 1.0, "N"],
        }
    )
    panel = IndicatorPanel.from_wide(
        frame, person="id", wave="wave", group="arm", treated="P", indicators={"slapped": "safety"}
    )
    assert panel.to_long()["response"].tolist() == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]


def test_subset_revalidates(panel):
    small = panel.subset(indicators=["negotiates"], waves=[1, 3])
    assert small.indicators == ("negotiates",) and small.waves == (1, 3)
    assert small.n_observed == 9  # negotiates at waves 1 and 3: 5 + 4 answers
    with pytest.raises(ValueError, match=r"not in the panel.*'hugs'"):
        panel.subset(indicators=["hugs"])


def test_ordered_categorical_waves():
    frame = pd.DataFrame(
        {
            "id": [1, 1, 2, 2],
            "arm": ["P", "P", "C", "C"],
            "slapped": ["yes", "no", "yes", "yes"],
            "wave": pd.Categorical(
                ["before", "after"] * 2, categories=["before", "after"], ordered=True
            ),
        }
    )
    panel = IndicatorPanel.from_wide(
        frame, person="id", wave="wave", group="arm", treated="P", indicators={"slapped": "safety"}
    )
    assert panel.waves == ("before", "after")
