"""docs/cli.md lists every config key in its Markdown source, generated from the schema."""

from __future__ import annotations

import re
from pathlib import Path

from mirabal_stats.reporting.config import SCHEMA, config_reference_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _block() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- config-keys:start -->\n(.*?)<!-- config-keys:end -->", text, re.S)
    assert match, "docs/cli.md lost its config-keys markers"
    return match.group(1)


def test_config_key_table_is_in_sync_with_the_schema():
    assert _block() == config_reference_markdown(), (
        "docs/cli.md is out of date: paste the output of "
        "mirabal_stats.reporting.config.config_reference_markdown() between the markers"
    )


def test_every_key_is_listed():
    block = _block()
    for table, keys in SCHEMA.items():
        for name in keys:
            where = f"`[{table}]`" if table else "(top level)"
            assert f"| {where} | `{name}` |" in block, f"[{table}] {name}"
