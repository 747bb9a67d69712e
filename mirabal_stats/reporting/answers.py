"""Answer codes: the survey's text answers coded yes / no / missing, with every code counted.

The codes come from ``[responses]`` (and ``[responses.<indicator>]`` where an indicator has its
own); they are matched case-insensitively, numbers written alike. Every missing code is counted
per indicator and group for the report; any other answer is an error naming the code and the
indicator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirabal_stats.reporting.config import (
    INDICATOR_SUBTABLE,
    EvaluationConfig,
    config_error,
    normalise_code,
    toml_value,
)
from mirabal_stats.reporting.files import file_label, listing

__all__ = ["BLANK", "AnswerCodes", "ResponseCodes", "answer_codes", "code_answers"]

#: Label shown for blank cells in the missing-code counts.
BLANK = "(blank)"


@dataclass(frozen=True)
class ResponseCodes:
    """How the answers were coded: per indicator and group, counts of yes, no and each missing code.

    ``counts`` is a long table with columns ``indicator, group, answer, n`` where ``answer`` is
    ``"yes"``, ``"no"`` or the missing code as first written in the data (``"(blank)"`` for empty
    cells).
    """

    counts: pd.DataFrame
    missing_codes: tuple[str, ...]

    def missing_by_group(self) -> pd.DataFrame:
        """Missing codes (rows) by group (columns), with a total."""
        rows = self.counts[~self.counts["answer"].isin(["yes", "no"])]
        table = rows.pivot_table(
            index="answer", columns="group", values="n", aggfunc="sum", fill_value=0, sort=False
        )
        table["total"] = table.sum(axis=1)
        table.index.name = "missing code"
        table.columns.name = None
        return table.astype(int)

    def missing_by_indicator(self) -> pd.DataFrame:
        """Missing codes (columns) by indicator (rows)."""
        rows = self.counts[~self.counts["answer"].isin(["yes", "no"])]
        table = rows.pivot_table(
            index="indicator", columns="answer", values="n", aggfunc="sum", fill_value=0, sort=False
        )
        table.columns.name = None
        return table.astype(int)


@dataclass(frozen=True)
class AnswerCodes:
    """The normalised codes meaning yes, no and missing for one indicator."""

    yes: frozenset
    no: frozenset
    missing: frozenset
    where: str  # "[responses]" or "[responses.<indicator>]"


def answer_codes(config: EvaluationConfig, indicators: Sequence[str]) -> dict[str, AnswerCodes]:
    """The answer codes of every indicator, checked for overlaps."""
    base = config.values["responses"]
    per = config.values[INDICATOR_SUBTABLE]
    for name in per:
        if name not in indicators:
            raise config_error(
                config.source,
                f"responses.{name}",
                None,
                "is not one of the indicators, so these answer codes apply to nothing",
                near=name,
                options=list(indicators),
                fix="Name the table after an indicator, e.g. [responses.feels_safe]",
            )

    def as_set(table: str, key: str, values) -> frozenset:
        codes = [normalise_code(v) for v in values]
        if key in ("yes", "no") and "" in codes:
            raise config_error(
                config.source,
                table,
                key,
                "a blank answer cannot mean yes or no",
                value=list(values),
                fix='Remove "" here; blank cells are always missing',
            )
        return frozenset(codes)

    result = {}
    default = {k: as_set("responses", k, base[k]) for k in ("yes", "no", "missing")}
    for indicator in indicators:
        own = per.get(indicator)
        table = f"responses.{indicator}" if own else "responses"
        sets = dict(default)
        if own:
            for key in ("yes", "no", "missing"):
                if own[key] is not None:
                    sets[key] = as_set(table, key, own[key])
        for a, b in (("yes", "no"), ("yes", "missing"), ("no", "missing")):
            both = sets[a] & sets[b]
            if both:
                raise config_error(
                    config.source,
                    table,
                    b,
                    f"lists {listing(sorted(both))}, which [{table}] {a} lists too"
                    if own
                    else f"lists {listing(sorted(both))}, which is also under {a}",
                    value=list((own or base)[b] or base[b]),
                    fix="Each answer means one thing: keep it in one list",
                )
        result[indicator] = AnswerCodes(
            sets["yes"], sets["no"], sets["missing"] | {""}, f"[{table}]"
        )
    return result


def code_answers(
    config: EvaluationConfig,
    long: pd.DataFrame,
    codes: dict[str, AnswerCodes],
    *,
    column_of: Mapping[str, str],
) -> tuple[pd.Series, ResponseCodes]:
    """Code the text answers of ``long`` (columns person, wave, group, indicator, answer)."""
    normalised = long["answer"].map(normalise_code)
    coded = pd.Series(np.nan, index=long.index, dtype=float)
    source = file_label(config, "survey")
    for indicator, rows in long.groupby("indicator", sort=False).groups.items():
        spec = codes[indicator]
        values = normalised.loc[rows]
        is_yes, is_no = values.isin(spec.yes), values.isin(spec.no)
        is_missing = values.isin(spec.missing)
        unknown = ~(is_yes | is_no | is_missing)
        if unknown.any():
            raw = long.loc[rows][unknown.to_numpy()]
            counts = raw["answer"].value_counts()
            shown = ", ".join(f"{toml_value(v)} ({n} cells)" for v, n in counts.head(6).items())
            first = raw.iloc[0]
            column = column_of.get(indicator, indicator)
            raise config_error(
                config.source,
                spec.where.strip("[]"),
                None,
                f"{source} holds answers that are not listed as yes, no or missing for "
                f"indicator {toml_value(indicator)} (column {toml_value(column)}): {shown}; e.g. "
                f"person {toml_value(first['person'])} at wave {toml_value(first['wave'])}",
                fix=f"Add {toml_value(counts.index[0])} to yes, no or missing under "
                f"{spec.where}, or give this indicator its own codes under "
                f"[responses.{indicator}]",
            )
        coded.loc[values.index[is_yes.to_numpy()]] = 1.0
        coded.loc[values.index[is_no.to_numpy()]] = 0.0
    # Each missing code is shown as first written in the data ("Don't know", not "don't know").
    written = (
        pd.DataFrame({"norm": normalised, "raw": long["answer"]})
        .drop_duplicates("norm")
        .set_index("norm")["raw"]
        .to_dict()
    )
    written[""] = BLANK
    labels = np.where(
        coded.to_numpy() == 1.0,
        "yes",
        np.where(coded.to_numpy() == 0.0, "no", normalised.map(written).to_numpy(dtype=object)),
    )
    counts = (
        pd.DataFrame(
            {
                "indicator": long["indicator"].to_numpy(),
                "group": long["group"].to_numpy(),
                "answer": labels,
            }
        )
        .groupby(["indicator", "group", "answer"], sort=False)
        .size()
        .rename("n")
        .reset_index()
    )
    missing = tuple(dict.fromkeys(a for a in counts["answer"] if a not in ("yes", "no")))
    return coded, ResponseCodes(counts=counts, missing_codes=missing)
