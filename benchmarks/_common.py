"""Shared helpers of the benchmarks: timing, machine description, JSON output."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).parent / "results"


def median_time(fn, *, budget_s: float = 1.5, min_repeats: int = 5, max_repeats: int = 2000):
    """Median wall time of ``fn()`` in seconds after one warm-up call, with the repeat count."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_repeats and (
        len(times) < min_repeats or time.perf_counter() - start < budget_s
    ):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports ru_maxrss in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine_description() -> dict:
    """CPU, cores, memory, load and library versions: numbers are only comparable on one machine."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as fh:
            mem_kb = int(fh.readline().split()[1])
    except OSError:
        mem_kb = 0
    versions = {}
    for name in ("numpy", "pytensor", "pymc", "numba", "nutpie", "bambi"):
        try:
            module = __import__(name)
            versions[name] = getattr(module, "__version__", "?")
        except Exception:
            versions[name] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1),
        "load_average_at_start": os.getloadavg(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": commit,
        "threads_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
    }


def write_json(result: dict, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=float) + "\n")


def merge_into_previous(
    result: dict, path: str, *, entries: str, same_keys: tuple, compute_ratios
) -> dict:
    """``--append``: add this run's ``result[entries]`` to the JSON already at ``path``.

    Refuses (SystemExit) when the stored run differs in any of ``same_keys``: ratios between
    runs with other settings would mean nothing.
    """
    import json

    previous = json.loads(Path(path).read_text())
    differing = [k for k in same_keys if previous[k] != result[k]]
    if differing:
        raise SystemExit(f"{path} was run with other {', '.join(differing)}; not appending.")
    previous[entries].update(result[entries])
    previous["ratios"] = compute_ratios(previous[entries])
    previous["peak_rss_mb"] = max(previous["peak_rss_mb"], result["peak_rss_mb"])
    previous["command"] += " ; " + result["command"]
    return previous
