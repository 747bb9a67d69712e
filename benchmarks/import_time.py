"""What ``import mirabal_stats`` costs, against the interpreter and the libraries it could load.

Usage::

    python -m benchmarks.import_time --json benchmarks/results/import_time.json

Each statement runs in a fresh interpreter (``python -c``), the statements interleaved round by
round so that a load spike on a shared machine hits all of them alike; the table gives the
median wall time of the whole process and the ratio to a bare ``python -c pass``. The import of
the package itself is the difference between its process and the bare one (issue 19's target:
< 0.5 s). The last column says which heavy libraries the statement left in ``sys.modules``: the
front door loads the pillars lazily, so ``import mirabal_stats`` must load none of them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from benchmarks._common import machine_description, write_json

STATEMENTS = {
    "bare interpreter": "pass",
    "import mirabal_stats": "import mirabal_stats",
    "from mirabal_stats import did (frequentist pillar)": "from mirabal_stats import did",
    "import numpy": "import numpy",
    "import pandas": "import pandas",
    "import pymc": "import pymc",
}
_HEAVY = ("numpy", "pandas", "scipy", "pymc", "pytensor", "lifelines", "linearmodels", "numba")
_PROBE = "import sys; print(','.join(m for m in {heavy!r} if m in sys.modules))"


def _run(statement: str) -> tuple[float, str]:
    code = f"{statement}\n{_PROBE.format(heavy=_HEAVY)}"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout.strip()


def run(repeats: int) -> dict:
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    loaded: dict[str, str] = {}
    for name, statement in STATEMENTS.items():  # warm the file-system cache once
        _, loaded[name] = _run(statement)
    for _ in range(repeats):
        for name, statement in STATEMENTS.items():
            times[name].append(_run(statement)[0])
    bare = statistics.median(times["bare interpreter"])
    rows = []
    for name, values in times.items():
        median = statistics.median(values)
        rows.append(
            {
                "statement": name,
                "median_s": median,
                "import_s": median - bare,
                "ratio_to_bare": median / bare,
                "heavy_modules_loaded": loaded[name] or "none",
            }
        )
    return {
        "command": "python -m benchmarks.import_time " + " ".join(sys.argv[1:]),
        "repeats": repeats,
        "machine": machine_description(),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args()
    result = run(args.repeats)
    print(f"{'statement':<52} {'median s':>9} {'import s':>9} {'x bare':>7}  heavy modules")
    for row in result["rows"]:
        print(
            f"{row['statement']:<52} {row['median_s']:>9.3f} {row['import_s']:>9.3f} "
            f"{row['ratio_to_bare']:>7.1f}  {row['heavy_modules_loaded']}"
        )
    if args.json:
        write_json(result, args.json)
    else:
        print(json.dumps(result["machine"], indent=1))


if __name__ == "__main__":
    main()
