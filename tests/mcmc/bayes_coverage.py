"""Coverage of the IndicatorModel's 90% intervals over simulation seeds (slow; not a pytest test).

Run from the repository root (samples; takes ~1 min per seed on 2 cores):

    flock /tmp/mcmc.lock env PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python tests/mcmc/bayes_coverage.py 8 \
        > tests/mcmc/bayes_coverage_results.txt

Writes one line per seed and the pooled coverage of the indicator effects (log-odds), the measure
means of the beneficial effects and the overall effect in percentage points.
"""

import sys
import warnings

import numpy as np

from mirabal_stats.bayes import IndicatorModel
from mirabal_stats.datasets import simulate_mirabal

INDICATORS = [
    "negotiates", "considerate", "listens", "shouts_swears", "puts_down",
    "justifies_abuse", "understands_child_impact", "takes_responsibility", "blames_her",
    "children_worried", "children_frightened", "children_friendships", "children_sleep_problems",
]
COVARIATES = ["age", "separated", "children", "prior_police", "employed", "area"]


def main(n_seeds: int) -> None:
    warnings.simplefilter("ignore")
    hits_k, hits_m, hits_o = [], [], []
    for seed in range(101, 101 + n_seeds):
        panel, truth = simulate_mirabal(seed=seed, indicators=INDICATORS)
        result = IndicatorModel(panel, covariates=COVARIATES).fit(draws=500, tune=500, chains=2, random_seed=seed)
        ind = result.effects(level="indicator")
        t = truth.indicator_effects.loc[ind.index, "log_odds"]
        hk = ((ind["lower"] <= t) & (t <= ind["upper"])).to_numpy()
        meas = result.effects(level="measure")
        tm = truth.measure_effects.loc[meas.index, "beneficial_log_odds"]
        hm = ((meas["lower"] <= tm) & (tm <= meas["upper"])).to_numpy()
        o = result.effects(level="overall", scale="pp").iloc[0]
        ho = o["lower"] <= truth.overall_effect["beneficial_pp"] <= o["upper"]
        hits_k.append(hk)
        hits_m.append(hm)
        hits_o.append(ho)
        d = result.diagnostics_summary
        print(f"seed {seed}: indicator coverage {hk.mean():.2f}, measure {hm.mean():.2f}, overall pp {ho}, "
              f"max R-hat {d.max_r_hat:.3f}, min ESS {d.min_ess_bulk:.0f}, divergences {d.divergences}", flush=True)
    k = np.concatenate(hits_k)
    print(f"pooled 90% coverage: indicators {k.mean():.3f} (n={k.size}), "
          f"measures {np.concatenate(hits_m).mean():.3f}, overall pp {np.mean(hits_o):.3f} over {n_seeds} seeds")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
