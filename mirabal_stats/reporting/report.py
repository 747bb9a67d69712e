"""The evaluation report object and how it is written to a folder."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mirabal_stats._results import Provenance
from mirabal_stats.reporting.document import Note, Section, Table
from mirabal_stats.reporting.html import render_html

__all__ = ["EvaluationReport", "WrittenReport"]


@dataclass(frozen=True)
class WrittenReport:
    """Paths of the files written by :meth:`EvaluationReport.write`."""

    folder: Path
    html: Path
    tables: tuple[Path, ...]
    config: Path | None
    provenance: Path


@dataclass(frozen=True)
class EvaluationReport:
    """A finished evaluation: ordered sections, the config text and the provenance.

    Built by :func:`mirabal_stats.reporting.evaluate`; write it with :meth:`write`.

    Attributes
    ----------
    title : str
    sections : tuple of Section
        In report order. Sections whose analysis could not run hold one "omitted" note.
    config_text : str
        The configuration file as written (copied next to the report).
    provenance : Provenance
        Package versions, seed, fingerprint of the survey data and every setting.
    """

    title: str
    sections: tuple[Section, ...]
    config_text: str
    provenance: Provenance

    def section(self, key: str) -> Section:
        """The section with anchor ``key`` (e.g. ``"attrition"``)."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(f"No section {key!r}; sections are {[s.key for s in self.sections]}.")

    def tables(self) -> dict[str, Table]:
        """Every table in the report by CSV name."""
        found: dict[str, Table] = {}
        for section in self.sections:
            for table in section.tables():
                if table.name in found:
                    raise ValueError(f"Two report tables share the CSV name {table.name!r}.")
                found[table.name] = table
        return found

    def warnings(self) -> list[str]:
        """Every plain-language warning in the report, in section order."""
        return [w for s in self.sections for w in s.warnings()]

    def omitted(self) -> list[str]:
        """Keys of sections that were not produced."""
        return [
            s.key
            for s in self.sections
            if any(isinstance(b, Note) and b.kind == "omitted" for b in s.blocks)
            and not s.tables()
            and not s.figures()
        ]

    def to_html(self) -> str:
        """The self-contained HTML page."""
        prov = self.provenance
        versions = ", ".join(f"{k} {v}" for k, v in prov.packages.items() if v != "not installed")
        subtitle = (
            f"Generated {prov.created} by mirabal_stats {prov.packages.get('mirabal_stats', '?')}"
            f" · seed {prov.random_seed} · survey data fingerprint {prov.data_fingerprint}"
        )
        footer = (
            f"Reproduce with: mirabal-stats evaluate config.toml (the copy in this folder). "
            f"Python {prov.python}; {versions}. Every table is also in tables/*.csv."
        )
        return render_html(
            title=self.title, subtitle=subtitle, sections=self.sections, footer=footer
        )

    def summary(self) -> str:
        """A few lines for the console: sections, omissions and warnings."""
        lines = [f"{self.title}: {len(self.sections)} sections, {len(self.tables())} tables."]
        if self.omitted():
            lines.append("Not produced: " + ", ".join(self.omitted()) + " (see the report).")
        warnings = self.warnings()
        if warnings:
            lines.append(f"{len(warnings)} warning(s); first: {warnings[0]}")
        return "\n".join(lines)

    def write(self, folder: str | Path) -> WrittenReport:
        """Write ``report.html``, ``tables/*.csv``, ``config.toml`` and ``provenance.json``.

        The folder is created if needed; files already there with the same names are replaced.
        """
        folder = Path(folder)
        table_dir = folder / "tables"
        table_dir.mkdir(parents=True, exist_ok=True)
        table_paths = []
        for name, table in self.tables().items():
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
                raise ValueError(f"Table name {name!r} is not a safe file name.")
            path = table_dir / f"{name}.csv"
            frame = table.frame
            if isinstance(frame.columns, pd.MultiIndex):
                # One header row in the CSV: "intervention|1", "intervention|2", ...
                frame = frame.set_axis(["|".join(map(str, c)) for c in frame.columns], axis=1)
            # A default RangeIndex carries no information; any other index is a label column.
            has_labels = not (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None)
            frame.to_csv(path, index=has_labels)
            table_paths.append(path)
        html_path = folder / "report.html"
        html_path.write_text(self.to_html(), encoding="utf-8")
        config_path = None
        if self.config_text:
            config_path = folder / "config.toml"
            config_path.write_text(self.config_text, encoding="utf-8")
        provenance_path = folder / "provenance.json"
        provenance_path.write_text(
            json.dumps(self.provenance.to_dict(), indent=2, sort_keys=True), encoding="utf-8"
        )
        return WrittenReport(
            folder=folder,
            html=html_path,
            tables=tuple(table_paths),
            config=config_path,
            provenance=provenance_path,
        )
