"""Execute the Mirabal example of docs/bayes.md (the user guide must run), with tiny draws.

The example's ``fit(draws=..., tune=...)`` call is rewritten to 100 + 100 draws so that the test
checks that the code runs and prints what the guide says (~25 s, mostly compilation); the
numbers themselves are checked by the recovery and coverage tests. So few draws cannot reach an
effective sample size of 400: the test checks that the fit says so (a SamplingWarning naming the
ESS), and that no other warning class than the library's own appears. The toenail block calls the
reproduction, which ``test_bayes_mcmc.py::test_toenail_matches_adaptive_quadrature`` runs.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import pytest

from mirabal_stats.exceptions import SamplingWarning

DOC = Path(__file__).resolve().parents[2] / "docs" / "bayes.md"

pytestmark = pytest.mark.mcmc


def test_mirabal_example_in_guide_runs(capsys):
    matplotlib.use("Agg")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    example = [b for b in blocks if "load_mirabal_example" in b]
    assert len(example) == 1
    code, n = re.subn(r"fit\(draws=\d+, tune=\d+,", "fit(draws=100, tune=100,", example[0])
    assert n == 1
    namespace: dict = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SamplingWarning)
        exec(compile(code, str(DOC), "exec"), namespace)
    sampling = [str(w.message) for w in caught if issubclass(w.category, SamplingWarning)]
    assert any("Effective sample size is" in m for m in sampling), sampling
    d = namespace["result"].diagnostics_summary
    assert d.divergences == 0 and d.max_r_hat < 1.1, d
    out = capsys.readouterr().out
    assert "IndicatorModel: Bayesian difference in differences" in out
    assert "Across 34 indicators in 6 measures" in out
    for measure in (
        "communication",
        "space_for_action",
        "safety",
        "parenting",
        "awareness",
        "childhoods",
    ):
        assert measure in out
