"""Compact integer-coded arrays of an :class:`~mirabal_stats.IndicatorPanel`.

This is the input of every likelihood in the library: one entry per *observed* cell
(person x wave x indicator with a 0/1 answer), integer codes into label tuples, and a few
person- and indicator-level arrays. Missing cells are not stored; who responded at each wave is
kept in ``responded`` for attrition models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PanelArrays"]


@dataclass(frozen=True, eq=False)
class PanelArrays:
    """Integer codes and responses of the observed cells of a panel.

    Attributes
    ----------
    person, wave, indicator, measure : numpy.ndarray of int32, shape (n_obs,)
        Codes of each observed cell into ``persons``, ``waves`` (in wave order), ``indicators``
        and ``measures``.
    group : numpy.ndarray of int8, shape (n_obs,)
        1 if the cell's person is in the treated (intervention) group, else 0.
    post : numpy.ndarray of int8, shape (n_obs,)
        1 if the cell's wave comes after ``baseline_wave``.
    response : numpy.ndarray of int8, shape (n_obs,)
        The 0/1 answer.
    person_group : numpy.ndarray of int8, shape (n_persons,)
        1 for persons in the treated group.
    indicator_measure : numpy.ndarray of int32, shape (n_indicators,)
        Measure code of each indicator.
    benefit_sign : numpy.ndarray of int8, shape (n_indicators,)
        +1 where more "yes" answers are beneficial (e.g. "negotiates during disagreements"),
        -1 where fewer are (e.g. "slapped, pushed or threw something at you").
    responded : numpy.ndarray of bool, shape (n_persons, n_waves)
        True where the person answered at least one indicator at that wave.
    baseline_wave : int
        Code of the baseline (pre-programme) wave; waves after it are "post".
    persons, waves, indicators, measures : tuple
        Labels for the codes.
    """

    person: np.ndarray
    wave: np.ndarray
    indicator: np.ndarray
    measure: np.ndarray
    group: np.ndarray
    post: np.ndarray
    response: np.ndarray
    person_group: np.ndarray
    indicator_measure: np.ndarray
    benefit_sign: np.ndarray
    responded: np.ndarray
    baseline_wave: int
    persons: tuple
    waves: tuple
    indicators: tuple
    measures: tuple

    def __post_init__(self) -> None:
        for name in (
            "person",
            "wave",
            "indicator",
            "measure",
            "group",
            "post",
            "response",
            "person_group",
            "indicator_measure",
            "benefit_sign",
            "responded",
        ):
            getattr(self, name).setflags(write=False)

    @property
    def n_obs(self) -> int:
        """Number of observed cells."""
        return int(self.response.shape[0])

    @property
    def n_persons(self) -> int:
        return len(self.persons)

    @property
    def n_waves(self) -> int:
        return len(self.waves)

    @property
    def n_indicators(self) -> int:
        return len(self.indicators)

    @property
    def n_measures(self) -> int:
        return len(self.measures)
