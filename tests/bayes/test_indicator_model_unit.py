"""IndicatorModel without sampling: likelihood vs an independent numpy/scipy computation,
gradient vs finite differences, printing, and the errors for bad input."""

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from scipy.special import expit

from mirabal_stats.bayes import IndicatorModel
from mirabal_stats.bayes.indicator_results import IndicatorResults, _crossing
from mirabal_stats.exceptions import RowsExcludedWarning, SpecificationError, WeightingError
from mirabal_stats.weighting import Weights
from tests._contract import assert_results_contract

from .conftest import make_long, make_panel, prior_posterior


def _random_point(model, rng):
    point = model.model.initial_point()
    return {k: rng.normal(scale=0.7, size=np.shape(v)) for k, v in point.items()}


@pytest.mark.parametrize("centred_effects", [False, True])
def test_loglik_matches_independent_numpy(small_panel, rng, centred_effects):
    """The model's log-likelihood term equals a computation from the long table and the
    documented linear predictor, with parameters read off the model's deterministics (both
    parametrisations of the indicator effects)."""
    model = IndicatorModel(small_panel, covariates=["age"], centred_effects=centred_effects)
    assert ("effect_raw" in model.model.named_vars) is not centred_effects
    at = _random_point(model, rng)
    m = model.model
    fn = m.compile_fn(
        m.replace_rvs_by_values(
            [
                m["intercept"],
                m["wave_measure"],
                m["wave_sd"],
                m["wave_raw"],
                m["group_diff"],
                m["effect"],
                m["severity"],
                m["covariate_change"],
            ]
            + [p for p in m.potentials]
        ),
        inputs=m.value_vars,
        on_unused_input="ignore",
    )
    a, W, tau_w, eps, c, d, u, gamma, loglik = fn(at)
    long = small_panel.to_long(include_missing=False)
    base = small_panel.baseline().set_index("person")
    inds = list(small_panel.indicators)
    k = long["indicator"].map({x: i for i, x in enumerate(inds)}).to_numpy()
    benefit = small_panel.benefit_sign.reindex(inds).to_numpy(float)[k]
    measure = long["measure"].map({"m1": 0, "m2": 1}).to_numpy()
    t = long["wave"].to_numpy() - 1
    g = (long["group"] == "programme").to_numpy(float)
    post = (t > 0).astype(float)
    person = long["person"].map({p: i for i, p in enumerate(small_panel.persons)}).to_numpy()
    age = base.loc[list(small_panel.persons), "age"].to_numpy(float)
    age_std = (age - age.mean()) / age.std()
    # wave effect: zero at baseline, b_k * (W[m, t] + tau_w * eps[k, t]) otherwise
    wave = np.where(
        t > 0,
        benefit * (W[measure, np.maximum(t - 1, 0)] + tau_w * eps[k, np.maximum(t - 1, 0)]),
        0.0,
    )
    eta = (
        a[k]
        + wave
        + c[k] * g
        + d[k] * g * post
        - benefit * (u[person] - post * gamma[0] * age_std[person])
    )
    expected = stats.bernoulli.logpmf(long["response"].to_numpy(), expit(eta)).sum()
    assert float(loglik) == pytest.approx(expected, rel=1e-8)


def test_gradient_matches_finite_differences(small_panel, rng):
    model = IndicatorModel(small_panel, covariates=["age"], attrition="shared")
    m = model.model
    logp, dlogp = m.compile_logp(), m.compile_dlogp()
    at = _random_point(model, rng)
    order = [v.name for v in m.value_vars]
    shapes = [np.shape(at[n]) for n in order]
    sizes = [int(np.prod(s)) for s in shapes]

    def unpack(vec):
        parts = np.split(vec, np.cumsum(sizes)[:-1])
        return {n: p.reshape(s) for n, p, s in zip(order, parts, shapes)}

    vec = np.concatenate([np.ravel(at[n]) for n in order])
    numeric = optimize.approx_fprime(vec, lambda v: float(logp(unpack(v))), 1e-6)
    np.testing.assert_allclose(dlogp(unpack(vec)), numeric, rtol=1e-4, atol=1e-4)


