"""Programme completion: intention to treat, the naive completer comparison, and the complier
average causal effect (CACE) by two-stage least squares with referral as the instrument.

Estimands (one person-level outcome ``Y``, referral ``Z`` = intervention group, completion ``D``):

- ``itt``: the effect of being referred, ``E[Y | Z=1] - E[Y | Z=0]`` (least squares of ``Y`` on
  ``Z`` and the covariates);
- ``per_protocol_naive``: completers against the comparison group, ``E[Y | D=1] - E[Y | Z=0]``.
  It is **biased**: completers are a selected subgroup (in perpetrator programmes, typically the
  less severe cases), so it mixes the programme effect with who completes;
- ``cace``: the effect among persons who would complete if referred (compliers),
  ``ITT / (P(D=1 | Z=1) - P(D=1 | Z=0))``, estimated by two-stage least squares with ``Z`` as the
  instrument for ``D`` (Angrist, Imbens & Rubin 1996). Without covariates it is exactly the Wald
  ratio ITT / first stage.

Assumptions of the CACE: (1) exclusion restriction: referral changes the outcome only through
completion (referred non-completers are unaffected); (2) monotonicity, here one-sided
non-compliance: comparison persons cannot complete, so there are no always-takers or defiers; (3)
referral is ignorable given the covariates / weights (as randomised; in a non-randomised
evaluation this is the same assumption as for the ITT); (4) referral moves completion (a strong
first stage: F >= 10).

References
----------
Angrist, J.D., Imbens, G.W. & Rubin, D.B. (1996). Identification of causal effects using
instrumental variables. *JASA* 91:444-455. doi:10.1080/01621459.1996.10476902
Imbens, G.W. & Rubin, D.B. (1997). Bayesian inference for causal effects in randomized
experiments with noncompliance. *Ann. Statist.* 25:305-327. doi:10.1214/aos/1034276631
Staiger, D. & Stock, J.H. (1997). Instrumental variables regression with weak instruments.
*Econometrica* 65:557-586. doi:10.2307/2171753
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import (
    Provenance,
    Results,
    Summary,
    axes_or_new,
    check_ci_level,
    make_provenance,
    normal_table,
)
from mirabal_stats.data.completion import completion_flag
from mirabal_stats.data.persons import person_table, plain_value, require_columns
from mirabal_stats.exceptions import (
    CompletionDataError,
    EstimationError,
    RowsExcludedWarning,
    SpecificationError,
    WeakInstrumentWarning,
)
from mirabal_stats.frequentist._design import (
    analysis_frame,
    check_clusters,
    level_groups,
    named,
    resolve_level,
)
from mirabal_stats.frequentist._iv2sls import fit_iv2sls
from mirabal_stats.weighting._design import build_design
from mirabal_stats.weighting.analysis_weights import Weights

__all__ = ["completion_effects", "CompletionEffects", "ANALYSES", "WEAK_INSTRUMENT_F"]

#: The three rows of every estimand, in table order.
ANALYSES = ("itt", "per_protocol_naive", "cace")

#: First-stage F below this is a weak instrument (Staiger & Stock 1997 rule of thumb).
WEAK_INSTRUMENT_F = 10.0

_ANALYSIS_TEXT = {
    "itt": "intention to treat (effect of referral)",
    "per_protocol_naive": "completers vs comparison (naive per-protocol; BIASED)",
    "cace": "complier average causal effect (2SLS, referral instruments completion)",
}

ASSUMPTIONS = (
    "Assumptions of the CACE: (1) exclusion restriction: referral affects the outcome only "
    "through completing the programme (referred non-completers gain nothing from being "
    "referred); (2) monotonicity / one-sided non-compliance: comparison persons cannot complete "
    "(checked in the data), so no one completes only when not referred; (3) referral is "
    "ignorable given the covariates and weights (no unmeasured confounding of group membership, "
    "the same assumption as for the ITT in a non-randomised evaluation); (4) referral "
    "predicts completion strongly (first-stage F >= 10). The CACE is the effect among persons "
    "who would complete if referred, not among all referred persons."
)

NAIVE_WARNING = (
    "The naive per-protocol row compares completers with the whole comparison group. It is "
    "biased: completers differ from those who drop out (e.g. less severe cases), and the "
    "comparison group contains would-be non-completers, so the contrast mixes the programme "
    "effect with selection. Do not report it as the programme effect; report the ITT and the CACE."
)


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class CompletionEffects(Results):
    """ITT, naive per-protocol and CACE estimates, three rows per estimand.

    Attributes
    ----------
    table : DataFrame
        Index (estimand, ``analysis``), ``analysis`` in :data:`ANALYSES`; columns ``estimate,
        std_error, lower, upper, ci_level, p_value, n_persons, biased`` (True for the naive
        per-protocol row), ``first_stage_f`` and ``completion_rate`` (share of referred persons
        who completed).
    first_stage : DataFrame
        One row per estimand: ``first_stage`` (completion-rate difference, referred minus
        comparison, covariate-adjusted), its ``std_error``, ``f_statistic`` (robust Wald F of
        referral in the first stage), ``completion_rate_referred``,
        ``completion_rate_comparison`` (0 under one-sided non-compliance), ``n_referred``,
        ``n_comparison``, ``n_completers``.
    outcome : str
        What the outcome is (the person-level change score for a panel, or the response column).
    scale : str
        ``"pp"`` (percentage points) for a panel, ``"response"`` for a DataFrame.
    provenance : Provenance
    settings : dict
    """

    table: pd.DataFrame
    first_stage: pd.DataFrame
    outcome: str
    scale: str
    provenance: Provenance
    settings: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    @property
    def ci_level(self) -> float:
        """Level of every interval of this result."""
        return float(self.settings["ci_level"])

    def to_frame(self) -> pd.DataFrame:
        """The estimate table (a copy): three rows (``itt``, ``per_protocol_naive``, ``cace``)
        per estimand."""
        return self.table.copy()

    def first_stage_table(self) -> pd.DataFrame:
        """First-stage strength per estimand (a copy): F, completion rates by group, counts."""
        return self.first_stage.copy()

    def summary(self) -> Summary:
        """Plain-language estimates, the first-stage strength, the bias warning and the
        assumptions."""
        percent = f"{100 * self.ci_level:.0f}%"
        unit = "percentage points" if self.scale == "pp" else "outcome units"
        lines = [
            f"Programme completion: ITT, naive per-protocol and CACE ({unit}; {percent} "
            "intervals; standard errors robust, clustered by person).",
            f"Outcome: {self.outcome}",
        ]
        for name in dict.fromkeys(self.table.index.get_level_values(0)):
            fs = self.first_stage.loc[name]
            lines.append(
                f"{plain_value(name)}: first stage F = {fs['f_statistic']:.1f}, completion "
                f"{100 * fs['completion_rate_referred']:.0f}% of {int(fs['n_referred'])} referred "
                f"({int(fs['n_completers'])} completers), "
                f"{100 * fs['completion_rate_comparison']:.0f}% of {int(fs['n_comparison'])} "
                "comparison."
            )
            for analysis in ANALYSES:
                row = self.table.loc[(name, analysis)]
                flag = " [BIASED: do not report as the programme effect]" if row["biased"] else ""
                lines.append(
                    f"- {_ANALYSIS_TEXT[analysis]}: {row['estimate']:.3g} ({percent} CI "
                    f"{row['lower']:.3g} to {row['upper']:.3g}; {int(row['n_persons'])} "
                    f"persons){flag}."
                )
        weak = self.first_stage.index[self.first_stage["f_statistic"] < WEAK_INSTRUMENT_F]
        if len(weak):
            lines.append(
                f"WEAK INSTRUMENT (F < {WEAK_INSTRUMENT_F:g}) for {named(list(weak))}: the CACE "
                "and its interval are unreliable there."
            )
        lines.append(NAIVE_WARNING)
        lines.append(ASSUMPTIONS)
        lines.extend(self.notes)
        return Summary.build(
            "\n".join(lines),
            tables={"estimates": self.table, "first stage": self.first_stage},
        )

    def __repr__(self) -> str:
        n = len(self.first_stage)
        return f"CompletionEffects(estimands={n}, scale={self.scale!r})"

    def plot_effects(self, *, ax=None):
        """Forest plot: ITT, naive per-protocol (hollow, biased) and CACE per estimand; returns
        the matplotlib Axes."""
        table = self.table
        ax = axes_or_new(ax, figsize=(6.4, 0.35 * len(table) + 1.2))
        y = np.arange(len(table))[::-1]
        styles = {
            "itt": ("o", "#2f5d8a", "full"),
            "per_protocol_naive": ("s", "#999999", "none"),
            "cace": ("D", "#d9822b", "full"),
        }
        for analysis, (marker, colour, fill) in styles.items():
            rows = table.index.get_level_values("analysis") == analysis
            est = table["estimate"].to_numpy()[rows]
            ax.errorbar(
                est,
                y[rows],
                xerr=[est - table["lower"].to_numpy()[rows], table["upper"].to_numpy()[rows] - est],
                fmt=marker,
                color=colour,
                fillstyle=fill,
                label=analysis + (" (biased)" if analysis == "per_protocol_naive" else ""),
            )
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{plain_value(n)}: {a}" for n, a in table.index])
        ax.set_xlabel("effect (" + ("percentage points" if self.scale == "pp" else "units") + ")")
        ax.legend(loc="best", fontsize="small")
        return ax


# --------------------------------------------------------------------------- entry point
def completion_effects(
    data: object,
    *,
    completed: object,
    response: str | None = None,
    group: str | None = None,
    treated: object = None,
    person: str | None = None,
    level: str = "overall",
    covariates: list[str] | None = None,
    weights: object = None,
    baseline_wave: object = None,
    ci_level: float = 0.95,
) -> CompletionEffects:
    """Intention to treat, the naive completer comparison and the complier average causal effect.

    For each estimand, three clearly labelled rows: ``itt`` (effect of referral, i.e. of being in
    the intervention group), ``per_protocol_naive`` (completers vs the comparison group, flagged
    ``biased``) and ``cace`` (two-stage least squares, referral instrumenting completion, with
    linearmodels ``IV2SLS``), all with person-clustered (robust) standard errors and Wald
    intervals.

    Parameters
    ----------
    data : IndicatorPanel or pandas.DataFrame
        A survey panel, or a person-level table (one row per person) with a numeric ``response``.
    completed : str or pandas.Series
        Programme completion per person, 0/1 or True/False: a column of ``data`` (for a panel, a
        column of ``panel.baseline()``), or a Series indexed by person id (repeated ids allowed
        if their values agree). Comparison persons must all be 0 (one-sided non-compliance).
    response : str, optional
        The numeric outcome column (DataFrame input only).
    group, treated, person : optional
        DataFrame input only: the two-group column, its intervention label and the person-id
        column (default: a ``person`` column, else the index), as in
        :func:`~mirabal_stats.weighting.weighted_effect`.
    level : {"overall", "measure", "indicator"}, default "overall"
        Panel input only: one estimand overall, per measure or per indicator.
    covariates : list of str, optional
        Person-level covariates (columns of ``data``; for a panel, of ``panel.baseline()``),
        entered as exogenous regressors in all three analyses; text columns become indicator
        columns (first level dropped).
    weights : Weights, fitted weighting result or Series, optional
        Person-level weights, aligned by person label through
        :class:`~mirabal_stats.weighting.Weights` (weighted least squares / weighted 2SLS).
    baseline_wave : wave label, optional
        Panel input only: last pre-programme wave (default: the first wave).
    ci_level : float, default 0.95

    Returns
    -------
    CompletionEffects

    Notes
    -----
    **Panel outcome.** For person ``i`` and indicator ``k`` the outcome is the change in the
    beneficial direction from before to after the programme, in percentage points:
    ``Y_ik = 100 * b_k * (mean of i's answers to k after baseline_wave - mean of i's answers to
    k at or before it)``, with ``b_k = +1`` if "yes" is beneficial and ``-1`` if it is harmful.
    It needs at least one answer before and one after. A measure's (overall) outcome is the mean
    of ``Y_ik`` over the indicators of the measure (all indicators) that person has. The ITT on
    this outcome is the difference-in-differences of beneficial prevalence of :func:`did`: with
    complete data (one answer per person, indicator and wave) they are equal. Persons without
    any outcome for an estimand are left out of it (counted in a ``RowsExcludedWarning``).

    **Standard errors.** Clustered by person with ``G/(G-1) * (N-1)/(N-K)``; one row per person,
    so this is the heteroskedasticity-robust covariance. Intervals are normal (Wald).

    **First stage.** The F statistic is the squared robust t statistic of referral in the
    regression of completion on referral and covariates; below 10 a
    :class:`~mirabal_stats.exceptions.WeakInstrumentWarning` is issued.

    Raises
    ------
    CompletionDataError
        ``completed`` is missing for some persons, not 0/1, not constant within a person, or 1
        for a comparison person; or no referred person completed.
    SpecificationError
        Bad options (unknown column, ``response`` with a panel ...).
    WeightingError
        A person without a valid weight, or weights that vary by wave.

    Warns
    -----
    WeakInstrumentWarning
        First-stage F below 10.
    FewClustersWarning
        Fewer than 30 persons.
    RowsExcludedWarning
        Persons left out (no outcome for an estimand).

    References
    ----------
    Angrist, Imbens & Rubin (1996), JASA 91:444, doi:10.1080/01621459.1996.10476902;
    Imbens & Rubin (1997), Ann. Statist. 25:305, doi:10.1214/aos/1034276631.

    Examples
    --------
    >>> from mirabal_stats.datasets import simulate_mirabal
    >>> from mirabal_stats.frequentist import completion_effects
    >>> panel, truth = simulate_mirabal(random_seed=3, completion=0.6,
    ...                                 indicators=["slapped_pushed", "negotiates"])
    >>> result = completion_effects(panel, completed=truth.completion["completed"])
    >>> result.to_frame().index.get_level_values("analysis").tolist()
    ['itt', 'per_protocol_naive', 'cace']
    """
    ci_level = check_ci_level(ci_level)
    level = resolve_level(level)
    is_panel = not isinstance(data, pd.DataFrame)
    if is_panel:
        options = (
            ("response", response),
            ("group", group),
            ("treated", treated),
            ("person", person),
        )
        for name, value in options:
            if value is not None:
                raise SpecificationError(
                    f"{name}= is for a person-level DataFrame; with an IndicatorPanel the "
                    "outcome is the change in beneficial prevalence and the groups and persons "
                    f"come from the panel. Drop {name}=."
                )
        outcomes, persons, labels, table, description = _panel_outcomes(
            data, level=level, baseline_wave=baseline_wave
        )
        scale = "pp"
    else:
        if level != "overall" or baseline_wave is not None:
            raise SpecificationError(
                "level= and baseline_wave= are for an IndicatorPanel; a DataFrame has one "
                "outcome, its response= column. Drop them."
            )
        outcomes, persons, labels, table, description = _frame_outcomes(
            data, response=response, group=group, treated=treated, person=person
        )
        scale = "response"
    z = pd.Series(labels, index=persons, dtype=float)
    d = completion_flag(
        completed, table=table, persons=persons, referred=z, source="completion_effects"
    )
    x = _covariate_matrix(table, covariates, persons)
    w = None if weights is None else Weights(weights).for_persons(persons, where="persons")
    w_series = None if w is None else pd.Series(w, index=persons)
    check_clusters(len(persons), what="The data", stacklevel=3)

    rows, fs_rows, index, excluded = [], [], [], {}
    for name, y in outcomes.items():
        keep = y.notna().to_numpy()
        if (~keep).any():
            excluded[name] = int((~keep).sum())
        fit = _fit_estimand(
            y[keep],
            z[keep],
            d[keep],
            None if x is None else x[keep],
            None if w_series is None else w_series[keep],
            name=name,
        )
        rows.extend(fit["rows"])
        fs_rows.append(fit["first_stage"])
        index.extend((name, a) for a in ANALYSES)
    if excluded:
        warnings.warn(
            f"persons without an outcome were left out: {_excluded_text(excluded)}. "
            + (
                "A panel outcome needs at least one answer at or before the baseline wave and one "
                "after it; check panel.attrition_table()."
                if is_panel
                else "Their response is missing."
            ),
            RowsExcludedWarning,
            stacklevel=2,
        )
    first_stage = pd.DataFrame(
        fs_rows, index=pd.Index(list(outcomes), name=_level_name(level, is_panel))
    )
    weak = first_stage.index[first_stage["f_statistic"] < WEAK_INSTRUMENT_F]
    if len(weak):
        worst = first_stage.loc[weak, "f_statistic"].min()
        warnings.warn(
            f"weak instrument: referral predicts completion with a first-stage F of {worst:.1f} "
            f"(< {WEAK_INSTRUMENT_F:g}) for {named(list(weak))}. The CACE is then biased towards "
            "the naive comparison and its interval is unreliable (Staiger & Stock 1997). Check "
            "result.first_stage_table(): few completers, or covariates that predict group "
            "membership almost perfectly, weaken it.",
            WeakInstrumentWarning,
            stacklevel=2,
        )
    est = np.array([r[0] for r in rows])
    se = np.array([r[1] for r in rows])
    mi = pd.MultiIndex.from_tuples(index, names=[_level_name(level, is_panel), "analysis"])
    out = normal_table(est, se, index=mi, ci_level=ci_level)
    out.index = mi
    out["n_persons"] = [r[2] for r in rows]
    out["biased"] = [a == "per_protocol_naive" for _, a in index]
    out["first_stage_f"] = [first_stage.loc[n, "f_statistic"] for n, _ in index]
    out["completion_rate"] = [first_stage.loc[n, "completion_rate_referred"] for n, _ in index]

    settings = {
        "input": "panel" if is_panel else "data",
        "level": level if is_panel else None,
        "covariates": list(covariates or []),
        "weighted": weights is not None,
        "ci_level": ci_level,
        "std_error_type": "clustered by person, G/(G-1)*(N-1)/(N-K) (linearmodels IV2SLS)",
    }
    frame = pd.DataFrame({"z": z, "d": d, **{f"y_{i}": v for i, v in enumerate(outcomes.values())}})
    return CompletionEffects(
        table=out,
        first_stage=first_stage,
        outcome=description,
        scale=scale,
        provenance=make_provenance(data=frame.reset_index(drop=True), settings=settings),
        settings=settings,
        notes=tuple(
            f"Left out of {plain_value(n)!r}: {k} person(s) without an outcome."
            for n, k in excluded.items()
        ),
    )


def _level_name(level: str, is_panel: bool) -> str:
    return level if is_panel else "response"


def _excluded_text(excluded: dict) -> str:
    parts = [f"{k} from {plain_value(n)!r}" for n, k in list(excluded.items())[:5]]
    return ", ".join(parts) + (" ..." if len(excluded) > 5 else "")


# --------------------------------------------------------------------------- estimation
def _fit_estimand(y, z, d, x, w, *, name) -> dict:
    """ITT, naive per-protocol, CACE and first stage for one outcome (rows: persons)."""
    n_ref = int((z == 1).sum())
    n_cmp = int((z == 0).sum())
    if n_ref == 0 or n_cmp == 0:
        raise EstimationError(
            f"{plain_value(name)!r}: the persons with an outcome are all in one group "
            f"({n_ref} referred, {n_cmp} comparison); the effects need both groups."
        )
    completers = int(((z == 1) & (d == 1)).sum())
    if completers == 0:
        raise CompletionDataError(
            f"no referred (intervention-group) person with an outcome for {plain_value(name)!r} "
            "completed the programme, so referral does not move completion and the CACE is not "
            "identified. Check the completion column (is 1 'completed'?)."
        )
    cluster = np.arange(len(y))
    const = pd.DataFrame({"const": np.ones(len(y))})
    exog = const if x is None else pd.concat([const, x.reset_index(drop=True)], axis=1)
    wv = None if w is None else w.to_numpy()
    zf = pd.DataFrame({"referred": z.to_numpy()})
    df = pd.DataFrame({"completed": d.to_numpy()})
    yv = y.to_numpy(dtype=float)

    itt = fit_iv2sls(yv, pd.concat([exog, zf], axis=1), cluster=cluster, weights=wv)
    first = fit_iv2sls(
        d.to_numpy(dtype=float), pd.concat([exog, zf], axis=1), cluster=cluster, weights=wv
    )
    cace = fit_iv2sls(yv, exog, endog=df, instruments=zf, cluster=cluster, weights=wv)
    pp = (z == 0).to_numpy() | (d == 1).to_numpy()
    naive = fit_iv2sls(
        yv[pp],
        pd.concat([exog[pp].reset_index(drop=True), df[pp].reset_index(drop=True)], axis=1),
        cluster=cluster[pp],
        weights=None if wv is None else wv[pp],
    )
    coef = float(first.params["referred"])
    var = float(first.cov.loc["referred", "referred"])
    f_stat = coef**2 / var if var > 0 else (np.inf if coef != 0 else 0.0)
    weights = np.ones(len(y)) if wv is None else wv
    ref = (z == 1).to_numpy()
    rate_ref = float(np.average(d.to_numpy()[ref], weights=weights[ref]))
    rate_cmp = float(np.average(d.to_numpy()[~ref], weights=weights[~ref]))

    def row(fit, term, n):
        return (float(fit.params[term]), float(np.sqrt(fit.cov.loc[term, term])), n)

    return {
        "rows": [
            row(itt, "referred", len(y)),
            row(naive, "completed", int(pp.sum())),
            row(cace, "completed", len(y)),
        ],
        "first_stage": {
            "first_stage": coef,
            "std_error": float(np.sqrt(var)),
            "f_statistic": float(f_stat),
            "completion_rate_referred": rate_ref,
            "completion_rate_comparison": rate_cmp,
            "n_referred": n_ref,
            "n_comparison": n_cmp,
            "n_completers": completers,
        },
    }


# --------------------------------------------------------------------------- outcomes
def _panel_outcomes(panel, *, level: str, baseline_wave):
    """Person-level beneficial change scores (pp) per estimand of ``level``."""
    frame = analysis_frame(panel, baseline_wave=baseline_wave)
    frame["signed"] = 100.0 * frame["benefit_sign"] * frame["response"]
    means = frame.groupby(["person_code", "indicator", "post"], sort=False)["signed"].mean()
    wide = means.unstack("post")
    if 0 not in wide.columns or 1 not in wide.columns:
        raise EstimationError(
            "no person answered both at or before the baseline wave and after it; the change "
            "score needs both. Check panel.attrition_table()."
        )
    change = (wide[1] - wide[0]).unstack("indicator")  # persons x indicators (NaN: not both)
    codes = frame.drop_duplicates("person_code").set_index("person_code")
    table = panel.baseline()
    # Every person of the panel is a row (a person with no usable answers gets NaN outcomes).
    persons = pd.Index(table["person"].to_numpy(), name="person")
    table.index = persons.rename(None)
    change.index = pd.Index(codes["person"].reindex(change.index).to_numpy(), name="person")
    change = change.reindex(persons)
    outcomes = {}
    for name, members in level_groups(panel, level):
        present = [k for k in members if k in change.columns]
        block = change[present] if present else pd.DataFrame(index=persons)
        outcomes[name] = (
            block.mean(axis=1, skipna=True) if present else pd.Series(np.nan, index=persons)
        )
    labels = table["treated"].to_numpy()
    waves = frame.attrs["waves"]
    description = (
        "person-level change in beneficial-direction prevalence, percentage points: per "
        "indicator, 100 x (mean answer after wave "
        f"{plain_value(waves[frame.attrs['baseline_code']])!r} - mean answer at or before it), "
        "sign flipped for harmful indicators; "
        + {
            "indicator": "one estimand per indicator.",
            "measure": "averaged over the indicators of each measure the person has.",
            "overall": "averaged over all indicators the person has.",
        }[level]
    )
    return outcomes, persons, labels, table, description


def _frame_outcomes(data, *, response, group, treated, person):
    if response is None:
        raise SpecificationError(
            "completion_effects with a DataFrame needs response= the numeric outcome column "
            "(e.g. response='reoffended'); for survey panels pass the IndicatorPanel itself."
        )
    checked = person_table(
        data,
        group=group,
        treated=treated,
        person=person,
        columns={"response": response},
        source="completion_effects",
    )
    values = pd.to_numeric(data[response], errors="coerce")
    text = values.isna() & data[response].notna()
    if text.any():
        raise SpecificationError(
            f"response column {response!r} must be numeric, but {int(text.sum())} row(s) are not "
            f"(e.g. {plain_value(data[response][text].iloc[0])!r}). Recode it (e.g. 0/1) first."
        )
    persons = pd.Index(checked.keys, name="person")
    table = data.set_axis(persons)
    outcomes = {response: pd.Series(values.to_numpy(dtype=float), index=persons)}
    description = f"column {response!r} (person-level, as given)"
    return outcomes, persons, checked.groups.indicator.astype(int), table, description


# --------------------------------------------------------------------------- covariates
def _covariate_matrix(table: pd.DataFrame, covariates, persons: pd.Index) -> pd.DataFrame | None:
    """The covariates as regressors: the same expansion (numbers, booleans, dummies for
    categories with the first level dropped) and checks as every other weighted analysis."""
    if covariates is None or len(covariates) == 0:
        return None
    if isinstance(covariates, str) or not all(isinstance(c, str) for c in covariates):
        raise SpecificationError(
            f"covariates must be a list of column names, got {covariates!r}; e.g. "
            "covariates=['age', 'prior_police']."
        )
    require_columns(
        table.reset_index(drop=True),
        {f"covariate {c!r}": c for c in covariates},
        source="completion_effects",
    )
    # Checked here, not in build_design, whose message is about estimating weights.
    missing = table[list(covariates)].isna().any(axis=1).to_numpy()
    if missing.any():
        column = next(c for c in covariates if table[c].isna().any())
        raise SpecificationError(
            f"covariates are missing for {int(missing.sum())} person(s) (e.g. column {column!r} "
            f"for person {plain_value(persons[missing][0])!r}); the regressions need every "
            "covariate. Impute them or drop those persons first."
        )
    design = build_design(table.reset_index(drop=True), covariates, missing="error", keys=persons)
    return pd.DataFrame(design.model_matrix, index=persons, columns=design.model_names)
