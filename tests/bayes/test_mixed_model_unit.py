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
    model = BinaryMixedModel(small_data, formula="y ~ x * trt + (1 | clinic)", priors=priors)
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
        load_toenail(),
        formula="y ~ trt * time + (1 | patient)",
        priors={"sd": ("exponential", 0.1)},
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
        BinaryMixedModel(small_data, formula="y ~ x + dose + (1 | clinic)")
    with pytest.raises(SpecificationError, match=r"\['ward'\]"):
        BinaryMixedModel(small_data, formula="y ~ x + (1 | ward)")


def test_formula_errors(small_data):
    with pytest.raises(SpecificationError, match="exactly one random-effect term"):
        BinaryMixedModel(small_data, formula="y ~ x")
    with pytest.raises(SpecificationError, match="removes the random intercept"):
        BinaryMixedModel(small_data, formula="y ~ x + (0 + x | clinic)")
    with pytest.raises(SpecificationError, match="exactly one random-effect term"):
        BinaryMixedModel(small_data, formula="y ~ x + (1 | clinic) + (1 | trt)")
    bad = small_data.assign(y=small_data["y"] * 2)
    with pytest.raises(SpecificationError, match="must be 0/1"):
        BinaryMixedModel(bad, formula="y ~ x + (1 | clinic)")


def test_prior_errors(small_data):
    with pytest.raises(SpecificationError, match="Unknown prior role 'slope'"):
        BinaryMixedModel(
            small_data, formula="y ~ x + (1 | clinic)", priors={"slope": ("normal", 0, 1)}
        )
    with pytest.raises(SpecificationError, match="needs a halfnormal"):
        BinaryMixedModel(
            small_data, formula="y ~ x + (1 | clinic)", priors={"sd": ("normal", 0, 1)}
        )
    with pytest.raises(SpecificationError, match="Unknown prior family 'cauchy'"):
        BinaryMixedModel(
            small_data, formula="y ~ x + (1 | clinic)", priors={"fixed": ("cauchy", 0, 1)}
        )
    with pytest.raises(SpecificationError, match="takes 2 parameter"):
        BinaryMixedModel(
            small_data, formula="y ~ x + (1 | clinic)", priors={"fixed": ("normal", 0)}
        )
    # Issue 14, F25: text where a number is expected names the prior role.
    with pytest.raises(
        SpecificationError,
        match=r"Parameter sigma of the normal prior for 'x' must be a number, got 'wide' \(str\)",
    ):
        BinaryMixedModel(
            small_data, formula="y ~ x + (1 | clinic)", priors={"x": ("normal", 0, "wide")}
        )


def test_missing_rows_are_reported(small_data):
    data = small_data.copy()
    data.loc[[0, 5], "x"] = np.nan
    with pytest.warns(RowsExcludedWarning, match=r"2 of 60 rows have a missing value in \['x'\]"):
        model = BinaryMixedModel(data, formula="y ~ x + (1 | clinic)")
    assert model.n_obs == 58


def test_bad_sampler_settings(small_data):
    model = BinaryMixedModel(small_data, formula="y ~ x + (1 | clinic)")
    with pytest.raises(SpecificationError, match="Unknown sampler 'stan'"):
        model.fit(sampler="stan")
    with pytest.raises(SpecificationError, match="draws=0 is outside the accepted range 1 to"):
        model.fit(draws=0)


def test_text_response_is_refused_before_formulaic_expands_it(small_data):
    """Issue 14, F23: a yes/no response used to pass the 0/1 check (formulaic turns text into
    two 0/1 indicator columns) and then fail with a numpy broadcast error."""
    data = small_data.assign(y=np.where(small_data["y"] == 1, "yes", "no"))
    with pytest.raises(
        SpecificationError, match=r"response column 'y' holds text \('(no|yes)', '(no|yes)'\)"
    ):
        BinaryMixedModel(data, formula="y ~ x + (1 | clinic)")
    # A text expression on the left is caught after formulaic, as one column or refused.
    with pytest.raises(SpecificationError, match="must be one 0/1 column, but the formula turns"):
        BinaryMixedModel(data, formula="C(y) ~ x + (1 | clinic)")


def test_every_row_dropped_is_named_not_rank_deficient(small_data):
    """Issue 14, F23: with every row excluded for missing values the model said "rank
    deficient"; an all-missing covariate is named."""
    data = small_data.assign(x=np.nan)
    with pytest.raises(
        SpecificationError,
        match=r"every one of the 60 rows has a missing value.*column\(s\) \['x'\] are missing "
        "in every row",
    ):
        BinaryMixedModel(data, formula="y ~ x + (1 | clinic)")


def test_single_group_and_constant_response_are_named(small_data):
    one_clinic = small_data.assign(clinic=3)
    with pytest.raises(SpecificationError, match="grouping factor 'clinic' has a single level"):
        BinaryMixedModel(one_clinic, formula="y ~ x + (1 | clinic)")
    with pytest.raises(SpecificationError, match="response y is 0 in every one of the 60 rows"):
        BinaryMixedModel(small_data.assign(y=0), formula="y ~ x + (1 | clinic)")
    with pytest.raises(SpecificationError, match=r"term\(s\) \['x'\] hold infinite values"):
        BinaryMixedModel(small_data.assign(x=np.inf), formula="y ~ x + (1 | clinic)")


def test_data_comes_first_and_must_be_a_frame(small_data):
    with pytest.raises(SpecificationError, match="expects a pandas DataFrame as data, got str"):
        BinaryMixedModel("y ~ x + (1 | clinic)", formula="y ~ x + (1 | clinic)")
    with pytest.raises(SpecificationError, match="no response on the left of '~'"):
        BinaryMixedModel(small_data, formula="~ x + (1 | clinic)")
    with pytest.raises(
        SpecificationError, match=r"\['clinc'\] that are not in data \(did you mean 'clinic'"
    ):
        BinaryMixedModel(small_data, formula="y ~ x + (1 | clinc)")


def test_random_slopes_likelihood_matches_scipy(small_data, rng):
    """(x | clinic): eta = X beta + b0[clinic] + x b1[clinic] with b_j = L z_j; the log-likelihood
    term equals a scipy computation from the model's own beta and b, b's covariance factor is
    the LKJ Cholesky factor, and the SD and correlation rows are named by the grouping factor."""
    model = BinaryMixedModel(small_data, formula="y ~ x + trt + (x | clinic)")
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
        BinaryMixedModel(
            small_data, formula="y ~ x + (x | clinic)", priors={"lkj_eta": ("halfnormal", 1)}
        )
    model = BinaryMixedModel(
        small_data, formula="y ~ x + (x | clinic)", priors={"lkj_eta": ("lkj", 1.0)}
    )
    assert "LKJ(1)" in str(model)
