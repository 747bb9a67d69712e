"""Sections built from the panel alone: data summary, attrition, prevalence."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from mirabal_stats.data import IndicatorPanel
from mirabal_stats.reporting.document import Note, Paragraph, Section, Table, figure_from_matplotlib
from mirabal_stats.reporting.findings import DIFFERENTIAL_ATTRITION_PP
from mirabal_stats.reporting.plots import attrition_plot, prevalence_plot

__all__ = [
    "attrition_section",
    "attrition_summary",
    "data_summary_section",
    "prevalence_section",
    "safe_name",
    "unique_names",
]
#: Retention (% of baseline respondents) below which the report warns about overall attrition.
LOW_RETENTION_PCT = 60.0


def safe_name(value: object) -> str:
    """A label turned into a file-name fragment (letters, digits, ``_``)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", str(value)).strip("_").lower() or "x"


def unique_names(labels: Sequence) -> dict:
    """``{label: file-name fragment}``, distinct even when two labels clean to the same name.

    ``Safety`` and ``safety!`` both clean to ``safety``; the second becomes ``safety_2``.
    """
    names: dict = {}
    used: set[str] = set()
    for label in labels:
        base = safe_name(label)
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name)
        names[label] = name
    return names


def attrition_summary(panel: IndicatorPanel) -> pd.DataFrame:
    """Per group: persons answering at the first and the last wave, and the % retained."""
    table = panel.attrition_table()
    first, last = panel.waves[0], panel.waves[-1]
    rows = {}
    for label in _ordered_groups(panel):
        block = table[table["group"] == label].set_index("wave")
        n0, n1 = int(block.loc[first, "n_responding"]), int(block.loc[last, "n_responding"])
        rows[label] = {
            "n_baseline": n0,
            "n_last": n1,
            "pct_retained": 100.0 * n1 / n0 if n0 else float("nan"),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "group"
    return frame


def _ordered_groups(panel: IndicatorPanel) -> list:
    return [panel.treated, panel.comparison]


def data_summary_section(
    panel: IndicatorPanel,
    persons: pd.DataFrame | None = None,
    *,
    responses=None,
    checks: Sequence = (),
    labels: Mapping | None = None,
    covariate_sources: Mapping | None = None,
    notes: Sequence[str] = (),
) -> Section:
    """Who and what is in the data: persons per group, waves, indicators, missing answers.

    ``responses`` (:class:`~mirabal_stats.reporting.answers.ResponseCodes`) adds the counts of
    every missing code; ``checks`` (file agreement) a table of what was compared between the
    survey and the person file; ``labels`` the codebook's question text per indicator.
    """
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
            **(
                {"label": [str((labels or {}).get(k, "")) for k in panel.indicators]}
                if labels
                else {}
            ),
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
    if responses is not None and len(responses.missing_codes):
        by_group = responses.missing_by_group()
        total = int(by_group["total"].sum())
        blocks.append(
            Paragraph(
                f"{total:,} answers were coded as missing from the codes listed under "
                "[responses] missing (blank cells included); each code is counted below by "
                "group, and by indicator in tables/missing_codes_by_indicator.csv. Missing "
                "answers are left out of every estimate (the sensitivity section shows what "
                "informative missingness could change)."
            )
        )
        blocks.append(
            Table("missing_codes", "Answers coded as missing, by code and group.", by_group)
        )
        blocks.append(
            Table(
                "missing_codes_by_indicator",
                "Answers coded as missing, by indicator and code.",
                responses.missing_by_indicator(),
                show=len(panel.indicators) <= 40,
            )
        )
    if persons is not None:
        covariates = covariate_sources or {}
        from_file = [c for c, where in covariates.items() if where == "person file"]
        blocks.append(
            Paragraph(
                f"The person file gives the {len(persons)} surveyed persons "
                + (f"their covariates ({', '.join(from_file)})" if from_file else "no covariates")
                + " and outcomes."
            )
        )
    if checks:
        table = pd.DataFrame(
            [(c.name, "PASS" if c.passed else "NOTE", c.detail) for c in checks],
            columns=["check", "result", "detail"],
        ).set_index("check")
        blocks.append(Table("file_checks", "Survey and person file compared.", table))
        for check in checks:
            if check.ids:
                blocks.append(
                    Table(
                        "persons_not_surveyed",
                        "Persons of the person file who never answered a survey (not analysed).",
                        pd.DataFrame({"person": [str(i) for i in check.ids]}),
                        show=len(check.ids) <= 20,
                    )
                )
    blocks.extend(Note(note, kind="warning") for note in notes)
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


def prevalence_section(panel: IndicatorPanel, *, questions: Mapping | None = None) -> Section:
    """Observed % yes per indicator, group and wave; one figure and one table per measure.

    File names come from the measure names made distinct (``Safety`` and ``safety!`` become
    ``safety`` and ``safety_2``).
    """
    table = panel.prevalence_table()
    blocks: list = [
        Paragraph(
            "Observed percentage answering 'yes' among those who answered, by group and wave. "
            "These are descriptive: they are not adjusted for baseline differences or dropout. "
            "The full table with counts is in tables/prevalence.csv."
        ),
    ]
    names = unique_names(panel.measures)
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
                name=f"prevalence-{names[measure]}",
                caption=f"Measure '{measure}': % answering yes by wave "
                f"(intervention '{panel.treated}' vs comparison '{panel.comparison}').",
            )
        )
        blocks.append(
            Table(
                f"prevalence_{names[measure]}",
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
