"""NUTS end to end: the kernel model (nutpie) against PyMC's default non-centred model (pm.sample).

Usage::

    flock /tmp/mcmc.lock python -m benchmarks.sampling --size S --json benchmarks/results/sampling_S.json
    flock /tmp/mcmc.lock python -m benchmarks.sampling --size M --draws 300 --tune 300 --chains 2 \\
        --json benchmarks/results/sampling_M.json
    python -m benchmarks.sampling --smoke            # CI: XS, 2 x (50 + 50), kernel model only

Both variants use the same draws, tuning steps, chains and seed. Reported per variant: wall time
including model build and compilation, sampling time, gradient evaluations (sum of NUTS leapfrog
steps, warm-up included), minimum bulk ESS over the treatment effects (``d``, ``mu_d``) and over
``sigma``, ESS per second (of the whole wall time) and per 1000 gradient evaluations, max R-hat
over the same parameters, divergences after warm-up, and the process's peak memory.

Variants:
``ours_nutpie``  kernel model (centred within-group person effects, non-centred indicator effects,
                 likelihood Op), nutpie on PyTensor's numba backend.
``ours_nutpie_lowrank`` the same with nutpie's low-rank modified mass matrix (adapts to the
                 posterior correlations between the group, wave and effect parameters).
``ours_pymc``    the same model with ``pm.sample`` (C backend; the Op's perform calls numba).
``ours_numpyro`` the same model with ``pm.sample(nuts_sampler="numpyro")`` (the Op's JAX
                 translation, ``mirabal_stats/bayes/kernels/jax_dispatch.py``), PyMC's default
                 ``chain_method="parallel"`` (``jax.pmap`` over the host devices PyMC creates);
                 the compile time is inside the wall time. PyMC's bridge returns no warm-up
                 statistics, so only ``gradient_evaluations_draws_only`` is reported.
``ours_numpyro_vectorized`` the same with ``chain_method="vectorized"`` (``jax.vmap``: all
                 chains in one program, one core).
``default_pymc`` textbook model (all non-centred, per-answer gathers, pm.Bernoulli), ``pm.sample``.
``default_nutpie`` textbook model with nutpie.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

from benchmarks._common import machine_description, merge_into_previous, peak_rss_mb, write_json
from benchmarks._data import SIZES, make_panel
from benchmarks._models import build_default_model, build_kernel_model

VARIANTS = (
    "ours_nutpie",
    "ours_nutpie_lowrank",
    "ours_pymc",
    "ours_numpyro",
    "ours_numpyro_vectorized",
    "default_pymc",
    "default_nutpie",
)
EFFECTS = ("d", "mu_d")


def _summaries(idata, n_grad, wall_s):
    import arviz as az

    post = idata.posterior
    ess = az.ess(post[["sigma", *EFFECTS, "tau_d"]], method="bulk")
    rhat = az.rhat(post[["sigma", *EFFECTS, "tau_d"]])
    min_ess_effects = float(min(ess[v].min() for v in EFFECTS))
    ess_sigma = float(ess["sigma"])
    divergences = int(idata.sample_stats["diverging"].sum())
    out = {
        "min_bulk_ess_effects": min_ess_effects,
        "bulk_ess_sigma": ess_sigma,
        "bulk_ess_tau_d": float(ess["tau_d"]),
        "max_rhat_effects_sigma": float(max(float(rhat[v].max()) for v in ("sigma", *EFFECTS))),
        "max_rhat_tau_d": float(rhat["tau_d"]),
        "divergences": divergences,
        "gradient_evaluations": int(n_grad) if n_grad else None,
        "ess_per_s_effects": min_ess_effects / wall_s,
        "ess_per_s_sigma": ess_sigma / wall_s,
        "ess_per_1000_grad_effects": 1000 * min_ess_effects / n_grad if n_grad else None,
        "ess_per_1000_grad_sigma": 1000 * ess_sigma / n_grad if n_grad else None,
        "posterior_mean_sigma": float(post["sigma"].mean()),
        "posterior_mean_mu_d": post["mu_d"].mean(("chain", "draw")).values.tolist(),
    }
    return out


def _n_steps(idata):
    total = int(idata.sample_stats["n_steps"].sum())
    if "warmup_sample_stats" in idata.groups():
        total += int(idata.warmup_sample_stats["n_steps"].sum())
    return total


def run_variant(variant, panel, *, draws, tune, chains, seed, cores):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if variant.startswith("ours"):
            model = build_kernel_model(panel, implementation="numba")
        else:
            model = build_default_model(panel)
        if "nutpie" in variant:
            import nutpie

            compiled = nutpie.compile_pymc_model(model)
            compile_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            idata = nutpie.sample(
                compiled,
                draws=draws,
                tune=tune,
                chains=chains,
                seed=seed,
                cores=cores,
                save_warmup=True,
                progress_bar=False,
                low_rank_modified_mass_matrix=variant.endswith("lowrank"),
            )
        elif "numpyro" in variant:
            import pymc as pm

            compile_s = None  # inside pm.sample (JAX traces and compiles on the first call)
            t1 = time.perf_counter()
            method = "vectorized" if variant.endswith("vectorized") else "parallel"
            with model:
                idata = pm.sample(
                    draws=draws,
                    tune=tune,
                    chains=chains,
                    random_seed=seed,
                    progressbar=False,
                    compute_convergence_checks=False,
                    nuts_sampler="numpyro",
                    nuts_sampler_kwargs={"chain_method": method},
                )
        else:
            import pymc as pm

            compile_s = None  # inside pm.sample
            t1 = time.perf_counter()
            with model:
                idata = pm.sample(
                    draws=draws,
                    tune=tune,
                    chains=chains,
                    cores=cores,
                    random_seed=seed,
                    discard_tuned_samples=False,
                    progressbar=False,
                    compute_convergence_checks=False,
                )
            # With discard_tuned_samples=False the warm-up goes to warmup_* groups (counted
            # in the gradient evaluations); posterior and sample_stats hold the draws only.
    t_end = time.perf_counter()
    wall = t_end - t0
    draw_steps = int(idata.sample_stats["n_steps"].sum())
    if "numpyro" in variant:
        n_grad = None  # no warm-up statistics: not comparable with the other variants
    elif "nutpie" not in variant:
        n_grad = (
            int(idata.sample_stats["n_steps"].sum())
            + int(idata.warmup_sample_stats["n_steps"].sum())
            if "warmup_sample_stats" in idata.groups()
            else None
        )
    else:
        n_grad = _n_steps(idata)
    out = {
        "wall_s_incl_compile": wall,
        "compile_s": compile_s,
        "sampling_s": t_end - t1,
        "gradient_evaluations_draws_only": draw_steps,
    }
    out.update(_summaries(idata, n_grad, wall))
    print(
        variant,
        {k: (round(v, 3) if isinstance(v, float) else v) for k, v in out.items()},
        flush=True,
    )
    return out


def compute_ratios(v):
    """ESS/s and ESS per gradient of each kernel variant over PyMC's default model."""
    ratios = {}
    for ours in (
        "ours_nutpie",
        "ours_nutpie_lowrank",
        "ours_pymc",
        "ours_numpyro",
        "ours_numpyro_vectorized",
    ):
        if ours not in v or "default_pymc" not in v:
            continue
        suffix = "" if ours == "ours_nutpie" else "_" + ours.removeprefix("ours_")
        for key in (
            "ess_per_s_effects",
            "ess_per_s_sigma",
            "ess_per_1000_grad_effects",
            "ess_per_1000_grad_sigma",
        ):
            if v[ours][key] is None:
                continue
            ratios[f"ratio_{key}_ours_over_default{suffix}"] = v[ours][key] / v["default_pymc"][key]
        ratios[f"ratio_wall_default_over_ours{suffix}"] = (
            v["default_pymc"]["wall_s_incl_compile"] / v[ours]["wall_s_incl_compile"]
        )
    return ratios


