"""The door for person-level tables (one row per person): weighting data, survival data.

Every pillar that takes a person-level DataFrame checks it here, so the same mistake gets the
same message everywhere:

- the columns it names exist (with the nearest column name suggested), and no column label is
  duplicated;
- the group column holds exactly two groups and the treated one is known
  (:func:`resolve_groups`, shared with :class:`~mirabal_stats.IndicatorPanel`);
- each row has a *person label*: the ``person`` column when given (or when the table has a column
  called ``person``, as :meth:`IndicatorPanel.baseline` does), else the index label. Weights and
  other per-person inputs are aligned to rows by that label, never by row position.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirabal_stats.exceptions import PanelValidationError, SpecificationError

__all__ = [
    "GroupCoding",
    "PersonTable",
    "person_table",
    "resolve_groups",
    "require_columns",
    "check_id_types",
    "plain_value",
    "nearest",
]

# Level names taken as "the programme arm" when the group column holds text and treated= is not
# given (exactly one level must match).
_TREATED_NAMES = ("intervention", "treated", "treatment", "programme", "program", "workshop")


def plain_value(value: object) -> object:
    """Numpy scalars as Python scalars, so messages read ``2`` rather than ``np.int64(2)``."""
    return value.item() if isinstance(value, np.generic) else value


def nearest(name: object, choices) -> str:
    """`` (did you mean 'x'?)`` when a close match exists, else an empty string."""
    texts = {str(c): c for c in choices}
    match = difflib.get_close_matches(str(name), list(texts), n=1, cutoff=0.6)
    return f" (did you mean {plain_value(texts[match[0]])!r}?)" if match else ""


def _shown(values, k: int = 8) -> str:
    values = list(values)
    text = ", ".join(repr(plain_value(v)) for v in values[:k])
    return text + (", ..." if len(values) > k else "")


def require_columns(
    data: object,
    columns: Mapping[str, object],
    *,
    source: str,
    error: type[Exception] = SpecificationError,
) -> None:
    """Check ``data`` is a DataFrame holding every named column (``{role: column}``).

    The message names the role, the missing column, the nearest existing column and the data's
    columns. Duplicate column labels are refused too: a column that appears twice cannot be
    read unambiguously.
    """
    if not isinstance(data, pd.DataFrame):
        raise error(
            f"{source} expects a pandas DataFrame as data, got {type(data).__name__}. Read the "
            "file with pandas.read_csv (or read_parquet, read_excel) first."
        )
    duplicated = data.columns[data.columns.duplicated()].unique()
    if len(duplicated):
        raise error(
            f"{source}: the data have duplicate column labels {_shown(duplicated)}; each column "
            "must have its own name. Rename them, e.g. data.columns = [...]."
        )
    for role, column in columns.items():
        if column is None:
            continue
        try:
            present = column in data.columns
        except TypeError:  # an unhashable column name (a list, a dict)
            present = False
        if not present:
            raise error(
                f"{source}: {role} column {plain_value(column)!r} is not in the data"
                f"{nearest(column, data.columns)}. The data have columns "
                f"{_shown(data.columns, 15)}."
            )


def check_id_types(
    values: pd.Series,
    *,
    column: str,
    what: str = "person",
    error: type[Exception] = PanelValidationError,
) -> None:
    """Refuse ids written both as a number and as text (``7`` and ``"7"``): two persons or one?

    pandas would keep them apart silently; a survey export that mixes them almost always means
    one person, so the user must say which.
    """
    present = values.dropna()
    if present.dtype == object:
        # pd.unique hashes every cell: look for a list or dict first, to name it.
        bad = next((v for v in present if not _hashable(v)), None)
        if bad is not None:
            raise error(
                f"column {column!r} ({what}) holds a {type(bad).__name__} ({bad!r}) where a "
                f"single {what} id is expected. Each cell must hold one id: flatten or clean that "
                "column."
            )
    unique = pd.unique(present)
    kinds = {type(plain_value(v)) for v in unique}
    if bool in kinds and kinds & {int, float}:
        raise error(
            f"column {column!r} ({what}) mixes True/False with numbers; pandas would treat True "
            f"as 1 and merge them. Use one coding for the whole column."
        )
    by_text: dict[str, object] = {}
    for value in unique:
        key = str(plain_value(value)).strip()
        other = by_text.setdefault(key, value)
        if other is not value and type(plain_value(other)) is not type(plain_value(value)):
            raise error(
                f"column {column!r} ({what}) writes the same id both as a number and as text "
                f"({plain_value(other)!r} and {plain_value(value)!r}): are they one {what} or two? "
                f"Make the column one type, e.g. data[{column!r}] = data[{column!r}].astype(str)."
            )


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


@dataclass(frozen=True)
class GroupCoding:
    """The two groups of a group column: which label is treated, and a 0/1 indicator per row."""

    indicator: np.ndarray  # 1 = treated (intervention) row
    treated: object
    comparison: object

    @property
    def labels(self) -> tuple:
        """``(comparison, treated)``: the order of the 0/1 codes."""
        return (self.comparison, self.treated)


def resolve_groups(
    values: pd.Series,
    *,
    column: str,
    treated: object = None,
    error: type[Exception] = SpecificationError,
) -> GroupCoding:
    """Find the two groups of ``values`` and which one is the intervention group.

    ``treated`` is the intervention group's label. Without it: ``True`` for a boolean column
    (nullable ``"boolean"`` included), ``1`` for a 0/1 column, else the one level named like
    "intervention" / "programme" / "treated". A label given as text matches a number written the
    same way (``treated="1"`` for a 0/1 column), as config files need.

    Examples
    --------
    >>> import pandas as pd
    >>> g = resolve_groups(pd.Series(["programme", "comparison", "programme"]), column="arm")
    >>> g.treated, g.comparison, g.indicator.tolist()
    ('programme', 'comparison', [1, 0, 1])
    """
    missing = values.isna().to_numpy()
    if missing.any():
        raise error(
            f"group column {column!r} is missing for {int(missing.sum())} row(s) (e.g. row "
            f"{plain_value(values.index[missing][0])!r}). Every person needs a group: fill it in "
            "or drop those rows first."
        )
    check_id_types(values, column=column, what="group", error=error)
    levels = list(pd.unique(values))
    if len(levels) != 2:
        raise error(
            f"group column {column!r} must hold exactly two groups (intervention and comparison), "
            f"but it holds {len(levels)}: {_shown(levels)}. "
            + (
                "An evaluation needs both groups: check the filtering applied before."
                if len(levels) < 2
                else "Recode it to two groups, or keep only the two groups to compare."
            )
        )
    treated = _treated_label(levels, treated, column=column, error=error)
    comparison = next(level for level in levels if level != treated)
    indicator = (values == treated).to_numpy(dtype=bool).astype(np.int8)
    return GroupCoding(
        indicator=indicator, treated=plain_value(treated), comparison=plain_value(comparison)
    )


def _treated_label(levels: list, treated: object, *, column: str, error) -> object:
    if treated is not None:
        for level in levels:
            if level == treated:
                return level
        same_text = [
            lv
            for lv in levels
            if str(plain_value(lv)).strip().lower() == str(plain_value(treated)).strip().lower()
        ]
        if len(same_text) == 1:
            return same_text[0]
        raise error(
            f"treated={plain_value(treated)!r} is not one of the groups in column {column!r} "
            f"({_shown(levels)}){nearest(treated, levels)}. Set treated to the label of the "
            "intervention group."
        )
    plain = {plain_value(v) for v in levels}
    if plain <= {True, False} and all(isinstance(v, (bool, np.bool_)) for v in levels):
        return next(v for v in levels if bool(v))
    if plain <= {0, 1}:
        return next(v for v in levels if v == 1)
    named = [lv for lv in levels if str(lv).strip().lower() in _TREATED_NAMES]
    if len(named) == 1:
        return named[0]
    raise error(
        f"cannot tell which group in column {column!r} is the intervention group (groups "
        f"{_shown(levels)}); set treated to one of them."
    )


@dataclass(frozen=True)
class PersonTable:
    """A checked person-level table: rows, their person labels and their groups."""

    data: pd.DataFrame
    keys: pd.Index  # the person label of each row, aligned with data
    person: str | None  # the column the labels come from; None: the index
    groups: GroupCoding
    group: str

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def key_source(self) -> str:
        """How rows are labelled, for messages: ``"column 'person'"`` or ``"the index"``."""
        return "the index" if self.person is None else f"column {self.person!r}"

    def weights(self, weights: object, *, argument: str = "weights") -> np.ndarray | None:
        """One weight per row, aligned by person label (None when ``weights`` is None).

        A string names a column of the data; anything else goes through
        :class:`~mirabal_stats.weighting.Weights`, which checks every value.
        """
        if weights is None:
            return None
        from mirabal_stats.weighting.analysis_weights import Weights, check_weight_values

        if isinstance(weights, str):
            # A column of the data: each row's own weight, no alignment needed.
            require_columns(self.data, {argument: weights}, source=argument)
            values = pd.to_numeric(self.data[weights], errors="coerce")
            bad = values.isna() & self.data[weights].notna()
            if bad.any():
                raise SpecificationError(
                    f"weights column {weights!r} must be numeric, but {int(bad.sum())} row(s) are "
                    f"not (e.g. {plain_value(self.data[weights][bad].iloc[0])!r}). Convert it "
                    "with pandas.to_numeric first."
                )
            values = values.to_numpy(dtype=float)
            check_weight_values(
                values,
                self.keys,
                where=f"persons ({self.key_source})",
                what=f"the weights (column {weights!r})",
            )
            return values
        return Weights(weights).for_persons(self.keys, where=f"persons ({self.key_source})")


def person_table(
    data: object,
    *,
    group: str,
    treated: object = None,
    person: str | None = None,
    columns: Mapping[str, object] | None = None,
    unique: bool = True,
    source: str,
) -> PersonTable:
    """Check a person-level table and resolve its person labels and groups.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person.
    group : str
        The two-group column; ``treated`` is the intervention group's label (see
        :func:`resolve_groups`).
    person : str, optional
        The column holding person ids. Default: the column ``"person"`` when the table has one,
        else the index.
    columns : mapping, optional
        Further ``{role: column}`` that must exist.
    unique : bool, default True
        Refuse a person label that appears on two rows.
    source : str
        The function checking the table, named in messages.
    """
    if group is None:
        raise SpecificationError(
            f"{source} needs group= the column that holds the two groups (intervention and "
            "comparison)."
        )
    require_columns(data, {"group": group, "person": person, **dict(columns or {})}, source=source)
    if len(data) == 0:
        raise SpecificationError(f"{source}: the data have no rows.")
    if person is None and "person" in data.columns:
        person = "person"
    if person is None:
        keys = data.index
        check_id_types(keys.to_series(), column="index", error=SpecificationError)
    else:
        column = data[person]
        if column.isna().any():
            raise SpecificationError(
                f"{source}: person column {person!r} is missing for {int(column.isna().sum())} "
                "row(s); every row needs a person id."
            )
        check_id_types(column, column=person, error=SpecificationError)
        keys = pd.Index(column.to_numpy(), name=person)
    if unique and keys.has_duplicates:
        repeated = keys[keys.duplicated()].unique()
        raise SpecificationError(
            f"{source}: {len(repeated)} person id(s) appear on more than one row of "
            f"{'the index' if person is None else repr(person)} (e.g. {_shown(repeated, 3)}); "
            "a person-level table has one row per person. Remove the duplicates, or pass "
            "person= the column that identifies persons."
        )
    groups = resolve_groups(data[group], column=group, treated=treated)
    return PersonTable(data=data, keys=keys, person=person, groups=groups, group=group)