def test_print_shows_likelihood_priors_and_counts(small_panel):
    text = str(
        IndicatorModel(small_panel, attrition="shared", priors={"person_sd": ("halfnormal", 1)})
    )
    assert "Bernoulli(logit^-1(a_k + w[k,t] + c_k g_i + d_k g_i post_t" in text
    assert "shared-parameter selection model" in text
    assert "person_sd            ~ HalfNormal(1)" in text
    n_obs = small_panel.n_observed
    assert (
        f"data: {n_obs} observed answers, 24 persons (programme: 12, control: 12), 3 waves" in text
    )
    assert "selection            ~ Normal(0, 1)" in text


def test_one_wave_panel_is_rejected(rng):
    long = make_long(rng, n_waves=1)
    with pytest.raises(SpecificationError, match="single wave"):
        IndicatorModel(make_panel(long))


def test_invariant_indicator_is_reported_then_dropped_if_allowed(rng):
    long = make_long(rng)
    long.loc[long["indicator"] == "ind2", "response"] = 0.0
    panel = make_panel(long)
    with pytest.raises(SpecificationError, match=r"1 indicator\(s\) have no variation.*\['ind2'\]"):
        IndicatorModel(panel)
    with pytest.warns(RowsExcludedWarning, match=r"Dropped 1 indicator\(s\).*\['ind2'\]"):
        model = IndicatorModel(panel, drop_invariant=True)
    assert model.arrays.indicators == ("ind0", "ind1", "ind3")


def test_group_without_post_answers_is_rejected(rng):
    panel = make_panel(make_long(rng, treated_post=False))
    with pytest.raises(
        SpecificationError, match="Group 'programme' has no answers after the baseline wave"
    ):
        IndicatorModel(panel)


def test_option_errors(small_panel):
    with pytest.raises(SpecificationError, match="attrition must be 'mar' or 'shared'"):
        IndicatorModel(small_panel, attrition="mnar")
    with pytest.raises(
        SpecificationError,
        match=r"covariate 'income' is not a covariate of the panel; the panel has \['age'\]",
    ):
        IndicatorModel(small_panel, covariates=["income"])
    with pytest.raises(SpecificationError, match=r"covariate 'ag' .*\(did you mean 'age'\?\)"):
        IndicatorModel(small_panel, covariates=["ag"])
    with pytest.raises(WeightingError, match="got a ndarray.*never by row position"):
        IndicatorModel(small_panel, weights=np.ones(3))
    with pytest.raises(SpecificationError, match="Unknown prior role 'sigma'"):
        IndicatorModel(small_panel, priors={"sigma": ("halfnormal", 1)})
    with pytest.raises(SpecificationError, match="priors must be a dict"):
        IndicatorModel(small_panel, priors=[("person_sd", ("halfnormal", 1))])
    with pytest.raises(SpecificationError, match="effect_by_wave must be True or False"):
        IndicatorModel(small_panel, effect_by_wave="no")
    with pytest.raises(SpecificationError, match="expects an IndicatorPanel, got DataFrame"):
        IndicatorModel(small_panel.to_long())


def test_covariate_listed_twice_is_refused(small_panel):
    """Issue 14, F22: a covariate listed twice was accepted (two unidentified coefficients)."""
    with pytest.raises(SpecificationError, match="covariates lists 'age' more than once"):
        IndicatorModel(small_panel, covariates=["age", "age"])
    # One name as a string is one covariate (it used to be split into letters).
    assert IndicatorModel(small_panel, covariates="age").covariates == ["age"]


@pytest.mark.parametrize(
    ("prior", "match"),
    [
        (
            ("halfnormal", float("nan")),
            r"sigma of the halfnormal prior for 'person_sd' must be a finite",
        ),
        (
            ("halfnormal", float("inf")),
            r"sigma of the halfnormal prior for 'person_sd' must be a finite",
        ),
        (
            ("halfnormal", "2"),
            r"sigma of the halfnormal prior for 'person_sd' must be a number, got '2'",
        ),
        (("halfnormal", None), r"must be a number, got None \(NoneType\)"),
    ],
    ids=["nan", "inf", "text", "none"],
)
def test_prior_parameters_must_be_finite_numbers(small_panel, prior, match):
    """Issue 14, F22 (NaN/inf prior parameters accepted) and F25 (text gave "could not convert
    string to float", naming no prior)."""
    with pytest.raises(SpecificationError, match=match):
        IndicatorModel(small_panel, priors={"person_sd": prior})


