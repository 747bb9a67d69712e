"""Calibration of the frequentist analyses: bias and coverage of 95% intervals.

Fixed-effects DiD (unweighted and propensity-weighted), per-indicator GEE (pp and log odds
ratio) and the propensity-weighted difference in change scores, at the measure and overall
levels, on the calibration design (``_common.SMALL_DESIGN``: 8 indicators in 3 measures,
150 + 150 women, MAR dropout, confounded group membership).

Full run (>= 1,000 replicates; the lead's command, see README.md for the time):

    PYTHONPATH=. OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python \
        studies/calibration/frequentist.py --replicates 1000 --n-workers 2 \
        --store /tmp/mirabal_calibration/frequentist

Smoke run (committed as results/frequentist_smoke.*):

    PYTHONPATH=. OMP_NUM_THREADS=1 nice -n 15 .venv/bin/python \
        studies/calibration/frequentist.py --replicates 10 --n-workers 2 --smoke
"""

from __future__ import annotations

import argparse

from _common import SMALL_DESIGN, Timer, write

from mirabal_stats.studies import analyses, run_study

SEED = 20260816


def analyses_list():
    out = []
    for level in ("measure", "overall"):
        out += [
            analyses.did(level=level),
            analyses.did(level=level, weights="propensity"),
            analyses.gee(level=level),
            analyses.weighted_effect(level=level),
        ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--n-workers", type=int, default=None)
    parser.add_argument("--store", default=None)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    with Timer() as timer:
        study = run_study(
            SMALL_DESIGN,
            analyses_list(),
            n_replicates=args.replicates,
            random_seed=SEED,
            n_workers=args.n_workers,
            store=args.store,
        )
    notes = [
        "Truth: the sample average effect on the treated over the post waves (pp) and the "
        "conditional log-odds effect (GEE log odds ratios are population-averaged, so "
        "attenuated towards 0 by construction).",
        "Unweighted DiD/GEE ignore the confounded change (separated women improve more and are "
        "less often in the intervention group): their bias is expected; the propensity-weighted "
        "analyses should remove it.",
    ]
    stem = write("frequentist", study, smoke=args.smoke, seconds=timer.seconds, notes=notes)
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
