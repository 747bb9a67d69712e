"""The diagnostics section: every warning and failure of the run, in plain language."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mirabal_stats import exceptions as exc
from mirabal_stats.reporting.document import Note, Paragraph, Section, Table

__all__ = ["PLAIN_LANGUAGE", "plain_language", "diagnostics_section"]

#: What each warning class means for someone reading the report, most specific class first.
PLAIN_LANGUAGE: tuple[tuple[type[Warning], str], ...] = (
    (
        exc.BalanceWarning,
        "After weighting, some baseline characteristics still differ between the groups: the "
        "groups are not comparable on them, so effect estimates may be biased.",
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
        "limits: run more draws or tuning before relying on the Bayesian estimates.",
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
    sampler_diagnostics: pd.DataFrame | None = None,
) -> Section:
    """List every warning and failure by step; add the sampler's diagnostics table if given.

    Parameters
    ----------
    steps : sequence of StepRecord
        From the evaluation's step log: each has ``name``, ``warnings`` (caught
        :class:`warnings.WarningMessage`) and ``error`` (message or None).
    sampler_diagnostics : pandas.DataFrame, optional
        The Bayesian result's ``diagnostics()`` table (R-hat, ESS, divergences).
    """
    rows = []
    for step in steps:
        for item in step.warnings:
            rows.append(
                {
                    "step": step.name,
                    "kind": item.category.__name__,
                    "what it means": plain_language(item.category),
                    "message": str(item.message),
                }
            )
        if step.error:
            rows.append(
                {
                    "step": step.name,
                    "kind": "failed",
                    "what it means": "This analysis could not be run; its section is omitted.",
                    "message": step.error,
                }
            )
    blocks: list = [
        Paragraph(
            "Every warning raised while the analyses ran, with what it means. Warnings from "
            "mirabal_stats's own checks come first; warnings from underlying libraries are "
            "listed after them for completeness."
        )
    ]
    ours = [r for r in rows if _is_ours(r["kind"]) or r["kind"] == "failed"]
    theirs = [r for r in rows if not (_is_ours(r["kind"]) or r["kind"] == "failed")]
    if not ours:
        blocks.append(
            Note("No analysis step raised a warning from mirabal_stats's checks.", kind="info")
        )
    for row in ours:
        blocks.append(
            Note(f"[{row['step']}] {row['what it means']} ({row['message']})", kind="warning")
        )
    if rows:
        blocks.append(Table("warnings", "All warnings by step.", pd.DataFrame(ours + theirs)))
    if sampler_diagnostics is not None:
        attrs = sampler_diagnostics.attrs
        overview = pd.DataFrame(
            {
                "check": ["max R-hat", "min bulk ESS", "min tail ESS", "divergent transitions"],
                "value": [
                    attrs.get("max_r_hat"),
                    attrs.get("min_ess_bulk"),
                    attrs.get("min_ess_tail"),
                    attrs.get("divergences"),
                ],
                "safe limit": ["<= 1.01", ">= 400", ">= 400", "0"],
            }
        )
        verdict = (
            "All sampler checks pass."
            if attrs.get("ok")
            else "Some sampler checks fail: the Bayesian estimates may be inaccurate; rerun "
            "with more draws ([bayes] draws and tune)."
        )
        blocks.append(Paragraph(f"MCMC sampler of the Bayesian model. {verdict}"))
        blocks.append(Table("sampler_overview", "Sampler checks.", overview, digits=3))
        blocks.append(
            Table(
                "sampler_diagnostics",
                "R-hat and ESS for every parameter:",
                sampler_diagnostics,
                show=False,
            )
        )
    return Section("diagnostics", "Diagnostics and warnings", tuple(blocks))


def _is_ours(kind: str) -> bool:
    return isinstance(getattr(exc, kind, None), type) and issubclass(
        getattr(exc, kind), exc.MirabalWarning
    )
