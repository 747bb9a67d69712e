"""The balance section: covariates before and after propensity weighting, with the love plot."""

from __future__ import annotations

from mirabal_stats.reporting.document import Note, Paragraph, Section, Table, figure_from_matplotlib

__all__ = ["balance_section"]

_COLUMNS = [
    "type",
    "mean_treated_un",
    "mean_control_un",
    "mean_control_adj",
    "diff_un",
    "diff_adj",
    "vr_adj",
    "balanced",
]


def balance_section(weights) -> Section:
    """Section from a :class:`~mirabal_stats.weighting.PropensityWeightsResults`."""
    balance = weights.balance()
    table = balance.to_frame()
    ess = weights.effective_sample_size()
    comparison_w = weights.weights[weights.treatment == 0]
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
            f"is below {balance.threshold:g} after weighting."
        ),
        Paragraph(
            f"Comparison-group weights range from {comparison_w.min():.2f} to "
            f"{comparison_w.max():.2f}; the weighted comparison group carries the information of "
            f"about {ess.loc['control', 'ess']:.0f} of its {ess.loc['control', 'n']} members "
            "(Kish effective sample size)."
        ),
        figure_from_matplotlib(
            weights.plot_love(),
            name="love-plot",
            caption="Love plot: absolute standardised differences before (open) and after "
            "(filled) weighting; the dashed line is the balance threshold.",
        ),
        Table(
            "balance",
            "Covariate balance before (_un) and after (_adj) weighting.",
            table[[c for c in _COLUMNS if c in table]],
        ),
        Table("effective_sample_size", "Kish effective sample size by group.", ess, digits=1),
    ]
    if not balance.all_balanced:
        blocks.append(
            Note(
                f"{len(balance.unbalanced)} covariate term(s) remain imbalanced after weighting: "
                f"{', '.join(map(str, balance.unbalanced))}. Effects may still be confounded by "
                "them; consider another weighting method ([weighting] options, e.g. method = "
                '"entropy") and read the effects with this in mind.',
                kind="warning",
            )
        )
    if ess.loc["control", "ess_ratio"] < weights.spec.ess_threshold:
        blocks.append(
            Note(
                f"The weighted comparison group's effective size is only "
                f"{ess.loc['control', 'ess']:.0f} of {ess.loc['control', 'n']}: a few people carry "
                "much of the weight, so comparisons are imprecise.",
                kind="warning",
            )
        )
    return Section("balance", "Balance before and after weighting", tuple(blocks))
