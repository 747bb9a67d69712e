"""Fit with small draws and check the sampler's diagnostics instead of silencing its warnings.

The MCMC tests run short chains to stay inside the CI budget, so the library's own thresholds
(R-hat <= 1.01, ESS >= 400, no divergences) may legitimately fail and the fit then warns
(:class:`~mirabal_stats.exceptions.SamplingWarning`). :func:`fit_checked` records those warnings
and asserts (1) that the fit warned exactly about the checks its diagnostics fail and (2) that
the diagnostics are within the bounds the test's conclusions need, measured on these seeds
(docstring of each test).
"""

from __future__ import annotations

import warnings

from mirabal_stats.bayes.sampling import ESS_MIN, RHAT_MAX
from mirabal_stats.exceptions import SamplingWarning


def check_diagnostics(result, caught, *, max_r_hat: float, min_ess: float, max_divergences: int):
    """Assert the diagnostics of ``result`` and the SamplingWarnings in ``caught`` agree and are
    within the bounds; print them (``pytest -s`` shows them) and return the summary."""
    d = result.diagnostics_summary
    ess = min(d.min_ess_bulk, d.min_ess_tail)
    messages = [str(w.message) for w in caught if issubclass(w.category, SamplingWarning)]
    expected = {
        "divergent transitions": d.divergences > 0,
        "R-hat is": d.max_r_hat > RHAT_MAX,
        "Effective sample size is": ess < ESS_MIN,
    }
    for phrase, failed in expected.items():
        warned = any(phrase in m for m in messages)
        assert warned == failed, (phrase, failed, messages, d)
    assert len(messages) == sum(expected.values()), messages
    print(
        f"DIAGNOSTICS max_r_hat={d.max_r_hat:.4f} ({d.worst_r_hat}) min_ess_bulk="
        f"{d.min_ess_bulk:.0f} min_ess_tail={d.min_ess_tail:.0f} ({d.worst_ess}) "
        f"divergences={d.divergences} draws={d.n_draws} fit_seconds={result.fit_seconds:.1f}"
    )
    assert d.max_r_hat <= max_r_hat, d
    assert ess >= min_ess, d
    assert d.divergences <= max_divergences, d
    return d


def fit_checked(model, *, max_r_hat: float, min_ess: float, max_divergences: int = 0, **fit):
    """``model.fit(**fit)``, then :func:`check_diagnostics`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SamplingWarning)
        result = model.fit(**fit)
    # The warnings point at the line that called fit() (here), not at the library's internals.
    assert all(w.filename == __file__ for w in caught if issubclass(w.category, SamplingWarning))
    check_diagnostics(
        result, caught, max_r_hat=max_r_hat, min_ess=min_ess, max_divergences=max_divergences
    )
    return result
