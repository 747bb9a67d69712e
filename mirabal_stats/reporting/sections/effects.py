"""The effects section: Bayesian effects per measure and indicator, frequentist cross-checks beside.

Every number in this section is oriented so that a positive change (percentage points) or an
odds ratio above 1 is an improvement: for harm indicators ("slapped, pushed ...") that means
fewer "yes" answers. Measure-level estimates of both pillars are already oriented that way;
indicator-level estimates (reported by the pillars on the "yes" scale) are flipped here using each
indicator's benefit sign, and their interval ends swapped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirabal_stats.reporting.document import (
    Note,
    Paragraph,
    Section,
    SideBySide,
    Table,
    figure_from_matplotlib,
)
from mirabal_stats.reporting.plots import forest_plot

__all__ = ["effects_section", "oriented"]

_STATS = ["estimate", "lower", "upper"]


def oriented(table: pd.DataFrame, sign: pd.Series, *, ratio: bool = False) -> pd.DataFrame:
    """Flip indicator rows so that positive (or a ratio above 1) is beneficial.

    ``sign`` is +1 where more "yes" is good and -1 where less is. Differences are multiplied by
    the sign; ratios raised to its power; the interval ends are swapped where the sign is -1.
    """
    s = sign.reindex(table.index).to_numpy(dtype=float)
    out = table.copy()
    values = {c: table[c].to_numpy(dtype=float) for c in _STATS}
    if ratio:
        flipped = {c: values[c] ** s for c in _STATS}
    else:
        flipped = {c: values[c] * s for c in _STATS}
    out["estimate"] = flipped["estimate"]
    out["lower"] = np.where(s < 0, flipped["upper"], flipped["lower"])
    out["upper"] = np.where(s < 0, flipped["lower"], flipped["upper"])
    return out


def _bayes_ratio(table: pd.DataFrame) -> pd.DataFrame:
    """Odds ratios from a log-odds posterior table: exp of the median and of the interval ends.

    Equal-tailed intervals and the median are invariant under the monotone map exp; the
    posterior mean is not, so the odds-ratio point estimate is exp(median).
    """
    out = table.copy()
    out["estimate"] = np.exp(table["median"])
    out["lower"] = np.exp(table["lower"])
    out["upper"] = np.exp(table["upper"])
    return out


def _side(
    frames: dict[str, pd.DataFrame], extra: dict[str, list[str]] | None = None
) -> pd.DataFrame:
    """Methods side by side: columns (method, statistic)."""
    pieces = {}
    for method, frame in frames.items():
        cols = _STATS + (extra or {}).get(method, [])
        pieces[method] = frame[[c for c in cols if c in frame]]
    return pd.concat(pieces, axis=1)


def _long(frames: dict[str, pd.DataFrame], label: str) -> pd.DataFrame:
    rows = []
    for method, frame in frames.items():
        block = frame[_STATS].copy()
        block.index.name = label
        block = block.reset_index()
        block["method"] = method
        rows.append(block)
    return pd.concat(rows, ignore_index=True)


def _disagreements(frames: dict[str, pd.DataFrame], reference: str) -> list[str]:
    """Rows where a cross-check's interval does not overlap the reference method's."""
    if reference not in frames:
        return []
    ref = frames[reference]
    flagged = []
    for method, frame in frames.items():
        if method == reference:
            continue
        common = ref.index.intersection(frame.index)
        a, b = ref.loc[common], frame.loc[common]
        apart = (a["upper"] < b["lower"]) | (b["upper"] < a["lower"])
        flagged.extend(f"{name} ({method})" for name in common[apart.to_numpy()])
    return flagged


def effects_section(
    *,
    bayes=None,
    gee_measure=None,
    gee_indicator=None,
    did_measure=None,
    did_indicator=None,
    benefit_sign: pd.Series,
    ci_level: float,
    notes: tuple[Note, ...] = (),
) -> Section:
    """Section from an :class:`~mirabal_stats.bayes.IndicatorResults` and panel cross-checks.

    Parameters
    ----------
    bayes : IndicatorResults, optional
        The fitted Bayesian indicator model (the main estimate).
    gee_measure, gee_indicator, did_measure, did_indicator : PanelEffects, optional
        :func:`~mirabal_stats.frequentist.indicator_gee` and :func:`~mirabal_stats.frequentist.did` at the
        measure and indicator levels (the cross-checks).
    benefit_sign : pandas.Series
        +1 / -1 per indicator (``IndicatorPanel.benefit_sign``).
    ci_level : float
        Level of every interval.
    notes : tuple of Note
        Shown at the top (e.g. a cross-check switched off, or weighted).
    """
    pct = f"{ci_level:.0%}"
    blocks: list = [
        Paragraph(
            "Programme effects are differences in differences: how much more the intervention "
            "group changed from baseline than the comparison group. Positive percentage points "
            "(pp) and odds ratios above 1 mean improvement; for harm indicators that is fewer "
            "'yes' answers. The Bayesian hierarchical model is the main estimate (person "
            "random intercept, indicators partially pooled within measures); the GEE "
            "(population-averaged logistic) and fixed-effects DiD (linear probability) "
            f"cross-checks sit beside it. Intervals are {pct} (Bayesian: credible; others: "
            "confidence)."
        )
    ]
    blocks.extend(notes)
    if bayes is not None:
        headline = bayes.summary(ci_level=ci_level).split("\n")[0]
        blocks.append(Paragraph(headline))

    # ---- measures, pp
    pp: dict[str, pd.DataFrame] = {}
    if bayes is not None:
        pp["Bayesian"] = bayes.effects(level="measure", scale="pp", ci_level=ci_level)
    if gee_measure is not None:
        pp["GEE"] = gee_measure.to_frame(scale="pp")
    if did_measure is not None:
        pp["DiD"] = did_measure.to_frame(scale="pp")
    ratio: dict[str, pd.DataFrame] = {}
    if bayes is not None:
        ratio["Bayesian"] = _bayes_ratio(
            bayes.effects(level="measure", scale="log_odds", ci_level=ci_level)
        )
    if gee_measure is not None:
        ratio["GEE"] = gee_measure.to_frame(scale="odds_ratio")

    if pp:
        blocks.append(Paragraph("Effects by measure (the mean over the measure's indicators)."))
        blocks.append(
            SideBySide(
                (
                    (
                        "Percentage points",
                        figure_from_matplotlib(
                            forest_plot(
                                _long(pp, "measure"),
                                label_column="measure",
                                series="method",
                                xlabel="beneficial change (pp)",
                                width=5.2,
                            ),
                            name="effects-measure-pp",
                            caption=f"Beneficial change by measure, percentage points, {pct} intervals.",
                        ),
                    ),
                    (
                        "Odds ratios",
                        figure_from_matplotlib(
                            forest_plot(
                                _long(ratio, "measure"),
                                label_column="measure",
                                series="method",
                                xlabel="beneficial odds ratio (log scale)",
                                reference=1.0,
                                log_scale=True,
                                width=5.2,
                            ),
                            name="effects-measure-or",
                            caption=f"Beneficial odds ratio by measure (geometric mean over indicators), "
                            f"{pct} intervals.",
                        )
                        if ratio
                        else Note("No odds-ratio estimates were produced.", kind="omitted"),
                    ),
                )
            )
        )
        blocks.append(
            Table(
                "effects_measure_pp",
                "Beneficial change by measure (pp): main estimate and "
                "cross-checks; prob_beneficial = posterior probability of improvement.",
                _side(
                    pp, {"Bayesian": ["prob_beneficial"], "GEE": ["p_value"], "DiD": ["p_value"]}
                ),
                digits=2,
            )
        )
        if ratio:
            blocks.append(
                Table(
                    "effects_measure_or",
                    "Beneficial odds ratio by measure.",
                    _side(ratio),
                    digits=2,
                )
            )
        flagged = _disagreements(pp, "Bayesian")
        if flagged:
            blocks.append(
                Note(
                    "The cross-checks disagree with the Bayesian estimate (intervals do not overlap) "
                    f"for: {', '.join(flagged)}. The methods target slightly different quantities "
                    "(person-conditional vs population-averaged) and handle dropout differently; "
                    "look at the prevalence plots before relying on either.",
                    kind="warning",
                )
            )

    # ---- indicators
    ind_pp: dict[str, pd.DataFrame] = {}
    ind_or: dict[str, pd.DataFrame] = {}
    if bayes is not None:
        ind_pp["Bayesian"] = oriented(
            bayes.effects(level="indicator", scale="pp", ci_level=ci_level), benefit_sign
        )
        ind_or["Bayesian"] = oriented(
            _bayes_ratio(bayes.effects(level="indicator", scale="log_odds", ci_level=ci_level)),
            benefit_sign,
            ratio=True,
        )
    if gee_indicator is not None:
        ind_pp["GEE"] = oriented(gee_indicator.to_frame(scale="pp"), benefit_sign)
        ind_or["GEE"] = oriented(
            gee_indicator.to_frame(scale="odds_ratio"), benefit_sign, ratio=True
        )
    if did_indicator is not None:
        ind_pp["DiD"] = oriented(did_indicator.to_frame(scale="pp"), benefit_sign)
    if ind_pp:
        plotted = {k: v for k, v in ind_pp.items() if k != "DiD"} or ind_pp
        plotted_or = ind_or
        blocks.append(Paragraph("Effects by indicator (oriented so that right = improvement)."))
        blocks.append(
            figure_from_matplotlib(
                forest_plot(
                    _long(plotted, "indicator"),
                    label_column="indicator",
                    series="method",
                    xlabel="beneficial change (pp)",
                    width=9.0,
                ),
                name="effects-indicator-pp",
                caption=f"Beneficial change per indicator (pp), {pct} intervals.",
            )
        )
        if plotted_or:
            blocks.append(
                figure_from_matplotlib(
                    forest_plot(
                        _long(plotted_or, "indicator"),
                        label_column="indicator",
                        series="method",
                        xlabel="beneficial odds ratio (log scale)",
                        reference=1.0,
                        log_scale=True,
                        width=9.0,
                    ),
                    name="effects-indicator-or",
                    caption=f"Beneficial odds ratio per indicator, {pct} intervals.",
                )
            )
        blocks.append(
            Table(
                "effects_indicator_pp",
                "Beneficial change per indicator (pp).",
                _side(ind_pp, {"Bayesian": ["prob_beneficial"]}),
                digits=2,
            )
        )
        if ind_or:
            blocks.append(
                Table(
                    "effects_indicator_or",
                    "Beneficial odds ratio per indicator.",
                    _side(ind_or),
                    digits=2,
                )
            )
        flagged = _disagreements(ind_pp, "Bayesian")
        if flagged:
            blocks.append(
                Note(
                    f"Cross-check intervals do not overlap the Bayesian ones for {len(flagged)} "
                    f"indicator estimate(s): {', '.join(flagged[:8])}"
                    f"{' ...' if len(flagged) > 8 else ''}. Partial pooling pulls extreme "
                    "indicators towards their measure's mean, which is the usual reason.",
                    kind="info",
                )
            )
    return Section("effects", "Programme effects per measure and indicator", tuple(blocks))
