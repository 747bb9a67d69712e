"""Effects from aggregate counts (events / n per arm), as most published trials report them.

Pure functions over statsmodels' and scipy's interval methods, so a published table can be
reproduced in one call and a published interval can be turned back into a standard error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import odds_ratio as scipy_odds_ratio
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from mirabal_stats._results import check_ci_level
from mirabal_stats.exceptions import EstimabilityWarning, SpecificationError

__all__ = ["effects_from_counts", "se_from_interval"]

_RATIO_METHODS = {"katz": "log", "score": "score"}  # risk ratio
_DIFF_METHODS = {
    "newcombe": "newcomb",
    "wald": "wald",
    "score": "score",
}  # risk difference (Wilson-based)
_ODDS_METHODS = {"woolf": "logit", "exact": "exact", "score": "score"}


def _check_counts(events: int, n: int, arm: str) -> None:
    try:
        whole = float(events).is_integer() and float(n).is_integer()
    except (TypeError, ValueError):
        whole = False
    if isinstance(events, bool) or isinstance(n, bool) or not whole:
        raise SpecificationError(f"{arm}: events ({events!r}) and n ({n!r}) must be whole numbers.")
    if n <= 0 or events < 0 or events > n:
        raise SpecificationError(
            f"{arm}: need 0 <= events <= n and n > 0, got events={events}, n={n}."
        )


def _exact_or_interval(cells: np.ndarray, level: float) -> tuple[float, float]:
    ci = scipy_odds_ratio(cells, kind="conditional").confidence_interval(confidence_level=level)
    return ci.low, ci.high


def _interval(compute, /, *args, **kwargs) -> tuple[float, float]:
    """An interval from statsmodels / scipy; (NaN, NaN) where the method is undefined on these
    counts (e.g. Katz's log interval with 0 events in an arm: the caller has warned)."""
    try:
        with np.errstate(all="ignore"):
            lo, hi = compute(*args, **kwargs)
    except (ZeroDivisionError, ValueError, FloatingPointError):
        return np.nan, np.nan
    return float(lo), float(hi)


def effects_from_counts(
    events_treated: int,
    n_treated: int,
    events_control: int,
    n_control: int,
    *,
    ci_level: float = 0.95,
    proportion_method: str = "wilson",
    ratio_method: str = "katz",
    difference_method: str = "newcombe",
    odds_method: str = "exact",
) -> pd.DataFrame:
    """Risk in each arm, risk ratio, risk difference and odds ratio from aggregate counts.

    Parameters
    ----------
    events_treated, n_treated, events_control, n_control : int
        Number with the event and number randomised (or analysed) per arm.
    proportion_method : {"wilson", "beta" (Clopper-Pearson exact), ...}
        Interval for each arm's risk (any method of ``statsmodels.stats.proportion.proportion_confint``).
    ratio_method : {"katz", "score"}
        Risk-ratio interval: Katz log method (Katz et al. 1978) or Koopman score.
    difference_method : {"newcombe", "wald", "score"}
        Risk-difference interval: Newcombe's hybrid of Wilson intervals (Newcombe 1998, method 10),
        Wald, or Miettinen-Nurminen score.
    odds_method : {"exact", "woolf", "score"}
        Odds-ratio interval: exact conditional (Fisher), Woolf's logit, or score.

    Returns
    -------
    pandas.DataFrame
        Rows ``risk_treated, risk_control, risk_ratio, risk_difference, odds_ratio``; columns
        ``estimate, std_error, lower, upper, ci_level, method``. ``std_error`` is on the log scale
        for the ratios (that is the scale of their Wald intervals) and NaN for the exact odds ratio
        interval, whose estimate is the sample (unconditional) odds ratio.

    References
    ----------
    Katz, D., Baptista, J., Azen, S.P. & Pike, M.C. (1978). Obtaining confidence intervals for the
    risk ratio in cohort studies. Biometrics 34:469-474. doi:10.2307/2530610
    Newcombe, R.G. (1998). Interval estimation for the difference between independent
    proportions. Stat Med 17:873-890. doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I
    Wilson, E.B. (1927). Probable inference. JASA 22:209-212. doi:10.1080/01621459.1927.10502953

    Examples
    --------
    >>> from mirabal_stats.survival import effects_from_counts
    >>> table = effects_from_counts(48, 216, 66, 216)   # Rossi: arrests by week 52, fin vs not
    >>> round(float(table.loc["risk_ratio", "estimate"]), 3)
    0.727
    """
    level = check_ci_level(ci_level)
    _check_counts(events_treated, n_treated, "treated arm")
    _check_counts(events_control, n_control, "control arm")
    for name, value, allowed in (
        ("ratio_method", ratio_method, _RATIO_METHODS),
        ("difference_method", difference_method, _DIFF_METHODS),
        ("odds_method", odds_method, _ODDS_METHODS),
    ):
        if value not in allowed:
            raise SpecificationError(f"{name} must be one of {sorted(allowed)}, got {value!r}.")
    alpha = 1 - level
    x1, n1, x0, n0 = int(events_treated), int(n_treated), int(events_control), int(n_control)
    p1, p0 = x1 / n1, x0 / n0
    cells = np.array([[x1, n1 - x1], [x0, n0 - x0]], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sample_or = (cells[0, 0] * cells[1, 1]) / (cells[0, 1] * cells[1, 0])
        se_log_or = np.sqrt((1 / cells).sum())
    if (cells == 0).any():
        undefined = "the odds ratio" if x1 and x0 else "the risk ratio and the odds ratio"
        empty = "no events" if x1 == 0 or x0 == 0 else "an event for everyone"
        warnings.warn(
            f"an arm has {empty} (treated {x1}/{n1}, control {x0}/{n0}), so {undefined} is 0, "
            "infinite or undefined on the log scale: its standard error (and Katz / Woolf "
            "interval) is NaN or infinite. The risks, their difference and the exact odds-ratio "
            "interval remain valid.",
            EstimabilityWarning,
            stacklevel=2,
        )
    rows = {}
    for label, x, n, p in (("risk_treated", x1, n1, p1), ("risk_control", x0, n0, p0)):
        lo, hi = proportion_confint(x, n, alpha=alpha, method=proportion_method)
        rows[label] = (p, np.sqrt(p * (1 - p) / n), lo, hi, proportion_method)
    with np.errstate(divide="ignore"):
        se_log_rr = np.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0) if x1 and x0 else np.nan
    lo, hi = _interval(
        confint_proportions_2indep,
        x1,
        n1,
        x0,
        n0,
        method=_RATIO_METHODS[ratio_method],
        compare="ratio",
        alpha=alpha,
    )
    rows["risk_ratio"] = (p1 / p0 if p0 else np.nan, se_log_rr, lo, hi, ratio_method)
    lo, hi = _interval(
        confint_proportions_2indep,
        x1,
        n1,
        x0,
        n0,
        method=_DIFF_METHODS[difference_method],
        compare="diff",
        alpha=alpha,
    )
    rows["risk_difference"] = (
        p1 - p0,
        np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0),
        lo,
        hi,
        difference_method,
    )
    if odds_method == "exact":
        lo, hi = _interval(_exact_or_interval, cells.astype(int), level)
        rows["odds_ratio"] = (sample_or, np.nan, lo, hi, "exact")
    else:
        lo, hi = _interval(
            confint_proportions_2indep,
            x1,
            n1,
            x0,
            n0,
            method=_ODDS_METHODS[odds_method],
            compare="odds-ratio",
            alpha=alpha,
        )
        rows["odds_ratio"] = (sample_or, se_log_or, lo, hi, odds_method)
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["estimate", "std_error", "lower", "upper", "method"]
    )
    table.insert(4, "ci_level", level)
    return table


