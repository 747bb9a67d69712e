"""Immutable results of :func:`~mirabal_stats.survival.compare_groups`.

``CoxResult`` and ``AFTResult`` hold one fitted regression each; ``SurvivalComparison`` holds the
nonparametric curves per group and the fitted models, and derives survival at given times,
restricted mean survival time and cumulative incidence from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mirabal_stats._results import Provenance, check_ci_level, normal_table
from mirabal_stats.survival.km import KaplanMeierCurve, restricted_mean, survival_table
from mirabal_stats.survival.turnbull import TurnbullCurve, turnbull

__all__ = ["CoxResult", "AFTResult", "SurvivalComparison"]


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox proportional-hazards model (Efron ties).

    ``params`` are log hazard ratios, ``std_errors`` are robust (sandwich, Efron-aware, as R's
    ``coxph(robust=TRUE)``) when ``variance == "robust"``, else model-based. ``ph_test`` has one
    row per term: scaled-Schoenfeld test statistic and p-value.
    """

    params: pd.Series
    std_errors: pd.Series
    naive_std_errors: pd.Series
    covariance: pd.DataFrame
    variance: str
    log_likelihood: float
    concordance: float
    ph_test: pd.DataFrame
    group_term: str
    n: int
    n_events: int
    ci_level: float = 0.95

    def to_frame(self, ci_level: float | None = None) -> pd.DataFrame:
        """One row per term: ``estimate`` (log hazard ratio), ``std_error``, ``lower``, ``upper``,
        ``ci_level``, ``p_value``."""
        level = self.ci_level if ci_level is None else ci_level
        table = normal_table(self.params, self.std_errors, index=self.params.index, ci_level=level)
        table.index.name = "term"
        return table

    def hazard_ratio(self, ci_level: float | None = None) -> pd.DataFrame:
        """Hazard ratios ``exp(estimate)`` with their interval (``std_error`` stays on the log scale)."""
        table = self.to_frame(ci_level)
        for col in ("estimate", "lower", "upper"):
            table[col] = np.exp(table[col])
        return table

    def summary(self) -> str:
        hr = self.hazard_ratio().loc[self.group_term]
        return (
            f"Cox proportional-hazards model (Efron ties, {self.variance} standard errors), "
            f"n = {self.n}, {self.n_events} events. Hazard ratio for {self.group_term!r}: "
            f"{hr.estimate:.3f} ({hr.ci_level:.0%} CI {hr.lower:.3f} to {hr.upper:.3f}, "
            f"p = {hr.p_value:.3g}). Partial log-likelihood {self.log_likelihood:.2f}, "
            f"concordance {self.concordance:.3f}.\n" + self.to_frame().round(4).to_string()
        )


@dataclass(frozen=True)
class AFTResult:
    """A fitted accelerated-failure-time model on R ``survreg``'s scale.

    ``params`` holds the location terms (log time ratios, ``Intercept``) and ``log(scale)``.
    """

    distribution: str
    params: pd.Series
    std_errors: pd.Series
    log_likelihood: float
    group_term: str
    censoring: str
    covariance: pd.DataFrame | None = None
    ci_level: float = 0.95

    def to_frame(self, ci_level: float | None = None) -> pd.DataFrame:
        """One row per term on the log-time scale (``log(scale)`` last)."""
        level = self.ci_level if ci_level is None else ci_level
        table = normal_table(self.params, self.std_errors, index=self.params.index, ci_level=level)
        table.index.name = "term"
        return table

    def time_ratio(self, ci_level: float | None = None) -> pd.Series:
        """``exp(coef)`` of the group term: how much longer (>1) survival times are in the treated group."""
        row = self.to_frame(ci_level).loc[self.group_term]
        return pd.Series(
            {
                "estimate": np.exp(row.estimate),
                "lower": np.exp(row.lower),
                "upper": np.exp(row.upper),
                "ci_level": row.ci_level,
            }
        )

    def hazard_ratio(self, ci_level: float | None = None) -> pd.Series:
        """Group hazard ratio implied by a Weibull AFT fit: ``exp(-coef / scale)``.

        The Weibull is the one AFT model that is also proportional-hazards (Kalbfleisch & Prentice
        2002, section 2.3.4); its standard error comes from the delta method on ``(coef, log scale)``.
        """
        if self.distribution != "weibull":
            raise ValueError(
                "a hazard ratio is only implied by the Weibull model (log-logistic is not PH)."
            )
        if self.covariance is None:
            raise ValueError("the covariance of the fit is not available.")
        level = check_ci_level(self.ci_level if ci_level is None else ci_level)
        b = self.params[self.group_term]
        log_scale = self.params["log(scale)"]
        log_hr = -b * np.exp(-log_scale)
        grad = np.array([-np.exp(-log_scale), b * np.exp(-log_scale)])
        cov = self.covariance.loc[
            [self.group_term, "log(scale)"], [self.group_term, "log(scale)"]
        ].to_numpy()
        # d log(rho) = -d log(scale): flip the sign of the covariance with log(scale)
        cov = cov * np.array([[1, -1], [-1, 1]])
        se = float(np.sqrt(grad @ cov @ grad))
        z = stats.norm.ppf(0.5 + level / 2)
        return pd.Series(
            {
                "estimate": np.exp(log_hr),
                "std_error_log": se,
                "lower": np.exp(log_hr - z * se),
                "upper": np.exp(log_hr + z * se),
                "ci_level": level,
            }
        )


