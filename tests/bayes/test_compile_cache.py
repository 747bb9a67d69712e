"""The session-wide nutpie compile cache (bayes/sampling.py): which models share a compiled
model (fingerprints, no sampling) and, with sampling, that a reused compiled model gives
exactly the draws of a fresh compile on the same data."""

import numpy as np
import pytest

from mirabal_stats.bayes import IndicatorModel, sampling
from mirabal_stats.bayes.indicator_model import DEFAULT_INDICATOR_PRIORS
from mirabal_stats.exceptions import SamplingWarning, SpecificationError

from .conftest import make_long, make_panel


def _panel(seed, *, n_per_group=12, n_indicators=4):
    """Same design (persons, waves, indicators, groups) for every seed; answers and ages vary."""
    rng = np.random.default_rng(seed)
    long = make_long(rng, n_per_group=n_per_group, n_indicators=n_indicators)
    ages = rng.integers(20, 60, size=2 * n_per_group)
    long["age"] = ages[long["person"].to_numpy()]
    return make_panel(long)


def _key(model):
    key, _ = sampling.model_fingerprint(model.model)
    assert key is not None
    return key


@pytest.fixture(scope="module")
def default_key():
    return _key(IndicatorModel(_panel(1), covariates=["age"]))


def test_same_design_on_new_data_shares_the_key(default_key):
    """Different answers and covariate values, same structure: equal keys, and the data are
    the shared variables that will be swapped (answers and covariate matrices)."""
    other = IndicatorModel(_panel(2), covariates=["age"])
    key, shared = sampling.model_fingerprint(other.model)
    assert key == default_key
    names = [v.name for v in shared]
    assert len(set(names)) == len(names)
    assert any(n.startswith("logit_cells_y_") for n in names)
    assert any(n.startswith("indicator_X_change_") for n in names)
    # the data really differ between the two models, so a reuse must swap them
    first = {
        v.name.rsplit("_", 1)[0]: v.get_value()
        for v in sampling.model_fingerprint(IndicatorModel(_panel(1), covariates=["age"]).model)[1]
    }
    second = {v.name.rsplit("_", 1)[0]: v.get_value() for v in shared}
    assert not np.array_equal(first["logit_cells_y"], second["logit_cells_y"])
    assert not np.array_equal(first["indicator_X_change"], second["indicator_X_change"])


def test_prior_equal_to_the_default_shares_the_key(default_key):
    # person_sd's default is HalfNormal(2.0): writing it out is the same model.
    assert DEFAULT_INDICATOR_PRIORS["person_sd"] == ("halfnormal", 2.0)
    same = IndicatorModel(_panel(1), covariates=["age"], priors={"person_sd": ("halfnormal", 2)})
    assert _key(same) == default_key


@pytest.mark.parametrize(
    "change",
    [
        {"priors": {"person_sd": ("halfnormal", 1.0)}},
        {"priors": {"effect_overall": ("normal", 0.0, 1.0)}},
        {"attrition": "shared"},
        {"covariates": []},
        {"centred_effects": True},
        {"panel": {"n_indicators": 3}},
        {"panel": {"n_per_group": 13}},
    ],
    ids=[
        "person_sd_prior",
        "effect_prior",
        "attrition",
        "covariates",
        "centred",
        "indicators",
        "persons",
    ],
)
def test_structural_differences_change_the_key(default_key, change):
    change = dict(change)
    kwargs = {"covariates": ["age"], **change}
    panel = _panel(1, **kwargs.pop("panel", {}))
    assert _key(IndicatorModel(panel, **kwargs)) != default_key


def test_unhashable_graph_is_not_cached():
    """A model whose graph cannot be fingerprinted gets no key (compiled, never shared)."""

    class Broken:
        dim_lengths = {}

        @property
        def unobserved_value_vars(self):
            raise RuntimeError("no graph")

    assert sampling.model_fingerprint(Broken()) == (None, [])


def test_clear_and_size_setting(monkeypatch):
    sampling.clear_compile_cache()
    info = sampling.compile_cache_info()
    assert (info.hits, info.misses, info.size) == (0, 0, 0)
    assert info.maxsize == 8
    monkeypatch.setenv("MIRABAL_STATS_COMPILE_CACHE_SIZE", "0")
    assert sampling.compile_cache_info().maxsize == 0
    monkeypatch.setenv("MIRABAL_STATS_COMPILE_CACHE_SIZE", "many")
    with pytest.raises(SpecificationError, match="MIRABAL_STATS_COMPILE_CACHE_SIZE='many'"):
        sampling.compile_cache_info()


def _fit(model, seed=5):
    # 50 draws of one chain cannot give an ESS of 400 (nor an R-hat): the fit must say so.
    with pytest.warns(SamplingWarning, match="Effective sample size is"):
        result = model.fit(draws=50, tune=50, chains=1, random_seed=seed)
    return result.idata.posterior


@pytest.mark.mcmc
def test_reused_compiled_model_samples_the_new_data():
    """Model B (new object, new data) reuses A's compiled model: a cache hit, and its draws
    equal those of B compiled from scratch, while differing from A's (the data were swapped,
    not A's kept)."""
    sampling.clear_compile_cache()
    post_a = _fit(IndicatorModel(_panel(1), covariates=["age"]))
    assert sampling.compile_cache_info().misses == 1
    post_b = _fit(IndicatorModel(_panel(2), covariates=["age"]))
    info = sampling.compile_cache_info()
    assert (info.hits, info.misses, info.size) == (1, 1, 1)

    sampling.clear_compile_cache()  # B again, compiled afresh
    post_fresh = _fit(IndicatorModel(_panel(2), covariates=["age"]))
    assert sampling.compile_cache_info().misses == 1
    assert sampling.compile_cache_info().hits == 0
    for name in ("effect", "person_sd", "covariate_change", "severity", "person_offset"):
        np.testing.assert_allclose(post_b[name].values, post_fresh[name].values, rtol=0, atol=1e-12)
        assert not np.allclose(post_a[name].values, post_b[name].values), name
    # coordinates come from the new model, not the cached one
    assert list(post_b["severity"].coords["person"].values) == list(range(24))
