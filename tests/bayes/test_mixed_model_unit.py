"""BinaryMixedModel without sampling: log-density and gradient vs scipy, printing, errors."""

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from scipy.special import expit

from mirabal_stats.bayes import BinaryMixedModel
from mirabal_stats.datasets import load_toenail
from mirabal_stats.exceptions import RowsExcludedWarning, SpecificationError


@pytest.fixture(scope="module")
def small_data():
    rng = np.random.default_rng(11)
    n_groups, per = 15, 4
    g = np.repeat(np.arange(n_groups), per)
    x = rng.normal(size=g.size)
    trt = (g % 2).astype(float)
    b = rng.normal(0, 1.5, n_groups)
    y = (rng.random(g.size) < expit(-0.3 + 0.8 * x + 0.5 * trt + b[g])).astype(int)
    return pd.DataFrame({"y": y, "x": x, "trt": trt, "clinic": g})


def _numpy_logp(vec, model, data, priors):
    """Joint log-density on the sampler's (unconstrained) scale, written with scipy only."""
    terms = model.terms
    X = np.column_stack([np.ones(len(data)), data["x"], data["trt"], data["x"] * data["trt"]])
    beta = vec[: len(terms)]
    log_sd = vec[len(terms)]
    z = vec[len(terms) + 1 :]
    sd = np.exp(log_sd)
    lp = sum(stats.norm.logpdf(beta[i], 0, priors[i]) for i in range(len(terms)))
    lp += stats.expon.logpdf(sd, scale=1 / 0.1) + log_sd  # + log-Jacobian of sd = exp(log_sd)
    lp += stats.norm.logpdf(z).sum()
    codes = pd.factorize(data["clinic"], sort=True)[0]
    eta = X @ beta + sd * z[codes]
    lp += stats.bernoulli.logpmf(data["y"], expit(eta)).sum()
    return lp


def test_logp_and_gradient_match_scipy(small_data, rng):
    priors = {
        "intercept": ("normal", 0, 10),
        "fixed": ("normal", 0, 3),
        "x:trt": ("normal", 0, 1),
        "sd": ("exponential", 0.1),
    }
    model = BinaryMixedModel("y ~ x * trt + (1 | clinic)", small_data, priors=priors)
    assert model.terms == ["Intercept", "x", "trt", "x:trt"]
    scales = [10, 3, 3, 1]
    logp = model.model.compile_logp()
    dlogp = model.model.compile_dlogp()
    point = model.model.initial_point()
    names = [f"beta_{i}" for i in range(4)] + ["sd_log__", "z"]
    assert set(point) == set(names)
    vec = np.concatenate([np.atleast_1d(rng.normal(size=np.shape(point[n]))) for n in names])
    sizes = [np.size(point[n]) for n in names]
    split = np.split(vec, np.cumsum(sizes)[:-1])
    at = {n: (s.reshape(np.shape(point[n]))) for n, s in zip(names, split)}
    expected = _numpy_logp(vec, model, small_data, scales)
    # rel 1e-8: scipy evaluates log(1 - expit(eta)), which loses ~1e-9 when expit(eta) nears 1.
    assert logp(at) == pytest.approx(expected, rel=1e-8)
    # PyMC orders the gradient by model.value_vars
    order = [v.name for v in model.model.value_vars]
    grad = dlogp(at)
    numeric = optimize.approx_fprime(vec, lambda v: _numpy_logp(v, model, small_data, scales), 1e-6)
    by_name = dict(zip(names, np.split(numeric, np.cumsum(sizes)[:-1])))
    expected_grad = np.concatenate([by_name[n] for n in order])
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-5)


def test_print_shows_likelihood_priors_and_counts():
    model = BinaryMixedModel(
        "y ~ trt * time + (1 | patient)", load_toenail(), priors={"sd": ("exponential", 0.1)}
    )
    text = str(model)
    assert "Bernoulli" in text
    assert "1908 observations, 294 levels of patient" in text
    assert "sd(patient)          ~ Exponential(0.1)" in text
    # default fixed prior is autoscaled by the column SD: Normal(0, 2.5 / sd(time))
    sd_time = load_toenail()["time"].std(ddof=0)
    assert f"Normal(0, {2.5 / sd_time:g})" in text


def test_missing_column_is_named(small_data):
    with pytest.raises(
        SpecificationError, match=r"names column\(s\) \['dose'\] that are not in data"
    ):
        BinaryMixedModel("y ~ x + dose + (1 | clinic)", small_data)
    with pytest.raises(SpecificationError, match=r"\['ward'\]"):
        BinaryMixedModel("y ~ x + (1 | ward)", small_data)


