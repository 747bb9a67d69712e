"""The report writer: self-contained HTML, one CSV per table, config and provenance copies."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure as MplFigure

from mirabal_stats._results import make_provenance
from mirabal_stats.exceptions import ConfigError
from mirabal_stats.reporting import EvaluationReport, Note, Paragraph, Section, SideBySide, Table
from mirabal_stats.reporting.document import figure_from_matplotlib, omitted_section
from tests.reporting.conftest import PNG_MAGIC


def _figure(name: str):
    fig = MplFigure(figsize=(2, 1.5))
    fig.add_subplot().plot([0, 1], [1, 0])
    return figure_from_matplotlib(fig, name=name, caption=f"caption {name}")


@pytest.fixture
def report():
    effects = pd.DataFrame(
        {"estimate": [1.5, -0.25], "lower": [0.5, -1.0], "upper": [2.5, 0.5]},
        index=pd.Index(["safety", "parenting <b>"], name="measure"),
    )
    wide = pd.DataFrame(
        [[10.0, 20.0, 30.0, 40.0]],
        index=pd.Index(["slapped"], name="indicator"),
        columns=pd.MultiIndex.from_product(
            [["intervention", "comparison"], [1, 2]], names=["group", "wave"]
        ),
    )
    sections = (
        Section(
            "data",
            "Data summary",
            (Paragraph("162 persons <script>alert(1)</script>"), Table("wide", "Wide table", wide)),
        ),
        Section(
            "effects",
            "Effects",
            (
                SideBySide(
                    (
                        ("Bayesian", Table("effects", "Effects", effects)),
                        ("Plot", _figure("forest")),
                    )
                ),
                Note("Intervals overlap.", kind="warning"),
                Table("long", "A long table", pd.DataFrame({"x": np.arange(500)}), show=False),
            ),
        ),
        omitted_section("reoffending", "Reoffending", "no person file."),
    )
    return EvaluationReport(
        title="Test report",
        sections=sections,
        config_text="seed = 1\n",
        provenance=make_provenance(random_seed=1, settings={"a": 1}),
    )


def test_written_files(report, tmp_path):
    written = report.write(tmp_path / "out")
    assert written.html.is_file()
    assert written.log.name == "mirabal_stats.log" and written.log.is_file()
    assert sorted(p.name for p in written.tables) == ["effects.csv", "long.csv", "wide.csv"]
    assert written.config.read_text() == "seed = 1\n"
    provenance = json.loads(written.provenance.read_text())
    assert provenance["random_seed"] == 1
    assert "numpy" in provenance["packages"]


def test_csv_holds_unrounded_numbers_and_labels(report, tmp_path):
    written = report.write(tmp_path)
    effects = pd.read_csv(tmp_path / "tables" / "effects.csv", index_col="measure")
    pd.testing.assert_frame_equal(effects, report.tables()["effects"].frame)
    wide = pd.read_csv(tmp_path / "tables" / "wide.csv")
    assert list(wide.columns) == [
        "indicator",
        "intervention|1",
        "intervention|2",
        "comparison|1",
        "comparison|2",
    ]
    assert len(pd.read_csv(tmp_path / "tables" / "long.csv")) == 500
    assert written.folder == tmp_path


def test_html_structure(report, parse_report):
    outline = parse_report(report.to_html())
    assert outline.open_tags == []
    assert outline.section_ids == ["data", "effects", "reoffending"]
    assert outline.headings == ["1. Data summary", "2. Effects", "3. Reoffending"]
    # Two visible tables; the long one is only named (CSV).
    assert outline.tables == 2
    assert "tables/long.csv" in outline.text
    assert outline.notes == {"warning": 1, "omitted": 1}
    assert outline.external == []


def test_images_are_embedded_png(report, parse_report):
    outline = parse_report(report.to_html())
    assert len(outline.images) == 1
    assert outline.images[0].startswith(PNG_MAGIC)


def test_text_is_escaped(report):
    page = report.to_html()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "parenting &lt;b&gt;" in page


def test_duplicate_table_names_rejected():
    table = Table("same", "t", pd.DataFrame({"a": [1]}))
    report = EvaluationReport(
        title="t",
        sections=(Section("a", "A", (table,)), Section("b", "B", (table,))),
        config_text="",
        provenance=make_provenance(),
    )
    with pytest.raises(ValueError, match="share the CSV name 'same'"):
        report.tables()


def test_omitted_and_warnings(report):
    assert report.omitted() == ["reoffending"]
    assert report.warnings() == ["Intervals overlap."]
    assert "Not produced: reoffending" in report.summary()


def test_note_kind_checked():
    with pytest.raises(ValueError, match="Note kind must be"):
        Note("x", kind="error")


def _page(table: Table, **kwargs) -> str:
    return EvaluationReport(
        title="t",
        sections=(Section("a", "A", (table,)),),
        config_text="",
        provenance=make_provenance(),
        **kwargs,
    ).to_html()


def test_probabilities_never_print_as_certain(parse_report):
    frame = pd.DataFrame(
        {
            "estimate": [5.5, 6.5, 7.5],
            "prob_beneficial": [0.9996, 0.004, 0.5],
            "p_value": [1e-9, 0.995, 0.049],
        },
        index=pd.Index(["a", "b", "c"], name="measure"),
    )
    text = parse_report(_page(Table("p", "p", frame))).text
    assert "1.00" not in text and "0.00" not in text
    assert text.count("> 0.99") == 2 and text.count("< 0.01") == 2
    assert "0.50" in text and "0.05" in text


def test_page_has_print_styles_and_no_scroll_boxes():
    page = _page(Table("long", "long", pd.DataFrame({"x": np.arange(300)})))
    assert "@media print" in page
    assert "nav.toc { display: none; }" in page
    assert "max-height: 34rem" not in page


def test_key_findings_come_before_the_contents():
    report = EvaluationReport(
        title="t",
        sections=(
            Section("key-findings", "Key findings and checks", (Paragraph("first"),)),
            Section("data", "Data", (Paragraph("second"),)),
        ),
        config_text="",
        provenance=make_provenance(),
        quick="QUICK RUN, NOT FOR REPORTING: tiny settings.",
    )
    page = report.to_html()
    assert (
        page.index('id="key-findings"') < page.index('<nav class="toc">') < page.index('id="data"')
    )
    assert page.index('class="banner"') < page.index('id="key-findings"')
    assert "QUICK RUN, NOT FOR REPORTING" in page


def test_csv_cells_are_neutralised(tmp_path):
    frame = pd.DataFrame(
        {
            "text": ["=1+1", "+A1", "-cmd", "@SUM(A1)", "\tx", "safe", "-"],
            "number": [-1.5, 2.0, -3.0, 0.0, 1.0, 2.0, 3.0],
        },
        index=pd.Index(["=a", "b", "c", "d", "e", "f", "g"], name="@label"),
    )
    report = EvaluationReport(
        title="t",
        sections=(Section("a", "A", (Table("hostile", "h", frame),)),),
        config_text="",
        provenance=make_provenance(),
    )
    report.write(tmp_path)
    back = pd.read_csv(tmp_path / "tables" / "hostile.csv", dtype=str, keep_default_na=False)
    assert back.columns.tolist() == ["'@label", "text", "number"]
    assert back["'@label"].tolist()[0] == "'=a"
    assert back["text"].tolist() == ["'=1+1", "'+A1", "'-cmd", "'@SUM(A1)", "'\tx", "safe", "'-"]
    assert back["number"].tolist()[0] == "-1.5"  # numbers stay numbers


def test_csv_frame_replaces_the_display_frame(tmp_path):
    shown = pd.DataFrame({"effect": ["+1.0 (0.1 to 2.0)"]})
    numbers = pd.DataFrame({"estimate": [1.0], "lower": [0.1], "upper": [2.0]})
    report = EvaluationReport(
        title="t",
        sections=(Section("a", "A", (Table("k", "k", shown, csv_frame=numbers),)),),
        config_text="",
        provenance=make_provenance(),
    )
    report.write(tmp_path)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "tables" / "k.csv"), numbers)
    assert "+1.0 (0.1 to 2.0)" in report.to_html()


def test_write_refuses_a_file_as_folder(report, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ConfigError, match=r"is an existing file; give the name of a folder"):
        report.write(target)


def test_terminal_summary_gives_the_config_advice_beside_a_library_warning():
    import warnings

    from mirabal_stats.exceptions import BalanceWarning, FewClustersWarning
    from mirabal_stats.reporting.steps import StepRecord

    def message(text, category):
        return warnings.WarningMessage(text, category, "x.py", 1)

    step = StepRecord(
        "weighting",
        "Propensity weights",
        warnings=[
            message(BalanceWarning("balance fails for prior_police"), BalanceWarning),
            message(FewClustersWarning("only 12 persons"), FewClustersWarning),
        ],
    )
    report = EvaluationReport(
        title="t", sections=(), config_text="", provenance=make_provenance(), steps=(step,)
    )
    lines = report.summary().splitlines()
    at = lines.index("  - [weighting] balance fails for prior_police")
    assert lines[at + 1].startswith("    What to do: ")
    assert '[weighting] options = { method = "entropy" }' in lines[at + 1]
    # Advice is given only where the plain-language text says what to change in the config.
    assert lines[lines.index("  - [weighting] only 12 persons") + 1 :] == []
