"""The indicators and their measures, directions and labels: from ``[measures]`` or a codebook file.

An evaluation lists its indicators in one place, either the ``[measures]`` table of the config or
a codebook CSV (``[data] codebook``, columns ``indicator, measure`` and optionally
``beneficial, label``). :func:`read_indicators` reads whichever is given, checks it and remembers
where each indicator was listed, so that later messages can point the evaluator to that line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirabal_stats.reporting.config import (
    EvaluationConfig,
    config_error,
    nearest_name,
    toml_value,
)
from mirabal_stats.reporting.files import file_label, listing, read_table

__all__ = ["Indicators", "read_codebook", "read_indicators"]


@dataclass(frozen=True)
class Indicators:
    """The indicators, their measures, directions and labels, and where each was listed."""

    measures: dict  # indicator -> measure (ordered), or None for a long export without measures
    beneficial: dict
    labels: dict
    source: str  # where the list came from, for messages: "[measures] safety" or "codebook.csv"
    where: dict  # indicator -> (table, key) naming where it was listed


def read_codebook(config: EvaluationConfig) -> pd.DataFrame | None:
    """The checked codebook of ``[data] codebook`` (None when the config names none)."""
    if config.get("data", "codebook") is None:
        return None
    table = read_table(config, "codebook", as_text=True)
    lower = {c.casefold(): c for c in table.columns}
    rename = {}
    for needed in ("indicator", "measure"):
        if needed not in lower:
            close = nearest_name(needed, list(table.columns))
            raise config_error(
                config.source,
                "data",
                "codebook",
                f"the codebook has no column {needed!r}; its columns are {listing(table.columns)}"
                + (f". Did you mean {toml_value(close)}?" if close else ""),
                value=config.get("data", "codebook"),
                fix="The codebook needs columns indicator and measure, and may have beneficial "
                "(increase/decrease) and label",
            )
    for name in ("indicator", "measure", "beneficial", "label"):
        if name in lower:
            rename[lower[name]] = name
    table = table.rename(columns=rename)
    blank = table["indicator"] == ""
    if blank.any():
        raise config_error(
            config.source,
            "data",
            "codebook",
            f"row {int(np.flatnonzero(blank)[0]) + 2} of the codebook has no indicator name",
            value=config.get("data", "codebook"),
            fix="Fill it in or delete the row",
        )
    duplicated = table["indicator"][table["indicator"].duplicated()].unique().tolist()
    if duplicated:
        raise config_error(
            config.source,
            "data",
            "codebook",
            f"the codebook lists {len(duplicated)} indicator(s) more than once, e.g. "
            f"{toml_value(duplicated[0])}",
            value=config.get("data", "codebook"),
            fix="Keep one row per indicator",
        )
    if "beneficial" in table:
        valid = table["beneficial"].str.casefold().isin(["increase", "decrease"])
        if not valid.all():
            row = int(np.flatnonzero(~valid.to_numpy())[0])
            raise config_error(
                config.source,
                "data",
                "codebook",
                f"row {row + 2} of the codebook (indicator "
                f"{toml_value(table['indicator'].iloc[row])}) has beneficial = "
                f"{toml_value(table['beneficial'].iloc[row])}; it must be increase (more 'yes' "
                "is good) or decrease (less 'yes' is good)",
                value=config.get("data", "codebook"),
                fix="Write increase or decrease in that cell",
            )
        table["beneficial"] = table["beneficial"].str.casefold()
    empty = table["measure"] == ""
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise config_error(
            config.source,
            "data",
            "codebook",
            f"row {row + 2} of the codebook (indicator {toml_value(table['indicator'].iloc[row])}) "
            "has no measure",
            value=config.get("data", "codebook"),
            fix="Name the measure the indicator belongs to",
        )
    return table


def read_indicators(config: EvaluationConfig) -> Indicators:
    """The indicators from ``[measures]`` or the codebook, with ``positive_indicators`` applied."""
    measures = config.values["measures"]
    codebook = read_codebook(config)
    positive = list(config.get("design", "positive_indicators"))
    if measures and codebook is not None:
        raise config_error(
            config.source,
            "measures",
            None,
            "the config has both a [measures] table and [data] codebook",
            fix="Keep one of them as the list of indicators and their measures",
        )
    labels: dict = {}
    beneficial: dict = {}
    if measures:
        mapping = {ind: measure for measure, inds in measures.items() for ind in inds}
        where = {ind: ("measures", measure) for measure, inds in measures.items() for ind in inds}
        source = "[measures]"
    elif codebook is not None:
        mapping = dict(zip(codebook["indicator"], codebook["measure"]))
        where = {ind: ("data", "codebook") for ind in mapping}
        source = file_label(config, "codebook")
        if "label" in codebook:
            labels = {k: v for k, v in zip(codebook["indicator"], codebook["label"]) if v}
        if "beneficial" in codebook:
            if positive:
                raise config_error(
                    config.source,
                    "design",
                    "positive_indicators",
                    "the codebook's beneficial column already gives the direction of every "
                    "indicator",
                    value=positive,
                    fix="Give the directions in one place: remove positive_indicators, or the "
                    "codebook's beneficial column",
                )
            beneficial = dict(zip(codebook["indicator"], codebook["beneficial"]))
    else:
        mapping, where, source = None, {}, ""
    if positive:
        known = list(mapping) if mapping is not None else None
        if known is not None:
            for name in positive:
                if name not in mapping:
                    raise config_error(
                        config.source,
                        "design",
                        "positive_indicators",
                        f"lists {toml_value(name)}, which is not one of the indicators ({source})",
                        value=positive,
                        near=name,
                        options=known,
                        fix="Write each indicator exactly as listed",
                    )
        beneficial = {name: "increase" for name in positive}
    return Indicators(mapping, beneficial, labels, source, where)
