"""Render report sections as one self-contained HTML page.

Nothing is fetched when the page is opened: the style sheet is inline and figures are embedded as
base64 PNG ``data:`` URIs, so the file can be e-mailed or archived on its own. Every piece of text
from the data or the config is escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.reporting.document import Figure, Note, Paragraph, Section, SideBySide, Table

__all__ = ["render_html", "render_table"]

_CSS = """
:root { --ink: #1f2933; --muted: #52606d; --rule: #d9e2ec; --accent: #2f5d8a;
        --warn-bg: #fff4e5; --warn: #b45309; --info-bg: #eef4fb; --omit-bg: #f3f4f6; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0; line-height: 1.5; background: #fff; }
header.top { background: var(--accent); color: #fff; padding: 1.4rem 2rem; }
header.top h1 { margin: 0 0 .3rem 0; font-size: 1.7rem; }
header.top p { margin: 0; opacity: .9; font-size: .95rem; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 2rem 3rem 2rem; }
nav.toc { border: 1px solid var(--rule); border-radius: 6px; padding: .6rem 1.2rem; margin: 1rem 0; }
nav.toc ol { margin: .3rem 0; padding-left: 1.4rem; columns: 2; }
section { border-top: 2px solid var(--rule); margin-top: 2rem; padding-top: .5rem; }
h2 { color: var(--accent); font-size: 1.35rem; }
h3 { font-size: 1.05rem; margin: .8rem 0 .3rem 0; color: var(--muted); }
table.data { border-collapse: collapse; font-size: .85rem; margin: .4rem 0 .2rem 0;
             font-variant-numeric: tabular-nums; }
table.data th, table.data td { border-bottom: 1px solid var(--rule); padding: .2rem .6rem;
                                text-align: right; }
table.data th { background: #f5f7fa; }
table.data td.text { text-align: left; max-width: 34rem; }
table.data th.index { text-align: left; font-weight: 600; background: #f5f7fa; }
table.data th.text { text-align: left; }
table.data thead th[colspan] { text-align: center; border-bottom: 1px solid #9aa5b1; }
table.data thead th { vertical-align: bottom; }
.table-wrap { overflow-x: auto; margin-bottom: .8rem; }
td.status-pass { color: #166534; font-weight: 600; }
td.status-fail { color: #b91c1c; font-weight: 700; }
.banner { background: #b91c1c; color: #fff; font-weight: 700; padding: .6rem 2rem;
          letter-spacing: .02em; }
section.key { border-top: none; margin-top: 1rem; background: #f8fafc; border: 1px solid var(--rule);
              border-radius: 6px; padding: .2rem 1.2rem 1rem 1.2rem; }
section.key h2 { margin-top: .6rem; }
.caption { font-size: .85rem; color: var(--muted); margin: .2rem 0; }
.caption code { font-size: .8rem; }
figure { margin: .8rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { font-size: .85rem; color: var(--muted); }
.note { border-left: 4px solid var(--accent); background: var(--info-bg); padding: .5rem .8rem;
        margin: .6rem 0; font-size: .92rem; }
.note.warning { border-color: var(--warn); background: var(--warn-bg); }
.note.omitted { border-color: #9aa5b1; background: var(--omit-bg); color: var(--muted); }
.note strong { margin-right: .3rem; }
.side-by-side { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start; }
.side-by-side > div { flex: 1 1 420px; min-width: 0; }
footer { font-size: .8rem; color: var(--muted); border-top: 1px solid var(--rule);
         margin-top: 3rem; padding-top: .8rem; }
@media print {
  @page { margin: 1.5cm; }
  body { font-size: 10pt; }
  header.top { background: none; color: var(--ink); border-bottom: 2px solid var(--ink);
               padding: 0 0 .5rem 0; }
  .banner { background: none; color: #b91c1c; border: 2px solid #b91c1c; padding: .3rem; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  section { break-before: auto; }
  h2, h3, .caption { break-after: avoid; }
  figure, .note, tr { break-inside: avoid; }
  figure img { max-width: 100%; border: none; }
  .table-wrap { overflow: visible; max-height: none; }
  table.data { font-size: 8pt; }
  .side-by-side { display: block; }
  a { color: inherit; text-decoration: none; }
}
"""

_NOTE_LABEL = {"warning": "Warning.", "info": "Note.", "omitted": "Omitted."}


#: Columns holding probabilities: shown as "> 0.99" / "< 0.01" rather than rounded to 1 or 0.
PROBABILITY_COLUMNS = ("prob_beneficial", "p_value", "P(improved)", "probability")


def _is_probability(column: tuple) -> bool:
    name = str(column[-1])
    return name in PROBABILITY_COLUMNS or name.startswith("prob_")


def _format_probability(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if isinstance(value, (float, np.floating, int, np.integer)) and not isinstance(value, bool):
        p = float(value)
        if p > 0.99:
            return "> 0.99"
        if p < 0.01:
            return "< 0.01"
        return f"{p:.2f}"
    return str(value)


def _format_cell(value: object, digits: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        if value != 0 and abs(value) < 10 ** (-digits):
            return f"{value:.2g}"
        return f"{value:,.{digits}f}"
    if isinstance(value, (int, np.integer)):
        return f"{value:,d}"
    return str(value)


def _header_spans(labels: list[tuple], level: int) -> list[tuple[str, int]]:
    """Consecutive columns sharing their labels up to ``level`` merge into one header cell."""
    spans: list[tuple[str, int]] = []
    previous = None
    for label in labels:
        key = label[: level + 1]
        if key == previous:
            spans[-1] = (spans[-1][0], spans[-1][1] + 1)
        else:
            spans.append((str(label[level]), 1))
        previous = key
    return spans


def _table_html(frame: pd.DataFrame, digits: int) -> str:
    """A plain HTML table: index levels as left columns, grouped headers for MultiIndex columns."""
    show_index = not (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None)
    index_names = [str(n) if n is not None else "" for n in frame.index.names] if show_index else []
    columns = [c if isinstance(c, tuple) else (c,) for c in frame.columns]
    n_levels = max((len(c) for c in columns), default=1)
    level_names = list(frame.columns.names) if isinstance(frame.columns, pd.MultiIndex) else []
    # Text columns are left-aligned, header included (numbers stay right-aligned).
    text_columns = [
        len(frame) > 0 and all(isinstance(v, str) for v in frame.iloc[:, k])
        for k in range(frame.shape[1])
    ]
    head = []
    for level in range(n_levels):
        cells = []
        for k, name in enumerate(index_names):
            text = (
                name
                if level == n_levels - 1
                else (
                    str(level_names[level])
                    if k == 0 and level < len(level_names) and level_names[level] is not None
                    else ""
                )
            )
            cells.append(f'<th class="index">{html.escape(text)}</th>')
        position = 0
        for text, span in _header_spans(columns, level):
            attr = f' colspan="{span}"' if span > 1 else ""
            if level == n_levels - 1 and span == 1 and text_columns[position]:
                attr += ' class="text"'
            position += span
            cells.append(f"<th{attr}>{html.escape(text)}</th>")
        head.append(f"<tr>{''.join(cells)}</tr>")
    body = []
    probability = [_is_probability(c) for c in columns]
    for label, row in zip(frame.index, frame.itertuples(index=False, name=None)):
        labels = (label if isinstance(label, tuple) else (label,)) if show_index else ()
        cells = [f'<th class="index">{html.escape(_format_label(v, digits))}</th>' for v in labels]
        cells += [
            f"<td{_cell_class(v)}>"
            f"{html.escape(_format_probability(v) if prob else _format_cell(v, digits))}</td>"
            for v, prob in zip(row, probability)
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="data"><thead>{"".join(head)}</thead><tbody>{"".join(body)}</tbody></table>'
    )


_TEXT_CLASS = ' class="text"'
_STATUS_CLASS = {"PASS": ' class="text status-pass"', "FAIL": ' class="text status-fail"'}


def _cell_class(value: object) -> str:
    if isinstance(value, str):
        return _STATUS_CLASS.get(value, _TEXT_CLASS)
    return ""


def _format_label(value: object, digits: int) -> str:
    """Row labels: whole-number floats (e.g. a horizon of 6.0 months) without decimals."""
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return f"{int(value):d}"
    return _format_cell(value, digits)


def render_table(table: Table) -> str:
    """HTML for one table: a scrolling wrapper, the table, and a caption naming its CSV file."""
    if not table.show:
        return (
            f'<div class="table-block" id="table-{html.escape(table.name)}"><p class="caption">'
            f"{html.escape(table.caption)} <code>tables/{html.escape(table.name)}.csv</code> "
            f"({len(table.frame):,} rows; not shown here).</p></div>"
        )
    body = _table_html(table.frame, table.digits)
    caption = (
        f'<p class="caption">{html.escape(table.caption)} '
        f"<code>tables/{html.escape(table.name)}.csv</code></p>"
    )
    return (
        f'<div class="table-block" id="table-{html.escape(table.name)}">{caption}'
        f'<div class="table-wrap">{body}</div></div>'
    )


def _render_figure(figure: Figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    caption = html.escape(figure.caption)
    return (
        f'<figure id="figure-{html.escape(figure.name)}"><img alt="{caption}" '
        f'src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'
    )


def _render_block(block: object) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, Table):
        return render_table(block)
    if isinstance(block, Figure):
        return _render_figure(block)
    if isinstance(block, Note):
        label = _NOTE_LABEL[block.kind]
        return (
            f'<div class="note {block.kind}"><strong>{label}</strong>'
            f"{html.escape(block.text)}</div>"
        )
    if isinstance(block, SideBySide):
        columns = "".join(
            f"<div><h3>{html.escape(heading)}</h3>{_render_block(inner)}</div>"
            for heading, inner in block.columns
        )
        return f'<div class="side-by-side">{columns}</div>'
    raise SpecificationError(f"Cannot render a {type(block).__name__} in a report.")


def render_html(
    *,
    title: str,
    subtitle: str,
    sections: Sequence[Section],
    footer: str,
    banner: str | None = None,
) -> str:
    """Return the complete HTML page for ``sections``.

    The first section whose key is ``"key-findings"`` is shown before the table of contents, so
    it is the first thing on the page; ``banner`` (e.g. "quick run, not for reporting") is shown
    above everything in red.
    """
    toc = "".join(
        f'<li><a href="#{html.escape(s.key)}">{html.escape(s.title)}</a></li>' for s in sections
    )

    def render(i: int, s: Section) -> str:
        css = ' class="key"' if s.key == "key-findings" else ""
        return (
            f'<section id="{html.escape(s.key)}"{css}><h2>{i}. {html.escape(s.title)}</h2>'
            + "".join(_render_block(b) for b in s.blocks)
            + "</section>"
        )

    rendered = [render(i, s) for i, s in enumerate(sections, start=1)]
    lead = [r for r, s in zip(rendered, sections) if s.key == "key-findings"]
    rest = [r for r, s in zip(rendered, sections) if s.key != "key-findings"]
    top = f'<div class="banner" role="alert">{html.escape(banner)}</div>' if banner else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f'<body>{top}<header class="top"><h1>{html.escape(title)}</h1>'
        f"<p>{html.escape(subtitle)}</p></header><main>{''.join(lead)}"
        f'<nav class="toc"><strong>Contents</strong><ol>{toc}</ol></nav>{"".join(rest)}'
        f"<footer>{html.escape(footer)}</footer></main></body></html>\n"
    )
