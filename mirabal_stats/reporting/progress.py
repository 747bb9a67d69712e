"""Progress messages for long steps, written to standard error so reports on stdout stay clean.

Each step prints when it starts (``[  12s] [3/8] Estimating propensity weights ...``), a
heartbeat while it runs longer than ``heartbeat`` seconds (so a long MCMC run is never silent),
and how it ended with its duration (``done in 4.2 s`` or ``could not run: ...``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

__all__ = ["Progress", "StepOutcome", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``4.2 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass
class StepOutcome:
    """Set ``failed`` to a short reason to report the step as not run."""

    failed: str | None = None


class Progress:
    """Print ``[  12s] message`` lines; :meth:`step` also reports how long a step took.

    ``Progress()`` writes to the standard error of the moment (looked up at each message, so
    redirections made later are honoured); ``Progress(stream=None)`` is silent (the default for
    library calls). ``total`` numbers the steps (``[3/8]``).
    """

    def __init__(
        self, stream: TextIO | None | str = "stderr", *, heartbeat: float = 30.0, total: int = 0
    ) -> None:
        self._stream = stream
        self._start = time.perf_counter()
        self._lock = threading.Lock()
        self.heartbeat = heartbeat
        self.total = total
        self._count = 0

    @property
    def silent(self) -> bool:
        return self._stream is None

    def message(self, text: str) -> None:
        """Print one line (nothing when silent)."""
        if self._stream is None:
            return
        stream = sys.stderr if self._stream == "stderr" else self._stream
        elapsed = time.perf_counter() - self._start
        with self._lock:
            print(f"[{elapsed:5.0f}s] {text}", file=stream, flush=True)

    @contextmanager
    def step(self, text: str) -> Iterator[StepOutcome]:
        """Announce a step, run it, and report its duration (and a heartbeat while it runs)."""
        self._count += 1
        counter = f"[{self._count}/{self.total}] " if self.total else ""
        self.message(f"{counter}{text} ...")
        outcome = StepOutcome()
        began = time.perf_counter()
        stop = threading.Event()
        beat = None
        if self._stream is not None and self.heartbeat > 0:

            def pulse() -> None:
                while not stop.wait(self.heartbeat):
                    self.message(
                        f"    still running: {text} "
                        f"({format_seconds(time.perf_counter() - began)} so far)"
                    )

            beat = threading.Thread(target=pulse, daemon=True)
            beat.start()
        try:
            yield outcome
        finally:
            stop.set()
            if beat is not None:
                beat.join()
            spent = format_seconds(time.perf_counter() - began)
            if outcome.failed:
                self.message(f"    could not run ({spent}): {outcome.failed}")
            else:
                self.message(f"    done in {spent}")
