"""Read the files a config names, check them against each other and build the panel.

This is the config's door to the data. A survey export is read exactly as written (every cell as
text), so that answer codes ("Yes", "Don't know", 8, 9, blank), person ids (``007``) and wave
labels (``baseline``, ``3m``) are seen as the evaluator typed them; then:

- waves are ordered by ``[design] wave_order`` (or as numbers) and ``baseline_wave`` is found;
- answers are coded yes / no / missing with ``[responses]`` (per indicator where given); every
  missing code is counted per indicator and group for the report; any other answer is an error
  naming the code;
- the survey and the person file are checked against each other: the same persons (counted),
  the same group for each person, one row per person;
- covariates are taken from the person file (or, failing that, from the survey, where they must
  not change between waves).

Every problem is a :class:`~mirabal_stats.exceptions.ConfigError` in config terms: the file, the
``[table] key``, the value, the nearest valid name and the fix. Only then is the
:class:`~mirabal_stats.data.IndicatorPanel` built, from clean columns (see :func:`build_panel`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mirabal_stats.data import IndicatorPanel
from mirabal_stats.exceptions import RowsExcludedWarning
from mirabal_stats.reporting.config import (
    INDICATOR_SUBTABLE,
    EvaluationConfig,
    config_error,
    nearest_name,
    normalise_code,
    toml_value,
)

__all__ = [
    "EvaluationInputs",
    "FileCheck",
    "ResponseCodes",
    "build_panel",
    "load_inputs",
    "read_table",
]

_READERS = (".csv", ".parquet", ".pq")
#: Column names of the long frame handed to the panel; a covariate may not use them.
_ROLE_COLUMNS = ("person", "wave", "group", "indicator", "measure", "response", "treated")
#: Label shown for blank cells in the missing-code counts.
BLANK = "(blank)"


# --------------------------------------------------------------------------- reading
def _file_label(config: EvaluationConfig, key: str) -> str:
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


def _listing(values: Sequence, k: int = 8) -> str:
    values = list(values)
    shown = ", ".join(toml_value(v) for v in values[:k])
    return shown + (f", ... ({len(values)} in all)" if len(values) > k else "")


def _require_column(
    config: EvaluationConfig,
    table: pd.DataFrame,
    *,
    section: str,
    key: str,
    column: str,
    file_key: str,
) -> None:
    if column in table.columns:
        return
    raise config_error(
        config.source,
        section,
        key,
        f"{_file_label(config, file_key)} has no such column; its columns are "
        f"{_listing(table.columns, 20)}",
        value=column,
        options=list(table.columns),
        fix=f"Write the column's name exactly as in the file's header under [{section}] {key}",
    )


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class FileCheck:
    """One line of the consistency checks between the files: what was compared and the counts."""

    name: str
    passed: bool
    detail: str
    serious: bool = True
    ids: tuple = ()  # the persons concerned, when the check lists them


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
class EvaluationInputs:
    """The data an evaluation runs on, and what was checked on the way.

    Attributes
    ----------
    panel : IndicatorPanel
        The survey answers, coded and validated.
    survey : pandas.DataFrame
        The survey export as read (for the data fingerprint).
    persons : pandas.DataFrame or None
        One row per person of the panel: ``person``, ``group``, ``treated`` (1/0), the covariates
        and every other column of the person file (None without a person file).
    responses : ResponseCodes
        Counts of yes, no and each missing code.
    checks : tuple of FileCheck
        Consistency checks between the files, with counts.
    labels : mapping
        ``{indicator: label}`` from the codebook (indicators without a label are absent).
    covariate_sources : mapping
        ``{covariate: "person file" | "survey"}``.
    unused_columns : tuple of str
        Survey columns that are not used (wide layout).
    baseline_wave : object
        The pre-programme wave as the panel labels it (``[design] baseline_wave`` matched to the
        data: ``"Baseline"`` for ``"baseline"``, the number 1 for ``"1"``).
    """

    panel: IndicatorPanel
    survey: pd.DataFrame
    persons: pd.DataFrame | None
    responses: ResponseCodes
    checks: tuple[FileCheck, ...] = ()
    labels: Mapping = field(default_factory=dict)
    covariate_sources: Mapping = field(default_factory=dict)
    unused_columns: tuple[str, ...] = ()
    baseline_wave: object = None


# --------------------------------------------------------------------------- codebook
@dataclass(frozen=True)
class _Indicators:
    measures: dict  # indicator -> measure (ordered), or None for a long export without measures
    beneficial: dict
    labels: dict
    source: str  # where the list came from, for messages: "[measures] safety" or "codebook.csv"
    where: dict  # indicator -> (table, key) naming where it was listed


def _codebook(config: EvaluationConfig) -> pd.DataFrame | None:
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
                f"the codebook has no column {needed!r}; its columns are {_listing(table.columns)}"
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


def _indicators(config: EvaluationConfig) -> _Indicators:
    measures = config.values["measures"]
    codebook = _codebook(config)
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
        source = _file_label(config, "codebook")
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
    return _Indicators(mapping, beneficial, labels, source, where)


# --------------------------------------------------------------------------- survey checks
def _check_groups(
    config: EvaluationConfig, survey: pd.DataFrame, person: str, group: str
) -> tuple[str, str]:
    """The two group labels (treated, comparison) as written in the survey."""
    source = _file_label(config, "survey")
    blank = survey[group] == ""
    if blank.any():
        example = survey.loc[blank, person].iloc[0]
        raise config_error(
            config.source,
            "columns",
            "group",
            f"{int(blank.sum())} row(s) of {source} have no group (e.g. person "
            f"{toml_value(example)})",
            value=group,
            fix="Fill in the group of every row, or remove those rows",
        )
    labels = list(pd.unique(survey[group]))
    per_person = survey.groupby(person, sort=False)[group].nunique()
    if (per_person > 1).any():
        bad = per_person[per_person > 1]
        example = bad.index[0]
        shown = _listing(pd.unique(survey.loc[survey[person] == example, group]))
        raise config_error(
            config.source,
            "columns",
            "group",
            f"{len(bad)} person(s) are in more than one group in {source}, e.g. person "
            f"{toml_value(example)} ({shown})",
            value=group,
            fix="Each person belongs to one group; correct those rows",
        )
    sizes = survey.drop_duplicates(person)[group].value_counts()
    described = ", ".join(f"{toml_value(g)} ({sizes[g]} persons)" for g in labels)
    if len(labels) != 2:
        raise config_error(
            config.source,
            "columns",
            "group",
            f"the evaluation compares two groups, but this column of {source} holds "
            f"{len(labels)}: {described}",
            value=group,
            fix="Keep the rows of the two groups to compare (or merge groups) in the export",
        )
    treated = config.get("design", "treated")
    matches = [g for g in labels if g == str(treated)] or [
        g for g in labels if normalise_code(g) == normalise_code(treated)
    ]
    if len(matches) != 1:
        raise config_error(
            config.source,
            "design",
            "treated",
            f"no person in {source} has this value in the group column "
            f"{toml_value(group)}; its groups are {described}",
            value=treated,
            options=labels,
            fix="Write the intervention group's value exactly as in the data",
        )
    treated_label = matches[0]
    return treated_label, next(g for g in labels if g != treated_label)


def _wave_order(
    config: EvaluationConfig, survey: pd.DataFrame, wave: str
) -> tuple[list, dict, object]:
    """The waves in time order, a map from the survey's text to the wave value, the baseline."""
    source = _file_label(config, "survey")
    blank = survey[wave] == ""
    if blank.any():
        raise config_error(
            config.source,
            "columns",
            "wave",
            f"{int(blank.sum())} row(s) of {source} have no wave",
            value=wave,
            fix="Fill in the wave of every row, or remove those rows",
        )
    observed = list(pd.unique(survey[wave]))
    order = config.get("design", "wave_order")
    baseline = config.get("design", "baseline_wave")
    if order is not None:
        # Matched case-insensitively, numbers written alike ("3" in the data is 3 in the config).
        by_text = {normalise_code(w): w for w in order}
        unknown = [w for w in observed if normalise_code(w) not in by_text]
        if unknown:
            counts = survey[wave].value_counts()
            shown = ", ".join(f"{toml_value(w)} ({counts[w]} rows)" for w in unknown[:6])
            raise config_error(
                config.source,
                "design",
                "wave_order",
                f"the wave column {toml_value(wave)} of {source} holds waves not listed here: "
                f"{shown}",
                value=order,
                near=unknown[0],
                options=[str(w) for w in order],
                fix="Add them to wave_order in their place in time, or correct the data",
            )
        mapping = {w: by_text[normalise_code(w)] for w in observed}
        present = set(mapping.values())
        absent = [w for w in order if w not in present]
        if absent:
            warnings.warn(
                f"{config.source}: [design] wave_order lists {_listing(absent)}, but no row of "
                f"{source} has {'that wave' if len(absent) == 1 else 'these waves'}; "
                "the analysis uses the waves present.",
                RowsExcludedWarning,
                stacklevel=3,
            )
        waves = [w for w in order if w in present]
        base = by_text[normalise_code(baseline)]
        if base not in present:
            raise config_error(
                config.source,
                "design",
                "baseline_wave",
                f"no row of {source} has this wave",
                value=baseline,
                options=waves,
                fix="Name the pre-programme wave as written in the data",
            )
        return waves, mapping, base
    numbers = pd.to_numeric(pd.Series(observed, dtype=object), errors="coerce")
    if numbers.isna().any():
        text = [w for w, n in zip(observed, numbers) if pd.isna(n)]
        raise config_error(
            config.source,
            "design",
            "wave_order",
            f"is not set, and the waves in column {toml_value(wave)} of {source} are text "
            f"({_listing(text)}), so their time order is unknown",
            fix=f"Add under [design]: wave_order = {toml_value(observed)} (put them in time order)",
        )
    values = [int(n) if float(n).is_integer() else float(n) for n in numbers]
    mapping = dict(zip(observed, values))
    waves = sorted(set(values))
    try:
        base_number = float(baseline)
    except ValueError:
        base_number = None
    if base_number is None or base_number not in waves:
        raise config_error(
            config.source,
            "design",
            "baseline_wave",
            f"is not a wave of {source}; the waves in column {toml_value(wave)} are "
            f"{_listing(waves)}",
            value=baseline,
            options=waves,
            fix="Name the pre-programme wave, as a number without quotes",
        )
    base = int(base_number) if base_number.is_integer() else base_number
    return waves, mapping, base


