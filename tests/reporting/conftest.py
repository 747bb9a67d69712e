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
