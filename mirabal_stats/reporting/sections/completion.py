"""The programme-completion section: ITT, the naive completer comparison and the CACE."""

from __future__ import annotations

import pandas as pd

from mirabal_stats.reporting.digests import CompletionDigest
from mirabal_stats.reporting.document import Note, Paragraph, Section, Table

__all__ = ["ASSUMPTIONS", "COMPLETION_TITLE", "ROW_LABELS", "completion_section"]

COMPLETION_TITLE = "Programme completion"

#: What each row of the effect table estimates, as shown in the report.
ROW_LABELS = {
    "itt": "ITT: effect of referral (everyone referred)",
    "per_protocol_naive": "naive per-protocol: completers vs comparison (BIASED)",
    "cace": "CACE: effect among those who complete",
}

#: The assumptions of the CACE in plain words (docs/completion.md, "Assumptions").
ASSUMPTIONS = (
    "1. Exclusion restriction: referral changes the outcome only through completion; referred "
    "men who drop out (and their partners) gain nothing from the referral itself. Partial "
    "attendance that helps violates it (the CACE is then overstated).",
    "2. Monotonicity / one-sided non-compliance: comparison persons cannot complete (checked in "
    "the data), so nobody completes only because they were not referred.",
    "3. Ignorability of referral given the covariates and weights: in a non-randomised "
    "evaluation this is the same assumption the ITT needs; weight or adjust for what drives "
    "group membership.",
    "4. A strong first stage: referral moves completion (F of at least 10).",
)


def _interval(row: pd.Series) -> str:
    return f"{row['estimate']:+.1f} pp ({row['lower']:+.1f} to {row['upper']:+.1f})"


def completion_section(digest: CompletionDigest) -> Section:
    """Section from the completion digest: effect table, first stage, warnings, assumptions."""
    pct = f"{digest.ci_level:.0%}"
    effects = digest.effects
    adjustment = []
    if digest.covariates:
        adjustment.append(f"adjusted for {', '.join(digest.covariates)}")
    if digest.weighted:
        adjustment.append("weighted by the propensity weights")
    blocks: list = [
        Paragraph(
            f"Completion of the programme is taken from the column '{digest.column}' of the "
            "person file. Three rows per measure (and overall): the intention-to-treat effect "
            "of being referred (the programme group against the comparison group, whoever "
            "completed); completers against the whole comparison group (the naive per-protocol "
            "comparison, biased); and the complier average causal effect (CACE), the effect "
            "among men who would complete if referred, by two-stage least squares with referral "
            "as the instrument for completion. The outcome is the person-level change in the "
            "share of answers pointing to improvement from the baseline wave to the later waves, "
            "in percentage points (positive = improvement), "
            + ("; ".join(adjustment) if adjustment else "unadjusted")
            + f"; standard errors are robust (one row per person) and intervals are {pct}."
        )
    ]
    if ("overall", "cace") in effects.index:
        itt = effects.loc[("overall", "itt")]
        cace = effects.loc[("overall", "cace")]
        rate = digest.first_stage.loc["overall", "completion_rate_referred"]
        blocks.append(
            Paragraph(
                f"Overall, {rate:.0%} of the referred men completed. The effect of referral "
                f"(ITT) is {_interval(itt)}; the effect among those who complete (CACE) is "
                f"{_interval(cace)}, under the assumptions listed below."
            )
        )
    blocks.append(Note(digest.naive_warning, kind="warning"))
    shown = effects[["estimate", "lower", "upper", "std_error", "p_value", "n_persons", "biased"]]
    shown = shown.copy()
    shown.insert(
        0, "row", [ROW_LABELS.get(a, a) for a in effects.index.get_level_values("analysis")]
    )
    blocks.append(
        Table(
            "completion_effects",
            f"ITT, naive per-protocol (biased) and CACE per measure and overall (pp, {pct} "
            "interval).",
            shown,
            digits=2,
            csv_frame=effects,
        )
    )
    first = digest.first_stage.copy()
    first["weak"] = first["f_statistic"] < digest.weak_f
    blocks.append(
        Table(
            "completion_first_stage",
            "First stage: completion rate among referred and comparison persons, the "
            "covariate-adjusted difference (referral's effect on completion) and its F "
            f"statistic (weak below {digest.weak_f:g}).",
            first,
            digits=2,
        )
    )
    weak = first.index[first["weak"].to_numpy()]
    if len(weak):
        blocks.append(
            Note(
                f"Weak instrument: referral predicts completion only weakly (first-stage F "
                f"{first.loc[weak, 'f_statistic'].min():.1f}, below {digest.weak_f:g}) for "
                f"{', '.join(repr(str(w)) for w in weak)}. The CACE is then biased towards the "
                "naive comparison and its interval is unreliable (Staiger & Stock 1997).",
                kind="warning",
            )
        )
    blocks.append(
        Paragraph(
            "The CACE is a causal effect only under these assumptions; it is the effect among "
            "compliers (men who would complete if referred), not among all referred men, while "
            "the ITT is the effect of the referral policy:"
        )
    )
    blocks.extend(Paragraph(text) for text in ASSUMPTIONS)
    return Section("completion", COMPLETION_TITLE, tuple(blocks))
