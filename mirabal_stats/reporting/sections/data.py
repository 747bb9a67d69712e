"""Sections built from the panel alone: data summary, attrition, prevalence."""

from __future__ import annotations

import re

import pandas as pd

from mirabal_stats.data import IndicatorPanel
from mirabal_stats.reporting.document import Note, Paragraph, Section, Table, figure_from_matplotlib
from mirabal_stats.reporting.plots import attrition_plot, prevalence_plot

__all__ = ["data_summary_section", "attrition_section", "prevalence_section", "safe_name"]

#: Differences in retention between the groups (percentage points of baseline respondents) above
#: which the report warns that complete-case comparisons may be biased.
DIFFERENTIAL_ATTRITION_PP = 10.0
#: Retention (% of baseline respondents) below which the report warns about overall attrition.
LOW_RETENTION_PCT = 60.0


def safe_name(value: object) -> str:
    """A label turned into a file-name fragment (letters, digits, ``_``)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", str(value)).strip("_").lower() or "x"


def _ordered_groups(panel: IndicatorPanel) -> list:
    return [panel.treated, panel.comparison]


def data_summary_section(panel: IndicatorPanel, persons: pd.DataFrame | None = None) -> Section:
    """Who and what is in the data: persons per group, waves, indicators, missing answers."""
    responded = panel.responded()
    baseline = panel.baseline().set_index("person")["group"]
    long = panel.to_long(include_missing=False)
    rows = []
    for label in _ordered_groups(panel):
        members = baseline.index[baseline == label]
        block = responded.loc[members]
        cells = block.shape[0] * block.shape[1] * len(panel.indicators)
        observed = int((long["group"] == label).sum())
        rows.append(
            {
                "group": label,
                "persons": len(members),
                "responding_at_first_wave": int(block.iloc[:, 0].sum()),
                "responding_at_last_wave": int(block.iloc[:, -1].sum()),
                "observed_answers": observed,
                "pct_cells_missing": 100.0 * (cells - observed) / cells if cells else float("nan"),
            }
        )
    summary = pd.DataFrame(rows).set_index("group")
    n_cells = panel.n_observed + panel.n_missing
    text = (
        f"{panel.n_persons} persons ({summary.loc[panel.treated, 'persons']} in the intervention "
        f"group '{panel.treated}', {summary.loc[panel.comparison, 'persons']} in the comparison "
        f"group '{panel.comparison}'), {len(panel.waves)} survey waves "
        f"({', '.join(map(str, panel.waves))}), {len(panel.indicators)} yes/no indicators in "
        f"{len(panel.measures)} measures. {panel.n_observed:,} of {n_cells:,} person × wave × "
        f"indicator cells hold an answer ({100.0 * panel.n_observed / n_cells:.1f}%)."
    )
    indicators = pd.DataFrame(
        {
            "measure": panel.indicator_measures.reindex(list(panel.indicators)).to_numpy(),
            "more_yes_is": [
                "better" if s > 0 else "worse"
                for s in panel.benefit_sign.reindex(list(panel.indicators)).to_numpy()
            ],
        },
        index=pd.Index(list(panel.indicators), name="indicator"),
    )
    blocks = [
        Paragraph(text),
        Table(
            "data_summary", "Persons, responses and missing answers by group.", summary, digits=1
        ),
        Table("indicators", "Indicators, their measure and the direction of benefit.", indicators),
    ]
    if persons is not None:
        blocks.append(
            Paragraph(
                f"A person-level file adds {persons.shape[1] - 3} column(s) "
                f"(covariates and outcomes) for the {len(persons)} persons."
            )
        )
    blocks.extend(Note(note, kind="info") for note in panel.notes)
    return Section("data", "Data summary", tuple(blocks))


def attrition_section(panel: IndicatorPanel) -> Section:
    """Responding persons by group and wave, retention plot, warnings on differential dropout."""
    table = panel.attrition_table()
    wide = table.pivot(index="wave", columns="group", values=["n_responding", "pct_of_baseline"])
    wide = wide.reindex(index=list(panel.waves))
    order = [
        (stat, g) for stat in ("n_responding", "pct_of_baseline") for g in _ordered_groups(panel)
    ]
    wide = wide[order].astype({c: int for c in order if c[0] == "n_responding"})
    wide.columns = [
        f"{'responding' if stat == 'n_responding' else '% of baseline'}: {g}" for stat, g in order
    ]
    figure = figure_from_matplotlib(
        attrition_plot(table, groups=panel.groups, treated=panel.treated),
        name="attrition",
        caption="Share of each group's baseline respondents who answered at each wave.",
    )
    last = table[table["wave"] == panel.waves[-1]].set_index("group")["pct_of_baseline"]
    treated_pct, comparison_pct = last[panel.treated], last[panel.comparison]
    blocks: list = [
        Paragraph(
            "A person responds at a wave when they answered at least one indicator. Dropout that "
            "depends on how things are going (e.g. women in more dangerous situations being "
            "harder to reach) biases comparisons of those who remain; the sensitivity section "
            "shows how far the conclusions move under such dropout."
        ),
        Table(
            "attrition",
            "Persons responding per wave and % of the group's baseline respondents.",
            wide,
            digits=1,
        ),
        figure,
    ]
    gap = treated_pct - comparison_pct
    if abs(gap) > DIFFERENTIAL_ATTRITION_PP:
        more, fewer = (
            (panel.treated, panel.comparison) if gap > 0 else (panel.comparison, panel.treated)
        )
        blocks.append(
            Note(
                f"Dropout differs between the groups: by the last wave '{more}' kept "
                f"{max(treated_pct, comparison_pct):.0f}% of its baseline respondents and "
                f"'{fewer}' only {min(treated_pct, comparison_pct):.0f}%. If those who left differ "
                "from those who stayed, a simple comparison of the remaining respondents is "
                "biased; rely on the weighted and model-based estimates and check the "
                "sensitivity analysis.",
                kind="warning",
            )
        )
    low = [str(g) for g, pct in last.items() if pct < LOW_RETENTION_PCT]
    if low:
        blocks.append(
            Note(
                f"Fewer than {LOW_RETENTION_PCT:.0f}% of baseline respondents answered at the last "
                f"wave in group(s) {', '.join(map(repr, low))}: late-wave estimates rest on a "
                "shrinking, possibly selected, sample.",
                kind="warning",
            )
        )
    return Section("attrition", "Attrition by group and wave", tuple(blocks))


def prevalence_section(panel: IndicatorPanel, *, questions: dict | None = None) -> Section:
    """Observed % yes per indicator, group and wave; one figure and one table per measure."""
    table = panel.prevalence_table()
    blocks: list = [
        Paragraph(
            "Observed percentage answering 'yes' among those who answered, by group and wave. "
            "These are descriptive: they are not adjusted for baseline differences or dropout. "
            "The full table with counts is in tables/prevalence.csv."
        ),
    ]
    for measure in panel.measures:
        rows = table[table["measure"] == measure]
        pivot = rows.pivot_table(
            index="indicator", columns=["group", "wave"], values="pct_yes", sort=False, dropna=False
        )
        pivot = pivot.reindex(
            columns=pd.MultiIndex.from_product(
                [_ordered_groups(panel), list(panel.waves)], names=["group", "wave"]
            )
        )
        blocks.append(
            figure_from_matplotlib(
                prevalence_plot(
                    table,
                    measure=measure,
                    groups=panel.groups,
                    treated=panel.treated,
                    questions=questions,
                ),
                name=f"prevalence-{safe_name(measure)}",
                caption=f"Measure '{measure}': % answering yes by wave "
                f"(intervention '{panel.treated}' vs comparison '{panel.comparison}').",
            )
        )
        blocks.append(
            Table(
                f"prevalence_{safe_name(measure)}",
                f"Measure '{measure}': % yes by group and wave.",
                pivot,
                digits=0,
            )
        )
    blocks.append(
        Table(
            "prevalence",
            "Every indicator × group × wave with counts (n, n_yes):",
            table,
            digits=1,
            show=False,
        )
    )
    return Section("prevalence", "Prevalence by group and wave", tuple(blocks))
