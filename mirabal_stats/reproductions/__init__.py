"""Reproductions of published numbers, run by the docs gallery, the tests and
``mirabal-stats reproduce``.

Each module exposes ``run(*, quick=False) -> Reproduction``; ``quick=True`` uses fewer MCMC draws
(for the test suite) and must still meet the tolerance.
"""

from __future__ import annotations

from importlib import import_module

from mirabal_stats.reproductions._base import Check, Reproduction, ReproductionFailed

__all__ = ["Check", "Reproduction", "ReproductionFailed", "REPRODUCTIONS", "run_reproduction"]

# name -> (module, one-line description). Order is the order `mirabal-stats reproduce all` uses.
REPRODUCTIONS: dict[str, tuple[str, str]] = {
    "rossi_cox": (
        "rossi_cox",
        "Rossi recidivism: Cox model table (Fox & Weisberg) and KM at week 52",
    ),
    "lalonde_att": (
        "lalonde_att",
        "Lalonde: ATT weighting vs WeightIt/cobalt and the $1,794 benchmark",
    ),
    "toenail_gee": ("toenail_gee", "Toenail: GEE logistic vs R geepack"),
    "toenail_glmm": (
        "toenail_glmm",
        "Toenail: Bayesian random-intercept logistic vs adaptive quadrature",
    ),
    "mirabal_prevalence": (
        "mirabal_prevalence",
        "Mirabal-design panel vs published before/after %",
    ),
    "cara_reoffending": (
        "cara_reoffending",
        "CARA and Campbell review: effects from published aggregates",
    ),
    "vitamin_a_cace": (
        "vitamin_a_cace",
        "Vitamin A trial: complier average causal effect (Sommer & Zeger; Imbens & Rubin)",
    ),
}


def run_reproduction(name: str, *, quick: bool = False) -> Reproduction:
    """Run the reproduction called ``name`` (a key of :data:`REPRODUCTIONS`)."""
    if name not in REPRODUCTIONS:
        from mirabal_stats.data.persons import nearest
        from mirabal_stats.exceptions import SpecificationError

        raise SpecificationError(
            f"Unknown reproduction {name!r}{nearest(name, REPRODUCTIONS)}; choose one of "
            f"{', '.join(REPRODUCTIONS)} (or 'all' on the command line)."
        )
    module = import_module(f"mirabal_stats.reproductions.{REPRODUCTIONS[name][0]}")
    return module.run(quick=quick)
