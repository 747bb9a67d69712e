"""Sphinx extension: run a reproduction at build time and insert its published-vs-reproduced table.

Usage in a MyST page::

    ```{reproduction} rossi_cox
    ```

The directive calls :func:`mirabal_stats.reproductions.run_reproduction` (``quick=True`` when the
environment variable ``MIRABAL_DOCS_QUICK`` is set), so every number on the page comes from the
code as it is at build time, never pasted. A reproduction outside its tolerance is shown as FAIL
and reported as a Sphinx warning; one that cannot run is shown as a warning box with the error.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _table(columns: list[str], rows: list[list[str]]) -> nodes.table:
    table = nodes.table(classes=["reproduction-table"])
    group = nodes.tgroup(cols=len(columns))
    table += group
    for _ in columns:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for text in columns:
        row += nodes.entry("", nodes.paragraph(text=text))
    head += row
    body = nodes.tbody()
    group += body
    for values in rows:
        row = nodes.row()
        for text in values:
            row += nodes.entry("", nodes.paragraph(text=text))
        body += row
    return table


def _fmt(value: float) -> str:
    return f"{value:.4g}"


class ReproductionDirective(Directive):
    """``{reproduction} NAME``: execute one reproduction and show its checks."""

    required_arguments = 1
    has_content = False
    option_spec = {"quick": directives.flag}

    def run(self):
        from mirabal_stats.reproductions import REPRODUCTIONS, run_reproduction

        name = self.arguments[0]
        quick = "quick" in self.options or bool(os.environ.get("MIRABAL_DOCS_QUICK"))
        if name not in REPRODUCTIONS:
            raise self.error(f"unknown reproduction {name!r}; known: {', '.join(REPRODUCTIONS)}")
        start = time.perf_counter()
        try:
            result = run_reproduction(name, quick=quick)
        except Exception as err:  # shown on the page and as a build warning, never hidden
            logger.warning(
                f"reproduction {name!r} could not run: {type(err).__name__}: {err}",
                location=(self.state.document.settings.env.docname, self.lineno),
            )
            box = nodes.warning()
            box += nodes.paragraph(
                text=f"This example could not be executed when the documentation was built: "
                f"{type(err).__name__}: {err}"
            )
            return [box]
        seconds = time.perf_counter() - start
        frame = result.to_frame()
        # Long reasons would squeeze the table: number the distinct ones and list them below.
        reasons = list(dict.fromkeys(frame["reason"].astype(str)))
        rows = [
            [
                str(quantity),
                _fmt(r.published),
                _fmt(r.reproduced),
                _fmt(r.difference),
                _fmt(r.tolerance),
                "pass" if r.passed else "FAIL",
                f"[{reasons.index(str(r.reason)) + 1}]",
            ]
            for quantity, r in frame.iterrows()
        ]
        verdict = "PASS" if result.passed else "FAIL"
        if not result.passed:
            logger.warning(
                f"reproduction {name!r} is outside its tolerance",
                location=(self.state.document.settings.env.docname, self.lineno),
            )
        out = [
            nodes.paragraph(text=f"Source: {result.source}"),
            nodes.paragraph(
                text=f"Published vs reproduced [{verdict}] — executed when these pages were "
                f"built ({'quick' if quick else 'full'} settings, {seconds:.0f} s)."
            ),
            _table(
                [
                    "quantity",
                    "published",
                    "reproduced",
                    "difference",
                    "tolerance",
                    "verdict",
                    "why this tolerance",
                ],
                rows,
            ),
        ]
        reason_list = nodes.enumerated_list()
        for text in reasons:
            reason_list += nodes.list_item("", nodes.paragraph(text=text))
        out.append(nodes.paragraph(text="Why these tolerances:"))
        out.append(reason_list)
        if result.notes:
            out.append(nodes.paragraph(text=result.notes))
        return out


class ConfigSchemaDirective(Directive):
    """``{config-schema}``: the table of every config key, generated from the schema itself."""

    has_content = False

    def run(self):
        from mirabal_stats.reporting.config import SCHEMA

        rows = []
        for table, keys in SCHEMA.items():
            where = f"[{table}]" if table else "(top level)"
            if not keys:
                rows.append(
                    [where, "any name", "list of indicator columns", "", "one key per measure"]
                )
            for name, key in keys.items():
                default = "required" if key.required else repr(key.default)
                kinds = " or ".join(t.__name__ for t in key.types)
                if key.choices:
                    kinds += f" ({' / '.join(map(str, key.choices))})"
                rows.append([where, name, kinds, default, key.help])
        return [_table(["table", "key", "type", "default", "meaning"], rows)]


def _always_rerun(app, env, added, changed, removed):
    """Pages with reproductions are re-read on every build, so their numbers are never stale."""
    return [
        name
        for name in env.found_docs
        if "{reproduction}" in Path(env.doc2path(name)).read_text(encoding="utf-8")
    ]


def setup(app):
    app.connect("env-get-outdated", _always_rerun)
    app.add_directive("reproduction", ReproductionDirective)
    app.add_directive("config-schema", ConfigSchemaDirective)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