def _check_duplicates(
    config: EvaluationConfig, survey: pd.DataFrame, keys: list[str], what: str
) -> None:
    duplicated = survey.duplicated(subset=keys, keep=False)
    if duplicated.any():
        first = survey.loc[duplicated, keys].iloc[0]
        example = ", ".join(f"{k} {toml_value(first[k])}" for k in keys)
        raise config_error(
            config.source,
            "data",
            "survey",
            f"{int(duplicated.sum())} rows share their {what} with another row (e.g. {example}); "
            "each person has at most one row per "
            + ("wave" if what == "person and wave" else "wave and indicator"),
            value=config.get("data", "survey"),
            fix="Remove the repeated rows, or check the [columns] person and wave names",
        )


# --------------------------------------------------------------------------- answers
@dataclass(frozen=True)
class _Codes:
    yes: frozenset
    no: frozenset
    missing: frozenset
    where: str  # "[responses]" or "[responses.<indicator>]"


def _code_sets(config: EvaluationConfig, indicators: Sequence[str]) -> dict[str, _Codes]:
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
                    f"lists {_listing(sorted(both))}, which [{table}] {a} lists too"
                    if own
                    else f"lists {_listing(sorted(both))}, which is also under {a}",
                    value=list((own or base)[b] or base[b]),
                    fix="Each answer means one thing: keep it in one list",
                )
        result[indicator] = _Codes(sets["yes"], sets["no"], sets["missing"] | {""}, f"[{table}]")
    return result


