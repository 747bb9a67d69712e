"""Results shared by the Bayesian models: posterior tables, diagnostics and provenance.

Posterior summaries follow one convention: ``estimate`` is the posterior mean, ``std_error`` the
posterior standard deviation, ``lower``/``upper`` the equal-tailed interval at ``ci_level``
(default 0.95, as everywhere in the library), and ``median`` is given beside the mean because
the posteriors of standard deviations are right-skewed (the mean of such a posterior exceeds its
median and its mode).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirabal_stats._results import DEFAULT_CI_LEVEL, Provenance, Results, check_ci_level
from mirabal_stats.bayes.sampling import Posterior, SamplerDiagnostics

__all__ = ["BayesResults", "draws_table", "stack_draws"]


def draws_table(
    draws: np.ndarray,
    *,
    index,
    ci_level: float = DEFAULT_CI_LEVEL,
    prob_positive: bool = False,
) -> pd.DataFrame:
    """Summarise posterior draws (shape ``(n_draws, n_rows)``) in the standard table layout."""
    level = check_ci_level(ci_level)
    draws = np.asarray(draws, dtype=float)
    if draws.ndim == 1:
        draws = draws[:, None]
    tail = (1.0 - level) / 2.0
    table = pd.DataFrame(
        {
            "estimate": draws.mean(axis=0),
            "std_error": draws.std(axis=0, ddof=1),
            "lower": np.quantile(draws, tail, axis=0),
            "upper": np.quantile(draws, 1.0 - tail, axis=0),
            "ci_level": level,
            "median": np.median(draws, axis=0),
        },
        index=pd.Index(index),
    )
    if prob_positive:
        table["prob_beneficial"] = (draws > 0).mean(axis=0)
    return table


def stack_draws(idata, name: str) -> np.ndarray:
    """Posterior draws of variable ``name`` as an array ``(chain*draw, *shape)``."""
    values = idata.posterior[name].values
    return values.reshape((-1,) + values.shape[2:])


class BayesResults(Results):
    """Base class of fitted Bayesian models: the posterior, its diagnostics and provenance.

    Built from the :class:`~mirabal_stats.bayes.sampling.Posterior` that the one fit path
    (:func:`~mirabal_stats.bayes.sampling.fit_posterior`) returns. Subclasses define
    ``_parameter_draws()`` returning ``(draws, labels, diagnostic keys)`` for :meth:`to_frame`.
    """

    def __init__(self, *, posterior: Posterior) -> None:
        self._posterior = posterior

    @property
    def idata(self):
        """The ArviZ ``InferenceData`` (posterior, sample_stats). Treat as read-only."""
        return self._posterior.idata

    @property
    def provenance(self) -> Provenance:
        """Package versions, seed, data fingerprint, model and fit settings."""
        return self._posterior.provenance

    @property
    def sampler(self) -> str:
        """The sampler that drew the posterior (``"nutpie"``, ``"pymc"`` or ``"numpyro"``)."""
        return self._posterior.sampler

    @property
    def fit_seconds(self) -> float:
        """Wall time of compiling and sampling, in seconds."""
        return self._posterior.fit_seconds

    @property
    def n_draws(self) -> int:
        """Posterior draws over all chains."""
        post = self.idata.posterior
        return int(post.sizes["chain"] * post.sizes["draw"])

    def diagnostics(self) -> pd.DataFrame:
        """R-hat, bulk and tail ESS per monitored scalar parameter; the worst case in ``.attrs``.

        ``frame.attrs`` holds ``divergences``, ``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail``
        and ``ok`` (all checks pass: R-hat <= 1.01, ESS >= 400, no divergences).
        """
        table = self._posterior.diagnostics.copy()
        summary = self.diagnostics_summary
        table.attrs.update(
            divergences=summary.divergences,
            max_r_hat=summary.max_r_hat,
            min_ess_bulk=summary.min_ess_bulk,
            min_ess_tail=summary.min_ess_tail,
            ok=summary.ok,
        )
        return table

    @property
    def diagnostics_summary(self) -> SamplerDiagnostics:
        """Worst-case diagnostics over the monitored parameters (R-hat, ESS, divergences)."""
        return self._posterior.diagnostics_summary

    def _parameter_draws(self) -> tuple[np.ndarray, list[str], list[str]]:
        raise NotImplementedError

    def to_frame(self, *, ci_level: float = DEFAULT_CI_LEVEL) -> pd.DataFrame:
        """One row per named parameter.

        Columns ``estimate`` (posterior mean), ``std_error`` (posterior SD), ``lower``, ``upper``
        (equal-tailed interval), ``ci_level``, then ``median``, ``r_hat``, ``ess_bulk``.
        """
        draws, labels, diag_keys = self._parameter_draws()
        table = draws_table(draws, index=labels, ci_level=ci_level)
        table.index.name = "parameter"
        diag = self._posterior.diagnostics
        table["r_hat"] = [diag["r_hat"].get(k, np.nan) for k in diag_keys]
        table["ess_bulk"] = [diag["ess_bulk"].get(k, np.nan) for k in diag_keys]
        return table

    def _diagnostics_sentence(self) -> str:
        d = self.diagnostics_summary
        verdict = "clean" if d.ok else "NOT clean (see diagnostics())"
        return (
            f"Sampling diagnostics are {verdict}: max R-hat {d.max_r_hat:.3f}, min bulk ESS "
            f"{d.min_ess_bulk:.0f}, min tail ESS {d.min_ess_tail:.0f}, {d.divergences} divergences "
            f"in {d.n_draws} draws ({self.sampler})."
        )
