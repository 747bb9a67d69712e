"""Power and sample size for docs/planning.md ("Planning an evaluation").

Two questions, answered with fast frequentist analyses (fixed-effects DiD, Dask LocalCluster):

1. ``published``: the power to detect the published changes in the safety and space-for-action
   measures with 100 intervention and 62 comparison women and Mirabal-like dropout
   (``MirabalDesign.published()`` restricted to the indicators of those two measures; the
   indicators of the other measures do not change the distribution of these ones).
2. ``sample-size``: the group size (1:1) for 80% power to detect a 10 pp effect on one safety
   indicator ("slapped, pushed or had something thrown at her": 87% at baseline), with the same
   dropout, person SD and confounding, by :func:`mirabal_stats.studies.sample_size`; then a
   check: 400 fresh replicates at the size found (MC SE of power <= 0.02).

Run from the repository root (2 cores; see studies/calibration/README.md for the times):

    PYTHONPATH=. OMP_NUM_THREADS=1 nice -n 15 .venv/bin/python \
        studies/calibration/planning_power.py all --n-workers 2

Writes ``studies/calibration/results/planning_<part>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import pandas as pd

from mirabal_stats.datasets.mirabal_design import indicator_catalogue
from mirabal_stats.studies import MirabalDesign, analyses, run_study, sample_size

OUT = Path(__file__).resolve().parent / "results"
MEASURES = ("safety", "space_for_action")
SAFETY_INDICATOR = "slapped_pushed"


def published(n_replicates: int, n_workers: int | None, seed: int) -> dict:
    catalogue = indicator_catalogue()
    codes = tuple(catalogue.index[catalogue["measure"].isin(MEASURES)])
    design = dataclasses.replace(MirabalDesign.published(), indicators=codes)
    start = time.perf_counter()
    study = run_study(
        design,
        [analyses.did(level="measure"), analyses.naive(level="measure")],
        n_replicates=n_replicates,
        random_seed=seed,
        n_workers=n_workers,
    )
    perf = study.performance_frame().reset_index()
    return {
        "design": design.to_dict(),
        "n_replicates": n_replicates,
        "random_seed": seed,
        "seconds": round(time.perf_counter() - start, 1),
        "performance": perf.round(4).to_dict(orient="records"),
    }


def needed_size(n_replicates: int, n_workers: int | None, seed: int) -> dict:
    design = dataclasses.replace(
        MirabalDesign.published(), indicators=(SAFETY_INDICATOR,), effect_pp=10.0
    )
    analysis = analyses.did(level="indicator")
    start = time.perf_counter()
    result = sample_size(
        design,
        analysis,
        estimand=SAFETY_INDICATOR,
        scale="pp",
        target_power=0.8,
        n_range=(150, 600),
        n_replicates=n_replicates,
        max_rounds=2,
        random_seed=seed,
        n_workers=n_workers,
    )
    answer = result.to_frame().iloc[0]
    n = int(answer["recommended"])
    check = run_study(
        dataclasses.replace(design, n_intervention=n, n_comparison=n),
        analysis,
        n_replicates=400,
        random_seed=seed + 1,
        n_workers=n_workers,
    )
    check_row = check.performance_frame().reset_index().iloc[0]
    return {
        "design": design.to_dict(),
        "analysis": analysis.name,
        "random_seed": seed,
        "seconds": round(time.perf_counter() - start, 1),
        "answer": {k: (v.item() if hasattr(v, "item") else v) for k, v in answer.items()},
        "sizes_visited": result.curve_frame().round(4).to_dict(orient="records"),
        "probit": [float(b) for b in result.beta],
        "gof_p_value": result.gof_p_value,
        "check_at_recommended": {
            "n_per_group": n,
            "n_replicates": 400,
            "power": float(check_row["power"]),
            "power_mcse": float(check_row["power_mcse"]),
            "bias": float(check_row["bias"]),
            "bias_mcse": float(check_row["bias_mcse"]),
            "coverage": float(check_row["coverage"]),
            "coverage_mcse": float(check_row["coverage_mcse"]),
        },
    }


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub markdown table (no tabulate dependency)."""

    def cell(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _markdown(name: str, record: dict) -> str:
    lines = [f"# planning_{name} (command in planning_power.py)", ""]
    if name == "published":
        perf = pd.DataFrame(record["performance"])
        cols = [
            "analysis",
            "estimand",
            "truth",
            "bias",
            "bias_mcse",
            "coverage",
            "coverage_mcse",
            "power",
            "power_mcse",
            "n_failed",
        ]
        lines.append(markdown_table(perf[cols]))
    else:
        lines.append(f"answer: {json.dumps(record['answer'], indent=1)}")
        lines.append("")
        lines.append(markdown_table(pd.DataFrame(record["sizes_visited"])))
        lines.append("")
        lines.append(f"check: {json.dumps(record['check_at_recommended'])}")
    lines.append(f"\n{record['seconds']} s")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("part", choices=["published", "sample-size", "all"])
    parser.add_argument("--replicates", type=int, default=None)
    parser.add_argument("--n-workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    parts = ["published", "sample-size"] if args.part == "all" else [args.part]
    for part in parts:
        if part == "published":
            record = published(args.replicates or 100, args.n_workers, args.seed)
        else:
            record = needed_size(args.replicates or 100, args.n_workers, args.seed)
        stem = OUT / f"planning_{part.replace('-', '_')}"
        stem.with_suffix(".json").write_text(json.dumps(record, indent=1, default=str) + "\n")
        stem.with_suffix(".md").write_text(_markdown(stem.name.split("_", 1)[1], record))
        print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
