"""Checks that turn raw survey exports into a valid long table, one check per function.

Every check raises :class:`~mirabal_stats.exceptions.PanelValidationError` with a message that
names the problem, an example row and the fix. The checks are called by
:meth:`IndicatorPanel.from_long` and :meth:`IndicatorPanel.from_wide`; they are public so that
their messages can be tested one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mirabal_stats.exceptions import PanelValidationError

__all__ = [
    "require_columns",
    "check_group",
    "check_person_constant",
    "check_indicator_measures",
    "check_no_duplicates",
    "order_waves",
]


def plain_value(value: object) -> object:
    """Numpy scalars as Python scalars, so messages read ``2`` rather than ``np.int64(2)``."""
    return value.item() if isinstance(value, np.generic) else value


def require_columns(df: pd.DataFrame, columns: dict[str, str | None], *, source: str) -> None:
    """Raise if any named column is absent; ``columns`` maps role -> column name."""
    if not isinstance(df, pd.DataFrame):
        raise PanelValidationError(
            f"{source} expects a pandas DataFrame, got {type(df).__name__}. "
            "Read your export with pandas.read_csv or pandas.read_parquet first."
        )
    missing = {role: col for role, col in columns.items() if col is not None and col not in df}
    if missing:
        roles = ", ".join(f"{role}={col!r}" for role, col in missing.items())
        available = ", ".join(map(repr, list(df.columns)[:15]))
        raise PanelValidationError(
            f"{source}: column(s) not found in the data: {roles}. The data have columns "
            f"{available}{' ...' if df.shape[1] > 15 else ''}. Pass the right names, e.g. "
            f"{source}(df, person='id', ...)."
        )


def check_group(
    groups: pd.Series, persons: pd.Series, *, column: str, treated: object
) -> tuple[object, object]:
    """Check there are exactly two groups, ``treated`` is one of them, and each person is in one.

    Returns
    -------
    (treated, comparison) : tuple
        The two group labels.
    """
    if groups.isna().any():
        row = groups[groups.isna()].index[0]
        raise PanelValidationError(
            f"column '{column}' is missing for {int(groups.isna().sum())} rows (e.g. person "
            f"{plain_value(persons.loc[row])!r}). Every person needs a group; fill it in or drop the "
            "person before building the panel."
        )
    labels = list(pd.unique(groups))
    if len(labels) != 2:
        raise PanelValidationError(
            f"column '{column}' must hold exactly two groups (intervention and comparison), but "
            f"it holds {len(labels)}: {[plain_value(v) for v in labels[:10]]}. Recode it to two "
            "groups, or filter the data to the two groups you want to compare."
        )
    if treated not in labels:
        raise PanelValidationError(
            f"treated={treated!r} is not one of the groups in column '{column}' "
            f"({[plain_value(v) for v in labels]}). Pass treated= one of those labels."
        )
    per_person = pd.DataFrame({"person": persons, "group": groups}).drop_duplicates()
    counts = per_person.groupby("person", sort=False)["group"].nunique()
    both = counts[counts > 1]
    if len(both):
        example = both.index[0]
        raise PanelValidationError(
            f"{len(both)} person(s) appear in both groups of column '{column}' (e.g. person "
            f"{plain_value(example)!r}). A person must stay in one group; correct the group or the "
            "person id."
        )
    comparison = next(label for label in labels if label != treated)
    return treated, comparison


def check_person_constant(df: pd.DataFrame, *, person: str, columns: Sequence[str]) -> None:
    """Raise if a person-level column (covariate) takes more than one value within a person."""
    for column in columns:
        varying = df.groupby(person, sort=False)[column].nunique(dropna=True)
        bad = varying[varying > 1]
        if len(bad):
            example = bad.index[0]
            values = df.loc[df[person] == example, column].dropna().unique()[:4]
            raise PanelValidationError(
                f"covariate '{column}' varies within person for {len(bad)} person(s) (e.g. "
                f"person {plain_value(example)!r} has {[plain_value(v) for v in values]}). Covariates must "
                "be baseline (person-level) values: take the baseline wave's value, or model a "
                "time-varying variable as an indicator instead."
            )


def check_indicator_measures(pairs: pd.DataFrame, *, indicator: str, measure: str) -> None:
    """Raise if an indicator is mapped to more than one measure."""
    counts = pairs.groupby(indicator, sort=False)[measure].nunique()
    bad = counts[counts > 1]
    if len(bad):
        example = bad.index[0]
        measures = pairs.loc[pairs[indicator] == example, measure].unique()
        raise PanelValidationError(
            f"indicator {plain_value(example)!r} is mapped to {len(measures)} measures "
            f"({[plain_value(m) for m in measures]}) in column '{measure}'; {len(bad)} indicator(s) "
            "are affected. Each indicator belongs to exactly one measure: correct the mapping."
        )
    if pairs[measure].isna().any():
        example = pairs.loc[pairs[measure].isna(), indicator].iloc[0]
        raise PanelValidationError(
            f"indicator {plain_value(example)!r} has no measure (column '{measure}' is missing). "
            "Give every indicator a measure."
        )


def check_no_duplicates(df: pd.DataFrame, *, keys: Sequence[str]) -> None:
    """Raise if the same person-wave-indicator cell appears in more than one row."""
    duplicated = df.duplicated(subset=list(keys), keep=False)
    if duplicated.any():
        first = df.loc[duplicated, list(keys)].iloc[0]
        where = ", ".join(f"{k}={plain_value(first[k])!r}" for k in keys)
        raise PanelValidationError(
            f"{int(duplicated.sum())} rows duplicate a {'-'.join(keys)} cell (e.g. {where}). "
            "Each person answers each indicator at most once per wave: remove the duplicate "
            "rows (e.g. df.drop_duplicates(...)) or fix the wave or person ids."
        )


def order_waves(values: pd.Series, *, column: str, wave_order: Sequence | None) -> list:
    """Return the waves in chronological order.

    Numeric and datetime waves are sorted; an ordered categorical keeps its order; otherwise
    ``wave_order`` must list every wave.
    """
    observed = list(pd.unique(values.dropna()))
    if values.isna().any():
        raise PanelValidationError(
            f"column '{column}' is missing for {int(values.isna().sum())} rows. Every row needs a "
            "wave; drop or fill those rows."
        )
    if wave_order is not None:
        order = list(wave_order)
        unknown = [w for w in observed if w not in order]
        if unknown:
            raise PanelValidationError(
                f"column '{column}' holds waves not listed in wave_order: "
                f"{[plain_value(w) for w in unknown[:5]]}. Add them to wave_order={order!r}."
            )
        return [w for w in order if w in set(observed)]
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        return [w for w in values.cat.categories if w in set(observed)]
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return sorted(observed)
    raise PanelValidationError(
        f"waves in column '{column}' cannot be ordered: they are {values.dtype} labels "
        f"({[plain_value(w) for w in observed[:6]]}). Use numbers (1, 2, ...) or dates, an ordered "
        "pandas Categorical, or pass wave_order=[first, second, ...]."
    )
