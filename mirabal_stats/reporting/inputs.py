"""Read the files a config names and build the :class:`~mirabal_stats.IndicatorPanel`.

Every problem with a file (missing, unreadable, wrong columns) becomes a
:class:`~mirabal_stats.exceptions.ConfigError` naming the ``[data]`` key and the path; problems with
the answers themselves are raised by :class:`~mirabal_stats.IndicatorPanel` with its own messages.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mirabal_stats.data import IndicatorPanel
from mirabal_stats.exceptions import ConfigError, RowsExcludedWarning
from mirabal_stats.reporting.config import EvaluationConfig

__all__ = ["EvaluationInputs", "read_table", "load_inputs"]

_READERS = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".pq": pd.read_parquet}


def read_table(path: Path, *, key: str) -> pd.DataFrame:
    """Read a CSV or parquet file named by config key ``key``."""
    if not path.is_file():
        raise ConfigError(
            f"Config key {key} names {str(path)!r}, which does not exist. Paths in [data] are "
            "relative to the config file's folder; fix the path or move the file."
        )
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ConfigError(
            f"Config key {key} names {path.name!r}: only .csv and .parquet files can be read. "
            "Export the data as CSV (UTF-8, comma-separated) or parquet."
        )
    try:
        return reader(path)
    except ImportError as err:
        raise ConfigError(
            f"Reading {path.name!r} ({key}) needs a parquet engine: pip install pyarrow, or "
            f"export the file as CSV. ({err})"
        ) from err
    except (ValueError, OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"Could not read {str(path)!r} ({key}): {err}") from err


@dataclass(frozen=True)
class EvaluationInputs:
    """The data an evaluation runs on.

    Attributes
    ----------
    panel : IndicatorPanel
        The survey answers, validated.
    survey : pandas.DataFrame
        The survey export as read (for the data fingerprint).
    persons : pandas.DataFrame or None
        One row per person of the panel: ``person``, ``group``, ``treated`` and the covariates and
        reoffending columns of the person file (None without a person file).
    """

    panel: IndicatorPanel
    survey: pd.DataFrame
    persons: pd.DataFrame | None


def _indicator_dictionary(config: EvaluationConfig) -> pd.DataFrame | None:
    path = config.data_path("indicators")
    if path is None:
        return None
    table = read_table(path, key="[data] indicators")
    missing = [c for c in ("indicator", "measure") if c not in table]
    if missing:
        raise ConfigError(
            f"The indicator dictionary {path.name!r} ([data] indicators) needs columns "
            f"'indicator' and 'measure' (and optionally 'beneficial': increase/decrease); "
            f"missing {missing}. It has columns {list(table.columns)}."
        )
    duplicated = table["indicator"][table["indicator"].duplicated()].unique().tolist()
    if duplicated:
        raise ConfigError(
            f"The indicator dictionary {path.name!r} lists {len(duplicated)} indicator(s) more "
            f"than once, e.g. {duplicated[0]!r}. Keep one row per indicator."
        )
    return table


def _beneficial(config: EvaluationConfig, dictionary: pd.DataFrame | None) -> dict | None:
    positive = config.get("design", "positive_indicators")
    if positive:
        return {indicator: "increase" for indicator in positive}
    if dictionary is None or "beneficial" not in dictionary:
        return None
    return dict(zip(dictionary["indicator"], dictionary["beneficial"]))


def _indicator_measures(config: EvaluationConfig, dictionary: pd.DataFrame | None) -> dict | None:
    """``{indicator: measure}`` from ``[measures]`` or else from the indicator dictionary."""
    measures = config.values["measures"]
    if measures:
        if dictionary is not None:
            raise ConfigError(
                "The config gives both [measures] and [data] indicators; keep one of them as "
                "the list of indicators and their measures."
            )
        return {ind: measure for measure, inds in measures.items() for ind in inds}
    if dictionary is not None:
        return dict(zip(dictionary["indicator"], dictionary["measure"]))
    return None


def load_inputs(config: EvaluationConfig) -> EvaluationInputs:
    """Read the survey (and person file) named in ``config`` and build the panel."""
    columns = config.values["columns"]
    design = config.values["design"]
    raw_survey = survey = read_table(config.data_path("survey"), key="[data] survey")
    dictionary = _indicator_dictionary(config)
    persons_path = config.data_path("persons")
    person_file = None if persons_path is None else read_table(persons_path, key="[data] persons")

    # Covariates from the person file are merged onto the survey so the panel carries them
    # (the Bayesian model and the cross-checks read them from the panel); covariates not in the
    # person file must be in the survey, constant within person (the panel checks that).
    covariates = list(design["covariates"])
    person_col = columns["person"]
    from_persons = [
        c for c in covariates if person_file is not None and c in person_file and c not in survey
    ]
    if from_persons:
        _check_person_file(person_file, person_col, set(survey.get(person_col, [])))
        survey = survey.merge(
            person_file[[person_col, *from_persons]],
            on=person_col,
            how="left",
            validate="many_to_one",
        )
    common = dict(
        person=columns["person"],
        group=columns["group"],
        wave=columns["wave"],
        treated=design["treated"],
        covariates=covariates or None,
        beneficial=_beneficial(config, dictionary),
    )
    indicator_measures = _indicator_measures(config, dictionary)
    if config.get("data", "layout") == "wide":
        if indicator_measures is None:
            raise ConfigError(
                "A wide survey export needs the list of indicator columns and their measures: "
                'add a [measures] table (e.g. safety = ["slapped_pushed", "injured"]) or '
                "[data] indicators = a CSV with columns indicator, measure and beneficial."
            )
        panel = IndicatorPanel.from_wide(survey, indicators=indicator_measures, **common)
    else:
        measure = columns["measure"] if columns["measure"] in survey else indicator_measures
        panel = IndicatorPanel.from_long(
            survey,
            indicator=columns["indicator"],
            response=columns["response"],
            measure=measure,
            **common,
        )
    _check_baseline_wave(panel, design["baseline_wave"])
    persons = None if person_file is None else _persons_table(panel, person_file, config)
    return EvaluationInputs(panel=panel, survey=raw_survey, persons=persons)


def _check_baseline_wave(panel: IndicatorPanel, baseline_wave: object) -> None:
    if baseline_wave not in panel.waves:
        as_text = [str(w) for w in panel.waves]
        hint = ""
        if str(baseline_wave) in as_text:
            hint = " (the waves in the data are numbers: write it without quotes)"
        raise ConfigError(
            f"Config key [design] baseline_wave = {baseline_wave!r} is not a wave of the survey; "
            f"the waves are {', '.join(map(repr, panel.waves))}{hint}."
        )


def _check_person_file(person_file: pd.DataFrame, person: str, surveyed: set) -> None:
    """The person file has the person column, one row per person, and every surveyed person."""
    if person not in person_file:
        raise ConfigError(
            f"The person file ([data] persons) has no column {person!r} ([columns] person). "
            f"Its columns are {list(person_file.columns)[:15]}."
        )
    if person_file[person].duplicated().any():
        dup = person_file[person][person_file[person].duplicated()].iloc[0]
        raise ConfigError(
            f"The person file ([data] persons) has more than one row for person {dup!r}; it "
            "must hold one row per person."
        )
    unmatched = sorted(surveyed - set(person_file[person]), key=str)
    if unmatched:
        raise ConfigError(
            f"{len(unmatched)} person(s) of the survey are not in the person file ([data] "
            f"persons), e.g. {unmatched[0]!r}. Every surveyed person needs a row there."
        )


def _persons_table(
    panel: IndicatorPanel, person_file: pd.DataFrame, config: EvaluationConfig
) -> pd.DataFrame:
    person = config.get("columns", "person")
    _check_person_file(person_file, person, set(panel.baseline()["person"]))
    needed = [c for c in config.get("design", "covariates") if c not in panel.covariate_names]
    if config.get("survival", "enabled"):
        needed += [config.get("survival", "duration"), config.get("survival", "event")]
    missing = [c for c in needed if c not in person_file]
    if missing:
        raise ConfigError(
            f"Column(s) {missing} named in the config are neither in the survey nor in the person "
            f"file ([data] persons), whose columns are {list(person_file.columns)[:20]}. Fix the "
            "names under [design] covariates or [survival]."
        )
    base = panel.baseline()
    extra = person_file.rename(columns={person: "person"})
    extra = extra[["person"] + [c for c in extra.columns if c not in base.columns]]
    merged = base.merge(extra, on="person", how="left", validate="one_to_one")
    ignored = set(extra["person"]) - set(base["person"])
    if ignored:
        warnings.warn(
            f"{len(ignored)} row(s) of the person file ([data] persons) are for persons who are "
            f"not in the survey (e.g. {sorted(ignored, key=str)[0]!r}); they are not used.",
            RowsExcludedWarning,
            stacklevel=2,
        )
    return merged
