"""The programme-completion flag of a person-level table: one 0/1 value per person, checked.

Shared by :func:`mirabal_stats.frequentist.completion_effects` and
:func:`mirabal_stats.survival.complier_survival`, so both refuse the same bad inputs with the same
messages (:class:`~mirabal_stats.exceptions.CompletionDataError`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirabal_stats.data.persons import plain_value, require_columns
from mirabal_stats.exceptions import CompletionDataError

__all__ = ["completion_flag"]


def completion_flag(
    completed, *, table: pd.DataFrame, persons: pd.Index, referred: pd.Series, source: str
) -> pd.Series:
    """The 0/1 completion of each person (float Series indexed by ``persons``), checked.

    ``completed`` is a column of ``table`` (rows aligned with ``persons``) or a Series indexed
    by person id. Raises :class:`CompletionDataError` for a missing value, a value other than
    0/1, a person whose repeated entries disagree, a person without a value, or a comparison
    person (``referred == 0``) marked as having completed (one-sided non-compliance).
    ``source`` is the calling function, named in messages.
    """
    caller = source
    if isinstance(completed, str):
        require_columns(
            table.reset_index(drop=True),
            {"completed": completed},
            source=caller,
            error=CompletionDataError,
        )
        source = f"column {completed!r}"
        raw = pd.Series(table[completed].to_numpy(), index=persons)
    elif isinstance(completed, pd.Series):
        source = f"completed ({completed.name!r})" if completed.name is not None else "completed"
        raw = completed
    else:
        raise CompletionDataError(
            f"completed must be a column name or a pandas Series indexed by person, got a "
            f"{type(completed).__name__}. Arrays and lists carry no person ids: use "
            "pd.Series(values, index=person_ids)."
        )
    if raw.isna().any():
        bad = raw.index[raw.isna().to_numpy()]
        raise CompletionDataError(
            f"{source} is missing for {len(bad)} row(s) (e.g. person {plain_value(bad[0])!r}). "
            "Completion must be known for every referred person (0 for comparison persons): "
            "fill it in, or drop those persons first."
        )
    values = _as_zero_one(raw, source=source)
    if values.index.has_duplicates:
        spread = values.groupby(level=0, sort=False).agg(["min", "max"])
        varying = spread.index[(spread["max"] > spread["min"]).to_numpy()]
        if len(varying):
            raise CompletionDataError(
                f"{source} is not constant within person for {len(varying)} person(s) (e.g. "
                f"{', '.join(repr(plain_value(v)) for v in varying[:3])}); completion is one "
                "value per person. Keep each person's final completion status, e.g. "
                "completed.groupby(level=0).max()."
            )
        values = values[~values.index.duplicated()]
    aligned = values.reindex(persons)
    absent = persons[aligned.isna().to_numpy()]
    if len(absent):
        raise CompletionDataError(
            f"{source} has no value for {len(absent)} of the {len(persons)} persons (e.g. "
            f"{', '.join(repr(plain_value(v)) for v in absent[:3])}); it must be indexed by the "
            "same person ids as the data. Give every person a completion value (0 for "
            "comparison persons)."
        )
    in_comparison = persons[((aligned == 1) & (referred == 0)).to_numpy()]
    if len(in_comparison):
        raise CompletionDataError(
            f"{source} marks {len(in_comparison)} comparison-group person(s) as having completed "
            f"the programme (e.g. {', '.join(repr(plain_value(v)) for v in in_comparison[:3])}). "
            "Completion is one-sided: only referred (intervention-group) persons can complete. "
            "Check the group and completion columns; set completion to 0 for comparison persons, "
            "or move persons who did attend to the intervention group."
        )
    return aligned.astype(float)


def _as_zero_one(raw: pd.Series, *, source: str) -> pd.Series:
    def ok(v) -> bool:
        v = plain_value(v)
        return isinstance(v, (bool, int, float)) and v in (0, 1)

    good = np.array([ok(v) for v in raw.to_numpy()], dtype=bool)
    if not good.all():
        bad = raw[~good]
        raise CompletionDataError(
            f"{source} must be 0/1 or True/False, but {len(bad)} row(s) hold other values (e.g. "
            f"{plain_value(bad.iloc[0])!r} for person {plain_value(bad.index[0])!r}). Recode it, "
            "e.g. completed = completed.map({'yes': 1, 'no': 0})."
        )
    return pd.Series(raw.to_numpy().astype(float), index=raw.index)
