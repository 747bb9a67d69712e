"""Complier survival curves and the complier RMST difference under one-sided non-compliance.

Referral ``Z`` (intervention group), completion ``D`` (only referred persons can complete), a
right-censored time to reoffending. With one-sided non-compliance there are two principal strata:
compliers (would complete if referred) and never-takers. Among the referred, completers are the
compliers and non-completers the never-takers, so

- ``S_c1(t)``: the compliers' survival *with* the programme is the Kaplan-Meier curve of the
  referred completers;
- ``S_c0(t)``: the compliers' survival *without* it follows from the comparison group, a mixture
  of compliers (share ``p``) and never-takers (share ``1 - p``). Under the exclusion restriction
  the never-takers' untreated curve is the curve of the referred non-completers, ``S_n(t)``, so
  ``S_c0(t) = (S_{Z=0}(t) - (1 - p) S_n(t)) / p`` (Imbens & Rubin 1997, section 4; the
  kappa-weighting form of Abadie 2002 gives the same curve with covariates), with ``p`` the
  (weighted) completion rate among the referred.

Restricted mean survival time (RMST) is linear in the curve, so the complier RMST difference
(the CACE on the RMST scale) is ``RMST(S_c1) - RMST(S_c0)``. ``S_c0`` is a difference of curves:
in small samples it can leave [0, 1] or rise; it is reported raw (and only clipped for plotting).

References
----------
Imbens, G.W. & Rubin, D.B. (1997). Estimating outcome distributions for compliers in
instrumental variables models. *Rev. Econ. Stud.* 64:555-574. doi:10.2307/2971731
Abadie, A. (2002). Bootstrap tests for distributional treatment effects in instrumental variable
models. *JASA* 97:284-292. doi:10.1198/016214502753479419
Royston, P. & Parmar, M.K.B. (2013). Restricted mean survival time. BMC Med Res Methodol 13:152.
doi:10.1186/1471-2288-13-152
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mirabal_stats._results import (
    Provenance,
    Results,
    Summary,
    axes_or_new,
    check_ci_level,
    group_colour,
    make_provenance,
)
from mirabal_stats.data.completion import completion_flag
from mirabal_stats.data.persons import person_table
from mirabal_stats.exceptions import (
    CompletionDataError,
    EstimabilityWarning,
    SpecificationError,
)
from mirabal_stats.survival._validation import check_count, validate_survival_input
from mirabal_stats.survival.km import check_tau, kaplan_meier

__all__ = ["complier_survival", "ComplierSurvival", "CURVES", "ANALYSES"]

#: The two complier curves of :meth:`ComplierSurvival.curve_frame`.
CURVES = ("complier_treated", "complier_untreated")

#: The rows of :meth:`ComplierSurvival.to_frame`, in table order.
ANALYSES = ("itt", "per_protocol_naive", "cace")

_ANALYSIS_TEXT = {
    "itt": "intention to treat (referred vs comparison)",
    "per_protocol_naive": "completers vs comparison (naive per-protocol; BIASED)",
    "cace": "compliers with vs without the programme (CACE)",
}

ASSUMPTIONS = (
    "Assumptions of the complier curves: (1) exclusion restriction: referral changes the time to "
    "reoffending only through completion, so referred non-completers have the survival they would "
    "have had without referral; (2) one-sided non-compliance: comparison persons cannot complete "
    "(checked in the data); (3) referral is ignorable given the weights (as randomised; in a "
    "non-randomised evaluation weight for what drives group membership); (4) censoring is "
    "independent of the time to reoffending within each of the three groups (comparison, "
    "referred completers, referred non-completers)."
)

NAIVE_WARNING = (
    "The naive per-protocol row compares completers with the whole comparison group. It is "
    "biased: completers are a selected subgroup (e.g. less severe cases), and the comparison "
    "group holds would-be non-completers. Do not report it as the programme effect."
)


@dataclass(frozen=True, eq=False)
class ComplierSurvival(Results):
    """Complier survival curves and RMST differences (see :func:`complier_survival`).

    Attributes
    ----------
    table : DataFrame
        Index ``analysis`` (:data:`ANALYSES`); columns ``estimate, std_error, lower, upper,
        ci_level`` (RMST differences up to ``tau``, bootstrap standard errors and percentile
        intervals), ``biased`` (True for the naive row), ``tau``, ``n_persons``.
    curves : DataFrame
        Index ``time`` (0 and every event time up to the common follow-up); columns
        :data:`CURVES` (raw estimates: ``complier_untreated`` may leave [0, 1]).
    completion_rate : float
        ``p``, the (weighted) share of referred persons who completed.
    counts : DataFrame
        Persons and events in the comparison group, among referred completers and referred
        non-completers.
    provenance : Provenance
    settings : dict
    """

    table: pd.DataFrame
    curves: pd.DataFrame
    completion_rate: float
    counts: pd.DataFrame
    provenance: Provenance
    settings: Mapping[str, Any] = field(default_factory=dict)
    time_label: str = "time"
    _draws: np.ndarray = field(default=None, repr=False)  # (n_ok, 2 curves, times)

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    @property
    def ci_level(self) -> float:
        """Level of every interval of this result."""
        return float(self.settings["ci_level"])

    @property
    def tau(self) -> float:
        """Horizon of the restricted means."""
        return float(self.settings["tau"])

    def to_frame(self) -> pd.DataFrame:
        """RMST differences up to ``tau`` (a copy): ``itt``, ``per_protocol_naive``, ``cace``."""
        return self.table.copy()

    def curve_frame(self) -> pd.DataFrame:
        """Both complier curves at every event time (index ``curve, time``), with bootstrap
        standard errors and percentile intervals; ``estimate`` is raw (not clipped)."""
        return self.survival_at(self.curves.index.to_numpy())

    def survival_at(self, times) -> pd.DataFrame:
        """``S_c1`` and ``S_c0`` at ``times`` (index ``curve, time``): raw estimate, bootstrap
        ``std_error``, percentile ``lower`` / ``upper``, and ``outside_unit_interval``."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        horizon = float(self.curves.index.max())
        if t.ndim != 1 or not np.isfinite(t).all() or (t < 0).any() or (t > horizon).any():
            raise SpecificationError(
                f"times must be finite times between 0 and {horizon:g} (the last time at which "
                f"all three groups are still followed up), got {times!r}."
            )
        grid = self.curves.index.to_numpy()
        pos = np.searchsorted(grid, t, side="right") - 1
        alpha = 1.0 - self.ci_level
        frames = []
        for k, name in enumerate(CURVES):
            est = self.curves[name].to_numpy()[pos]
            draws = self._draws[:, k, :][:, pos]
            frames.append(
                pd.DataFrame(
                    {
                        "curve": name,
                        "time": t,
                        "estimate": est,
                        "std_error": np.std(draws, axis=0, ddof=1),
                        "lower": np.quantile(draws, alpha / 2, axis=0),
                        "upper": np.quantile(draws, 1 - alpha / 2, axis=0),
                        "ci_level": self.ci_level,
                        "outside_unit_interval": (est < 0) | (est > 1),
                    }
                )
            )
        return pd.concat(frames).set_index(["curve", "time"])

    def summary(self) -> Summary:
        """Plain-language RMST differences, the completion rate, the bias warning and the
        assumptions."""
        percent = f"{100 * self.ci_level:.0f}%"
        lines = [
            f"Reoffending among compliers: restricted mean time without reoffending up to "
            f"tau = {self.tau:g} ({self.time_label}); {percent} percentile bootstrap intervals "
            f"({self.settings['n_bootstrap_used']} of {self.settings['n_bootstrap']} replicates "
            "usable, persons resampled within group).",
            f"Completion: {100 * self.completion_rate:.0f}% of the referred persons "
            f"({int(self.counts.loc['referred_completers', 'n'])} completers, "
            f"{int(self.counts.loc['referred_non_completers', 'n'])} non-completers; "
            f"{int(self.counts.loc['comparison', 'n'])} comparison persons).",
        ]
        for analysis in ANALYSES:
            row = self.table.loc[analysis]
            flag = " [BIASED: do not report as the programme effect]" if row["biased"] else ""
            lines.append(
                f"- {_ANALYSIS_TEXT[analysis]}: {row['estimate']:.3g} ({percent} CI "
                f"{row['lower']:.3g} to {row['upper']:.3g}){flag}."
            )
        s0 = self.curves["complier_untreated"].to_numpy()
        if (s0 < 0).any() or (s0 > 1).any() or (np.diff(s0) > 0).any():
            lines.append(
                "The compliers' untreated curve is a difference of Kaplan-Meier curves: here it "
                "leaves [0, 1] or rises at some times (sampling noise, or a violated exclusion "
                "restriction). Tables report it raw; plots clip it to [0, 1]."
            )
        lines.append(NAIVE_WARNING)
        lines.append(ASSUMPTIONS)
        tables = {"RMST differences": self.table, "counts": self.counts}
        if self.settings.get("times"):
            tables["complier survival"] = self.survival_at(self.settings["times"])
        return Summary.build("\n".join(lines), tables=tables)

    def __repr__(self) -> str:
        return f"ComplierSurvival(tau={self.tau:g}, completion_rate={self.completion_rate:.3f})"

    def plot_survival(self, *, ax=None):
        """Draw ``S_c1`` (intervention colour) and ``S_c0`` (comparison colour, clipped to
        [0, 1] for display only) as step curves; return the matplotlib Axes."""
        ax = axes_or_new(ax, figsize=(7.0, 5.0))
        t = self.curves.index.to_numpy()
        styles = {
            "complier_treated": (group_colour(True), "compliers, programme completed"),
            "complier_untreated": (group_colour(False), "compliers, without the programme"),
        }
        for name, (colour, label) in styles.items():
            ax.step(
                t,
                np.clip(self.curves[name].to_numpy(), 0.0, 1.0),
                where="post",
                color=colour,
                label=label,
            )
        ax.axvline(self.tau, color="grey", linewidth=0.8, linestyle=":")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(self.time_label)
        ax.set_ylabel("survival without reoffending")
        ax.legend(loc="lower left", fontsize="small")
        return ax