def _code_answers(
    config: EvaluationConfig,
    long: pd.DataFrame,
    codes: dict[str, _Codes],
    *,
    column_of: Mapping[str, str],
) -> tuple[pd.Series, ResponseCodes]:
    """Code the text answers of ``long`` (columns person, wave, group, indicator, answer)."""
    normalised = long["answer"].map(normalise_code)
    coded = pd.Series(np.nan, index=long.index, dtype=float)
    source = _file_label(config, "survey")
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


# --------------------------------------------------------------------------- person file
def _person_file(
    config: EvaluationConfig,
    survey_persons: pd.DataFrame,
) -> tuple[pd.DataFrame | None, list[FileCheck], str | None]:
    """Read the person file and check it against the survey's persons and groups.

    ``survey_persons`` has one row per surveyed person: columns ``person`` and ``group``.
    Returns the file (person column renamed ``person``), the checks and the name of its group
    column (None when it has none).
    """
    if config.get("data", "persons") is None:
        return None, [], None
    columns = config.values["columns"]
    own = config.values["columns.persons"]
    person_col = own["person"] or columns["person"]
    person_key = ("columns.persons", "person") if own["person"] else ("columns", "person")
    group_col = own["group"] or columns["group"]
    table = read_table(config, "persons", as_text=False, text_columns=[person_col, group_col])
    source = _file_label(config, "persons")
    if person_col not in table:
        raise config_error(
            config.source,
            *person_key,
            f"{source} has no such column; its columns are {_listing(table.columns, 20)}",
            value=person_col,
            options=list(table.columns),
            fix="Name the person file's id column under [columns.persons] person (it may differ "
            "from the survey's)",
        )
    if own["group"] and group_col not in table:
        _require_column(
            config,
            table,
            section="columns.persons",
            key="group",
            column=group_col,
            file_key="persons",
        )
    ids = table[person_col]
    if ids.isna().any() or (ids == "").any():
        n = int((ids.isna() | (ids == "")).sum())
        raise config_error(
            config.source,
            *person_key,
            f"{n} row(s) of {source} have no person id",
            value=person_col,
            fix="Fill in the ids or remove those rows",
        )
    table[person_col] = ids.str.strip()
    duplicated = table[person_col][table[person_col].duplicated()].unique()
    if len(duplicated):
        raise config_error(
            config.source,
            *person_key,
            f"{len(duplicated)} person id(s) appear on more than one row of {source}, e.g. "
            f"{toml_value(duplicated[0])}; the person file has one row per person",
            value=person_col,
            fix="Remove the repeated rows",
        )
    checks: list[FileCheck] = []
    surveyed = pd.Index(survey_persons["person"])
    listed = pd.Index(table[person_col])
    absent = surveyed.difference(listed, sort=False)
    survey_source = _file_label(config, "survey")
    if len(absent):
        hint = ""
        by_norm = {normalise_code(p).lstrip("0"): p for p in listed}
        near = [(p, by_norm.get(normalise_code(p).lstrip("0"))) for p in absent[:50]]
        near = [(a, b) for a, b in near if b is not None]
        if near:
            hint = (
                f" The ids are written differently: {toml_value(near[0][0])} in the survey, "
                f"{toml_value(near[0][1])} in the person file."
            )
        raise config_error(
            config.source,
            *person_key,
            f"{len(absent)} of the {len(surveyed)} persons in {survey_source} are not in "
            f"{source} (e.g. {_listing(list(absent), 5)}).{hint}",
            value=person_col,
            fix="Every surveyed person needs a row in the person file; check that both files "
            "come from the same export and that [columns.persons] person names its id column",
        )
    checks.append(
        FileCheck(
            "same persons",
            True,
            f"all {len(surveyed)} persons of the survey are in the person file",
        )
    )
    extra = listed.difference(surveyed, sort=False)
    if len(extra):
        text = (
            f"{len(extra)} person(s) of {source} never appear in {survey_source} (e.g. "
            f"{_listing(list(extra), 5)}); they are left out of every analysis."
        )
        warnings.warn(text, RowsExcludedWarning, stacklevel=3)
        checks.append(
            FileCheck(
                "persons only in the person file", False, text, serious=False, ids=tuple(extra)
            )
        )
    has_group = group_col in table
    if has_group:
        theirs = table.set_index(person_col)[group_col].reindex(surveyed)
        ours = survey_persons.set_index("person")["group"]
        theirs_text = theirs.map(lambda v: "" if pd.isna(v) else str(v))
        differ = [p for p in surveyed if normalise_code(theirs_text[p]) != normalise_code(ours[p])]
        if differ:
            p = differ[0]
            raise config_error(
                config.source,
                *(("columns.persons", "group") if own["group"] else ("columns", "group")),
                f"{len(differ)} of the {len(surveyed)} persons have a different group in "
                f"{source} than in {survey_source} (e.g. person {toml_value(p)}: "
                f"{toml_value(theirs_text[p])} in the person file, {toml_value(ours[p])} in "
                "the survey)",
                value=group_col,
                fix="Correct the group in one of the files; if the person file's group column "
                "means something else, name the right one under [columns.persons] group",
            )
        checks.append(
            FileCheck(
                "same groups",
                True,
                f"each of the {len(surveyed)} persons has the same group in both files",
            )
        )
    table = table.rename(columns={person_col: "person"})
    return table, checks, group_col if has_group else None


