"""The one fit path of the Bayesian models (bayes/sampling.py): settings checks and the sampler
adapter's errors. Nothing here draws from a posterior."""

import numpy as np
import pytest

from mirabal_stats.bayes import BinaryMixedModel, IndicatorModel, sampling
from mirabal_stats.datasets import load_rossi, load_toenail
from mirabal_stats.exceptions import EstimationError, SpecificationError
from mirabal_stats.survival import PiecewiseExponentialModel


@pytest.fixture(scope="module")
def models():
    from .conftest import make_long, make_panel

    panel = make_panel(make_long(np.random.default_rng(7)))
    return {
        "IndicatorModel": IndicatorModel(panel),
        "BinaryMixedModel": BinaryMixedModel(
            load_toenail(), formula="y ~ trt * time + (1 | patient)"
        ),
        "PiecewiseExponentialModel": PiecewiseExponentialModel(
            load_rossi(), duration="week", event="arrest", group="fin"
        ),
    }


@pytest.mark.parametrize(
    "name", ["IndicatorModel", "BinaryMixedModel", "PiecewiseExponentialModel"]
)
def test_every_model_refuses_absurd_draws_before_sampling(models, name):
    """Issue 14, F26: draws=10**15 was accepted (the sampler would try to allocate it)."""
    with pytest.raises(
        SpecificationError,
        match=r"draws=1000000000000000 is outside the accepted range 1 to 1,000,000",
    ):
        models[name].fit(draws=10**15)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"draws": 0}, r"draws=0 is outside the accepted range 1 to 1,000,000"),
        ({"draws": 500.0}, r"draws must be a whole number, got 500.0 \(float\)"),
        ({"draws": True}, r"draws must be a whole number, got True \(bool\)"),
        ({"tune": -5}, r"tune=-5 is outside the accepted range"),
        ({"chains": 0}, r"chains=0 is outside the accepted range 1 to 64"),
        ({"chains": "4"}, r"chains must be a whole number, got '4' \(str\)"),
        ({"sampler": "stan"}, r"Unknown sampler 'stan'; choose one of 'nutpie', 'pymc'"),
        ({"random_seed": -1}, r"random_seed=-1 is outside the accepted range 0 to"),
        ({"random_seed": 1.5}, r"random_seed must be a whole number"),
        ({"sampler_kwargs": [("target_accept", 0.9)]}, r"sampler_kwargs must be a dict"),
        (
            {"sampler_kwargs": {"seed": 3}},
            r"sets 'seed', which fit\(\) sets itself: pass random_seed=",
        ),
        ({"sampler_kwargs": {"draws": 3}}, r"sets 'draws', which fit\(\) sets itself: pass draws="),
    ],
)
def test_fit_settings_are_checked_with_the_option_named(settings, match):
    base = dict(
        draws=1000, tune=1000, chains=4, sampler="nutpie", random_seed=None, sampler_kwargs=None
    )
    with pytest.raises(SpecificationError, match=match):
        sampling.check_fit_settings(**{**base, **settings})


def test_defaults_are_merged_and_user_options_win():
    settings = sampling.check_fit_settings(
        draws=np.int64(10),
        tune=5,
        chains=2,
        sampler="pymc",
        random_seed=np.int32(3),
        sampler_kwargs={"target_accept": 0.95},
        sampler_defaults={"pymc": {"target_accept": 0.9, "init": "adapt_diag"}},
    )
    assert settings.draws == 10 and type(settings.draws) is int
    assert settings.random_seed == 3
    assert settings.sampler_kwargs == {"target_accept": 0.95, "init": "adapt_diag"}


def test_sampler_failure_becomes_estimation_error():
    """A sampler's own exception (here PyMC's SamplingError at an infinite starting log density)
    is re-raised as EstimationError with the original as its cause."""
    import pymc as pm

    with pm.Model() as model:
        x = pm.Normal("x", 0.0, 1.0)
        pm.Potential("impossible", pm.math.switch(x > 1e9, 0.0, -np.inf))
    with pytest.raises(EstimationError, match="sampler 'pymc' could not sample this model") as info:
        sampling.sample_model(
            model, draws=5, tune=5, chains=1, sampler="pymc", random_seed=1, compiled_cache={}
        )
    assert info.value.__cause__ is not None
    assert "pymc" in type(info.value.__cause__).__module__


def test_unknown_sampler_option_is_a_specification_error(monkeypatch):
    """nutpie refuses an unknown option with AttributeError ('PyNutsSettings' object has no
    attribute ...); the adapter names the option of sampler_kwargs."""
    import pymc as pm

    def refuse(model, settings, **kwargs):
        raise AttributeError("'builtins.PyNutsSettings' object has no attribute 'not_an_option'")

    monkeypatch.setattr(sampling, "_sample", refuse)
    with pm.Model() as model:
        pm.Normal("x", 0.0, 1.0)
    with pytest.raises(
        SpecificationError, match="refused the option 'not_an_option' of sampler_kwargs"
    ):
        sampling.sample_model(
            model,
            draws=5,
            tune=5,
            chains=1,
            sampler="nutpie",
            random_seed=1,
            sampler_kwargs={"not_an_option": 1},
        )
