"""Self-contained generator of Mirabal-shaped indicator panels for the benchmarks.

The design mirrors docs/performance.md ("Before the kernel"): 40 yes/no indicators in 6
measures, 6 waves (wave 0 is the baseline), ~62% of persons in the intervention group, monotone
dropout leaving ~87% of person-waves observed, and the true model

    logit p = a[indicator] + u[person] + b[measure, wave] + c[measure] * g + d[indicator] * g * post

It is kept here (not in ``mirabal_stats.datasets``) so that benchmark numbers do not move when the
library's simulator changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZES = {"XS": 40, "S": 160, "M": 2_000, "L": 20_000}
N_INDICATORS = 40
N_MEASURES = 6
N_WAVES = 6


@dataclass(frozen=True)
class BenchPanel:
    person: np.ndarray  # int32 (n_obs,)
    wave: np.ndarray  # int32
    indicator: np.ndarray  # int32
    measure: np.ndarray  # int32, measure of the answer's indicator
    group: np.ndarray  # int8
    post: np.ndarray  # int8
    y: np.ndarray  # int8
    person_group: np.ndarray  # int8 (n_persons,)
    indicator_measure: np.ndarray  # int32 (n_indicators,)
    n_persons: int
    truth: dict

    @property
    def n_obs(self) -> int:
        return int(self.y.shape[0])

    @property
    def cell(self) -> np.ndarray:
        """Flattened (indicator, wave, group) code, as ``likelihood.cell_index``."""
        return ((self.indicator.astype(np.int64) * N_WAVES + self.wave) * 2 + self.group).astype(
            np.int32
        )


def make_panel(n_persons: int, *, seed: int = 20240607) -> BenchPanel:
    """Simulate one panel with ``n_persons`` persons (see module docstring)."""
    rng = np.random.default_rng(seed)
    indicator_measure = np.sort(rng.integers(0, N_MEASURES, N_INDICATORS)).astype(np.int32)
    indicator_measure[:N_MEASURES] = np.arange(N_MEASURES)  # every measure has an indicator
    indicator_measure = np.sort(indicator_measure)
    person_group = (rng.random(n_persons) < 100 / 162).astype(np.int8)
    sigma = 1.0
    a = rng.normal(-0.5, 1.0, N_INDICATORS)
    b = np.concatenate(
        [np.zeros((N_MEASURES, 1)), rng.normal(0, 0.3, (N_MEASURES, N_WAVES - 1))], axis=1
    )
    c = rng.normal(0, 0.3, N_MEASURES)
    mu_d = rng.normal(0.4, 0.2, N_MEASURES)
    tau_d = 0.2
    d = mu_d[indicator_measure] + tau_d * rng.normal(size=N_INDICATORS)
    u = sigma * rng.normal(size=n_persons)
    # Monotone dropout: the baseline wave is always observed; ~13% of person-waves lost overall.
    hazard = 0.035
    dropped_at = np.full(n_persons, N_WAVES)
    for w in range(1, N_WAVES):
        drop = (rng.random(n_persons) < hazard) & (dropped_at == N_WAVES)
        dropped_at[drop] = w
    responded = np.arange(N_WAVES)[None, :] < dropped_at[:, None]
    # Item non-response inside a responding wave (~2%).
    pp, ww = np.nonzero(responded)
    person = np.repeat(pp, N_INDICATORS).astype(np.int32)
    wave = np.repeat(ww, N_INDICATORS).astype(np.int32)
    indicator = np.tile(np.arange(N_INDICATORS, dtype=np.int32), pp.shape[0])
    keep = rng.random(person.shape[0]) > 0.02
    person, wave, indicator = person[keep], wave[keep], indicator[keep]
    measure = indicator_measure[indicator]
    group = person_group[person]
    post = (wave > 0).astype(np.int8)
    eta = (
        a[indicator]
        + u[person]
        + b[measure, wave]
        + c[measure] * group
        + d[indicator] * group * post
    )
    y = (rng.random(eta.shape[0]) < 1 / (1 + np.exp(-eta))).astype(np.int8)
    truth = {"a": a, "b": b, "c": c, "mu_d": mu_d, "tau_d": tau_d, "d": d, "sigma": sigma, "u": u}
    return BenchPanel(
        person=person,
        wave=wave,
        indicator=indicator,
        measure=measure.astype(np.int32),
        group=group.astype(np.int8),
        post=post,
        y=y,
        person_group=person_group,
        indicator_measure=indicator_measure,
        n_persons=n_persons,
        truth=truth,
    )
