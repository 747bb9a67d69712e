"""Compressed (binomial) and uncompressed (Bernoulli) log densities are identical."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import comb

from mirabal_stats.bayes.compression import (
    binomial_logit_loglik,
    binomial_logit_loglik_numpy,
    compress_binary,
)


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(11)
    n = 5000
    indicator = rng.integers(0, 8, n)
    wave = rng.integers(0, 4, n)
    group = rng.integers(0, 2, n)
    y = rng.integers(0, 2, n)
    return {"indicator": indicator, "wave": wave, "group": group}, y


def test_counts_and_inverse_reconstruct_the_data(panel):
    keys, y = panel
    cells = compress_binary(y, keys=keys)
    assert cells.n_rows == 64 and cells.n_obs == 5000
    assert cells.n_trials.sum() == 5000 and cells.n_success.sum() == y.sum()
    for name, values in keys.items():
        np.testing.assert_array_equal(cells.keys[name][cells.inverse], values)
    np.testing.assert_array_equal(np.bincount(cells.inverse, weights=y), cells.n_success)


def test_compressed_loglik_equals_bernoulli_loglik(panel):
    keys, y = panel
    rng = np.random.default_rng(12)
    cells = compress_binary(y, keys=keys)
    for scale in (0.3, 3.0, 30.0):
        table = rng.normal(0, scale, (8, 4, 2))
        eta_obs = table[keys["indicator"], keys["wave"], keys["group"]]
        bernoulli = np.sum(y * eta_obs - np.logaddexp(0, eta_obs))
        eta_rows = table[cells.keys["indicator"], cells.keys["wave"], cells.keys["group"]]
        compressed = binomial_logit_loglik_numpy(
            eta_rows, n_trials=cells.n_trials, n_success=cells.n_success
        )
        np.testing.assert_allclose(compressed, bernoulli, rtol=1e-12)


def test_log_binomial_coefficient_is_the_exact_constant(panel):
    keys, y = panel
    cells = compress_binary(y, keys=keys)
    want = np.sum(np.log(comb(cells.n_trials, cells.n_success, exact=False)))
    np.testing.assert_allclose(cells.log_binomial_coefficient, want, rtol=1e-10)


def test_pymc_binomial_minus_constant_equals_bernoulli_model():
    import pymc as pm

    rng = np.random.default_rng(13)
    n = 3000
    wave = rng.integers(0, 5, n)
    group = rng.integers(0, 2, n)
    age = rng.choice([-1.0, 0.0, 0.5, 2.0], n)  # a person covariate, as in the attrition model
    y = rng.integers(0, 2, n)
    cells = compress_binary(y, keys={"wave": wave, "group": group, "age": age})

    def predictor(b, w, g, a):
        return b[0] + b[1] * w + b[2] * g + b[3] * a

    with pm.Model() as full:
        b = pm.Normal("b", 0, 1, shape=4)
        pm.Bernoulli("y", logit_p=predictor(b, wave, group, age), observed=y)
    k = cells.keys
    with pm.Model() as binomial:
        b = pm.Normal("b", 0, 1, shape=4)
        pm.Binomial(
            "s",
            n=cells.n_trials,
            logit_p=predictor(b, k["wave"], k["group"], k["age"]),
            observed=cells.n_success,
        )
    with pm.Model() as potential:
        b = pm.Normal("b", 0, 1, shape=4)
        eta = predictor(b, k["wave"], k["group"], k["age"])
        pm.Potential(
            "loglik", binomial_logit_loglik(eta, n_trials=cells.n_trials, n_success=cells.n_success)
        )
    f_full, f_bin, f_pot = (m.compile_logp() for m in (full, binomial, potential))
    g_full, g_bin = (m.compile_dlogp() for m in (full, binomial))
    for _ in range(3):
        point = {"b": rng.normal(0, 1, 4)}
        np.testing.assert_allclose(
            f_bin(point) - cells.log_binomial_coefficient, f_full(point), rtol=1e-10
        )
        np.testing.assert_allclose(f_pot(point), f_full(point), rtol=1e-10)
        np.testing.assert_allclose(g_bin(point), g_full(point), rtol=1e-10)


def test_rejects_non_binary_response():
    with pytest.raises(
        ValueError, match=r"response must be 0/1 without missing values, but 1 entries"
    ):
        compress_binary(np.array([0, 1, 2]), keys={"wave": np.array([0, 1, 2])})


def test_rejects_key_of_wrong_length():
    with pytest.raises(
        ValueError, match="key 'wave' has shape \\(2,\\) but response has shape \\(3,\\)"
    ):
        compress_binary(np.array([0, 1, 1]), keys={"wave": np.array([0, 1])})


def test_rejects_missing_key_values():
    with pytest.raises(ValueError, match="key 'age' has 1 missing values"):
        compress_binary(np.array([0, 1, 1]), keys={"age": np.array([1.0, np.nan, 2.0])})


def test_rejects_empty_keys():
    with pytest.raises(ValueError, match="keys must name at least one column"):
        compress_binary(np.array([0, 1]), keys={})
