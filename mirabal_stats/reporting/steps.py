"""Running the analysis steps of an evaluation: outcome, warnings and library noise of each.

:meth:`StepLog.run` runs one step and records how it ended:

- ``"ran"``: it produced its result (its warnings are kept for the report);
- ``"failed"``: it raised a :class:`~mirabal_stats.exceptions.MirabalError`, i.e. the analysis
  cannot run on these data (no events, no overlap, too few persons); the report shows the reason
  in its section and the rest is written;
- ``"bug"``: it raised any other exception, which is a bug in mirabal_stats; the report says so,
  the traceback goes to the log file, and the command exits with status 3;
- ``"skipped"`` / ``"unavailable"``: switched off in the config, or its pillar is not installed.

Warnings from mirabal_stats's own checks (:class:`~mirabal_stats.exceptions.MirabalWarning`) go
into the report; warnings and log records of underlying libraries (ArviZ ``FutureWarning``,
PyTensor's BLAS message, PyMC's sampler chatter) go only to the log file.
"""

from __future__ import annotations

import logging
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mirabal_stats.exceptions import MirabalError, MirabalWarning
from mirabal_stats.reporting.progress import Progress, format_seconds

__all__ = ["LIBRARY_LOGGERS", "StepLog", "StepRecord", "quiet_libraries"]

#: Loggers of underlying libraries whose records go to the log file instead of the terminal.
LIBRARY_LOGGERS = (
    "pytensor",
    "pymc",
    "arviz",
    "nutpie",
    "numba",
    "jax",
    "numpyro",
    "lifelines",
    "linearmodels",
    "statsmodels",
    "matplotlib",
    "py.warnings",
)


@dataclass
class StepRecord:
    """What happened in one analysis step."""

    name: str
    title: str
    status: str = "ran"
    reason: str = ""
    error_type: str = ""
    traceback: str = ""
    seconds: float = 0.0
    warnings: list[warnings.WarningMessage] = field(default_factory=list)

    @property
    def ours(self) -> list[warnings.WarningMessage]:
        """Warnings from mirabal_stats's own checks (shown in the report)."""
        return [w for w in self.warnings if issubclass(w.category, MirabalWarning)]

    @property
    def theirs(self) -> list[warnings.WarningMessage]:
        """Warnings from underlying libraries (log file only)."""
        return [w for w in self.warnings if not issubclass(w.category, MirabalWarning)]


@dataclass
class StepLog:
    """Every step of one evaluation, and the log lines for the log file."""

    progress: Progress = field(default_factory=lambda: Progress(stream=None))
    debug: bool = False
    steps: list[StepRecord] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def note(self, name: str, title: str, status: str, reason: str) -> StepRecord:
        """Record a step that did not run (switched off, or its pillar not installed)."""
        record = StepRecord(name, title, status=status, reason=reason)
        self.steps.append(record)
        self.lines.append(f"[{name}] {status}: {reason}")
        return record

    def run(
        self, name: str, title: str, fn: Callable[[], Any], *, reraise: bool = False
    ) -> Any | None:
        """Run ``fn`` as step ``name``; its result, or None when it failed (see module doc).

        ``reraise=True`` (reading the data) lets errors propagate: without data there is nothing
        to report.
        """
        record = StepRecord(name, title)
        self.steps.append(record)
        began = time.perf_counter()
        with self.progress.step(title) as outcome, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return fn()
            except MirabalError as err:
                record.status, record.reason = "failed", str(err)
                record.error_type = type(err).__name__
                outcome.failed = f"{record.error_type}: {_first_sentence(str(err))}"
                if reraise:
                    raise
                return None
            except Exception as err:
                if self.debug or reraise:
                    raise
                record.status = "bug"
                record.error_type = type(err).__name__
                record.reason = f"{type(err).__name__}: {err}"
                record.traceback = traceback.format_exc()
                outcome.failed = f"internal error (a bug): {record.reason}"
                return None
            finally:
                record.warnings.extend(_deduplicate(caught))
                record.seconds = time.perf_counter() - began
                self._log(record)

    def _log(self, record: StepRecord) -> None:
        self.lines.append(
            f"[{record.name}] {record.status} in {format_seconds(record.seconds)}"
            + (f": {record.reason}" if record.reason else "")
        )
        for item in record.warnings:
            self.lines.append(
                f"[{record.name}] {item.category.__module__}.{item.category.__name__} "
                f"({item.filename}:{item.lineno}): {item.message}"
            )
        if record.traceback:
            self.lines.append(record.traceback.rstrip())

    def status(self, name: str) -> str | None:
        """The status of step ``name`` (None if it was never attempted)."""
        for record in self.steps:
            if record.name == name:
                return record.status
        return None


def _first_sentence(text: str, limit: int = 200) -> str:
    first = text.split(". ")[0]
    return first if len(first) <= limit else first[: limit - 3] + "..."


def _deduplicate(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    seen, kept = set(), []
    for item in caught:
        key = (item.category, str(item.message))
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


class _ListHandler(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines = lines
        self.setFormatter(logging.Formatter("%(levelname)s (%(name)s): %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a broken log record must not stop an evaluation
            self.handleError(record)


@contextmanager
def quiet_libraries(lines: list[str], *, preload: tuple[str, ...] = ()) -> Iterator[None]:
    """Send the log records of :data:`LIBRARY_LOGGERS` to ``lines`` instead of the terminal.

    ``preload`` names modules to import first (e.g. ``pytensor``), because some libraries attach
    their own terminal handler, and log a message, when they are first imported.
    """
    import importlib

    for module in preload:
        try:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                importlib.import_module(module)
        except ImportError:
            pass
    handler = _ListHandler(lines)
    saved = []
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, list(logger.handlers), logger.propagate))
        for h in list(logger.handlers):
            logger.removeHandler(h)
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, handlers, propagate in saved:
            logger.removeHandler(handler)
            for h in handlers:
                logger.addHandler(h)
            logger.propagate = propagate
