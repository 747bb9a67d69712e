"""The balance section: covariates before and after propensity weighting, with the love plot."""

from __future__ import annotations

from mirabal_stats.reporting.digests import WeightingDigest
from mirabal_stats.reporting.document import Note, Paragraph, Section, Table

__all__ = ["balance_section"]


def balance_section(weights: WeightingDigest) -> Section:
    """Section from the propensity-weighting digest (balance, ESS, love plot)."""
    ess = weights.ess
    low, high = weights.comparison_weight_range
    target = {
        "ATT": "the comparison group is reweighted to resemble the intervention group",
        "ATE": "both groups are reweighted to resemble everyone in the study",
        "ATO": "both groups are reweighted to the people who could plausibly be in either group",
    }[weights.estimand]
    blocks: list = [
        Paragraph(
            f"The groups were not randomised, so they may differ at baseline. For the "
            f"{weights.estimand}, {target}, using the baseline covariates "
            f"{', '.join(weights.covariates)} ({weights.method} propensity model). A covariate "
            f"is balanced when its standardised difference (binary: difference in proportions) "
            f"is below {weights.threshold:g} after weighting."
        ),
        Paragraph(
            f"Comparison-group weights range from {low:.2f} to "
            f"{high:.2f}; the weighted comparison group carries the information of "
            f"about {ess.loc['control', 'ess']:.0f} of its {ess.loc['control', 'n']} members "
            "(Kish effective sample size)."
        ),
        *([weights.love_plot] if weights.love_plot is not None else []),
        Table(
            "balance",
            "Covariate balance before (_un) and after (_adj) weighting.",
            weights.balance,
        ),
        Table("effective_sample_size", "Kish effective sample size by group.", ess, digits=1),
    ]
    if not weights.all_balanced:
        blocks.append(
            Note(
                f"{len(weights.unbalanced)} covariate term(s) remain imbalanced after weighting: "
                f"{', '.join(map(str, weights.unbalanced))}. Effects may still be confounded by "
                "them; consider another weighting method ([weighting] options, e.g. method = "
                '"entropy") and read the effects with this in mind.',
                kind="warning",
            )
        )
    if weights.comparison_ess_ratio < weights.ess_threshold:
        blocks.append(
            Note(
                f"The weighted comparison group's effective size is only "
                f"{ess.loc['control', 'ess']:.0f} of {ess.loc['control', 'n']}: a few people carry "
                "much of the weight, so comparisons are imprecise.",
                kind="warning",
            )
        )
    return Section("balance", "Balance before and after weighting", tuple(blocks))