def test_nan_location_of_a_prior_is_refused(small_panel):
    # mu escaped the positivity check, so NaN passed and every log density was NaN.
    with pytest.raises(SpecificationError, match="mu of the normal prior for 'intercept'"):
        IndicatorModel(small_panel, priors={"intercept": ("normal", float("nan"), 1)})


def _loglik_fn(model):
    return model.model.compile_fn(
        model.model.replace_rvs_by_values(model.model.potentials)[0],
        inputs=model.model.value_vars,
        on_unused_input="ignore",
    )


def test_weights_enter_as_pseudo_likelihood(small_panel, rng):
    """With all weights equal the weighted pseudo-likelihood equals the ordinary one (after
    mean-1 normalisation); with unequal weights it is sum_n w_n loglik_n, recomputed here from
    the unweighted model's per-answer terms."""
    plain = IndicatorModel(small_panel)
    equal = IndicatorModel(small_panel, weights=pd.Series(3.0, index=list(small_panel.persons)))
    at = _random_point(plain, rng)
    assert float(_loglik_fn(equal)(at)) == pytest.approx(float(_loglik_fn(plain)(at)), rel=1e-10)
    persons = list(small_panel.persons)
    unequal = IndicatorModel(small_panel, weights=pd.Series(np.arange(1.0, 25.0), index=persons))
    m = unequal.model
    F, offset = m.compile_fn(
        m.replace_rvs_by_values([m["cell_logit"], m["person_offset"]]),
        inputs=m.value_vars,
        on_unused_input="ignore",
    )(at)
    d = unequal.design
    eta = F.ravel()[d.cell] + d.sign * offset.ravel()[d.offset_index]
    terms = stats.bernoulli.logpmf(d.y, expit(eta))
    expected = float(np.sum(unequal.answer_weights * terms))
    assert float(_loglik_fn(unequal)(at)) == pytest.approx(expected, rel=1e-9)


def test_weights_are_matched_by_label_and_normalised(small_panel):
    """Person weights by person label (the same Series in another row order gives the same
    model), normalised to mean 1 over persons; person x wave weights to mean 1 over the observed
    answers; a product of both is the product of the normalised factors."""
    persons = list(small_panel.persons)
    person_w = pd.Series(np.linspace(0.5, 3.0, len(persons)), index=persons)
    model = IndicatorModel(small_panel, weights=person_w)
    reordered = IndicatorModel(small_panel, weights=person_w.iloc[::-1])
    np.testing.assert_array_equal(model.answer_weights, reordered.answer_weights)
    arr = model.arrays
    expected = (person_w / person_w.mean()).reindex(list(arr.persons)).to_numpy()[arr.person]
    np.testing.assert_allclose(model.answer_weights, expected, rtol=1e-12)

    waves = list(small_panel.waves)
    index = pd.MultiIndex.from_product([persons, waves])
    wave_w = pd.Series(np.arange(1.0, len(index) + 1.0), index=index)
    by_wave = IndicatorModel(small_panel, weights=wave_w)
    keys = list(zip(np.asarray(arr.persons)[arr.person], np.asarray(arr.waves)[arr.wave]))
    raw = wave_w.reindex(pd.MultiIndex.from_tuples(keys)).to_numpy()
    np.testing.assert_allclose(by_wave.answer_weights, raw / raw.mean(), rtol=1e-12)
    both = IndicatorModel(small_panel, weights=Weights(person_w) * Weights(wave_w))
    np.testing.assert_allclose(both.answer_weights, expected * raw / raw.mean(), rtol=1e-12)
    assert "weighted pseudo-likelihood" in str(both)


