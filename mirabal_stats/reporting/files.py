"""Read the files a config names (CSV or parquet), and name them and their columns in messages.

A survey export is read exactly as written (every cell as text), so that answer codes ("Yes",
"Don't know", 8, 9, blank), person ids (``007``) and wave labels (``baseline``, ``3m``) are seen as
the evaluator typed them. Every problem with a file is a
:class:`~mirabal_stats.exceptions.ConfigError` naming the ``[data] key``, the file and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from mirabal_stats.reporting.config import EvaluationConfig, config_error, toml_value

__all__ = ["file_label", "listing", "read_table", "require_column"]

_READERS = (".csv", ".parquet", ".pq")


def file_label(config: EvaluationConfig, key: str) -> str:
    """How messages name the file of ``[data] key``: ``survey.csv ([data] survey)``."""
    path = config.data_path(key)
    return f"{path.name} ([data] {key})" if path is not None else f"[data] {key}"


def read_table(
    config: EvaluationConfig, key: str, *, as_text: bool, text_columns: Sequence[str] = ()
) -> pd.DataFrame:
    """Read the CSV or parquet file named by ``[data] key``.

    ``as_text=True`` keeps every cell as written (blank cells as ``""``); otherwise numbers are
    recognised, except in ``text_columns`` (person ids, group labels), which stay text.
    """
    path = config.data_path(key)
    value = config.get("data", key)
    if not path.is_file():
        raise config_error(
            config.source,
            "data",
            key,
            f"the file {str(path)!r} does not exist"
            if not path.exists()
            else f"{str(path)!r} is a folder, not a file",
            value=value,
            fix="Paths under [data] are relative to the config file's folder; fix the path or "
            "move the file",
        )
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise config_error(
            config.source,
            "data",
            key,
            "only .csv and .parquet files can be read",
            value=value,
            fix="Export the data as CSV (comma-separated) or parquet",
        )
    encoding = config.get("data", "encoding")
    try:
        if suffix == ".csv":
            # utf-8-sig reads plain UTF-8 too and drops a byte-order mark (Excel writes one).
            enc = (
                "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding
            )
            if as_text:
                table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc)
            else:
                header = pd.read_csv(path, nrows=0, encoding=enc).columns
                dtypes = {c: str for c in text_columns if c in header}
                table = pd.read_csv(path, dtype=dtypes, encoding=enc)
        else:
            table = pd.read_parquet(path)
            if as_text:
                table = table.apply(_as_text)
            else:
                for column in text_columns:
                    if column in table:
                        table[column] = _as_text(table[column]).replace("", np.nan)
    except ImportError as err:
        raise config_error(
            config.source,
            "data",
            key,
            "reading parquet files needs the pyarrow package",
            value=value,
            fix="Install it (pip install pyarrow) or export the file as CSV",
        ) from err
    except UnicodeDecodeError as err:
        raise config_error(
            config.source,
            "data",
            key,
            f"the file is not {encoding} text (byte 0x{err.object[err.start]:02x} at position "
            f"{err.start})",
            value=value,
            fix='Set [data] encoding to the file\'s encoding (e.g. encoding = "cp1252" for '
            "Excel on Windows), or save the file as UTF-8",
        ) from None
    except (ValueError, OSError) as err:  # pandas parser errors are ValueErrors
        raise config_error(
            config.source,
            "data",
            key,
            f"the file could not be read: {err}",
            value=value,
            fix="Check that it is a comma-separated CSV (or parquet) file",
        ) from None
    duplicated = [str(c) for c in table.columns[table.columns.duplicated()]]
    if duplicated:
        raise config_error(
            config.source,
            "data",
            key,
            f"the file has more than one column named {toml_value(duplicated[0])}",
            value=value,
            fix="Give every column a distinct name",
        )
    table.columns = [str(c).strip() for c in table.columns]
    if as_text:
        table = table.apply(lambda s: s.str.strip())
    return table


def _as_text(series: pd.Series) -> pd.Series:
    """Cells as text: integers without decimals (7.0 -> "7"), missing as ""."""

    def one(value):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            return ""
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return str(int(value))
        if isinstance(value, (np.generic,)):
            return str(value.item())
        return str(value)

    return series.map(one).astype(object)


def listing(values: Sequence, k: int = 8) -> str:
    """The first ``k`` values as TOML literals, with the count when there are more."""
    values = list(values)
    shown = ", ".join(toml_value(v) for v in values[:k])
    return shown + (f", ... ({len(values)} in all)" if len(values) > k else "")


def require_column(
    config: EvaluationConfig,
    table: pd.DataFrame,
    *,
    section: str,
    key: str,
    column: str,
    file_key: str,
) -> None:
    """Refuse a ``[section] key`` naming a column that the file of ``[data] file_key`` lacks."""
    if column in table.columns:
        return
    raise config_error(
        config.source,
        section,
        key,
        f"{file_label(config, file_key)} has no such column; its columns are "
        f"{listing(table.columns, 20)}",
        value=column,
        options=list(table.columns),
        fix=f"Write the column's name exactly as in the file's header under [{section}] {key}",
    )
