"""What the first Bayesian fit costs on a new machine, against the second (issue 19).

Usage::

    python -m benchmarks.first_run --json benchmarks/results/first_run.json

Fits ``IndicatorModel`` on the bundled Mirabal-design example (162 women, 34 indicators, six
covariates, as the demo does) with ``fit()`` defaults (nutpie, 4 chains x (1000 + 1000)), three
times in one run, each in a fresh interpreter:

- ``cold``: empty numba and PyTensor compile caches (fresh ``NUMBA_CACHE_DIR`` and PyTensor
  ``compiledir``), as after ``make venv`` on a new machine;
- ``warm``: the same cache folders again, now filled by the cold run (a second ``make demo``);
- ``warm again``: a repeat, to show the spread of a warm run on a shared machine.

Each row gives the wall time of the whole process, of building the model and of ``fit()``
(compile and sample), and the sampler diagnostics over the reported quantities, so that a
fast run that did not converge cannot pass for a fast run. Read the times as ratios within
the run: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import machine_description, write_json

_CHILD = """
import json, time, warnings
t0 = time.perf_counter()
from mirabal_stats import IndicatorModel
from mirabal_stats.datasets import load_mirabal_example
panel = load_mirabal_example()
model = IndicatorModel(panel, covariates=list(panel.covariate_names))
t1 = time.perf_counter()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    result = model.fit(random_seed={seed})
t2 = time.perf_counter()
d = result.diagnostics_summary
print(json.dumps(dict(
    import_and_build_s=t1 - t0, fit_s=t2 - t1,
    max_r_hat=d.max_r_hat, min_ess_bulk=d.min_ess_bulk, min_ess_tail=d.min_ess_tail,
    divergences=d.divergences, warnings=sorted({{type(w.message).__name__ for w in caught}}),
)))
"""


def _fit_in_fresh_process(caches: Path, seed: int) -> dict:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(caches / "numba")
    env["PYTENSOR_FLAGS"] = f"compiledir={caches / 'pytensor'}"
    env.setdefault("OMP_NUM_THREADS", "1")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(seed=seed)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["process_s"] = time.perf_counter() - start
    return row


def run(seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="mirabal_first_run_") as folder:
        caches = Path(folder)
        rows = {}
        for label in ("cold", "warm", "warm again"):
            rows[label] = _fit_in_fresh_process(caches, seed)
            print(f"{label}: {rows[label]['process_s']:.1f} s", flush=True)
    return {
        "command": "python -m benchmarks.first_run " + " ".join(sys.argv[1:]),
        "machine": machine_description(),
        "rows": rows,
        "ratio_cold_over_warm": rows["cold"]["process_s"] / rows["warm"]["process_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args()
    result = run(args.seed)
    header = f"{'run':<11} {'process s':>9} {'build s':>8} {'fit s':>7} {'R-hat':>6} {'ESS':>6} div"
    print(header)
    for label, row in result["rows"].items():
        print(
            f"{label:<11} {row['process_s']:>9.1f} {row['import_and_build_s']:>8.1f} "
            f"{row['fit_s']:>7.1f} {row['max_r_hat']:>6.3f} "
            f"{min(row['min_ess_bulk'], row['min_ess_tail']):>6.0f} {row['divergences']}"
        )
    print(f"cold / warm: {result['ratio_cold_over_warm']:.2f}")
    if args.json:
        write_json(result, args.json)


if __name__ == "__main__":
    main()