def test_weights_errors_are_the_shared_ones(small_panel):
    persons = list(small_panel.persons)
    w = pd.Series(1.0, index=persons)
    with pytest.raises(WeightingError, match="To multiply weights, write w1 \\* w2"):
        IndicatorModel(small_panel, weights=[w, w])
    with pytest.raises(WeightingError, match=r"1 row\(s\) of the panel's persons have no weight"):
        IndicatorModel(small_panel, weights=w.iloc[1:])
    with pytest.raises(WeightingError, match="have a zero weight"):
        IndicatorModel(small_panel, weights=w.where(w.index != persons[0], 0.0))
    # A fitted weighting result goes through its to_weights().

    class Fitted:
        def to_weights(self):
            return Weights(w * 2, source="propensity (ATT, logistic)")

    np.testing.assert_allclose(IndicatorModel(small_panel, weights=Fitted()).answer_weights, 1.0)


def test_results_follow_the_contract_without_sampling(small_panel):
    """IndicatorResults built from prior draws (no MCMC): estimate table, Summary, every plot
    returns the Axes it drew on (plot_prevalence as the first of its panels)."""
    model = IndicatorModel(small_panel, covariates=["age"])
    result = IndicatorResults(
        posterior=prior_posterior(model.model, monitored=model._monitored()), model=model
    )
    assert_results_contract(result)
    assert result.effects().loc[:, "ci_level"].eq(0.95).all()
    assert result.to_frame().index[0] == "effect_overall_mean"


def test_measure_and_overall_effects_are_beneficial_contrasts(small_panel):
    """Measure and overall rows are draws @ C.T with C from beneficial_contrasts: measure m1 holds
    ind0 (beneficial if it rises) and ind2 (harmful), so its effect is (d0 - d2) / 2."""
    model = IndicatorModel(small_panel)
    result = IndicatorResults(
        posterior=prior_posterior(model.model, monitored=model._monitored()), model=model
    )
    d = result.idata.posterior["effect"].values.reshape(-1, 4)
    meas = result.effects(level="measure")
    expected = (d[:, 0] - d[:, 2]) / 2
    assert meas.loc["m1", "estimate"] == pytest.approx(expected.mean(), rel=1e-12)
    assert meas.loc["m1", "prob_beneficial"] == pytest.approx((expected > 0).mean())
    overall = result.effects(level="overall")
    assert overall.loc["overall", "estimate"] == pytest.approx(
        ((d[:, 0] - d[:, 1] - d[:, 2] - d[:, 3]) / 4).mean(), rel=1e-12
    )


def test_crossing_interpolates():
    x = np.array([0.0, 1.0, 2.0])
    assert _crossing(x, np.array([2.0, 1.0, -1.0])) == pytest.approx(1.5)
    assert _crossing(x, np.array([2.0, 1.0, 0.5])) == np.inf
    assert _crossing(x, np.array([-1.0, 1.0, 0.5])) == 0.0


def test_severity_prior_is_zero_sum_normal_centred_on_covariates(small_panel, rng):
    """Centred parametrisation: the severities of each group are the sampled variable, with
    density Normal(x'lambda, person_sd) on the sum-to-zero subspace (orthonormal coordinates),
    checked against a plain numpy computation; the constrained values sum to zero."""
    model = IndicatorModel(small_panel, covariates=["age"])
    m = model.model
    at = _random_point(model, rng)
    d = model.design
    for label, index in (("treated", d.treated_index), ("comparison", d.comparison_index)):
        rv = m[f"severity_{label}"]
        fn = m.compile_fn(
            [
                m.logp(vars=[rv], sum=True),
                m.replace_rvs_by_values([rv, m["covariate_severity"], m["person_sd"]])[0],
                m.replace_rvs_by_values([m["covariate_severity"]])[0],
                m.replace_rvs_by_values([m["person_sd"]])[0],
            ],
            inputs=m.value_vars,
            on_unused_input="ignore",
        )
        logp, u, lam, sigma = fn(at)
        assert abs(u.sum()) < 1e-10
        resid = u - d.X_level[index] @ lam
        k = len(index) - 1
        expected = (
            -k * np.log(sigma) - 0.5 * k * np.log(2 * np.pi) - (resid**2).sum() / (2 * sigma**2)
        )
        assert float(logp) == pytest.approx(expected, rel=1e-10)


