"""Checks that turn raw survey exports into a valid long table, one check per function.

Every check raises :class:`~mirabal_stats.exceptions.PanelValidationError` with a message that
names the problem, where it is (column, row, person) and the fix. The checks are called by
:meth:`IndicatorPanel.from_long` and :meth:`IndicatorPanel.from_wide`; they are public so that
their messages can be tested one by one. Column presence, the two groups and mixed-type ids are
checked by the shared person-table door (:mod:`mirabal_stats.data.persons`), so a panel and a
person-level table give the same message for the same mistake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from mirabal_stats.data.persons import check_id_types, plain_value, resolve_groups
from mirabal_stats.exceptions import PanelValidationError

__all__ = [
    "RESERVED_NAMES",
    "check_roles",
    "check_cells",
    "check_complete",
    "check_group",
    "check_person_constant",
    "check_indicator_measures",
    "check_measure_mapping",
    "check_reserved_names",
    "check_no_duplicates",
    "order_waves",
]

#: Column names of the panel's own tables (``to_long``, ``to_wide``, ``baseline``): an indicator
#: or a covariate may not take one of them, or those tables would hold two columns of that name.
RESERVED_NAMES = ("person", "wave", "group", "measure", "indicator", "response", "treated")


#: Cell values that hold several values: never one id, label or answer.
_CONTAINERS = (list, tuple, set, frozenset, dict, np.ndarray, pd.Series)


def _rows(index: Iterable, k: int = 3) -> str:
    """``"rows 3, 7, 9, ..."``: index labels of the user's data, for messages."""
    labels = list(index)
    shown = ", ".join(repr(plain_value(v)) for v in labels[:k])
    return f"row{'s' if len(labels) > 1 else ''} {shown}{', ...' if len(labels) > k else ''}"


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array: not a missing scalar
        return False


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def check_roles(roles: Sequence[tuple[str, object]], *, source: str) -> None:
    """Refuse one column given for two roles (e.g. a covariate that is also the person column).

    ``roles`` lists ``(role, column)`` pairs; ``None`` columns are skipped.
    """
    seen: dict[object, str] = {}
    for role, column in roles:
        if column is None:
            continue
        if column in seen:
            first = seen[column]
            fix = (
                "list each column once"
                if first == role
                else "each role needs its own column: a covariate is a separate person-level "
                "column, an indicator a separate answer column"
            )
            raise PanelValidationError(
                f"{source}: column {plain_value(column)!r} is given as {first} and again as "
                f"{role}; {fix}. Remove it from one of them."
            )
        seen[column] = role


def check_cells(
    data: pd.DataFrame,
    columns: Sequence[tuple[str, object]],
    *,
    person: object = None,
    source: str,
) -> None:
    """Refuse a cell holding a list, a dict or an array where one value (id, label, answer) belongs.

    The message names the column, its role, the row (index label) and the person of that row.
    """
    for role, column in columns:
        values = data[column]
        if values.dtype != object:
            continue
        try:
            if not any(isinstance(v, _CONTAINERS) for v in pd.unique(values)):
                continue
        except TypeError:  # an unhashable cell (a list, a dict)
            pass
        bad = values.map(lambda v: isinstance(v, _CONTAINERS) or not _hashable(v))
        bad = bad.to_numpy(dtype=bool)
        row = values.index[bad][0]
        cell = values[bad].iloc[0]
        who = ""
        if person is not None and person != column:
            who = f", person {plain_value(data[person][bad].iloc[0])!r}"
        raise PanelValidationError(
            f"{source}: column {plain_value(column)!r} ({role}) holds a {type(cell).__name__} in "
            f"{int(bad.sum())} row(s) (e.g. row {plain_value(row)!r}{who}: {cell!r}). Each cell "
            "must hold one value: flatten or clean that column first (e.g. keep one answer per "
            "cell, or data.explode(column) for one row per value)."
        )


def check_complete(
    data: pd.DataFrame, columns: Mapping[str, object], *, person: object = None, source: str
) -> None:
    """Refuse rows whose ``{role: column}`` value is missing (every row needs a person, a wave ...)."""
    for role, column in columns.items():
        missing = data[column].isna().to_numpy()
        if missing.any():
            who = ""
            if person is not None and person != column and data[person][missing].notna().any():
                first = data[person][missing].dropna().iloc[0]
                who = f"; e.g. person {plain_value(first)!r}"
            raise PanelValidationError(
                f"{source}: column {plain_value(column)!r} ({role}) is missing for "
                f"{int(missing.sum())} rows ({_rows(data.index[missing])}{who}). Every row needs "
                f"a {role}; drop or fill those rows."
            )


