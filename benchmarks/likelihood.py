"""Time of one log-density + gradient evaluation of the indicator model, several ways, one process.

Usage::

    flock /tmp/mcmc.lock python -m benchmarks.likelihood --size M --json benchmarks/results/likelihood_M.json
    python -m benchmarks.likelihood --smoke          # CI: XS size, fast methods only, < 30 s warm

Methods (all on the same simulated panel, see ``benchmarks/_data.py``):

* ``ours_raw``: the fused numba kernel on given ``F`` and person offsets.
* ``ours_pytensor_c``: the whole kernel model (priors, cell table, likelihood Op) compiled by
  PyMC's ``logp_dlogp_function`` on the default C backend: what ``pm.sample`` evaluates.
* ``ours_pytensor_numba``: the same graph on PyTensor's numba backend (what nutpie compiles).
* ``pymc_default``: the textbook model (per-answer gathers, ``pm.Bernoulli``) on the default C backend.
* ``pymc_default_cells``: the kernel model's graph with ``implementation="pytensor"`` (the cell-table
  trick without the kernel) on the default backend.
* ``pymc_numba``: the textbook model on the numba backend (nutpie's path).
* ``ours_jax``: the same graph through PyMC's JAX bridge (``get_jaxified_logp``, the Op's JAX
  translation), ``jax.jit(jax.value_and_grad(...))``: what ``pm.sample(nuts_sampler="numpyro")``
  evaluates (needs jax).
* ``bambi``: bambi's closest formula (needs bambi; run from a venv that has it).
* ``python_loop``: a plain Python loop over answers (XS and S only).
* ``floor_numpy``: the compute floor: numpy gather, softplus and sigmoid, two ``np.bincount``
  scatter-adds over the same answers (vectorised SIMD ufuncs, several passes).
* ``floor_exp_only``: one ``np.exp`` over all answers (the transcendental the kernel cannot avoid).

The kernel's value and gradient are checked against ``floor_numpy`` (relative 1e-8) before timing.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings

import numpy as np

from benchmarks._common import (
    machine_description,
    median_time,
    merge_into_previous,
    peak_rss_mb,
    write_json,
)
from benchmarks._data import SIZES, make_panel
from benchmarks._models import bambi_formula, build_default_model, build_kernel_model

ALL_METHODS = (
    "ours_raw",
    "ours_pytensor_c",
    "ours_pytensor_numba",
    "ours_jax",
    "pymc_default",
    "pymc_default_cells",
    "pymc_numba",
    "bambi",
    "python_loop",
    "floor_numpy",
    "floor_exp_only",
)
SMOKE_METHODS = ("ours_raw", "ours_pytensor_c", "python_loop", "floor_numpy", "floor_exp_only")


def numpy_floor(F, offset, cell, person, sign, y):
    """Value and gradient with numpy ufuncs and bincount (reference and compute floor)."""
    eta = F[cell] + sign * offset[person]
    e = np.exp(-np.abs(eta))
    value = np.sum(y * eta - (np.maximum(eta, 0.0) + np.log1p(e)))
    prob = np.where(eta >= 0, 1.0, e) / (1.0 + e)
    r = y - prob
    dF = np.bincount(cell, weights=r, minlength=F.shape[0])
    doff = np.bincount(person, weights=sign * r, minlength=offset.shape[0])
    return value, dF, doff


def python_loop(F, offset, cell, person, sign, y):
    """The naive implementation: one Python iteration per answer."""
    dF = [0.0] * len(F)
    doff = [0.0] * len(offset)
    value = 0.0
    for c, p, s, yn in zip(cell.tolist(), person.tolist(), sign.tolist(), y.tolist()):
        eta = F[c] + s * offset[p]
        value += yn * eta - (max(eta, 0.0) + math.log1p(math.exp(-abs(eta))))
        r = yn - 1.0 / (1.0 + math.exp(-eta)) if eta > -700 else yn
        dF[c] += r
        doff[p] += s * r
    return value, dF, doff


def _logp_dlogp(model, mode, rng):
    """PyMC's ``logp_dlogp_function`` (what pm.sample evaluates), at a jittered initial point."""
    from pymc.blocking import DictToArrayBijection

    t0 = time.perf_counter()
    fn = model.logp_dlogp_function(ravel_inputs=True, mode=mode)
    fn.set_extra_values({})
    point = model.initial_point(random_seed=1)
    x = DictToArrayBijection.map({v.name: point[v.name] for v in fn._grad_vars}).data
    x = x + rng.normal(0.0, 0.1, x.size)
    fn(x)
    compile_s = time.perf_counter() - t0
    return (lambda: fn(x)), compile_s


