"""Rossi recidivism: the Cox table of Fox & Weisberg, Kaplan-Meier at week 52, and the Weibull AFT.

Published values: Fox, J. & Weisberg, S. (2019) "Cox proportional-hazards regression for survival
data in R", appendix to *An R Companion to Applied Regression* (3rd ed.), reproduced in the
lifelines documentation. Tolerances are half a unit in the last published digit (plus 1e-9 for
floating point), i.e. the rounding of the published figure.
"""

from __future__ import annotations

import warnings

from mirabal_stats.datasets import load_rossi
from mirabal_stats.exceptions import ProportionalHazardsWarning
from mirabal_stats.reproductions._base import Check, Reproduction

__all__ = ["run", "PUBLISHED_COX"]

SOURCE = (
    "Fox & Weisberg (2019), appendix 'Cox proportional-hazards regression for survival data "
    "in R' to An R Companion to Applied Regression, 3rd ed.; Rossi, Berk & Lenihan (1980)"
)

# term: (coef, se) as printed (3 decimals).
PUBLISHED_COX = {
    "fin": (-0.379, 0.191),
    "age": (-0.057, 0.022),
    "race": (0.314, 0.308),
    "wexp": (-0.150, 0.212),
    "mar": (-0.434, 0.382),
    "paro": (-0.085, 0.196),
    "prio": (0.091, 0.029),
}
PUBLISHED_WEIBULL = {
    "fin": (0.272, 0.138),
    "Intercept": (3.990, 0.419),
    "log(scale)": (-0.339, 0.089),
}
COVARIATES = ["age", "race", "wexp", "mar", "paro", "prio"]


def _half_unit(decimals: int) -> float:
    return 0.5 * 10.0**-decimals + 1e-9


def run(*, quick: bool = False) -> Reproduction:
    """Fit the published models on the bundled Rossi data and compare with the published table.

    ``quick`` has no effect (nothing is sampled); it is accepted for the common interface.

    Examples
    --------
    >>> from mirabal_stats.reproductions.rossi_cox import run
    >>> run().passed
    True
    """
    from mirabal_stats.survival import compare_groups

    rossi = load_rossi()
    with warnings.catch_warnings():
        # PH is rejected for age and wexp (Fox & Weisberg discuss it); not the point here.
        warnings.simplefilter("ignore", ProportionalHazardsWarning)
        res = compare_groups(
            rossi,
            duration="week",
            event="arrest",
            group="fin",
            covariates=COVARIATES,
            parametric=("weibull",),
        )
    cox = res.cox.to_frame()
    checks = []
    for term, (coef, se) in PUBLISHED_COX.items():
        checks.append(
            Check(f"cox coef {term}", coef, float(cox.loc[term, "estimate"]), _half_unit(3))
        )
        checks.append(Check(f"cox se {term}", se, float(cox.loc[term, "std_error"]), _half_unit(3)))
    checks.append(
        Check("cox partial log-likelihood", -658.75, res.cox.log_likelihood, _half_unit(2))
    )
    checks.append(
        Check(
            "hazard ratio fin",
            0.68,
            float(res.cox.hazard_ratio().loc["fin", "estimate"]),
            _half_unit(2),
        )
    )
    checks.append(Check("concordance", 0.64, res.cox.concordance, _half_unit(2)))
    km = res.survival_at([52])["estimate"]
    checks.append(Check("KM S(52) fin = 0", 0.694, float(km.loc[(0, 52.0)]), _half_unit(3)))
    checks.append(Check("KM S(52) fin = 1", 0.778, float(km.loc[(1, 52.0)]), _half_unit(3)))
    wb = res.weibull.to_frame()
    for term, (coef, se) in PUBLISHED_WEIBULL.items():
        checks.append(
            Check(f"weibull coef {term}", coef, float(wb.loc[term, "estimate"]), _half_unit(3))
        )
        checks.append(
            Check(f"weibull se {term}", se, float(wb.loc[term, "std_error"]), _half_unit(3))
        )
    checks.append(
        Check("weibull log-likelihood", -679.917, res.weibull.log_likelihood, _half_unit(3))
    )
    notes = (
        "Standard errors are model-based (as published). Proportional hazards is rejected for age "
        "and wexp at 0.05, as Fox & Weisberg discuss; see docs/survival.md."
    )
    return Reproduction(
        name="rossi_cox",
        title="Rossi recidivism: Cox model, KM at week 52, Weibull AFT",
        source=SOURCE,
        checks=tuple(checks),
        notes=notes,
        extra={"comparison": res},
    )
