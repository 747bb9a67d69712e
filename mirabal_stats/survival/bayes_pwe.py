"""Bayesian piecewise-exponential proportional-hazards model in PyMC.

Specification (``PiecewiseExponentialModel``) is kept apart from fitting (``fit`` -> immutable
``PiecewiseExponentialResults``); sampling goes through :mod:`mirabal_stats.bayes.sampling`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import Provenance, check_ci_level, make_provenance
from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.survival._validation import validate_survival_input
from mirabal_stats.survival.pwe_likelihood import (
    PWEData,
    exposure_matrix,
    prepare_pwe_data,
    pwe_loglik_pytensor,
)

__all__ = ["PiecewiseExponentialModel", "PiecewiseExponentialResults"]


class PiecewiseExponentialModel:
    """Piecewise-exponential proportional hazards with a group effect, covariates, optional
    weights, right or interval censoring and an optional log-normal frailty.

    ``h_i(t) = exp(alpha_j + beta_g * treated_i + x_i' beta + b_{k(i)})`` for ``t`` in interval
    ``j``. Priors: ``alpha_j ~ Normal(log crude rate, 2)``; log hazard ratios of the group and of
    *standardised* covariates ``~ Normal(0, prior_sd)`` (default 2.5, weak: on Rossi it moves the
    fin estimate by under 1% of its SE); frailty ``b_k ~ Normal(0, sigma)``, ``sigma ~
    HalfNormal(frailty_prior_sd)``. Coefficients are reported on the original covariate scale.

    Parameters
    ----------
    data : pandas.DataFrame
    group, duration, event, lower, upper, covariates, weights, treated
        As in :func:`~mirabal_stats.survival.compare_groups`.
    cuts : array-like, optional
        Interval boundaries (starting at 0). Default: for right-censored data 0 and the
        ``n_intervals - 1`` inner quantiles of the event times; for interval-censored data every
        distinct finite bound (the survey waves), since the hazard between waves is not identified.
    n_intervals : int, default 8
    frailty : str, optional
        Column whose levels share a frailty (e.g. ``person`` for recurrent reports, or site).
    prior_sd, frailty_prior_sd : float

    Notes
    -----
    With weights the likelihood is a weighted pseudo-likelihood: point estimates target the
    weighted population, but posterior intervals are not calibrated (they ignore the weighting's
    variance inflation); use them with care or compare with the robust Cox interval.

    References
    ----------
    Holford, T.R. (1980). The analysis of rates and of survivorship using log-linear models.
    Biometrics 36:299-305. doi:10.2307/2529982
    Laird, N. & Olivier, D. (1981). Covariance analysis of censored survival data using log-linear
    analysis techniques. JASA 76:231-240. doi:10.1080/01621459.1981.10477634
    Ibrahim, J.G., Chen, M.-H. & Sinha, D. (2001). *Bayesian Survival Analysis*. Springer, ch. 3.
    doi:10.1007/978-1-4757-3447-8

    Examples
    --------
    >>> from mirabal_stats.datasets import load_rossi
    >>> from mirabal_stats.survival import PiecewiseExponentialModel
    >>> model = PiecewiseExponentialModel(load_rossi(), duration="week", event="arrest", group="fin",
    ...                                   covariates=["age", "prio"])
    >>> print(model)  # doctest: +ELLIPSIS
    Piecewise-exponential PH model: 432 rows, ... covariate patterns, 8 intervals...
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        group: str,
        duration: str | None = None,
        event: str | None = None,
        lower: str | None = None,
        upper: str | None = None,
        covariates=None,
        weights=None,
        treated=None,
        cuts=None,
        n_intervals: int = 8,
        frailty: str | None = None,
        prior_sd: float = 2.5,
        frailty_prior_sd: float = 1.0,
    ):
        inp = validate_survival_input(
            data,
            group=group,
            duration=duration,
            event=event,
            lower=lower,
            upper=upper,
            covariates=covariates,
            weights=weights,
            treated=treated,
            cluster=frailty,
        )
        self._input = inp
        self._data_frame = data
        self.frailty = frailty
        self.prior_sd = float(prior_sd)
        self.frailty_prior_sd = float(frailty_prior_sd)
        cov = inp.covariates.to_numpy()
        self._cov_mean = cov.mean(axis=0) if cov.size else np.zeros(0)
        self._cov_sd = cov.std(axis=0) if cov.size else np.zeros(0)
        self.terms = [inp.group_name, *inp.covariates.columns]
        X = (
            np.column_stack(
                [inp.treated, (cov - self._cov_mean) / np.where(self._cov_sd > 0, self._cov_sd, 1)]
            )
            if cov.size
            else inp.treated[:, None].astype(float)
        )
        self._X = X
        if inp.kind == "right":
            time, ev, up = inp.duration, inp.event.astype(float), None
            pool = inp.duration[inp.event == 1]
        else:
            exact = inp.lower == inp.upper
            genuine = (inp.lower < inp.upper) & np.isfinite(inp.upper)
            time, ev = inp.lower, exact.astype(float)
            up = np.where(genuine, inp.upper, np.nan)
            pool = None
        self.cuts = self._choose_cuts(cuts, n_intervals, pool, inp)
        self.pwe_data: PWEData = prepare_pwe_data(
            X,
            self.cuts,
            time=time,
            event=ev,
            interval_upper=up,
            weights=inp.weights,
            cluster=inp.cluster,
        )
        events_total = self.pwe_data.events.sum() + self.pwe_data.w_interval.sum()
        exposure_total = self.pwe_data.exposure.sum() + self.pwe_data.dexposure.sum() / 2
        self._log_crude_rate = float(np.log(max(events_total, 0.5) / exposure_total))
        self._compiled: dict = {}

    @staticmethod
    def _choose_cuts(cuts, n_intervals, pool, inp) -> np.ndarray:
        if cuts is not None:
            c = np.unique(np.asarray(cuts, dtype=float))
            if c[0] != 0.0 or np.any(c < 0):
                raise SpecificationError(
                    f"cuts must start at 0 and be non-negative, got {list(c)}."
                )
            return c
        if int(n_intervals) < 1:
            raise SpecificationError(f"n_intervals must be >= 1, got {n_intervals}.")
        if pool is not None:
            inner = (
                np.quantile(pool, np.linspace(0, 1, int(n_intervals) + 1)[1:-1])
                if len(pool)
                else []
            )
            return np.unique(np.concatenate([[0.0], inner]))
        bounds = np.concatenate([inp.lower, inp.upper[np.isfinite(inp.upper)]])
        c = np.unique(bounds[bounds > 0])
        if len(c) > 20:  # keep the model small: at most 20 intervals, at bound quantiles
            c = np.unique(np.quantile(c, np.linspace(0, 1, 20)))
        return np.concatenate([[0.0], c[:-1]]) if len(c) > 1 else np.array([0.0])

    def __repr__(self) -> str:
        d = self.pwe_data
        return (
            f"Piecewise-exponential PH model: {d.n_rows} rows, {len(d.X_pattern)} covariate patterns, "
            f"{len(self.cuts)} intervals (cuts {np.round(self.cuts, 3).tolist()}), "
            f"{len(d.w_interval)} interval-censored rows.\n"
            f"  log h(t) = alpha[interval] + {' + '.join(f'beta[{t}]' for t in self.terms)}"
            + (f" + b[{self.frailty}]" if self.frailty else "")
            + "\n"
            f"  alpha ~ Normal({self._log_crude_rate:.2f}, 2); beta (standardised covariates) ~ "
            f"Normal(0, {self.prior_sd})"
            + (
                f"; b ~ Normal(0, sigma), sigma ~ HalfNormal({self.frailty_prior_sd})"
                if self.frailty
                else ""
            )
            + ("; weighted pseudo-likelihood" if self._input.weights is not None else "")
        )

    def build(self):
        """The PyMC model (cheap: no sampling)."""
        import pymc as pm

        d = self.pwe_data
        coords = {"interval": np.arange(len(self.cuts)), "term": self.terms}
        with pm.Model(coords=coords) as model:
            alpha = pm.Normal("alpha", mu=self._log_crude_rate, sigma=2.0, dims="interval")
            beta_std = pm.Normal("beta_std", mu=0.0, sigma=self.prior_sd, dims="term")
            frailty = None
            if self.frailty is not None:
                n_cl = int(self._input.cluster.max()) + 1
                sigma = pm.HalfNormal("frailty_sd", sigma=self.frailty_prior_sd)
                z = pm.Normal("frailty_z", 0.0, 1.0, shape=n_cl)
                frailty = pm.Deterministic("frailty", sigma * z)  # non-centred
            pm.Potential("loglik", pwe_loglik_pytensor(d, alpha, beta_std, frailty))
        return model

    def fit(
        self,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 2,
        sampler: str = "nutpie",
        random_seed: int | None = None,
        ci_level: float = 0.95,
        sampler_kwargs: dict[str, Any] | None = None,
    ) -> PiecewiseExponentialResults:
        """Sample the posterior; return :class:`PiecewiseExponentialResults` (warns on poor
        diagnostics)."""
        from mirabal_stats.bayes.sampling import (
            sample_model,
            sampler_diagnostics,
            warn_if_unreliable,
        )

        level = check_ci_level(ci_level)
        model = self.build()
        idata = sample_model(
            model,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            random_seed=random_seed,
            var_names=None,
            sampler_kwargs=sampler_kwargs,
            compiled_cache=self._compiled,
        )
        diag_vars = ["alpha", "beta_std"] + (["frailty_sd"] if self.frailty else [])
        table, diag = sampler_diagnostics(idata, diag_vars)
        warn_if_unreliable(diag, stacklevel=3)
        post = idata.posterior
        beta_std = post["beta_std"].values.reshape(-1, len(self.terms))
        scale = np.concatenate([[1.0], np.where(self._cov_sd > 0, self._cov_sd, 1.0)])
        beta = beta_std / scale  # back to the original covariate scale
        alpha = post["alpha"].values.reshape(-1, len(self.cuts))
        # Undo centring: log baseline hazard at covariates = 0 on the original scale.
        alpha0 = alpha - (beta[:, 1:] @ self._cov_mean)[:, None] if len(self._cov_mean) else alpha
        return PiecewiseExponentialResults(
            terms=tuple(self.terms),
            group_term=self._input.group_name,
            levels=self._input.group_levels,
            cuts=self.cuts,
            beta_draws=beta,
            alpha_draws=alpha0,
            idata=idata,
            diagnostics=table,
            sampler_summary=diag,
            ci_level=level,
            _X_original=np.column_stack([self._input.treated, self._input.covariates.to_numpy()]),
            _weights=self._input.w,
            provenance=make_provenance(
                random_seed=random_seed,
                data=self._data_frame,
                settings=dict(
                    draws=draws,
                    tune=tune,
                    chains=chains,
                    sampler=sampler,
                    cuts=self.cuts.tolist(),
                    prior_sd=self.prior_sd,
                    frailty=self.frailty,
                    weighted=self._input.weights is not None,
                ),
            ),
        )


