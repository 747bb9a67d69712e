"""The bundled Mirabal-design example against the published before/after percentages.

The example is *simulated* from the published marginal figures (Kelly & Westmarland 2015), so
this reproduction checks the simulator and the data pipeline end to end: the observed % "yes" of
the intervention group in the shipped survey export, read through ``IndicatorPanel``, at the
baseline wave ("before") and at month 12 ("after", among the women still answering) must lie
within three binomial standard errors of each published figure.
"""

from __future__ import annotations

import numpy as np

from mirabal_stats.datasets.example import load_mirabal_example
from mirabal_stats.datasets.mirabal_design import indicator_catalogue, wave_months
from mirabal_stats.reproductions._base import Check, Reproduction

__all__ = ["run"]

_SOURCE = (
    "Kelly, L. & Westmarland, N. (2015) Domestic Violence Perpetrator Programmes: Steps Towards "
    "Change. Project Mirabal Final Report (executive summary), intervention group, women's reports"
)


def run(*, quick: bool = False) -> Reproduction:
    """Compare the example's observed intervention-group prevalences with the published ones.

    ``quick`` is accepted for a uniform interface; nothing here samples.

    Examples
    --------
    >>> from mirabal_stats.reproductions import mirabal_prevalence
    >>> mirabal_prevalence.run().passed
    True
    """
    panel = load_mirabal_example()
    months = wave_months(len(panel.waves))
    after_wave = panel.waves[int(np.argmin(np.abs(np.array(months) - 12.0)))]
    table = (
        panel.prevalence_table().query("group == @panel.treated").set_index(["indicator", "wave"])
    )
    catalogue = indicator_catalogue()
    published = catalogue[catalogue["source"] == "published"]
    checks = []
    for indicator, row in published.iterrows():
        for wave, label, pub, target in (
            (panel.waves[0], "before", row["published_before_pct"], row["target_before_pct"]),
            (after_wave, "after", row["published_after_pct"], row["target_after_pct"]),
        ):
            observed = table.loc[(indicator, wave)]
            # Three binomial SEs at the simulated target (published % clipped to [2, 98]) for
            # the number of women answering: the example is one random draw of that size.
            se = 100.0 * np.sqrt(target / 100.0 * (1 - target / 100.0) / observed["n"])
            checks.append(
                Check(
                    quantity=f"{indicator} % {label}",
                    published=float(pub),
                    reproduced=float(observed["pct_yes"]),
                    tolerance=float(3 * se + abs(target - pub)),
                    reason=f"3 binomial SEs for n = {int(observed['n'])} simulated women"
                    + (" (+ clipping of 0% to 2%)" if target != pub else ""),
                )
            )
    return Reproduction(
        name="mirabal_prevalence",
        title="Mirabal-design example vs published before/after percentages",
        source=_SOURCE,
        checks=tuple(checks),
        notes=(
            "The example is simulated from the published marginals, not the study's data. "
            f"'After' is wave {after_wave} (month 12), among the women still answering."
        ),
    )
