"""Small panels for the Bayesian unit tests (no sampling)."""

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.data import IndicatorPanel


def make_long(rng, *, n_per_group=12, n_waves=3, n_indicators=4, treated_post=True):
    """A tiny random long table: two groups, some indicators in two measures, random answers."""
    rows = []
    for p in range(2 * n_per_group):
        group = "programme" if p < n_per_group else "control"
        for t in range(1, n_waves + 1):
            if group == "programme" and t > 1 and not treated_post:
                continue
            for k in range(n_indicators):
                rows.append(
                    {
                        "person": p,
                        "wave": t,
                        "indicator": f"ind{k}",
                        "group": group,
                        "response": float(rng.random() < 0.3 + 0.1 * k),
                        "age": 30 + p % 7,
                    }
                )
    return pd.DataFrame(rows)


def make_panel(long, **kwargs):
    inds = sorted(long["indicator"].unique())
    return IndicatorPanel.from_long(
        long,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated="programme",
        measure={k: ("m1" if i % 2 == 0 else "m2") for i, k in enumerate(inds)},
        beneficial={k: ("increase" if i == 0 else "decrease") for i, k in enumerate(inds)},
        covariates=["age"],
        **kwargs,
    )


@pytest.fixture
def small_panel():
    return make_panel(make_long(np.random.default_rng(7)))


def prior_posterior(model, *, monitored, draws=40, chains=2, random_seed=3):
    """A :class:`~mirabal_stats.bayes.sampling.Posterior` made of prior draws of ``model`` (a
    ``pymc.Model``), split into ``chains`` chains: results objects can then be built and their
    tables, summaries and plots checked without running MCMC."""
    import warnings

    import arviz as az
    import pymc as pm
    import xarray as xr

    from mirabal_stats._results import make_provenance
    from mirabal_stats.bayes.sampling import (
        Posterior,
        check_fit_settings,
        sampler_diagnostics,
    )

    with model, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Potential (likelihood) is ignored by the prior
        prior = pm.sample_prior_predictive(draws=draws * chains, random_seed=random_seed).prior
    posterior = prior.stack(sample=("chain", "draw")).drop_vars(["chain", "draw", "sample"])
    posterior = posterior.assign_coords(sample=np.arange(draws * chains))
    posterior = posterior.coarsen(sample=draws).construct(sample=("chain", "draw"))
    posterior = posterior.transpose("chain", "draw", ...)
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((chains, draws), dtype=bool))})
    idata = az.InferenceData(posterior=posterior, sample_stats=stats)
    table, summary = sampler_diagnostics(idata, list(monitored))
    settings = check_fit_settings(
        draws=draws,
        tune=1,
        chains=chains,
        sampler="nutpie",
        random_seed=random_seed,
        sampler_kwargs=None,
    )
    return Posterior(
        idata=idata,
        settings=settings,
        fit_seconds=0.0,
        provenance=make_provenance(random_seed=random_seed, settings=settings.to_dict()),
        diagnostics=table,
        diagnostics_summary=summary,
    )