def test_shared_model_programme_response_enters_answers_and_dropout(small_panel, rng):
    """attrition='shared': treated persons' post-baseline answers get + b_k v_i; the dropout
    model gets lambda u_i + lambda_v v_i; v sums to zero over the treated and is zero for the
    comparison group. Both log-likelihood terms are recomputed with numpy from the long table."""
    model = IndicatorModel(small_panel, attrition="shared")
    m = model.model
    at = _random_point(model, rng)
    names = [
        "cell_logit",
        "severity",
        "programme_response",
        "response_wave",
        "response_group",
        "selection",
        "selection_response",
    ]
    fn = m.compile_fn(
        m.replace_rvs_by_values([m[n] for n in names] + list(m.potentials)),
        inputs=m.value_vars,
        on_unused_input="ignore",
    )
    F, u, v, r, r_g, lam, lam_v, loglik, resp_loglik = fn(at)
    d, arr = model.design, model.design.arrays
    assert np.all(v[d.comparison_index] == 0) and abs(v[d.treated_index].sum()) < 1e-10
    b = arr.benefit_sign.astype(float)[arr.indicator]
    eta = (
        F[arr.indicator, arr.wave, arr.group]
        - b * u[arr.person]
        + b * v[arr.person] * arr.post * arr.group
    )
    assert float(loglik) == pytest.approx(
        stats.bernoulli.logpmf(arr.response, expit(eta)).sum(), rel=1e-10
    )
    p = d.response_at_risk
    eta_r = r[d.response_wave] + r_g * arr.person_group[p] + lam * u[p] + lam_v * v[p]
    assert float(resp_loglik) == pytest.approx(
        stats.bernoulli.logpmf(d.response_y, expit(eta_r)).sum(), rel=1e-10
    )


def test_prior_predictive_prevalence_spreads_over_draws(small_panel):
    """The prior quantiles are over prior draws (a 4-indicator average prevalence varies widely
    from draw to draw), not over persons of one draw: a regression test for an indexing bug
    that gave 50-52% for every wave."""
    table = IndicatorModel(small_panel, attrition="shared").prior_predictive(
        draws=200, random_seed=1
    )
    prev = table[table.index.str.startswith("% yes")]
    assert len(prev) == 2 * 3
    assert (prev["q95"] - prev["q05"] > 30).all(), prev
    assert (prev["q05"] < prev["q50"]).all() and (prev["q50"] < prev["q95"]).all()
    overall = table.loc["overall beneficial effect (pp)"]
    assert overall["q05"] < -10 and overall["q95"] > 10


