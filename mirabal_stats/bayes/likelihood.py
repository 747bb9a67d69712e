"""Log-likelihood of repeated binary indicators: one gathered linear predictor over observed cells.

The indicator models share one structure (notes/sampling.md): every fixed effect of the model is
constant within a *cell* (indicator x wave x group), so the linear predictor of observed answer
``n`` is

    eta[n] = F[cell[n]] + sign[n] * offset[person[n]]

where ``F`` is the small table of cell-level log-odds (n_indicators * n_waves * 2 entries) and
``offset`` the person-level part (random intercept, plus person covariates). Building ``F`` on the
small table and gathering once is what keeps the likelihood vectorised and cheap.

This module is the one place the likelihood is written; models call :func:`logit_cells_loglik`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cell_index", "logit_cells_loglik", "logit_cells_loglik_numpy"]


def cell_index(indicator: np.ndarray, wave: np.ndarray, group: np.ndarray, *, n_waves: int) -> np.ndarray:
    """Flattened cell code ``(indicator * n_waves + wave) * 2 + group`` for each observed answer."""
    return ((indicator.astype(np.int64) * n_waves + wave) * 2 + group).astype(np.int32)


def logit_cells_loglik_numpy(F, offset, *, cell, person, sign, y) -> float:
    """Plain numpy reference of :func:`logit_cells_loglik` (used by the tests)."""
    eta = np.asarray(F)[cell] + sign * np.asarray(offset)[person]
    # log p(y | eta) = y * eta - log(1 + exp(eta)), written stably with logaddexp.
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def logit_cells_loglik(F, offset, *, cell, person, sign, y):
    """Bernoulli-logit log-likelihood summed over observed cells, as a PyTensor scalar.

    Parameters
    ----------
    F : pytensor tensor, shape (n_cells,)
        Cell-level log-odds (flattened indicator x wave x group table, see :func:`cell_index`).
    offset : pytensor tensor, shape (n_persons,)
        Person-level log-odds offset (random intercept and person covariates).
    cell, person : numpy.ndarray of int
        Cell and person code of each observed answer.
    sign : numpy.ndarray
        Loading of the person offset on each answer (+1 or -1).
    y : numpy.ndarray
        Observed 0/1 answers.
    """
    import pytensor.tensor as pt

    eta = F[cell] + sign * offset[person]
    return pt.sum(y * eta - pt.softplus(eta))
