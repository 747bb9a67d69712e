"""Validation of the treatment and covariates, and their expansion into numeric columns.

This module is the one place where a user's DataFrame is checked and turned into arrays for the
weighting code. Two expansions of the covariates are built from the same validated data:

* the *model* matrix (categoricals as dummies with the first level dropped) that propensity models
  and entropy balancing use, so that the columns are not collinear;
* the *balance* matrix (every level of a categorical with three or more levels, as cobalt shows
  it) that the balance table reports on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mirabal_stats.exceptions import SpecificationError, WeightingError

__all__ = ["CovariateDesign", "build_design", "check_treatment", "MISSING_STRATEGIES"]

MISSING_STRATEGIES = ("error", "indicator")


def check_treatment(df: pd.DataFrame, treatment: str) -> np.ndarray:
    """Return the treatment column as a 0/1 int array after checking it is binary and complete.

    Accepted codings: 0/1 numbers or booleans. Both groups must be non-empty.
    """
    if not isinstance(df, pd.DataFrame):
        raise SpecificationError(
            f"data must be a pandas DataFrame, got {type(df).__name__}. Build one with "
            "pd.DataFrame(...) or use IndicatorPanel.baseline()."
        )
    if treatment not in df.columns:
        raise SpecificationError(
            f"treatment column {treatment!r} is not in the data; columns are "
            f"{', '.join(map(str, df.columns))}."
        )
    col = df[treatment]
    n_missing = int(col.isna().sum())
    if n_missing:
        raise WeightingError(
            f"treatment column {treatment!r} has {n_missing} missing value(s) (e.g. row "
            f"{col.index[col.isna()][0]!r}). Every unit needs a group: drop or recode those rows."
        )
    values = pd.unique(col)
    if col.dtype == bool:
        arr = col.to_numpy().astype(int)
    else:
        bad = [
            v
            for v in values
            if not (isinstance(v, (int, float, np.integer, np.floating)) and v in (0, 1))
        ]
        if bad:
            raise WeightingError(
                f"treatment column {treatment!r} must be binary (0/1 or True/False) but holds "
                f"{len(values)} distinct value(s), e.g. {', '.join(map(repr, values[:5]))}. "
                f"Recode it, e.g. df[{treatment!r}] = (df[{treatment!r}] == 'programme').astype(int)."
            )
        arr = col.to_numpy().astype(int)
    n_treated = int(arr.sum())
    n_control = int(arr.size - n_treated)
    if n_treated == 0 or n_control == 0:
        empty = "treated (1)" if n_treated == 0 else "comparison (0)"
        raise WeightingError(
            f"the {empty} group is empty ({arr.size} rows, {n_treated} treated, {n_control} "
            f"comparison) in column {treatment!r}. Weighting needs both groups: check any "
            "filtering applied before fit()."
        )
    return arr


@dataclass(frozen=True)
class CovariateDesign:
    """Numeric expansions of the covariates, with what was done to them.

    Attributes
    ----------
    model_matrix : numpy.ndarray, shape (n, p)
        Columns for the propensity model (no intercept; categoricals with the first level dropped).
    model_names : list of str
        Names of ``model_matrix`` columns (``race_hispan``, ``age`` ...).
    balance_matrix : numpy.ndarray, shape (n, q)
        Columns for the balance table (every level of categoricals with 3+ levels).
    balance_names : list of str
    balance_binary : numpy.ndarray of bool, shape (q,)
        True where the balance column only takes the values 0 and 1.
    balance_source : list of str
        The original covariate each balance column came from.
    missing_report : dict
        ``{covariate: number of missing values}`` filled under the ``"indicator"`` strategy.
    """

    model_matrix: np.ndarray
    model_names: list
    balance_matrix: np.ndarray
    balance_names: list
    balance_binary: np.ndarray
    balance_source: list
    missing_report: dict = field(default_factory=dict)


def _is_categorical(col: pd.Series) -> bool:
    return (
        isinstance(col.dtype, pd.CategoricalDtype)
        or col.dtype == object
        or pd.api.types.is_string_dtype(col.dtype)
        or col.dtype == bool
    )


def build_design(
    df: pd.DataFrame,
    covariates: list,
    *,
    missing: str = "error",
) -> CovariateDesign:
    """Validate ``covariates`` in ``df`` and expand them (see module docstring).

    Parameters
    ----------
    df : pandas.DataFrame
    covariates : list of str
        Column names. Object, string, categorical and boolean columns are categorical.
    missing : {"error", "indicator"}
        ``"error"`` raises on any missing covariate value, naming the column and count.
        ``"indicator"`` fills numeric columns with their mean (categoricals with a level
        ``"missing"``) and adds a 0/1 column ``<name>_missing``; the counts are reported in
        :attr:`CovariateDesign.missing_report`.
    """
    if missing not in MISSING_STRATEGIES:
        raise SpecificationError(f"missing must be one of {MISSING_STRATEGIES}, got {missing!r}.")
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    if not covariates:
        raise SpecificationError("covariates is empty: name at least one baseline covariate.")
    absent = [c for c in covariates if c not in df.columns]
    if absent:
        raise SpecificationError(
            f"covariate(s) {', '.join(map(repr, absent))} not in the data; columns are "
            f"{', '.join(map(str, df.columns))}."
        )
    dupes = sorted({c for c in covariates if covariates.count(c) > 1})
    if dupes:
        raise SpecificationError(f"covariate(s) listed more than once: {', '.join(dupes)}.")

    n_missing = {c: int(df[c].isna().sum()) for c in covariates}
    with_missing = {c: k for c, k in n_missing.items() if k}
    if with_missing and missing == "error":
        detail = "; ".join(f"{c!r}: {k} of {len(df)} rows" for c, k in with_missing.items())
        raise WeightingError(
            f"covariates have missing values ({detail}). Weights cannot be estimated for those "
            "rows. Impute them, drop the rows explicitly, or pass missing='indicator' to fill them "
            "and add a missingness indicator per column."
        )

    model_cols: list[np.ndarray] = []
    model_names: list[str] = []
    bal_cols: list[np.ndarray] = []
    bal_names: list[str] = []
    bal_source: list[str] = []
    for name in covariates:
        col = df[name]
        has_missing = name in with_missing
        if _is_categorical(col):
            values = col.astype(object).where(col.notna(), "missing") if has_missing else col
            if isinstance(col.dtype, pd.CategoricalDtype):
                levels = [lv for lv in col.cat.categories if (values == lv).any()]
                if has_missing:
                    levels.append("missing")
            else:
                levels = sorted(pd.unique(values.astype(object)), key=str)
            if len(levels) < 2:
                raise WeightingError(
                    f"covariate {name!r} is constant (every row is {levels[0]!r}); it cannot "
                    "differ between groups. Remove it from covariates."
                )
            dummies = {lv: (values == lv).to_numpy(dtype=float) for lv in levels}
            for lv in levels[1:]:
                model_cols.append(dummies[lv])
                model_names.append(f"{name}_{lv}")
            shown = levels[1:] if len(levels) == 2 else levels
            for lv in shown:
                bal_cols.append(dummies[lv])
                bal_names.append(f"{name}_{lv}")
                bal_source.append(name)
        else:
            if not pd.api.types.is_numeric_dtype(col):
                raise SpecificationError(
                    f"covariate {name!r} has dtype {col.dtype}, neither numeric nor categorical."
                )
            x = col.to_numpy(dtype=float)
            if has_missing:
                x = np.where(np.isnan(x), np.nanmean(x), x)
            if np.nanmax(x) == np.nanmin(x):
                raise WeightingError(
                    f"covariate {name!r} is constant (every row is {x[0]!r}); it cannot differ "
                    "between groups. Remove it from covariates."
                )
            if not np.all(np.isfinite(x)):
                raise WeightingError(f"covariate {name!r} holds infinite values; recode them.")
            model_cols.append(x)
            model_names.append(name)
            bal_cols.append(x)
            bal_names.append(name)
            bal_source.append(name)
        if has_missing:
            ind = col.isna().to_numpy(dtype=float)
            model_cols.append(ind)
            model_names.append(f"{name}_missing")
            if not _is_categorical(col):
                bal_cols.append(ind)
                bal_names.append(f"{name}_missing")
                bal_source.append(name)
    balance_matrix = np.column_stack(bal_cols)
    binary = np.array([bool(np.all((c == 0) | (c == 1))) for c in balance_matrix.T], dtype=bool)
    return CovariateDesign(
        model_matrix=np.column_stack(model_cols),
        model_names=model_names,
        balance_matrix=balance_matrix,
        balance_names=bal_names,
        balance_binary=binary,
        balance_source=bal_source,
        missing_report=dict(with_missing) if missing == "indicator" else {},
    )