def _interval_table(est, se, level, index, log_ratio=False):
    z = stats.norm.ppf(0.5 + level / 2)
    if log_ratio:
        return pd.DataFrame(
            {
                "estimate": est,
                "std_error": se,
                "lower": est * np.exp(-z * se / est),
                "upper": est * np.exp(z * se / est),
                "ci_level": level,
            },
            index=index,
        )
    return pd.DataFrame(
        {
            "estimate": est,
            "std_error": se,
            "lower": est - z * se,
            "upper": est + z * se,
            "ci_level": level,
        },
        index=index,
    )


@dataclass(frozen=True)
class SurvivalComparison:
    """Everything :func:`compare_groups` estimated. Read-only; derived quantities are methods.

    Attributes
    ----------
    kind : ``"right"`` or ``"interval"``.
    curves : per-group Kaplan-Meier (right) or Turnbull NPMLE (interval) curves, keyed by level.
    cox : :class:`CoxResult` (right censoring only; None for interval-censored data).
    weibull, loglogistic : :class:`AFTResult` (None when not requested).
    """

    kind: str
    group: str
    levels: tuple
    curves: dict
    cox: CoxResult | None
    weibull: AFTResult | None
    loglogistic: AFTResult | None
    weighted: bool
    ci_level: float
    provenance: Provenance
    _bootstrap: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def reference(self):
        return self.levels[0]

    @property
    def treated(self):
        return self.levels[1]

    # -- survival at times -------------------------------------------------------------------
    def survival_at(self, times, *, ci_level: float | None = None) -> pd.DataFrame:
        """Survival per group at ``times``: index ``(group, time)``, standard columns.

        Kaplan-Meier with Greenwood (weighted: Xie-Liu) SE and a complementary log-log interval
        for right-censored data; the Turnbull NPMLE with a bootstrap SE and percentile interval
        for interval-censored data.
        """
        level = self.ci_level if ci_level is None else check_ci_level(ci_level)
        times = np.atleast_1d(np.asarray(times, dtype=float))
        if self.kind == "right":
            return survival_table(self.curves, times, level)
        boot = self._boot_survival(times)
        rows = []
        for label, curve in self.curves.items():
            s = curve.survival_at(times)
            draws = boot[label]
            lo, hi = np.quantile(draws, [0.5 - level / 2, 0.5 + level / 2], axis=0)
            for k, t in enumerate(times):
                rows.append((label, t, s[k], draws[:, k].std(ddof=1), lo[k], hi[k], level))
        table = pd.DataFrame(
            rows, columns=["group", "time", "estimate", "std_error", "lower", "upper", "ci_level"]
        )
        return table.set_index(["group", "time"])

    def _boot_survival(self, times) -> dict:
        """Bootstrap (persons resampled within group) of the Turnbull curves at ``times``."""
        data, n_boot, seed = (
            self._bootstrap["data"],
            self._bootstrap["n_boot"],
            self._bootstrap["seed"],
        )
        rng = np.random.default_rng(seed)
        out = {}
        for label, (lo, hi, w) in data.items():
            n = len(lo)
            draws = np.empty((n_boot, len(times)))
            for b in range(n_boot):
                idx = rng.integers(0, n, n)
                draws[b] = turnbull(
                    lo[idx], hi[idx], None if w is None else w[idx], tol=1e-7
                ).survival_at(times)
            out[label] = draws
        return out

    # -- restricted mean survival time ------------------------------------------------------
    def rmst_difference(self, tau: float, *, ci_level: float | None = None) -> pd.DataFrame:
        """Difference in restricted mean survival time up to ``tau`` (treated minus reference).

        Returns a one-row table (``estimate, std_error, lower, upper, ci_level, p_value``) plus the
        per-group RMSTs. Right censoring: Kaplan-Meier areas with the Greenwood-type variance
        (Klein & Moeschberger 2003, Eq. 4.5.2), arms independent. Interval censoring: areas under
        the Turnbull curve (mass spread uniformly within innermost intervals) with bootstrap SE.

        References
        ----------
        Royston, P. & Parmar, M.K.B. (2013). BMC Med Res Methodol 13:152. doi:10.1186/1471-2288-13-152
        """
        level = self.ci_level if ci_level is None else check_ci_level(ci_level)
        tau = float(tau)
        if tau <= 0:
            raise ValueError(f"tau must be positive, got {tau}.")
        if self.kind == "right":
            r0, se0 = restricted_mean(self.curves[self.reference], tau)
            r1, se1 = restricted_mean(self.curves[self.treated], tau)
        else:
            r0, r1 = (_turnbull_rmst(self.curves[g], tau) for g in self.levels)
            data, n_boot, seed = (
                self._bootstrap["data"],
                self._bootstrap["n_boot"],
                self._bootstrap["seed"],
            )
            rng = np.random.default_rng(seed + 1)
            ses = []
            for g in self.levels:
                lo, hi, w = data[g]
                n = len(lo)
                reps = []
                for _ in range(n_boot):
                    idx = rng.integers(0, n, n)
                    reps.append(
                        _turnbull_rmst(
                            turnbull(lo[idx], hi[idx], None if w is None else w[idx], tol=1e-7), tau
                        )
                    )
                ses.append(np.std(reps, ddof=1))
            se0, se1 = ses
        table = normal_table(
            [r1 - r0], [np.hypot(se0, se1)], index=["rmst_difference"], ci_level=level
        )
        table["rmst_treated"], table["rmst_reference"], table["tau"] = r1, r0, tau
        return table

    # -- cumulative incidence ---------------------------------------------------------------
    def cumulative_incidence(
        self, horizons=(6, 12), *, ci_level: float | None = None
    ) -> pd.DataFrame:
        """Cumulative incidence ``1 - S(t)`` per group at each horizon, with the risk difference
        and risk ratio (treated vs reference): the "x% fewer reoffended" form trials report.

        Index ``(quantity, horizon)`` with quantity one of the group levels, ``"risk_difference"``
        or ``"risk_ratio"``. Group rows have the interval of ``survival_at``; the risk difference
        a Wald interval; the risk ratio an interval from the log scale (delta method), with
        ``std_error`` on the ratio scale. No competing risks: 1 - KM is the incidence of the
        first reported reoffence had follow-up continued.
        """
        level = self.ci_level if ci_level is None else check_ci_level(ci_level)
        horizons = np.atleast_1d(np.asarray(horizons, dtype=float))
        surv = self.survival_at(horizons, ci_level=level)
        pieces = []
        for g in self.levels:
            s = surv.loc[g]
            pieces.append(
                pd.DataFrame(
                    {
                        "quantity": str(g),
                        "horizon": horizons,
                        "estimate": 1 - s["estimate"].to_numpy(),
                        "std_error": s["std_error"].to_numpy(),
                        "lower": 1 - s["upper"].to_numpy(),
                        "upper": 1 - s["lower"].to_numpy(),
                        "ci_level": level,
                    }
                )
            )
        f0 = 1 - surv.loc[self.reference]["estimate"].to_numpy()
        f1 = 1 - surv.loc[self.treated]["estimate"].to_numpy()
        v0 = surv.loc[self.reference]["std_error"].to_numpy() ** 2
        v1 = surv.loc[self.treated]["std_error"].to_numpy() ** 2
        rd = _interval_table(f1 - f0, np.sqrt(v0 + v1), level, horizons)
        with np.errstate(divide="ignore", invalid="ignore"):
            rr_est = f1 / f0
            se_log = np.sqrt(v1 / f1**2 + v0 / f0**2)
            rr = _interval_table(rr_est, rr_est * se_log, level, horizons, log_ratio=True)
        for name, frame in (("risk_difference", rd), ("risk_ratio", rr)):
            frame = frame.reset_index(names="horizon")
            frame.insert(0, "quantity", name)
            pieces.append(frame)
        return pd.concat(pieces, ignore_index=True).set_index(["quantity", "horizon"])

    # -- reporting --------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Headline group effects in one table: Cox log hazard ratio (right censoring),
        Weibull / log-logistic log time ratios."""
        rows = []
        if self.cox is not None:
            rows.append(
                self.cox.to_frame()
                .loc[[self.cox.group_term]]
                .rename(index=lambda _: "cox_log_hazard_ratio")
            )
        for fit in (self.weibull, self.loglogistic):
            if fit is not None:
                rows.append(
                    fit.to_frame()
                    .loc[[fit.group_term]]
                    .rename(index=lambda _, d=fit.distribution: f"{d}_log_time_ratio")
                )
        return pd.concat(rows) if rows else pd.DataFrame()

    def summary(self) -> str:
        """Plain-language paragraph plus the headline table."""
        weighted = "weighted " if self.weighted else ""
        lines = [
            f"Time to event by {self.group!r} ({self.treated!r} vs {self.reference!r}), "
            f"{'right' if self.kind == 'right' else 'interval'}-censored, {weighted}analysis."
        ]
        if self.cox is not None:
            hr = self.cox.hazard_ratio().loc[self.cox.group_term]
            lines.append(
                f"Cox hazard ratio {hr.estimate:.2f} ({hr.ci_level:.0%} CI {hr.lower:.2f} to {hr.upper:.2f}): "
                f"at any time the {self.treated!r} group's event rate is {abs(1 - hr.estimate):.0%} "
                f"{'lower' if hr.estimate < 1 else 'higher'} than the {self.reference!r} group's."
            )
            flagged = self.cox.ph_test.index[self.cox.ph_test["p_value"] < 0.05].tolist()
            if flagged:
                lines.append(
                    f"Proportional hazards is doubtful for {flagged}; read the RMST difference too."
                )
        if self.weibull is not None and self.kind == "interval":
            hr = self.weibull.hazard_ratio()
            lines.append(
                f"Weibull (interval-censored) hazard ratio {hr.estimate:.2f} "
                f"({hr.ci_level:.0%} CI {hr.lower:.2f} to {hr.upper:.2f})."
            )
        return "\n".join(lines) + "\n" + self.to_frame().round(4).to_string()

    def plot_survival(self, *, ax=None, at_risk_times=None, ci: bool = True):
        """Survival curves per group with pointwise bands and an at-risk table; returns the Figure."""
        from mirabal_stats.survival.plots import plot_curves

        return plot_curves(self, ax=ax, at_risk_times=at_risk_times, ci=ci, incidence=False)

    def plot_cumulative_incidence(self, *, ax=None, at_risk_times=None, ci: bool = True):
        """Cumulative incidence ``1 - S(t)`` per group; returns the Figure."""
        from mirabal_stats.survival.plots import plot_curves

        return plot_curves(self, ax=ax, at_risk_times=at_risk_times, ci=ci, incidence=True)


def _turnbull_rmst(curve: TurnbullCurve, tau: float) -> float:
    """Area under the Turnbull curve up to tau, mass spread uniformly within each innermost
    interval (a convention: the NPMLE does not say where inside the interval the mass lies)."""
    grid = np.linspace(0.0, tau, 2001)
    left, right, mass = curve.left, curve.right, curve.mass
    width = np.where(np.isfinite(right), right - left, np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(
            width > 0,
            np.clip((grid[:, None] - left) / width, 0, 1),
            (grid[:, None] >= right).astype(float),
        )
    frac = np.where(np.isinf(width), 0.0, frac)
    s = 1.0 - frac @ mass
    return float(np.trapezoid(s, grid))


def _is_km(curve) -> bool:
    return isinstance(curve, KaplanMeierCurve)
