"""Progress messages for long steps, written to standard error so reports on stdout stay clean."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Print ``[  12s] message`` lines; :meth:`step` also reports how long a step took.

    ``Progress()`` writes to the standard error of the moment (looked up at each message, so
    redirections made later are honoured); ``Progress(stream=None)`` is silent (the default for
    library calls).
    """

    def __init__(self, stream: TextIO | None | str = "stderr") -> None:
        self._stream = stream
        self._start = time.perf_counter()

    def message(self, text: str) -> None:
        """Print one line (nothing when silent)."""
        if self._stream is None:
            return
        stream = sys.stderr if self._stream == "stderr" else self._stream
        elapsed = time.perf_counter() - self._start
        print(f"[{elapsed:5.0f}s] {text}", file=stream, flush=True)

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        """Announce a step, run it, and report its duration."""
        self.message(f"{text} ...")
        began = time.perf_counter()
        yield
        self.message(f"  done ({time.perf_counter() - began:.1f} s)")
