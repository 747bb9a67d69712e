"""Execute every ```python block of docs/weighting.md in order, in one namespace, in a temp dir."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "weighting.md"


def test_docs_code_blocks_run(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 7
    monkeypatch.chdir(tmp_path)  # the example saves figures
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    assert round(namespace["mest"].std_error, 1) == 798.2
    assert namespace["rep"].passed
    assert (tmp_path / "lalonde_love.png").exists()
    assert "BalanceWarning" in type(namespace["caught"][0].message).__name__