def se_from_interval(
    lower: float, upper: float, *, ci_level: float = 0.95, log: bool = True
) -> pd.Series:
    """Back out the estimate, standard error and p-value from a published symmetric interval.

    For a ratio (``log=True``) the interval is symmetric on the log scale, so
    ``SE = (ln upper - ln lower) / (2 z)`` (= /3.92 at 95%) and the point estimate is the geometric
    midpoint (Altman & Bland 2011). Comparing the midpoint with the published estimate checks the
    round trip: a mismatch beyond rounding means the interval was not a Wald interval.

    Returns
    -------
    pandas.Series
        ``estimate`` (ratio or natural scale), ``std_error`` (log scale when ``log``), ``z``,
        ``p_value``.

    References
    ----------
    Altman, D.G. & Bland, J.M. (2011). How to obtain the P value from a confidence interval. BMJ
    343:d2304. doi:10.1136/bmj.d2304

    Examples
    --------
    >>> round(float(se_from_interval(0.49, 1.28)["std_error"]), 4)   # Campbell review, official reports
    0.245
    """
    level = check_ci_level(ci_level)
    try:
        lower, upper = float(lower), float(upper)
    except (TypeError, ValueError):
        lower = upper = np.nan
    if not (np.isfinite(lower) and np.isfinite(upper)) or not lower < upper or (log and lower <= 0):
        raise SpecificationError(
            "need finite bounds with 0 < lower < upper for a ratio interval (lower < upper "
            f"otherwise); got {lower}, {upper}."
        )
    z = stats.norm.ppf(0.5 + level / 2)
    lo, hi = (np.log(lower), np.log(upper)) if log else (lower, upper)
    se = (hi - lo) / (2 * z)
    mid = (hi + lo) / 2
    return pd.Series(
        {
            "estimate": np.exp(mid) if log else mid,
            "std_error": se,
            "z": mid / se,
            "p_value": 2 * stats.norm.sf(abs(mid / se)),
        }
    )