def check_group(
    groups: pd.Series, persons: pd.Series, *, column: str, treated: object
) -> tuple[object, object]:
    """Check there are exactly two groups, ``treated`` is one of them, and each person is in one.

    The two groups and the treated label are resolved by
    :func:`~mirabal_stats.data.persons.resolve_groups`: a nullable ``"boolean"`` column works,
    and ``treated="1"`` matches a group written ``1``.

    Returns
    -------
    (treated, comparison) : tuple
        The two group labels, as they are written in the data.
    """
    missing = groups.isna().to_numpy()
    if missing.any():
        raise PanelValidationError(
            f"column '{column}' (group) is missing for {int(missing.sum())} rows "
            f"({_rows(groups.index[missing])}; e.g. person "
            f"{plain_value(persons[missing].iloc[0])!r}). Every person needs a group; fill it in "
            "or drop the person before building the panel."
        )
    # One row per distinct (person, group), in order of first appearance: the groups resolve
    # on it as on every row, without scanning each answer again.
    per_person = pd.DataFrame({"person": persons.to_numpy(), "group": groups}).drop_duplicates()
    coding = resolve_groups(
        per_person["group"], column=column, treated=treated, error=PanelValidationError
    )
    counts = per_person.groupby("person", sort=False)["group"].nunique()
    both = counts[counts > 1]
    if len(both):
        example = both.index[0]
        raise PanelValidationError(
            f"{len(both)} person(s) appear in both groups of column '{column}' (e.g. person "
            f"{plain_value(example)!r}). A person must stay in one group; correct the group or "
            "the person id."
        )
    return coding.treated, coding.comparison


def check_person_constant(data: pd.DataFrame, *, person: str, columns: Sequence[str]) -> None:
    """Raise if a person-level column (covariate) takes more than one value within a person.

    Missing values are ignored: a covariate blank on some rows and known on others is the
    person's known value.
    """
    for column in columns:
        varying = data.groupby(person, sort=False)[column].nunique(dropna=True)
        bad = varying[varying > 1]
        if len(bad):
            example = bad.index[0]
            values = data.loc[data[person] == example, column].dropna().unique()[:4]
            raise PanelValidationError(
                f"covariate '{column}' varies within person for {len(bad)} person(s) (e.g. "
                f"person {plain_value(example)!r} has {[plain_value(v) for v in values]}). "
                "Covariates must be baseline (person-level) values: take the baseline wave's "
                "value, or model a time-varying variable as an indicator instead."
            )


def _no_measure(indicator: object, where: str) -> PanelValidationError:
    return PanelValidationError(
        f"indicator {plain_value(indicator)!r} has no measure ({where}). Give every indicator a "
        "measure, e.g. 'safety'."
    )


def check_indicator_measures(pairs: pd.DataFrame, *, indicator: str, measure: str) -> None:
    """Raise if an indicator is mapped to more than one measure, or to none (a missing value)."""
    counts = pairs.groupby(indicator, sort=False)[measure].nunique()
    bad = counts[counts > 1]
    if len(bad):
        example = bad.index[0]
        measures = pairs.loc[pairs[indicator] == example, measure].unique()
        raise PanelValidationError(
            f"indicator {plain_value(example)!r} is mapped to {len(measures)} measures "
            f"({[plain_value(m) for m in measures]}) in column '{measure}'; {len(bad)} "
            "indicator(s) are affected. Each indicator belongs to exactly one measure: correct "
            "the mapping."
        )
    if pairs[measure].isna().any():
        example = pairs.loc[pairs[measure].isna(), indicator].iloc[0]
        raise _no_measure(example, f"column '{measure}' is missing")


def check_measure_mapping(mapping: object, indicators: Sequence, *, option: str) -> dict:
    """``{indicator: measure}`` from a mapping option, refusing gaps and missing measures.

    The same mistakes as in a measure column give the same message: an indicator without a
    measure, or with a missing one (``None``/NaN).
    """
    if not isinstance(mapping, Mapping):
        raise PanelValidationError(
            f"{option} must be a mapping {{indicator: measure}} (or, in from_long, the name of "
            f"a measure column), got {type(mapping).__name__}. E.g. {option}="
            "{'slapped': 'safety', 'negotiates': 'communication'}."
        )
    unmapped = [k for k in indicators if k not in mapping]
    if unmapped:
        raise PanelValidationError(
            f"{len(unmapped)} indicator(s) have no measure in the measure mapping (e.g. "
            f"{plain_value(unmapped[0])!r}). Add them to {option}={{indicator: measure}}."
        )
    result = {}
    for k in indicators:
        value = mapping[k]
        if _is_missing(value):
            raise _no_measure(k, f"{option} maps it to {plain_value(value)!r}")
        if not _hashable(value):
            raise PanelValidationError(
                f"{option} maps indicator {plain_value(k)!r} to a {type(value).__name__} "
                f"({value!r}); a measure is one label, e.g. 'safety'."
            )
        result[k] = value
    return result


