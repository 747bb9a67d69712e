"""Immutable results of :func:`~mirabal_stats.survival.compare_groups`.

``CoxResult`` and ``AFTResult`` hold one fitted regression each; ``SurvivalComparison`` holds the
nonparametric curves per group and the fitted models, and derives survival at given times,
restricted mean survival time and cumulative incidence from them. All three follow the results
contract (:class:`mirabal_stats._results.Results`): ``to_frame()`` is the estimate table,
``summary()`` a :class:`~mirabal_stats._results.Summary`, ``plot_*(ax=...)`` returns the Axes.

A model that could not be estimated on the data (no events in a group, a fit that did not
converge) is kept with NaN estimates and its reason in ``note``; a model that was not asked for
(``parametric=()``) or does not apply (Cox for interval-censored data) is absent, and asking for
it raises a :class:`~mirabal_stats.exceptions.SpecificationError` that says how to get it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mirabal_stats._results import (
    TABLE_COLUMNS,
    Provenance,
    Results,
    Summary,
    check_ci_level,
    normal_table,
)
from mirabal_stats.data.persons import plain_value
from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.survival.km import check_tau, restricted_mean, survival_table
from mirabal_stats.survival.turnbull import TurnbullCurve, turnbull

__all__ = ["CoxResult", "AFTResult", "SurvivalComparison"]

_MODEL_NAMES = {"cox": "Cox", "weibull": "Weibull", "loglogistic": "log-logistic"}


class ModelNotAvailableError(SpecificationError, AttributeError):
    """A model that was not fitted was asked for (e.g. ``res.weibull`` after ``parametric=()``).

    Also an :class:`AttributeError`, so ``hasattr(res, "weibull")`` and
    ``getattr(res, "weibull", None)`` work as Python's attribute protocol expects.
    """


def _level(ci_level, default: float) -> float:
    return default if ci_level is None else check_ci_level(ci_level)


def _ratio_table(table: pd.DataFrame) -> pd.DataFrame:
    """Exponentiate estimate and interval (``std_error`` stays on the log scale)."""
    out = table.copy()
    # A diverged estimate (lifelines warned) may overflow to inf: shown as such, not warned twice.
    with np.errstate(over="ignore"):
        for col in ("estimate", "lower", "upper"):
            out[col] = np.exp(out[col])
    return out


class _FittedRegression:
    """What a Cox and an AFT result share: the note marking a model that could not be estimated,
    and the Wald table of ``params`` by term.

    A plain base, not a dataclass, so each result keeps exactly its own fields.
    """

    params: pd.Series
    std_errors: pd.Series
    ci_level: float
    note: str

    @property
    def estimable(self) -> bool:
        """False when the model could not be estimated (``note`` says why)."""
        return not self.note

    def _term_table(self, ci_level: float | None) -> pd.DataFrame:
        table = normal_table(
            self.params,
            self.std_errors,
            index=self.params.index,
            ci_level=_level(ci_level, self.ci_level),
        )
        table.index.name = "term"
        return table


@dataclass(frozen=True)
class CoxResult(_FittedRegression, Results):
    """A fitted Cox proportional-hazards model (Efron ties).

    ``params`` are log hazard ratios, ``std_errors`` are robust (sandwich, Efron-aware, as R's
    ``coxph(robust=TRUE)``) when ``variance == "robust"``, else model-based. ``ph_test`` has one
    row per term: scaled-Schoenfeld test statistic and p-value. ``note`` is empty for an
    estimated model and gives the reason when it could not be estimated (every number NaN).
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
    provenance: Provenance
    ci_level: float = 0.95
    note: str = ""

    @classmethod
    def not_estimable(
        cls, terms, *, reason, group_term, n, n_events, variance, provenance, ci_level
    ) -> CoxResult:
        """A Cox result whose every number is NaN, with ``reason`` as its note."""
        nan = pd.Series(np.nan, index=list(terms))
        return cls(
            params=nan,
            std_errors=nan,
            naive_std_errors=nan,
            covariance=pd.DataFrame(np.nan, index=nan.index, columns=nan.index),
            variance=variance,
            log_likelihood=np.nan,
            concordance=np.nan,
            ph_test=pd.DataFrame({"test_statistic": np.nan, "p_value": np.nan}, index=nan.index),
            group_term=group_term,
            n=n,
            n_events=n_events,
            provenance=provenance,
            ci_level=ci_level,
            note=reason,
        )

    def __repr__(self) -> str:
        state = f"not estimated: {self.note}" if self.note else f"{self.variance} SEs"
        return f"CoxResult({len(self.params)} terms, n = {self.n}, {self.n_events} events; {state})"

    def to_frame(self, *, ci_level: float | None = None) -> pd.DataFrame:
        """One row per term: ``estimate`` (log hazard ratio), ``std_error``, ``lower``, ``upper``,
        ``ci_level``, ``p_value``."""
        return self._term_table(ci_level)

    def hazard_ratio(self, *, ci_level: float | None = None) -> pd.DataFrame:
        """Hazard ratios ``exp(estimate)`` with their interval (``std_error`` stays on the log
        scale)."""
        return _ratio_table(self.to_frame(ci_level=ci_level))

    def summary(self) -> Summary:
        if not self.estimable:
            head = f"Cox proportional-hazards model: not estimated ({self.note})"
        else:
            hr = self.hazard_ratio().loc[self.group_term]
            head = (
                f"Cox proportional-hazards model (Efron ties, {self.variance} standard errors), "
                f"n = {self.n}, {self.n_events} events. Hazard ratio for {self.group_term!r}: "
                f"{hr.estimate:.3f} ({hr.ci_level:.0%} CI {hr.lower:.3f} to {hr.upper:.3f}, "
                f"p = {hr.p_value:.3g}). Partial log-likelihood {self.log_likelihood:.2f}, "
                f"concordance {self.concordance:.3f}."
            )
        return Summary.build(head, tables={"log hazard ratios": self.to_frame()})