def test_formula_errors(small_data):
    with pytest.raises(SpecificationError, match="exactly one random-effect term"):
        BinaryMixedModel("y ~ x", small_data)
    with pytest.raises(SpecificationError, match="removes the random intercept"):
        BinaryMixedModel("y ~ x + (0 + x | clinic)", small_data)
    with pytest.raises(SpecificationError, match="exactly one random-effect term"):
        BinaryMixedModel("y ~ x + (1 | clinic) + (1 | trt)", small_data)
    bad = small_data.assign(y=small_data["y"] * 2)
    with pytest.raises(SpecificationError, match="must be 0/1"):
        BinaryMixedModel("y ~ x + (1 | clinic)", bad)


def test_prior_errors(small_data):
    with pytest.raises(SpecificationError, match="Unknown prior role 'slope'"):
        BinaryMixedModel("y ~ x + (1 | clinic)", small_data, priors={"slope": ("normal", 0, 1)})
    with pytest.raises(SpecificationError, match="needs a halfnormal"):
        BinaryMixedModel("y ~ x + (1 | clinic)", small_data, priors={"sd": ("normal", 0, 1)})
    with pytest.raises(SpecificationError, match="Unknown prior family 'cauchy'"):
        BinaryMixedModel("y ~ x + (1 | clinic)", small_data, priors={"fixed": ("cauchy", 0, 1)})
    with pytest.raises(SpecificationError, match="takes 2 parameter"):
        BinaryMixedModel("y ~ x + (1 | clinic)", small_data, priors={"fixed": ("normal", 0)})


def test_missing_rows_are_reported(small_data):
    data = small_data.copy()
    data.loc[[0, 5], "x"] = np.nan
    with pytest.warns(RowsExcludedWarning, match=r"2 of 60 rows have a missing value in \['x'\]"):
        model = BinaryMixedModel("y ~ x + (1 | clinic)", data)
    assert model.n_obs == 58


def test_bad_sampler_settings(small_data):
    model = BinaryMixedModel("y ~ x + (1 | clinic)", small_data)
    with pytest.raises(SpecificationError, match="Unknown sampler 'stan'"):
        model.fit(sampler="stan")
    with pytest.raises(SpecificationError, match="draws must be an integer"):
        model.fit(draws=0)


def test_random_slopes_likelihood_matches_scipy(small_data, rng):
    """(x | clinic): eta = X beta + b0[clinic] + x b1[clinic] with b_j = L z_j; the log-likelihood
    term equals a scipy computation from the model's own beta and b, b's covariance factor is
    the LKJ Cholesky factor, and the SD and correlation rows are named by the grouping factor."""
    model = BinaryMixedModel("y ~ x + trt + (x | clinic)", small_data)
    assert model.random_terms == ["Intercept", "x"]
    assert model.random_labels == ["sd(clinic)", "sd(x|clinic)", "cor(Intercept,x|clinic)"]
    text = str(model)
    assert "z' b[clinic]" in text and "LKJ(2)" in text and "sd(x|clinic)" in text
    m = model.model
    point = {k: rng.normal(scale=0.5, size=np.shape(v)) for k, v in m.initial_point().items()}
    fn = m.compile_fn(
        m.replace_rvs_by_values(
            [
                m["beta"],
                m["b"],
                m["z"],
                m["random_cov"],
                m["sd_random"],
                m["corr_random"],
                m.potentials[0],
            ]
        ),
        inputs=m.value_vars,
        on_unused_input="ignore",
    )
    beta, b, z, chol_packed, sds, corr, loglik = fn(point)
    codes = pd.factorize(small_data["clinic"], sort=True)[0]
    X = np.column_stack([np.ones(len(small_data)), small_data["x"], small_data["trt"]])
    eta = X @ beta + b[codes, 0] + small_data["x"].to_numpy() * b[codes, 1]
    expected = stats.bernoulli.logpmf(small_data["y"], expit(eta)).sum()
    assert float(loglik) == pytest.approx(expected, rel=1e-8)
    L = np.zeros((2, 2))
    L[np.tril_indices(2)] = chol_packed
    np.testing.assert_allclose(b, (L @ z).T, rtol=1e-12)
    cov = L @ L.T
    np.testing.assert_allclose(sds, np.sqrt(np.diag(cov)), rtol=1e-12)
    assert float(corr[0]) == pytest.approx(cov[0, 1] / np.prod(np.sqrt(np.diag(cov))), rel=1e-10)


def test_lkj_prior_is_checked(small_data):
    with pytest.raises(
        SpecificationError, match="'lkj_eta' is a correlation matrix, so it needs a lkj prior"
    ):
        BinaryMixedModel("y ~ x + (x | clinic)", small_data, priors={"lkj_eta": ("halfnormal", 1)})
    model = BinaryMixedModel("y ~ x + (x | clinic)", small_data, priors={"lkj_eta": ("lkj", 1.0)})
    assert "LKJ(1)" in str(model)
