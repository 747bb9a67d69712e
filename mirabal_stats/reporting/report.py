"""The evaluation report object and how it is written to a folder."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mirabal_stats._results import Provenance
from mirabal_stats.exceptions import ConfigError, SpecificationError
from mirabal_stats.reporting.document import Note, Section, Table
from mirabal_stats.reporting.html import render_html
from mirabal_stats.reporting.sections.diagnostics import plain_language

__all__ = [
    "EXIT_BUG",
    "EXIT_OK",
    "EXIT_STEPS_FAILED",
    "EXIT_USER_ERROR",
    "LOG_NAME",
    "EvaluationReport",
    "WrittenReport",
    "neutralise_csv",
]

#: Exit status of ``mirabal-stats evaluate`` (and :attr:`EvaluationReport.exit_code`).
EXIT_OK = 0  # every analysis step ran
EXIT_STEPS_FAILED = 1  # some steps could not run on these data; the report says why
EXIT_USER_ERROR = 2  # the config or the data is invalid; nothing was analysed
EXIT_BUG = 3  # an internal error (a bug in mirabal_stats)

#: File name of the log written next to the report (library warnings, step timings, tracebacks).
LOG_NAME = "mirabal_stats.log"

#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells, labels and headers cannot run as spreadsheet formulas.

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'``
    (OWASP, CSV injection); numbers are left as they are (``-0.5`` stays a number).
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(_neutralise)
    if isinstance(out.index, pd.MultiIndex):
        out.index = pd.MultiIndex.from_tuples(
            [tuple(_neutralise(v) for v in label) for label in out.index], names=out.index.names
        )
    else:
        out.index = pd.Index([_neutralise(v) for v in out.index], name=out.index.name)
    out.columns = [_neutralise(c) for c in out.columns]
    out.index.names = [_neutralise(n) for n in out.index.names]
    return out


@dataclass(frozen=True)
class WrittenReport:
    """Paths of the files written by :meth:`EvaluationReport.write`."""

    folder: Path
    html: Path
    tables: tuple[Path, ...]
    config: Path | None
    provenance: Path
    log: Path


@dataclass(frozen=True)
class EvaluationReport:
    """A finished evaluation: ordered sections, the config text and the provenance.

    Built by :func:`mirabal_stats.reporting.evaluate`; write it with :meth:`write`.

    Attributes
    ----------
    title : str
    sections : tuple of Section
        In report order, "Key findings and checks" first. Sections whose analysis could not run
        hold one "omitted" note saying why.
    config_text : str
        The configuration file as written (copied next to the report).
    provenance : Provenance
        Package versions, seed, fingerprint of the survey data and every setting.
    steps : tuple
        The record of every analysis step (name, title, status, reason, warnings).
    checks : tuple
        The pass/fail checks of the key-findings block.
    log_lines : tuple of str
        Written to ``mirabal_stats.log``: step timings, library warnings, tracebacks.
    quick : str or None
        The "not for reporting" label of a ``--quick`` run.
    """

    title: str
    sections: tuple[Section, ...]
    config_text: str
    provenance: Provenance
    steps: tuple = ()
    checks: tuple = ()
    log_lines: tuple[str, ...] = ()
    quick: str | None = None

    def section(self, key: str) -> Section:
        """The section with anchor ``key`` (e.g. ``"attrition"``)."""
        for section in self.sections:
            if section.key == key:
                return section
        raise SpecificationError(
            f"No section {key!r}; sections are {[s.key for s in self.sections]}."
        )

    def tables(self) -> dict[str, Table]:
        """Every table in the report by CSV name."""
        found: dict[str, Table] = {}
        for section in self.sections:
            for table in section.tables():
                if table.name in found:
                    raise SpecificationError(
                        f"Two report tables share the CSV name {table.name!r}."
                    )
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

    def failed_steps(self) -> list:
        """Steps that could not run on these data (``failed``), or hit a bug (``bug``)."""
        return [s for s in self.steps if s.status in ("failed", "bug", "unavailable")]

    @property
    def exit_code(self) -> int:
        """0 every step ran; 1 some steps could not run; 3 a step hit a bug (see the log)."""
        statuses = {s.status for s in self.steps}
        if "bug" in statuses:
            return EXIT_BUG
        if statuses & {"failed", "unavailable"}:
            return EXIT_STEPS_FAILED
        return EXIT_OK

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
            f"Python {prov.python}; {versions}. Every table is also in tables/*.csv; warnings of "
            f"underlying libraries and step timings are in {LOG_NAME}."
        )
        return render_html(
            title=self.title,
            subtitle=subtitle,
            sections=self.sections,
            footer=footer,
            banner=self.quick,
        )

    def summary(self) -> str:
        """The terminal summary: quick-run label, failed checks and steps, every warning."""
        lines = [f"{self.title}: {len(self.sections)} sections, {len(self.tables())} tables."]
        if self.quick:
            lines.append(self.quick)
        if self.omitted():
            lines.append("Not produced: " + ", ".join(self.omitted()) + " (the report says why).")
        failed = [c for c in self.checks if c.failed]
        passed = [c for c in self.checks if c.status == "PASS"]
        if self.checks:
            lines.append(
                f"Checks: {len(passed)} passed, {len(failed)} failed, "
                f"{len(self.checks) - len(passed) - len(failed)} not run or not applicable."
            )
        for check in failed:
            lines.append(f"  FAILED {check.name}: {check.detail}")
        for step in self.failed_steps():
            label = "BUG" if step.status == "bug" else "NOT RUN"
            lines.append(f"  {label} {step.title}: {step.reason}")
        warned = _our_warnings(self.steps)
        if warned:
            lines.append(f"{len(warned)} warning(s) from the analyses (all are in the report):")
            for name, text, category in warned:
                lines.append(f"  - [{name}] {text}")
                # The library's advice speaks Python; the evaluator acts through the config.
                advice = plain_language(category)
                if "config" in advice:
                    lines.append(f"    What to do: {advice}")
        return "\n".join(lines)

    def write(self, folder: str | Path) -> WrittenReport:
        """Write ``report.html``, ``tables/*.csv``, ``config.toml``, ``provenance.json`` and the log.

        The folder is created if needed; files already there with the same names are replaced.

        Raises
        ------
        ConfigError
            If ``folder`` exists as a file.
        """
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise ConfigError(
                f"The report folder {str(folder)!r} is an existing file; give the name of a "
                "folder (output = ... in the config, or --output DIR)."
            )
        table_dir = folder / "tables"
        table_dir.mkdir(parents=True, exist_ok=True)
        table_paths = []
        for name, table in self.tables().items():
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
                raise SpecificationError(f"Table name {name!r} is not a safe file name.")
            path = table_dir / f"{name}.csv"
            frame = table.csv
            if isinstance(frame.columns, pd.MultiIndex):
                # One header row in the CSV: "intervention|1", "intervention|2", ...
                frame = frame.set_axis(["|".join(map(str, c)) for c in frame.columns], axis=1)
            # A default RangeIndex carries no information; any other index is a label column.
            has_labels = not (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None)
            neutralise_csv(frame).to_csv(path, index=has_labels)
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
        log_path = folder / LOG_NAME
        log_path.write_text("\n".join(self.log_lines) + "\n", encoding="utf-8")
        return WrittenReport(
            folder=folder,
            html=html_path,
            tables=tuple(table_paths),
            config=config_path,
            provenance=provenance_path,
            log=log_path,
        )


def _our_warnings(steps: Sequence) -> list[tuple[str, str, type[Warning]]]:
    seen, found = set(), []
    for step in steps:
        for item in getattr(step, "ours", []):
            text = str(item.message)
            if text not in seen:
                seen.add(text)
                found.append((step.name, text, item.category))
    return found
