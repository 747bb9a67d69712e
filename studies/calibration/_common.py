"""Shared pieces of the calibration scripts: the small design and writing the results."""

from __future__ import annotations

import json
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mirabal_stats.studies import MirabalDesign

RESULTS = Path(__file__).resolve().parent / "results"

#: 8 indicators in 3 measures (both answer directions in each of safety and space for action).
INDICATORS = (
    "slapped_pushed",
    "injured",
    "feels_very_safe",
    "prevents_contact",
    "controls_dress",
    "own_decisions",
    "negotiates",
    "shouts_swears",
)

#: The calibration design: 150 + 150 women, 6 waves, Mirabal-like MAR dropout, confounded
#: group membership, effects calibrated to the published before/after figures.
SMALL_DESIGN = MirabalDesign(indicators=INDICATORS, n_intervention=150, n_comparison=150)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub markdown table (no tabulate dependency)."""

    def cell(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def write(name: str, study, *, smoke: bool, seconds: float, notes: list[str]) -> Path:
    """``results/<name>[_smoke].json`` (settings, performance, diagnostics per replicate) and
    ``.md`` (the performance table with the coverage verdict)."""
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / (f"{name}_smoke" if smoke else name)
    perf = study.performance_frame().reset_index()
    nominal = study.ci_level
    perf["coverage_ok"] = (perf["coverage"] - nominal).abs() <= 2 * np.sqrt(
        nominal * (1 - nominal) / perf["n"].clip(lower=1)
    )
    table = study.to_frame()
    diagnostics = None
    if "rhat_max" in table:
        diagnostics = (
            table.dropna(subset=["rhat_max"])
            .groupby(["analysis", "replicate"])[["rhat_max", "ess_bulk_min", "divergences"]]
            .first()
            .reset_index()
        )
    timing = (
        table.groupby(["analysis", "replicate"])[["seconds", "cpu_seconds"]]
        .first()
        .groupby("analysis")
        .mean()
        .round(2)
    )
    record = {
        "label": "SMOKE RUN (too few replicates to judge anything; proves the script)"
        if smoke
        else "full run",
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
        "python": platform.python_version(),
        "seconds": round(seconds, 1),
        "n_replicates": study.n_replicates,
        "random_seed": study.random_seed,
        "ci_level": nominal,
        "design": study.design.to_dict(),
        "analyses": study.provenance.settings["analyses"],
        "packages": study.provenance.packages,
        "notes": notes,
        "mean_seconds_per_replicate": json.loads(timing.reset_index().to_json(orient="records")),
        "performance": json.loads(perf.to_json(orient="records")),
        "failures": json.loads(study.failures_frame().to_json(orient="records")),
        "diagnostics_per_replicate": None
        if diagnostics is None
        else json.loads(diagnostics.to_json(orient="records")),
    }
    stem.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    cols = [
        "analysis",
        "estimand",
        "scale",
        "n",
        "n_failed",
        "truth",
        "bias",
        "bias_mcse",
        "rmse",
        "coverage",
        "coverage_mcse",
        "coverage_ok",
        "mean_width",
        "power",
    ]
    lines = [
        f"# {name}: {record['label']}",
        "",
        f"`{record['command']}`: {study.n_replicates} replicates, seed {study.random_seed}, "
        f"{100 * nominal:g}% intervals, {record['seconds']} s.",
        "",
        *[f"- {n}" for n in notes],
        "",
        markdown_table(perf[[c for c in cols if c in perf]]),
    ]
    if diagnostics is not None:
        clean = diagnostics.assign(
            clean=(diagnostics["rhat_max"] <= 1.01) & (diagnostics["divergences"] == 0)
        )
        by = clean.groupby("analysis").agg(
            fits=("clean", "size"),
            clean=("clean", "sum"),
            max_rhat=("rhat_max", "max"),
            divergences=("divergences", "sum"),
            min_ess=("ess_bulk_min", "min"),
        )
        lines += [
            "",
            "Sampler diagnostics (clean = R-hat <= 1.01 and no divergence):",
            "",
            markdown_table(by.reset_index()),
        ]
    lines += [
        "",
        "Mean wall and CPU seconds per replicate and analysis (the machine was shared "
        "when smoke runs were made: CPU seconds are the better guide):",
        "",
        markdown_table(timing.reset_index()),
    ]
    if record["failures"]:
        lines += [
            "",
            f"{len(record['failures'])} failed fits, e.g. {record['failures'][0]['error']}",
        ]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    return stem


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