def _covariates(
    config: EvaluationConfig,
    survey: pd.DataFrame,
    person_file: pd.DataFrame | None,
    person_col: str,
) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """One row per person with every covariate, and where each came from."""
    covariates = list(config.get("design", "covariates"))
    if not covariates:
        return None, {}
    sources: dict[str, str] = {}
    person_columns = (
        [] if person_file is None else [c for c in person_file.columns if c != "person"]
    )
    for name in covariates:
        if name.casefold() in _ROLE_COLUMNS:
            raise config_error(
                config.source,
                "design",
                "covariates",
                f"{toml_value(name)} is a name the evaluation reserves for its own columns "
                f"({', '.join(_ROLE_COLUMNS)})",
                value=covariates,
                fix=f"Rename that column in the file (e.g. {name}_at_baseline) and here",
            )
        if person_file is not None and name in person_file:
            sources[name] = "person file"
        elif name in survey and name not in (person_col,):
            sources[name] = "survey"
        else:
            where = (
                f"{_file_label(config, 'persons')} (where covariates live) nor of "
                f"{_file_label(config, 'survey')}"
                if person_file is not None
                else _file_label(config, "survey")
            )
            listed = person_columns if person_file is not None else list(survey.columns)
            raise config_error(
                config.source,
                "design",
                "covariates",
                f"lists {toml_value(name)}, which is not a column of "
                f"{'neither ' if person_file is not None else ''}{where}; the "
                f"{'person file' if person_file is not None else 'survey'}'s columns are "
                f"{_listing(listed, 20)}",
                value=covariates,
                near=name,
                options=listed or list(survey.columns),
                fix="Write each covariate exactly as the column's header",
            )
    table = pd.DataFrame({"person": pd.unique(survey[person_col])})
    for name in covariates:
        if sources[name] == "person file":
            values = person_file.set_index("person")[name]
            table[name] = values.reindex(table["person"]).to_numpy()
            continue
        cells = survey[[person_col, name]].rename(columns={person_col: "person"})
        cells = cells[cells[name] != ""]
        distinct = cells.drop_duplicates()
        repeated = distinct["person"][distinct["person"].duplicated()]
        if len(repeated):
            example = repeated.iloc[0]
            shown = _listing(distinct.loc[distinct["person"] == example, name])
            raise config_error(
                config.source,
                "design",
                "covariates",
                f"covariate {toml_value(name)} comes from {_file_label(config, 'survey')} and "
                f"differs between waves for {repeated.nunique()} person(s) (e.g. person "
                f"{toml_value(example)}: {shown}); a covariate is a baseline value, one per person",
                value=covariates,
                fix="Put the baseline value of each person in the person file ([data] persons)",
            )
        values = distinct.set_index("person")[name].reindex(table["person"])
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().sum() == values.notna().sum():
            values = numeric
        table[name] = values.to_numpy()
    return table, sources


