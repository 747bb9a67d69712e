"""Pure numpy computations on posterior (or prior) draws of the indicator model.

Inputs are draws of the cell table ``F`` (draws, indicator, wave, group) and of the person
offsets ``off`` (draws, person, period) with period 0 = baseline/pre, 1 = post; the design gives
groups, benefit signs and the observed cells. Keeping these as functions separates computing
from drawing and lets the tests check them on hand-made arrays.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = [
    "thin_indices",
    "person_probabilities",
    "att_pp_draws",
    "replicate_prevalence",
    "delta_adjusted_att",
]


def thin_indices(n_total: int, max_draws: int) -> np.ndarray:
    """Evenly spaced draw indices (deterministic) so that costly summaries use <= max_draws."""
    if n_total <= max_draws:
        return np.arange(n_total)
    return np.linspace(0, n_total - 1, max_draws).round().astype(int)


def _eta(F, off, design, persons, d_shift=None):
    """Linear predictor (draws, persons, K, T) for the chosen persons, every indicator and wave."""
    arr = design.arrays
    s = -arr.benefit_sign.astype(float)  # loading of the person offset
    g = arr.person_group[persons].astype(int)
    post = design.post_wave.astype(int)
    Fg = F[:, :, :, :]  # (D, K, T, 2)
    # F for each person's group: (D, P, K, T)
    cell = np.moveaxis(Fg, 3, 1)[:, g]  # (D, P, K, T)
    offset = off[:, persons][:, :, post]  # (D, P, T)
    eta = cell + s[None, None, :, None] * offset[:, :, None, :]
    if d_shift is not None:
        eta = eta - d_shift
    return eta


def person_probabilities(F, off, design, persons=None, *, chunk: int = 50) -> np.ndarray:
    """P(yes) for each draw, person, indicator, wave: shape (draws, persons, K, T)."""
    if persons is None:
        persons = np.arange(design.arrays.n_persons)
    out = []
    for start in range(0, F.shape[0], chunk):
        sl = slice(start, start + chunk)
        out.append(expit(_eta(F[sl], off[sl], design, persons)))
    return np.concatenate(out, axis=0)


def _programme_term(effect, response, design, sl, treated):
    """Programme term of the linear predictor at the post waves, (D, P, K, 1) or (D, P, K, Tpost):
    ``effect`` holds draws of d_k (draws, K) or of wave-specific d[k,t] (draws, K, Tpost); plus
    b_k v_i when the model has a person-specific programme response ``v`` (draws, persons)."""
    e = effect[sl]
    term = e[:, None, :, None] if e.ndim == 2 else e[:, None, :, :]
    if response is not None:
        b = design.arrays.benefit_sign.astype(float)
        term = term + b[None, None, :, None] * response[sl][:, treated][:, :, None, None]
    return term


def att_pp_draws(
    F, off, effect, design, *, response=None, by_wave: bool = False, chunk: int = 50
) -> np.ndarray:
    """Effect on the treated in percentage points of "yes", per draw and indicator.

    For every intervention person (including those who later dropped out) and post-baseline
    wave, the difference between P(yes) with and without the programme term (``d_k``, or
    ``d[k,t]`` when ``effect`` has a post-wave axis, plus ``b_k v_i`` if ``response`` gives draws
    of a person-specific programme response ``v``), each with the person's own draw of the
    offset; averaged over persons and (unless ``by_wave``) post waves. This marginalises the
    person effects through their posterior (an ATT-style, population-averaged effect) instead
    of plugging in a zero person effect.

    Returns
    -------
    numpy.ndarray, shape (draws, K), or (draws, K, Tpost) with ``by_wave=True``
    """
    arr = design.arrays
    treated = np.flatnonzero(arr.person_group == 1)
    post = design.post_wave.astype(bool)
    out = []
    for start in range(0, F.shape[0], chunk):
        sl = slice(start, start + chunk)
        eta = _eta(F[sl], off[sl], design, treated)[..., post]  # (D, P, K, Tpost)
        d = _programme_term(effect, response, design, sl, treated)
        diff = expit(eta) - expit(eta - d)
        out.append(100.0 * (diff.mean(axis=1) if by_wave else diff.mean(axis=(1, 3))))
    return np.concatenate(out, axis=0)


def replicate_prevalence(F, off, design, rng: np.random.Generator) -> np.ndarray:
    """Posterior predictive % "yes" among the observed cells, per draw, group, wave, indicator.

    Answers are replicated at the observed cells only (the same persons, waves and indicators as
    the data), so the replicated prevalence is directly comparable with the observed one.

    Returns
    -------
    numpy.ndarray, shape (draws, 2, T, K): group index 0 = comparison, 1 = treated.
    """
    arr = design.arrays
    K, T = arr.n_indicators, arr.n_waves
    Fflat = F.reshape(F.shape[0], -1)
    offflat = off.reshape(off.shape[0], -1)
    key = (arr.group.astype(np.int64) * T + arr.wave) * K + arr.indicator
    n_cells = np.bincount(key, minlength=2 * T * K).astype(float)
    out = np.empty((F.shape[0], 2 * T * K))
    for d in range(F.shape[0]):
        eta = Fflat[d, design.cell] + design.sign * offflat[d, design.offset_index]
        yrep = rng.random(eta.shape[0]) < expit(eta)
        out[d] = np.bincount(key, weights=yrep, minlength=2 * T * K)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100.0 * out / n_cells[None, :]
    return pct.reshape(F.shape[0], 2, T, K)


def delta_adjusted_att(
    F, off, effect, design, deltas, *, response=None, chunk: int = 50
) -> np.ndarray:
    """Effect on the treated (pp of "yes") after shifting missing intervention answers.

    For each draw and each ``delta``: the intervention group's post-baseline outcome is its
    observed answer where observed and, where missing (dropout or a blank), the model's P(yes)
    shifted by ``delta`` on the log-odds scale in the *harmful* direction (``-benefit_k * delta``);
    the counterfactual without the programme is the model's P(yes) without ``d_k`` (and without
    ``b_k v_i`` when ``response`` is given). The
    difference is averaged over intervention persons and post waves, on the "yes" scale of each
    indicator; measure and overall (beneficial) means are ``out @ C.T`` with ``C`` from
    :func:`~mirabal_stats.data.beneficial.beneficial_contrasts`.

    Returns
    -------
    numpy.ndarray, shape (len(deltas), draws, K)
    """
    arr = design.arrays
    treated = np.flatnonzero(arr.person_group == 1)
    post_codes = np.flatnonzero(design.post_wave)
    K, T = arr.n_indicators, arr.n_waves
    benefit = arr.benefit_sign.astype(float)
    # Observed answers of the treated at post waves on the (person, K, Tpost) grid.
    pos = {p: j for j, p in enumerate(treated)}
    observed = np.zeros((len(treated), K, len(post_codes)), dtype=bool)
    answer = np.zeros_like(observed, dtype=float)
    wave_pos = -np.ones(T, dtype=int)
    wave_pos[post_codes] = np.arange(len(post_codes))
    sel = (arr.person_group[arr.person] == 1) & (design.post_wave[arr.wave] == 1)
    pi = np.array([pos[p] for p in arr.person[sel]], dtype=int)
    ki, ti = arr.indicator[sel], wave_pos[arr.wave[sel]]
    observed[pi, ki, ti] = True
    answer[pi, ki, ti] = arr.response[sel]
    deltas = np.asarray(deltas, dtype=float)
    out = np.empty((len(deltas), F.shape[0], K))
    for start in range(0, F.shape[0], chunk):
        sl = slice(start, start + chunk)
        eta = _eta(F[sl], off[sl], design, treated)[..., post_codes]  # (D, P, K, Tp)
        d = _programme_term(effect, response, design, sl, treated)
        p0 = expit(eta - d).mean(axis=(1, 3))
        for j, delta in enumerate(deltas):
            p_missing = expit(eta - benefit[None, None, :, None] * delta)
            completed = np.where(observed[None], answer[None], p_missing)
            out[j, sl] = 100.0 * (completed.mean(axis=(1, 3)) - p0)
    return out
