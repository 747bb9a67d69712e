"""The person file (``[data] persons``): checked against the survey, and the covariates.

The survey and the person file must hold the same persons (counted), the same group for each
person and one row per person. Covariates are taken from the person file or, failing that, from
the survey, where they must not change between waves.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd

from mirabal_stats.data import IndicatorPanel
from mirabal_stats.exceptions import RowsExcludedWarning
from mirabal_stats.reporting.config import (
    EvaluationConfig,
    config_error,
    normalise_code,
    toml_value,
)
from mirabal_stats.reporting.files import file_label, listing, read_table, require_column

__all__ = ["FileCheck", "persons_table", "read_covariates", "read_person_file"]

#: Column names of the long frame handed to the panel; a covariate may not use them.
_ROLE_COLUMNS = ("person", "wave", "group", "indicator", "measure", "response", "treated")


@dataclass(frozen=True)
class FileCheck:
    """One line of the consistency checks between the files: what was compared and the counts."""

    name: str
    passed: bool
    detail: str
    serious: bool = True
    ids: tuple = ()  # the persons concerned, when the check lists them


def read_person_file(
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
    source = file_label(config, "persons")
    if person_col not in table:
        raise config_error(
            config.source,
            *person_key,
            f"{source} has no such column; its columns are {listing(table.columns, 20)}",
            value=person_col,
            options=list(table.columns),
            fix="Name the person file's id column under [columns.persons] person (it may differ "
            "from the survey's)",
        )
    if own["group"] and group_col not in table:
        require_column(
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
    survey_source = file_label(config, "survey")
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
            f"{source} (e.g. {listing(list(absent), 5)}).{hint}",
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
            f"{listing(list(extra), 5)}); they are left out of every analysis."
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


def read_covariates(
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
                f"{file_label(config, 'persons')} (where covariates live) nor of "
                f"{file_label(config, 'survey')}"
                if person_file is not None
                else file_label(config, "survey")
            )
            listed = person_columns if person_file is not None else list(survey.columns)
            raise config_error(
                config.source,
                "design",
                "covariates",
                f"lists {toml_value(name)}, which is not a column of "
                f"{'neither ' if person_file is not None else ''}{where}; the "
                f"{'person file' if person_file is not None else 'survey'}'s columns are "
                f"{listing(listed, 20)}",
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
            shown = listing(distinct.loc[distinct["person"] == example, name])
            raise config_error(
                config.source,
                "design",
                "covariates",
                f"covariate {toml_value(name)} comes from {file_label(config, 'survey')} and "
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


def persons_table(
    config: EvaluationConfig, panel: IndicatorPanel, person_file: pd.DataFrame
) -> pd.DataFrame:
    """One row per surveyed person: the panel's baseline table plus the person file's columns."""
    source = file_label(config, "persons")
    if config.get("survival", "enabled"):
        keys = ["duration", "event"]
        keys += [k for k in ("lower", "upper") if config.get("survival", k)]
        for key in keys:
            column = config.get("survival", key)
            require_column(
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
    table = base.merge(extra, on="person", how="left", validate="one_to_one")
    column = config.get("design", "completed")
    if column is not None:
        require_column(
            config,
            person_file,
            section="design",
            key="completed",
            column=column,
            file_key="persons",
        )
        table[column] = _completion_flags(config, table, column)
    return table


#: Cells of the completion column, compared case-insensitively (numbers written alike).
COMPLETION_CODES = {"1": 1.0, "yes": 1.0, "true": 1.0, "0": 0.0, "no": 0.0, "false": 0.0}


def _completion_flags(config: EvaluationConfig, table: pd.DataFrame, column: str) -> pd.Series:
    """``[design] completed`` as 0/1 per surveyed person, with the completion rules checked.

    The same rules as :func:`mirabal_stats.frequentist.completion_effects` (every person has a
    0/1 value; completion is one-sided), reported in config terms before anything is fitted.
    """
    source = file_label(config, "persons")
    cells = table[column]
    text = cells.map(lambda v: "" if pd.isna(v) else normalise_code(v))
    flags = text.map(COMPLETION_CODES)
    bad = flags.isna().to_numpy()
    if bad.any():
        example = table.loc[bad].iloc[0]
        shown = "a blank cell" if text[bad].iloc[0] == "" else toml_value(str(example[column]))
        raise config_error(
            config.source,
            "design",
            "completed",
            f"column {toml_value(column)} of {source} must hold 1/0, yes/no or true/false for "
            f"every surveyed person, but {int(bad.sum())} of the {len(table)} persons have other "
            f"values (e.g. {shown} for person {toml_value(example['person'])})",
            value=column,
            fix="Recode those cells (0 = did not complete, and 0 for every comparison person)",
        )
    in_comparison = table.loc[(flags == 1).to_numpy() & (table["treated"] == 0).to_numpy()]
    if len(in_comparison):
        raise config_error(
            config.source,
            "design",
            "completed",
            f"column {toml_value(column)} of {source} marks {len(in_comparison)} comparison-group "
            f"person(s) as having completed the programme (e.g. "
            f"{listing([str(p) for p in in_comparison['person']], 3)}). Completion is one-sided: "
            "only persons referred to the programme (the [design] treated group) can complete",
            value=column,
            fix="Check the group and completion columns; set completion to 0 for comparison "
            "persons, or move persons who did attend to the programme group",
        )
    return flags.astype(float)