def test_effect_by_wave_enters_the_cell_table(small_panel, rng):
    """effect_by_wave=True: at post wave t the treated cell gets b_k (delta_k + tau_t omega[m(k), t])
    with omega summing to zero over the post waves of each measure, so the wave-specific effects
    average to d_k; baseline cells get no programme term. Recomputed with numpy."""
    model = IndicatorModel(small_panel, effect_by_wave=True)
    assert "effect by wave" in str(model) and "effect_wave_sd" in str(model)
    m = model.model
    names = [
        "cell_logit",
        "intercept",
        "wave_measure",
        "wave_sd",
        "wave_raw",
        "group_diff",
        "effect_beneficial",
        "effect_wave_sd",
        "effect_wave_raw",
        "effect",
        "effect_wave",
    ]
    fn = m.compile_fn(
        m.replace_rvs_by_values([m[n] for n in names]),
        inputs=m.value_vars,
        on_unused_input="ignore",
    )
    F, a, W, tau_w, eps, c, delta, tau_t, omega, effect, by_wave = fn(_random_point(model, rng))
    arr = model.design.arrays
    b, im = arr.benefit_sign.astype(float), arr.indicator_measure
    np.testing.assert_allclose(omega.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(
        by_wave, b[:, None] * (delta[:, None] + tau_t * omega[im]), rtol=1e-12
    )
    np.testing.assert_allclose(by_wave.mean(axis=1), effect, rtol=1e-10, atol=1e-12)
    wave = np.zeros((arr.n_indicators, arr.n_waves))
    wave[:, 1:] = b[:, None] * (W[im] + tau_w * eps)
    np.testing.assert_allclose(F[:, :, 0], a[:, None] + wave, rtol=1e-12)
    programme = np.concatenate([np.zeros((arr.n_indicators, 1)), by_wave], axis=1)
    np.testing.assert_allclose(F[:, :, 1], a[:, None] + wave + c[:, None] + programme, rtol=1e-12)


def test_effect_by_wave_needs_two_post_waves(rng):
    panel = make_panel(make_long(rng, n_waves=2))
    with pytest.raises(
        SpecificationError,
        match="effect_by_wave=True needs at least two post-baseline waves; this panel has 1",
    ):
        IndicatorModel(panel, effect_by_wave=True)


def test_pp_effects_by_wave_average_to_the_overall_pp(small_panel, rng):
    """att_pp_draws: a wave-specific effect that is constant over waves gives the same pp effect as
    the common effect; by_wave=True returns per-wave values whose mean over the post waves is the
    pooled value; a larger effect at one wave gives a larger pp effect there."""
    from mirabal_stats.bayes.posterior_summaries import att_pp_draws

    model = IndicatorModel(small_panel)
    arr, design = model.arrays, model.design
    D, K, T, n = 3, arr.n_indicators, arr.n_waves, arr.n_persons
    F = rng.normal(size=(D, K, T, 2))
    off = rng.normal(size=(D, n, 2))
    effect = rng.normal(size=(D, K))
    n_post = int(design.post_wave.sum())
    constant = np.repeat(effect[:, :, None], n_post, axis=2)
    pooled = att_pp_draws(F, off, effect, design)
    np.testing.assert_allclose(att_pp_draws(F, off, constant, design), pooled, rtol=1e-12)
    per_wave = att_pp_draws(F, off, effect, design, by_wave=True)
    assert per_wave.shape == (D, K, n_post)
    np.testing.assert_allclose(per_wave.mean(axis=2), pooled, rtol=1e-12)
    bigger = constant.copy()
    bigger[:, :, 0] += 1.0
    shifted = att_pp_draws(F, off, bigger, design, by_wave=True)
    assert np.all(shifted[:, :, 0] > per_wave[:, :, 0]) and np.allclose(
        shifted[:, :, 1], per_wave[:, :, 1]
    )


def test_measures_are_pooled_only_from_three(small_panel):
    """Two measures: no between-measure SD (independent measure means, overall = their mean);
    pool_measures=True forces the hierarchical form."""
    default = IndicatorModel(small_panel)
    assert not default.pool_measures and "effect_measure_sd" not in default.model.named_vars
    assert "not pooled: 2 measure(s)" in str(default)
    m = default.model
    fn = m.compile_fn(
        m.replace_rvs_by_values([m["effect_measure_mean"], m["effect_overall_mean"]]),
        inputs=m.value_vars,
        on_unused_input="ignore",
    )
    mu_m, mu = fn(_random_point(default, np.random.default_rng(3)))
    assert float(mu) == pytest.approx(float(np.mean(mu_m)), rel=1e-12)
    forced = IndicatorModel(small_panel, pool_measures=True)
    assert "effect_measure_sd" in forced.model.named_vars


def test_results_options_are_checked(small_panel):
    model = IndicatorModel(small_panel)
    result = IndicatorResults(
        posterior=prior_posterior(model.model, monitored=model._monitored()), model=model
    )
    with pytest.raises(SpecificationError, match="deltas must be a non-empty list of finite"):
        result.delta_adjustment(deltas=[0.0, float("nan")])
    with pytest.raises(SpecificationError, match="deltas must be a non-empty list of finite"):
        result.delta_adjustment(deltas=["1"])
    with pytest.raises(SpecificationError, match="random_seed=-1 is outside the accepted range"):
        result.ppc_prevalence(random_seed=-1)
    with pytest.raises(SpecificationError, match="ci_level must be a number strictly between"):
        result.effects(ci_level=90)
    with pytest.raises(SpecificationError, match=r"indicators must name indicators of the model"):
        result.plot_prevalence(indicators=["nope"])
    with pytest.raises(SpecificationError, match="draws=0 is outside the accepted range"):
        model.prior_predictive(draws=0)
