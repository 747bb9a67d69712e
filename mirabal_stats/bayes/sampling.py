"""The only caller of MCMC samplers in mirabal_stats, the one ``fit()`` path, and the diagnostics.

Every Bayesian model's ``fit()`` (``IndicatorModel``, ``BinaryMixedModel``,
``PiecewiseExponentialModel``) is :func:`fit_posterior`: it checks the algorithm settings
(:func:`check_fit_settings`), samples through :func:`sample_model` (which turns a sampler's own
exception into an :class:`~mirabal_stats.exceptions.EstimationError`), times the fit, records
provenance, computes the diagnostics and issues the
:class:`~mirabal_stats.exceptions.SamplingWarning`.

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

nutpie's compiled models are also kept in a small session-wide (process) cache keyed on the
model's structure (:func:`model_fingerprint`), so that a new model of the same structure on new
data (a refit on another panel of the same design, a simulation or sensitivity loop) swaps its
data in with ``CompiledPyMCModel.with_data`` instead of recompiling. :func:`compile_cache_info`
counts hits and misses, :func:`clear_compile_cache` empties it, and the environment variable
``MIRABAL_STATS_COMPILE_CACHE_SIZE`` bounds it (default 8 models; 0 disables it). See
docs/performance.md, "Compilation cache".
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import Provenance, make_provenance
from mirabal_stats.exceptions import (
    EstimationError,
    MirabalError,
    SamplingWarning,
    SpecificationError,
)

__all__ = [
    "SAMPLERS",
    "FitSettings",
    "check_fit_settings",
    "Posterior",
    "fit_posterior",
    "sample_model",
    "SamplerDiagnostics",
    "sampler_diagnostics",
    "warn_if_unreliable",
    "model_fingerprint",
    "compile_cache_info",
    "clear_compile_cache",
    "CompileCacheInfo",
]

SAMPLERS = ("nutpie", "pymc", "numpyro")

# Thresholds from Vehtari et al. (2021): R-hat below 1.01 and bulk/tail ESS of at least 100 per
# chain (400 for four chains); we use the absolute 400 whatever the chain count.
RHAT_MAX = 1.01
ESS_MIN = 400

# Sane bounds of the algorithm settings: far above any useful fit, far below what would exhaust
# memory silently (the draws of every person severity are stored for every draw and chain).
_MAX_DRAWS = 1_000_000
_MAX_CHAINS = 64
# Options fit() sets itself; given again in sampler_kwargs they would clash (or silently win).
_RESERVED_KWARGS = {
    "draws": "draws",
    "tune": "tune",
    "chains": "chains",
    "cores": "chains",
    "seed": "random_seed",
    "random_seed": "random_seed",
    "progress_bar": None,
    "progressbar": None,
    "var_names": None,
    "nuts_sampler": "sampler",
}


@dataclass(frozen=True)
class FitSettings:
    """Checked algorithm settings of one ``fit()`` (see :func:`check_fit_settings`)."""

    draws: int
    tune: int
    chains: int
    sampler: str
    random_seed: int | None
    sampler_kwargs: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dictionary (for provenance)."""
        return {
            "draws": self.draws,
            "tune": self.tune,
            "chains": self.chains,
            "sampler": self.sampler,
            "sampler_kwargs": dict(self.sampler_kwargs),
        }


