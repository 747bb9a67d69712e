"""The MNAR-dropout sensitivity section."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirabal_stats.reporting.document import Note, Paragraph, Section, Table, figure_from_matplotlib
from mirabal_stats.reporting.plots import sensitivity_plot
from mirabal_stats.reporting.sensitivity import tipping_points

__all__ = ["sensitivity_section"]


def sensitivity_section(table: pd.DataFrame) -> Section:
    """Section from :func:`~mirabal_stats.reporting.sensitivity.mnar_sensitivity`'s table."""
    level = float(table["ci_level"].iloc[0])
    tips = tipping_points(table)
    blocks: list = [
        Paragraph(
            "How would the conclusions change if the women lost to follow-up were doing worse "
            "than those who stayed? For each odds ratio below, intervention-group women who did "
            "not answer at a follow-up wave are assumed to give the unfavourable answer with that "
            "many times the odds of those who answered (1 = dropout unrelated to the answer, "
            "given group and wave). The estimate is the difference in differences of the share "
            "giving unfavourable answers (follow-up waves minus baseline, intervention minus "
            "comparison), in percentage points, positive = the intervention group improved more; "
            f"averaged over each measure's indicators, with {level:.0%} bootstrap intervals. "
            "This is a descriptive, model-free check (delta adjustment; Carpenter & Kenward "
            "2013), not the model-based estimate."
        ),
        figure_from_matplotlib(
            sensitivity_plot(
                table,
                xlabel="odds ratio of an unfavourable answer, dropouts vs responders "
                       "(intervention group)",
                ylabel="beneficial change (pp)",
            ),
            name="sensitivity",
            caption="Beneficial change per measure as dropout is assumed increasingly unfavourable.",
        ),
    ]
    for row in tips.itertuples(index=False):
        if row.lower_mar <= 0:
            text = (f"'{row.measure}': under missing at random the change is {row.estimate_mar:+.1f} "
                    f"pp ({row.lower_mar:+.1f} to {row.upper_mar:+.1f}), not clearly beneficial; "
                    "informative dropout does not create a benefit here.")
        elif np.isnan(row.tipping_odds_ratio):
            text = (f"'{row.measure}': the benefit ({row.estimate_mar:+.1f} pp under missing at "
                    f"random) stays clear of zero for every odds ratio tried, up to "
                    f"{table['odds_ratio'].max():g}.")
        else:
            text = (f"'{row.measure}': the benefit ({row.estimate_mar:+.1f} pp under missing at "
                    f"random) is no longer clear once dropouts' odds of an unfavourable answer "
                    f"are {row.tipping_odds_ratio:g} times those of responders.")
        blocks.append(Paragraph(text))
    wide = table.pivot(index="measure", columns="odds_ratio", values="estimate")
    wide = wide.reindex(index=list(dict.fromkeys(table["measure"])))
    wide.columns = [f"OR {c:g}" for c in wide.columns]
    blocks.append(Table("sensitivity_summary", "Beneficial change (pp) by measure and odds ratio.",
                        wide, digits=1))
    blocks.append(Table("sensitivity", "Every estimate with its bootstrap interval.", table,
                        digits=2, show=False))
    fragile = tips[tips["tipping_odds_ratio"] <= 1.5]
    if not fragile.empty:
        blocks.append(Note(
            f"The benefit on {', '.join(map(repr, fragile['measure']))} disappears under mild "
            "informative dropout (odds ratio 1.5 or less): treat it as fragile.", kind="warning"))
    return Section("sensitivity", "Sensitivity to informative (MNAR) dropout", tuple(blocks))