# --------------------------------------------------------------------------- the panel
def build_panel(
    long: pd.DataFrame,
    *,
    treated: object,
    waves: list,
    covariates: list[str],
    beneficial: Mapping | None,
    measures: Mapping | None,
) -> IndicatorPanel:
    """The one call of the data door: a long frame of clean columns -> ``IndicatorPanel``.

    ``long`` has columns ``person, wave, group, indicator, response`` (0.0 / 1.0 / NaN) and the
    covariates.
    """
    return IndicatorPanel.from_long(
        long,
        person="person",
        wave="wave",
        indicator="indicator",
        response="response",
        group="group",
        treated=treated,
        measure=dict(measures) if measures is not None else None,
        covariates=covariates or None,
        beneficial=dict(beneficial) if beneficial else None,
        wave_order=waves,
    )


def load_inputs(config: EvaluationConfig) -> EvaluationInputs:
    """Read the survey (and person file and codebook) named in ``config`` and build the panel.

    Raises
    ------
    ConfigError
        For any problem with the files or their agreement with the config and each other.
    """
    columns = config.values["columns"]
    layout = config.get("data", "layout")
    indicators = _indicators(config)
    survey = read_table(config, "survey", as_text=True)
    raw_survey = survey
    for key in ("person", "wave", "group") + (
        ("indicator", "response") if layout == "long" else ()
    ):
        _require_column(
            config, survey, section="columns", key=key, column=columns[key], file_key="survey"
        )
    person, wave, group = columns["person"], columns["wave"], columns["group"]
    if (survey[person] == "").any():
        raise config_error(
            config.source,
            "columns",
            "person",
            f"{int((survey[person] == '').sum())} row(s) of {_file_label(config, 'survey')} have "
            "no person id",
            value=person,
            fix="Fill in the ids or remove those rows",
        )
    if survey.empty:
        raise config_error(
            config.source,
            "data",
            "survey",
            "the file has no rows",
            value=config.get("data", "survey"),
        )
    source = _file_label(config, "survey")

    if layout == "wide":
        if indicators.measures is None:
            raise config_error(
                config.source,
                "measures",
                None,
                "a wide survey export needs the list of indicator columns and their measures",
                fix='Add a [measures] table (e.g. safety = ["slapped_pushed", "injured"]) or '
                "[data] codebook = a CSV with columns indicator, measure, beneficial, label",
            )
        roles = {person, wave, group}
        for indicator, (table, key) in indicators.where.items():
            if indicator not in survey.columns or indicator in roles:
                candidates = [c for c in survey.columns if c not in roles]
                raise config_error(
                    config.source,
                    table,
                    key,
                    f"lists indicator {toml_value(indicator)}, which is not a column of {source}"
                    if table == "measures"
                    else f"the codebook lists indicator {toml_value(indicator)}, which is not a "
                    f"column of {source}",
                    near=indicator,
                    options=candidates,
                    fix="Write each indicator exactly as its column header in the survey",
                )
        _check_duplicates(config, survey, [person, wave], "person and wave")
        treated, comparison = _check_groups(config, survey, person, group)
        ind_names = list(indicators.measures)
        long = survey[[person, wave, group, *ind_names]].melt(
            id_vars=[person, wave, group], var_name="indicator", value_name="answer"
        )
        column_of = {k: k for k in ind_names}
    else:
        ind_col, resp_col = columns["indicator"], columns["response"]
        blank = survey[ind_col] == ""
        if blank.any():
            raise config_error(
                config.source,
                "columns",
                "indicator",
                f"{int(blank.sum())} row(s) of {source} have no indicator name",
                value=ind_col,
                fix="Fill them in or remove those rows",
            )
        _check_duplicates(config, survey, [person, wave, ind_col], "person, wave and indicator")
        treated, comparison = _check_groups(config, survey, person, group)
        present = list(pd.unique(survey[ind_col]))
        if indicators.measures is not None:
            for indicator, (table, key) in indicators.where.items():
                if indicator not in present:
                    raise config_error(
                        config.source,
                        table,
                        key,
                        f"lists indicator {toml_value(indicator)}, which does not appear in column "
                        f"{toml_value(ind_col)} of {source}",
                        near=indicator,
                        options=present,
                        fix="Write each indicator exactly as in the data",
                    )
            unlisted = [k for k in present if k not in indicators.measures]
            if unlisted:
                n = int(survey[ind_col].isin(unlisted).sum())
                warnings.warn(
                    f"{config.source}: {n} row(s) of {source} are for {len(unlisted)} "
                    f"indicator(s) not listed in {indicators.source} ({_listing(unlisted, 5)}); "
                    "they are left out.",
                    RowsExcludedWarning,
                    stacklevel=2,
                )
                survey = survey[~survey[ind_col].isin(unlisted)]
            ind_names = list(indicators.measures)
            measures = indicators.measures
        elif columns["measure"] in survey:
            pairs = survey[[ind_col, columns["measure"]]].drop_duplicates()
            split = pairs[ind_col][pairs[ind_col].duplicated()]
            if len(split):
                raise config_error(
                    config.source,
                    "columns",
                    "measure",
                    f"indicator {toml_value(split.iloc[0])} belongs to more than one measure in "
                    f"{source}",
                    value=columns["measure"],
                    fix="Give each indicator one measure",
                )
            measures = dict(zip(pairs[ind_col], pairs[columns["measure"]]))
            ind_names = present
        else:
            measures, ind_names = None, present
        indicators = _Indicators(
            measures, indicators.beneficial, indicators.labels, indicators.source, indicators.where
        )
        long = survey[[person, wave, group, ind_col, resp_col]].rename(
            columns={ind_col: "indicator", resp_col: "answer"}
        )
        column_of = {k: resp_col for k in ind_names}

    waves, wave_map, baseline = _wave_order(config, survey, wave)
    codes = _code_sets(config, ind_names)
    long = long.rename(columns={person: "person", wave: "wave", group: "group"})
    long = long.reset_index(drop=True)
    coded, responses = _code_answers(config, long, codes, column_of=column_of)
    never = [k for k in ind_names if not coded[long["indicator"] == k].notna().any()]
    if never:
        shown = responses.counts[responses.counts["indicator"] == never[0]]
        summary = ", ".join(f"{toml_value(a)}: {n}" for a, n in zip(shown["answer"], shown["n"]))
        table, key = indicators.where.get(never[0], ("columns", "indicator"))
        raise config_error(
            config.source,
            table,
            key,
            f"indicator {toml_value(never[0])} has no yes or no answer in {source} (its cells: "
            f"{summary})",
            fix="Remove it from the list of indicators, or check its answer codes under "
            "[responses]",
        )
    long["response"] = coded.to_numpy()
    long["wave"] = long["wave"].map(wave_map)
    long = long.drop(columns="answer")

    survey_persons = long.drop_duplicates("person")[["person", "group"]]
    person_file, checks, _ = _person_file(config, survey_persons)
    covariate_table, sources = _covariates(config, survey, person_file, person)
    covariates = list(config.get("design", "covariates"))
    if covariate_table is not None:
        long = long.merge(covariate_table, on="person", how="left", validate="many_to_one")
    panel = build_panel(
        long,
        treated=treated,
        waves=waves,
        covariates=covariates,
        beneficial=indicators.beneficial,
        measures=indicators.measures,
    )
    persons = None
    if person_file is not None:
        persons = _persons_table(config, panel, person_file)
    roles = {person, wave, group}
    used = roles | set(ind_names) | {k for k, v in sources.items() if v == "survey"}
    unused = tuple(c for c in raw_survey.columns if c not in used) if layout == "wide" else ()
    return EvaluationInputs(
        panel=panel,
        survey=raw_survey,
        persons=persons,
        responses=responses,
        checks=tuple(checks),
        labels=indicators.labels,
        covariate_sources=sources,
        unused_columns=unused,
        baseline_wave=baseline,
    )


