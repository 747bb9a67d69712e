"""The Project Mirabal design: measures, indicators and published before/after percentages.

Source: Kelly, L. & Westmarland, N. (2015) *Domestic Violence Perpetrator Programmes: Steps
Towards Change. Project Mirabal Final Report.* London Metropolitan University and Durham
University (executive summary). Only marginal before/after percentages of the intervention group
are published, for some indicators; the raw data are not public.

Every indicator below carries a ``source``:

- ``"published"``: name and both percentages from the report;
- ``"published, qualitative"``: the indicator is named in the report with a qualitative result
  only ("only improved by 2%", "marginal", "did not improve"); the percentages here are our
  assumption consistent with that statement;
- ``"invented"``: not in the summary; added so that each measure has several indicators, as in
  the study (measure 3 had 18 quantitative indicators). Percentages are plausible assumptions.

Published "after" percentages of 0% are clipped to 2% (and 100% to 98%) because a
prevalence of exactly zero has no finite log-odds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirabal_stats.exceptions import SpecificationError

__all__ = ["MEASURES", "INDICATOR_CATALOGUE", "indicator_catalogue", "wave_months"]

#: The six measures of success, in the report's order: code -> description.
MEASURES: dict[str, str] = {
    "communication": "1. Respectful communication: an improved relationship underpinned by respect "
    "and effective communication",
    "space_for_action": "2. Space for action: an expanded 'space for action' for women, restoring "
    "voice and choices",
    "safety": "3. Safety and freedom from violence and abuse for women and children",
    "parenting": "4. Safe, positive and shared parenting",
    "awareness": "5. Awareness of self and others",
    "childhoods": "6. Safer, healthier childhoods",
}

_P, _Q, _I = "published", "published, qualitative", "invented"

# (code, measure, question, before %, after %, beneficial direction, source)
INDICATOR_CATALOGUE: tuple[tuple, ...] = (
    ("negotiates", "communication", "He negotiates during disagreements", 34, 64, "increase", _P),
    (
        "considerate",
        "communication",
        "He acts in a considerate manner towards me",
        40,
        42,
        "increase",
        _Q,
    ),
    ("listens", "communication", "He listens to what I have to say", 30, 50, "increase", _I),
    ("shouts_swears", "communication", "He shouts or swears at me", 85, 45, "decrease", _I),
    ("puts_down", "communication", "He calls me names or puts me down", 80, 40, "decrease", _I),
    (
        "prevents_contact",
        "space_for_action",
        "He tries to prevent me seeing or contacting friends/family",
        65,
        15,
        "decrease",
        _P,
    ),
    (
        "controls_dress",
        "space_for_action",
        "He tells me to change the way I dress or my appearance",
        57,
        16,
        "decrease",
        _P,
    ),
    (
        "financial_control",
        "space_for_action",
        "He tries to use money/finances to control me",
        45,
        40,
        "decrease",
        _Q,
    ),
    (
        "checks_up",
        "space_for_action",
        "He checks up on where I am and who I am with",
        75,
        30,
        "decrease",
        _I,
    ),
    (
        "own_decisions",
        "space_for_action",
        "I can make decisions about my own life",
        35,
        60,
        "increase",
        _I,
    ),
    (
        "goes_out_freely",
        "space_for_action",
        "I can go out without asking his permission",
        40,
        65,
        "increase",
        _I,
    ),
    (
        "sexual_coercion",
        "safety",
        "Made you do something sexual that you did not want to do",
        30,
        0,
        "decrease",
        _P,
    ),
    ("weapon", "safety", "Used a weapon against you", 29, 0, "decrease", _P),
    (
        "slapped_pushed",
        "safety",
        "Slapped you, pushed you, or thrown something at you",
        87,
        7,
        "decrease",
        _P,
    ),
    ("injured", "safety", "Physically injured", 61, 2, "decrease", _P),
    ("children_witnessed", "safety", "Children saw or overheard violence", 80, 8, "decrease", _P),
    ("feels_very_safe", "safety", "Feels 'very safe'", 8, 51, "increase", _P),
    ("threatened", "safety", "Threatened to hurt you", 75, 15, "decrease", _I),
    ("kicked_hit", "safety", "Kicked, bit or hit you with a fist", 55, 5, "decrease", _I),
    ("strangled", "safety", "Tried to strangle or choke you", 35, 2, "decrease", _I),
    ("property_damage", "safety", "Damaged or destroyed your property", 60, 12, "decrease", _I),
    ("undermines_parenting", "parenting", "He undermines my parenting", 60, 50, "decrease", _I),
    ("uses_children", "parenting", "He uses the children to get at me", 55, 45, "decrease", _I),
    ("safe_handovers", "parenting", "Contact handovers are safe", 50, 58, "increase", _I),
    (
        "shared_decisions",
        "parenting",
        "He shares parenting decisions with me",
        30,
        36,
        "increase",
        _I,
    ),
    (
        "justifies_abuse",
        "awareness",
        "He tries to justify or make excuses for his abusive behaviour",
        91,
        71,
        "decrease",
        _P,
    ),
    (
        "understands_child_impact",
        "awareness",
        "He understands the impact on the children",
        16,
        53,
        "increase",
        _P,
    ),
    (
        "takes_responsibility",
        "awareness",
        "He takes responsibility for his behaviour",
        12,
        45,
        "increase",
        _I,
    ),
    ("blames_her", "awareness", "He blames me for his abuse", 85, 55, "decrease", _I),
    (
        "children_worried",
        "childhoods",
        "Children worried about their mother's safety",
        64,
        37,
        "decrease",
        _P,
    ),
    ("children_frightened", "childhoods", "Children frightened of him", 54, 35, "decrease", _P),
    (
        "children_friendships",
        "childhoods",
        "Children have problems making and maintaining friendships",
        30,
        30,
        "decrease",
        _Q,
    ),
    (
        "children_school_problems",
        "childhoods",
        "Children have behaviour problems at school",
        40,
        32,
        "decrease",
        _I,
    ),
    (
        "children_sleep_problems",
        "childhoods",
        "Children have trouble sleeping",
        45,
        30,
        "decrease",
        _I,
    ),
)


def indicator_catalogue() -> pd.DataFrame:
    """The indicator catalogue as a DataFrame indexed by indicator code.

    Columns: ``measure``, ``question``, ``published_before_pct``, ``published_after_pct`` (the
    figures as published, or as assumed: see ``source``), ``target_before_pct`` and
    ``target_after_pct`` (clipped to [2, 98] for the simulation), ``beneficial``, ``source``.

    Examples
    --------
    >>> from mirabal_stats.datasets.mirabal_design import indicator_catalogue
    >>> cat = indicator_catalogue()
    >>> row = cat.loc["slapped_pushed", ["published_before_pct", "published_after_pct"]]
    >>> [int(v) for v in row]
    [87, 7]
    """
    table = pd.DataFrame(
        INDICATOR_CATALOGUE,
        columns=[
            "indicator",
            "measure",
            "question",
            "published_before_pct",
            "published_after_pct",
            "beneficial",
            "source",
        ],
    ).set_index("indicator")
    table["target_before_pct"] = table["published_before_pct"].clip(2, 98).astype(float)
    table["target_after_pct"] = table["published_after_pct"].clip(2, 98).astype(float)
    return table[
        [
            "measure",
            "question",
            "published_before_pct",
            "published_after_pct",
            "target_before_pct",
            "target_after_pct",
            "beneficial",
            "source",
        ]
    ]


def wave_months(n_waves: int) -> list[float]:
    """Months since programme start of each wave: evenly spaced over 0-15 months.

    With the default six waves: 0 ("before": the three months before the programme, asked
    retrospectively in the first survey), 3, 6, 9, 12 ("after", about 12 months after the start)
    and 15.
    """
    if isinstance(n_waves, bool) or not isinstance(n_waves, (int, np.integer)) or n_waves < 2:
        raise SpecificationError(
            f"n_waves must be a whole number of at least 2 (a baseline and a follow-up), got "
            f"{n_waves!r}; e.g. n_waves=6 for the Mirabal design."
        )
    step = 15.0 / (n_waves - 1)
    return [round(step * i, 6) for i in range(n_waves)]