def run(size, *, variants, draws, tune, chains, seed=20240607, cores=2):
    panel = make_panel(SIZES[size])
    result = {
        "size": size,
        "n_persons": panel.n_persons,
        "n_obs": panel.n_obs,
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "seed": seed,
        "cores": cores,
        "command": "python -m benchmarks.sampling " + " ".join(sys.argv[1:]),
        "machine": machine_description(),
        "variants": {},
        "truth": {"sigma": panel.truth["sigma"], "mu_d": panel.truth["mu_d"].tolist()},
    }
    for variant in variants:
        result["variants"][variant] = run_variant(
            variant, panel, draws=draws, tune=tune, chains=chains, seed=seed, cores=cores
        )
    result["ratios"] = compute_ratios(result["variants"])
    result["peak_rss_mb"] = peak_rss_mb()
    for k, r in result["ratios"].items():
        print(f"{size} {k:45s} {r:8.2f}", flush=True)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="S")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--variants", default="ours_nutpie,default_pymc")
    parser.add_argument("--json", default=None)
    parser.add_argument("--smoke", action="store_true", help="XS, 2 x (50 + 50), kernel model only")
    parser.add_argument(
        "--append",
        action="store_true",
        help="add the variants to an existing --json with the same settings",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.smoke:
        result = run("XS", variants=("ours_nutpie",), draws=50, tune=50, chains=2, cores=args.cores)
    else:
        variants = tuple(args.variants.split(","))
        unknown = set(variants) - set(VARIANTS)
        if unknown:
            parser.error(f"unknown variants {sorted(unknown)}; choose from {VARIANTS}")
        result = run(
            args.size,
            variants=variants,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            cores=args.cores,
        )
    if args.json and args.append and os.path.exists(args.json):
        result = merge_into_previous(
            result,
            args.json,
            entries="variants",
            same_keys=("size", "draws", "tune", "chains", "seed"),
            compute_ratios=compute_ratios,
        )
    if args.json:
        write_json(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