def _jax_logp_dlogp(model, rng):
    """PyMC's jaxified log density with ``jax.value_and_grad`` (numpyro's evaluation)."""
    import jax
    from pymc.sampling.jax import get_jaxified_logp

    t0 = time.perf_counter()
    fn = jax.jit(jax.value_and_grad(get_jaxified_logp(model)))
    point = model.initial_point(random_seed=1)
    x = [point[v.name] + rng.normal(0.0, 0.1, np.shape(point[v.name])) for v in model.value_vars]
    jax.block_until_ready(fn(x))
    compile_s = time.perf_counter() - t0
    return (lambda: jax.block_until_ready(fn(x))), compile_s


def _bambi_model(panel):
    import bambi as bmb
    import pandas as pd

    frame = pd.DataFrame(
        {
            "y": panel.y.astype(int),
            "indicator": panel.indicator.astype(str),
            "measure": panel.measure.astype(str),
            "wave": panel.wave.astype(str),
            "group": panel.group.astype(float),
            "gp": (panel.group * panel.post).astype(float),
            "person": panel.person.astype(str),
        }
    )
    model = bmb.Model(bambi_formula(), frame, family="bernoulli")
    model.build()
    return model.backend.model


def run(size: str, *, methods=ALL_METHODS, budget_s: float = 1.5, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    t_data = time.perf_counter()
    panel = make_panel(SIZES[size])
    data_s = time.perf_counter() - t_data
    n_cells_table = panel.indicator_measure.shape[0] * 6 * 2
    F = rng.normal(-0.3, 1.0, n_cells_table)
    offset = rng.normal(0.0, 1.0, panel.n_persons)
    cell, person = panel.cell, panel.person
    sign = np.ones(panel.n_obs, dtype=np.int8)
    y = panel.y
    yf, signf = y.astype(np.float64), sign.astype(np.float64)
    out = {
        "size": size,
        "n_persons": panel.n_persons,
        "n_obs": panel.n_obs,
        "n_cell_table": n_cells_table,
        "data_seconds": data_s,
        "command": "python -m benchmarks.likelihood " + " ".join(sys.argv[1:]),
        "machine": machine_description(),
        "methods": {},
        "skipped": {},
    }

    def record(name, fn, compile_s=None):
        t, n = median_time(fn, budget_s=budget_s)
        out["methods"][name] = {"median_s": t, "repeats": n, "compile_s": compile_s}
        print(f"{size} {name:22s} {t * 1e3:10.3f} ms  (n={n}, compile={compile_s})", flush=True)

    if "ours_raw" in methods or "ours_pytensor_c" in methods:
        from mirabal_stats.bayes.kernels._logit_cells import logit_cells_value_and_grad
        from mirabal_stats.bayes.kernels.op import prepare_cells

        t0 = time.perf_counter()
        d = prepare_cells(cell=cell, person=person, sign=sign, y=y)
        dF, doff = np.empty_like(F), np.empty_like(offset)
        value = logit_cells_value_and_grad(
            F, offset, d["cell"], d["ptr"], d["sign"], d["y"], dF, doff
        )
        compile_s = time.perf_counter() - t0
        ref = numpy_floor(F, offset, cell, person, signf, yf)
        np.testing.assert_allclose(value, ref[0], rtol=1e-8)
        np.testing.assert_allclose(dF, ref[1], rtol=1e-8, atol=1e-8 * np.abs(ref[1]).max())
        np.testing.assert_allclose(doff, ref[2], rtol=1e-8, atol=1e-8 * np.abs(ref[2]).max())
        out["kernel_check"] = {"value": value, "value_rel_err": abs(value - ref[0]) / abs(ref[0])}
        if "ours_raw" in methods:
            record(
                "ours_raw",
                lambda: logit_cells_value_and_grad(
                    F, offset, d["cell"], d["ptr"], d["sign"], d["y"], dF, doff
                ),
                compile_s,
            )

    if "floor_numpy" in methods:
        record("floor_numpy", lambda: numpy_floor(F, offset, cell, person, signf, yf))
    if "floor_exp_only" in methods:
        eta = F[cell] + offset[person]
        record("floor_exp_only", lambda: np.exp(eta))
    if "python_loop" in methods:
        if size in ("XS", "S"):
            record("python_loop", lambda: python_loop(F, offset, cell, person, sign, y), None)
        else:
            out["skipped"]["python_loop"] = "S and XS only (minutes per evaluation at M)"

    pymc_builds = {
        "ours_pytensor_c": (lambda: build_kernel_model(panel, implementation="numba"), None),
        "ours_pytensor_numba": (lambda: build_kernel_model(panel, implementation="numba"), "NUMBA"),
        "pymc_default": (lambda: build_default_model(panel), None),
        "pymc_default_cells": (lambda: build_kernel_model(panel, implementation="pytensor"), None),
        "pymc_numba": (lambda: build_default_model(panel), "NUMBA"),
    }
    for name, (build, mode) in pymc_builds.items():
        if name not in methods:
            continue
        if name == "pymc_numba" and size == "L":
            out["skipped"][name] = (
                "numba backend inlines the 4.3M-answer index arrays as "
                "compile-time constants; compile not attempted at L"
            )
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn, compile_s = _logp_dlogp(build(), mode, rng)
            record(name, fn, compile_s)
        del fn

    if "ours_jax" in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn, compile_s = _jax_logp_dlogp(build_kernel_model(panel, implementation="numba"), rng)
            record("ours_jax", fn, compile_s)

    if "bambi" in methods:
        if size == "L":
            out["skipped"]["bambi"] = "dense design matrix of 4.3M x 122 (4 GB); not attempted at L"
        else:
            try:
                import bambi  # noqa: F401
            except ImportError as exc:
                out["skipped"]["bambi"] = f"bambi not importable in this environment ({exc})"
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    model = _bambi_model(panel)
                    build_s = time.perf_counter() - t0
                    fn, compile_s = _logp_dlogp(model, None, rng)
                    record("bambi", fn, build_s + compile_s)
                    out["bambi_formula"] = bambi_formula()

    out["ratios"] = compute_ratios(out["methods"])
    out["peak_rss_mb"] = peak_rss_mb()
    for k, v in out["ratios"].items():
        if v is not None:
            print(f"{size} {k:40s} {v:8.2f}", flush=True)
    return out


def compute_ratios(m):
    """Speed ratios between the timed methods (None when one of the pair was not run)."""

    def ratio(a, b):
        return m[a]["median_s"] / m[b]["median_s"] if a in m and b in m else None

    return {
        "ratio_pymc_default_over_ours": ratio("pymc_default", "ours_pytensor_c"),
        "ratio_pymc_default_cells_over_ours": ratio("pymc_default_cells", "ours_pytensor_c"),
        "ratio_pymc_numba_over_ours": ratio("pymc_numba", "ours_pytensor_c"),
        "ratio_bambi_over_ours": ratio("bambi", "ours_pytensor_c"),
        "ratio_ours_over_floor": ratio("ours_pytensor_c", "floor_numpy"),
        "ratio_ours_raw_over_floor": ratio("ours_raw", "floor_numpy"),
        "ratio_ours_raw_over_exp_only": ratio("ours_raw", "floor_exp_only"),
        "ratio_python_loop_over_ours_raw": ratio("python_loop", "ours_raw"),
        "ratio_ours_numba_backend_over_ours": ratio("ours_pytensor_numba", "ours_pytensor_c"),
        "ratio_ours_jax_over_ours_numba_backend": ratio("ours_jax", "ours_pytensor_numba"),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="S")
    parser.add_argument("--json", default=None, help="output JSON path")
    parser.add_argument("--smoke", action="store_true", help="XS size, fast methods only (CI)")
    parser.add_argument("--methods", default=None, help="comma-separated subset of methods")
    parser.add_argument("--budget", type=float, default=1.5, help="seconds of repeats per method")
    parser.add_argument(
        "--append",
        action="store_true",
        help="add the methods to an existing --json of the same size",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        result = run("XS", methods=SMOKE_METHODS, budget_s=0.2)
    else:
        methods = tuple(args.methods.split(",")) if args.methods else ALL_METHODS
        unknown = set(methods) - set(ALL_METHODS)
        if unknown:
            parser.error(f"unknown methods {sorted(unknown)}; choose from {ALL_METHODS}")
        result = run(args.size, methods=methods, budget_s=args.budget)
    if args.json and args.append and os.path.exists(args.json):
        result = merge_into_previous(
            result, args.json, entries="methods", same_keys=("size",), compute_ratios=compute_ratios
        )
    if args.json:
        write_json(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
