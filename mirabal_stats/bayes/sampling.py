"""The only caller of MCMC samplers in mirabal_stats, and the sampler diagnostics.

Backends (all run the No-U-Turn sampler on the same PyMC model):

- ``"nutpie"`` (default): nutpie compiles the PyMC graph with numba. Measured on this project's
  indicator model it was about 3x faster per effective draw than ``pm.sample`` (see
  ``docs/bayes.md``, "Choosing the sampler"), at the price of a 10-50 s compile per model.
- ``"pymc"``: PyMC's own NUTS (C backend), no extra compile step beyond PyTensor's.
- ``"numpyro"``: PyMC's JAX bridge (``pm.sample(nuts_sampler="numpyro")``); only if ``numpyro``
  and ``jax`` are installed (extra ``mirabal-stats[jax]``). The likelihood Op has a JAX
  translation (``kernels/jax_dispatch.py``). Measured at 1/13 of nutpie's ESS per second on the
  indicator model's treatment effects (no low-rank mass matrix in numpyro), so not the default.

BLAS is limited to one thread while sampling: the chains already use the cores, and threaded
BLAS inside each chain only adds contention on small matrices.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from mirabal_stats.exceptions import SamplingWarning, SpecificationError

__all__ = ["SAMPLERS", "sample_model", "SamplerDiagnostics", "sampler_diagnostics", "warn_if_unreliable"]

SAMPLERS = ("nutpie", "pymc", "numpyro")

# Thresholds from Vehtari et al. (2021): R-hat below 1.01 and bulk/tail ESS of at least 100 per
# chain (400 for four chains); we use the absolute 400 of the issue whatever the chain count.
RHAT_MAX = 1.01
ESS_MIN = 400


def _check_settings(draws: int, tune: int, chains: int, sampler: str) -> None:
    for name, value, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if not isinstance(value, (int, np.integer)) or value < low:
            raise SpecificationError(f"{name} must be an integer >= {low}, got {value!r}.")
    if sampler not in SAMPLERS:
        raise SpecificationError(
            f"Unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}."
        )
    if sampler == "numpyro" and importlib.util.find_spec("numpyro") is None:
        raise SpecificationError(
            "sampler='numpyro' needs the numpyro and jax packages, which are not installed. "
            "Install them (pip install numpyro) or use sampler='nutpie' (the default)."
        )


def sample_model(
    model,
    *,
    draws: int,
    tune: int,
    chains: int,
    sampler: str,
    random_seed: int | None,
    var_names: list[str] | None = None,
    sampler_kwargs: dict[str, Any] | None = None,
    compiled_cache: dict | None = None,
):
    """Sample ``model`` (a ``pymc.Model``) and return an ArviZ ``InferenceData``.

    ``compiled_cache`` (a dict owned by the caller) keeps nutpie's compiled model between fits
    of the same model so that a second ``fit()`` skips the numba compile.
    """
    _check_settings(draws, tune, chains, sampler)
    kwargs = dict(sampler_kwargs or {})
    cores = max(1, min(int(chains), os.cpu_count() or 1))
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        if sampler == "nutpie":
            import nutpie

            cache = compiled_cache if compiled_cache is not None else {}
            key = ("nutpie", tuple(var_names) if var_names else None)
            if key not in cache:
                cache[key] = nutpie.compile_pymc_model(model, var_names=var_names)
            idata = nutpie.sample(
                cache[key], draws=int(draws), tune=int(tune), chains=int(chains), cores=cores,
                seed=random_seed, progress_bar=False, **kwargs,
            )
        else:
            import pymc as pm

            with model:
                if sampler == "pymc":
                    idata = pm.sample(
                        draws=int(draws), tune=int(tune), chains=int(chains), cores=cores,
                        random_seed=random_seed, progressbar=False,
                        compute_convergence_checks=False, var_names=var_names, **kwargs,
                    )
                else:
                    # Importing the Op registered its JAX translation (kernels/jax_dispatch.py).
                    # PyMC forwards only target_accept from the top-level keywords to numpyro;
                    # everything else (chain_method, nuts_kwargs, ...) goes in
                    # nuts_sampler_kwargs. chain_method="parallel" (PyMC's default, jax.pmap
                    # over host devices) measured 1.65x faster than "vectorized" on 2 cores
                    # (docs/performance.md).
                    target_accept = kwargs.pop("target_accept", 0.8)
                    kwargs.setdefault("chain_method", "parallel")
                    idata = pm.sample(
                        draws=int(draws), tune=int(tune), chains=int(chains),
                        random_seed=random_seed, progressbar=False, nuts_sampler="numpyro",
                        target_accept=target_accept, compute_convergence_checks=False,
                        var_names=var_names, nuts_sampler_kwargs=kwargs,
                    )
    return idata


@dataclass(frozen=True)
class SamplerDiagnostics:
    """Worst-case MCMC diagnostics over the monitored parameters."""

    max_r_hat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    n_draws: int
    worst_r_hat: str
    worst_ess: str

    @property
    def ok(self) -> bool:
        return (
            self.max_r_hat <= RHAT_MAX and self.min_ess_bulk >= ESS_MIN
            and self.min_ess_tail >= ESS_MIN and self.divergences == 0
        )


def sampler_diagnostics(idata, var_names: list[str]):
    """Per-parameter diagnostics table and the worst-case summary.

    Returns
    -------
    (pandas.DataFrame, SamplerDiagnostics)
        The table has one row per scalar parameter with ``r_hat, ess_bulk, ess_tail``.
    """
    import arviz as az

    table = az.summary(idata, var_names=var_names, kind="diagnostics", round_to="none")
    table = table[["r_hat", "ess_bulk", "ess_tail"]]
    stats = idata.sample_stats
    divergences = int(stats["diverging"].values.sum()) if "diverging" in stats else 0
    n_draws = int(idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"])
    r_hat = table["r_hat"].fillna(1.0)
    ess = table[["ess_bulk", "ess_tail"]].min(axis=1).fillna(np.inf)
    summary = SamplerDiagnostics(
        max_r_hat=float(r_hat.max()),
        min_ess_bulk=float(table["ess_bulk"].min()),
        min_ess_tail=float(table["ess_tail"].min()),
        divergences=divergences,
        n_draws=n_draws,
        worst_r_hat=str(r_hat.idxmax()),
        worst_ess=str(ess.idxmin()),
    )
    return table, summary


def warn_if_unreliable(diag: SamplerDiagnostics, *, stacklevel: int = 3) -> None:
    """Issue one :class:`SamplingWarning` per failed check, each with advice."""
    if diag.divergences:
        warnings.warn(
            f"{diag.divergences} divergent transitions out of {diag.n_draws} draws: the sampler "
            "could not explore part of the posterior, so estimates may be biased. Refit with "
            "sampler_kwargs={'target_accept': 0.95}; if divergences remain, the priors on the "
            "standard deviations may be too vague for these data.",
            SamplingWarning, stacklevel=stacklevel,
        )
    if diag.max_r_hat > RHAT_MAX:
        warnings.warn(
            f"R-hat is {diag.max_r_hat:.3f} for {diag.worst_r_hat} (above {RHAT_MAX}): the chains "
            "disagree, so the posterior summaries are not yet reliable. Run more tune and draws "
            "(e.g. fit(tune=2000, draws=2000)) and more chains (chains=4).",
            SamplingWarning, stacklevel=stacklevel,
        )
    if min(diag.min_ess_bulk, diag.min_ess_tail) < ESS_MIN:
        warnings.warn(
            f"Effective sample size is {min(diag.min_ess_bulk, diag.min_ess_tail):.0f} for "
            f"{diag.worst_ess} (below {ESS_MIN}): posterior means and especially interval ends "
            "have large Monte-Carlo error. Increase draws (and chains) until every ESS exceeds "
            f"{ESS_MIN}.",
            SamplingWarning, stacklevel=stacklevel,
        )
