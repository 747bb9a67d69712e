"""Read the files a config names, check them against each other and build the panel.

This is the config's door to the data; :func:`load_inputs` runs the steps in order, each in its
own module:

- the files are read exactly as written (:mod:`~mirabal_stats.reporting.files`), so that answer
  codes ("Yes", "Don't know", 8, 9, blank), person ids (``007``) and wave labels (``baseline``,
  ``3m``) are seen as the evaluator typed them;
- the indicators and their measures come from ``[measures]`` or a codebook
  (:mod:`~mirabal_stats.reporting.codebook`);
- waves are ordered by ``[design] wave_order`` (or as numbers), ``baseline_wave`` is found and the
  groups are checked (:mod:`~mirabal_stats.reporting.survey_checks`);
- answers are coded yes / no / missing with ``[responses]`` (per indicator where given); every
  missing code is counted per indicator and group for the report; any other answer is an error
  naming the code (:mod:`~mirabal_stats.reporting.answers`);
- the survey and the person file are checked against each other: the same persons (counted),
  the same group for each person, one row per person; covariates are taken from the person file
  (or, failing that, from the survey, where they must not change between waves)
  (:mod:`~mirabal_stats.reporting.person_file`).

Every problem is a :class:`~mirabal_stats.exceptions.ConfigError` in config terms: the file, the
``[table] key``, the value, the nearest valid name and the fix. Only then is the
:class:`~mirabal_stats.data.IndicatorPanel` built, from clean columns (see :func:`build_panel`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from mirabal_stats.data import IndicatorPanel
from mirabal_stats.exceptions import RowsExcludedWarning
from mirabal_stats.reporting.answers import ResponseCodes, answer_codes, code_answers
from mirabal_stats.reporting.codebook import Indicators, read_indicators
from mirabal_stats.reporting.config import EvaluationConfig, config_error, toml_value
from mirabal_stats.reporting.files import file_label, listing, read_table, require_column
from mirabal_stats.reporting.person_file import (
    FileCheck,
    persons_table,
    read_covariates,
    read_person_file,
)
from mirabal_stats.reporting.survey_checks import check_duplicates, check_groups, order_waves

__all__ = ["EvaluationInputs", "build_panel", "load_inputs"]


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
    indicators = read_indicators(config)
    survey = read_table(config, "survey", as_text=True)
    raw_survey = survey
    for key in ("person", "wave", "group") + (
        ("indicator", "response") if layout == "long" else ()
    ):
        require_column(
            config, survey, section="columns", key=key, column=columns[key], file_key="survey"
        )
    person, wave, group = columns["person"], columns["wave"], columns["group"]
    if (survey[person] == "").any():
        raise config_error(
            config.source,
            "columns",
            "person",
            f"{int((survey[person] == '').sum())} row(s) of {file_label(config, 'survey')} have "
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
    source = file_label(config, "survey")

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
        check_duplicates(config, survey, [person, wave], "person and wave")
        treated, comparison = check_groups(config, survey, person, group)
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
        check_duplicates(config, survey, [person, wave, ind_col], "person, wave and indicator")
        treated, comparison = check_groups(config, survey, person, group)
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
                    f"indicator(s) not listed in {indicators.source} ({listing(unlisted, 5)}); "
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
        indicators = Indicators(
            measures, indicators.beneficial, indicators.labels, indicators.source, indicators.where
        )
        long = survey[[person, wave, group, ind_col, resp_col]].rename(
            columns={ind_col: "indicator", resp_col: "answer"}
        )
        column_of = {k: resp_col for k in ind_names}

    waves, wave_map, baseline = order_waves(config, survey, wave)
    codes = answer_codes(config, ind_names)
    long = long.rename(columns={person: "person", wave: "wave", group: "group"})
    long = long.reset_index(drop=True)
    coded, responses = code_answers(config, long, codes, column_of=column_of)
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
    person_file, checks, _ = read_person_file(config, survey_persons)
    covariate_table, sources = read_covariates(config, survey, person_file, person)
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
        persons = persons_table(config, panel, person_file)
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
