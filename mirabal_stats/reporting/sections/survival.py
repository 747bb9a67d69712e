"""The reoffending section: survival curves, hazard ratio, cumulative incidence and RMST."""

from __future__ import annotations

import pandas as pd

from mirabal_stats.reporting.document import (
    Note,
    Paragraph,
    Section,
    SideBySide,
    Table,
    figure_from_matplotlib,
)

__all__ = ["survival_section"]


def _hazard_row(result) -> pd.DataFrame:
    hr = result.cox.hazard_ratio().loc[[result.cox.group_term]]
    hr.index = ["hazard ratio (Cox)"]
    return hr[["estimate", "lower", "upper", "ci_level", "p_value"]]


def survival_section(
    unweighted, weighted=None, *, horizons=(6.0, 12.0), time_unit: str = "", reported=None
) -> Section:
    """Section from :func:`~mirabal_stats.survival.compare_groups` results.

    Parameters
    ----------
    unweighted : SurvivalComparison
        The crude comparison of the two groups.
    weighted : SurvivalComparison, optional
        The same with propensity weights (shown beside the crude one and used for the curves).
    horizons : sequence of float
        Follow-up times at which cumulative incidence is reported; the largest is the RMST horizon.
    reported : SurvivalComparison, optional
        The interval-censored comparison from partners' reports at the surveys (Turnbull curves,
        Weibull hazard ratio), shown after the records-based analysis.
    """
    main = weighted if weighted is not None else unweighted
    treated, reference = main.treated, main.reference
    unit = f" {time_unit}" if time_unit else ""
    hr = main.cox.hazard_ratio().loc[main.cox.group_term]
    direction = "lower" if hr.estimate < 1 else "higher"
    which = "weighted " if weighted is not None else ""
    blocks: list = [
        Paragraph(
            f"Time from programme start to the first recorded reoffence, '{treated}' vs "
            f"'{reference}'. People without a reoffence are censored at the end of their "
            f"follow-up. {'Curves and the main hazard ratio use the propensity weights; the crude comparison is beside it. ' if weighted is not None else ''}"
            f"The {which}Cox hazard ratio is {hr.estimate:.2f} ({hr.ci_level:.0%} interval "
            f"{hr.lower:.2f} to {hr.upper:.2f}): at any time since the start, the rate of "
            f"reoffending in the '{treated}' group is estimated {abs(1 - hr.estimate):.0%} "
            f"{direction} than in the '{reference}' group."
        ),
        figure_from_matplotlib(
            main.plot_survival(),
            name="survival",
            caption=f"{'Weighted ' if weighted is not None else ''}Kaplan-Meier curves: share "
            f"not yet reoffended, with pointwise {main.ci_level:.0%} bands and numbers "
            "at risk.",
        ),
    ]
    if weighted is not None:
        blocks.append(
            SideBySide(
                (
                    (
                        "Weighted (main)",
                        Table(
                            "hazard_ratio_weighted",
                            "Cox hazard ratio, propensity-weighted, robust SE.",
                            _hazard_row(weighted),
                        ),
                    ),
                    (
                        "Crude",
                        Table(
                            "hazard_ratio_crude",
                            "Cox hazard ratio, unweighted.",
                            _hazard_row(unweighted),
                        ),
                    ),
                )
            )
        )
    else:
        blocks.append(
            Table("hazard_ratio", "Cox hazard ratio, unweighted.", _hazard_row(unweighted))
        )
    incidence = main.cumulative_incidence(horizons)
    blocks.append(
        Table(
            "cumulative_incidence",
            f"Share reoffended by{unit} horizon (1 - survival), risk difference and ratio "
            f"('{treated}' vs '{reference}').",
            incidence.drop(columns=[c for c in ("p_value",) if c in incidence]),
        )
    )
    tau = float(max(horizons))
    rmst = main.rmst_difference(tau)
    blocks.append(
        Table(
            "rmst_difference",
            f"Difference in restricted mean time without reoffending up to {tau:g}{unit} "
            f"('{treated}' minus '{reference}').",
            rmst,
        )
    )
    flagged = main.cox.ph_test.index[main.cox.ph_test["p_value"] < 0.05].tolist()
    if flagged:
        blocks.append(
            Note(
                "The hazard ratio changes over follow-up (proportional-hazards test p < 0.05), so "
                "one hazard ratio summarises the difference poorly; read the curves, the "
                "cumulative incidence and the RMST difference instead.",
                kind="warning",
            )
        )
    if main.cox.n_events < 20:
        blocks.append(
            Note(
                f"Only {main.cox.n_events} reoffences were recorded: the hazard ratio is "
                "imprecise.",
                kind="warning",
            )
        )
    if reported is not None:
        blocks.extend(_reported_blocks(reported, horizons, unit))
    return Section("reoffending", "Reoffending: survival curves and hazard ratio", tuple(blocks))


def _reported_blocks(reported, horizons, unit: str) -> list:
    """Partner reports: the reoffence is only known to lie between two answered surveys."""
    hr = reported.weibull.hazard_ratio()
    which = "weighted " if reported.weighted else ""
    table = pd.DataFrame(
        [[hr["estimate"], hr["lower"], hr["upper"], hr["ci_level"]]],
        index=["hazard ratio (Weibull, interval-censored)"],
        columns=["estimate", "lower", "upper", "ci_level"],
    )
    return [
        Paragraph(
            "Partners' reports: a reoffence reported at a survey is only known to have happened "
            "since the previous survey the woman answered, and women who stop answering are "
            "censored at their last survey. These interval-censored data are analysed as such "
            f"(Turnbull estimate, {which}Weibull model), not by pretending the survey date is the "
            f"event date. The {which}Weibull hazard ratio is {hr['estimate']:.2f} "
            f"({hr['ci_level']:.0%} interval {hr['lower']:.2f} to {hr['upper']:.2f})."
        ),
        figure_from_matplotlib(
            reported.plot_survival(),
            name="survival_reported",
            caption="Turnbull (NPMLE) estimate of the share not yet reported to have reoffended, "
            "from partners' reports between surveys.",
        ),
        Table(
            "hazard_ratio_reported",
            "Hazard ratio from partners' reports (interval-censored).",
            table,
        ),
        Table(
            "cumulative_incidence_reported",
            f"Share reported to have reoffended by{unit} horizon (Turnbull).",
            reported.cumulative_incidence(horizons),
        ),
    ]
