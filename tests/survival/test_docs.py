"""Execute every ```python block of docs/survival.md in one namespace (the user guide must run)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib

DOC = Path(__file__).resolve().parents[2] / "docs" / "survival.md"


def test_survival_guide_runs(capsys):
    matplotlib.use("Agg")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 5
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)
    out = capsys.readouterr().out
    assert "PASS" in out and "FAIL" not in out
    assert "0.694" in out and "0.778" in out