def whole_number(name: str, value: Any, *, low: int, high: int, hint: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise SpecificationError(
            f"{name} must be a whole number, got {value!r} ({type(value).__name__}). {hint}"
        )
    value = int(value)
    if not low <= value <= high:
        raise SpecificationError(
            f"{name}={value} is outside the accepted range {low:,} to {high:,}. {hint}"
        )
    return value


def check_fit_settings(
    *,
    draws: Any,
    tune: Any,
    chains: Any,
    sampler: Any,
    random_seed: Any,
    sampler_kwargs: Any,
    sampler_defaults: Mapping[str, Mapping[str, Any]] | None = None,
) -> FitSettings:
    """Check the algorithm settings of ``fit()``; every problem names the option and the fix.

    ``sampler_defaults`` maps a sampler name to the options a model sets by default for it
    (e.g. ``target_accept``); ``sampler_kwargs`` override them.

    Raises
    ------
    SpecificationError
        ``draws``/``chains``/``tune`` not whole numbers from 1 to their bound (draws and tune up
        to 1,000,000 per chain, chains up to 64); an unknown sampler, or numpyro without its
        packages; a negative or non-integer ``random_seed``; ``sampler_kwargs`` not a dict, or
        repeating an option ``fit()`` sets itself.
    """
    typical = "Typical values: draws=1000, tune=1000, chains=4."
    draws = whole_number("draws", draws, low=1, high=_MAX_DRAWS, hint=typical)
    tune = whole_number("tune", tune, low=1, high=_MAX_DRAWS, hint=typical)
    chains = whole_number("chains", chains, low=1, high=_MAX_CHAINS, hint=typical)
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise SpecificationError(
            f"Unknown sampler {sampler!r}; choose one of {', '.join(map(repr, SAMPLERS))} "
            "(default 'nutpie')."
        )
    if sampler == "numpyro" and importlib.util.find_spec("numpyro") is None:
        raise SpecificationError(
            "sampler='numpyro' needs the numpyro and jax packages, which are not installed. "
            "Install them (pip install numpyro) or use sampler='nutpie' (the default)."
        )
    if random_seed is not None:
        random_seed = whole_number(
            "random_seed",
            random_seed,
            low=0,
            high=2**63 - 1,
            hint="Pass a non-negative integer such as random_seed=1, or None.",
        )
    if sampler_kwargs is None:
        sampler_kwargs = {}
    if not isinstance(sampler_kwargs, Mapping) or not all(
        isinstance(k, str) for k in sampler_kwargs
    ):
        raise SpecificationError(
            f"sampler_kwargs must be a dict of option names to values, e.g. "
            f"{{'target_accept': 0.95}}, got {sampler_kwargs!r}."
        )
    for key in sampler_kwargs:
        if key in _RESERVED_KWARGS:
            own = _RESERVED_KWARGS[key]
            raise SpecificationError(
                f"sampler_kwargs sets {key!r}, which fit() sets itself"
                + (f": pass {own}= to fit() instead." if own else ".")
            )
    kwargs = {**dict((sampler_defaults or {}).get(sampler, {})), **dict(sampler_kwargs)}
    return FitSettings(
        draws=draws,
        tune=tune,
        chains=chains,
        sampler=sampler,
        random_seed=random_seed,
        sampler_kwargs=kwargs,
    )


@dataclass(frozen=True, eq=False)
class Posterior:
    """What the one fit path of the Bayesian models returns: the draws and where they came from.

    ``idata`` (ArviZ InferenceData), ``fit_seconds`` (compile and sample, wall time),
    ``provenance``, the per-parameter ``diagnostics`` table (``r_hat, ess_bulk, ess_tail``) of
    the ``monitored`` variables and its worst case ``diagnostics_summary``.
    """

    idata: Any
    settings: FitSettings
    fit_seconds: float
    provenance: Provenance
    diagnostics: pd.DataFrame
    diagnostics_summary: SamplerDiagnostics

    @property
    def sampler(self) -> str:
        return self.settings.sampler


def fit_posterior(
    model,
    *,
    draws: Any,
    tune: Any,
    chains: Any,
    sampler: Any,
    random_seed: Any,
    sampler_kwargs: Any,
    monitored: Sequence[str],
    data: pd.DataFrame,
    model_settings: Mapping[str, Any],
    compiled_cache: dict,
    sampler_defaults: Mapping[str, Mapping[str, Any]] | None = None,
    var_names: list[str] | None = None,
) -> Posterior:
    """The one ``fit()`` path of every Bayesian model in the library.

    Checks the settings (:func:`check_fit_settings`), samples ``model`` (a ``pymc.Model``) as
    :func:`sample_model` does, times it, records provenance (``data`` fingerprint, ``model_settings``
    and the fit settings), computes the diagnostics of the ``monitored`` variables and issues
    one :class:`~mirabal_stats.exceptions.SamplingWarning` per failed check (R-hat > 1.01, ESS
    < 400, divergences) at the caller of the model's ``fit()``.
    """
    settings = check_fit_settings(
        draws=draws,
        tune=tune,
        chains=chains,
        sampler=sampler,
        random_seed=random_seed,
        sampler_kwargs=sampler_kwargs,
        sampler_defaults=sampler_defaults,
    )
    start = time.perf_counter()
    idata = _adapted_sample(model, settings, var_names=var_names, compiled_cache=compiled_cache)
    elapsed = time.perf_counter() - start
    table, summary = sampler_diagnostics(idata, list(monitored))
    provenance = make_provenance(
        random_seed=settings.random_seed,
        data=data,
        settings={**dict(model_settings), **settings.to_dict()},
    )
    # warn -> warn_if_unreliable -> fit_posterior -> Model.fit -> the user's call
    warn_if_unreliable(summary, stacklevel=4)
    return Posterior(
        idata=idata,
        settings=settings,
        fit_seconds=elapsed,
        provenance=provenance,
        diagnostics=table,
        diagnostics_summary=summary,
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

    The adapter over the samplers: a sampler's own exception (nutpie, PyMC, numpyro, numpy)
    becomes an :class:`~mirabal_stats.exceptions.EstimationError` (the original kept as its
    ``__cause__``) that says what to try. ``compiled_cache`` (a dict owned by the caller) keeps
    nutpie's compiled model between fits of the same model so that a second ``fit()`` skips
    the numba compile. A new model object of the same structure reuses the session-wide cache
    instead (module docstring). Settings are checked by :func:`check_fit_settings` first.
    """
    settings = check_fit_settings(
        draws=draws,
        tune=tune,
        chains=chains,
        sampler=sampler,
        random_seed=random_seed,
        sampler_kwargs=sampler_kwargs,
    )
    return _adapted_sample(model, settings, var_names=var_names, compiled_cache=compiled_cache)


def _adapted_sample(model, settings: FitSettings, *, var_names, compiled_cache):
    """:func:`_sample` with a sampler's own exception turned into a named error."""
    try:
        return _sample(model, settings, var_names=var_names, compiled_cache=compiled_cache)
    except MirabalError:
        raise
    except Exception as err:
        raise _sampler_error(err, settings) from err


def _sampler_error(err: Exception, settings: FitSettings) -> MirabalError:
    text = f"{type(err).__name__}: {err}".strip()
    named = [key for key in settings.sampler_kwargs if repr(key)[1:-1] in str(err)]
    if named and isinstance(err, (TypeError, AttributeError, ValueError, KeyError)):
        return SpecificationError(
            f"sampler {settings.sampler!r} refused the option {named[0]!r} of sampler_kwargs "
            f"({text}). Check its name and value against the sampler's documentation "
            f"(options in use: {settings.sampler_kwargs!r})."
        )
    if isinstance(err, MemoryError):
        return EstimationError(
            f"sampler {settings.sampler!r} ran out of memory storing {settings.chains} chains x "
            f"{settings.draws} draws. Use fewer draws or chains."
        )
    return EstimationError(
        f"sampler {settings.sampler!r} could not sample this model ({text}). This usually "
        "means the log density is not finite at the starting point or along the way: data "
        "the model cannot fit (e.g. a group answering an indicator all 'yes'), or priors far "
        "from the data. Check print(model) and the data; refit with "
        "sampler_kwargs={'target_accept': 0.95}, or try sampler='pymc' for a second opinion."
    )


def _sample(model, settings: FitSettings, *, var_names, compiled_cache):
    kwargs = dict(settings.sampler_kwargs)
    draws, tune, chains = settings.draws, settings.tune, settings.chains
    random_seed, sampler = settings.random_seed, settings.sampler
    cores = max(1, min(int(chains), os.cpu_count() or 1))
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        if sampler == "nutpie":
            import nutpie

            cache = compiled_cache if compiled_cache is not None else {}
            key = ("nutpie", tuple(var_names) if var_names else None)
            if key not in cache:
                cache[key] = _compile_nutpie(model, var_names)
            idata = nutpie.sample(
                cache[key],
                draws=int(draws),
                tune=int(tune),
                chains=int(chains),
                cores=cores,
                seed=random_seed,
                progress_bar=False,
                **kwargs,
            )
        else:
            import pymc as pm

            with model:
                if sampler == "pymc":
                    idata = pm.sample(
                        draws=int(draws),
                        tune=int(tune),
                        chains=int(chains),
                        cores=cores,
                        random_seed=random_seed,
                        progressbar=False,
                        compute_convergence_checks=False,
                        var_names=var_names,
                        **kwargs,
                    )
                else:
                    # logit_cells_loglik registered the Op's JAX translation when it built the
                    # graph (kernels/jax_dispatch.py).
                    # PyMC forwards only target_accept from the top-level keywords to numpyro;
                    # everything else (chain_method, nuts_kwargs, ...) goes in
                    # nuts_sampler_kwargs. chain_method="parallel" (PyMC's default, jax.pmap
                    # over host devices) measured 1.65x faster than "vectorized" on 2 cores
                    # (docs/performance.md).
                    target_accept = kwargs.pop("target_accept", 0.8)
                    kwargs.setdefault("chain_method", "parallel")
                    idata = pm.sample(
                        draws=int(draws),
                        tune=int(tune),
                        chains=int(chains),
                        random_seed=random_seed,
                        progressbar=False,
                        nuts_sampler="numpyro",
                        target_accept=target_accept,
                        compute_convergence_checks=False,
                        var_names=var_names,
                        nuts_sampler_kwargs=kwargs,
                    )
    return idata


# ---------------------------------------------------------------- compile cache
# Compiling a model for nutpie costs 5-30 s (numba); a new model object of the same structure on
# new data reuses the compiled one with its data swapped in (well under a second). Bounded,
# because each entry holds a compiled model and a copy of its first data (tens of MB at most).
_ENV_SIZE = "MIRABAL_STATS_COMPILE_CACHE_SIZE"
_DEFAULT_SIZE = 8
_nutpie_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0, "uncacheable": 0}


@dataclass(frozen=True)
class CompileCacheInfo:
    """Counters of the session-wide nutpie compile cache (see :func:`compile_cache_info`).

    ``hits``: fits that reused a cached compiled model (data swapped in, no compile);
    ``misses``: fits that compiled; ``uncacheable``: of the misses, models whose graph could not
    be fingerprinted or whose data could not all be swapped (never cached); ``size`` and
    ``maxsize``: entries held and the bound (0 disables the cache).
    """

    hits: int
    misses: int
    uncacheable: int
    size: int
    maxsize: int


def _max_size() -> int:
    raw = os.environ.get(_ENV_SIZE, "")
    if raw.strip() == "":
        return _DEFAULT_SIZE
    try:
        return max(0, int(raw))
    except ValueError:
        raise SpecificationError(
            f"{_ENV_SIZE}={raw!r} is not an integer; set it to the number of compiled models to "
            f"keep (default {_DEFAULT_SIZE}) or to 0 to disable the compile cache."
        ) from None


def compile_cache_info() -> CompileCacheInfo:
    """Hits, misses and size of the session-wide nutpie compile cache (this process)."""
    with _cache_lock:
        return CompileCacheInfo(size=len(_nutpie_cache), maxsize=_max_size(), **_stats)


def clear_compile_cache() -> None:
    """Drop every cached compiled model and reset the counters of :func:`compile_cache_info`.

    Models already fitted keep their own compiled model (``fit()`` twice on one model object
    never recompiles); only new model objects are affected.
    """
    with _cache_lock:
        _nutpie_cache.clear()
        for name in _stats:
            _stats[name] = 0


def _value_signature(data) -> tuple:
    """dtype, shape and SHA-256 of an array's bytes (``repr`` for anything else)."""
    try:
        arr = np.asarray(data)
        if arr.dtype == object:
            raise TypeError
        arr = np.ascontiguousarray(arr)
        return ("array", str(arr.dtype), arr.shape, hashlib.sha256(arr.tobytes()).hexdigest())
    except (TypeError, ValueError):
        return ("object", repr(data))


def model_fingerprint(model):
    """Structural fingerprint of what nutpie compiles from ``model``, with the data left out.

    Returns ``(key, shared)``. ``key`` is hashable and equal for two models exactly when

    - their log-density and trace (free and deterministic variables) graphs are the same node for
      node, with equal Ops (PyTensor's own ``==``, the test its graph merging relies on; Ops
      without ``__props__`` compare by identity, so they never match across models) and equal
      output types (dtype and static shape);
    - every constant baked into the graph is equal (dtype, shape and SHA-256 of the values: prior
      parameters, index arrays, anything not held in a shared variable);
    - the dimension lengths (PyMC keeps them in shared variables) are equal, as are the names
      of the model variables and the shapes of every traced variable (which fix the size of
      nutpie's parameter vector and of its trace);
    - ``check_bounds`` is the same.

    The other shared variables (the data) enter by type only; ``shared`` lists them in the order
    the traversal met them, which is the same role-for-role order for two models with equal keys.
    Returns ``(None, [])`` when the graph cannot be fingerprinted (e.g. an unhashable Op):
    such a model is compiled and never shared.
    """
    from nutpie.compile_pymc import _compute_shapes
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import graph_inputs, io_toposort

    try:
        dim_vars = {id(var): name for name, var in model.dim_lengths.items()}
        trace_vars = list(model.unobserved_value_vars)
        outputs = [model.logp(), *trace_vars]
        inputs = list(graph_inputs(outputs))
        index: dict = {}
        shared: list = []
        items: list = []

        def visit_root(var):
            if isinstance(var, SharedVariable) and id(var) in dim_vars:
                items.append(("dim", dim_vars[id(var)], _value_signature(var.get_value())))
            elif isinstance(var, SharedVariable):
                shared.append(var)
                items.append(("shared", var.type))
            elif isinstance(var, Constant):
                items.append(("const", var.type, _value_signature(var.data)))
            else:
                items.append(("input", var.name, var.type))
            index[var] = len(index)

        for node in io_toposort(inputs, outputs):
            for var in node.inputs:
                if var not in index:
                    visit_root(var)
            items.append(
                (
                    "node",
                    node.op,
                    tuple(index[v] for v in node.inputs),
                    tuple(o.type for o in node.outputs),
                )
            )
            for out in node.outputs:
                index[out] = len(index)
        for var in outputs:
            if var not in index:
                visit_root(var)
        items.append(
            ("outputs", tuple(index[v] for v in outputs), tuple(v.name for v in trace_vars))
        )
        items.append(
            (
                "dims",
                tuple(
                    (
                        name,
                        _value_signature(var.get_value())
                        if isinstance(var, SharedVariable)
                        else repr(var),
                    )
                    for name, var in model.dim_lengths.items()
                ),
            )
        )
        items.append(
            ("free", tuple((rv.name, model.rvs_to_values[rv].name) for rv in model.free_RVs))
        )
        items.append(
            (
                "shapes",
                tuple(
                    (name, tuple(int(k) for k in shape))
                    for name, shape in _compute_shapes(model).items()
                ),
            )
        )
        items.append(("check_bounds", bool(model.check_bounds)))
        key = tuple(items)
        hash(key)
    except Exception:
        return None, []
    return key, shared


@dataclass(frozen=True, eq=False)
class _Entry:
    compiled: Any  # nutpie CompiledPyMCModel of the first model with this key
    names: tuple  # its name for each shared variable of the fingerprint, by position
    swap: tuple  # positions nutpie reads at run time (replaced by the new model's data)
    fixed: tuple  # (position, value signature) of shared variables nutpie does not read


def _make_entry(compiled, shared) -> _Entry | None:
    names = tuple(var.name for var in shared)
    if len(set(names)) != len(names):
        return None  # nutpie keys data by name: ambiguous names cannot be swapped
    swap = tuple(i for i, name in enumerate(names) if name in compiled.shared_data)
    # Shared variables the compiled functions do not read cannot matter to them, but their
    # values must still match for a reuse (they may have fixed something at build time).
    fixed = tuple(
        (i, _value_signature(var.get_value(borrow=True)))
        for i, var in enumerate(shared)
        if i not in set(swap)
    )
    return _Entry(compiled=compiled, names=names, swap=swap, fixed=fixed)


def _reuse(entry: _Entry, model, shared):
    """``entry.compiled`` with ``model``'s data, initial point function and coordinates."""
    import dataclasses

    from nutpie.compile_pymc import (
        _prepare_dims_and_coords,
        _rv_dict_to_flat_array_wrapper,
        _wrap_with_lock,
    )
    from pymc.initial_point import make_initial_point_fn

    for i, signature in entry.fixed:
        if _value_signature(shared[i].get_value(borrow=True)) != signature:
            return None
    cached = entry.compiled
    compiled = cached.with_data(
        **{entry.names[i]: np.asarray(shared[i].get_value(borrow=True)) for i in entry.swap}
    )
    # The same initial point as nutpie.compile_pymc_model(model) with its defaults (support
    # point of each free variable, jittered), built on the new model: it may depend on the data.
    point_fn = _wrap_with_lock(
        make_initial_point_fn(
            model=model,
            overrides=None,
            jitter_rvs=set(model.free_RVs),
            default_strategy="support_point",
            return_transformed=True,
        )
    )
    names = [model.rvs_to_values[rv].name for rv in model.free_RVs]
    point_fn = _rv_dict_to_flat_array_wrapper(
        point_fn, names=names, shapes=[cached.shapes[n] for n in names]
    )
    dims, coords = _prepare_dims_and_coords(model, cached.shape_info)
    return dataclasses.replace(compiled, initial_point_func=point_fn, dims=dims, _coords=coords)


def _compile_nutpie(model, var_names):
    """Compile ``model`` for nutpie, or reuse a cached compiled model of the same structure."""
    import nutpie

    maxsize = _max_size()
    key = shared = None
    if maxsize > 0:
        key, shared = model_fingerprint(model)
        if key is not None:
            key = (key, tuple(var_names) if var_names else None)
            with _cache_lock:
                entry = _nutpie_cache.get(key)
                if entry is not None:
                    _nutpie_cache.move_to_end(key)
            if entry is not None:
                compiled = _reuse(entry, model, shared)
                if compiled is not None:
                    with _cache_lock:
                        _stats["hits"] += 1
                    return compiled
    compiled = nutpie.compile_pymc_model(model, var_names=var_names)
    entry = _make_entry(compiled, shared) if key is not None else None
    with _cache_lock:
        _stats["misses"] += 1
        if maxsize > 0 and entry is None:
            _stats["uncacheable"] += 1
        if entry is not None:
            _nutpie_cache[key] = entry
            _nutpie_cache.move_to_end(key)
            while len(_nutpie_cache) > maxsize:
                _nutpie_cache.popitem(last=False)
    return compiled


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
            self.max_r_hat <= RHAT_MAX
            and self.min_ess_bulk >= ESS_MIN
            and self.min_ess_tail >= ESS_MIN
            and self.divergences == 0
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
            SamplingWarning,
            stacklevel=stacklevel,
        )
    if diag.max_r_hat > RHAT_MAX:
        warnings.warn(
            f"R-hat is {diag.max_r_hat:.3f} for {diag.worst_r_hat} (above {RHAT_MAX}): the chains "
            "disagree, so the posterior summaries are not yet reliable. Run more tune and draws "
            "(e.g. fit(tune=2000, draws=2000)) and more chains (chains=4).",
            SamplingWarning,
            stacklevel=stacklevel,
        )
    if min(diag.min_ess_bulk, diag.min_ess_tail) < ESS_MIN:
        warnings.warn(
            f"Effective sample size is {min(diag.min_ess_bulk, diag.min_ess_tail):.0f} for "
            f"{diag.worst_ess} (below {ESS_MIN}): posterior means and especially interval ends "
            "have large Monte-Carlo error. Increase draws (and chains) until every ESS exceeds "
            f"{ESS_MIN}.",
            SamplingWarning,
            stacklevel=stacklevel,
        )
