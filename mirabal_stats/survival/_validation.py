"""Validation of person-level survival input: what is survival-specific, on top of the person door.

Columns, the two groups, person labels and weights come through
:func:`mirabal_stats.data.persons.person_table` (the one door for person-level tables, shared
with weighting): weights are matched to rows by person label, never by position. This module
adds what only survival needs: durations, events, interval bounds, clusters and the covariate
design. Everything downstream (Kaplan-Meier, Turnbull, the lifelines adapter, the Bayesian model)
works on the :class:`SurvivalInput` built here, so each check is written once and every error
names the column, the offending values and how to fix them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirabal_stats.data.persons import (
    check_id_types,
    person_table,
    plain_value,
    require_columns,
)
from mirabal_stats.exceptions import EstimabilityWarning, SpecificationError, SurvivalDataError

__all__ = ["SurvivalInput", "validate_survival_input"]


@dataclass(frozen=True)
class SurvivalInput:
    """Validated survival data (arrays aligned with the rows of the data).

    ``kind`` is ``"right"`` (``duration``/``event``) or ``"interval"`` (``lower``/``upper``; an
    event lies in ``(lower, upper]``, ``upper = inf`` means right-censored at ``lower`` and
    ``lower == upper`` an exactly observed event). ``treated`` is 1 for the intervention group.
    ``group_levels`` is ``(comparison, treated)``. ``covariates`` holds numeric design columns
    (dummies for categorical ones). ``keys`` are the person labels of the rows; ``cluster`` the
    integer codes of the cluster column (None without one).
    """

    kind: str
    group_name: str
    group_levels: tuple  # (comparison level, treated level)
    treated: np.ndarray
    covariates: pd.DataFrame
    weights: np.ndarray | None
    keys: pd.Index | None = None
    duration: np.ndarray | None = None
    event: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    duration_name: str | None = None
    event_name: str | None = None
    lower_name: str | None = None
    upper_name: str | None = None
    cluster: np.ndarray | None = None
    cluster_name: str | None = None

    @property
    def n(self) -> int:
        return len(self.treated)

    @property
    def w(self) -> np.ndarray:
        """Weights, or ones when none were given."""
        return np.ones(self.n) if self.weights is None else self.weights

    def event_indicator(self) -> np.ndarray:
        """1 where an event is known to have happened (for interval data: finite upper bound)."""
        if self.kind == "right":
            return self.event
        return np.isfinite(self.upper).astype(int)

    def events_by_group(self) -> dict:
        """``{group label: (persons, events)}`` in the order (comparison, treated)."""
        events = self.event_indicator()
        return {
            label: (int((self.treated == code).sum()), int(events[self.treated == code].sum()))
            for code, label in enumerate(self.group_levels)
        }

    def last_follow_up(self) -> dict:
        """``{group label: last follow-up time}``: the largest duration, or for interval data the
        largest finite bound (the curves are not estimated beyond it)."""
        out = {}
        for code, label in enumerate(self.group_levels):
            m = self.treated == code
            if self.kind == "right":
                out[label] = float(self.duration[m].max())
            else:
                hi = self.upper[m]
                out[label] = float(max(self.lower[m].max(), hi[np.isfinite(hi)].max(initial=0.0)))
        return out


def _rows(frame: pd.DataFrame, mask: np.ndarray, column: str, k: int = 3) -> str:
    rows = frame.index[mask][:k]
    return ", ".join(
        f"{plain_value(frame.loc[r, column])!r} in row {plain_value(r)!r}" for r in rows
    )


def _numeric(frame: pd.DataFrame, column: str, role: str, *, allow_missing=False) -> np.ndarray:
    raw = frame[column]
    if raw.dtype == bool:
        raw = raw.astype(int)
    try:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):  # cells holding lists or other unhashable objects
        values = np.full(len(raw), np.nan)
    bad = np.isnan(values) & raw.notna().to_numpy()
    if bad.any():
        raise SurvivalDataError(
            f"column {column!r} ({role}) must be numeric, but {int(bad.sum())} rows are not "
            f"(e.g. {_rows(frame, bad, column)}). Convert it with pandas.to_numeric first."
        )
    missing = np.isnan(values)
    if missing.any() and not allow_missing:
        raise SurvivalDataError(
            f"column {column!r} ({role}) has {int(missing.sum())} missing values (e.g. rows "
            f"{[plain_value(r) for r in frame.index[missing][:3]]}). A survival analysis needs "
            f"every {role}; drop or impute those rows explicitly before calling."
        )
    return values


def _censoring_kind(duration, event, lower, upper) -> str:
    if duration is not None and (lower is not None or upper is not None):
        raise SpecificationError(
            "give either duration= (and event=) for right-censored data, or lower= and upper= "
            "for interval-censored data, not both."
        )
    if duration is None and lower is None and upper is None:
        raise SpecificationError(
            "no outcome given: pass duration= (and event=) for right-censored data, or lower= "
            "and upper= for interval-censored data."
        )
    if duration is None:
        if lower is None or upper is None:
            given, missing = ("lower", "upper") if upper is None else ("upper", "lower")
            raise SpecificationError(
                f"{given}= was given without {missing}=: interval-censored data need both bounds "
                "(the event lies in (lower, upper]; upper = inf when no event was reported). "
                "For right-censored data pass duration= and event= instead."
            )
        if event is not None:
            raise SpecificationError(
                f"event={event!r} belongs to right-censored data (duration=); with lower= and "
                "upper= the event is known from the bounds (finite upper bound: an event in "
                "(lower, upper]). Remove event=."
            )
        return "interval"
    return "right"


def _covariate_names(covariates) -> list | None:
    """``covariates`` as a list of column names (None or empty: no covariates)."""
    if covariates is None:
        return None
    if isinstance(covariates, str):
        return [covariates]
    if isinstance(covariates, (list, tuple, pd.Index, np.ndarray)):
        return list(covariates) or None
    raise SpecificationError(
        f"covariates must be a column name or a list of column names, got {covariates!r}."
    )


def _refuse_unhashable_cells(data: pd.DataFrame, columns: list) -> None:
    """A cell holding a list or dict (one cell, several values) cannot be a duration, a group
    or a covariate; say where it is rather than failing inside pandas."""
    for column in columns:
        try:
            if column not in data.columns:
                continue
        except TypeError:  # an unhashable column name: require_columns explains it
            continue
        values = data[column]
        if values.dtype != object:
            continue
        bad = values.map(lambda v: isinstance(v, (list, dict, set, tuple, np.ndarray)))
        if bad.any():
            row = values.index[bad.to_numpy()][0]
            raise SurvivalDataError(
                f"column {column!r} holds a {type(values[row]).__name__} in row "
                f"{plain_value(row)!r} ({values[row]!r}) where one value is expected; "
                f"{int(bad.sum())} row(s) do. Each cell must hold one value: flatten or clean "
                "that column."
            )


def _covariates(frame: pd.DataFrame, covariates, reserved: dict) -> pd.DataFrame:
    if covariates is None:
        return pd.DataFrame(index=frame.index)
    repeated = sorted({str(c) for c in covariates if covariates.count(c) > 1})
    if repeated:
        raise SpecificationError(
            f"covariates lists {repeated} more than once; list each covariate once."
        )
    for role, column in reserved.items():
        if column is not None and column in covariates:
            raise SpecificationError(
                f"the {role} column {column!r} must not also be a covariate; remove it from "
                "covariates."
            )
    sub = frame[covariates]
    missing = sub.isna().sum()
    if missing.any():
        bad = missing[missing > 0]
        raise SurvivalDataError(
            "covariates have missing values: "
            + ", ".join(f"{c!r} ({n} rows)" for c, n in bad.items())
            + ". Impute them or drop those rows explicitly; rows are never dropped silently."
        )
    # Text or categorical covariates become treatment-coded dummies (first level is reference).
    design = pd.get_dummies(sub, drop_first=True, dtype=float)
    try:
        design = design.astype(float)
    except (TypeError, ValueError):
        kinds = {c: str(sub[c].dtype) for c in sub.columns if c in design.columns}
        raise SurvivalDataError(
            f"covariates must be numbers, yes/no or categories, but some cannot be used as such "
            f"(column types {kinds}). Convert dates to numbers (e.g. years since an origin)."
        ) from None
    infinite = [c for c in design.columns if not np.isfinite(design[c].to_numpy()).all()]
    if infinite:
        raise SurvivalDataError(
            f"covariates {infinite} hold infinite values; a covariate must be finite."
        )
    constant = [c for c in design.columns if design[c].nunique() < 2]
    if constant:
        raise SurvivalDataError(
            f"covariates {constant} are constant in these data and cannot be estimated; remove them."
        )
    return design


def _cluster(frame: pd.DataFrame, cluster: str) -> np.ndarray:
    labels = frame[cluster]
    if labels.isna().any():
        raise SurvivalDataError(
            f"cluster column {cluster!r} is missing for {int(labels.isna().sum())} row(s) (e.g. "
            f"row {plain_value(frame.index[labels.isna().to_numpy()][0])!r}); every person needs "
            "a cluster for the robust variance. Fill it in, or drop those rows first."
        )
    check_id_types(labels, column=cluster, what="cluster", error=SurvivalDataError)
    return pd.factorize(labels)[0]


def _right(frame, duration, event, common) -> SurvivalInput:
    dur = _numeric(frame, duration, "duration")
    infinite = ~np.isfinite(dur)
    if infinite.any():
        raise SurvivalDataError(
            f"column {duration!r} (duration) must be finite, but {int(infinite.sum())} rows are "
            f"infinite (e.g. {_rows(frame, infinite, duration)}). A person never seen to have "
            "the event is censored (event 0) at the end of their follow-up, with that time."
        )
    negative = dur < 0
    if negative.any():
        raise SurvivalDataError(
            f"column {duration!r} (duration) must be >= 0, but {int(negative.sum())} rows are "
            f"negative (e.g. {_rows(frame, negative, duration)}). Durations count time "
            "from the start of follow-up; check the dates used to compute them."
        )
    if (dur == 0).all():
        raise SurvivalDataError(
            f"every duration in column {duration!r} is 0: there is no follow-up time to analyse. "
            "Check that the column holds the time from the start of follow-up to the event or "
            "censoring (not, e.g., a date or an indicator)."
        )
    if event is None:
        ev = np.ones(len(frame), dtype=int)
    else:
        raw = frame[event]
        if raw.isna().any():
            raise SurvivalDataError(
                f"column {event!r} (event) has {int(raw.isna().sum())} missing values; code "
                "censored rows as 0."
            )
        numeric = _numeric(frame, event, "event")
        bad = ~np.isin(numeric, (0.0, 1.0))
        if bad.any():
            raise SurvivalDataError(
                f"column {event!r} (event) must be 0 (censored) or 1 (event), but "
                f"{int(bad.sum())} rows hold other values (e.g. {_rows(frame, bad, event)}). "
                "Recode them."
            )
        ev = numeric.astype(int)
    return SurvivalInput(
        kind="right", duration=dur, event=ev, duration_name=duration, event_name=event, **common
    )


def _interval(frame, lower, upper, common) -> SurvivalInput:
    lo = _numeric(frame, lower, "lower bound")
    hi = _numeric(frame, upper, "upper bound", allow_missing=True)
    if np.isnan(hi).any():
        raise SurvivalDataError(
            f"column {upper!r} (upper bound) has {int(np.isnan(hi).sum())} missing values; "
            "use numpy.inf for right-censored rows (no event by the last survey)."
        )
    if not np.isfinite(lo).all():
        bad = ~np.isfinite(lo)
        raise SurvivalDataError(
            f"column {lower!r} (lower bound) must be finite, but {int(bad.sum())} rows are not "
            f"(e.g. {_rows(frame, bad, lower)}): it is the last time the person was known to "
            "be event-free."
        )
    negative = lo < 0
    if negative.any():
        raise SurvivalDataError(
            f"column {lower!r} (lower bound) must be >= 0, but {int(negative.sum())} rows are "
            f"negative (e.g. {_rows(frame, negative, lower)})."
        )
    reversed_ = lo > hi
    if reversed_.any():
        raise SurvivalDataError(
            f"lower bound {lower!r} exceeds upper bound {upper!r} in {int(reversed_.sum())} rows "
            f"(e.g. rows {[plain_value(r) for r in frame.index[reversed_][:3]]}). The event lies "
            "in (lower, upper]; swap or fix those bounds."
        )
    if ((lo == 0) & np.isinf(hi)).all():
        raise SurvivalDataError(
            f"every row has bounds (0, inf] in {lower!r} / {upper!r}: nobody was followed up "
            "after the start, so the data say nothing about time to event."
        )
    return SurvivalInput(
        kind="interval", lower=lo, upper=hi, lower_name=lower, upper_name=upper, **common
    )


def validate_survival_input(
    data: pd.DataFrame,
    *,
    group: str,
    treated=None,
    duration: str | None = None,
    event: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    covariates=None,
    weights=None,
    person: str | None = None,
    cluster: str | None = None,
    source: str = "compare_groups",
    warn_no_events: bool = True,
) -> SurvivalInput:
    """Check person-level survival data and return a :class:`SurvivalInput`.

    Either ``duration`` (with optional ``event``, default all events) for right censoring, or
    ``lower`` and ``upper`` for interval censoring; not both. Weights go through
    :meth:`PersonTable.weights`: a column name, a :class:`~mirabal_stats.weighting.Weights`, a
    fitted weighting result or a Series keyed by person label; arrays are refused.
    """
    kind = _censoring_kind(duration, event, lower, upper)
    if not isinstance(group, str) and not np.isscalar(group):
        raise SpecificationError(
            f"group must name the column holding the two groups, got {group!r}."
        )
    covariates = _covariate_names(covariates)
    roles = {
        "duration": duration,
        "event": event,
        "lower": lower,
        "upper": upper,
        "cluster": cluster,
    }
    cov_roles = {f"covariates[{i}]": c for i, c in enumerate(covariates or [])}
    if isinstance(data, pd.DataFrame):
        named = [group, person, *roles.values(), *(covariates or [])]
        _refuse_unhashable_cells(data, [c for c in named if c is not None])
    # Duplicate person labels are harmless without weights (nothing is looked up by label), and
    # a cluster column means a person may have several rows.
    table = person_table(
        data,
        group=group,
        treated=treated,
        person=person,
        columns={**roles, **cov_roles},
        unique=weights is not None and cluster is None,
        source=source,
    )
    frame = table.data
    if isinstance(weights, str):
        require_columns(frame, {"weights": weights}, source=source)
    design = _covariates(frame, covariates, {"group": group, **roles, "person": table.person})
    common = dict(
        group_name=group,
        group_levels=table.groups.labels,
        treated=table.groups.indicator.astype(int),
        covariates=design,
        weights=table.weights(weights),
        keys=table.keys,
        cluster=None if cluster is None else _cluster(frame, cluster),
        cluster_name=cluster,
    )
    if kind == "right":
        result = _right(frame, duration, event, common)
    else:
        result = _interval(frame, lower, upper, common)
    if warn_no_events:
        _warn_no_events(result)
    return result


def _warn_no_events(data: SurvivalInput) -> None:
    for level, (n, events) in data.events_by_group().items():
        if events == 0:
            warnings.warn(
                f"group {level!r} of {data.group_name!r} has no events (0 of {n} persons), so "
                "the hazard ratio (and any relative risk) is not estimable: its estimate "
                "diverges. Report event counts instead, or pool follow-up to a horizon where "
                "events occur.",
                EstimabilityWarning,
                stacklevel=4,
            )


def check_count(value, name: str, *, minimum: int) -> int:
    """``value`` as an int after checking it is a whole number >= ``minimum`` (not a bool)."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or value < minimum
    ):
        raise SpecificationError(f"{name} must be a whole number >= {minimum}, got {value!r}.")
    return int(value)
