"""JAX implementation of :class:`~mirabal_stats.bayes.kernels.op.LogitCellsLoglikOp`.

PyMC's JAX samplers (``pm.sample(nuts_sampler="numpyro")``, blackjax) translate the model's
log-density graph to JAX with ``pytensor.link.jax.dispatch.jax_funcify`` and let JAX differentiate
it. The Op is the graph's only node without a JAX translation, so this module registers one:

    eta[n]  = F[cell[n]] + sign[n] * offset[person[n]]
    value   = sum_n y[n] * eta[n] - softplus(eta[n])
    dF      = segment_sum(y - sigmoid(eta), cell)
    doffset = segment_sum(sign * (y - sigmoid(eta)), person)

the same quantities as the numba kernel (``_logit_cells.py``), in float64, in vectorised
``jax.numpy``. ``value`` carries a ``jax.custom_vjp`` whose backward pass is the analytic gradient
above, so ``jax.grad`` of the log-density (what numpyro evaluates) reuses the forward pass's
residuals instead of differentiating ``softplus`` a second time, and agrees with the Op's own
gradient outputs (used when PyTensor differentiates, e.g. ``pytensor.function(mode="JAX")``).

The gradient graph of the Op holds no other Op class: ``L_op`` multiplies the Op's own second and
third outputs, so this one registration covers value and gradient.

:func:`mirabal_stats.bayes.likelihood.logit_cells_loglik` imports this module when jax is installed
(the Op module itself does not, so the two never import each other); it imports jax and PyTensor's
JAX backend (about 0.5 s), which the rest of the package never does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from pytensor.graph.basic import Constant
from pytensor.link.jax.dispatch import jax_funcify

from mirabal_stats.bayes.kernels.op import LogitCellsLoglikOp
from mirabal_stats.exceptions import SpecificationError

__all__ = ["logit_cells_value_and_grad_jax"]


def _value_and_grad(F, offset, cell, person, sign, y):
    """Value and analytic gradient; one ``exp`` per answer, no overflow for any ``eta``."""
    s = sign.astype(F.dtype)
    yf = y.astype(F.dtype)
    eta = F[cell] + s * offset[person]
    e = jnp.exp(-jnp.abs(eta))
    pos = eta >= 0.0
    # log p(y | eta) = y * eta - softplus(eta), softplus(eta) = max(eta, 0) + log1p(exp(-|eta|)).
    value = jnp.sum(yf * eta - jnp.where(pos, eta, 0.0) - jnp.log1p(e))
    r = yf - jnp.where(pos, 1.0, e) / (1.0 + e)  # y - sigmoid(eta)
    dF = jax.ops.segment_sum(r, cell, num_segments=F.shape[0])
    # Answers are sorted by person (prepare_cells), which lets XLA skip the sort.
    doff = jax.ops.segment_sum(s * r, person, num_segments=offset.shape[0], indices_are_sorted=True)
    return value, dF, doff


@jax.custom_vjp
def _loglik(F, offset, data):
    return _value_and_grad(F, offset, *data)[0]


def _loglik_fwd(F, offset, data):
    value, dF, doff = _value_and_grad(F, offset, *data)
    return value, (dF, doff)


def _loglik_bwd(residuals, g):
    dF, doff = residuals
    return g * dF, g * doff, None  # the integer data have no cotangent


_loglik.defvjp(_loglik_fwd, _loglik_bwd)


def _person_from_pointer(ptr, n_obs):
    """Person code of each answer from the CSR pointer (``ptr[p]:ptr[p+1]`` is person ``p``)."""
    n_blocks = ptr.shape[0] - 1
    return jnp.repeat(
        jnp.arange(n_blocks, dtype=jnp.int32), jnp.diff(ptr), total_repeat_length=n_obs
    )


def logit_cells_value_and_grad_jax(F, offset, cell, ptr, sign, y):
    """``(loglik, dloglik/dF, dloglik/doffset)`` from the Op's inputs, as JAX arrays.

    ``loglik`` is differentiable by ``jax.grad`` (analytic custom VJP); shapes must be static
    (they are under ``jax.jit``).
    """
    return _apply(F, offset, cell, _person_from_pointer(ptr, cell.shape[0]), sign, y)


def _apply(F, offset, cell, person, sign, y):
    data = (cell, person, sign, y)
    _, dF, doff = _value_and_grad(F, offset, *data)
    return _loglik(F, offset, data), dF, doff


def _check_lengths(n_F, n_offset, n_cells_needed, n_persons_needed):
    # JAX clamps out-of-range gathers silently (the C and numba paths guard with an Assert that
    # PyMC's JAX translation turns into a no-op), so the lengths are checked here, at trace time.
    if n_cells_needed is not None and n_F < n_cells_needed:
        raise SpecificationError(
            f"F has {n_F} entries but the answers reference {n_cells_needed} cells. "
            "Pass a longer F or recode the data."
        )
    if n_offset < n_persons_needed:
        raise SpecificationError(
            f"offset has {n_offset} entries but the answers reference {n_persons_needed} persons. "
            "Pass a longer offset or recode the data."
        )


def _require_x64():
    if not jax.config.jax_enable_x64:
        raise SpecificationError(
            "The logit-cells likelihood needs 64-bit floats in JAX, but jax_enable_x64 is off "
            "(PyTensor turns it off when pytensor.config.floatX is 'float32'). Set floatX to "
            "'float64' or call jax.config.update('jax_enable_x64', True) before sampling."
        )


@jax_funcify.register(LogitCellsLoglikOp)
def _jax_funcify_logit_cells(op, node=None, **kwargs):
    _require_x64()
    data_inputs = node.inputs[2:] if node is not None else ()
    if data_inputs and all(isinstance(v, Constant) for v in data_inputs):
        # PyMC's JAX bridge replaces the shared data by constants: derive the person code of
        # each answer once, here, instead of at every log-density evaluation.
        cell, ptr = data_inputs[0].data, data_inputs[1].data
        person = np.repeat(np.arange(ptr.shape[0] - 1, dtype=np.int32), np.diff(ptr))
        n_cells_needed = int(cell.max()) + 1 if cell.size else 0
        person_j = jnp.asarray(person)

        def logit_cells_loglik_jax(F, offset, cell, ptr, sign, y):
            _check_lengths(F.shape[0], offset.shape[0], n_cells_needed, ptr.shape[0] - 1)
            return _apply(F, offset, cell, person_j, sign, y)

        return logit_cells_loglik_jax

    def logit_cells_loglik_jax(F, offset, cell, ptr, sign, y):
        _check_lengths(F.shape[0], offset.shape[0], None, ptr.shape[0] - 1)
        return logit_cells_value_and_grad_jax(F, offset, cell, ptr, sign, y)

    return logit_cells_loglik_jax
