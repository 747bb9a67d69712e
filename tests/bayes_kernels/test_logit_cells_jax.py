"""The JAX translation of the logit-cells Op (numpyro / blackjax path) against numpy.

References: the numpy value ``logit_cells_loglik_numpy`` and the gradient from its definition,
``sum of (y - sigmoid(eta))`` per cell and per person (``np.bincount``), both written
independently of the JAX code; PyMC's C-backend ``compile_logp``/``compile_dlogp`` of the same
model for the JAX bridge. Tolerance 1e-8 relative, as for the numba kernel.

The MCMC test compares ``sampler="numpyro"`` with a nutpie fit of the same model.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("jax")
pytest.importorskip("numpyro")

from mirabal_stats.bayes.likelihood import logit_cells_loglik, logit_cells_loglik_numpy

RTOL = 1e-8


def _data(rng, n_obs=3000, n_cells=60, n_persons=40):
    return {
        "cell": rng.integers(0, n_cells, n_obs),
        # Only even person codes answer: odd persons (and the extra tail of offset) have no data.
        "person": 2 * rng.integers(0, n_persons, n_obs),
        "sign": rng.choice([-1, 1], n_obs),
        "y": rng.integers(0, 2, n_obs),
    }


def _numpy_value_and_grad(F, offset, data):
    eta = F[data["cell"]] + data["sign"] * offset[data["person"]]
    r = data["y"] - 0.5 * (1 + np.tanh(eta / 2))  # y - sigmoid(eta), no overflow
    return (
        logit_cells_loglik_numpy(F, offset, **data),
        np.bincount(data["cell"], r, minlength=F.shape[0]),
        np.bincount(data["person"], data["sign"] * r, minlength=offset.shape[0]),
    )


def _assert_close(got, want):
    for g, w in zip(got, want):
        scale = max(np.max(np.abs(w)), 1.0)
        np.testing.assert_allclose(np.asarray(g), w, rtol=RTOL, atol=RTOL * scale)


def _points(rng, n_cells, n_offset):
    return [(rng.normal(0, s, n_cells), rng.normal(0, s, n_offset)) for s in (0.5, 2.0, 8.0)] + [
        # |eta| up to ~900: exp(|eta|) overflows float64; the JAX code never forms it.
        (rng.choice([-900.0, -40.0, 0.0, 40.0, 900.0], n_cells), rng.normal(0, 3, n_offset))
    ]


def test_pytensor_jax_mode_matches_numpy_value_and_gradient():
    """``pytensor.function(mode="JAX")``: the data are shared variables (traced by JAX), the
    person code is rebuilt from the CSR pointer inside the JAX program, and PyTensor's gradient
    uses the Op's gradient outputs."""
    import pytensor
    import pytensor.tensor as pt

    rng = np.random.default_rng(11)
    data = _data(rng)
    n_offset = 2 * 40 + 5
    F, offset = pt.dvector("F"), pt.dvector("offset")
    ll = logit_cells_loglik(F, offset, implementation="numba", **data)
    with warnings.catch_warnings():
        # PyTensor's JAX backend skips the length Asserts (the JAX code checks lengths itself).
        warnings.filterwarnings("ignore", message="Skipping Assert", category=UserWarning)
        fn = pytensor.function([F, offset], [ll, *pytensor.grad(ll, [F, offset])], mode="JAX")
    for Fv, ov in _points(rng, 60, n_offset):
        got = fn(Fv, ov)
        _assert_close(got, _numpy_value_and_grad(Fv, ov, data))
        assert np.all(got[2][1::2] == 0.0)  # persons without answers


def test_pymc_jax_bridge_logp_and_jax_grad_match_c_backend():
    """What numpyro evaluates: PyMC's jaxified log density (shared data turned into constants)
    differentiated by ``jax.grad`` through the Op's custom VJP, against the C backend."""
    import jax
    import pymc as pm
    from pymc.sampling.jax import get_jaxified_logp

    rng = np.random.default_rng(12)
    data = _data(rng, n_obs=2000, n_cells=24, n_persons=25)
    with pm.Model() as model:
        a = pm.Normal("a", 0, 1.5, shape=24)
        sigma = pm.HalfNormal("sigma", 1.0)
        u = pm.Normal("u", 0, sigma, shape=55)
        pm.Potential("loglik", logit_cells_loglik(a, u, implementation="numba", **data))
    # negative_logp=False gives the potential energy -logp (PyMC's naming).
    potential = jax.jit(jax.value_and_grad(get_jaxified_logp(model, negative_logp=False)))
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    for _ in range(3):
        point = {
            "a": rng.normal(0, 2, 24),
            "sigma_log__": np.array(rng.normal()),
            "u": rng.normal(0, 2, 55),
        }
        value, grad = potential([point[v.name] for v in model.value_vars])
        flat_grad = np.concatenate([np.ravel(g) for g in grad])
        np.testing.assert_allclose(-float(value), logp(point), rtol=RTOL)
        want = dlogp(point)
        np.testing.assert_allclose(-flat_grad, want, rtol=RTOL, atol=RTOL * np.abs(want).max())


