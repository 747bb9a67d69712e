"""PyTensor Op around the fused numba kernel, usable by every PyMC sampler.

``LogitCellsLoglikOp`` has three outputs: the log-likelihood and its gradients with respect to
``F`` and ``offset``. Its gradient (``L_op``) reuses the cached gradient outputs of the same node,
so a graph asking for log-density and gradient evaluates the kernel once.

* C / Python backend (``pm.sample``, ``model.compile_logp``): ``perform`` calls the numba kernel,
  reusing the output buffers between evaluations.
* numba backend (nutpie, ``mode="NUMBA"``): a ``numba_funcify`` dispatch returns a jitted wrapper
  of the same kernel, so nutpie inlines it in its compiled log-density (no object mode, no GIL).
* JAX backend (``pm.sample(nuts_sampler="numpyro")``): a ``jax_funcify`` dispatch in
  :mod:`mirabal_stats.bayes.kernels.jax_dispatch`, which imports this module (never the other way
  round) and is imported by :func:`mirabal_stats.bayes.likelihood.logit_cells_loglik` when jax is
  installed.

The data (cell codes, person pointer, signs, answers) enter as PyTensor shared variables rather
than constants: nutpie passes shared variables to the compiled function at run time, whereas
constants would be frozen into the LLVM module (slow compiles and duplicated memory at 4M cells).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType, disconnected_type, grad_not_implemented
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

from mirabal_stats.bayes.kernels._logit_cells import logit_cells_value_and_grad
from mirabal_stats.exceptions import SpecificationError

__all__ = ["LogitCellsLoglikOp", "logit_cells_loglik_op"]


@functools.lru_cache(maxsize=1)
def _kernel_version() -> int:
    """Hash of the kernel's source: PyTensor's on-disk numba cache is keyed on the Op's props plus
    this number, so an edited kernel must change it (a stale cached wrapper would otherwise keep
    calling the old compiled kernel)."""
    import hashlib
    import inspect

    from mirabal_stats.bayes.kernels import _logit_cells

    source = inspect.getsource(_logit_cells) + inspect.getsource(_numba_funcify_logit_cells)
    return int(hashlib.sha256(source.encode()).hexdigest()[:15], 16)


_shared_counter = itertools.count()


class LogitCellsLoglikOp(Op):
    """``(F, offset, cell, ptr, sign, y) -> (loglik, dloglik/dF, dloglik/doffset)``.

    Answers must be sorted by person with ``ptr`` the CSR pointer (see
    :func:`mirabal_stats.bayes.kernels._logit_cells.person_pointer`); use
    :func:`logit_cells_loglik_op`, which prepares the data.
    """

    __props__ = ()

    def make_node(self, F, offset, cell, ptr, sign, y):
        F = pt.as_tensor_variable(F)
        offset = pt.as_tensor_variable(offset)
        inputs = [F, offset] + [pt.as_tensor_variable(v) for v in (cell, ptr, sign, y)]
        expected = ("float64", "float64", "int32", "int64", "int8", "int8")
        for name, var, dtype in zip(("F", "offset", "cell", "ptr", "sign", "y"), inputs, expected):
            if var.type.dtype != dtype or var.type.ndim != 1:
                raise SpecificationError(
                    f"LogitCellsLoglikOp input {name!r} must be a 1-d {dtype} tensor, "
                    f"got {var.type}. Build the Op with logit_cells_loglik_op, which converts "
                    "the data."
                )
        outputs = [pt.dscalar(), F.type(), offset.type()]
        return Apply(self, inputs, outputs)

    def perform(self, node, inputs, output_storage):
        F, offset, cell, ptr, sign, y = inputs
        if offset.shape[0] < ptr.shape[0] - 1:
            raise SpecificationError(
                f"offset has {offset.shape[0]} entries but the answers reference "
                f"{ptr.shape[0] - 1} persons. Pass a longer offset or recode the data."
            )
        dF = output_storage[1][0]
        if dF is None or dF.shape != F.shape:
            dF = np.empty_like(F)
        doff = output_storage[2][0]
        if doff is None or doff.shape != offset.shape:
            doff = np.empty_like(offset)
        value = logit_cells_value_and_grad(F, offset, cell, ptr, sign, y, dF, doff)
        output_storage[0][0] = np.asarray(value, dtype=np.float64)
        output_storage[1][0] = dF
        output_storage[2][0] = doff

    def infer_shape(self, fgraph, node, input_shapes):
        return [(), input_shapes[0], input_shapes[1]]

    def connection_pattern(self, node):
        # value and both gradients depend on F and offset; the data inputs are not differentiable.
        return [[True, True, True], [True, True, True]] + [[False, False, False]] * 4

    def L_op(self, inputs, outputs, output_grads):
        g_value, g_dF, g_doff = output_grads
        if not isinstance(g_dF.type, DisconnectedType) or not isinstance(
            g_doff.type, DisconnectedType
        ):
            # Second derivatives (e.g. Hessian-based samplers) are not implemented.
            return [
                grad_not_implemented(self, 0, inputs[0], "second derivative of logit_cells_loglik"),
                grad_not_implemented(self, 1, inputs[1], "second derivative of logit_cells_loglik"),
            ] + [disconnected_type() for _ in range(4)]
        return [g_value * outputs[1], g_value * outputs[2]] + [
            disconnected_type() for _ in range(4)
        ]


_logit_cells_op = LogitCellsLoglikOp()


@register_funcify_default_op_cache_key(LogitCellsLoglikOp)
def _numba_funcify_logit_cells(op, node=None, **kwargs):
    import numba

    kernel = logit_cells_value_and_grad

    @numba.njit(nogil=True)
    def logit_cells_loglik_numba(F, offset, cell, ptr, sign, y):
        dF = np.empty_like(F)
        doff = np.empty_like(offset)
        value = kernel(F, offset, cell, ptr, sign, y, dF, doff)
        return np.asarray(value), dF, doff

    return logit_cells_loglik_numba, _kernel_version()


def prepare_cells(*, cell, person, sign, y):
    """Sort answers by person (then cell) and build the CSR pointer; returns compact arrays."""
    from mirabal_stats.bayes.kernels._logit_cells import person_pointer

    cell = np.asarray(cell)
    person = np.asarray(person)
    n = cell.shape[0]
    sign = np.broadcast_to(np.asarray(sign), (n,))
    y = np.asarray(y)
    for name, values, allowed in (("sign", sign, (-1, 0, 1)), ("y", y, (0, 1))):
        bad = ~np.isin(values, allowed)
        if bad.any():
            raise SpecificationError(
                f"{name} must hold only {allowed} for the numba kernel, but {int(bad.sum())} "
                f"entries do not (e.g. {values[bad][0]!r} at position {int(np.flatnonzero(bad)[0])}). "
                f"Use implementation='pytensor' for other values."
            )
    if n and (cell.min() < 0 or person.min() < 0):
        raise SpecificationError(
            "cell and person codes must be non-negative integers (codes into the cell table and "
            "the person offsets); recode the data, e.g. with pandas.factorize."
        )
    order = np.lexsort((cell, person))
    n_persons = int(person.max()) + 1 if n else 0
    return {
        "cell": np.ascontiguousarray(cell[order], dtype=np.int32),
        "ptr": person_pointer(person, n_persons),
        "sign": np.ascontiguousarray(sign[order], dtype=np.int8),
        "y": np.ascontiguousarray(y[order], dtype=np.int8),
    }


def logit_cells_loglik_op(F, offset, *, cell, person, sign, y):
    """Log-likelihood via :class:`LogitCellsLoglikOp` (same contract as ``logit_cells_loglik``)."""
    import pytensor

    data = prepare_cells(cell=cell, person=person, sign=sign, y=y)
    token = next(_shared_counter)
    # Unique names: nutpie keys shared variables by name.
    shared = {
        k: pytensor.shared(v, name=f"logit_cells_{k}_{token}", borrow=True) for k, v in data.items()
    }
    F = pt.as_tensor_variable(F).astype("float64")
    offset = pt.as_tensor_variable(offset).astype("float64")
    n_cells_needed = int(data["cell"].max()) + 1 if data["cell"].size else 0
    n_persons_needed = data["ptr"].shape[0] - 1
    F = _check_static_length(F, n_cells_needed, "F", "cells")
    offset = _check_static_length(offset, n_persons_needed, "offset", "persons")
    value, _, _ = _logit_cells_op(
        F, offset, shared["cell"], shared["ptr"], shared["sign"], shared["y"]
    )
    return value


def _check_static_length(var, needed, name, what):
    """Raise now if the static length is too short, else guard the unknown length at run time.

    The kernel does no bounds checks (they would cost ~20%), so the length is checked here.
    """
    from pytensor.raise_op import Assert

    message = (
        f"{name} must have at least {needed} entries: the data reference {needed} {what}. "
        f"Pass a longer {name} or recode the data."
    )
    length = var.type.shape[0]
    if length is not None:
        if length < needed:
            raise SpecificationError(f"{name} has {length} entries; {message}")
        return var
    return Assert(message)(var, pt.ge(var.shape[0], needed))
