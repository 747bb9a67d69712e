"""Validation of person-level survival input: the one door for durations, events and bounds.

Everything downstream (Kaplan-Meier, Turnbull, the lifelines adapter, the Bayesian model) works on
the :class:`SurvivalInput` built here, so each check is written once and every error names the
column, the offending values and how to fix them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirabal_stats.exceptions import EstimabilityWarning, SpecificationError, SurvivalDataError

__all__ = ["SurvivalInput", "validate_survival_input", "validate_weights"]

# Level names taken as "the programme arm" when the group column holds text.
_TREATED_NAMES = ("intervention", "treated", "treatment", "programme", "program", "workshop")


@dataclass(frozen=True)
class SurvivalInput:
    """Validated survival data (arrays aligned with ``frame``).

    ``kind`` is ``"right"`` (``duration``/``event``) or ``"interval"`` (``lower``/``upper``; an
    event lies in ``(lower, upper]``, ``upper = inf`` means right-censored at ``lower`` and
    ``lower == upper`` an exactly observed event). ``treated`` is 1 for the treated level of the
    group column. ``covariates`` holds numeric design columns (dummies for categorical ones).
    """

    kind: str
    group_name: str
    group_levels: tuple  # (reference level, treated level)
    treated: np.ndarray
    covariates: pd.DataFrame
    weights: np.ndarray | None
    duration: np.ndarray | None = None
    event: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    duration_name: str | None = None
    event_name: str | None = None
    lower_name: str | None = None
    upper_name: str | None = None
    cluster: np.ndarray | None = None

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


def _examples(frame: pd.DataFrame, mask: np.ndarray, column: str, k: int = 3) -> str:
    rows = frame.index[mask][:k]

    def show(value):
        return value.item() if isinstance(value, np.generic) else value

    return ", ".join(f"{show(frame.loc[r, column])!r} in row {r!r}" for r in rows)


def _require_columns(frame: pd.DataFrame, columns: dict[str, str | None]) -> None:
    for role, name in columns.items():
        if name is not None and name not in frame.columns:
            raise SpecificationError(
                f"{role}={name!r} is not a column of the data; available columns: "
                f"{', '.join(map(str, frame.columns))}."
            )


def _numeric(frame: pd.DataFrame, column: str, role: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & frame[column].notna().to_numpy()
    if bad.any():
        raise SurvivalDataError(
            f"column {column!r} ({role}) must be numeric, but {bad.sum()} rows are not "
            f"(e.g. {_examples(frame, bad, column)}). Convert it with pd.to_numeric first."
        )
    missing = np.isnan(values)
    if missing.any():
        raise SurvivalDataError(
            f"column {column!r} ({role}) has {missing.sum()} missing values "
            f"(e.g. rows {list(frame.index[missing][:3])}). A survival analysis needs every "
            f"{role}; drop or impute those rows explicitly before calling."
        )
    return values


def validate_weights(
    frame: pd.DataFrame, weights: str | np.ndarray | pd.Series | None
) -> np.ndarray | None:
    """Return weights as a float array (or None), checking they are finite and non-negative."""
    if weights is None:
        return None
    if isinstance(weights, str):
        _require_columns(frame, {"weights": weights})
        name = weights
        values = _numeric(frame, weights, "weights")
    else:
        name = "weights"
        values = np.asarray(weights, dtype=float)
        if values.shape != (len(frame),):
            raise SurvivalDataError(
                f"weights has shape {values.shape} but the data have {len(frame)} rows; pass one "
                "weight per row (or the name of a weights column)."
            )
        if np.isnan(values).any():
            raise SurvivalDataError(
                f"weights has {np.isnan(values).sum()} missing values; every row needs a weight."
            )
    if not np.isfinite(values).all():
        raise SurvivalDataError(f"{name!r} holds infinite weights; weights must be finite.")
    negative = values < 0
    if negative.any():
        raise SurvivalDataError(
            f"{name!r} must be non-negative, but {negative.sum()} weights are negative "
            f"(smallest {values.min():.4g}). Propensity or attrition weights are never negative: "
            "check how they were computed."
        )
    if values.sum() <= 0:
        raise SurvivalDataError(f"{name!r} are all zero; at least one row needs positive weight.")
    return values


def _group(frame: pd.DataFrame, group: str, treated) -> tuple[np.ndarray, tuple]:
    col = frame[group]
    if col.isna().any():
        raise SurvivalDataError(
            f"group column {group!r} has {col.isna().sum()} missing values; every person needs a group."
        )
    levels = list(pd.unique(col))
    if len(levels) != 2:
        raise SurvivalDataError(
            f"group column {group!r} must have exactly two levels (treated and comparison), found "
            f"{len(levels)}: {sorted(map(str, levels))[:6]}."
        )
    if treated is None:
        as_set = set(levels)
        if as_set <= {0, 1} or as_set <= {True, False}:
            treated = 1
        else:
            named = [lv for lv in levels if str(lv).lower() in _TREATED_NAMES]
            if len(named) != 1:
                raise SpecificationError(
                    f"cannot tell which level of {group!r} is the treated group (levels "
                    f"{levels!r}); pass treated=<level>."
                )
            treated = named[0]
    if treated not in levels:
        raise SpecificationError(f"treated={treated!r} is not a level of {group!r} ({levels!r}).")
    reference = next(lv for lv in levels if lv != treated)
    # numpy scalars print as np.int64(0) in messages and tables: keep plain Python values.
    treated, reference = (
        lv.item() if isinstance(lv, np.generic) else lv for lv in (treated, reference)
    )
    return (col == treated).to_numpy().astype(int), (reference, treated)


def _covariates(frame: pd.DataFrame, covariates, group: str) -> pd.DataFrame:
    if covariates is None:
        return pd.DataFrame(index=frame.index)
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    _require_columns(frame, {f"covariates[{i}]": c for i, c in enumerate(covariates)})
    if group in covariates:
        raise SpecificationError(f"the group column {group!r} must not also be a covariate.")
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
    constant = [c for c in design.columns if design[c].nunique() < 2]
    if constant:
        raise SurvivalDataError(
            f"covariates {constant} are constant in these data and cannot be estimated; remove them."
        )
    return design.astype(float)


def validate_survival_input(
    frame: pd.DataFrame,
    *,
    group: str,
    duration: str | None = None,
    event: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    covariates=None,
    weights=None,
    treated=None,
    cluster: str | None = None,
) -> SurvivalInput:
    """Check person-level survival data and return a :class:`SurvivalInput`.

    Either ``duration`` (with optional ``event``, default all events) for right censoring, or
    ``lower`` and ``upper`` for interval censoring; not both.
    """
    if not isinstance(frame, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame, got {type(frame).__name__}.")
    right = duration is not None
    interval = lower is not None or upper is not None
    if right == interval:
        raise SpecificationError(
            "give either duration= (and event=) for right-censored data, or lower= and upper= "
            "for interval-censored data, not both and not neither."
        )
    if interval and (lower is None or upper is None):
        raise SpecificationError("interval-censored data need both lower= and upper= columns.")
    _require_columns(
        frame,
        {
            "group": group,
            "duration": duration,
            "event": event,
            "lower": lower,
            "upper": upper,
            "cluster": cluster,
        },
    )
    if len(frame) == 0:
        raise SurvivalDataError("the data have no rows.")
    treated_ind, levels = _group(frame, group, treated)
    design = _covariates(frame, covariates, group)
    w = validate_weights(frame, weights)
    clusters = None if cluster is None else pd.factorize(frame[cluster])[0]
    common = dict(
        group_name=group,
        group_levels=levels,
        treated=treated_ind,
        covariates=design,
        weights=w,
        cluster=clusters,
    )
    if right:
        dur = _numeric(frame, duration, "duration")
        negative = dur < 0
        if negative.any():
            raise SurvivalDataError(
                f"column {duration!r} (duration) must be >= 0, but {negative.sum()} rows are "
                f"negative (e.g. {_examples(frame, negative, duration)}). Durations count time "
                "from the start of follow-up; check the dates used to compute them."
            )
        if event is None:
            ev = np.ones(len(frame), dtype=int)
        else:
            raw = frame[event]
            if raw.isna().any():
                raise SurvivalDataError(
                    f"column {event!r} (event) has {raw.isna().sum()} missing values; code "
                    "censored rows as 0."
                )
            numeric = pd.to_numeric(raw.astype(int) if raw.dtype == bool else raw, errors="coerce")
            bad = ~numeric.isin([0, 1]).to_numpy()
            if bad.any():
                raise SurvivalDataError(
                    f"column {event!r} (event) must be 0 (censored) or 1 (event), but {bad.sum()} "
                    f"rows hold other values (e.g. {_examples(frame, bad, event)}). Recode them."
                )
            ev = numeric.to_numpy().astype(int)
        result = SurvivalInput(
            kind="right",
            duration=dur,
            event=ev,
            duration_name=duration,
            event_name=event,
            **common,
        )
    else:
        lo = _numeric(frame, lower, "lower bound")
        hi = pd.to_numeric(frame[upper], errors="coerce").to_numpy(dtype=float)
        if frame[upper].isna().any():
            raise SurvivalDataError(
                f"column {upper!r} (upper bound) has {frame[upper].isna().sum()} missing values; "
                "use numpy.inf for right-censored rows (no event by the last survey)."
            )
        negative = lo < 0
        if negative.any():
            raise SurvivalDataError(
                f"column {lower!r} (lower bound) must be >= 0, but {negative.sum()} rows are "
                f"negative (e.g. {_examples(frame, negative, lower)})."
            )
        reversed_ = lo > hi
        if reversed_.any():
            raise SurvivalDataError(
                f"lower bound {lower!r} exceeds upper bound {upper!r} in {reversed_.sum()} rows "
                f"(e.g. rows {list(frame.index[reversed_][:3])}). The event lies in "
                "(lower, upper]; swap or fix those bounds."
            )
        if np.isinf(lo).any():
            raise SurvivalDataError(f"column {lower!r} (lower bound) must be finite.")
        result = SurvivalInput(
            kind="interval",
            lower=lo,
            upper=hi,
            lower_name=lower,
            upper_name=upper,
            **common,
        )
    _warn_no_events(result)
    return result


def _warn_no_events(data: SurvivalInput) -> None:
    events = data.event_indicator()
    for code, level in zip((0, 1), data.group_levels):
        if events[data.treated == code].sum() == 0:
            warnings.warn(
                f"group {level!r} of {data.group_name!r} has no events, so the hazard ratio "
                "(and any relative risk) is not estimable: the Cox estimate diverges. Report "
                "event counts instead, or pool follow-up to a horizon where events occur.",
                EstimabilityWarning,
                stacklevel=4,
            )