def test_jax_kernel_function_matches_numpy_under_jit():
    import jax
    import jax.numpy as jnp

    from mirabal_stats.bayes.kernels.jax_dispatch import logit_cells_value_and_grad_jax
    from mirabal_stats.bayes.kernels.op import prepare_cells

    rng = np.random.default_rng(13)
    data = _data(rng, n_obs=700, n_cells=15, n_persons=9)
    prepared = prepare_cells(**data)
    fn = jax.jit(logit_cells_value_and_grad_jax)
    grad_fn = jax.jit(
        jax.grad(lambda F, o, *d: logit_cells_value_and_grad_jax(F, o, *d)[0], argnums=(0, 1))
    )
    args = [jnp.asarray(prepared[k]) for k in ("cell", "ptr", "sign", "y")]
    for Fv, ov in _points(rng, 15, 20):
        want = _numpy_value_and_grad(Fv, ov, data)
        _assert_close(fn(Fv, ov, *args), want)
        _assert_close(grad_fn(Fv, ov, *args), want[1:])


def test_too_short_offset_is_rejected_when_traced():
    import pytensor
    import pytensor.tensor as pt

    data = {"cell": np.array([0, 1]), "person": np.array([0, 4]), "sign": 1, "y": np.array([0, 1])}
    F, offset = pt.dvector("F"), pt.dvector("offset")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipping Assert", category=UserWarning)
        fn = pytensor.function([F, offset], logit_cells_loglik(F, offset, **data), mode="JAX")
    from mirabal_stats.exceptions import SpecificationError

    with pytest.raises(
        SpecificationError, match="offset has 3 entries but the answers reference 5 persons"
    ):
        fn(np.zeros(2), np.zeros(3))


# ---------------------------------------------------------------------------- MCMC

INDICATORS = ["negotiates", "shouts_swears", "blames_her"]


@pytest.mark.mcmc
def test_numpyro_fit_agrees_with_nutpie():
    """IndicatorModel with sampler="numpyro" (JAX translation of the Op) and with nutpie: the
    indicator effects' posterior means agree to 0.3 posterior SD (Monte-Carlo error of a mean
    at ESS ~100 is 0.1 SD per fit, so a 0.3 SD gap would flag a different posterior). Both fits'
    diagnostics are checked (tests/mcmc/_diagnostics.py): measured with seed 3, numpyro max
    R-hat 1.022, min ESS 89 (tail, effect_sd), 1 divergence in 600 draws; nutpie 1.018, 41
    (bulk, effect_sd), 1 divergence. The SD of three indicator effects is barely identified (a
    nuisance here), so the overall ESS bound is 30 and the compared effects need ESS >= 100."""
    from mirabal_stats.bayes import IndicatorModel
    from mirabal_stats.datasets import simulate_mirabal
    from tests.mcmc._diagnostics import fit_checked

    panel, _ = simulate_mirabal(random_seed=1, indicators=INDICATORS)
    fits = {}
    for sampler in ("numpyro", "nutpie"):
        fits[sampler] = fit_checked(
            IndicatorModel(panel),
            draws=300,
            tune=300,
            chains=2,
            sampler=sampler,
            random_seed=3,
            max_r_hat=1.05,
            min_ess=30,
            max_divergences=5,
        )
        effects = fits[sampler].diagnostics().filter(like="effect[", axis=0)
        assert len(effects) == len(INDICATORS) and (effects["ess_bulk"] >= 100).all(), effects
    a = fits["numpyro"].effects(level="indicator")
    b = fits["nutpie"].effects(level="indicator")
    sd = fits["nutpie"].idata.posterior["effect"].std(("chain", "draw")).to_series()
    gap = (a["estimate"] - b["estimate"]).abs() / sd.loc[a.index]
    assert (gap < 0.3).all(), gap
    # numpyro's draws come through PyMC's bridge with the usual shape and sampler stats.
    post = fits["numpyro"].idata.posterior
    assert post.sizes["chain"] == 2 and post.sizes["draw"] == 300
    assert "diverging" in fits["numpyro"].idata.sample_stats


@pytest.mark.mcmc
def test_binary_mixed_model_with_numpyro_recovers_quadrature_estimates():
    """BinaryMixedModel uses the same Op: the toenail fixed effects from sampler="numpyro" lie
    within 0.3 posterior SD of lme4's adaptive-quadrature ML estimates (nAGQ=50, recorded in
    tests/golden/reference), as the nutpie fit does in tests/mcmc/test_bayes_mcmc.py."""
    from mirabal_stats.bayes import BinaryMixedModel
    from mirabal_stats.datasets import load_toenail
    from mirabal_stats.reproductions.toenail_glmm import LME4_AGQ50, VAGUE_PRIORS
    from tests.mcmc._diagnostics import fit_checked

    model = BinaryMixedModel(
        load_toenail(), formula="y ~ trt * time + (1 | patient)", priors=VAGUE_PRIORS
    )
    result = fit_checked(
        model,
        draws=1000,
        tune=1000,
        chains=2,
        sampler="numpyro",
        random_seed=20010325,
        max_r_hat=1.05,
        min_ess=100,
        max_divergences=0,
    )
    table = result.to_frame()
    for term in ("Intercept", "trt", "time", "trt:time"):
        gap = abs(table.loc[term, "estimate"] - LME4_AGQ50[term])
        assert gap <= 0.3 * table.loc[term, "std_error"], (term, table.loc[term])