@dataclass(frozen=True)
class AFTResult(_FittedRegression, Results):
    """A fitted accelerated-failure-time model on R ``survreg``'s scale.

    ``params`` holds the location terms (log time ratios, ``Intercept``) and ``log(scale)``;
    ``covariance`` is on the same scale. ``note`` is empty for an estimated model and gives the
    reason when it could not be estimated (every number NaN).
    """

    distribution: str
    params: pd.Series
    std_errors: pd.Series
    log_likelihood: float
    group_term: str
    censoring: str
    covariance: pd.DataFrame
    provenance: Provenance
    ci_level: float = 0.95
    note: str = ""

    @classmethod
    def not_estimable(
        cls, terms, *, distribution, reason, group_term, censoring, provenance, ci_level
    ) -> AFTResult:
        """An AFT result whose every number is NaN, with ``reason`` as its note."""
        nan = pd.Series(np.nan, index=[*terms, "Intercept", "log(scale)"])
        return cls(
            distribution=distribution,
            params=nan,
            std_errors=nan,
            log_likelihood=np.nan,
            group_term=group_term,
            censoring=censoring,
            covariance=pd.DataFrame(np.nan, index=nan.index, columns=nan.index),
            provenance=provenance,
            ci_level=ci_level,
            note=reason,
        )

    def __repr__(self) -> str:
        state = f"not estimated: {self.note}" if self.note else f"log-lik {self.log_likelihood:.2f}"
        return f"AFTResult({self.distribution}, {self.censoring}-censored; {state})"

    def to_frame(self, *, ci_level: float | None = None) -> pd.DataFrame:
        """One row per term on the log-time scale (``log(scale)`` last)."""
        return self._term_table(ci_level)

    def _terms(self) -> list:
        return [t for t in self.params.index if t not in ("Intercept", "log(scale)")]

    def time_ratio(self, *, ci_level: float | None = None) -> pd.DataFrame:
        """``exp(coef)`` per term: how many times longer survival times are (>1: longer); the
        ``std_error`` stays on the log scale."""
        return _ratio_table(self.to_frame(ci_level=ci_level).loc[self._terms()])

    def log_hazard_ratio(self, *, ci_level: float | None = None) -> pd.DataFrame:
        """Log hazard ratios implied by a Weibull fit: ``-coef / scale`` per term.

        The Weibull is the one AFT model that is also proportional-hazards (Kalbfleisch &
        Prentice 2002, section 2.3.4); standard errors come from the delta method on
        ``(coef, log scale)``.

        Raises
        ------
        SpecificationError
            For a log-logistic fit, which does not imply proportional hazards.
        """
        if self.distribution != "weibull":
            raise SpecificationError(
                f"a hazard ratio is implied only by the Weibull model; the {self.distribution} "
                "model is not proportional-hazards. Use its time ratio (time_ratio()), or fit "
                "parametric=('weibull',)."
            )
        level = _level(ci_level, self.ci_level)
        terms = self._terms()
        log_scale = self.params["log(scale)"]
        inv_scale = np.exp(-log_scale)
        estimates, ses = [], []
        for term in terms:
            b = self.params[term]
            # d(-b e^{-ls}) / d(b, ls) = (-e^{-ls}, b e^{-ls})
            grad = np.array([-inv_scale, b * inv_scale])
            cov = self.covariance.loc[[term, "log(scale)"], [term, "log(scale)"]].to_numpy()
            estimates.append(-b * inv_scale)
            variance = float(grad @ cov @ grad)
            # The adapter refuses singular fits, so the variance is >= 0 up to rounding.
            ses.append(np.sqrt(variance) if variance >= 0 else np.nan)
        table = normal_table(estimates, ses, index=terms, ci_level=level)
        table.index.name = "term"
        return table

    def hazard_ratio(self, *, ci_level: float | None = None) -> pd.DataFrame:
        """Hazard ratios implied by a Weibull fit, ``exp(-coef / scale)`` per term, with their
        interval (``std_error`` on the log scale); see :meth:`log_hazard_ratio`."""
        return _ratio_table(self.log_hazard_ratio(ci_level=ci_level))

    def summary(self) -> Summary:
        name = _MODEL_NAMES[self.distribution]
        if not self.estimable:
            head = f"{name} AFT model ({self.censoring}-censored): not estimated ({self.note})"
        else:
            tr = self.time_ratio().loc[self.group_term]
            head = (
                f"{name} accelerated-failure-time model ({self.censoring}-censored), "
                f"log-likelihood {self.log_likelihood:.2f}. Time ratio for {self.group_term!r}: "
                f"{tr.estimate:.3f} ({tr.ci_level:.0%} CI {tr.lower:.3f} to {tr.upper:.3f})."
            )
        return Summary.build(head, tables={"log time ratios": self.to_frame()})


