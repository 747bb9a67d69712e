"""Against theory: with no person effect, no dropout and one indicator, the power of the
fixed-effects DiD (the prevalence DiD) at several group sizes matches the analytic power of the
two-sample test of the difference in changes, within Monte-Carlo error.

Every answer is then an independent Bernoulli draw with probability ``p[g, t] = expit(a + b *
trend(t) + d * g * post(t))``, and with a balanced panel the DiD estimate equals the difference
between the groups' mean changes ``D_i = mean(post answers) - baseline answer``, whose variance
within a group is ``sum_t p_t (1 - p_t) / T'^2 + p_0 (1 - p_0)`` (``T'`` post waves).
"""

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

from mirabal_stats.studies import MirabalDesign, analyses, power_curve

SIZES = [30, 60, 120]
N_REPLICATES = 100
DESIGN = MirabalDesign(
    indicators=("injured",),
    effect_log_odds=0.8,
    sigma_person=0.0,
    covariate_effects=0.0,
    confounding=0.0,
    attrition="none",
    item_missing=0.0,
)


def analytic_power(truth, n: int, ci_level: float = 0.95) -> float:
    row = truth.indicator_effects.iloc[0]
    a, d, b = row["intercept"], row["log_odds"], row["benefit_sign"]
    trend = np.array(list(truth.parameters["trend"].values()))
    post = np.arange(len(trend)) > 0
    means, variances = [], []
    for g in (0, 1):
        p = expit(a + b * trend + d * g * post)
        means.append(p[post].mean() - p[0])
        variances.append(np.sum(p[post] * (1 - p[post])) / post.sum() ** 2 + p[0] * (1 - p[0]))
    delta = means[1] - means[0]
    se = np.sqrt(variances[0] / n + variances[1] / n)
    z = stats.norm.ppf(0.5 + ci_level / 2)
    return float(stats.norm.cdf(abs(delta) / se - z) + stats.norm.cdf(-abs(delta) / se - z))


@pytest.mark.slow  # 300 DiD fits: about a minute on 2 idle cores
def test_did_power_matches_the_two_sample_test_of_changes():
    _, truth = DESIGN.simulate(random_seed=0)
    curve = power_curve(
        DESIGN,
        analyses.did(level="indicator"),
        values=SIZES,
        n_replicates=N_REPLICATES,
        random_seed=7,
        n_workers=2,
        progress=False,
    )
    perf = curve.performance_frame().reset_index().set_index("n_per_group")
    z2 = []
    for n in SIZES:
        expected = analytic_power(truth, n)
        mcse = np.sqrt(expected * (1 - expected) / N_REPLICATES)
        observed = perf.loc[n, "power"]
        assert abs(observed - expected) <= 3 * mcse, (n, observed, expected, mcse)
        z2.append(((observed - expected) / mcse) ** 2)
    # Jointly: the three independent points agree with theory (chi-square, 3 df, at 0.1%).
    assert stats.chi2.sf(sum(z2), len(SIZES)) > 0.001
    # The design spans the informative range of power.
    assert analytic_power(truth, SIZES[0]) < 0.5 < analytic_power(truth, SIZES[-1])


def test_analytic_power_is_the_textbook_formula_for_a_known_case():
    class Truth:  # p = 0.5 everywhere except a treated post-wave shift: hand-checkable
        import pandas as pd

        indicator_effects = pd.DataFrame(
            {"intercept": [0.0], "log_odds": [0.0], "benefit_sign": [1]}
        )
        parameters = {"trend": {1: 0.0, 2: 0.0}}

    # No effect: power equals the test's size.
    assert analytic_power(Truth, 50) == pytest.approx(0.05)
