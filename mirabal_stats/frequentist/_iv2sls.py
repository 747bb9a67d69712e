"""Adapter over linearmodels ``IV2SLS``: the only module of the library that imports it.

It fits (weighted) least squares or two-stage least squares on one row per person and returns
the coefficients with their person-clustered covariance in plain numpy/pandas, so that an upgrade
of linearmodels touches this file only (``_panelols.py`` is the adapter over ``PanelOLS``).

Small-sample correction (the same choice as the panel estimators): the clustered "meat" is scaled
by ``G / (G - 1) * (N - 1) / (N - K)``, with ``G`` clusters (persons), ``N`` rows and ``K``
regressors: linearmodels' ``cov_type="clustered", debiased=True``. With one row per person this
is the heteroskedasticity-robust (HC1-type) covariance.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from linearmodels.iv import IV2SLS

from mirabal_stats.exceptions import EstimationError

__all__ = ["IVFit", "fit_iv2sls"]


@dataclass(frozen=True)
class IVFit:
    """Coefficients and person-clustered covariance of one (two-stage) least-squares fit."""

    params: pd.Series
    cov: pd.DataFrame
    n_obs: int


def fit_iv2sls(
    y: np.ndarray,
    exog: pd.DataFrame,
    *,
    cluster: np.ndarray,
    endog: pd.DataFrame | None = None,
    instruments: pd.DataFrame | None = None,
    weights: np.ndarray | None = None,
) -> IVFit:
    """Fit ``y ~ exog [+ endog instrumented by instruments]`` with clustered covariance.

    Parameters
    ----------
    y : array, shape (n,)
        Outcome.
    exog : DataFrame, shape (n, k)
        Exogenous regressors, including the constant.
    cluster : integer array, shape (n,)
        Cluster codes (persons).
    endog, instruments : DataFrame, optional
        Endogenous regressors and their excluded instruments (both or neither): two-stage least
        squares. Without them, (weighted) least squares.
    weights : array, shape (n,), optional
        Positive weights (linearmodels' WLS / weighted 2SLS).
    """
    n_clusters = int(np.unique(np.asarray(cluster)).size)
    if n_clusters < 2:
        raise EstimationError(
            f"the regression has {n_clusters} person(s); person-clustered standard errors need "
            "at least two persons (in practice 30 or more)."
        )
    index = pd.RangeIndex(len(y))
    try:
        model = IV2SLS(
            pd.Series(np.asarray(y, dtype=float), index=index, name="y"),
            exog.set_axis(index).astype(float),
            None if endog is None else endog.set_axis(index).astype(float),
            None if instruments is None else instruments.set_axis(index).astype(float),
            weights=None if weights is None else pd.Series(np.asarray(weights, float), index=index),
        )
        with warnings.catch_warnings():
            # Rank and instrument checks are made with our messages before the fit.
            warnings.simplefilter("ignore")
            result = model.fit(
                cov_type="clustered",
                clusters=pd.Series(np.asarray(cluster), index=index),
                debiased=True,
            )
    except (ValueError, TypeError, IndexError, np.linalg.LinAlgError) as err:
        raise EstimationError(
            f"the least-squares fit could not be computed on these persons "
            f"({type(err).__name__}: {err}). Check that both groups have persons with an "
            "outcome, that someone in the intervention group completed, and that no covariate "
            "is constant or a copy of another (or of the group or completion column)."
        ) from err
    params = pd.Series(np.asarray(result.params, dtype=float), index=list(result.params.index))
    cov = pd.DataFrame(
        np.asarray(result.cov, dtype=float), index=params.index, columns=params.index
    )
    if not np.all(np.isfinite(params)):
        raise EstimationError(
            "the least-squares fit gave non-finite estimates: a covariate is constant or "
            "collinear with the group or completion."
        )
    return IVFit(params=params, cov=cov, n_obs=int(result.nobs))
