"""The MNAR-dropout sensitivity section."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirabal_stats.reporting.document import Note, Paragraph, Section, Table, figure_from_matplotlib
from mirabal_stats.reporting.plots import sensitivity_plot

__all__ = ["sensitivity_section"]


def _bayes_blocks(bayes_table: pd.DataFrame) -> list:
    """Blocks for the model-based delta adjustment (``IndicatorResults.delta_adjustment``)."""
    table = bayes_table.rename(columns={"name": "measure"}).copy()
    table.insert(1, "odds_ratio", np.exp(table["delta"]))
    tipping = bayes_table.attrs.get("tipping_point", {})
    blocks: list = [
        Paragraph(
            "Model-based (Bayesian) version: the missing follow-up answers of the intervention "
            "group are predicted by the model and then made worse by the odds ratio on the "
            "log-odds scale; the effect on the treated is recomputed for every posterior draw."
        ),
        figure_from_matplotlib(
            sensitivity_plot(
                table,
                xlabel="odds ratio of an unfavourable answer (model-based)",
                ylabel="beneficial change (pp)",
            ),
            name="sensitivity-bayes",
            caption="Bayesian effect per measure under increasingly unfavourable dropout.",
        ),
    ]
    rows = []
    for measure, delta in tipping.items():
        rows.append(
            {"measure": measure, "tipping_delta": delta, "tipping_odds_ratio": float(np.exp(delta))}
        )
    if rows:
        blocks.append(
            Table(
                "sensitivity_bayes_tipping",
                "Tipping point per measure: the odds ratio at which the interval's lower end reaches "
                "zero (inf = never within the grid; 1 = not clearly beneficial even under MAR).",
                pd.DataFrame(rows).set_index("measure"),
                digits=2,
            )
        )
    blocks.append(
        Table("sensitivity_bayes", "Bayesian delta adjustment, every estimate:", table, show=False)
    )
    return blocks


def sensitivity_section(result, bayes_table: pd.DataFrame | None = None) -> Section:
    """Section from :func:`~mirabal_stats.frequentist.delta_sensitivity`'s result and, when the
    Bayesian model was fitted, its ``delta_adjustment(level="measure")`` table."""
    table = result.to_frame().reset_index()
    level = result.ci_level
    tips = result.tipping_points()
    blocks: list = [
        Paragraph(
            "How would the conclusions change if the women lost to follow-up were doing worse "
            "than those who stayed? Intervention-group women who did not answer at a follow-up "
            "wave are assumed to give the unfavourable answer with odds that many times the "
            "odds of comparable women who answered (odds ratio 1 = missing at random)."
        )
    ]
    blocks += _bayes_blocks(bayes_table) if bayes_table is not None else []
    blocks += [
        Paragraph(
            "Model-free check: the same assumption applied to the observed shares. The estimate "
            "is the difference in differences of the share "
            "giving unfavourable answers (follow-up waves minus baseline, intervention minus "
            "comparison), in percentage points, positive = the intervention group improved more; "
            f"averaged over each measure's indicators, with {level:.0%} bootstrap intervals. "
            "This is a descriptive, model-free check (delta adjustment; Carpenter & Kenward "
            "2013) that needs no model."
        ),
        figure_from_matplotlib(
            sensitivity_plot(
                table,
                xlabel="odds ratio: unfavourable answer, dropouts vs responders",
                ylabel="beneficial change (pp)",
            ),
            name="sensitivity",
            caption="Beneficial change per measure as dropout is assumed increasingly unfavourable.",
        ),
    ]
    for row in tips.itertuples(index=False):
        if row.lower_mar <= 0:
            text = (
                f"'{row.measure}': under missing at random the change is {row.estimate_mar:+.1f} "
                f"pp ({row.lower_mar:+.1f} to {row.upper_mar:+.1f}), not clearly beneficial; "
                "informative dropout does not create a benefit here."
            )
        elif np.isnan(row.tipping_odds_ratio):
            text = (
                f"'{row.measure}': the benefit ({row.estimate_mar:+.1f} pp under missing at "
                f"random) stays clear of zero for every odds ratio tried, up to "
                f"{table['odds_ratio'].max():g}."
            )
        else:
            text = (
                f"'{row.measure}': the benefit ({row.estimate_mar:+.1f} pp under missing at "
                f"random) is no longer clear once dropouts' odds of an unfavourable answer "
                f"are {row.tipping_odds_ratio:g} times those of responders."
            )
        blocks.append(Paragraph(text))
    wide = table.pivot(index="measure", columns="odds_ratio", values="estimate")
    wide = wide.reindex(index=list(dict.fromkeys(table["measure"])))
    wide.columns = [f"OR {c:g}" for c in wide.columns]
    blocks.append(
        Table(
            "sensitivity_summary",
            "Beneficial change (pp) by measure and odds ratio.",
            wide,
            digits=1,
        )
    )
    blocks.append(
        Table(
            "sensitivity",
            "Every estimate with its bootstrap interval.",
            table,
            digits=2,
            show=False,
        )
    )
    fragile = tips[tips["tipping_odds_ratio"] <= 1.5]
    if not fragile.empty:
        blocks.append(
            Note(
                f"The benefit on {', '.join(map(repr, fragile['measure']))} disappears under mild "
                "informative dropout (odds ratio 1.5 or less): treat it as fragile.",
                kind="warning",
            )
        )
    return Section("sensitivity", "Sensitivity to informative (MNAR) dropout", tuple(blocks))
