"""Mixing of IndicatorModel with default settings on the bundled example (slow; not a pytest test).

Fits the bundled Mirabal-design panel with the six covariates of mirabal_demo.toml and the
default sampler settings of ``IndicatorModel.fit`` (unless --chains/--draws/--tune are given),
and writes the worst R-hat, the smallest bulk/tail ESS and the ESS per second of sampling for
every reported quantity. Run from the repository root:

    flock /tmp/mcmc.lock env PYTHONPATH=. OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
        .venv/bin/python studies/bayes_mixing.py --label after --out studies/bayes_mixing_results.json
"""

import argparse
import json
import resource
import time
import warnings
from pathlib import Path

from mirabal_stats.bayes import IndicatorModel
from mirabal_stats.datasets import load_mirabal_example, simulate_mirabal

COVARIATES = ["age", "separated", "children", "prior_police", "employed", "area"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="run")
    parser.add_argument("--out", default=None)
    parser.add_argument("--chains", type=int, default=None)
    parser.add_argument("--draws", type=int, default=None)
    parser.add_argument("--tune", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument(
        "--persons",
        type=int,
        default=None,
        help="fit simulate_mirabal(seed) with this many persons (intervention:comparison "
        "100:62) instead of the bundled example, e.g. 2000 for the M size of docs/performance.md",
    )
    # The low-rank mass matrix is now fit()'s default; the flag was used for the runs recorded
    # before that change (bayes_mixing_results.json labels say which settings each row used).
    parser.add_argument(
        "--low-rank", action="store_true", help="nutpie low-rank modified mass matrix"
    )
    parser.add_argument(
        "--centred-effects", action="store_true", help="IndicatorModel(centred_effects=True)"
    )
    args = parser.parse_args()
    import nutpie

    if args.persons:
        n_intervention = round(args.persons * 100 / 162)
        panel, truth = simulate_mirabal(
            n_intervention=n_intervention,
            n_comparison=args.persons - n_intervention,
            random_seed=args.seed,
        )
    else:
        panel, truth = load_mirabal_example(), None
    # Without --centred-effects the model's data-driven rule chooses (the default users get).
    model = IndicatorModel(
        panel, covariates=COVARIATES, centred_effects=True if args.centred_effects else None
    )
    n_answers = model.n_obs
    start = time.perf_counter()
    # Compile outside the timed sampling, into the model's own cache (the key fit() uses).
    model._compiled[("nutpie", None)] = nutpie.compile_pymc_model(model.model)
    compile_s = time.perf_counter() - start
    settings = {
        k: v
        for k, v in dict(chains=args.chains, draws=args.draws, tune=args.tune).items()
        if v is not None
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kwargs = {"low_rank_modified_mass_matrix": True} if args.low_rank else None
        result = model.fit(random_seed=args.seed, sampler_kwargs=kwargs, **settings)
    sample_s = result.fit_seconds
    diag = result.diagnostics()
    d = result.diagnostics_summary
    worst = diag.sort_values("ess_bulk").head(8)
    record = {
        "label": args.label,
        "settings": {
            "chains": int(result.idata.posterior.sizes["chain"]),
            "draws": int(result.idata.posterior.sizes["draw"]),
            "seed": args.seed,
            "tune": args.tune or 1000,
            # fit() uses nutpie's low-rank mass matrix by default; --low-rank only forces it.
            "low_rank_mass_matrix": True,
            "centred_effects": model.centred_effects,
            "centred_effects_chosen_by": "flag" if args.centred_effects else "default rule",
            "data": f"simulate_mirabal, {args.persons} persons"
            if args.persons
            else "bundled example",
        },
        "answers": n_answers,
        "compile_seconds": round(compile_s, 1),
        "sampling_seconds": round(sample_s, 1),
        "max_r_hat": round(d.max_r_hat, 4),
        "worst_r_hat": d.worst_r_hat,
        "min_ess_bulk": round(d.min_ess_bulk, 1),
        "min_ess_tail": round(d.min_ess_tail, 1),
        "worst_ess": d.worst_ess,
        "min_ess_bulk_per_second": round(d.min_ess_bulk / sample_s, 2),
        "divergences": d.divergences,
        "lowest_bulk_ess": {k: round(float(v), 1) for k, v in worst["ess_bulk"].items()},
        "highest_r_hat": {
            k: round(float(v), 4) for k, v in diag.sort_values("r_hat").tail(5)["r_hat"].items()
        },
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
        "true_overall_beneficial_pp": round(truth.overall_effect["beneficial_pp"], 2)
        if truth
        else None,
        "overall_pp": result.effects(level="overall", scale="pp", ci_level=0.9)
        .iloc[0][["estimate", "lower", "upper"]]
        .astype(float)
        .round(2)
        .to_dict(),
        "warnings": [
            str(w.message)[:120] for w in caught if "Sampling" in type(w.message).__name__
        ],
    }
    print(json.dumps(record, indent=1))
    if args.out:
        path = Path(args.out)
        existing = json.loads(path.read_text()) if path.exists() else []
        existing.append(record)
        path.write_text(json.dumps(existing, indent=1) + "\n")


if __name__ == "__main__":
    main()