def check_reserved_names(indicators: Sequence, covariates: Sequence, *, source: str) -> None:
    """Refuse indicators and covariates named like a column of the panel's own tables.

    ``to_wide()`` has the columns ``person, wave, group``, the covariates and one column per
    indicator; ``to_long()`` and ``baseline()`` add ``indicator, measure, response, treated``.
    A name used twice would make those tables ambiguous.
    """
    for kind, names in (("covariate", covariates), ("indicator", indicators)):
        for name in names:
            if isinstance(name, str) and name in RESERVED_NAMES:
                raise PanelValidationError(
                    f"{source}: {kind} {name!r} has the name of a column of the panel's own "
                    f"tables ({', '.join(RESERVED_NAMES)}); rename it, e.g. "
                    f"{_rename_hint(kind, name, source)}."
                )
    clash = [k for k in indicators if k in set(covariates)]
    if clash:
        raise PanelValidationError(
            f"{source}: indicator {plain_value(clash[0])!r} has the name of a covariate; "
            "to_wide() would hold two columns of that name. Rename the indicator or the covariate."
        )


def _rename_hint(kind: str, name: str, source: str) -> str:
    new = f"{name}_{kind}"
    if kind == "indicator" and source.endswith("from_long"):
        return f"data[indicator] = data[indicator].replace({{{name!r}: {new!r}}})"
    return f"data = data.rename(columns={{{name!r}: {new!r}}}) and pass {new!r}"


def check_no_duplicates(data: pd.DataFrame, *, keys: Sequence[str]) -> None:
    """Raise if the same person-wave-indicator cell appears in more than one row."""
    duplicated = data.duplicated(subset=list(keys), keep=False)
    if duplicated.any():
        first = data.loc[duplicated, list(keys)].iloc[0]
        where = ", ".join(f"{k}={plain_value(first[k])!r}" for k in keys)
        raise PanelValidationError(
            f"{int(duplicated.sum())} rows duplicate a {'-'.join(keys)} cell (e.g. {where}). "
            "Each person answers each indicator at most once per wave: remove the duplicate "
            "rows (e.g. data.drop_duplicates(...)) or fix the wave or person ids."
        )


def _check_wave_order(wave_order: object) -> list:
    if isinstance(wave_order, (str, bytes)) or not isinstance(wave_order, Iterable):
        raise PanelValidationError(
            f"wave_order must be a list of the waves in chronological order, e.g. "
            f"wave_order=['before', 'after'], got {wave_order!r}."
        )
    order = list(wave_order)
    for w in order:
        if not _hashable(w) or _is_missing(w):
            raise PanelValidationError(
                f"wave_order holds {w!r}, which is not a wave label: list each wave once by its "
                "label, e.g. wave_order=['before', 'after']."
            )
    seen: set = set()
    for w in order:
        if w in seen:
            raise PanelValidationError(
                f"wave_order lists wave {plain_value(w)!r} more than once; list each wave once, "
                "in chronological order."
            )
        seen.add(w)
    return order


def order_waves(
    values: pd.Series,
    *,
    column: str,
    wave_order: Sequence | None,
    persons: pd.Series | None = None,
) -> list:
    """Return the waves in chronological order.

    Numeric and datetime waves are sorted; an ordered categorical keeps its order; otherwise
    ``wave_order`` must list every wave, each once.
    """
    order = None if wave_order is None else _check_wave_order(wave_order)
    missing = values.isna().to_numpy()
    if missing.any():
        who = ""
        if persons is not None and persons[missing].notna().any():
            who = f"; e.g. person {plain_value(persons[missing].dropna().iloc[0])!r}"
        raise PanelValidationError(
            f"column '{column}' (wave) is missing for {int(missing.sum())} rows "
            f"({_rows(values.index[missing])}{who}). Every row needs a wave; drop or fill those "
            "rows."
        )
    check_id_types(values, column=column, what="wave", error=PanelValidationError)
    observed = list(pd.unique(values))
    if order is not None:
        unknown = [w for w in observed if w not in order]
        if unknown:
            raise PanelValidationError(
                f"column '{column}' holds waves not listed in wave_order: "
                f"{[plain_value(w) for w in unknown[:5]]}. Add them to "
                f"wave_order={[plain_value(w) for w in order]!r}."
            )
        return [w for w in order if w in set(observed)]
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        return [w for w in values.cat.categories if w in set(observed)]
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return sorted(observed)
    raise PanelValidationError(
        f"waves in column '{column}' cannot be ordered: they are {values.dtype} labels "
        f"({[plain_value(w) for w in observed[:6]]}). Use numbers (1, 2, ...) or dates, an "
        "ordered pandas Categorical, or pass wave_order=[first, second, ...]."
    )
