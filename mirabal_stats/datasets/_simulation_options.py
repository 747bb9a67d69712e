"""Helpers of :func:`~mirabal_stats.datasets.simulate_mirabal`: checking the design keywords,
turning retention shares into dropout hazards, and the completion process with its truth.

Kept apart from the generating model in :mod:`mirabal_stats.datasets.simulate` so that each
module has one job; nothing here is public.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import expit

from mirabal_stats.exceptions import SpecificationError


def _completion_probability(u: np.ndarray, rate: float, severity: float) -> np.ndarray:
    """P(would complete if referred): ``expit(c - severity * standardised u)``, with ``c``
    solved so that the sample mean is ``rate``."""
    z = (u - u.mean()) / u.std() if u.std() > 0 else np.zeros_like(u)
    shift = optimize.brentq(
        lambda c: float(expit(c - severity * z).mean()) - rate, -60.0, 60.0, xtol=1e-12
    )
    return expit(shift - severity * z)


def _completion_truth(eta0, programme, b, g, complier, exposed, p_complete, persons, measures):
    """Complier effects and the expected bias of the naive completer comparison on the
    beneficial change score (pp): post-wave mean minus baseline, sign-flipped for harmful
    indicators."""
    p0 = expit(eta0)  # (n, K, T) without the programme
    p1 = expit(eta0 + programme)  # everyone as if they had completed
    b_ = b[None, :]
    gain = 100.0 * b_ * (p1[:, :, 1:] - p0[:, :, 1:]).mean(axis=2)  # (n, K)
    change0 = 100.0 * b_ * (p0[:, :, 1:].mean(axis=2) - p0[:, :, 0])  # expected Y(0)
    referred_compliers = complier & (g == 1)
    table = pd.DataFrame(
        {
            "measure": measures,
            "complier_pp": gain[complier].mean(axis=0),
            "naive_bias_pp": change0[referred_compliers].mean(axis=0)
            - change0[g == 0].mean(axis=0),
        },
        index=measures.index,
    )
    by_measure = table.groupby("measure", sort=False)[["complier_pp", "naive_bias_pp"]].mean()
    index = pd.Index(persons, name="person")
    return {
        "completion": pd.DataFrame(
            {"complier": complier, "completed": exposed, "p_complete": p_complete}, index=index
        ),
        "complier_effects": table,
        "complier_effect": {
            "overall": {
                "complier_pp": float(table["complier_pp"].mean()),
                "naive_bias_pp": float(table["naive_bias_pp"].mean()),
            },
            "measure": by_measure,
        },
    }


def _finite(value: object) -> bool:
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and bool(np.isfinite(value))
    )


def _per_indicator(name: str, value: object, codes: list[str]) -> tuple[float, ...]:
    """One finite number per indicator from a number or a dict that names every indicator."""
    if _finite(value):
        return tuple(float(value) for _ in codes)
    if not isinstance(value, dict):
        raise SpecificationError(
            f"{name} must be a number (the same effect for every indicator) or a dict with one "
            f"number per indicator, got {value!r}; e.g. {name}=10."
        )
    unknown = [k for k in value if k not in codes]
    missing = [k for k in codes if k not in value]
    if unknown or missing:
        raise SpecificationError(
            f"{name} must give one number for every indicator of the design: "
            + (f"unknown codes {unknown}" if unknown else "")
            + ("; " if unknown and missing else "")
            + (f"missing {missing}" if missing else "")
            + ". Pass a single number to give every indicator the same effect."
        )
    bad = {k: v for k, v in value.items() if not _finite(v)}
    if bad:
        raise SpecificationError(f"{name} values must be finite numbers, got {bad}.")
    return tuple(float(value[k]) for k in codes)


def _design_options(
    *,
    codes: list[str],
    n_waves: int,
    attrition: str,
    profile: np.ndarray,
    baseline_pct,
    effect_pp,
    effect_log_odds,
    comparison_change,
    covariate_effects,
    confounding,
    retention,
) -> tuple[tuple, np.ndarray | None]:
    """Check the design keywords; return those that differ from the defaults (the calibration
    cache key, as sorted pairs) and the per-wave dropout hazards asked for by ``retention``."""
    options: dict = {}
    for name, value, default, minimum in (
        ("comparison_change", comparison_change, 0.4, None),
        ("covariate_effects", covariate_effects, 1.0, 0.0),
        ("confounding", confounding, 1.0, None),
    ):
        if not _finite(value) or (minimum is not None and value < minimum):
            rule = "a finite number" + ("" if minimum is None else f" >= {minimum:g}")
            raise SpecificationError(
                f"{name} must be {rule}, got {value!r}; e.g. {name}={default} (the default)."
            )
        if float(value) != default:
            options[name] = float(value)
    if baseline_pct is not None:
        if not isinstance(baseline_pct, dict):
            raise SpecificationError(
                "baseline_pct must be a dict {indicator: % answering 'yes' at baseline}, got "
                f"{baseline_pct!r}; e.g. baseline_pct={{'slapped_pushed': 40}}."
            )
        unknown = [k for k in baseline_pct if k not in codes]
        if unknown:
            raise SpecificationError(
                f"baseline_pct names indicators that are not in the design: {unknown}; "
                f"the design has {codes[:5]}{' ...' if len(codes) > 5 else ''}."
            )
        bad = {k: v for k, v in baseline_pct.items() if not (_finite(v) and 0 < v < 100)}
        if bad:
            raise SpecificationError(
                f"baseline_pct values must be percentages strictly between 0 and 100, got {bad}."
            )
        if baseline_pct:
            options["baseline_pct"] = tuple(sorted((k, float(v)) for k, v in baseline_pct.items()))
    if effect_pp is not None and effect_log_odds is not None:
        raise SpecificationError(
            "Give the programme effect either in percentage points (effect_pp) or on the "
            "log-odds scale (effect_log_odds), not both."
        )
    if effect_pp is not None:
        options["effect_pp"] = _per_indicator("effect_pp", effect_pp, codes)
        options["profile"] = tuple(float(v) for v in profile)
    if effect_log_odds is not None:
        options["effect_log_odds"] = _per_indicator("effect_log_odds", effect_log_odds, codes)
    hazards = None
    if retention is not None:
        hazards = _retention_hazards(retention, n_waves, attrition)
    return tuple(sorted(options.items())), hazards


def _retention_hazards(retention, n_waves: int, attrition: str) -> np.ndarray:
    if attrition == "none":
        raise SpecificationError(
            "retention sets the dropout of each wave but attrition='none' has no dropout; use "
            "attrition='mcar', 'mar' or 'mnar' with retention."
        )
    try:
        r = np.asarray(retention, dtype=float)
    except (TypeError, ValueError):
        r = np.array([np.nan])
    if (
        r.shape != (n_waves,)
        or not np.all(np.isfinite(r))
        or np.any(r <= 0)
        or np.any(r > 1)
        or np.any(np.diff(r) > 0)
        or r[0] != 1
        or r[1] != 1
    ):
        raise SpecificationError(
            f"retention needs {n_waves} shares of persons still answering, one per wave, "
            "non-increasing, greater than 0 and at most 1, the first two equal to 1 (the first "
            f"survey covers the first two time points), got {retention!r}; e.g. "
            f"{[1, 1] + [round(1 - 0.1 * i, 2) for i in range(1, n_waves - 1)]}."
        )
    hazards = np.zeros(n_waves)
    hazards[2:] = 1.0 - r[2:] / r[1:-1]
    return hazards


def _shift_to_hazard(logit_h, alive: np.ndarray, hazard: float) -> np.ndarray:
    """Shift the dropout log-odds of a wave so that the persons still answering drop out with
    mean probability ``hazard`` (the covariate and MNAR terms keep their effects)."""
    z = np.broadcast_to(np.asarray(logit_h, dtype=float), alive.shape)
    if hazard <= 0.0:
        return np.full(alive.shape, -np.inf)
    if not alive.any():
        return z
    at_risk = z[alive]
    shift = optimize.brentq(
        lambda c: float(expit(at_risk + c).mean()) - hazard, -60.0, 60.0, xtol=1e-12
    )
    return z + shift
