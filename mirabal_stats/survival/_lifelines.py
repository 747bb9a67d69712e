"""The one adapter over lifelines: Cox partial likelihood, parametric AFT fits and the PH test.

Only this module imports lifelines, so a lifelines upgrade touches one file. Every fitter wrapped
here is checked against R in tests/survival/test_golden_rossi.py. What we do *not* take from
lifelines, and why:

* robust (sandwich) SEs: lifelines ignores Efron ties in the score residuals; see ``robust.py``;
* ``KaplanMeierFitter.fit_interval_censoring``: on grouped Rossi data it does not reproduce the
  Turnbull NPMLE of R's ``survfit`` (e.g. S(40) = 0.817 vs 0.773 for fin = 0); see ``turnbull.py``;
* the spline Cox model for interval-censored data: it failed to converge with lower bounds of 0
  and returned a zero coefficient with 3+ knots on simulated wave data, so it is not offered.

Errors and warnings. Every function here either returns a fitted lifelines object or raises
:class:`~mirabal_stats.exceptions.EstimationError` (``from`` lifelines' ``ConvergenceError``, or
the numpy / scipy / pandas error that escaped lifelines), naming the model and what the data
need; the caller decides whether the rest of the analysis stands without that model. lifelines'
warnings are filtered here: its ``ConvergenceWarning`` (separation, a Newton-Raphson that did not
converge) is re-issued as our :class:`~mirabal_stats.exceptions.ConvergenceWarning`; its notes
that naive SEs are biased with non-integer weights are dropped (we report robust SEs); numerical
warnings raised inside the optimiser (overflow in a trial step) are dropped: a fit that really
failed raises.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, LogLogisticAFTFitter, WeibullAFTFitter
from lifelines.exceptions import ConvergenceError
from lifelines.exceptions import ConvergenceWarning as LifelinesConvergenceWarning
from lifelines.statistics import proportional_hazard_test

from mirabal_stats.exceptions import ConvergenceWarning, EstimationError

__all__ = ["fit_cox", "fit_aft", "ph_test", "aft_params", "concordance", "AFT_FITTERS"]

AFT_FITTERS = {"weibull": WeibullAFTFitter, "loglogistic": LogLogisticAFTFitter}

# lifelines fits the log-logistic AFT with SLSQP, which stops ~1e-4 (log-lik) short of R's optimum
# on Rossi, leaving the fin coefficient off in the third digit. L-BFGS-B with tight tolerances
# (the minimiser switch lifelines itself suggests in its convergence message) reaches survreg's
# optimum for every model checked in the golden tests.
_SCIPY_METHOD = "L-BFGS-B"
_FIT_OPTIONS = {"ftol": 1e-14, "gtol": 1e-10, "maxiter": 5000}

# Exceptions that numpy, scipy and pandas raise from inside a lifelines fit on degenerate data
# (singular information matrix, NaN steps, empty risk sets).
_NUMERIC_ERRORS = (
    np.linalg.LinAlgError,
    FloatingPointError,
    ZeroDivisionError,
    OverflowError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
)

# lifelines notes that we deliberately drop (see the module docstring).
_DROPPED = ("weights are not integers", "robust=True")


def _first_line(err: BaseException) -> str:
    return next(
        (line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__
    )


def user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside mirabal_stats."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    level, frame = 1, sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _reissue(caught, name: str) -> None:
    """Re-issue lifelines' convergence warnings as ours; drop the rest (module docstring)."""
    seen = set()
    for w in caught:
        text = str(w.message)
        if any(d in text for d in _DROPPED):
            continue
        if issubclass(w.category, LifelinesConvergenceWarning) or "converge" in text.lower():
            first = _first_line(w.message)
            if first in seen:
                continue
            seen.add(first)
            warnings.warn(
                f"{name}: {first} The estimates may be unreliable: check for a covariate that "
                "(almost) perfectly predicts the event, collinear covariates, or a group with "
                "very few events.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )


def _run(fitter, method: str, *, name: str, **kwargs):
    """Call ``fitter.method(**kwargs)``; lifelines' failures become :class:`EstimationError`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with np.errstate(all="ignore"):
                getattr(fitter, method)(**kwargs)
        except ConvergenceError as err:
            raise EstimationError(
                f"the {name} did not converge (lifelines: {_first_line(err)}). This happens with "
                "a covariate that perfectly predicts the event, collinear covariates, or a group "
                "with no or very few events: remove or combine such covariates."
            ) from err
        except _NUMERIC_ERRORS as err:
            raise EstimationError(
                f"the {name} could not be fitted to these data ({type(err).__name__} inside "
                f"lifelines: {_first_line(err)}). Check for collinear or near-constant "
                "covariates and for groups with very few events."
            ) from err
    params = fitter.params_.to_numpy(dtype=float)
    if not np.isfinite(params).all():
        raise EstimationError(
            f"the {name} returned non-finite coefficients: the likelihood has no finite maximum "
            "on these data (e.g. a covariate or group that perfectly predicts the event)."
        )
    variances = np.diag(fitter.variance_matrix_.to_numpy(dtype=float))
    singular = any("Hessian was not invertible" in str(w.message) for w in caught)
    if singular or not (np.isfinite(variances) & (variances >= 0)).all():
        raise EstimationError(
            f"the {name} has a singular information matrix at its optimum, so its standard "
            "errors are undefined: too few persons or events for the number of terms, or "
            "collinear covariates."
        )
    _reissue(caught, name)
    return fitter


def concordance(fitter) -> float:
    """Harrell's concordance of a fitted Cox model; NaN when no pair of persons is comparable
    (lifelines raises ZeroDivisionError then)."""
    try:
        with np.errstate(all="ignore"):
            return float(fitter.concordance_index_)
    except ZeroDivisionError:
        return float("nan")


def fit_cox(frame: pd.DataFrame, *, duration: str, event: str, weights: str | None):
    """Cox model with Efron ties on every column of ``frame`` other than duration/event/weights.

    Raises
    ------
    EstimationError
        lifelines could not fit the model (non-convergence, singular information matrix).
    """
    return _run(
        CoxPHFitter(penalizer=0.0),
        "fit",
        name="Cox model",
        df=frame,
        duration_col=duration,
        event_col=event,
        weights_col=weights,
        fit_options={"precision": 1e-10, "max_steps": 100},
    )


def fit_aft(
    frame: pd.DataFrame,
    *,
    distribution: str,
    duration: str | None = None,
    event: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    weights: str | None = None,
):
    """Weibull or log-logistic AFT model, right- or interval-censored (lower may be 0).

    Raises
    ------
    EstimationError
        Neither minimiser could fit the model.
    """
    name = f"{distribution} AFT model"

    def attempt(tight: bool):
        fitter = AFT_FITTERS[distribution]()
        if tight:
            fitter._scipy_fit_method = _SCIPY_METHOD
        options = _FIT_OPTIONS if tight else None
        if lower is not None:
            return _run(
                fitter,
                "fit_interval_censoring",
                name=name,
                df=frame,
                lower_bound_col=lower,
                upper_bound_col=upper,
                weights_col=weights,
                fit_options=options,
            )
        return _run(
            fitter,
            "fit",
            name=name,
            df=frame,
            duration_col=duration,
            event_col=event,
            weights_col=weights,
            fit_options=options,
        )

    try:
        return attempt(tight=True)
    except EstimationError:
        # L-BFGS-B's line search can stop "ABNORMAL" at an optimum already reached (gradient
        # ~1e-9) under these tolerances; lifelines' default minimiser then finishes the job.
        return attempt(tight=False)


def ph_test(fitter, frame: pd.DataFrame) -> pd.DataFrame:
    """Scaled-Schoenfeld-residual test per term (Grambsch & Therneau 1994), KM time transform.

    This is the approximation R's ``cox.zph`` used before survival 3.0; R >= 3.0 uses an exact
    score test, so p-values differ (on Rossi, age: 0.0009 here vs 0.015 in R 3.5.3; wexp: 0.006 vs
    0.040; both flag the same two terms at 0.05).

    Raises
    ------
    EstimationError
        The residuals could not be computed (e.g. too few events).
    """
    with warnings.catch_warnings():
        # lifelines' KM time transform warns about non-integer weights; our SEs do not use it.
        warnings.simplefilter("ignore")
        try:
            with np.errstate(all="ignore"):
                result = proportional_hazard_test(fitter, frame, time_transform="km")
        except _NUMERIC_ERRORS as err:
            raise EstimationError(
                f"the proportional-hazards test could not be computed ({type(err).__name__} "
                f"inside lifelines: {_first_line(err)})."
            ) from err
    out = result.summary[["test_statistic", "p"]].rename(columns={"p": "p_value"})
    out.index = [i[0] if isinstance(i, tuple) else i for i in out.index]
    return out


def aft_params(fitter) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """AFT coefficients on R's ``survreg`` scale: location terms and ``log(scale)``.

    lifelines parameterises the shape as ``rho = 1/scale`` and models ``log(rho)``; R reports
    ``log(scale) = -log(rho)``. The delta method for this sign flip leaves SEs unchanged and flips
    the sign of every covariance with ``log(scale)``. Returns estimates, SEs and the covariance,
    indexed by term (``Intercept`` and ``log(scale)`` included).
    """
    primary, ancillary = fitter._primary_parameter_name, fitter._ancillary_parameter_name
    params, ses = fitter.params_, fitter.standard_errors_
    loc = params.loc[primary]
    anc = params.loc[ancillary]
    if list(anc.index) != ["Intercept"]:
        raise EstimationError(
            "only a constant shape (no covariates on the ancillary parameter) is supported."
        )
    est = pd.concat([loc, pd.Series({"log(scale)": -anc["Intercept"]})])
    se = pd.concat([ses.loc[primary], pd.Series({"log(scale)": ses.loc[ancillary]["Intercept"]})])
    keys = [(primary, t) for t in loc.index] + [(ancillary, "Intercept")]
    cov = fitter.variance_matrix_.loc[keys, keys].to_numpy().copy()
    flip = np.ones(len(keys))
    flip[-1] = -1.0
    cov = cov * np.outer(flip, flip)
    names = list(est.index)
    return est, se, pd.DataFrame(cov, index=names, columns=names)
