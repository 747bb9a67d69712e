"""Fused numba kernel: Bernoulli-logit log-likelihood of gathered cells and its gradient.

One pass over the observed answers, sorted by person (CSR layout), computes

    eta[n]   = F[cell[n]] + sign[n] * offset[p]           for n in person p's block
    value    = sum_n y[n] * eta[n] - softplus(eta[n])
    dF[c]    = sum_{n: cell[n]=c} (y[n] - sigmoid(eta[n]))
    doff[p]  = sum_{n in block p} sign[n] * (y[n] - sigmoid(eta[n]))

Sorting by person turns the scatter-add into ``doff`` into a register accumulation and removes
the per-answer person index from the memory stream; ``dF`` is a small table (indicator x wave x
group, a few hundred entries) that stays in L1 cache. One ``exp`` per answer: with
``e = exp(-|eta|)``, ``softplus(eta) = max(eta, 0) + log(1 + e)`` and
``sigmoid(eta) = 1 / (1 + e)`` (eta >= 0) or ``e / (1 + e)`` (eta < 0), both without overflow;
the logs are taken once per chunk of answers (see ``_CHUNK``).
All accumulations are float64. The kernels release the GIL (``nogil=True``) so nutpie's chains,
which run in threads, evaluate them in parallel.

This module imports numba at import time; import it only from inside functions
(``mirabal_stats.bayes.likelihood`` does) so that ``import mirabal_stats`` stays fast.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["logit_cells_value_and_grad", "person_pointer"]


# softplus(eta) = max(eta, 0) + log(1 + e) with e = exp(-|eta|) in (0, 1]. Calling log1p per
# answer cost 2/3 of the kernel (glibc log1p ~17 ns); instead the factors (1 + e) in (1, 2] are
# multiplied and one log is taken per chunk of at most _CHUNK answers, so the product stays
# below 2**_CHUNK (no overflow) and its relative rounding error below _CHUNK * 2**-53
# (absolute error < 1e-13 in the log-likelihood).
_CHUNK = 512


@numba.njit(nogil=True, cache=True, fastmath=False, boundscheck=False)
def logit_cells_value_and_grad(F, offset, cell, ptr, sign, y, dF, doff):
    """Log-likelihood; writes the gradient into the preallocated ``dF`` and ``doff``.

    Parameters
    ----------
    F : float64 array (n_cells,)
    offset : float64 array (n_persons,)
    cell : int32 array (n_obs,), answers sorted by person
    ptr : int64 array (n_persons_with_data + 1,), answers of person ``p`` are ``ptr[p]:ptr[p+1]``
    sign, y : int8 arrays (n_obs,)
    dF, doff : float64 arrays shaped like ``F`` and ``offset`` (overwritten)
    """
    for c in range(dF.shape[0]):
        dF[c] = 0.0
    for p in range(doff.shape[0]):
        doff[p] = 0.0
    linear = 0.0  # sum of y * eta - max(eta, 0)
    log_terms = 0.0  # sum of log(1 + e)
    prod = 1.0
    in_chunk = 0
    n_blocks = ptr.shape[0] - 1
    for p in range(n_blocks):
        o = offset[p]
        acc = 0.0
        for n in range(ptr[p], ptr[p + 1]):
            c = cell[n]
            s = float(sign[n])
            eta = F[c] + s * o
            e = math.exp(-abs(eta))
            one_plus_e = 1.0 + e
            inv = 1.0 / one_plus_e
            pos = eta >= 0.0
            prob = inv if pos else e * inv  # sigmoid(eta), no overflow either side
            yn = float(y[n])
            linear += yn * eta - (eta if pos else 0.0)
            prod *= one_plus_e
            in_chunk += 1
            if in_chunk == _CHUNK:
                log_terms += math.log(prod)
                prod = 1.0
                in_chunk = 0
            r = yn - prob
            dF[c] += r
            acc += s * r
        doff[p] = acc
    return linear - (log_terms + math.log(prod))


def person_pointer(person: np.ndarray, n_persons: int) -> np.ndarray:
    """CSR pointer of answers sorted by person: block ``p`` is ``ptr[p]:ptr[p + 1]``."""
    counts = np.bincount(person, minlength=n_persons)
    ptr = np.zeros(n_persons + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr
