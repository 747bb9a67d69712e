"""Reoffending effects from published aggregates: the Campbell review, CARA and Broward.

What is published and what is assumed is kept apart:

* Checks (published vs reproduced) are made only where every input is published:
  - Wilson, Feder & Olaghere (2021) Campbell review: OR 0.79 [0.49, 1.28] (official reports) and
    0.99 [0.74, 1.32] (victim reports). Backing out SE = (ln hi - ln lo) / 3.92 and re-deriving the
    point estimate and the bounds from it must round-trip within the rounding of the printed figures.
  - CARA (Strang et al. 2017): harm index 8.4 vs 11.6 days, "27% less".
  The arm sizes (CARA 154 workshop / 139 control; Broward 216 / 188) are published and used as
  denominators below.
* Illustrations (in ``extra``, never checked): per-arm reoffending counts are NOT published for
  CARA or Broward. For CARA we show every (workshop, control) count pair consistent with the press
  release's "35% fewer" (risk ratio rounding to 0.65) and what interval each would give; for
  Broward we assume 24% in both arms, as the summary says "about 24%". p-values derived from the
  Campbell intervals are also illustrations: the review's own p-values are not in our source.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from mirabal_stats.exceptions import EstimabilityWarning
from mirabal_stats.reproductions._base import Check, Reproduction

__all__ = ["run"]

SOURCE = (
    "Wilson, Feder & Olaghere (2021) Campbell Syst Rev 17:e1151; Strang et al. (2017) Camb J "
    "Evid Based Polic 1:160-173, doi:10.1007/s41887-017-0007-x; Feder & Dugan (2002) Justice "
    "Quarterly 19(2)"
)

CAMPBELL = {"official reports": (0.79, 0.49, 1.28), "victim reports": (0.99, 0.74, 1.32)}


def _rounding_tolerance(estimate: float, lower: float, upper: float) -> float:
    """Largest error in the reconstructed midpoint from rounding of the printed figures.

    Each printed value is within 0.005 of the truth; the geometric midpoint moves by at most
    (0.005/lower + 0.005/upper)/2 on the log scale, and the published estimate itself by 0.005.
    """
    return 0.005 + estimate * 0.5 * (0.005 / lower + 0.005 / upper)


def run(*, quick: bool = False) -> Reproduction:
    """Reproduce the traceable figures; ``quick`` has no effect (nothing is sampled).

    Examples
    --------
    >>> from mirabal_stats.reproductions.cara_reoffending import run
    >>> run().passed
    True
    """
    from mirabal_stats.survival.counts import effects_from_counts, se_from_interval

    checks = []
    derived = {}
    for outcome, (est, lo, hi) in CAMPBELL.items():
        back = se_from_interval(lo, hi)
        derived[outcome] = back
        tol = _rounding_tolerance(est, lo, hi)
        checks.append(
            Check(
                f"Campbell OR ({outcome}) from CI midpoint",
                est,
                float(back["estimate"]),
                tol,
                "rounding of the published OR and bounds (2 decimals each)",
            )
        )
        # Rebuild the bounds from the published OR and the backed-out SE.
        z = 1.959963984540054
        for name, published, rebuilt in (
            ("lower", lo, est * np.exp(-z * back["std_error"])),
            ("upper", hi, est * np.exp(z * back["std_error"])),
        ):
            checks.append(
                Check(
                    f"Campbell {name} bound ({outcome}) from OR and SE",
                    published,
                    float(rebuilt),
                    0.005 + published * abs(np.log(est) - np.log(back["estimate"])) + 1e-9,
                    "rounding of the published figures (0.005) plus the OR/midpoint gap",
                )
            )
    harm = (11.6 - 8.4) / 11.6
    # The means are printed to 1 decimal: the true relative reduction lies in
    # [(11.55 - 8.45)/11.65, (11.65 - 8.35)/11.55] = [0.266, 0.286].
    checks.append(
        Check(
            "CARA relative harm reduction (27%)",
            0.27,
            harm,
            0.0105,
            "means printed to 1 decimal (range 0.266-0.286) and 27% rounded to a whole percent",
        )
    )

    # --- illustrations: assumptions, not checks -------------------------------------------
    pairs = []
    for control in range(1, 140):
        for workshop in range(0, 155):
            rr = (workshop / 154) / (control / 139)
            if round(1 - rr, 2) == 0.35:
                pairs.append((workshop, control))
    cara = []
    for workshop, control in pairs:
        with warnings.catch_warnings():
            # One enumerated pair has every control reoffending (139/139): its odds ratio is
            # infinite by construction and only the risk ratio is used here.
            warnings.simplefilter("ignore", EstimabilityWarning)
            t = effects_from_counts(workshop, 154, control, 139)
        cara.append(
            {
                "workshop_events": workshop,
                "control_events": control,
                "control_risk": control / 139,
                "risk_ratio": t.loc["risk_ratio", "estimate"],
                "rr_lower": t.loc["risk_ratio", "lower"],
                "rr_upper": t.loc["risk_ratio", "upper"],
            }
        )
    cara = pd.DataFrame(cara)
    broward = effects_from_counts(round(0.24 * 216), 216, round(0.24 * 188), 188)
    significant = cara[cara["rr_upper"] < 1]
    notes = (
        "Checked: only figures whose inputs are all published. Illustrative (extra): CARA per-arm "
        f"reoffending counts are not published; {len(cara)} count pairs give '35% fewer' (RR 0.645-0.655), "
        f"and the Katz 95% interval excludes 1 only from a control risk of about "
        f"{significant['control_risk'].min():.0%} (so the headline alone does not establish significance). "
        "Broward: assuming 52/216 vs 45/188 (24% each, as 'about 24%' implies) gives RR "
        f"{broward.loc['risk_ratio', 'estimate']:.2f} ({broward.loc['risk_ratio', 'lower']:.2f} to "
        f"{broward.loc['risk_ratio', 'upper']:.2f}). Campbell p-values derived from the intervals "
        f"(not published in our source): official {derived['official reports']['p_value']:.2f}, "
        f"victim {derived['victim reports']['p_value']:.2f}."
    )
    return Reproduction(
        name="cara_reoffending",
        title="Reoffending effects from published aggregates (Campbell review, CARA, Broward)",
        source=SOURCE,
        checks=tuple(checks),
        notes=notes,
        extra={
            "campbell": pd.DataFrame(derived).T,
            "cara_compatible_counts": cara,
            "broward_assumed": broward,
        },
    )
