"""The fused logit-cells kernel and its Op against the plain PyTensor graph and numpy.

Reference: the plain graph ``sum(y * eta - softplus(eta))`` differentiated by PyTensor
(``implementation="pytensor"``) and the numpy reference in ``likelihood.py``; both were written
independently of the kernel. Tolerance 1e-8 relative (docs/performance.md, "The kernel").
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mirabal_stats.bayes.likelihood import logit_cells_loglik, logit_cells_loglik_numpy
from mirabal_stats.exceptions import SpecificationError

RTOL = 1e-8


def _data(rng, n_obs=3000, n_cells=60, n_persons=80, signs=(-1, 1)):
    return {
        "cell": rng.integers(0, n_cells, n_obs),
        "person": rng.integers(0, n_persons, n_obs),
        "sign": rng.choice(signs, n_obs),
        "y": rng.integers(0, 2, n_obs),
    }


def _compile(data, implementation, mode):
    import pytensor
    import pytensor.tensor as pt

    F = pt.dvector("F")
    offset = pt.dvector("offset")
    ll = logit_cells_loglik(F, offset, implementation=implementation, **data)
    return pytensor.function([F, offset], [ll, *pytensor.grad(ll, [F, offset])], mode=mode)


def _assert_close(got, want):
    for g, w in zip(got, want):
        scale = max(np.max(np.abs(w)), 1.0)
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=RTOL * scale)


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(20240607)
    data = _data(rng)
    reference = _compile(data, "pytensor", "FAST_RUN")
    points = [(rng.normal(0, scale, 60), rng.normal(0, scale, 80)) for scale in (0.5, 2.0, 8.0)]
    return data, reference, points


@pytest.mark.parametrize("mode", ["FAST_RUN", "NUMBA"])
def test_op_matches_plain_graph(case, mode):
    data, reference, points = case
    kernel = _compile(data, "numba", mode)
    for F, offset in points:
        _assert_close(kernel(F, offset), reference(F, offset))


def test_value_matches_numpy_reference_at_extreme_log_odds():
    # |eta| up to ~900: exp(|eta|) overflows float64; the kernel never forms it.
    rng = np.random.default_rng(1)
    data = _data(rng, n_obs=500, n_cells=10, n_persons=20)
    F = rng.choice([-900.0, -40.0, -1.0, 0.0, 1.0, 40.0, 900.0], 10)
    offset = rng.normal(0, 3, 20)
    f = _compile(data, "numba", "FAST_RUN")
    value, dF, doff = f(F, offset)
    want = logit_cells_loglik_numpy(F, offset, **data)
    np.testing.assert_allclose(value, want, rtol=RTOL)
    assert np.all(np.isfinite(dF)) and np.all(np.isfinite(doff))
    # Gradient from its definition, sum of (y - sigmoid(eta)) per cell / per person.
    eta = F[data["cell"]] + data["sign"] * offset[data["person"]]
    r = data["y"] - 0.5 * (1 + np.tanh(eta / 2))
    np.testing.assert_allclose(
        dF, np.bincount(data["cell"], r, minlength=10), rtol=RTOL, atol=1e-12
    )
    np.testing.assert_allclose(
        doff, np.bincount(data["person"], data["sign"] * r, minlength=20), rtol=RTOL, atol=1e-12
    )


def test_long_person_blocks_cross_log_chunks():
    # 3 persons with ~2,000 answers each: the product of (1 + e) is renormalised every 512 terms.
    rng = np.random.default_rng(2)
    data = _data(rng, n_obs=6000, n_cells=40, n_persons=3)
    F, offset = rng.normal(0, 0.1, 40), rng.normal(0, 0.1, 3)  # (1 + e) near 2: worst case
    value = _compile(data, "numba", "FAST_RUN")(F, offset)[0]
    np.testing.assert_allclose(value, logit_cells_loglik_numpy(F, offset, **data), rtol=RTOL)


def test_persons_without_answers_get_zero_gradient():
    rng = np.random.default_rng(3)
    data = _data(rng, n_obs=400, n_cells=12, n_persons=10)
    data["person"] = data["person"] * 2  # persons 1, 3, ... never answer; offset has 25 entries
    F, offset = rng.normal(size=12), rng.normal(size=25)
    got = _compile(data, "numba", "FAST_RUN")(F, offset)
    want = _compile(data, "pytensor", "FAST_RUN")(F, offset)
    _assert_close(got, want)
    assert np.all(got[2][1::2] == 0.0)


def test_pymc_model_logp_and_dlogp_match_plain_graph():
    import pymc as pm

    rng = np.random.default_rng(4)
    data = _data(rng, n_obs=2000, n_cells=24, n_persons=50, signs=(1,))
    models = {}
    for implementation in ("numba", "pytensor"):
        with pm.Model() as model:
            a = pm.Normal("a", 0, 1.5, shape=24)
            sigma = pm.HalfNormal("sigma", 1.0)
            u = pm.Normal("u", 0, sigma, shape=50)
            pm.Potential("loglik", logit_cells_loglik(a, u, implementation=implementation, **data))
        models[implementation] = model
    fns = {k: (m.compile_logp(), m.compile_dlogp()) for k, m in models.items()}
    for _ in range(3):
        point = {
            "a": rng.normal(0, 2, 24),
            "sigma_log__": np.array(rng.normal()),
            "u": rng.normal(0, 2, 50),
        }
        logp_k, dlogp_k = (f(point) for f in fns["numba"])
        logp_p, dlogp_p = (f(point) for f in fns["pytensor"])
        np.testing.assert_allclose(logp_k, logp_p, rtol=RTOL)
        np.testing.assert_allclose(dlogp_k, dlogp_p, rtol=RTOL, atol=RTOL * np.abs(dlogp_p).max())


def test_unknown_implementation_is_rejected():
    import pytensor.tensor as pt

    with pytest.raises(SpecificationError, match="implementation must be 'numba' or 'pytensor'"):
        logit_cells_loglik(
            pt.dvector(), pt.dvector(), cell=[0], person=[0], sign=1, y=[1], implementation="jax"
        )


def test_non_binary_response_is_rejected():
    import pytensor.tensor as pt

    with pytest.raises(SpecificationError, match=r"y must hold only \(0, 1\).*1 entries do not"):
        logit_cells_loglik(
            pt.dvector(),
            pt.dvector(),
            cell=[0, 1],
            person=[0, 1],
            sign=1,
            y=[1, 2],
            implementation="numba",
        )


def test_too_short_F_is_rejected_statically_and_at_run_time():
    import pytensor
    import pytensor.tensor as pt

    data = {"cell": np.array([0, 5]), "person": np.array([0, 1]), "sign": 1, "y": np.array([0, 1])}
    with pytest.raises(SpecificationError, match="F has 3 entries; F must have at least 6 entries"):
        logit_cells_loglik(pt.zeros(3), pt.zeros(2), implementation="numba", **data)
    F = pt.dvector("F")
    f = pytensor.function([F], logit_cells_loglik(F, pt.zeros(2), implementation="numba", **data))
    with pytest.raises(AssertionError, match="F must have at least 6 entries"):
        f(np.zeros(3))


def test_kernel_modules_do_not_import_each_other_in_a_cycle():
    """op.py never imports jax_dispatch.py (which imports op.py): the JAX translation is
    registered by likelihood.logit_cells_loglik, the one function that puts the Op in a graph."""
    import ast
    from pathlib import Path

    import mirabal_stats.bayes.kernels as kernels

    source = Path(kernels.__file__).with_name("op.py").read_text()
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not any("jax" in (name or "") for name in imported), imported


def test_importing_likelihood_does_not_import_heavy_libraries():
    code = (
        "import sys, mirabal_stats.bayes.likelihood; "
        "print(sorted(m for m in ('pymc', 'pytensor', 'numba', 'jax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.mcmc
def test_nutpie_compiles_and_samples_with_the_op():
    """nutpie's numba backend uses the numba_funcify dispatch (a fallback would warn)."""
    import warnings

    import nutpie
    import pymc as pm

    rng = np.random.default_rng(5)
    n_persons, n_cells = 60, 12
    true_a = rng.normal(0, 1, n_cells)
    true_u = rng.normal(0, 0.8, n_persons)
    person = np.repeat(np.arange(n_persons), n_cells)
    cell = np.tile(np.arange(n_cells), n_persons)
    y = (rng.random(person.size) < 1 / (1 + np.exp(-(true_a[cell] + true_u[person])))).astype(int)
    with pm.Model() as model:
        a = pm.Normal("a", 0, 1.5, shape=n_cells)
        sigma = pm.HalfNormal("sigma", 1.0)
        u = pm.Normal("u", 0, sigma, shape=n_persons)
        pm.Potential(
            "loglik",
            logit_cells_loglik(a, u, cell=cell, person=person, sign=1, y=y, implementation="numba"),
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Numba will use object mode")
        compiled = nutpie.compile_pymc_model(model)
    trace = nutpie.sample(compiled, draws=300, tune=300, chains=2, seed=7, progress_bar=False)
    assert int(trace.sample_stats["diverging"].sum()) == 0
    a_mean = trace.posterior["a"].mean(("chain", "draw")).values
    # 720 answers: posterior means recover the cell log-odds to within sampling noise.
    assert np.corrcoef(a_mean, true_a)[0, 1] > 0.8