@dataclass(frozen=True)
class PiecewiseExponentialResults:
    """Posterior of a :class:`PiecewiseExponentialModel`.

    ``to_frame()`` gives log hazard ratios (posterior mean, SD, equal-tailed interval);
    ``hazard_ratio()`` their exponentials; ``survival(times)`` the standardised survival curve
    per group (covariates averaged over the sample) with posterior intervals; ``diagnostics`` the
    R-hat / ESS table; ``idata`` the ArviZ InferenceData.
    """

    terms: tuple
    group_term: str
    levels: tuple
    cuts: np.ndarray
    beta_draws: np.ndarray
    alpha_draws: np.ndarray
    idata: Any
    diagnostics: pd.DataFrame
    sampler_summary: Any
    ci_level: float
    provenance: Provenance
    _X_original: np.ndarray = field(repr=False, default=None)
    _weights: np.ndarray = field(repr=False, default=None)

    def to_frame(self, ci_level: float | None = None) -> pd.DataFrame:
        level = self.ci_level if ci_level is None else check_ci_level(ci_level)
        q = np.quantile(self.beta_draws, [0.5 - level / 2, 0.5 + level / 2], axis=0)
        table = pd.DataFrame(
            {
                "estimate": self.beta_draws.mean(axis=0),
                "std_error": self.beta_draws.std(axis=0, ddof=1),
                "lower": q[0],
                "upper": q[1],
                "ci_level": level,
            },
            index=pd.Index(self.terms, name="term"),
        )
        labels = [f"beta_std[{t}]" for t in self.terms]
        if set(labels) <= set(self.diagnostics.index):
            diag = self.diagnostics.loc[labels]
            diag.index = table.index
            table = table.join(diag)
        return table

    def hazard_ratio(self, ci_level: float | None = None) -> pd.DataFrame:
        level = self.ci_level if ci_level is None else check_ci_level(ci_level)
        hr = np.exp(self.beta_draws)
        q = np.quantile(hr, [0.5 - level / 2, 0.5 + level / 2, 0.5], axis=0)
        return pd.DataFrame(
            {"estimate": q[2], "lower": q[0], "upper": q[1], "ci_level": level},
            index=pd.Index(self.terms, name="term"),
        )

    def survival(
        self, times, *, ci_level: float | None = None, max_draws: int = 400
    ) -> pd.DataFrame:
        """Standardised survival per group: ``mean_i exp(-H_0(t) exp(x_i' beta))`` with the group
        set to each level, averaged (weighted) over the sample; posterior median and interval."""
        level = self.ci_level if ci_level is None else check_ci_level(ci_level)
        times = np.atleast_1d(np.asarray(times, dtype=float))
        step = max(1, len(self.beta_draws) // max_draws)
        beta, alpha = self.beta_draws[::step], self.alpha_draws[::step]
        E = exposure_matrix(times, self.cuts)  # (T, J)
        H0 = np.exp(alpha) @ E.T  # (S, T)
        w = self._weights / self._weights.sum()
        rows = []
        for code, label in enumerate(self.levels):
            X = self._X_original.copy()
            X[:, 0] = code
            eta = beta @ X.T  # (S, n)
            s = np.einsum("n,snt->st", w, np.exp(-H0[:, None, :] * np.exp(eta)[:, :, None]))
            q = np.quantile(s, [0.5 - level / 2, 0.5, 0.5 + level / 2], axis=0)
            for k, t in enumerate(times):
                rows.append((label, t, q[1, k], s[:, k].std(ddof=1), q[0, k], q[2, k], level))
        return pd.DataFrame(
            rows, columns=["group", "time", "estimate", "std_error", "lower", "upper", "ci_level"]
        ).set_index(["group", "time"])

    def summary(self) -> str:
        hr = self.hazard_ratio().loc[self.group_term]
        diag = self.sampler_summary
        return (
            f"Bayesian piecewise-exponential model ({len(self.cuts)} intervals). Hazard ratio for "
            f"{self.group_term!r} ({self.levels[1]!r} vs {self.levels[0]!r}): posterior median "
            f"{hr.estimate:.2f}, {hr.ci_level:.0%} credible interval {hr.lower:.2f} to {hr.upper:.2f}. "
            f"Diagnostics: max R-hat {diag.max_r_hat:.3f}, min ESS {min(diag.min_ess_bulk, diag.min_ess_tail):.0f}, "
            f"{diag.divergences} divergences.\n" + self.to_frame().round(4).to_string()
        )

    def plot_survival(self, times=None, *, ax=None):
        """Standardised survival per group with posterior bands; returns the Figure."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4.5))
        else:
            fig = ax.figure
        if times is None:
            end = self.cuts[-1] * 1.25 if self.cuts[-1] > 0 else 1.0
            times = np.linspace(0, end, 60)
        table = self.survival(times)
        for label in self.levels:
            sub = table.loc[label]
            (line,) = ax.plot(sub.index, sub["estimate"], label=f"{self.group_term} = {label}")
            ax.fill_between(
                sub.index, sub["lower"], sub["upper"], alpha=0.2, color=line.get_color()
            )
        ax.set_xlabel("time")
        ax.set_ylabel("survival probability")
        ax.legend()
        return fig
