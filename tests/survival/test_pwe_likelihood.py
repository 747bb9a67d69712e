"""The piecewise-exponential log-likelihood against a person-by-person numpy/scipy reference."""

from __future__ import annotations

import numpy as np
import pytest

from mirabal_stats.survival.pwe_likelihood import (
    exposure_matrix,
    prepare_pwe_data,
    pwe_loglik_numpy,
)

CUTS = np.array([0.0, 3.0, 6.0, 9.0])


def cumhaz(t, alpha, eta):
    return np.exp(eta) * (exposure_matrix([t], CUTS)[0] @ np.exp(alpha))


def person_loglik(kind, a, b, eta, alpha):
    """Textbook likelihood of one person: exact f(t), right S(t), interval S(L) - S(U)."""
    if kind == "exact":
        j = np.searchsorted(CUTS, a, side="left") - 1
        return alpha[j] + eta - cumhaz(a, alpha, eta)
    if kind == "right":
        return -cumhaz(a, alpha, eta)
    return np.log(np.exp(-cumhaz(a, alpha, eta)) - np.exp(-cumhaz(b, alpha, eta)))


@pytest.fixture
def people():
    rng = np.random.default_rng(0)
    n = 40
    X = np.column_stack([rng.integers(0, 2, n), rng.integers(0, 3, n)]).astype(
        float
    )  # repeats -> collapse
    kinds = rng.choice(["exact", "right", "interval"], n)
    a = rng.uniform(0.1, 11, n).round(1)
    b = a + rng.uniform(0.5, 4, n).round(1)
    a[np.flatnonzero(kinds == "interval")[:3]] = 0.0  # some left-censored rows
    w = rng.uniform(0.3, 2.5, n)
    cl = rng.integers(0, 4, n)
    return X, kinds, a, b, w, cl


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("with_frailty", [False, True])
def test_collapsed_loglik_equals_person_sum(people, weighted, with_frailty):
    X, kinds, a, b, w, cl = people
    w = w if weighted else np.ones(len(a))
    alpha = np.array([-2.0, -1.5, -1.0, -1.8])
    beta = np.array([-0.4, 0.3])
    frailty = np.array([0.2, -0.1, 0.0, 0.5]) if with_frailty else None
    data = prepare_pwe_data(
        X,
        CUTS,
        time=a,
        event=(kinds == "exact").astype(float),
        interval_upper=np.where(kinds == "interval", b, np.nan),
        weights=w,
        cluster=cl if with_frailty else None,
    )
    assert len(data.X_pattern) < len(a)  # rows were collapsed
    f = frailty if with_frailty else np.zeros(4)
    expected = sum(
        w[i]
        * person_loglik(kinds[i], a[i], b[i], X[i] @ beta + f[cl[i] if with_frailty else 0], alpha)
        for i in range(len(a))
    )
    assert pwe_loglik_numpy(data, alpha, beta, frailty) == pytest.approx(expected, rel=1e-10)


def test_pytensor_loglik_and_gradient_match_numpy(people):
    import pytensor
    import pytensor.tensor as pt
    from scipy.optimize import approx_fprime

    from mirabal_stats.survival.pwe_likelihood import pwe_loglik_pytensor

    X, kinds, a, b, w, _ = people
    data = prepare_pwe_data(
        X,
        CUTS,
        time=a,
        event=(kinds == "exact").astype(float),
        interval_upper=np.where(kinds == "interval", b, np.nan),
        weights=w,
    )
    alpha_t, beta_t = pt.dvector("alpha"), pt.dvector("beta")
    ll = pwe_loglik_pytensor(data, alpha_t, beta_t)
    f = pytensor.function(
        [alpha_t, beta_t], [ll, *pt.grad(ll, [alpha_t, beta_t])], mode="FAST_COMPILE"
    )
    alpha, beta = np.array([-2.0, -1.5, -1.0, -1.8]), np.array([-0.4, 0.3])
    value, g_alpha, g_beta = f(alpha, beta)
    assert value == pytest.approx(pwe_loglik_numpy(data, alpha, beta), rel=1e-12)
    num = approx_fprime(np.r_[alpha, beta], lambda p: pwe_loglik_numpy(data, p[:4], p[4:]), 1e-6)
    np.testing.assert_allclose(np.r_[g_alpha, g_beta], num, rtol=1e-4, atol=1e-4)
