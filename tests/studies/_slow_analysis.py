"""A custom analysis that takes a little time (for the kill-and-resume test; importable by
Dask workers started with PYTHONPATH at the repository root)."""

import time

import pandas as pd


def sleepy_mean(panel, truth, *, ci_level, random_seed):
    time.sleep(0.4)
    share = float(panel.to_long(include_missing=False)["response"].mean())
    return pd.DataFrame(
        {
            "level": ["overall"],
            "estimand": ["overall"],
            "scale": ["share"],
            "estimate": [share],
            "std_error": [0.01],
            "lower": [share - 0.02],
            "upper": [share + 0.02],
            "truth": [0.5],
        }
    )


def known_power(panel, truth, *, ci_level, random_seed):
    """An estimate drawn as N(0.5, 2 / n_intervention): its power at level 0.95 is
    Phi(0.5 sqrt(n / 2) - 1.96) + Phi(-0.5 sqrt(n / 2) - 1.96), so 80% power needs n = 62.8."""
    import numpy as np

    n = int((panel.baseline()["group"] == panel.treated).sum())
    se = float(np.sqrt(2.0 / n))
    est = 0.5 + se * np.random.default_rng(random_seed).standard_normal()
    return pd.DataFrame(
        {
            "level": ["overall"],
            "estimand": ["overall"],
            "scale": ["z"],
            "estimate": [est],
            "std_error": [se],
            "lower": [est - 1.959964 * se],
            "upper": [est + 1.959964 * se],
            "truth": [0.5],
        }
    )
