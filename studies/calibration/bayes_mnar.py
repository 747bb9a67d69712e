"""The shared-parameter model (attrition="shared") against the MAR fit under dropout that
depends on the programme response (MNAR), on the calibration design with a person-specific
programme response.

Design: ``SMALL_DESIGN`` with ``response_sd=1.5``, ``attrition="mnar"``,
``mnar_driver="response"``, ``mnar_strength=1.5`` (women who benefit less drop out more).

Full run (>= 100 replicates, two fits each; one worker):

    PYTHONPATH=. OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python \
        studies/calibration/bayes_mnar.py --replicates 100 --n-workers 1 \
        --store /tmp/mirabal_calibration/bayes_mnar

Smoke run (committed as results/bayes_mnar_smoke.*):

    PYTHONPATH=. OMP_NUM_THREADS=1 nice -n 15 .venv/bin/python \
        studies/calibration/bayes_mnar.py --replicates 2 --n-workers 1 --smoke
"""

from __future__ import annotations

import argparse
import dataclasses

from _common import SMALL_DESIGN, Timer, write

from mirabal_stats.studies import analyses, run_study

SEED = 20260818
DESIGN = dataclasses.replace(
    SMALL_DESIGN, response_sd=1.5, attrition="mnar", mnar_driver="response", mnar_strength=1.5
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--n-workers", type=int, default=1)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--store", default=None)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    settings = {
        "draws": args.draws,
        "tune": args.tune,
        "chains": args.chains,
        "levels": ("measure", "overall"),
    }
    fits = [
        analyses.indicator_model(covariates=True, attrition="shared", **settings),
        analyses.indicator_model(covariates=True, attrition="mar", **settings),
    ]
    with Timer() as timer:
        study = run_study(
            DESIGN,
            fits,
            n_replicates=args.replicates,
            random_seed=SEED,
            n_workers=args.n_workers,
            store=args.store,
        )
    notes = [
        "Programme-response MNAR: dropout log-odds fall by 1.5 per SD of the woman's own "
        "programme response (SD 1.5 on the beneficial log-odds).",
        f"Sampler: nutpie, {args.chains} chains x ({args.tune} tune + {args.draws} draws).",
    ]
    stem = write("bayes_mnar", study, smoke=args.smoke, seconds=timer.seconds, notes=notes)
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
