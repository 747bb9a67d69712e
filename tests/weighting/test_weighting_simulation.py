"""Recovery of a known ATT from simulated data: the weighting estimator is approximately unbiased
over seeds, its M-estimation interval covers at about the nominal rate, and the naive difference
in means is visibly biased.

Simulator (confounding by x1, x2, x3; effect heterogeneous in x1 so ATT != ATE):
    logit P(A = 1) = -0.5 + 0.8 x1 - 0.5 x2 + 0.7 x3
    Y = 1 + 2 x1 + x2 + 1.5 x3 + A (1 + x1) + e,  e ~ N(0, 1)
True (population) ATT = 1 + E[x1 | A = 1], computed from 2 million seeded draws.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.weighting import PropensityWeights, weighted_effect

N = 400
REPS = 200
SEED = 20261122


def simulate(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    x3 = rng.binomial(1, 0.4, n)
    a = rng.binomial(1, 1 / (1 + np.exp(-(-0.5 + 0.8 * x1 - 0.5 * x2 + 0.7 * x3))))
    y = 1 + 2 * x1 + x2 + 1.5 * x3 + a * (1 + x1) + rng.normal(size=n)
    return pd.DataFrame({"treat": a, "x1": x1, "x2": x2, "x3": x3, "y": y})


@pytest.fixture(scope="module")
def true_att() -> float:
    big = simulate(np.random.default_rng(SEED + 1), 2_000_000)
    return 1 + big.loc[big["treat"] == 1, "x1"].mean()


@pytest.fixture(scope="module")
def replications():
    rng = np.random.default_rng(SEED)
    rows = []
    for _ in range(REPS):
        df = simulate(rng, N)
        with warnings.catch_warnings():
            # Balance in single replications is not what this test is about.
            warnings.simplefilter("ignore")
            pw = PropensityWeights(
                df, group="treat", covariates=["x1", "x2", "x3"], estimand="ATT"
            ).fit()
            eb = PropensityWeights(
                df, group="treat", covariates=["x1", "x2", "x3"], estimand="ATT", method="entropy"
            ).fit()
        m_est = weighted_effect(
            df, response="y", group="treat", weights=pw, se_method="m_estimation"
        )
        ebal = weighted_effect(df, response="y", group="treat", weights=eb)
        naive = df.loc[df["treat"] == 1, "y"].mean() - df.loc[df["treat"] == 0, "y"].mean()
        frame = m_est.to_frame().iloc[0]
        rows.append(
            {
                "ipw": m_est.estimate,
                "lower": frame["lower"],
                "upper": frame["upper"],
                "ebal": ebal.estimate,
                "naive": naive,
            }
        )
    return pd.DataFrame(rows)


def test_att_weighting_is_approximately_unbiased(replications, true_att):
    err = replications["ipw"] - true_att
    mc_se = err.std(ddof=1) / np.sqrt(REPS)
    assert abs(err.mean()) < 3 * mc_se + 0.01, (err.mean(), mc_se)


def test_entropy_balancing_is_approximately_unbiased(replications, true_att):
    err = replications["ebal"] - true_att
    mc_se = err.std(ddof=1) / np.sqrt(REPS)
    assert abs(err.mean()) < 3 * mc_se + 0.01, (err.mean(), mc_se)


def test_naive_difference_is_visibly_biased(replications, true_att):
    err = replications["naive"] - true_att
    mc_se = err.std(ddof=1) / np.sqrt(REPS)
    assert err.mean() > 0.5
    assert err.mean() > 20 * mc_se


def test_m_estimation_interval_coverage(replications, true_att):
    covered = ((replications["lower"] <= true_att) & (true_att <= replications["upper"])).mean()
    # 200 replications: the binomial SD of the coverage at 0.95 is 0.015.
    assert 0.90 <= covered <= 0.99, covered
