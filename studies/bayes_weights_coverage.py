"""What propensity weights mean in the IndicatorModel: coverage over simulation seeds (slow; not a pytest test).

The weighted pseudo-likelihood (``IndicatorModel(panel, weights=w)``) is not a true
posterior, so its intervals carry no coverage guarantee. This script measures it on
``simulate_mirabal`` (covariates drive group membership and covariate-specific change, so an
unadjusted model is confounded) by fitting, per seed, three variants with identical sampler settings:

- ``unadjusted``: no covariates, no weights (confounded);
- ``att_weights``: no covariates, ATT propensity weights (logistic, ``mirabal_stats.weighting``)
  on the six baseline covariates, as a weighted pseudo-likelihood;
- ``covariates``: covariate adjustment (the six covariates), no weights.

Run from the repository root (samples; about 1-1.5 min per seed on 2 cores, mostly compilation):

    flock /tmp/mcmc.lock env PYTHONPATH=. OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        .venv/bin/python studies/bayes_weights_coverage.py 10 --budget 660 \
        --out studies/bayes_weights_coverage_results

``--budget`` stops starting new seeds once that many seconds have passed (the seeds completed are
reported). Writes ``<out>.json`` (per seed and variant: every interval, truth, diagnostics) and
``<out>.md`` (per-variant pooled coverage of the overall beneficial effect in percentage points and
of the measure means of the beneficial log-odds effects, mean error, mean interval width), rewritten
after every seed.
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mirabal_stats.bayes import IndicatorModel
from mirabal_stats.datasets import simulate_mirabal
from mirabal_stats.weighting import PropensityWeights, effective_sample_size
from studies._study import interval_records

# 8 indicators in 3 measures (communication, awareness, childhoods), both benefit signs.
INDICATORS = [
    "negotiates",
    "shouts_swears",
    "puts_down",
    "justifies_abuse",
    "takes_responsibility",
    "blames_her",
    "children_worried",
    "children_frightened",
]
COVARIATES = ["age", "separated", "children", "prior_police", "employed", "area"]
SETTINGS = dict(draws=500, tune=500, chains=2, sampler="nutpie")
VARIANTS = ["unadjusted", "att_weights", "covariates"]
FIRST_SEED = 301
CI = 0.9


def _att_weights(panel):
    base = panel.baseline()
    fit = PropensityWeights(base, group="treated", covariates=COVARIATES, estimand="ATT").fit()
    w = fit.weights  # keyed by person id (the baseline table's 'person' column)
    comp = w[fit.indicator == 0]
    return w, {
        "comparison_ess": round(float(effective_sample_size(comp.to_numpy())), 1),
        "n_comparison": int(comp.size),
        "max_weight": round(float(w.max()), 3),
    }


def _fit(panel, variant, seed, weights):
    kwargs = {}
    if variant == "att_weights":
        kwargs["weights"] = weights
    if variant == "covariates":
        kwargs["covariates"] = COVARIATES
    return IndicatorModel(panel, **kwargs).fit(random_seed=seed, **SETTINGS)


def _summarise(records):
    rows = []
    for v in VARIANTS:
        fits = [r["fits"][v] for r in records if v in r["fits"]]
        if not fits:
            continue
        o = [f["overall_pp"][0] for f in fits]
        m = [x for f in fits for x in f["measures"]]
        rows.append(
            {
                "variant": v,
                "n_seeds": len(fits),
                "overall_pp_coverage": float(np.mean([x["covered"] for x in o])),
                "overall_pp_mean_error": float(np.mean([x["estimate"] - x["truth"] for x in o])),
                "overall_pp_rmse": float(
                    np.sqrt(np.mean([(x["estimate"] - x["truth"]) ** 2 for x in o]))
                ),
                "overall_pp_mean_width": float(np.mean([x["upper"] - x["lower"] for x in o])),
                "measure_coverage": float(np.mean([x["covered"] for x in m])),
                "n_measures": len(m),
                "measure_mean_error": float(np.mean([x["estimate"] - x["truth"] for x in m])),
                "measure_mean_width": float(np.mean([x["upper"] - x["lower"] for x in m])),
                "total_divergences": int(sum(f["divergences"] for f in fits)),
                "max_r_hat": float(max(f["max_r_hat"] for f in fits)),
                "min_ess_bulk": float(min(f["min_ess_bulk"] for f in fits)),
            }
        )
    return rows


def _write(stem, args, records, per_seed_lines, command):
    rows = _summarise(records)
    stem.with_suffix(".json").write_text(
        json.dumps(
            {
                "command": command,
                "indicators": INDICATORS,
                "covariates": COVARIATES,
                "settings": SETTINGS,
                "ci_level": CI,
                "summary": rows,
                "seeds": records,
            },
            indent=1,
        )
        + "\n"
    )
    table = [
        "| variant | seeds | overall pp covered | overall pp mean error | overall pp RMSE | overall pp mean 90% width | "
        "measures covered | measure mean error (log-odds) | measure mean width | divergences (total) | max R-hat | min bulk ESS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        table.append(
            f"| {r['variant']} | {r['n_seeds']} | {round(r['overall_pp_coverage'] * r['n_seeds'])}/{r['n_seeds']} | "
            f"{r['overall_pp_mean_error']:+.2f} | {r['overall_pp_rmse']:.2f} | {r['overall_pp_mean_width']:.2f} | "
            f"{round(r['measure_coverage'] * r['n_measures'])}/{r['n_measures']} | {r['measure_mean_error']:+.3f} | "
            f"{r['measure_mean_width']:.3f} | {r['total_divergences']} | {r['max_r_hat']:.3f} | {r['min_ess_bulk']:.0f} |"
        )
    header = [
        "# IndicatorModel: unadjusted vs ATT-weighted pseudo-likelihood vs covariate adjustment",
        "",
        "Command (from the repository root):",
        "",
        f"    {command}",
        "",
        f"simulate_mirabal (MAR dropout), {len(INDICATORS)} indicators in 3 measures, {SETTINGS}, "
        f"{int(CI * 100)}% equal-tailed intervals; seeds from {FIRST_SEED}, each fit seeded with the simulation seed.",
        "",
        "## Pooled",
        "",
    ]
    seeds_hdr = [
        "",
        "## Per seed (overall pp: estimate [interval], truth)",
        "",
        "| seed | variant | overall pp | truth | covered | measures covered | max R-hat | divergences | comparison ESS | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    stem.with_suffix(".md").write_text(
        "\n".join(header + table + seeds_hdr + per_seed_lines) + "\n"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n_seeds", type=int, nargs="?", default=8)
    parser.add_argument(
        "--budget", type=float, default=None, help="seconds; start no new seed after this"
    )
    parser.add_argument("--out", default=None, help="path stem for .json and .md results")
    args = parser.parse_args()
    command = (
        "flock /tmp/mcmc.lock env PYTHONPATH=. OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "
        f".venv/bin/python studies/bayes_weights_coverage.py {args.n_seeds}"
        + (f" --budget {args.budget:g}" if args.budget else "")
        + (f" --out {args.out}" if args.out else "")
    )
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    records, lines = [], []
    for seed in range(FIRST_SEED, FIRST_SEED + args.n_seeds):
        if args.budget and time.perf_counter() - t0 > args.budget:
            print(f"budget of {args.budget:g} s reached; stopping before seed {seed}", flush=True)
            break
        panel, truth = simulate_mirabal(random_seed=seed, indicators=INDICATORS)
        weights, wdiag = _att_weights(panel)
        rec = {
            "seed": seed,
            "weights": wdiag,
            "truth_overall_pp": round(truth.overall_effect["beneficial_pp"], 4),
            "fits": {},
        }
        for v in VARIANTS:
            start = time.perf_counter()
            result = _fit(panel, v, seed, weights)
            meas = interval_records(
                result.effects(level="measure", ci_level=CI),
                truth.measure_effects["beneficial_log_odds"],
            )
            over = interval_records(
                result.effects(level="overall", scale="pp", ci_level=CI),
                {"overall": truth.overall_effect["beneficial_pp"]},
            )
            d = result.diagnostics_summary
            rec["fits"][v] = {
                "measures": meas,
                "overall_pp": over,
                "max_r_hat": round(float(d.max_r_hat), 4),
                "min_ess_bulk": round(float(d.min_ess_bulk), 1),
                "divergences": int(d.divergences),
                "seconds": round(time.perf_counter() - start, 1),
            }
            f = rec["fits"][v]
            line = (
                f"| {seed} | {v} | {over[0]['estimate']:.1f} [{over[0]['lower']:.1f}, {over[0]['upper']:.1f}] | "
                f"{over[0]['truth']:.1f} | {over[0]['covered']} | {sum(x['covered'] for x in meas)}/{len(meas)} | "
                f"{f['max_r_hat']:.3f} | {f['divergences']} | {wdiag['comparison_ess']:.0f}/{wdiag['n_comparison']} | {f['seconds']:.0f} |"
            )
            lines.append(line)
            print(line, flush=True)
        records.append(rec)
        if args.out:
            table = _write(Path(args.out), args, records, lines, command)
    if args.out:
        print("\n".join(table))


if __name__ == "__main__":
    main()
