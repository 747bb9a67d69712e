"""The report writer: self-contained HTML, one CSV per table, config and provenance copies."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure as MplFigure

from mirabal_stats._results import make_provenance
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
