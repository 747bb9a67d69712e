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
