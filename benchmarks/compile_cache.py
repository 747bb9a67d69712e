"""What a second fit of the same model shape costs in one session (compile caching).

Usage::

    flock /tmp/mcmc.lock python -m benchmarks.compile_cache --size S --json benchmarks/results/compile_cache_S.json

Measures, in one process: building + compiling the kernel model for nutpie twice (two model
objects with identical shapes, as two ``fit()`` calls would make), compiling PyMC's
``logp_dlogp_function`` (the ``pm.sample`` path) twice, and re-using the first nutpie compiled
model for new data of the same shapes through ``CompiledPyMCModel.with_data`` (no compilation).

Then the session-wide compile cache of ``mirabal_stats.bayes.sampling`` (``session_cache``):
three ``IndicatorModel`` objects with covariates on ``simulate_mirabal`` panels of the same
design (seed 1, then seed 2 twice), fitted in one process: the first compiles (miss), the
second is a new object on new data and reuses the compiled model (hit), the third is the same
as the second after ``clear_compile_cache()`` (a warm recompile: what a second fit cost before
the cache). ``prepare_s`` is the nutpie step alone (fingerprint and compile, or fingerprint and
data swap); ``fit_s`` the whole ``fit()`` including sampling.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from benchmarks._common import machine_description, peak_rss_mb, write_json
from benchmarks._data import SIZES, make_panel
from benchmarks._models import build_kernel_model


def run(size):
    import nutpie

    from mirabal_stats.bayes.kernels.op import prepare_cells

    panel = make_panel(SIZES[size])
    other = make_panel(SIZES[size], seed=7)
    out = {
        "size": size,
        "command": "python -m benchmarks.compile_cache " + " ".join(sys.argv[1:]),
        "machine": machine_description(),
    }
    warnings.simplefilter("ignore")
    first = None
    for i in (1, 2):
        t0 = time.perf_counter()
        compiled = nutpie.compile_pymc_model(build_kernel_model(panel))
        out[f"nutpie_compile_{i}_s"] = time.perf_counter() - t0
        first = first or compiled
    for i in (1, 2):
        t0 = time.perf_counter()
        build_kernel_model(panel).logp_dlogp_function(ravel_inputs=True)
        out[f"pymc_c_compile_{i}_s"] = time.perf_counter() - t0
    # New data with the same parameter shapes (persons, cells) but another number of answers:
    # swap the shared variables of the first compiled model (nutpie only requires equal rank).
    names = sorted(n for n in first.shared_data if n.startswith("logit_cells_"))
    token = names[0].rsplit("_", 1)[1]
    new = prepare_cells(cell=other.cell, person=other.person, sign=1, y=other.y)
    t0 = time.perf_counter()
    swapped = first.with_data(**{f"logit_cells_{k}_{token}": v for k, v in new.items()})
    trace = nutpie.sample(swapped, draws=100, tune=100, chains=1, seed=1, progress_bar=False)
    out["nutpie_with_data_and_200_draws_s"] = time.perf_counter() - t0
    out["with_data_n_obs"] = [panel.n_obs, other.n_obs]
    out["with_data_posterior_mean_sigma"] = float(trace.posterior["sigma"].mean())
    out["session_cache"] = run_session_cache()
    out["peak_rss_mb"] = peak_rss_mb()
    print(out)
    return out


SESSION_COVARIATES = ["age", "separated", "children", "prior_police", "employed", "area"]
SESSION_FIT = dict(draws=200, tune=200, chains=2)


def run_session_cache():
    from mirabal_stats.bayes import IndicatorModel, sampling
    from mirabal_stats.datasets import simulate_mirabal

    sampling.clear_compile_cache()
    rows = []
    for label, seed, clear in (
        ("first model (compile)", 1, False),
        ("new model, new data (cache hit)", 2, False),
        ("same, cache cleared (recompile, warm disk cache)", 2, True),
    ):
        if clear:
            sampling.clear_compile_cache()
        panel, _ = simulate_mirabal(random_seed=seed)
        model = IndicatorModel(panel, covariates=SESSION_COVARIATES)
        before = sampling.compile_cache_info()
        t0 = time.perf_counter()
        compiled = sampling._compile_nutpie(model.model, None)
        prepare = time.perf_counter() - t0
        model._compiled[("nutpie", None)] = compiled  # fit() below reuses it: no second lookup
        t0 = time.perf_counter()
        result = model.fit(**SESSION_FIT, random_seed=seed)
        fit = time.perf_counter() - t0
        after = sampling.compile_cache_info()
        rows.append(
            {
                "run": label,
                "seed": seed,
                "n_obs": int(model.n_obs),
                "n_persons": int(model.arrays.n_persons),
                "n_indicators": int(model.arrays.n_indicators),
                "cache_hit": after.hits > before.hits,
                "prepare_s": prepare,
                "fit_s": fit,
                "total_s": prepare + fit,
                "posterior_mean_person_sd": float(result.idata.posterior["person_sd"].mean()),
            }
        )
    return {"fit": SESSION_FIT, "covariates": SESSION_COVARIATES, "runs": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="S")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    result = run(args.size)
    if args.json:
        write_json(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
