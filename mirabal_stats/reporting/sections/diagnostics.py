"""The diagnostics section: every warning and failure of the run, in plain language."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mirabal_stats import exceptions as exc
from mirabal_stats.reporting.digests import BayesDigest
from mirabal_stats.reporting.document import Note, Paragraph, Section, Table

__all__ = ["PLAIN_LANGUAGE", "plain_language", "diagnostics_section"]

#: What each warning class means for someone reading the report, most specific class first.
PLAIN_LANGUAGE: tuple[tuple[type[Warning], str], ...] = (
    (
        exc.BalanceWarning,
        "After weighting, some baseline characteristics still differ between the groups: the "
        "groups are not comparable on them, so effect estimates may be biased. In the config: "
        'try another method ([weighting] options = { method = "entropy" }) or add the '
        "covariate's square or interactions to the person file and to [design] covariates.",
    ),
    (
        exc.ESSWarning,
        "An effective sample size is small: the weights or the MCMC draws rest on few effective "
        "observations, so the estimate is imprecise and may be unstable.",
    ),
    (
        exc.SeparationWarning,
        "An outcome is perfectly predicted in part of the data (e.g. nobody in a group said yes): "
        "that odds ratio is unbounded and its estimate unreliable.",
    ),
    (
        exc.ConvergenceWarning,
        "An estimation algorithm did not converge: do not use its numbers until it does.",
    ),
    (
        exc.SamplingWarning,
        "The MCMC sampler's checks (R-hat, effective sample size, divergences) are outside safe "
        "limits: run more draws or tuning before relying on the Bayesian estimates (in the "
        "config: [bayes] draws, tune and chains, or --draws/--tune/--chains).",
    ),
    (
        exc.ProportionalHazardsWarning,
        "The hazard ratio changes over follow-up, so one hazard ratio summarises the difference "
        "poorly; read the survival curves.",
    ),
    (
        exc.FewClustersWarning,
        "Few clusters for cluster-robust standard errors: the cross-check intervals may be too "
        "narrow.",
    ),
    (
        exc.EstimabilityWarning,
        "A quantity could not be estimated from these data (e.g. a group without events).",
    ),
    (
        exc.RowsExcludedWarning,
        "Some rows were left out of an analysis; the message gives the count and the reason.",
    ),
    (exc.DataWarning, "Something in the data deserves attention."),
    (exc.MirabalWarning, "A check in mirabal_stats flagged something to look at."),
)


def plain_language(category: type[Warning]) -> str:
    """The plain-language meaning of a warning class (a generic text for other libraries')."""
    for cls, text in PLAIN_LANGUAGE:
        if issubclass(category, cls):
            return text
    return "A warning from an underlying library; usually technical, listed for completeness."


def diagnostics_section(
    steps: Sequence,
    *,
    bayes: BayesDigest | None = None,
    log_name: str = "mirabal_stats.log",
) -> Section:
    """Every step with its outcome, every warning of mirabal_stats's checks, the sampler checks.

    Parameters
    ----------
    steps : sequence of StepRecord
        From the evaluation's step log (:mod:`mirabal_stats.reporting.steps`).
    bayes : BayesDigest, optional
        The Bayesian model's digest: its R-hat, ESS and divergences table.
    log_name : str
        The log file that holds the warnings of underlying libraries.
    """
    outcome = {
        "ran": "ran",
        "failed": "could not run on these data",
        "bug": "internal error (a bug in mirabal_stats)",
        "skipped": "switched off",
        "not applicable": "not applicable",
        "unavailable": "not installed",
    }
    overview = pd.DataFrame(
        [
            {
                "step": step.title,
                "outcome": outcome.get(step.status, step.status),
                "seconds": step.seconds,
                "warnings": len(step.ours),
                "reason": step.reason,
            }
            for step in steps
        ]
    )
    rows = []
    for step in steps:
        for item in step.ours:
            rows.append(
                {
                    "step": step.name,
                    "kind": item.category.__name__,
                    "what it means": plain_language(item.category),
                    "message": str(item.message),
                }
            )
    n_library = sum(len(step.theirs) for step in steps)
    blocks: list = [
        Paragraph(
            "Every analysis step with its outcome and duration, then every warning raised by "
            "mirabal_stats's own checks, with what it means. Warnings and messages of the "
            f"underlying libraries ({n_library} in this run) are not repeated here: they are in "
            f"{log_name} in the report folder."
        )
    ]
    if not overview.empty:
        blocks.append(Table("steps", "Analysis steps.", overview, digits=1))
    for step in steps:
        if step.status == "bug":
            blocks.append(
                Note(
                    f"[{step.name}] internal error: {step.reason}. This is a bug in "
                    f"mirabal_stats, not in your data; the traceback is in {log_name}. Please "
                    "report it.",
                    kind="warning",
                )
            )
    if not rows:
        blocks.append(
            Note("No analysis step raised a warning from mirabal_stats's checks.", kind="info")
        )
    for row in rows:
        blocks.append(
            Note(f"[{row['step']}] {row['what it means']} ({row['message']})", kind="warning")
        )
    if rows:
        blocks.append(Table("warnings", "All warnings by step.", pd.DataFrame(rows)))
    if bayes is not None:
        overview = pd.DataFrame(
            {
                "check": ["max R-hat", "min bulk ESS", "min tail ESS", "divergent transitions"],
                "value": [
                    bayes.max_r_hat,
                    bayes.min_ess_bulk,
                    bayes.min_ess_tail,
                    bayes.divergences,
                ],
                "safe limit": ["<= 1.01", ">= 400", ">= 400", "0"],
            }
        )
        verdict = (
            "All sampler checks pass."
            if bayes.converged
            else "Some sampler checks fail: the Bayesian estimates may be inaccurate; rerun "
            "with more draws ([bayes] draws and tune)."
        )
        blocks.append(
            Paragraph(
                f"MCMC sampler of the Bayesian model ({bayes.chains} chains x {bayes.tune} "
                f"tuning + {bayes.draws} draws). {verdict}"
            )
        )
        blocks.append(Table("sampler_overview", "Sampler checks.", overview, digits=3))
        blocks.append(
            Table(
                "sampler_diagnostics",
                "R-hat and ESS for every parameter:",
                bayes.diagnostics,
                show=False,
            )
        )
    return Section("diagnostics", "Diagnostics and warnings", tuple(blocks))
