"""Bayesian piecewise-exponential model on Rossi: hazard ratio for fin agrees with Cox.

Run with the sampling lock:  flock /tmp/mcmc.lock .venv/bin/python -m pytest tests/survival -m mcmc
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from mirabal_stats.survival import PiecewiseExponentialModel
from tests._contract import assert_results_contract
from tests.mcmc._diagnostics import fit_checked

COVARIATES = ["age", "race", "wexp", "mar", "paro", "prio"]


@pytest.fixture(scope="module")
def pwe_model(rossi):
    return PiecewiseExponentialModel(
        rossi, duration="week", event="arrest", group="fin", covariates=COVARIATES
    )


@pytest.fixture(scope="module")
def pwe_fit(pwe_model):
    # Bounds as the test's budget needs them: R-hat below 1.02, an ESS that makes the 4-MCSE
    # term of the tolerance small, no divergences.
    return fit_checked(
        pwe_model,
        draws=1000,
        tune=1000,
        chains=2,
        random_seed=20240607,
        max_r_hat=1.02,
        min_ess=400,
        max_divergences=0,
    )


def _pwe_mle(model) -> float:
    """Maximum-likelihood fin coefficient of the same piecewise model (Poisson GLM on the
    collapsed pattern x interval cells with log-exposure offset): no prior, no Monte Carlo."""
    d = model.pwe_data
    P, J = d.events.shape
    keep = d.exposure.ravel() > 0
    intervals = np.tile(np.eye(J), (P, 1))
    X = np.column_stack([intervals, np.repeat(d.X_pattern, J, axis=0)])[keep]
    glm = sm.GLM(
        d.events.ravel()[keep],
        X,
        family=sm.families.Poisson(),
        offset=np.log(d.exposure.ravel()[keep]),
    ).fit()
    return float(glm.params[J])  # first design column after the intervals is fin


@pytest.mark.mcmc
def test_pwe_hazard_ratio_agrees_with_cox(pwe_model, pwe_fit, rossi_fit):
    """Tolerance budget for |posterior mean - Cox| on the log-HR scale (Cox SE 0.191):
    (1) piecewise (8 intervals) vs Cox's unspecified baseline: measured below as |PWE MLE - Cox|,
        required < 0.02 (about a tenth of an SE);
    (2) prior N(0, 2.5): shrinks by ~0.191^2/2.5^2 = 0.6%, i.e. < 0.003;
    (3) Monte-Carlo error: posterior SD / sqrt(ESS) ~ 0.2/sqrt(1000) = 0.006; 4 MCSE = 0.025.
    Total 0.05 (a quarter of an SE): tight enough to catch a wrong likelihood, loose enough for MC."""
    cox = rossi_fit.cox.to_frame().loc["fin"]
    mle = _pwe_mle(pwe_model)
    assert abs(mle - cox["estimate"]) < 0.02
    post = pwe_fit.to_frame().loc["fin"]
    assert abs(post["estimate"] - cox["estimate"]) < 0.05
    mcse = post["std_error"] / np.sqrt(post["ess_bulk"])
    assert abs(post["estimate"] - mle) < 4 * mcse + 0.003 + 0.005  # (3) + (2) + posterior-mean skew
    # Posterior SD vs Cox SE: same information, so within 15%.
    assert post["std_error"] == pytest.approx(cox["std_error"], rel=0.15)
    assert pwe_fit.diagnostics_summary.divergences == 0
    assert pwe_fit.diagnostics_summary.max_r_hat < 1.02


@pytest.mark.mcmc
def test_pwe_standardised_survival_close_to_km(pwe_fit, rossi_fit):
    """Covariate-standardised survival at week 52 in each arm vs Kaplan-Meier (randomised trial,
    so standardised and crude curves estimate the same thing): within 1.5 KM SEs."""
    bayes = pwe_fit.survival([52.0])
    km = rossi_fit.survival_at([52.0])
    for g in (0, 1):
        assert (
            abs(bayes.loc[(g, 52.0), "estimate"] - km.loc[(g, 52.0), "estimate"])
            < 1.5 * km.loc[(g, 52.0), "std_error"]
        )
        assert (
            bayes.loc[(g, 52.0), "lower"]
            < km.loc[(g, 52.0), "estimate"]
            < bayes.loc[(g, 52.0), "upper"]
        )
    assert "Hazard ratio for 'fin'" in pwe_fit.summary()
    assert_results_contract(pwe_fit)