def _interval_table(est, se, level, index, log_ratio=False):
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if log_ratio:
            lower, upper = est * np.exp(-z * se / est), est * np.exp(z * se / est)
        else:
            lower, upper = est - z * se, est + z * se
    return pd.DataFrame(
        {"estimate": est, "std_error": se, "lower": lower, "upper": upper, "ci_level": level},
        index=index,
    )


def _check_times(times, *, what: str = "times") -> np.ndarray:
    """Times as a float array after checking each is a finite number >= 0."""
    try:
        values = np.atleast_1d(np.asarray(times, dtype=float))
    except (TypeError, ValueError):
        raise SpecificationError(
            f"{what} must be numbers (times since the start of follow-up), got {times!r}."
        ) from None
    if values.ndim != 1 or len(values) == 0:
        raise SpecificationError(f"{what} must be a non-empty list of times, got {times!r}.")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SpecificationError(
            f"{what} must be finite times >= 0, but position {k} holds "
            f"{plain_value(values[k])!r}: a survival curve has no value at a missing or "
            "infinite time."
        )
    return values


@dataclass(frozen=True)
class SurvivalComparison(Results):
    """Everything :func:`compare_groups` estimated. Read-only; derived quantities are methods.

    Attributes
    ----------
    kind : ``"right"`` or ``"interval"``.
    group : the group column; ``levels`` is ``(comparison, treated)``.
    curves : per-group Kaplan-Meier (right) or Turnbull NPMLE (interval) curves, keyed by level.
    models : the fitted models by name (``"cox"``, ``"weibull"``, ``"loglogistic"``); also
        reachable as ``.cox``, ``.weibull``, ``.loglogistic``, which raise a
        :class:`~mirabal_stats.exceptions.SpecificationError` naming the fix when the model was
        not fitted.
    counts : persons and events per group (``n``, ``events``).
    last_follow_up : the last follow-up time per group: curves, cumulative incidence and RMST
        are not extrapolated beyond it.
    """

    kind: str
    group: str
    levels: tuple
    curves: dict
    models: dict
    weighted: bool
    ci_level: float
    provenance: Provenance
    counts: pd.DataFrame
    last_follow_up: dict
    time_label: str = "time"
    _bootstrap: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        counts = ", ".join(f"{g!r}: {r.events}/{r.n} events" for g, r in self.counts.iterrows())
        models = ", ".join(self.models) or "no models"
        return f"SurvivalComparison({self.kind}-censored, group={self.group!r}; {counts}; {models})"

    @property
    def reference(self):
        """The comparison group's label."""
        return self.levels[0]

    @property
    def treated(self):
        """The intervention group's label."""
        return self.levels[1]

    # -- fitted models ---------------------------------------------------------------------
    def _model(self, name: str):
        if name in self.models:
            return self.models[name]
        if name == "cox":
            raise ModelNotAvailableError(
                "no Cox model in this comparison: the Cox model is fitted for right-censored "
                "data (duration=, event=) only. For interval-censored data use the Weibull model "
                "(res.weibull.hazard_ratio(), with parametric=('weibull',)), which is also a "
                "proportional-hazards model."
            )
        fitted = self.provenance.settings.get("parametric", [])
        raise ModelNotAvailableError(
            f"no {_MODEL_NAMES[name]} model in this comparison: compare_groups was called with "
            f"parametric={tuple(fitted)!r}. Pass parametric=({name!r},) (or include {name!r}) "
            "to fit it."
        )

    @property
    def cox(self) -> CoxResult:
        """The Cox model (right-censored data)."""
        return self._model("cox")

    @property
    def weibull(self) -> AFTResult:
        """The Weibull AFT model (when ``parametric`` includes it)."""
        return self._model("weibull")

    @property
    def loglogistic(self) -> AFTResult:
        """The log-logistic AFT model (when ``parametric`` includes it)."""
        return self._model("loglogistic")

    def hazard_ratio(self, *, ci_level: float | None = None) -> pd.DataFrame:
        """The headline hazard ratio of the group: Cox for right-censored data, Weibull for
        interval-censored data. One row; ``std_error`` on the log scale; column ``model``."""
        name = "cox" if self.kind == "right" else "weibull"
        if name == "weibull" and "weibull" not in self.models:
            raise ModelNotAvailableError(
                "no hazard ratio: interval-censored data get one from the Weibull model, but "
                f"compare_groups was called with parametric="
                f"{tuple(self.provenance.settings.get('parametric', []))!r}. Pass "
                "parametric=('weibull',) to fit it."
            )
        model = self._model(name)
        table = model.hazard_ratio(ci_level=ci_level).loc[[model.group_term]]
        table["model"] = name
        return table

    # -- survival at times -------------------------------------------------------------------
    def _check_within_follow_up(self, times: np.ndarray, what: str) -> None:
        for label, last in self.last_follow_up.items():
            beyond = times > last
            if beyond.any():
                raise SpecificationError(
                    f"{what} {plain_value(times[beyond][0]):g} lies beyond the last follow-up "
                    f"time of group {label!r} ({last:g}): the curve is not estimated there and "
                    f"is never extrapolated. Use times <= {min(self.last_follow_up.values()):g}."
                )

    def survival_at(self, times, *, ci_level: float | None = None) -> pd.DataFrame:
        """Survival per group at ``times``: index ``(group, time)``, standard columns.

        Kaplan-Meier with Greenwood (with weights or clusters: robust) SE and a complementary
        log-log interval for right-censored data; the Turnbull NPMLE with a bootstrap SE and
        percentile interval for interval-censored data. ``times`` must be finite, >= 0 and
        within follow-up of both groups.

        Examples
        --------
        >>> from mirabal_stats.datasets import load_rossi
        >>> from mirabal_stats.survival import compare_groups
        >>> res = compare_groups(load_rossi(), duration="week", event="arrest", group="fin",
        ...                      parametric=(), ph_alpha=None)
        >>> res.survival_at([52])["estimate"].round(3).tolist()
        [0.694, 0.778]
        """
        level = _level(ci_level, self.ci_level)
        times = _check_times(times)
        self._check_within_follow_up(times, "time")
        if self.kind == "right":
            return survival_table(self.curves, times, ci_level=level)
        boot = self._boot_survival(times)
        rows = []
        for label, curve in self.curves.items():
            s = curve.survival_at(times)
            draws = boot[label]
            lo, hi = np.quantile(draws, [0.5 - level / 2, 0.5 + level / 2], axis=0)
            for k, t in enumerate(times):
                rows.append((label, t, s[k], draws[:, k].std(ddof=1), lo[k], hi[k], level))
        table = pd.DataFrame(rows, columns=["group", "time", *TABLE_COLUMNS])
        return table.set_index(["group", "time"])

    def _boot_survival(self, times) -> dict:
        """Bootstrap (persons resampled within group) of the Turnbull curves at ``times``."""
        data, n_boot, seed = (
            self._bootstrap["data"],
            self._bootstrap["n_bootstrap"],
            self._bootstrap["random_seed"],
        )
        rng = np.random.default_rng(seed)
        out = {}
        for label, (lo, hi, w) in data.items():
            n = len(lo)
            draws = np.empty((n_boot, len(times)))
            for b in range(n_boot):
                idx = rng.integers(0, n, n)
                draws[b] = turnbull(
                    lo[idx], hi[idx], weights=None if w is None else w[idx], tol=1e-7
                ).survival_at(times)
            out[label] = draws
        return out

    def curve_frame(self, *, ci_level: float | None = None) -> pd.DataFrame:
        """The curves per group as a table: index ``(group, time)``, one row at 0, at each step
        and at the last follow-up time (Kaplan-Meier: event times, with SE, interval and number at
        risk; Turnbull: ends of the innermost intervals, estimate only: its bootstrap runs on
        demand in :meth:`survival_at`)."""
        level = _level(ci_level, self.ci_level)
        pieces = []
        for label, curve in self.curves.items():
            if self.kind == "right":
                t = np.unique(np.concatenate([[0.0], curve.time, [curve.last_time]]))
                table = survival_table({label: curve}, t, ci_level=level)
            else:
                t, s = curve.step_function()
                table = pd.DataFrame(
                    {
                        "group": label,
                        "time": t,
                        "estimate": s,
                        "std_error": np.nan,
                        "lower": np.nan,
                        "upper": np.nan,
                        "ci_level": level,
                    }
                ).set_index(["group", "time"])
            pieces.append(table)
        return pd.concat(pieces)

    # -- restricted mean survival time ------------------------------------------------------
    def rmst_difference(self, *, tau: float, ci_level: float | None = None) -> pd.DataFrame:
        """Difference in restricted mean survival time up to ``tau`` (treated minus comparison).

        Returns a one-row table (``estimate, std_error, lower, upper, ci_level, p_value``) plus the
        per-group RMSTs. Right censoring: Kaplan-Meier areas with the Greenwood-type variance
        (Klein & Moeschberger 2003, Eq. 4.5.2; with weights or clusters the robust variance of the
        area), groups independent. Interval censoring: areas under the Turnbull curve (mass spread
        uniformly within innermost intervals) with bootstrap SE. ``tau`` must be finite, > 0 and
        no later than the last follow-up time of either group (as R's ``survRM2``): the curves are
        not extrapolated.

        References
        ----------
        Royston, P. & Parmar, M.K.B. (2013). BMC Med Res Methodol 13:152. doi:10.1186/1471-2288-13-152
        Uno, H. et al. (2014). Moving beyond the hazard ratio in quantifying the between-group
        difference in survival analysis. J Clin Oncol 32:2380-2385. doi:10.1200/JCO.2014.55.2208

        Examples
        --------
        >>> from mirabal_stats.datasets import load_rossi
        >>> from mirabal_stats.survival import compare_groups
        >>> res = compare_groups(load_rossi(), duration="week", event="arrest", group="fin",
        ...                      parametric=(), ph_alpha=None)
        >>> round(float(res.rmst_difference(tau=52)["estimate"].iloc[0]), 3)
        2.042
        """
        level = _level(ci_level, self.ci_level)
        shortest = min(self.last_follow_up, key=self.last_follow_up.get)
        tau = check_tau(
            tau, last_time=self.last_follow_up[shortest], where=f" of group {shortest!r}"
        )
        if self.kind == "right":
            r0, se0 = restricted_mean(self.curves[self.reference], tau=tau)
            r1, se1 = restricted_mean(self.curves[self.treated], tau=tau)
        else:
            r0, r1 = (_turnbull_rmst(self.curves[g], tau) for g in self.levels)
            data, n_boot, seed = (
                self._bootstrap["data"],
                self._bootstrap["n_bootstrap"],
                self._bootstrap["random_seed"],
            )
            rng = np.random.default_rng(seed + 1)
            ses = []
            for g in self.levels:
                lo, hi, w = data[g]
                n = len(lo)
                reps = []
                for _ in range(n_boot):
                    idx = rng.integers(0, n, n)
                    curve = turnbull(
                        lo[idx], hi[idx], weights=None if w is None else w[idx], tol=1e-7
                    )
                    reps.append(_turnbull_rmst(curve, tau) / tau)
                ses.append(float(np.std(reps, ddof=1)) * tau)
            se0, se1 = ses
        # hypot(se0, se1) cannot overflow where sqrt(se0**2 + se1**2) would (times ~1e200).
        table = normal_table(
            [r1 - r0], [np.hypot(se0, se1)], index=["rmst_difference"], ci_level=level
        )
        table["rmst_treated"], table["rmst_reference"], table["tau"] = r1, r0, tau
        return table

    # -- cumulative incidence ---------------------------------------------------------------
    def cumulative_incidence(self, times, *, ci_level: float | None = None) -> pd.DataFrame:
        """Cumulative incidence ``1 - S(t)`` per group at each time, with the risk difference
        and risk ratio (treated vs comparison): the "x% fewer reoffended" form trials report.

        Index ``(quantity, time)`` with quantity one of the group levels (as text),
        ``"risk_difference"`` or ``"risk_ratio"``. Group rows have the interval of
        ``survival_at``; the risk difference a Wald interval; the risk ratio an interval from the
        log scale (delta method), with ``std_error`` on the ratio scale. No competing risks:
        1 - KM is the incidence of the first reported reoffence had follow-up continued. A risk
        ratio whose comparison incidence is 0 is NaN (undefined), not infinite.

        Examples
        --------
        >>> from mirabal_stats.datasets import load_rossi
        >>> from mirabal_stats.survival import compare_groups
        >>> res = compare_groups(load_rossi(), duration="week", event="arrest", group="fin",
        ...                      parametric=(), ph_alpha=None)
        >>> res.cumulative_incidence([52]).loc["risk_ratio", "estimate"].round(3).tolist()
        [0.727]
        """
        level = _level(ci_level, self.ci_level)
        times = _check_times(times)
        surv = self.survival_at(times, ci_level=level)
        pieces = []
        for g in self.levels:
            s = surv.loc[g]
            pieces.append(
                pd.DataFrame(
                    {
                        "quantity": str(g),
                        "time": times,
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
        rd = _interval_table(f1 - f0, np.sqrt(v0 + v1), level, times)
        with np.errstate(divide="ignore", invalid="ignore"):
            defined = f0 > 0
            rr_est = np.where(defined, f1 / np.where(defined, f0, 1.0), np.nan)
            se_log = np.sqrt(v1 / f1**2 + v0 / f0**2)
            rr = _interval_table(rr_est, rr_est * se_log, level, times, log_ratio=True)
        for name, frame in (("risk_difference", rd), ("risk_ratio", rr)):
            frame = frame.reset_index(names="time")
            frame.insert(0, "quantity", name)
            pieces.append(frame)
        return pd.concat(pieces, ignore_index=True).set_index(["quantity", "time"])

    # -- reporting --------------------------------------------------------------------------
    def to_frame(self, *, ci_level: float | None = None) -> pd.DataFrame:
        """The effect of the group in each fitted model, one row per effect.

        Rows (those of the fitted models): ``cox_log_hazard_ratio`` (Cox, right censoring),
        ``weibull_log_time_ratio`` and ``weibull_log_hazard_ratio`` (Weibull AFT and the hazard
        ratio it implies), ``loglogistic_log_time_ratio``. Columns: the estimate columns on the
        log scale named in ``scale`` (``"log hazard ratio"``: < 0 means fewer events in the
        treated group; ``"log time ratio"``: > 0 means longer times to the event), ``p_value``,
        ``model``, ``scale`` and ``note`` (why a row is NaN, else empty). Empty (with these
        columns) when no model was fitted (interval-censored data with ``parametric=()``).
        """
        level = _level(ci_level, self.ci_level)
        rows = []
        for name, model in self.models.items():
            effects = [("log_time_ratio", "log time ratio", model.to_frame(ci_level=level))]
            if name == "cox":
                effects = [("log_hazard_ratio", "log hazard ratio", effects[0][2])]
            elif name == "weibull":
                effects.append(
                    ("log_hazard_ratio", "log hazard ratio", model.log_hazard_ratio(ci_level=level))
                )
            for suffix, scale, table in effects:
                row = table.loc[[model.group_term]].set_axis([f"{name}_{suffix}"])
                row["model"], row["scale"], row["note"] = name, scale, model.note
                rows.append(row)
        columns = [*TABLE_COLUMNS, "p_value", "model", "scale", "note"]
        if not rows:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="effect"))
        table = pd.concat(rows)[columns]
        table.index.name = "effect"
        return table

    def summary(self) -> Summary:
        """Plain-language paragraph plus the effect table and the counts per group."""
        weighted = ", weighted" if self.weighted else ""
        lines = [
            f"Time to event by {self.group!r} ({self.treated!r} vs {self.reference!r}), "
            f"{'right' if self.kind == 'right' else 'interval'}-censored{weighted} analysis; "
            + ", ".join(
                f"{label!r}: {row.events} events among {row.n} persons"
                for label, row in self.counts.iterrows()
            )
            + "."
        ]
        hr_model = "cox" if self.kind == "right" else "weibull"
        model = self.models.get(hr_model)
        if model is not None and model.estimable:
            hr = self.hazard_ratio().iloc[0]
            which = "Cox" if hr_model == "cox" else "Weibull (interval-censored)"
            lines.append(
                f"{which} hazard ratio {hr.estimate:.2f} ({hr.ci_level:.0%} CI {hr.lower:.2f} to "
                f"{hr.upper:.2f}): at any time the {self.treated!r} group's event rate is "
                f"{abs(1 - hr.estimate):.0%} {'lower' if hr.estimate < 1 else 'higher'} than "
                f"the {self.reference!r} group's."
            )
        elif model is not None:
            lines.append(f"No hazard ratio: {model.note}")
        else:
            lines.append(
                "No model was fitted (parametric=()), so there is no hazard ratio; the curves, "
                "cumulative incidence and RMST difference describe the comparison."
            )
        cox = self.models.get("cox")
        if cox is not None and cox.estimable:
            alpha = self.provenance.settings.get("ph_alpha") or 0.05
            flagged = cox.ph_test.index[cox.ph_test["p_value"] < alpha].tolist()
            if flagged:
                lines.append(
                    f"Proportional hazards is doubtful for {flagged}; read the RMST difference too."
                )
        return Summary.build(
            *lines, tables={"group effects": self.to_frame(), "persons and events": self.counts}
        )

    def plot_survival(self, *, ax=None, at_risk_times=None, ci: bool = True, time_unit=None):
        """Survival curves per group with pointwise bands and, for right-censored data, the
        number at risk under the x ticks; returns the Axes.

        ``time_unit`` (e.g. ``"months"``) labels the x axis; ``at_risk_times`` sets the ticks.
        """
        from mirabal_stats.survival.plots import plot_curves

        return plot_curves(
            self, ax=ax, at_risk_times=at_risk_times, ci=ci, incidence=False, time_unit=time_unit
        )

    def plot_cumulative_incidence(
        self, *, ax=None, at_risk_times=None, ci: bool = True, time_unit=None
    ):
        """Cumulative incidence ``1 - S(t)`` per group; returns the Axes."""
        from mirabal_stats.survival.plots import plot_curves

        return plot_curves(
            self, ax=ax, at_risk_times=at_risk_times, ci=ci, incidence=True, time_unit=time_unit
        )


def _turnbull_rmst(curve: TurnbullCurve, tau: float) -> float:
    """Area under the Turnbull curve up to tau, mass spread uniformly within each innermost
    interval (a convention: the NPMLE does not say where inside the interval the mass lies)."""
    grid = np.linspace(0.0, 1.0, 2001)  # in units of tau (no overflow for huge time scales)
    left, right, mass = curve.left / tau, curve.right / tau, curve.mass
    width = np.where(np.isfinite(right), right - left, np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(
            width > 0,
            np.clip((grid[:, None] - left) / width, 0, 1),
            (grid[:, None] >= right).astype(float),
        )
    frac = np.where(np.isinf(width), 0.0, frac)
    s = 1.0 - frac @ mass
    return float(np.trapezoid(s, grid)) * tau
