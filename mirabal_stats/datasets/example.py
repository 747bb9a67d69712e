"""The bundled Mirabal-design example: a simulated panel shipped as survey-export files.

**Simulated, not real data.** The files are one draw of :func:`simulate_mirabal` (seed
:data:`EXAMPLE_SEED`, default design), written as an evaluator would receive them:

- ``mirabal_example_survey.csv``: one row per woman and time point answered (person, wave,
  month, group) with one column per indicator holding ``yes`` / ``no`` / blank;
- ``mirabal_example_persons.csv``: one row per woman: group, baseline covariates, and
  reoffending (police-record month and event; the interval from partner reports);
- ``mirabal_example_truth.csv``: the generating effects per indicator (for checking methods).

One draw is one study: in this draw 49% of intervention women's partners have a police-recorded
reoffence against the 36% expected from their simulated severities (a 2.9-SD chance deviation),
so the example's crude and weighted hazard ratios lie above 1 although the generating hazard
ratio, conditional on severity, is 0.6. Averaged over seeds the simulator reproduces its truth
(see the tests); the example is kept as drawn rather than re-drawn until it looks right.

``python -m mirabal_stats.datasets.example`` rewrites them; a test checks that the shipped files
are exactly what the simulator produces.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import pandas as pd

from mirabal_stats.data import IndicatorPanel
from mirabal_stats.datasets.mirabal_design import indicator_catalogue, wave_months
from mirabal_stats.datasets.simulate import COVARIATES, simulate_mirabal

__all__ = [
    "EXAMPLE_SEED",
    "EXAMPLE_FILES",
    "load_mirabal_example",
    "load_mirabal_survey",
    "load_mirabal_persons",
    "load_mirabal_truth",
    "write_mirabal_example",
]

EXAMPLE_SEED = 2015
EXAMPLE_FILES = {
    "survey": "mirabal_example_survey.csv",
    "persons": "mirabal_example_persons.csv",
    "truth": "mirabal_example_truth.csv",
}


def _open(name: str):
    return resources.files(__package__).joinpath("files").joinpath(name).open("rb")


def load_mirabal_survey() -> pd.DataFrame:
    """The example survey export: one row per person x wave answered, indicators as yes/no.

    Simulated from published marginal figures (Kelly & Westmarland 2015), not real data.
    """
    with _open(EXAMPLE_FILES["survey"]) as handle:
        return pd.read_csv(handle, keep_default_na=False, na_values=[""], dtype={"group": str})


def load_mirabal_persons() -> pd.DataFrame:
    """The example person-level file: group, baseline covariates and reoffending.

    Columns: ``person, group`` (``"intervention"`` / ``"comparison"``), ``age``, ``separated``,
    ``children``, ``prior_police``, ``employed``, ``area``; ``reoffend_time`` and
    ``reoffend_event`` (police records, months since programme start, censored at 15);
    ``reoffend_lower`` and ``reoffend_upper`` (partner reports at the next survey answered: the
    first reoffence lies in (lower, upper]; ``upper`` is ``inf`` if right-censored).
    Simulated, not real data.
    """
    with _open(EXAMPLE_FILES["persons"]) as handle:
        return pd.read_csv(handle)


def load_mirabal_truth() -> pd.DataFrame:
    """The true effects behind the example, one row per indicator (see :class:`MirabalTruth`)."""
    with _open(EXAMPLE_FILES["truth"]) as handle:
        return pd.read_csv(handle, index_col="indicator")


def load_mirabal_example() -> IndicatorPanel:
    """The bundled Mirabal-design example as a validated :class:`~mirabal_stats.IndicatorPanel`.

    **Simulated from published marginal figures, not real data**: 100 intervention and 62
    comparison women, six time points over 15 months, 34 indicators in the six measures of
    success, with rising, covariate-dependent dropout. Built from the shipped survey export and
    person file exactly as a user would build a panel from theirs.

    Returns
    -------
    IndicatorPanel

    References
    ----------
    Kelly, L. & Westmarland, N. (2015). *Domestic Violence Perpetrator Programmes: Steps Towards
    Change. Project Mirabal Final Report.* London Metropolitan University and Durham University.

    Examples
    --------
    >>> from mirabal_stats.datasets import load_mirabal_example
    >>> panel = load_mirabal_example()
    >>> panel.n_persons, len(panel.indicators)
    (162, 34)
    """
    survey = load_mirabal_survey()
    persons = load_mirabal_persons()[["person", *COVARIATES]]
    data = survey.merge(persons, on="person", how="left", validate="many_to_one")
    catalogue = indicator_catalogue()
    return IndicatorPanel.from_wide(
        data,
        person="person",
        wave="wave",
        group="group",
        treated="intervention",
        indicators=dict(catalogue["measure"]),
        covariates=list(COVARIATES),
        beneficial=dict(catalogue["beneficial"]),
    )


def write_mirabal_example(folder: str | Path) -> dict[str, Path]:
    """Simulate the example with :data:`EXAMPLE_SEED` and write its three CSV files to ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    panel, truth = simulate_mirabal(random_seed=EXAMPLE_SEED)
    wide = panel.to_wide()
    months = dict(zip(panel.waves, wave_months(len(panel.waves))))
    survey = wide[["person", "wave"]].copy()
    survey["month"] = survey["wave"].map(months)
    survey["group"] = wide["group"]
    for indicator in panel.indicators:
        survey[indicator] = wide[indicator].map({1.0: "yes", 0.0: "no"})
    persons = truth.reoffending.drop(columns=["treated", "true_time"])
    paths = {key: folder / name for key, name in EXAMPLE_FILES.items()}
    survey.to_csv(paths["survey"], index=False, lineterminator="\n")
    persons.to_csv(paths["persons"], index=False, lineterminator="\n", float_format="%.6f")
    truth.indicator_effects.to_csv(paths["truth"], lineterminator="\n", float_format="%.8f")
    return paths


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).parent / "files")
    for path in write_mirabal_example(target).values():
        print(path)
