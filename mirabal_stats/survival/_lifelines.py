"""The one adapter over lifelines: Cox partial likelihood, parametric AFT fits and the PH test.

Only this module imports lifelines, so a lifelines upgrade touches one file. Every fitter wrapped
here is checked against R in tests/survival/test_golden_rossi.py. What we do *not* take from
lifelines, and why:

* robust (sandwich) SEs: lifelines ignores Efron ties in the score residuals; see ``robust.py``;
* ``KaplanMeierFitter.fit_interval_censoring``: on grouped Rossi data it does not reproduce the
  Turnbull NPMLE of R's ``survfit`` (e.g. S(40) = 0.817 vs 0.773 for fin = 0); see ``turnbull.py``;
* the spline Cox model for interval-censored data: it failed to converge with lower bounds of 0
  and returned a zero coefficient with 3+ knots on simulated wave data, so it is not offered.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, LogLogisticAFTFitter, WeibullAFTFitter
from lifelines.exceptions import ConvergenceError
from lifelines.exceptions import ConvergenceWarning as LifelinesConvergenceWarning
from lifelines.statistics import proportional_hazard_test

from mirabal_stats.exceptions import ConvergenceWarning

__all__ = ["fit_cox", "fit_aft", "ph_test", "AFT_FITTERS"]

AFT_FITTERS = {"weibull": WeibullAFTFitter, "loglogistic": LogLogisticAFTFitter}

# lifelines fits the log-logistic AFT with SLSQP, which stops ~1e-4 (log-lik) short of R's optimum
# on Rossi, leaving the fin coefficient off in the third digit. L-BFGS-B with tight tolerances
# (the minimiser switch lifelines itself suggests in its convergence message) reaches survreg's
# optimum for every model checked in the golden tests.
_SCIPY_METHOD = "L-BFGS-B"
_FIT_OPTIONS = {"ftol": 1e-14, "gtol": 1e-10, "maxiter": 5000}


def _quiet_fit(fitter, method: str, *args, **kwargs):
    """Call ``fitter.method``; turn lifelines' convergence problems into our warning or error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            getattr(fitter, method)(*args, **kwargs)
        except ConvergenceError as err:
            first = next((line.strip() for line in str(err).splitlines() if line.strip()), "")
            raise ConvergenceError(
                f"lifelines {type(fitter).__name__} did not converge ({first}). "
                "Check for a covariate that perfectly predicts the event or a group with no events."
            ) from err
    for w in caught:
        # lifelines warns that naive SEs are biased with weights: we replace them by robust SEs.
        if "robust=True" in str(w.message) or "weights are not integers" in str(w.message):
            continue
        if (
            issubclass(w.category, LifelinesConvergenceWarning)
            or "converge" in str(w.message).lower()
        ):
            warnings.warn(
                f"{type(fitter).__name__}: {str(w.message).splitlines()[0]}",
                ConvergenceWarning,
                stacklevel=4,
            )
    return fitter


def fit_cox(frame: pd.DataFrame, *, duration: str, event: str, weights: str | None):
    """Cox model with Efron ties on every column of ``frame`` other than duration/event/weights."""
    fitter = CoxPHFitter(penalizer=0.0)
    return _quiet_fit(
        fitter,
        "fit",
        frame,
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
    """Weibull or log-logistic AFT model, right- or interval-censored (lower may be 0)."""

    def attempt(tight: bool):
        fitter = AFT_FITTERS[distribution]()
        if tight:
            fitter._scipy_fit_method = _SCIPY_METHOD
        options = _FIT_OPTIONS if tight else None
        if lower is not None:
            return _quiet_fit(
                fitter,
                "fit_interval_censoring",
                frame,
                lower_bound_col=lower,
                upper_bound_col=upper,
                weights_col=weights,
                fit_options=options,
            )
        return _quiet_fit(
            fitter,
            "fit",
            frame,
            duration_col=duration,
            event_col=event,
            weights_col=weights,
            fit_options=options,
        )

    try:
        return attempt(tight=True)
    except ConvergenceError:
        # L-BFGS-B's line search can stop "ABNORMAL" at an optimum already reached (gradient
        # ~1e-9) under these tolerances; lifelines' default minimiser then finishes the job.
        return attempt(tight=False)


def ph_test(fitter, frame: pd.DataFrame) -> pd.DataFrame:
    """Scaled-Schoenfeld-residual test per term (Grambsch & Therneau 1994), KM time transform.

    This is the approximation R's ``cox.zph`` used before survival 3.0; R >= 3.0 uses an exact
    score test, so p-values differ (on Rossi, age: 0.0009 here vs 0.015 in R 3.5.3; wexp: 0.006 vs
    0.040; both flag the same two terms at 0.05).
    """
    with warnings.catch_warnings():
        # lifelines' KM time transform warns about non-integer weights; our SEs do not use it.
        warnings.filterwarnings("ignore", message=".*weights are not integers.*")
        result = proportional_hazard_test(fitter, frame, time_transform="km")
    out = result.summary[["test_statistic", "p"]].rename(columns={"p": "p_value"})
    out.index = [i[0] if isinstance(i, tuple) else i for i in out.index]
    return out


def aft_params(fitter) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """AFT coefficients on R's ``survreg`` scale: location terms and ``log(scale)``.

    lifelines parameterises the shape as ``rho = 1/scale`` and models ``log(rho)``; R reports
    ``log(scale) = -log(rho)``. The delta method for this sign flip leaves SEs unchanged.
    """
    primary, ancillary = fitter._primary_parameter_name, fitter._ancillary_parameter_name
    params, ses = fitter.params_, fitter.standard_errors_
    loc = params.loc[primary]
    loc_se = ses.loc[primary]
    anc = params.loc[ancillary]
    if list(anc.index) != ["Intercept"]:
        raise NotImplementedError("only a constant shape (no ancillary covariates) is supported.")
    est = pd.concat([loc, pd.Series({"log(scale)": -anc["Intercept"]})])
    se = pd.concat([loc_se, pd.Series({"log(scale)": ses.loc[ancillary]["Intercept"]})])
    cov = fitter.variance_matrix_.copy()
    return est, se, cov


def is_finite_fit(fitter) -> bool:
    return bool(np.all(np.isfinite(fitter.params_.to_numpy())))
