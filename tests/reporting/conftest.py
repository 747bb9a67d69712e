"""Helpers for checking written reports: an HTML outline parsed with the standard library."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Outline:
    """What a report page contains, as found by the parser."""

    section_ids: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    tables: int = 0
    notes: dict[str, int] = field(default_factory=dict)
    text: str = ""
    open_tags: list[str] = field(default_factory=list)


class _OutlineParser(HTMLParser):
    _VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.outline = Outline()
        self._stack: list[str] = []
        self._in_heading = False
        self._chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in self._VOID:
            self._stack.append(tag)
        if tag == "section":
            self.outline.section_ids.append(attrs.get("id"))
        if tag == "h2":
            self._in_heading = True
            self.outline.headings.append("")
        if tag == "table":
            self.outline.tables += 1
        if tag == "img":
            src = attrs.get("src", "")
            prefix = "data:image/png;base64,"
            if src.startswith(prefix):
                self.outline.images.append(base64.b64decode(src[len(prefix) :], validate=True))
            else:
                self.outline.external.append(src)
        if tag in ("link", "script") and (attrs.get("href") or attrs.get("src")):
            self.outline.external.append(attrs.get("href") or attrs.get("src"))
        if tag == "div" and "note" in (attrs.get("class") or "").split():
            kind = (attrs.get("class") or "").split()[-1]
            self.outline.notes[kind] = self.outline.notes.get(kind, 0) + 1

    def handle_endtag(self, tag):
        if tag in self._VOID:
            return
        assert self._stack and self._stack[-1] == tag, (
            f"mismatched </{tag}> after {self._stack[-3:]}"
        )
        self._stack.pop()
        if tag == "h2":
            self._in_heading = False

    def handle_data(self, data):
        self._chunks.append(data)
        if self._in_heading:
            self.outline.headings[-1] += data

    def close(self):
        super().close()
        self.outline.text = " ".join(self._chunks)
        self.outline.open_tags = list(self._stack)


def outline_of(html_text: str) -> Outline:
    """Parse a report page; fails on mismatched tags."""
    parser = _OutlineParser()
    parser.feed(html_text)
    parser.close()
    return parser.outline


@pytest.fixture
def parse_report():
    return outline_of


# --------------------------------------------------------------------------- small studies
SMALL_INDICATORS = ["negotiates", "slapped_pushed", "injured", "children_frightened"]


def write_study(
    folder,
    *,
    extra: str = "",
    rename: dict | None = None,
    measures: dict | None = None,
    persons_edit=None,
    covariates: list | None = None,
    n_intervention: int = 30,
    n_comparison: int = 24,
    seed: int = 5,
    completion: float | None = None,
):
    """A small simulated study as CSV files plus a config; returns the config path.

    Every step but the ones switched on in ``extra`` is off, so tests stay fast: by default
    weighting, the Bayesian model, the cross-checks and the sensitivity analysis do not run and
    survival does (records and partners' reports). ``completion`` (the share of referred men
    who complete, as in ``simulate_mirabal``) adds a ``completed`` column to the person file.
    """
    from mirabal_stats.datasets import simulate_mirabal

    folder.mkdir(parents=True, exist_ok=True)
    panel, truth = simulate_mirabal(
        n_intervention=n_intervention,
        n_comparison=n_comparison,
        random_seed=seed,
        indicators=SMALL_INDICATORS,
        **({} if completion is None else {"completion": completion}),
    )
    wide = panel.to_wide()
    wide = wide[wide[SMALL_INDICATORS].notna().any(axis=1)]
    for column in SMALL_INDICATORS:
        wide[column] = wide[column].map({1.0: "yes", 0.0: "no"}).fillna("")
    rename = rename or {}
    wide = wide.rename(columns=rename)
    wide.to_csv(folder / "survey.csv", index=False)
    persons = truth.reoffending.drop(columns=["treated", "true_time"])
    if persons_edit is not None:
        persons = persons_edit(persons)
    persons.to_csv(folder / "persons.csv", index=False)
    names = [rename.get(k, k) for k in SMALL_INDICATORS]
    measures = measures or {
        "communication": [names[0]],
        "safety": names[1:3],
        "childhoods": [names[3]],
    }
    lines = [
        f"{toml_key(m)} = [{', '.join(toml_string(i) for i in inds)}]"
        for m, inds in measures.items()
    ]
    config = f"""
title = "Small study"
seed = 3
[data]
survey = "survey.csv"
persons = "persons.csv"
[design]
treated = "intervention"
baseline_wave = 1
positive_indicators = [{toml_string(names[0])}]
covariates = [{", ".join(toml_string(c) for c in covariates or [])}]
[measures]
{chr(10).join(lines)}
[survival]
duration = "reoffend_time"
event = "reoffend_event"
lower = "reoffend_lower"
upper = "reoffend_upper"
n_bootstrap = 20
"""
    switched_off = {"bayes", "frequentist", "sensitivity", "weighting"}
    switched_off -= {t for t in switched_off if f"[{t}]" in extra}
    for table in sorted(switched_off):
        config += f"[{table}]\nenabled = false\n"
    config += extra
    path = folder / "eval.toml"
    path.write_text(config, encoding="utf-8")
    return path


def toml_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def toml_key(text: str) -> str:
    import re

    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else toml_string(text)
