"""The design of a simulated evaluation: what :func:`~mirabal_stats.studies.run_study` draws.

A :class:`MirabalDesign` is a plain description (group sizes, waves, indicators with their
baseline prevalences and programme effects, comparison-group change, person SD, confounding,
dropout and its mechanism, reoffending); :meth:`MirabalDesign.simulate` draws one data set from
it with :func:`~mirabal_stats.datasets.simulate_mirabal`, the generator documented there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from mirabal_stats.exceptions import SpecificationError

__all__ = ["MirabalDesign"]

_ATTRITION = ("mar", "mcar", "mnar", "none")


def _whole(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True, kw_only=True)
class MirabalDesign:
    """A Project-Mirabal-like evaluation to simulate: groups, waves, indicators, effects, dropout.

    Every field is keyword-only; change one with :func:`dataclasses.replace`
    (``dataclasses.replace(design, n_intervention=200)``). The fields are passed to
    :func:`~mirabal_stats.datasets.simulate_mirabal`, whose docstring gives the generating model.

    Parameters
    ----------
    n_intervention, n_comparison : int, default 100 and 62
        Women in each group (Project Mirabal: 100 and 62).
    n_waves : int, default 6
        Time points evenly spaced over 0-15 months (the first is the baseline; the published
        "after" figure is the wave nearest month 12).
    indicators : sequence of str, optional
        Indicator codes from :func:`~mirabal_stats.datasets.mirabal_design.indicator_catalogue`
        (default: all 34, in six measures).
    baseline_pct : dict, optional
        Baseline prevalence of "yes" in the intervention group (%) replacing the catalogue's.
    effect_pp, effect_log_odds : float or dict, optional
        Programme effect per indicator (beneficial orientation: positive = improvement) in
        percentage points (average effect on the treated over the post waves) or on the
        log-odds scale. Default: effects calibrated to the published "after" figures.
    effect_profile : sequence of float, optional
        Multiplier of the effect at each post-baseline wave (build-up or fading).
    comparison_change : float, default 0.4
        Change of the beneficial log-odds over follow-up without the programme.
    sigma_person : float, default 1.0
        SD of the person effect (latent severity) given the covariates.
    covariate_effects : float, default 1.0
        Multiplier of the covariates' effects on severity and on change after baseline.
    confounding : float, default 1.0
        Multiplier of the covariates' effects on group membership (0: as randomised).
    attrition : {"mar", "mcar", "mnar", "none"}, default "mar"
        Dropout mechanism (see ``mnar_driver``).
    retention : sequence of float, optional
        Expected share still answering at each wave (``n_waves`` values, the first two 1).
        Default: the simulator's Mirabal-like dropout; under ``"mar"`` about 90, 79, 67 and 55%
        of the intervention group and 86, 71, 56 and 43% of the comparison group still answer
        at months 6, 9, 12 and 15.
    mnar_driver : {"severity", "current_severity", "response"}, default "severity"
    mnar_strength : float, default 1.0
    response_sd : float, default 0.0
        SD of a person-specific programme response (needed by the last two MNAR drivers).
    item_missing : float, default 0.02
        Probability that an answered survey leaves one indicator blank.
    reoffending_hazard_ratio : float, default 0.6
        Conditional hazard ratio of reoffending (Weibull, 15 months of follow-up).

    Examples
    --------
    >>> import dataclasses
    >>> from mirabal_stats.studies import MirabalDesign
    >>> design = MirabalDesign.published()
    >>> design.n_intervention, design.n_comparison, len(design.wave_months)
    (100, 62, 6)
    >>> smaller = dataclasses.replace(design, indicators=("slapped_pushed",), effect_pp=10.0)
    >>> panel, truth = smaller.simulate(random_seed=1)
    >>> round(float(truth.indicator_effects["beneficial_pp"].iloc[0]))
    10
    """

    n_intervention: int = 100
    n_comparison: int = 62
    n_waves: int = 6
    indicators: tuple[str, ...] | None = None
    baseline_pct: dict | None = None
    effect_pp: float | dict | None = None
    effect_log_odds: float | dict | None = None
    effect_profile: tuple[float, ...] | None = None
    comparison_change: float = 0.4
    sigma_person: float = 1.0
    covariate_effects: float = 1.0
    confounding: float = 1.0
    attrition: str = "mar"
    retention: tuple[float, ...] | None = None
    mnar_driver: str = "severity"
    mnar_strength: float = 1.0
    response_sd: float = 0.0
    item_missing: float = 0.02
    reoffending_hazard_ratio: float = 0.6

    def __post_init__(self) -> None:
        # Cheap checks here (a study fails before any cluster starts); the simulator checks the
        # rest (reachable effects, retention shape ...) on the first draw.
        for name in ("n_intervention", "n_comparison"):
            value = getattr(self, name)
            if not (_whole(value) and value >= 2):
                raise SpecificationError(
                    f"MirabalDesign({name}=...) must be a whole number of at least 2, got "
                    f"{value!r}; e.g. {name}=100."
                )
        if not (_whole(self.n_waves) and self.n_waves >= 2):
            raise SpecificationError(
                f"MirabalDesign(n_waves=...) must be a whole number of at least 2, got "
                f"{self.n_waves!r}; e.g. n_waves=6 (months 0, 3, ..., 15)."
            )
        if self.attrition not in _ATTRITION:
            raise SpecificationError(
                f"MirabalDesign(attrition=...) must be one of {', '.join(map(repr, _ATTRITION))}, "
                f"got {self.attrition!r}."
            )
        if self.indicators is not None:
            if isinstance(self.indicators, str):
                raise SpecificationError(
                    "MirabalDesign(indicators=...) must be a sequence of indicator codes, got the "
                    f"string {self.indicators!r}; write indicators=({self.indicators!r},)."
                )
            from mirabal_stats.datasets.mirabal_design import indicator_catalogue

            codes = tuple(self.indicators)
            known = indicator_catalogue().index
            unknown = [k for k in codes if k not in known]
            if unknown or not codes:
                raise SpecificationError(
                    f"MirabalDesign(indicators=...) has unknown or no indicator codes {unknown}; "
                    "choose from indicator_catalogue().index, e.g. ('slapped_pushed', "
                    "'feels_very_safe')."
                )
            object.__setattr__(self, "indicators", codes)
        for name in ("effect_profile", "retention"):
            value = getattr(self, name)
            if value is None:
                continue
            message = f"MirabalDesign({name}=...) must be a sequence of numbers, got {value!r}."
            if isinstance(value, (str, bytes, dict)):
                raise SpecificationError(message)
            try:
                object.__setattr__(self, name, tuple(float(v) for v in value))
            except (TypeError, ValueError) as err:
                raise SpecificationError(message) from err
        for name in ("baseline_pct", "effect_pp", "effect_log_odds"):
            value = getattr(self, name)
            if isinstance(value, dict):
                object.__setattr__(self, name, dict(value))

    @classmethod
    def published(cls) -> MirabalDesign:
        """The Project Mirabal design (Kelly & Westmarland 2015): 100 intervention and 62
        comparison women, six waves over 15 months, the 34 indicators of the catalogue with the
        published before/after figures (where published), Mirabal-like MAR dropout.

        The report's executive summary gives no per-wave response rates; the dropout is the
        simulator's assumption (:func:`~mirabal_stats.datasets.simulate_mirabal`).
        """
        return cls()

    @property
    def wave_months(self) -> list[float]:
        """Months since programme start of each wave."""
        from mirabal_stats.datasets.mirabal_design import wave_months

        return wave_months(self.n_waves)

    def simulate_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`~mirabal_stats.datasets.simulate_mirabal` (without
        ``random_seed``)."""
        options = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name in ("indicators", "effect_profile", "retention"):
            if options[name] is not None:
                options[name] = list(options[name])
        return options

    def simulate(self, *, random_seed: int | None = None):
        """Draw one data set: ``(IndicatorPanel, MirabalTruth)``."""
        from mirabal_stats.datasets import simulate_mirabal

        return simulate_mirabal(random_seed=random_seed, **self.simulate_options())

    def to_dict(self) -> dict[str, Any]:
        """The design as a JSON-ready dictionary (recorded with every study)."""
        out = {}
        for name, value in self.simulate_options().items():
            if isinstance(value, np.generic):
                value = value.item()
            out[name] = value
        return out
