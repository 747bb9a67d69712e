"""Checks of the survey export's waves, groups and rows, in config terms.

The waves are put in time order (``[design] wave_order``, or as numbers) and the baseline wave is
found; the group column must hold the two groups compared, one per person, the treated group
named by ``[design] treated``; and no person may have two rows for the same wave (and indicator).
"""

from __future__ import annotations

import warnings

import pandas as pd

from mirabal_stats.exceptions import RowsExcludedWarning
from mirabal_stats.reporting.config import (
    EvaluationConfig,
    config_error,
    normalise_code,
    toml_value,
)
from mirabal_stats.reporting.files import file_label, listing

__all__ = ["check_duplicates", "check_groups", "order_waves"]


def check_groups(
    config: EvaluationConfig, survey: pd.DataFrame, person: str, group: str
) -> tuple[str, str]:
    """The two group labels (treated, comparison) as written in the survey."""
    source = file_label(config, "survey")
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
        shown = listing(pd.unique(survey.loc[survey[person] == example, group]))
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


def order_waves(
    config: EvaluationConfig, survey: pd.DataFrame, wave: str
) -> tuple[list, dict, object]:
    """The waves in time order, a map from the survey's text to the wave value, the baseline."""
    source = file_label(config, "survey")
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
                f"{config.source}: [design] wave_order lists {listing(absent)}, but no row of "
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
            f"({listing(text)}), so their time order is unknown",
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
            f"{listing(waves)}",
            value=baseline,
            options=waves,
            fix="Name the pre-programme wave, as a number without quotes",
        )
    base = int(base_number) if base_number.is_integer() else base_number
    return waves, mapping, base


def check_duplicates(
    config: EvaluationConfig, survey: pd.DataFrame, keys: list[str], what: str
) -> None:
    """Refuse rows of the survey that repeat the same ``keys`` (person and wave ...)."""
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
