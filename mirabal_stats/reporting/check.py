"""``mirabal-stats check CONFIG``: validate a config and its data, and say what would be analysed.

Nothing is fitted: :func:`check_config` reads the files exactly as ``evaluate`` would (so every
config or data mistake gives the same message), then describes what it found: persons per group,
waves, indicators per measure, how the answers were coded (missing codes counted), covariates,
how the survey and the person file agree, and which analyses will run.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from mirabal_stats.exceptions import MirabalWarning
from mirabal_stats.reporting.answers import BLANK
from mirabal_stats.reporting.config import EvaluationConfig, toml_value
from mirabal_stats.reporting.evaluate import check_options, planned_steps
from mirabal_stats.reporting.inputs import EvaluationInputs, load_inputs

__all__ = ["CheckResult", "check_config"]


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found: the text it prints, the inputs it read and the warnings raised."""

    text: str
    inputs: EvaluationInputs
    warnings: tuple[str, ...]

    def __str__(self) -> str:
        return self.text


def check_config(config: EvaluationConfig) -> CheckResult:
    """Read and check everything ``evaluate`` would, fit nothing, and describe it.

    Raises
    ------
    ConfigError
        With the same message ``evaluate`` would give.
    """
    check_options(config)
    folder = config.check_output()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inputs = load_inputs(config)
    ours = tuple(
        dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, MirabalWarning))
    )
    panel = inputs.panel
    columns = config.values["columns"]
    lines = [f"Config {config.source}: valid."]
    survey = config.data_path("survey")
    lines.append(
        f"Survey {survey.name}: {len(inputs.survey):,} rows, {config.get('data', 'layout')} layout; "
        f"person {toml_value(columns['person'])}, wave {toml_value(columns['wave'])}, group "
        f"{toml_value(columns['group'])}."
    )
    base = panel.baseline()
    counts = base["group"].value_counts()
    lines.append(
        f"Persons: {panel.n_persons} ({counts.get(panel.treated, 0)} in the programme group "
        f"{toml_value(panel.treated)}, {counts.get(panel.comparison, 0)} in the comparison group "
        f"{toml_value(panel.comparison)})."
    )
    lines.append(
        f"Waves ({len(panel.waves)}, in time order): {', '.join(map(str, panel.waves))}; baseline "
        f"(before the programme): {inputs.baseline_wave}."
    )
    measures = panel.indicator_measures
    signs = panel.benefit_sign
    lines.append(
        f"Indicators: {len(panel.indicators)} in {len(panel.measures)} measure(s) "
        "(+ more 'yes' is better, - less 'yes' is better):"
    )
    for measure in panel.measures:
        names = [k for k in panel.indicators if measures[k] == measure]
        shown = ", ".join(f"{k} ({'+' if signs[k] > 0 else '-'})" for k in names)
        lines.append(f"  {measure} ({len(names)}): {shown}")
    answers = inputs.responses.counts
    n_yes = int(answers.loc[answers["answer"] == "yes", "n"].sum())
    n_no = int(answers.loc[answers["answer"] == "no", "n"].sum())
    missing = inputs.responses.missing_by_group()
    lines.append(
        f"Answers: {n_yes:,} yes, {n_no:,} no, {int(missing['total'].sum()) if len(missing) else 0:,} "
        "missing"
        + (
            ": "
            + ", ".join(
                f"{code if code == BLANK else toml_value(code)} {int(n)}"
                for code, n in missing["total"].items()
            )
            if len(missing)
            else ""
        )
        + "."
    )
    if inputs.persons is not None:
        lines.append(f"Person file {config.data_path('persons').name}:")
        for check in inputs.checks:
            lines.append(f"  {'ok' if check.passed else 'note'}: {check.detail}")
    covariates = inputs.covariate_sources
    lines.append(
        "Covariates: "
        + (
            ", ".join(f"{c} (from the {where})" for c, where in covariates.items())
            if covariates
            else "none"
        )
        + "."
    )
    if config.get("survival", "enabled") and inputs.persons is not None:
        event = config.get("survival", "event")
        events = inputs.persons.groupby("group")[event].sum()
        shown = ", ".join(
            f"{g}: {int(events.get(g, 0))}" for g in (panel.treated, panel.comparison)
        )
        follow = inputs.persons[config.get("survival", "duration")].to_numpy(dtype=float)
        longest = float(np.nanmax(follow[np.isfinite(follow)])) if np.isfinite(follow).any() else 0
        lines.append(
            f"Reoffending: {int(events.sum())} recorded ({shown}); longest follow-up "
            f"{longest:g} {config.get('survival', 'time_unit')}."
        )
    if inputs.unused_columns:
        lines.append(f"Survey columns not used: {', '.join(inputs.unused_columns)}.")
    lines.append("Analyses:")
    before = list(panel.waves).index(inputs.baseline_wave)
    for _, title, will, why in planned_steps(config, waves_before_baseline=before):
        lines.append(
            f"  {'will run' if will else 'skipped '}  {title}" + ("" if will else f": {why}")
        )
    lines.append(
        f"Report folder: {folder} ({'exists; its report files will be replaced' if folder.exists() else 'will be created'})."
    )
    if config.quick:
        lines.append("Quick settings: the report will be labelled 'not for reporting'.")
    if ours:
        lines.append(f"{len(ours)} warning(s):")
        lines.extend(f"  - {text}" for text in ours)
    lines.append(f"Nothing was fitted. Run: mirabal-stats evaluate {config.source}")
    return CheckResult(text="\n".join(lines), inputs=inputs, warnings=ours)
