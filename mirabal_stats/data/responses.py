"""Coding of yes/no survey answers to 0/1 through one explicit, documented mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from mirabal_stats.data.persons import plain_value
from mirabal_stats.exceptions import PanelValidationError

__all__ = ["DEFAULT_RESPONSE_MAP"]

#: Answers accepted without a ``response_map``: keys are matched after ``str(value).strip().lower()``
#: for strings; numbers and booleans are matched by value. Blank strings (empty or only spaces)
#: and NaN / None / pd.NA are missing responses (attrition or item non-response), never errors.
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


class CodedResponses(NamedTuple):
    """Answers coded 0.0 / 1.0 / NaN, and why the NaN are missing (for the panel's notes)."""

    values: pd.Series
    n_blank: int  # NaN, None, pd.NA, "" or only spaces in the data
    n_coded_missing: int  # answers response_map codes as missing (None)


def _normalise_key(value: object) -> object:
    if isinstance(value, str):
        return value.strip().lower()
    return value


def _is_missing_scalar(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _check_code(key: object, code: object) -> float:
    """One ``response_map`` code as 0.0, 1.0 or NaN (missing); anything else is refused."""
    if code is None:
        return np.nan
    if isinstance(code, (bool, np.bool_)):
        return float(code)
    if isinstance(code, (int, float, np.integer, np.floating)):
        value = float(code)
        if np.isnan(value):
            return np.nan
        if value in (0.0, 1.0):
            return value
    elif _is_missing_scalar(code):  # pd.NA, pd.NaT
        return np.nan
    kind = "text" if isinstance(code, str) else type(code).__name__
    raise PanelValidationError(
        f"response_map may only map answers to 0, 1 or None (missing), but it maps "
        f"{plain_value(key)!r} to {plain_value(code)!r} ({kind}). Write the code as the number 0 "
        f"or 1, e.g. response_map={{{plain_value(key)!r}: 1}}, or None for a missing answer."
    )


def response_codes(response_map: object) -> dict[object, float]:
    """The answer -> code mapping: :data:`DEFAULT_RESPONSE_MAP` updated by ``response_map``.

    Checks the option before any data are read: a mapping whose codes are 0, 1 or None (text
    such as ``"yes"`` is refused, naming the answer and the code), and whose answers are not
    themselves missing (a missing answer is always a missing cell).
    """
    mapping: dict[object, float] = dict(DEFAULT_RESPONSE_MAP)
    if response_map is None:
        return mapping
    if not isinstance(response_map, Mapping):
        raise PanelValidationError(
            "response_map must be a mapping {answer: 0, 1 or None}, e.g. "
            f"response_map={{\"don't know\": None, 'sometimes': 1}}; got "
            f"{type(response_map).__name__}."
        )
    for key, code in response_map.items():
        if _is_missing_scalar(key):
            raise PanelValidationError(
                f"response_map recodes a missing answer ({key!r}); missing answers (blank, NaN, "
                "None) are always missing cells. Remove that entry, or fill the blanks in the "
                "data first if they mean a real answer."
            )
        mapping[_normalise_key(key)] = _check_code(key, code)
    return mapping


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
    column: object,
    codes: dict[object, float] | None = None,
    context: pd.DataFrame | None = None,
) -> CodedResponses:
    """Return ``values`` coded as float 0.0 / 1.0 with NaN for missing answers.

    Internal helper of :class:`~mirabal_stats.IndicatorPanel` (the coding rules are documented
    in :data:`DEFAULT_RESPONSE_MAP` and ``from_long``'s ``response_map``).

    Parameters
    ----------
    values : pandas.Series
        Raw answers: 0/1 numbers, booleans, or yes/no strings (any case, stray spaces allowed).
    column : str
        Name of the column the answers came from (used in error messages).
    codes : dict, optional
        The mapping from :func:`response_codes` (default: :data:`DEFAULT_RESPONSE_MAP`).
    context : pandas.DataFrame, optional
        Rows aligned with ``values`` whose columns identify the row in error messages
        (e.g. person and wave).

    Raises
    ------
    PanelValidationError
        If any answer is not covered by the mapping; the message names the column, the offending
        values, how many rows hold them, an example row and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> coded = code_responses(pd.Series(["Yes ", " no", None, 1, "  "]), column="slapped")
    >>> coded.values.tolist(), coded.n_blank
    ([1.0, 0.0, nan, 1.0, nan], 2)
    """
    mapping = DEFAULT_RESPONSE_MAP if codes is None else codes
    missing = values.isna().to_numpy()
    # Code each distinct answer once: survey exports repeat a handful of answers many times.
    distinct = pd.unique(values[~missing])
    blanks = [v for v in distinct if isinstance(v, str) and v.strip() == ""]
    if blanks:
        missing = missing | values.isin(blanks).to_numpy()
        distinct = [v for v in distinct if not (isinstance(v, str) and v.strip() == "")]
    n_blank = int(missing.sum())
    found = {raw: _code_one(raw, mapping) for raw in distinct}
    unknown_values = [raw for raw, code in found.items() if code is None]
    if unknown_values:
        unknown = values.isin(unknown_values).to_numpy() & ~missing
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
            f"column {plain_value(column)!r} must hold 0/1, True/False, yes/no or missing, but "
            f"{int(unknown.sum())} rows hold other values: {shown}{where}. Recode them, or pass "
            f"response_map={{{counts.index[0]!r}: 1 or 0 or None, ...}} (None means missing)."
        )
    coded = np.full(len(values), np.nan)
    present = ~missing
    if present.any():
        coded[present] = values[present].map(found).to_numpy(dtype=float)
    coded_missing = present & np.isnan(coded)
    return CodedResponses(
        values=pd.Series(coded, index=values.index, name=values.name),
        n_blank=n_blank,
        n_coded_missing=int(coded_missing.sum()),
    )
