"""Prior specifications: a small, documented vocabulary shared by both Bayesian front ends.

A prior is written as a tuple ``(family, *parameters)``, e.g. ``("normal", 0, 10)`` or
``("exponential", 0.1)``, and assigned to a *role* of the model (``"fixed"``, ``"sd"`` ...) or,
for :class:`~mirabal_stats.bayes.BinaryMixedModel`, to a single formula term (``"trt:time"``).
Keeping priors as plain tuples makes them printable, comparable and storable in provenance; this
module is the only place that turns them into PyMC distributions.

Families and their parameters (all on the log-odds scale of the model):

============== ======================= ============================================
family         parameters              use
============== ======================= ============================================
normal         mu, sigma               intercepts, fixed effects, mean effects
student_t      nu, mu, sigma           heavier-tailed fixed effects
halfnormal     sigma                   standard deviations (scales)
halfstudent_t  nu, sigma               standard deviations with heavier tails
exponential    lam (rate)              standard deviations (mean ``1 / lam``)
flat           (none)                  improper flat prior (fixed effects only)
============== ======================= ============================================

Parameters must be finite numbers (text, NaN and infinity are refused with the role named);
scale parameters (``sigma``, ``nu``, ``lam``, ``eta``) must be positive.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

from mirabal_stats.exceptions import SpecificationError

__all__ = [
    "PRIOR_FAMILIES",
    "Prior",
    "check_prior",
    "merge_priors",
    "prior_text",
    "make_prior",
    "prior_dist",
    "centred_zero_sum_normal",
]

Prior = tuple

# family -> (parameter names, support): "real" for location priors, "positive" for scales.
PRIOR_FAMILIES: dict[str, tuple[tuple[str, ...], str]] = {
    "normal": (("mu", "sigma"), "real"),
    "student_t": (("nu", "mu", "sigma"), "real"),
    "flat": ((), "real"),
    "halfnormal": (("sigma",), "positive"),
    "halfstudent_t": (("nu", "sigma"), "positive"),
    "exponential": (("lam",), "positive"),
    # LKJ prior of a correlation matrix (eta = 1: uniform; larger: favours small correlations).
    "lkj": (("eta",), "correlation"),
}
_SUPPORT_TEXT = {
    "positive": ("a standard deviation (positive)", "halfnormal, halfstudent_t or exponential"),
    "real": ("a real-valued effect", "normal, student_t or flat"),
    "correlation": ("a correlation matrix", "lkj"),
}


def check_prior(role: str, prior: Any, *, support: str) -> tuple:
    """Validate one prior tuple for ``role`` and return it as a tuple of (str, float, ...)."""
    if isinstance(prior, str):
        prior = (prior,)
    if not isinstance(prior, (tuple, list)) or not prior or not isinstance(prior[0], str):
        raise SpecificationError(
            f"The prior for {role!r} must be a tuple (family, *parameters) such as "
            f"('normal', 0, 2.5), got {prior!r}."
        )
    family = prior[0].lower()
    if family not in PRIOR_FAMILIES:
        raise SpecificationError(
            f"Unknown prior family {prior[0]!r} for {role!r}; choose one of "
            f"{', '.join(PRIOR_FAMILIES)}."
        )
    names, family_support = PRIOR_FAMILIES[family]
    if len(prior) - 1 != len(names):
        raise SpecificationError(
            f"The {family} prior for {role!r} takes {len(names)} parameter(s) "
            f"({', '.join(names) or 'none'}), got {len(prior) - 1}: {prior!r}."
        )
    if family_support != support:
        kind, families = _SUPPORT_TEXT[support]
        raise SpecificationError(
            f"{role!r} is {kind}, so it needs a {families} prior, not {family!r}."
        )
    values = []
    for name, raw in zip(names, prior[1:]):
        if isinstance(raw, bool) or not isinstance(raw, Real):
            raise SpecificationError(
                f"Parameter {name} of the {family} prior for {role!r} must be a number, got "
                f"{raw!r} ({type(raw).__name__}). Write the prior with numbers, e.g. "
                f"{_example(family)}."
            )
        value = float(raw)
        if not math.isfinite(value):
            raise SpecificationError(
                f"Parameter {name} of the {family} prior for {role!r} must be a finite number, "
                f"got {value}. For a vague prior use a large finite scale, e.g. {_example(family)}."
            )
        if name != "mu" and not value > 0:
            raise SpecificationError(
                f"Parameter {name} of the {family} prior for {role!r} must be positive, got {value}."
            )
        values.append(value)
    return (family, *values)


def _example(family: str) -> str:
    return {
        "normal": "('normal', 0, 2.5)",
        "student_t": "('student_t', 3, 0, 2.5)",
        "halfnormal": "('halfnormal', 1)",
        "halfstudent_t": "('halfstudent_t', 3, 1)",
        "exponential": "('exponential', 1)",
        "lkj": "('lkj', 2)",
    }.get(family, "('normal', 0, 2.5)")


def merge_priors(
    defaults: Mapping[str, tuple],
    supports: Mapping[str, str],
    user: Mapping[str, Any] | None,
    *,
    extra_roles: Mapping[str, str] | None = None,
) -> dict[str, tuple]:
    """Overlay user priors on the defaults, checking role names and families.

    ``extra_roles`` maps further accepted keys (e.g. formula term names) to their support.
    """
    merged = dict(defaults)
    allowed = dict(supports)
    allowed.update(extra_roles or {})
    if user is not None and not isinstance(user, Mapping):
        raise SpecificationError(
            f"priors must be a dict of role -> (family, *parameters), e.g. "
            f"{{'person_sd': ('halfnormal', 1)}}, got {type(user).__name__}."
        )
    for role, prior in dict(user or {}).items():
        if role not in allowed:
            raise SpecificationError(
                f"Unknown prior role {role!r}; the model accepts priors for "
                f"{', '.join(repr(r) for r in allowed)}."
            )
        merged[role] = check_prior(role, prior, support=allowed[role])
    return merged


def prior_text(prior: tuple) -> str:
    """Human-readable form, e.g. ``Normal(0, 2.5)``."""
    names = {
        "normal": "Normal",
        "student_t": "StudentT",
        "flat": "Flat",
        "halfnormal": "HalfNormal",
        "halfstudent_t": "HalfStudentT",
        "exponential": "Exponential",
        "lkj": "LKJ",
    }
    args = ", ".join(f"{v:g}" for v in prior[1:])
    return f"{names[prior[0]]}({args})"


def _family(prior: tuple):
    """PyMC distribution class and keyword arguments of ``prior``."""
    import pymc as pm

    family, *p = prior
    table = {
        "normal": (pm.Normal, lambda: {"mu": p[0], "sigma": p[1]}),
        "student_t": (pm.StudentT, lambda: {"nu": p[0], "mu": p[1], "sigma": p[2]}),
        "flat": (pm.Flat, dict),
        "halfnormal": (pm.HalfNormal, lambda: {"sigma": p[0]}),
        "halfstudent_t": (pm.HalfStudentT, lambda: {"nu": p[0], "sigma": p[1]}),
        "exponential": (pm.Exponential, lambda: {"lam": p[0]}),
    }
    cls, params = table[family]  # every family but lkj (its own distribution) is in the table
    return cls, params()


def make_prior(name: str, prior: tuple, *, dims: Any = None, shape: Any = None):
    """Create the PyMC random variable ``name`` with ``prior`` (inside a model context)."""
    cls, params = _family(prior)
    if dims is not None:
        params["dims"] = dims
    if shape is not None:
        params["shape"] = shape
    return cls(name, **params)


def prior_dist(prior: tuple, *, shape: Any = None):
    """The unnamed distribution of ``prior`` (``Distribution.dist``), e.g. for
    ``pm.LKJCholeskyCov(sd_dist=...)``."""
    cls, params = _family(prior)
    if shape is not None:
        params["shape"] = shape
    return cls.dist(**params)


def _zero_sum_normal_logp(value, mu, sigma):
    # Density of a Normal(mu, sigma^2 I) vector restricted to the (n-1)-dimensional subspace of
    # vectors summing to zero (value and mu both lie in it), in orthonormal coordinates of that
    # subspace: PyMC's zero-sum transform is an isometry, so no Jacobian term is needed.
    import numpy as np
    import pytensor.tensor as pt

    k = value.shape[-1] - 1
    resid = value - mu
    return -k * (pt.log(sigma) + 0.5 * np.log(2 * np.pi)) - pt.sum(resid**2, axis=-1) / (
        2 * sigma**2
    )


def centred_zero_sum_normal(name: str, mu, sigma, *, size: int):
    """Vector ``v ~ Normal(mu, sigma)`` constrained to sum to zero, sampled in its own coordinates.

    ``mu`` must itself sum to zero (e.g. covariates centred within the group times their
    coefficients). This is the *centred* form of ``mu + ZeroSumNormal(sigma)``: the sampler moves
    ``v`` (through PyMC's zero-sum transform), and ``mu``'s coefficients are a regression on it,
    which mixes better when the data determine each ``v_i`` well (Papaspiliopoulos, Roberts &
    Skold 2007, doi:10.1214/088342307000000014). Forward sampling (prior predictive) draws
    ``mu + ZeroSumNormal(sigma)``.
    """
    import pymc as pm
    from pymc.distributions.transforms import ZeroSumTransform

    def dist(mu_, sigma_, size_):
        return mu_ + pm.ZeroSumNormal.dist(sigma=sigma_, shape=(size,))

    return pm.CustomDist(
        name,
        mu,
        sigma,
        dist=dist,
        logp=_zero_sum_normal_logp,
        signature="(n),()->(n)",
        transform=ZeroSumTransform([-1]),
        shape=(size,),
    )