# --------------------------------------------------------------------------- estimation
def _estimate(t, e, w, z, d, *, grid, tau):
    """The three curves' pieces, the complier curves on ``grid`` and the three RMST differences.

    Returns ``None`` when no referred person completed (``p = 0``: no compliers to describe).
    """
    ref = z == 1
    w_ref = w[ref]
    p = float(np.sum(w_ref * d[ref]) / np.sum(w_ref))
    if p <= 0.0:
        return None
    cmp_, comp, never = ~ref, ref & (d == 1), ref & (d == 0)

    def km(mask):
        return kaplan_meier(t[mask], e[mask], weights=w[mask])

    s0, s1, sc1 = km(cmp_), km(ref), km(comp)
    steps = np.concatenate([grid[grid < tau], [tau]])
    widths = np.diff(steps)

    def area(values_at):
        return float(np.sum(values_at(steps[:-1]) * widths))

    curve0, curve_c1 = s0.survival_at(grid), sc1.survival_at(grid)
    rmst0, rmst1, rmst_c1 = area(s0.survival_at), area(s1.survival_at), area(sc1.survival_at)
    if never.any():
        sn = km(never)
        # Eq. for the compliers' untreated curve: the comparison group is the mixture
        # p * S_c0 + (1 - p) * S_n (Imbens & Rubin 1997); RMST is linear in the curve.
        curve_c0 = (curve0 - (1.0 - p) * sn.survival_at(grid)) / p
        rmst_c0 = (rmst0 - (1.0 - p) * area(sn.survival_at)) / p
    else:
        curve_c0, rmst_c0 = curve0, rmst0
    return {
        "p": p,
        "curves": np.vstack([curve_c1, curve_c0]),
        "rmst": np.array([rmst1 - rmst0, rmst_c1 - rmst0, rmst_c1 - rmst_c0]),
    }


