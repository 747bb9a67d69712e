"""Markdown tables and the time-per-evaluation plot from the committed JSON results.

Usage::

    python -m benchmarks.report     # writes benchmarks/results/README.md and docs/performance_likelihood.png
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks._common import RESULTS_DIR

SIZE_ORDER = ("XS", "S", "M", "L")
LIK_METHODS = (
    ("ours_raw", "fused numba kernel (raw call)"),
    ("ours_pytensor_c", "kernel model, PyMC C backend (pm.sample path)"),
    ("ours_pytensor_numba", "kernel model, numba backend (nutpie path)"),
    ("ours_jax", "kernel model, JAX backend (numpyro path)"),
    ("pymc_default", "PyMC default: textbook model, C backend"),
    ("pymc_default_cells", "PyMC plain graph on the cell table, C backend"),
    ("pymc_numba", "PyMC textbook model, numba backend"),
    ("bambi", "bambi closest formula, C backend"),
    ("python_loop", "Python loop"),
    ("floor_numpy", "compute floor: numpy ufuncs + bincount"),
    ("floor_exp_only", "one SIMD np.exp over all answers"),
)


def _load(prefix):
    """Results by size; for sampling also extra runs such as ``sampling_M_long_ours.json``."""
    out = {}
    for size in SIZE_ORDER:
        for path in sorted(RESULTS_DIR.glob(f"{prefix}_{size}*.json")):
            key = size if path.stem == f"{prefix}_{size}" else path.stem.removeprefix(prefix + "_")
            out[key] = json.loads(path.read_text())
    return out


def _fmt(x, digits=3):
    if x is None:
        return "–"
    return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"


def likelihood_table(results) -> str:
    sizes = [s for s in SIZE_ORDER if s in results]
    results = {s: results[s] for s in sizes}
    lines = [
        "| method | "
        + " | ".join(f"{s} ({results[s]['n_obs']:,} answers) ms" for s in sizes)
        + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for key, label in LIK_METHODS:
        row = []
        for s in sizes:
            m = results[s]["methods"].get(key)
            row.append(_fmt(m["median_s"] * 1e3) if m else "–")
        lines.append(f"| {label} (`{key}`) | " + " | ".join(row) + " |")
    ratio_keys = sorted({k for s in sizes for k in results[s]["ratios"]})
    lines += ["", "| ratio | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(sizes)]
    for k in ratio_keys:
        lines.append(
            f"| `{k}` | " + " | ".join(_fmt(results[s]["ratios"].get(k)) for s in sizes) + " |"
        )
    lines += [
        "",
        "Peak memory (MB): " + ", ".join(f"{s} {results[s]['peak_rss_mb']:.0f}" for s in sizes),
    ]
    skipped = {(s, k): v for s in sizes for k, v in results[s].get("skipped", {}).items()}
    if skipped:
        lines += [
            "",
            "Not measured: " + "; ".join(f"{k} at {s}: {v}" for (s, k), v in skipped.items()),
        ]
    return "\n".join(lines)


def sampling_table(results) -> str:
    lines = []
    for s, r in results.items():
        lines += [
            f"### {s}: {r['n_persons']:,} persons, {r['n_obs']:,} answers, "
            f"{r['chains']} chains x ({r['tune']} tune + {r['draws']} draws), seed {r['seed']}",
            "",
            f"Command: `{r['command']}`",
            "",
        ]
        keys = (
            "wall_s_incl_compile",
            "compile_s",
            "sampling_s",
            "gradient_evaluations",
            "gradient_evaluations_draws_only",
            "min_bulk_ess_effects",
            "bulk_ess_sigma",
            "ess_per_s_effects",
            "ess_per_s_sigma",
            "ess_per_1000_grad_effects",
            "ess_per_1000_grad_sigma",
            "max_rhat_effects_sigma",
            "divergences",
            "posterior_mean_sigma",
        )
        order = (
            "ours_nutpie_lowrank",
            "ours_nutpie",
            "ours_pymc",
            "ours_numpyro",
            "ours_numpyro_vectorized",
            "default_pymc",
            "default_nutpie",
        )
        variants = [v for v in order if v in r["variants"]]
        lines += ["| quantity | " + " | ".join(variants) + " |", "|---|" + "---|" * len(variants)]
        for k in keys:
            digits = 4 if k.startswith("max_rhat") else 3
            lines.append(
                f"| {k} | "
                + " | ".join(_fmt(r["variants"][v].get(k), digits) for v in variants)
                + " |"
            )
        if r.get("ratios"):
            lines += ["", "| ratio (kernel model over PyMC default) | value |", "|---|---|"]
            lines += [f"| `{k}` | {_fmt(v)} |" for k, v in r["ratios"].items()]
        lines += [
            "",
            f"Peak memory: {r['peak_rss_mb']:.0f} MB; true sigma {r['truth']['sigma']}.",
            "",
        ]
    return "\n".join(lines)


def library_fit_table(results) -> str:
    """The library's own model (``IndicatorModel`` defaults, draws as recorded) fitted end to end, one column per size."""
    sizes = list(results)
    rows = [
        ("persons", lambda x: f"{x['persons']:,}"),
        ("answers", lambda x: f"{x['answers']:,}"),
        (
            "chains x (tune + draws)",
            lambda x: (
                f"{x['settings']['chains']} x ({x['settings']['tune']} + {x['settings']['draws']})"
            ),
        ),
        (
            "mass matrix",
            lambda x: "low-rank" if x["settings"]["low_rank_mass_matrix"] else "diagonal",
        ),
        (
            "indicator effects (default rule)",
            lambda x: "centred" if x["settings"]["centred_effects"] else "non-centred",
        ),
        ("compile (s)", lambda x: _fmt(x["compile_seconds"])),
        ("sampling (s)", lambda x: _fmt(x["sampling_seconds"])),
        ("whole process, wall (s)", lambda x: _fmt(x.get("process_wall_s"))),
        ("peak memory (GB)", lambda x: _fmt(x.get("peak_rss_gb"))),
        (
            "max R-hat (all reported quantities)",
            lambda x: f"{x['max_r_hat']:.3f} ({x['worst_r_hat']})",
        ),
        ("min bulk ESS", lambda x: f"{x['min_ess_bulk']:,.0f} ({x['worst_ess']})"),
        ("min tail ESS", lambda x: f"{x['min_ess_tail']:,.0f}"),
        ("divergences", lambda x: str(x["divergences"])),
        (
            "overall effect, pp (90% interval)",
            lambda x: "{estimate:.2f} ({lower:.2f} to {upper:.2f})".format(**x["overall_pp"]),
        ),
        ("true overall effect, pp", lambda x: f"{x['true_overall_beneficial_pp']:.2f}"),
    ]
    lines = ["| quantity | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(sizes)]
    lines += [
        f"| {name} | " + " | ".join(get(results[s]) for s in sizes) + " |" for name, get in rows
    ]
    lines += [""] + [f"Command ({s}): `{results[s]['command']}`" for s in sizes]
    return "\n".join(lines)


def plot_likelihood(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, label in LIK_METHODS:
        pts = [
            (results[s]["n_obs"], results[s]["methods"][key]["median_s"] * 1e3)
            for s in SIZE_ORDER
            if s in results and key in results[s]["methods"]
        ]
        if pts:
            xs, ys = zip(*pts)
            style = "-o" if key.startswith("ours") else ("--s" if key.startswith("floor") else ":^")
            ax.plot(xs, ys, style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("observed answers (cells)")
    ax.set_ylabel("ms per log-density + gradient")
    ax.set_title("One evaluation of the indicator model's log density and gradient")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return fig


def machine_block(results) -> str:
    any_result = next(iter(results.values()))
    m = any_result["machine"]
    return (
        f"Machine: {m['cpu']}, {m['logical_cores']} logical cores, {m['memory_gb']} GB, "
        f"{m['platform']}, Python {m['python']}; versions {m['versions']}; "
        f"commit {m['git_commit']}. Load average at start of each run is in the JSON "
        f"(the machine is shared: read timings as ratios)."
    )


def compile_cache_table(results) -> str:
    lines = []
    for s, r in results.items():
        sc = r.get("session_cache")
        lines += [
            f"Command: `{r['command']}`",
            "",
            "| step | first | second (same session) |",
            "|---|---|---|",
            f"| nutpie `compile_pymc_model` (kernel model, size {s}) | "
            f"{_fmt(r['nutpie_compile_1_s'])} s | {_fmt(r['nutpie_compile_2_s'])} s |",
            f"| PyMC `logp_dlogp_function` | {_fmt(r['pymc_c_compile_1_s'])} s | "
            f"{_fmt(r['pymc_c_compile_2_s'])} s |",
            f"| `with_data` + 200 draws | – | {_fmt(r['nutpie_with_data_and_200_draws_s'])} s |",
            "",
        ]
        if sc:
            fit = sc["fit"]
            lines += [
                f"Session cache: `IndicatorModel` with covariates {sc['covariates']}, "
                f"fit({fit['chains']} chains x ({fit['tune']} tune + {fit['draws']} draws)).",
                "",
                "| run | seed | answers | cache hit | compile or reuse (s) | fit incl. sampling (s) |",
                "|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {x['run']} | {x['seed']} | {x['n_obs']:,} | {x['cache_hit']} | "
                f"{_fmt(x['prepare_s'])} | {_fmt(x['fit_s'])} |"
                for x in sc["runs"]
            ]
            lines.append("")
    return "\n".join(lines)


def main() -> int:
    lik = _load("likelihood")
    samp = _load("sampling")
    comp = _load("compile_cache")
    fits = _load("library_fit")
    parts = [
        "# Benchmark results",
        "",
        "Generated by `python -m benchmarks.report` from the JSON files in this folder.",
        "",
    ]
    if lik:
        parts += [
            "## Log density + gradient (median of repeated evaluations, one process per size)",
            "",
            machine_block(lik),
            "",
            "Commands: " + "; ".join(f"`{lik[s]['command']}`" for s in lik),
            "",
            likelihood_table(lik),
            "",
        ]
        plot_likelihood(lik, Path(__file__).parents[1] / "docs" / "performance_likelihood.png")
    if samp:
        parts += ["## NUTS sampling", "", machine_block(samp), "", sampling_table(samp)]
    if fits:
        parts += [
            "## The library model end to end (`IndicatorModel` defaults; chains and draws as listed)",
            "",
            machine_block(fits),
            "",
            "Simulated Mirabal design (`simulate_mirabal`, 100:62 intervention:comparison, "
            "34 indicators in six measures, MAR dropout) with the six covariates of the demo; "
            "R-hat and ESS over every quantity the results report. The benchmark kernel "
            "model above keeps non-centred indicator effects; the library chooses centred "
            "effects when the data are informative, which is what makes M and L converge.",
            "",
            library_fit_table(fits),
            "",
        ]
    if comp:
        parts += [
            "## Compilation and the session compile cache",
            "",
            machine_block(comp),
            "",
            compile_cache_table(comp),
        ]
    (RESULTS_DIR / "README.md").write_text("\n".join(parts) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
