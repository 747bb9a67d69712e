"""Coding of yes/no survey answers to 0/1 through one explicit, documented mapping."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from mirabal_stats.data.validation import plain_value
from mirabal_stats.exceptions import PanelValidationError

__all__ = ["DEFAULT_RESPONSE_MAP", "code_responses"]

#: Answers accepted without a ``response_map``: keys are matched after ``str(value).strip().lower()``
#: for strings; numbers and booleans are matched by value. Blank strings and NaN / None / pd.NA
#: are missing responses (attrition or item non-response), never errors.
DEFAULT_RESPONSE_MAP: dict[object, float] = {
    "yes": 1.0,
    "no": 0.0,
    "y": 1.0,
    "n": 0.0,
    "true": 1.0,
    "false": 0.0,
    "1": 1.0,
    "0": 0.0,
}


def _normalise_key(value: object) -> object:
    if isinstance(value, str):
        return value.strip().lower()
    return value


def _code_one(raw: object, mapping: dict[object, float]) -> float | None:
    """Code one distinct answer; ``None`` means it is not covered by the mapping."""
    if isinstance(raw, (bool, np.bool_)):
        return float(raw)
    key = _normalise_key(raw)
    if key in mapping:
        return mapping[key]
    if isinstance(raw, (int, float, np.integer, np.floating)) and float(raw) in (0.0, 1.0):
        return float(raw)
    return None


def code_responses(
    values: pd.Series,
    *,
    column: str,
    response_map: Mapping[object, float | None] | None = None,
    context: pd.DataFrame | None = None,
) -> pd.Series:
    """Return ``values`` coded as float 0.0 / 1.0 with NaN for missing answers.

    Parameters
    ----------
    values : pandas.Series
        Raw answers: 0/1 numbers, booleans, or yes/no strings (any case).
    column : str
        Name of the column the answers came from (used in error messages).
    response_map : mapping, optional
        Extra or overriding codes, e.g. ``{"don't know": None, "sometimes": 1}``; ``None`` maps an
        answer to missing. String keys are matched case-insensitively after stripping.
    context : pandas.DataFrame, optional
        Rows aligned with ``values`` whose first columns identify the row in error messages
        (e.g. person and wave).

    Raises
    ------
    PanelValidationError
        If any answer is not covered by the mapping; the message names the column, the offending
        values, how many rows hold them, an example row and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> code_responses(pd.Series(["Yes", "no", None, 1]), column="slapped").tolist()
    [1.0, 0.0, nan, 1.0]
    """
    mapping: dict[object, float] = dict(DEFAULT_RESPONSE_MAP)
    for key, code in (response_map or {}).items():
        mapping[_normalise_key(key)] = np.nan if code is None else float(code)
    bad_codes = {k: v for k, v in mapping.items() if not (np.isnan(v) or v in (0.0, 1.0))}
    if bad_codes:
        raise PanelValidationError(
            f"response_map may only map answers to 0, 1 or None, but it maps {bad_codes}. "
            "Recode them to 0/1, or to None for a missing answer."
        )

    missing = values.isna() | values.map(lambda v: isinstance(v, str) and v.strip() == "")
    # Code each distinct answer once: survey exports repeat a handful of answers many times.
    codes: dict[object, float | None] = {}
    for raw in pd.unique(values[~missing]):
        codes[raw] = _code_one(raw, mapping)
    coded = values.map(lambda v: codes.get(v, np.nan) if v in codes else np.nan).astype(float)
    coded[missing] = np.nan
    unknown = (~missing) & values.map(lambda v: v in codes and codes[v] is None)
    if unknown.any():
        offending = values[unknown]
        counts = offending.astype(str).value_counts()
        shown = ", ".join(f"{value!r} ({n} rows)" for value, n in counts.head(5).items())
        where = ""
        if context is not None:
            first = context.loc[offending.index[0]]
            where = " e.g. at " + ", ".join(
                f"{k}={plain_value(first[k])!r}" for k in context.columns
            )
        raise PanelValidationError(
            f"column '{column}' must hold 0/1, True/False, yes/no or missing, but "
            f"{int(unknown.sum())} rows hold other values: {shown}{where}. Recode them, or pass "
            f"response_map={{{counts.index[0]!r}: 1 or 0 or None, ...}} (None means missing)."
        )
    return coded
