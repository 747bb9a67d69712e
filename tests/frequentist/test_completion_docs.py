"""docs/completion.md: the worked example runs and prints exactly the output shown on the page."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "completion.md"


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_worked_example_prints_the_documented_output():
    text = DOC.read_text()
    code = _blocks(text, "python")[0]
    shown = _blocks(text, "text")[0]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("error")  # the example must run without warnings
        exec(compile(code, str(DOC), "exec"), {"__name__": "docs_completion"})
    assert out.getvalue().rstrip() == shown.rstrip()
    # Every number quoted in the prose below the example comes from that output.
    for number in ("18.5", "16.2", "20.8", "19.4", "7.6", "13.0", "16.5", "2.6"):
        assert number in shown, number


def test_complier_survival_example_prints_the_documented_output():
    text = DOC.read_text()
    code = _blocks(text, "python")[1]
    shown = _blocks(text, "text")[1]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(code, str(DOC), "exec"), {"__name__": "docs_complier_survival"})
    assert out.getvalue().rstrip() == shown.rstrip()
    for number in ("1.37", "0.11", "2.44", "1.71"):
        assert number in shown, number


def test_vitamin_a_numbers_quoted_in_the_guide():
    from mirabal_stats.reproductions import run_reproduction

    table = run_reproduction("vitamin_a_cace").extra["estimates_per_1000"].loc["cace"]
    quoted = f"{table['estimate']:.2f} per 1,000 with a 90%\ninterval of {table['lower']:.2f} to "
    quoted += f"{table['upper']:.2f}"
    assert quoted in DOC.read_text()