def complier_survival(
    data: pd.DataFrame,
    *,
    completed,
    group: str,
    treated=None,
    duration: str,
    event: str | None = None,
    person: str | None = None,
    weights=None,
    tau: float,
    times=None,
    n_bootstrap: int = 200,
    random_seed: int = 0,
    ci_level: float = 0.95,
) -> ComplierSurvival:
    """Survival without reoffending among compliers, with and without the programme.

    Under one-sided non-compliance (comparison persons cannot complete), the compliers' curve
    with the programme is the Kaplan-Meier curve of the referred completers, ``S_c1``; their
    curve without it is ``S_c0(t) = (S_{Z=0}(t) - (1 - p) S_{Z=1,D=0}(t)) / p``, with ``p`` the
    completion rate among the referred (Imbens & Rubin 1997). The table gives three restricted
    mean survival time (RMST) differences up to ``tau``: ``itt`` (referred vs comparison),
    ``per_protocol_naive`` (completers vs comparison, flagged ``biased``) and ``cace``
    (``RMST(S_c1) - RMST(S_c0)``), with bootstrap standard errors and percentile intervals
    (persons resampled within group, so the group sizes are fixed).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person.
    completed : str or pandas.Series
        Programme completion per person, 0/1 or True/False: a column of ``data`` or a Series
        indexed by person id. Comparison persons must have 0 (one-sided non-compliance).
    group, treated :
        The two-group column and its intervention (referred) label, as in
        :func:`~mirabal_stats.survival.compare_groups`.
    duration, event : str
        Follow-up time and event indicator (0/1; default: every row an event). Right censoring.
    person : str, optional
        The column of person ids (default: ``person`` if present, else the index).
    weights : Weights, fitted weighting result, pandas.Series or str, optional
        Case weights matched by person label (weighted Kaplan-Meier curves and completion rate).
    tau : float
        RMST horizon; must lie within the follow-up of the comparison group, the referred
        completers and the referred non-completers.
    times : array-like, optional
        Times for ``result.survival_at`` in the summary table (default: none; ``curve_frame()``
        always gives every event time).
    n_bootstrap : int, default 200
        Bootstrap replicates (>= 2).
    random_seed : int, default 0
        Seed of the bootstrap.
    ci_level : float, default 0.95

    Returns
    -------
    ComplierSurvival

    Raises
    ------
    CompletionDataError
        ``completed`` missing, not 0/1, 1 for a comparison person, or nobody referred completed.
    SurvivalDataError, WeightingError, SpecificationError
        Invalid durations, events, weights, persons or options; ``tau`` beyond follow-up.

    Warns
    -----
    EstimabilityWarning
        ``S_c0`` leaves [0, 1] by more than ``z`` bootstrap standard errors at some time (``z``
        the normal quantile of ``ci_level``, 1.96 by default): the exclusion restriction may
        fail, or the sample is too small to separate the strata.

    Notes
    -----
    ``S_c0`` is a difference of Kaplan-Meier curves divided by ``p``: it is not constrained to
    [0, 1] or to be non-increasing. Tables report it raw; ``plot_survival`` clips it for display.
    With ``p = 1`` it is the comparison curve and the CACE equals the ITT.

    References
    ----------
    Imbens, G.W. & Rubin, D.B. (1997). Estimating outcome distributions for compliers in
    instrumental variables models. Rev. Econ. Stud. 64:555-574. doi:10.2307/2971731
    Abadie, A. (2002). Bootstrap tests for distributional treatment effects in instrumental
    variable models. JASA 97:284-292. doi:10.1198/016214502753479419

    Examples
    --------
    >>> from mirabal_stats.datasets import simulate_mirabal
    >>> _, truth = simulate_mirabal(random_seed=3, n_intervention=300, n_comparison=300,
    ...                             completion=0.6, confounding=0.0, attrition="none")
    >>> res = complier_survival(truth.reoffending, completed="completed", group="treated",
    ...                         duration="reoffend_time", event="reoffend_event", tau=12,
    ...                         n_bootstrap=50)
    >>> list(res.to_frame().index)
    ['itt', 'per_protocol_naive', 'cace']
    >>> bool(res.to_frame().loc["per_protocol_naive", "biased"])
    True
    """
    level = check_ci_level(ci_level)
    n_bootstrap = check_count(n_bootstrap, "n_bootstrap", minimum=2)
    random_seed = check_count(random_seed, "random_seed", minimum=0)
    if duration is None:
        raise SpecificationError(
            "complier_survival needs duration= (and event=): right-censored follow-up time."
        )
    # One row per person (the completion flag and the bootstrap are per person); the completed
    # column itself is checked by completion_flag (CompletionDataError).
    person_table(
        data,
        group=group,
        treated=treated,
        person=person,
        unique=True,
        source="complier_survival",
    )
    inp = validate_survival_input(
        data,
        group=group,
        treated=treated,
        duration=duration,
        event=event,
        weights=weights,
        person=person,
        source="complier_survival",
        warn_no_events=False,
    )
    persons = pd.Index(inp.keys, name="person")
    z = pd.Series(inp.treated.astype(float), index=persons)
    table = data.set_axis(persons) if isinstance(data, pd.DataFrame) else data
    d = completion_flag(
        completed, table=table, persons=persons, referred=z, source="complier_survival"
    ).to_numpy()
    # A canonical person order, so the bootstrap (and every result) does not depend on the row
    # order of the data.
    order = np.argsort(np.asarray(persons.map(str), dtype=str), kind="stable")
    z, d = z.to_numpy()[order], d[order]
    t, e, w = inp.duration[order], inp.event.astype(float)[order], inp.w[order]
    groups = {
        "comparison": z == 0,
        "referred_completers": (z == 1) & (d == 1),
        "referred_non_completers": (z == 1) & (d == 0),
    }
    if not groups["referred_completers"].any():
        raise CompletionDataError(
            f"no referred (intervention-group) person completed the programme ({int(z.sum())} "
            "referred), so there are no compliers to describe. Check the completion column "
            "(is 1 'completed'?)."
        )
    counts = pd.DataFrame(
        {
            "n": [int(m.sum()) for m in groups.values()],
            "events": [int(e[m].sum()) for m in groups.values()],
            "last_follow_up": [float(t[m].max()) if m.any() else np.nan for m in groups.values()],
        },
        index=pd.Index(list(groups), name="stratum"),
    )
    present = counts.dropna(subset=["last_follow_up"])
    shortest = present["last_follow_up"].idxmin()
    tau = check_tau(
        tau,
        last_time=float(present["last_follow_up"].min()),
        where=f" of the {shortest.replace('_', ' ')}",
    )
    horizon = float(present["last_follow_up"].min())
    grid = np.unique(np.concatenate([[0.0], t[(e == 1) & (t <= horizon)], [tau]]))

    point = _estimate(t, e, w, z, d, grid=grid, tau=tau)
    rng = np.random.default_rng(random_seed)
    idx_groups = [np.flatnonzero(z == 0), np.flatnonzero(z == 1)]
    rmst_draws, curve_draws = [], []
    for _ in range(n_bootstrap):
        take = np.concatenate([rng.choice(ix, size=len(ix), replace=True) for ix in idx_groups])
        rep = _estimate(t[take], e[take], w[take], z[take], d[take], grid=grid, tau=tau)
        if rep is None:
            continue
        rmst_draws.append(rep["rmst"])
        curve_draws.append(rep["curves"])
    if len(rmst_draws) < 2:
        raise CompletionDataError(
            f"fewer than 2 of {n_bootstrap} bootstrap samples hold a referred completer "
            f"({int(counts.loc['referred_completers', 'n'])} completers): the intervals cannot "
            "be computed. Completion is too rare for this analysis."
        )
    rmst_draws = np.asarray(rmst_draws)
    curve_draws = np.asarray(curve_draws)
    alpha = 1.0 - level
    table_out = pd.DataFrame(
        {
            "estimate": point["rmst"],
            "std_error": np.std(rmst_draws, axis=0, ddof=1),
            "lower": np.quantile(rmst_draws, alpha / 2, axis=0),
            "upper": np.quantile(rmst_draws, 1 - alpha / 2, axis=0),
            "ci_level": level,
            "biased": [False, True, False],
            "tau": tau,
            "n_persons": [
                len(t),
                int(counts.loc[["comparison", "referred_completers"], "n"].sum()),
                len(t),
            ],
        },
        index=pd.Index(ANALYSES, name="analysis"),
    )
    # The order of ANALYSES is itt, naive, cace; _estimate returns the same order.
    curves = pd.DataFrame(
        {CURVES[0]: point["curves"][0], CURVES[1]: point["curves"][1]},
        index=pd.Index(grid, name="time"),
    )
    s0 = point["curves"][1]
    excess = np.maximum.reduce([s0 - 1.0, -s0, np.zeros_like(s0)])
    se0 = np.std(curve_draws[:, 1, :], axis=0, ddof=1)
    # Beyond the ci_level normal band, not one SE: at the first never-taker event the estimate
    # exceeds 1 by about one SE in ordinary randomised data, so a one-SE rule would always fire.
    z_level = float(stats.norm.ppf(0.5 + level / 2.0))
    flagged = np.flatnonzero(excess > z_level * se0)
    if len(flagged):
        k = flagged[np.argmax(excess[flagged] - se0[flagged])]
        warnings.warn(
            f"the compliers' untreated survival curve leaves [0, 1] by more than {z_level:.2f} "
            f"bootstrap standard errors at {len(flagged)} time(s) (e.g. {s0[k]:.3f} at time {grid[k]:g}, "
            f"SE {se0[k]:.3f}). It is (S_comparison - (1 - p) S_non_completers) / p with "
            f"p = {point['p']:.3f}: the exclusion restriction may fail (referral alone changes "
            "the non-completers' reoffending) or the strata are too small. Tables report it raw; "
            "inspect result.curve_frame() and report the ITT alongside.",
            EstimabilityWarning,
            stacklevel=2,
        )
    settings = {
        "group": group,
        "treated": inp.group_levels[1],
        "duration": duration,
        "event": event,
        "weighted": inp.weights is not None,
        "tau": tau,
        "times": None if times is None else [float(v) for v in np.atleast_1d(times)],
        "ci_level": level,
        "n_bootstrap": n_bootstrap,
        "n_bootstrap_used": len(rmst_draws),
        "interval": "percentile bootstrap, persons resampled within group",
    }
    frame = pd.DataFrame({"z": z, "d": d, "t": t, "e": e, "w": w})
    result = ComplierSurvival(
        table=table_out,
        curves=curves,
        completion_rate=point["p"],
        counts=counts,
        provenance=make_provenance(random_seed=random_seed, data=frame, settings=settings),
        settings=settings,
        time_label=f"follow-up time (column {duration!r})",
        _draws=curve_draws,
    )
    if times is not None:
        result.survival_at(times)  # check the times now rather than at first use
    return result
