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

from mirabal_stats.reporting.digests import BayesDigest, FrequentistDigest
from mirabal_stats.reporting.document import (
    Note,
    Paragraph,
    Section,
    SideBySide,
    Table,
    figure_from_matplotlib,
)
from mirabal_stats.reporting.findings import fmt_probability
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
    bayes: BayesDigest | None = None,
    gee: FrequentistDigest | None = None,
    did: FrequentistDigest | None = None,
    benefit_sign: pd.Series,
    ci_level: float,
    notes: tuple[Note, ...] = (),
) -> Section:
    """Section from the Bayesian model's digest and the GEE and DiD cross-checks' digests.

    Parameters
    ----------
    bayes : BayesDigest, optional
        The fitted Bayesian indicator model (the main estimate).
    gee, did : FrequentistDigest, optional
        The cross-checks, at the measure and indicator levels.
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
    digests = {"Bayesian": bayes, "GEE": gee, "DiD": did}

    def frames(level: str, scale: str) -> dict[str, pd.DataFrame]:
        found = {}
        for method, digest in digests.items():
            frame = None if digest is None else digest.effects.get((level, scale))
            if frame is not None:
                found[method] = frame
        return found

    if bayes is not None and ("overall", "pp") in bayes.effects:
        overall = bayes.effects[("overall", "pp")].iloc[0]
        blocks.append(
            Paragraph(
                f"Across every indicator, the Bayesian model estimates a beneficial change of "
                f"{overall['estimate']:+.1f} pp ({pct} credible interval "
                f"{overall['lower']:+.1f} to {overall['upper']:+.1f}); the posterior "
                f"probability that the programme helped overall is "
                f"{fmt_probability(float(overall['prob_beneficial']))}."
            )
        )

    # ---- measures
    pp = frames("measure", "pp")
    ratio = frames("measure", "odds_ratio")

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
                    kind="info",
                )
            )

    # ---- indicators (reported on the "yes" scale by the pillars: orient them here)
    ind_pp = {m: oriented(f, benefit_sign) for m, f in frames("indicator", "pp").items()}
    ind_or = {
        m: oriented(f, benefit_sign, ratio=True)
        for m, f in frames("indicator", "odds_ratio").items()
    }
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
