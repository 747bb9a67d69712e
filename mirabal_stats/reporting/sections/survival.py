"""The reoffending section: survival curves, hazard ratio, cumulative incidence and RMST."""

from __future__ import annotations

from mirabal_stats.reporting.digests import SurvivalDigest
from mirabal_stats.reporting.document import Note, Paragraph, Section, SideBySide, Table

__all__ = ["survival_section"]

_TITLE = "Reoffending: survival curves and hazard ratio"


def survival_section(
    unweighted: SurvivalDigest | None,
    weighted: SurvivalDigest | None = None,
    *,
    time_unit: str = "",
    reported: SurvivalDigest | None = None,
    notes: tuple[Note, ...] = (),
) -> Section:
    """Section from the survival digests (records: crude and weighted; partners' reports).

    Parameters
    ----------
    unweighted : SurvivalDigest or None
        The crude comparison of the two groups (None when it could not run).
    weighted : SurvivalDigest, optional
        The same with propensity weights (shown beside the crude one and used for the curves).
    time_unit : str
        Unit of the durations (``[survival] time_unit``), on every axis and caption.
    reported : SurvivalDigest, optional
        The interval-censored comparison from partners' reports at the surveys (Turnbull
        curves, Weibull hazard ratio when a parametric model was asked for).
    notes : tuple of Note
        Shown at the top (e.g. a sub-analysis that could not run, and why).
    """
    blocks: list = list(notes)
    unit = f" {time_unit}" if time_unit else ""
    main = weighted if weighted is not None else unweighted
    if main is not None:
        blocks.extend(_records_blocks(main, unweighted, weighted, unit))
    if reported is not None:
        blocks.extend(_reported_blocks(reported, unit))
    return Section("reoffending", _TITLE, tuple(blocks))


def _records_blocks(main, unweighted, weighted, unit: str) -> list:
    treated, reference = main.treated, main.reference
    hr = main.hazard_ratio.iloc[0]
    direction = "lower" if hr["estimate"] < 1 else "higher"
    which = "weighted " if weighted is not None else ""
    blocks: list = [
        Paragraph(
            f"Time from programme start to the first recorded reoffence, '{treated}' vs "
            f"'{reference}' ({main.n_persons} persons, {main.n_events} reoffences). People "
            "without a reoffence are censored at the end of their follow-up"
            f" (longest {main.max_follow_up:g}{unit}). "
            + (
                "Curves and the main hazard ratio use the propensity weights; the crude "
                "comparison is beside it. "
                if weighted is not None
                else ""
            )
            + f"The {which}Cox hazard ratio is {hr['estimate']:.2f} ({hr['ci_level']:.0%} "
            f"interval {hr['lower']:.2f} to {hr['upper']:.2f}): at any time since the start, the "
            f"rate of reoffending in the '{treated}' group is estimated "
            f"{abs(1 - hr['estimate']):.0%} {direction} than in the '{reference}' group."
        )
    ]
    if main.figure is not None:
        blocks.append(main.figure)
    if weighted is not None and unweighted is not None:
        blocks.append(
            SideBySide(
                (
                    (
                        "Weighted (main)",
                        Table(
                            "hazard_ratio_weighted",
                            "Cox hazard ratio, propensity-weighted, robust SE.",
                            weighted.hazard_ratio,
                        ),
                    ),
                    (
                        "Crude",
                        Table(
                            "hazard_ratio_crude",
                            "Cox hazard ratio, unweighted.",
                            unweighted.hazard_ratio,
                        ),
                    ),
                )
            )
        )
    else:
        blocks.append(
            Table("hazard_ratio", f"Cox hazard ratio, {which or 'un'}weighted.", main.hazard_ratio)
        )
    if main.dropped_horizons:
        blocks.append(
            Note(
                f"Horizon(s) {', '.join(f'{h:g}' for h in main.dropped_horizons)}{unit} "
                f"([survival] horizons) lie beyond the longest follow-up ({main.max_follow_up:g}"
                f"{unit}): no share reoffended can be estimated there, so they are not reported.",
                kind="warning",
            )
        )
    if main.incidence is not None:
        blocks.append(
            Table(
                "cumulative_incidence",
                f"Share reoffended by horizon ({unit.strip() or 'time'}; 1 - survival), risk "
                f"difference and ratio ('{treated}' vs '{reference}').",
                main.incidence,
            )
        )
    if main.rmst is not None:
        blocks.append(
            Table(
                "rmst_difference",
                f"Difference in restricted mean time without reoffending up to {main.tau:g}{unit} "
                f"('{treated}' minus '{reference}').",
                main.rmst,
            )
        )
    if main.ph_p_value is not None and main.ph_p_value < 0.05:
        blocks.append(
            Note(
                "The hazard ratio changes over follow-up (proportional-hazards test p < 0.05), so "
                "one hazard ratio summarises the difference poorly; read the curves, the "
                "cumulative incidence and the RMST difference instead.",
                kind="warning",
            )
        )
    if main.n_events is not None and main.n_events < 20:
        blocks.append(
            Note(
                f"Only {main.n_events} reoffences were recorded: the hazard ratio is imprecise.",
                kind="warning",
            )
        )
    return blocks


def _reported_blocks(reported: SurvivalDigest, unit: str) -> list:
    """Partner reports: the reoffence is only known to lie between two answered surveys."""
    which = "weighted " if reported.weighted else ""
    text = (
        "Partners' reports: a reoffence reported at a survey is only known to have happened "
        "since the previous survey the woman answered, and women who stop answering are "
        "censored at their last survey. These interval-censored data are analysed as such "
        f"(Turnbull estimate{', ' + which + 'Weibull model' if reported.hazard_ratio is not None else ''}"
        "), not by pretending the survey date is the event date."
    )
    if reported.hazard_ratio is not None:
        hr = reported.hazard_ratio.iloc[0]
        text += (
            f" The {which}Weibull hazard ratio is {hr['estimate']:.2f} ({hr['ci_level']:.0%} "
            f"interval {hr['lower']:.2f} to {hr['upper']:.2f})."
        )
    blocks: list = [Paragraph(text)]
    if reported.figure is not None:
        blocks.append(reported.figure)
    if reported.hazard_ratio is not None:
        blocks.append(
            Table(
                "hazard_ratio_reported",
                "Hazard ratio from partners' reports (interval-censored).",
                reported.hazard_ratio,
            )
        )
    else:
        blocks.append(
            Note(
                "No parametric model was fitted to the partners' reports ([survival] parametric "
                "= []), so there is no hazard ratio for them; the Turnbull curves and shares "
                "reported are shown.",
                kind="info",
            )
        )
    if reported.incidence is not None:
        blocks.append(
            Table(
                "cumulative_incidence_reported",
                f"Share reported to have reoffended by horizon ({unit.strip() or 'time'}; "
                "Turnbull).",
                reported.incidence,
            )
        )
    return blocks