def _persons_table(
    config: EvaluationConfig, panel: IndicatorPanel, person_file: pd.DataFrame
) -> pd.DataFrame:
    """One row per surveyed person: the panel's baseline table plus the person file's columns."""
    source = _file_label(config, "persons")
    if config.get("survival", "enabled"):
        keys = ["duration", "event"]
        keys += [k for k in ("lower", "upper") if config.get("survival", k)]
        for key in keys:
            column = config.get("survival", key)
            _require_column(
                config, person_file, section="survival", key=key, column=column, file_key="persons"
            )
            values = person_file[column]
            numeric = pd.to_numeric(values, errors="coerce")
            bad = numeric.isna() & values.notna() & (values.astype(str).str.strip() != "")
            if bad.any():
                row = person_file.loc[bad.to_numpy()].iloc[0]
                raise config_error(
                    config.source,
                    "survival",
                    key,
                    f"column {toml_value(column)} of {source} must hold numbers, but "
                    f"{int(bad.sum())} row(s) hold text (e.g. {toml_value(str(row[column]))} for "
                    f"person {toml_value(row['person'])})",
                    value=column,
                    fix="Recode those cells as numbers (inf for 'never' in the upper column)",
                )
            person_file = person_file.assign(**{column: numeric})
    base = panel.baseline()
    group_col = config.values["columns.persons"]["group"] or config.get("columns", "group")
    skip = set(base.columns) | {group_col}  # the group was checked against the survey's
    extra = person_file[["person"] + [c for c in person_file.columns if c not in skip]]
    return base.merge(extra, on="person", how="left", validate="one_to_one")
