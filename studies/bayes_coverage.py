"""Coverage of the IndicatorModel's 90% intervals over simulation seeds (slow; not a pytest test).

Run from the repository root (samples; about 1 min per seed on 2 cores, mostly compilation):

    flock /tmp/mcmc.lock env PYTHONPATH=. OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
        .venv/bin/python studies/bayes_coverage.py 8 --out studies/bayes_coverage_results

Writes ``<out>.json`` (one record per seed with every interval and the truth) and ``<out>.md``
(a table per seed and the pooled coverage of the indicator effects (log-odds), the measure means
of the beneficial effects (log-odds) and the overall effect (percentage points)), and prints the
same lines.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from mirabal_stats.bayes import IndicatorModel
from mirabal_stats.datasets import simulate_mirabal
from studies._study import interval_records

INDICATORS = [
    "negotiates",
    "considerate",
    "listens",
    "shouts_swears",
    "puts_down",
    "justifies_abuse",
    "understands_child_impact",
    "takes_responsibility",
    "blames_her",
    "children_worried",
    "children_frightened",
    "children_friendships",
    "children_sleep_problems",
]
COVARIATES = ["age", "separated", "children", "prior_police", "employed", "area"]
SETTINGS = dict(draws=500, tune=500, chains=2)
FIRST_SEED = 101


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n_seeds", type=int, nargs="?", default=8)
    parser.add_argument("--out", default=None, help="path stem for .json and .md results")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    records = []
    lines = [
        "| seed | indicators covered | measures covered | overall pp covered | max R-hat | min bulk ESS | divergences | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for seed in range(FIRST_SEED, FIRST_SEED + args.n_seeds):
        start = time.perf_counter()
        panel, truth = simulate_mirabal(random_seed=seed, indicators=INDICATORS)
        result = IndicatorModel(panel, covariates=COVARIATES).fit(random_seed=seed, **SETTINGS)
        ind = interval_records(
            result.effects(level="indicator", ci_level=0.9), truth.indicator_effects["log_odds"]
        )
        meas = interval_records(
            result.effects(level="measure", ci_level=0.9),
            truth.measure_effects["beneficial_log_odds"],
        )
        overall = result.effects(level="overall", scale="pp", ci_level=0.9)
        over = interval_records(overall, {"overall": truth.overall_effect["beneficial_pp"]})
        d = result.diagnostics_summary
        rec = {
            "seed": seed,
            "settings": SETTINGS,
            "indicators": ind,
            "measures": meas,
            "overall_pp": over,
            "max_r_hat": round(d.max_r_hat, 4),
            "min_ess_bulk": round(d.min_ess_bulk, 1),
            "divergences": d.divergences,
            "seconds": round(time.perf_counter() - start, 1),
        }
        records.append(rec)
        line = (
            f"| {seed} | {sum(x['covered'] for x in ind)}/{len(ind)} | {sum(x['covered'] for x in meas)}/{len(meas)} | "
            f"{over[0]['covered']} | {d.max_r_hat:.3f} | {d.min_ess_bulk:.0f} | {d.divergences} | {rec['seconds']:.0f} |"
        )
        lines.append(line)
        print(line, flush=True)
    k = np.array([x["covered"] for r in records for x in r["indicators"]])
    m = np.array([x["covered"] for r in records for x in r["measures"]])
    o = np.array([x["covered"] for r in records for x in r["overall_pp"]])

    def mc(n):  # binomial Monte-Carlo SE of a coverage estimate at the nominal 0.9
        return (0.9 * 0.1 / n) ** 0.5

    pooled = (
        f"Pooled 90% interval coverage over {len(records)} seeds ({FIRST_SEED}-{FIRST_SEED + len(records) - 1}), "
        f"2 x (500 + 500) draws: indicator effects {k.mean():.3f} (n={k.size}, MC SE at nominal "
        f"{mc(k.size):.3f}; indicators within a seed are correlated), measure means "
        f"{m.mean():.3f} (n={m.size}), overall effect in pp {o.mean():.3f} (n={o.size})."
    )
    lines += ["", pooled]
    print(pooled)
    if args.out:
        stem = Path(args.out)
        stem.with_suffix(".json").write_text(
            json.dumps(
                {
                    "command": "studies/bayes_coverage.py " + str(args.n_seeds),
                    "indicators": INDICATORS,
                    "covariates": COVARIATES,
                    "pooled": {
                        "indicators": k.mean(),
                        "measures": m.mean(),
                        "overall_pp": o.mean(),
                        "n_indicators": int(k.size),
                        "n_measures": int(m.size),
                        "n_overall": int(o.size),
                    },
                    "seeds": records,
                },
                indent=1,
            )
            + "\n"
        )
        header = [
            "# IndicatorModel 90% interval coverage on simulate_mirabal",
            "",
            "Command (from the repository root):",
            "",
            f"    flock /tmp/mcmc.lock env PYTHONPATH=. OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python studies/bayes_coverage.py {args.n_seeds} --out {args.out}",
            "",
            f"13 indicators in 3 measures, 6 covariates, MAR dropout, {SETTINGS}.",
            "",
        ]
        stem.with_suffix(".md").write_text("\n".join(header + lines) + "\n")


if __name__ == "__main__":
    main()
