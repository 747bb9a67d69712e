"""Running steps: outcomes, progress lines with elapsed time, library noise kept out of sight."""

from __future__ import annotations

import io
import logging
import re
import time
import warnings

import pytest

from mirabal_stats.exceptions import EstimationError, SamplingWarning
from mirabal_stats.reporting.progress import Progress, format_seconds
from mirabal_stats.reporting.steps import StepLog, quiet_libraries


def test_progress_numbers_steps_and_beats_while_a_step_runs():
    stream = io.StringIO()
    progress = Progress(stream, heartbeat=0.05, total=3)
    with progress.step("Sampling"):
        time.sleep(0.3)
    with progress.step("Failing") as outcome:
        outcome.failed = "EstimationError: no events"
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("[1/3] Sampling ...")
    assert any("still running: Sampling (" in line for line in lines)
    assert re.fullmatch(r"\[ +\d+s\]     done in \d\.\d s", lines[-3]), lines[-3]
    assert lines[-2].endswith("[2/3] Failing ...")
    assert "could not run (0.0 s): EstimationError: no events" in lines[-1]


@pytest.mark.parametrize(
    ("seconds", "text"), [(4.24, "4.2 s"), (185, "3 min 05 s"), (3720, "1 h 02 min")]
)
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_step_outcomes():
    log = StepLog()

    def warns():
        warnings.warn("ESS 18 for wave_sd", SamplingWarning, stacklevel=1)
        warnings.warn("old API", FutureWarning, stacklevel=1)
        return 42

    def fails():
        raise EstimationError("no events in group 'comparison'")

    def bug():
        raise KeyError("oops")

    assert log.run("a", "Step A", warns) == 42
    assert log.run("b", "Step B", fails) is None
    assert log.run("c", "Step C", bug) is None
    a, b, c = log.steps
    assert a.status == "ran" and [str(w.message) for w in a.ours] == ["ESS 18 for wave_sd"]
    assert [w.category for w in a.theirs] == [FutureWarning]
    assert (b.status, b.error_type) == ("failed", "EstimationError")
    assert (c.status, c.error_type) == ("bug", "KeyError")
    assert "Traceback" in c.traceback
    log_text = "\n".join(log.lines)
    assert "[a] builtins.FutureWarning" in log_text and "KeyError: 'oops'" in log_text
    with pytest.raises(EstimationError, match="no events in group 'comparison'"):
        log.run("d", "Step D", fails, reraise=True)
    with pytest.raises(KeyError, match="oops"):
        StepLog(debug=True).run("e", "Step E", bug)


def test_library_log_records_go_to_the_log_file(capsys):
    lines: list[str] = []
    logger = logging.getLogger("pytensor.tensor.blas")
    before = logging.getLogger("pytensor").handlers[:]
    with quiet_libraries(lines):
        logger.warning("Using NumPy C-API based implementation for BLAS functions.")
    assert lines == [
        "WARNING (pytensor.tensor.blas): Using NumPy C-API based implementation for BLAS functions."
    ]
    assert "BLAS" not in capsys.readouterr().err
    assert logging.getLogger("pytensor").handlers == before
