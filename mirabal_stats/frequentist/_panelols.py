"""Adapter over linearmodels ``PanelOLS``: the only module of the library that imports it.

It fits a linear model with absorbed fixed effects by weighted least squares and returns the
coefficients with their person-clustered covariance, in plain numpy/pandas, so that an upgrade of
linearmodels touches this file only.

Small-sample correction (one choice, used everywhere and reproduced by the tests): the clustered
"meat" is scaled by ``G / (G - 1) * (N - 1) / (N - K)`` where ``G`` is the number of clusters,
``N`` the number of observations and ``K`` the number of *reported* regressors. The absorbed
effects are not counted: the person (or person x indicator) effects are nested in the person
clusters, and counting them would inflate the variance by about ``T / (T - 1)`` for no reason
(Cameron & Miller 2015, section IIIB). This is linearmodels' ``debiased=True, group_debias=True,
auto_df=False, count_effects=False``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from linearmodels.panel import PanelOLS
from linearmodels.panel.utility import AbsorbingEffectError

from mirabal_stats.exceptions import EstimationError

__all__ = ["OLSFit", "fit_panel_ols"]


@dataclass(frozen=True)
class OLSFit:
    """Coefficients and clustered covariance of one absorbed-effects regression."""

    params: pd.Series
    cov: pd.DataFrame
    n_obs: int
    n_clusters: int


def fit_panel_ols(
    y: np.ndarray,
    x: pd.DataFrame,
    *,
    entity: np.ndarray,
    time: np.ndarray,
    cluster: np.ndarray,
    weights: np.ndarray | None = None,
    other_effect: np.ndarray | None = None,
) -> OLSFit:
    """Fit ``y ~ x + entity effects + (time or other) effects`` with clustered covariance.

    Parameters
    ----------
    y : array, shape (n,)
        Outcome.
    x : DataFrame, shape (n, k)
        Regressors (no constant: the effects absorb it).
    entity : integer array, shape (n,)
        Entity codes (absorbed entity effects).
    time : integer array, shape (n,)
        Time codes. Used as absorbed time effects when ``other_effect`` is None.
    cluster : integer array, shape (n,)
        Cluster codes for the robust covariance (persons).
    weights : array, shape (n,), optional
        Positive WLS weights.
    other_effect : integer array, shape (n,), optional
        Codes of a second absorbed effect used *instead* of the time effects (e.g.
        indicator x wave in a stacked regression).
    """
    entity = np.asarray(entity)
    time = np.asarray(time)
    n_clusters = int(np.unique(np.asarray(cluster)).size)
    if n_clusters < 2:
        raise EstimationError(
            f"the regression has answers from {n_clusters} person(s); person-clustered standard "
            "errors need at least two persons (in practice 30 or more)."
        )
    if x.shape[1] == 0:
        raise EstimationError("the regression has no effect to estimate (no regressor).")
    try:
        result = _fit(y, x, entity, time, cluster, weights, other_effect)
    except (
        AbsorbingEffectError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        ZeroDivisionError,
        np.linalg.LinAlgError,
    ) as err:
        # linearmodels' AbsorbingEffectError, its data checks (ValueErrors), numpy and pandas.
        raise EstimationError(
            "the fixed-effects regression could not be fitted on these answers "
            f"({type(err).__name__}: {err}). The effect needs intervention- and comparison-group "
            "persons who answered before and after the baseline wave, with answers that change "
            "between waves."
        ) from err
    params = pd.Series(np.asarray(result.params), index=list(x.columns))
    cov = pd.DataFrame(np.asarray(result.cov), index=params.index, columns=params.index)
    if not np.all(np.isfinite(params)):
        raise EstimationError(
            "the fixed-effects regression gave non-finite estimates: the effect is not "
            "identified by these answers (too few persons answering before and after)."
        )
    return OLSFit(params=params, cov=cov, n_obs=int(result.nobs), n_clusters=n_clusters)


#: Above this many absorbed dummies the iterative demeaning is used instead of explicit dummies.
_MAX_DUMMIES = 400


def _n_dummies(entity, time, other_effect) -> int:
    second = time if other_effect is None else other_effect
    return int(np.unique(entity).size + np.unique(second).size)


def _fit(y, x, entity, time, cluster, weights, other_effect):
    # PanelOLS needs a unique (entity, time) index; in a stacked design the same entity can
    # only appear once per wave, which holds for person x indicator entities.
    index = pd.MultiIndex.from_arrays([entity, time], names=["entity", "time"])
    dependent = pd.Series(np.asarray(y, dtype=float), index=index, name="y")
    exog = pd.DataFrame(x.to_numpy(dtype=float), index=index, columns=list(x.columns))
    options = {}
    if weights is not None:
        options["weights"] = pd.Series(np.asarray(weights, dtype=float), index=index)
    if other_effect is not None:
        options["other_effects"] = pd.DataFrame({"other": np.asarray(other_effect)}, index=index)
    model = PanelOLS(
        dependent,
        exog,
        entity_effects=True,
        time_effects=other_effect is None,
        # Singleton entities carry no within information but are kept so that the observation
        # counts match an explicit least-squares fit with dummies.
        singletons=True,
        **options,
    )
    clusters = pd.DataFrame({"person": np.asarray(cluster)}, index=index)
    with warnings.catch_warnings():
        # Identification (absorbed effects) is checked with our messages before the fit; the
        # library's own warnings (absorbed variables, singletons, numerical noise) add nothing.
        warnings.simplefilter("ignore")
        return model.fit(
            # Small designs: explicit dummies (one least-squares solve) are exact and faster
            # than linearmodels' iterative demeaning; large ones need the demeaning.
            use_lsdv=_n_dummies(entity, time, other_effect) <= _MAX_DUMMIES,
            cov_type="clustered",
            clusters=clusters,
            debiased=True,
            group_debias=True,
            auto_df=False,
            count_effects=False,
        )
