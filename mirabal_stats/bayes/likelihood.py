"""Log-likelihood of repeated binary indicators: one gathered linear predictor over observed cells.

The indicator models share one structure (docs/performance.md, "The kernel"): every fixed effect
of the model is constant within a *cell* (indicator x wave x group), so the linear predictor of
observed answer ``n`` is

    eta[n] = F[cell[n]] + sign[n] * offset[person[n]]

where ``F`` is the small table of cell-level log-odds (n_indicators * n_waves * 2 entries) and
``offset`` the person-level part (random intercept, plus person covariates). Building ``F`` on the
small table and gathering once is what keeps the likelihood vectorised and cheap.

This module is the one place the likelihood is written; models call :func:`logit_cells_loglik`.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from mirabal_stats.exceptions import SpecificationError

__all__ = [
    "cell_index",
    "logit_cells_loglik",
    "logit_cells_loglik_numpy",
    "bernoulli_logit_loglik",
]


def cell_index(
    indicator: np.ndarray, wave: np.ndarray, group: np.ndarray, *, n_waves: int
) -> np.ndarray:
    """Flattened cell code ``(indicator * n_waves + wave) * 2 + group`` for each observed answer."""
    return ((indicator.astype(np.int64) * n_waves + wave) * 2 + group).astype(np.int32)


def logit_cells_loglik_numpy(F, offset, *, cell, person, sign, y) -> float:
    """Plain numpy reference of :func:`logit_cells_loglik` (used by the tests)."""
    eta = np.asarray(F)[cell] + sign * np.asarray(offset)[person]
    # log p(y | eta) = y * eta - log(1 + exp(eta)), written stably with logaddexp.
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def bernoulli_logit_loglik(eta, y, weights=None):
    """``sum_n w_n (y_n eta_n - log(1 + exp(eta_n)))`` as a PyTensor scalar, for linear predictors
    that do not have the cell + person-offset form (per-observation weights, random slopes)."""
    import pytensor.tensor as pt

    terms = y * eta - pt.softplus(eta)
    return pt.sum(terms if weights is None else weights * terms)


_IMPLEMENTATIONS = ("numba", "pytensor")


def logit_cells_loglik(F, offset, *, cell, person, sign, y, implementation: str = "numba"):
    """Bernoulli-logit log-likelihood summed over observed cells, as a PyTensor scalar.

    Parameters
    ----------
    F : pytensor tensor, shape (n_cells,)
        Cell-level log-odds (flattened indicator x wave x group table, see :func:`cell_index`).
    offset : pytensor tensor, shape (n_persons,)
        Person-level log-odds offset (random intercept and person covariates).
    cell, person : numpy.ndarray of int
        Cell and person code of each observed answer.
    sign : numpy.ndarray or scalar
        Loading of the person offset on each answer (+1 or -1; 0 drops the offset).
    y : numpy.ndarray
        Observed 0/1 answers.
    implementation : {"numba", "pytensor"}
        ``"numba"`` (default; numba is a dependency) uses the fused kernel with its analytic
        gradient (:class:`mirabal_stats.bayes.kernels.op.LogitCellsLoglikOp`), which runs under
        every PyMC sampler: C backend through ``perform``, nutpie/numba backend through a
        ``numba_funcify`` dispatch, JAX backend (numpyro) through a ``jax_funcify`` dispatch
        registered here when jax is installed. ``"pytensor"`` builds the plain graph (the
        reference of the tests, and what second derivatives need). Both give the same value
        and gradient to 1e-8 relative (tests/bayes_kernels/).
    """
    if implementation not in _IMPLEMENTATIONS:
        raise SpecificationError(
            f"implementation must be 'numba' or 'pytensor', got {implementation!r}."
        )
    if implementation == "numba":
        from mirabal_stats.bayes.kernels.op import logit_cells_loglik_op

        _register_jax_translation()
        return logit_cells_loglik_op(F, offset, cell=cell, person=person, sign=sign, y=y)

    import pytensor.tensor as pt

    eta = F[cell] + sign * offset[person]
    return pt.sum(y * eta - pt.softplus(eta))


@cache
def _register_jax_translation() -> None:
    """Give the kernel Op its JAX translation (numpyro through PyMC) when jax is installed.

    ``kernels/jax_dispatch.py`` registers it on import; it is imported here, by the one function
    that puts the Op in a graph, so that the Op module never imports its JAX translation (no
    import cycle) and only models that use the Op pay for importing jax (~0.5 s).
    """
    from importlib.util import find_spec

    if find_spec("jax") is not None:
        import mirabal_stats.bayes.kernels.jax_dispatch  # noqa: F401  (registers on import)
