"""``evaluate(config)``: run every analysis a config asks for and assemble the report.

This is the one function behind ``mirabal-stats evaluate`` and ``mirabal-stats demo``. Each
analysis step calls one pillar's public API and hands its result to one section function in
:mod:`mirabal_stats.reporting.sections`. A step that is switched off, or whose pillar is not
installed, gives a section holding a visible "not produced" note; a step that fails on these data
with a library error (e.g. a propensity model that cannot be fitted) gives the same note with the
error's message, so one failed analysis does not lose the rest of the report. Warnings raised by
every step are collected for the diagnostics section.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import make_provenance
from mirabal_stats.exceptions import ConfigError, MirabalError
from mirabal_stats.frequentist.sensitivity import delta_sensitivity
from mirabal_stats.reporting.config import EvaluationConfig, load_config
from mirabal_stats.reporting.document import Note, Section, omitted_section
from mirabal_stats.reporting.inputs import EvaluationInputs, load_inputs
from mirabal_stats.reporting.progress import Progress
from mirabal_stats.reporting.report import EvaluationReport
from mirabal_stats.reporting.sections.balance import balance_section
from mirabal_stats.reporting.sections.data import (
    attrition_section,
    data_summary_section,
    prevalence_section,
)
from mirabal_stats.reporting.sections.diagnostics import diagnostics_section
from mirabal_stats.reporting.sections.effects import effects_section
from mirabal_stats.reporting.sections.sensitivity import sensitivity_section
from mirabal_stats.reporting.sections.survival import survival_section

__all__ = ["evaluate", "StepLog", "pillar_api"]


@dataclass
class StepRecord:
    """What happened in one analysis step: its warnings and, if it failed, the error message."""

    name: str
    warnings: list[warnings.WarningMessage] = field(default_factory=list)
    error: str | None = None


@dataclass
class StepLog:
    """Warnings and failures of every step, for the diagnostics section."""

    steps: list[StepRecord] = field(default_factory=list)

    @contextmanager
    def record(self, name: str) -> Iterator[StepRecord]:
        """Run a step, keeping every warning it raises (shown once, in the report)."""
        record = StepRecord(name)
        self.steps.append(record)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield record
            finally:
                record.warnings.extend(_deduplicate(caught))


def _deduplicate(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    seen, kept = set(), []
    for item in caught:
        key = (item.category, str(item.message))
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def pillar_api(module: str, name: str) -> Any | None:
    """Return ``mirabal_stats.<module>.<name>``, or None when that pillar does not provide it.

    The pillar package itself is imported normally, so an error inside it is not hidden.
    """
    package = import_module(f"mirabal_stats.{module}")
    return getattr(package, name, None)


def _unavailable(key: str, title: str, what: str) -> Section:
    return omitted_section(
        key, title, f"{what} is not available in this installation of mirabal_stats."
    )


def evaluate(
    config: EvaluationConfig | str | Path,
    *,
    progress: Progress | Callable[[str], None] | None = None,
) -> EvaluationReport:
    """Run the analyses a configuration asks for and return the evaluation report.

    Parameters
    ----------
    config : EvaluationConfig, str or pathlib.Path
        A validated config (:func:`~mirabal_stats.reporting.load_config`) or the path of a
        TOML config file.
    progress : Progress, optional
        Where progress messages go (the command line passes one writing to standard error);
        silent by default.

    Returns
    -------
    EvaluationReport
        Write it with ``report.write(config.output_dir)``.

    Raises
    ------
    ConfigError
        If the config or the files it names are invalid.
    PanelValidationError
        If the survey answers cannot form a valid panel.

    Examples
    --------
    >>> from mirabal_stats.reporting import evaluate, demo_config  # doctest: +SKIP
    >>> report = evaluate(demo_config(quick=True))                  # doctest: +SKIP
    >>> report.write("demo_report")                                 # doctest: +SKIP
    """
    if not isinstance(config, EvaluationConfig):
        config = load_config(config)
    if progress is None:
        progress = Progress(stream=None)
    elif not isinstance(progress, Progress):
        progress = _CallbackProgress(progress)

    log = StepLog()
    with progress.step("Reading and validating the data"), log.record("data"):
        inputs = load_inputs(config)
    panel = inputs.panel
    progress.message(repr(panel))

    results: dict[str, Any] = {}
    with progress.step("Describing the data and attrition"), log.record("descriptives"):
        sections = [data_summary_section(panel, inputs.persons), attrition_section(panel)]
    sections.append(_balance(config, inputs, progress, log, results))
    with progress.step("Prevalence by group and wave"), log.record("descriptives"):
        sections.append(prevalence_section(panel))

    sections.extend(_effects(config, inputs, progress, log, results))
    sections.append(_survival(config, inputs, progress, log, results))
    sections.append(_sensitivity(config, inputs, progress, log, results))
    sections.append(_diagnostics(log, results.get("bayes")))

    provenance = make_provenance(
        random_seed=config.seed, data=inputs.survey, settings=config.to_dict()
    )
    return EvaluationReport(
        title=config.title,
        sections=tuple(sections),
        config_text=config.text,
        provenance=provenance,
    )


class _CallbackProgress(Progress):
    def __init__(self, callback: Callable[[str], None]) -> None:
        super().__init__(stream=None)
        self._callback = callback

    def message(self, text: str) -> None:
        self._callback(text)


def _check_options(
    target: Callable, options: dict[str, Any], table: str, *, reserved: tuple[str, ...] = ()
) -> None:
    """Check ``[table] options`` against the keyword parameters of ``target`` before calling it."""
    allowed = [
        name
        for name, p in inspect.signature(target).parameters.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and name not in ("self", *reserved)
    ]
    for name in options:
        if name in reserved:
            raise ConfigError(
                f"[{table}] options may not set {name!r}: it comes from the config's [design] "
                f"table. Remove it from [{table}] options."
            )
        if name not in allowed:
            raise ConfigError(
                f"Unknown option {name!r} in [{table}] options. Allowed: {', '.join(allowed)}."
            )


def _failed(key: str, title: str, step: StepRecord, err: MirabalError) -> Section:
    step.error = f"{type(err).__name__}: {err}"
    return omitted_section(key, title, f"the analysis failed on these data. {step.error}")


# --------------------------------------------------------------------------- analysis steps
def _balance(
    config: EvaluationConfig,
    inputs: EvaluationInputs,
    progress: Progress,
    log: StepLog,
    results: dict[str, Any],
) -> Section:
    key, title = "balance", "Balance before and after weighting"
    if not config.get("weighting", "enabled"):
        return omitted_section(
            key,
            title,
            "weighting is switched off in the config "
            "([weighting] enabled = false, or no [design] covariates).",
        )
    weights_cls = pillar_api("weighting", "PropensityWeights")
    if weights_cls is None:
        return _unavailable(key, title, "Propensity weighting (mirabal_stats.weighting)")
    baseline = inputs.persons if inputs.persons is not None else inputs.panel.baseline()
    options = dict(config.get("weighting", "options"))
    options.setdefault("random_seed", config.seed)
    with progress.step("Estimating propensity weights"), log.record("weighting") as step:
        _check_options(weights_cls, options, "weighting", reserved=("estimand",))
        try:
            fitted = weights_cls(estimand=config.get("design", "estimand"), **options).fit(
                baseline, treatment="treated", covariates=list(config.get("design", "covariates"))
            )
        except MirabalError as err:
            return _failed(key, title, step, err)
        results["weights"] = fitted
        return balance_section(fitted)


def _effects(
    config: EvaluationConfig,
    inputs: EvaluationInputs,
    progress: Progress,
    log: StepLog,
    results: dict[str, Any],
) -> list[Section]:
    key, title = "effects", "Programme effects per measure and indicator"
    use_bayes, use_panel = config.get("bayes", "enabled"), config.get("panel", "enabled")
    if not use_bayes and not use_panel:
        return [
            omitted_section(
                key,
                title,
                "both the Bayesian model and the panel "
                "cross-checks are switched off in the config.",
            )
        ]
    panel = inputs.panel
    baseline_wave = config.get("design", "baseline_wave")
    notes: list[Note] = []
    fitted: dict[str, Any] = {}

    model_cls = pillar_api("bayes", "IndicatorModel") if use_bayes else None
    if not use_bayes:
        _omit(
            notes,
            "The Bayesian model is switched off ([bayes] enabled = false): only the "
            "frequentist estimates are shown.",
        )
    elif model_cls is None:
        _omit(
            notes,
            "The Bayesian indicator model (mirabal_stats.bayes) is not available in "
            "this installation: only the frequentist estimates are shown.",
        )
    else:
        options = dict(config.get("bayes", "options"))
        _check_options(model_cls, options, "bayes", reserved=("panel", "baseline_wave"))
        options.setdefault("covariates", list(config.get("design", "covariates")))
        draws, tune, chains = (config.get("bayes", k) for k in ("draws", "tune", "chains"))
        with (
            progress.step(
                f"Sampling the Bayesian indicator model ({chains} chains x {tune} tuning + {draws} "
                "draws; the longest step)"
            ),
            log.record("bayes") as step,
        ):
            try:
                model = model_cls(panel, baseline_wave=baseline_wave, **options)
                fitted["bayes"] = model.fit(
                    draws=draws, tune=tune, chains=chains, random_seed=config.seed
                )
            except MirabalError as err:
                step.error = f"{type(err).__name__}: {err}"
                _omit(notes, f"The Bayesian model could not be fitted: {step.error}")
        results["bayes"] = fitted.get("bayes")

    if not use_panel:
        _omit(notes, "The frequentist cross-checks are switched off ([panel] enabled = false).")
    else:
        gee, did = pillar_api("frequentist", "indicator_gee"), pillar_api("frequentist", "did")
        if gee is None or did is None:
            _omit(
                notes,
                "The frequentist cross-checks (mirabal_stats.frequentist) are not available "
                "in this installation.",
            )
        else:
            options = dict(config.get("panel", "options"))
            _check_options(
                gee, options, "panel", reserved=("level", "weights", "baseline_wave", "ci_level")
            )
            weights = _person_weights(results.get("weights"), inputs)
            common = dict(weights=weights, baseline_wave=baseline_wave, ci_level=config.ci_level)
            weighted = " (propensity-weighted)" if weights is not None else ""
            with (
                progress.step(f"Frequentist cross-checks: GEE and DiD{weighted}"),
                log.record("panel") as step,
            ):
                try:
                    for level in ("measure", "indicator"):
                        fitted[f"gee_{level}"] = gee(panel, level=level, **common, **options)
                        fitted[f"did_{level}"] = did(panel, level=level, **common)
                except MirabalError as err:
                    step.error = f"{type(err).__name__}: {err}"
                    _omit(notes, f"The cross-checks could not be fitted: {step.error}")
            if weights is not None:
                notes.append(
                    Note(
                        "The GEE and DiD cross-checks use the propensity weights "
                        f"({config.get('design', 'estimand')}).",
                        kind="info",
                    )
                )
    if not fitted:
        return [omitted_section(key, title, " ".join(n.text for n in notes))]
    with progress.step("Summarising the effects"), log.record("effects"):
        return [
            effects_section(
                **fitted,
                benefit_sign=panel.benefit_sign,
                ci_level=config.ci_level,
                notes=tuple(notes),
            )
        ]


def _omit(notes: list[Note], text: str) -> None:
    notes.append(Note(text, kind="omitted"))


def _person_weights(weights, inputs: EvaluationInputs):
    """Propensity weights as a Series indexed by person (None without weights)."""
    if weights is None:
        return None
    baseline = inputs.persons if inputs.persons is not None else inputs.panel.baseline()
    return pd.Series(
        weights.weights.to_numpy(),
        index=pd.Index(baseline["person"], name="person"),
        name="weights",
    )


def _survival(
    config: EvaluationConfig,
    inputs: EvaluationInputs,
    progress: Progress,
    log: StepLog,
    results: dict[str, Any],
) -> Section:
    key, title = "reoffending", "Reoffending: survival curves and hazard ratio"
    if not config.get("survival", "enabled"):
        return omitted_section(
            key,
            title,
            "the survival analysis is switched off in the config "
            "([survival] enabled = false, or no [data] persons file).",
        )
    compare = pillar_api("survival", "compare_groups")
    if compare is None:
        return _unavailable(key, title, "Survival analysis (mirabal_stats.survival)")
    options = dict(config.get("survival", "options"))
    reserved = ("group", "duration", "event", "weights", "treated", "ci_level", "random_seed")
    _check_options(compare, options, "survival", reserved=reserved)
    common = dict(
        group="group",
        duration=config.get("survival", "duration"),
        event=config.get("survival", "event"),
        treated=inputs.panel.treated,
        ci_level=config.ci_level,
        random_seed=config.seed,
        **options,
    )
    weights = results.get("weights")
    with progress.step("Comparing time to reoffending"), log.record("survival") as step:
        try:
            crude = compare(inputs.persons, **common)
            weighted = None
            if weights is not None:
                weighted = compare(inputs.persons, weights=weights.weights.to_numpy(), **common)
            reported = None
            lower, upper = config.get("survival", "lower"), config.get("survival", "upper")
            if lower and upper:
                interval = {k: v for k, v in common.items() if k not in ("duration", "event")}
                reported = compare(
                    inputs.persons,
                    lower=lower,
                    upper=upper,
                    weights=None if weights is None else weights.weights.to_numpy(),
                    **interval,
                )
            return survival_section(
                crude,
                weighted,
                horizons=[float(h) for h in config.get("survival", "horizons")],
                time_unit=config.get("survival", "time_unit"),
                reported=reported,
            )
        except MirabalError as err:
            return _failed(key, title, step, err)


def _sensitivity(
    config: EvaluationConfig,
    inputs: EvaluationInputs,
    progress: Progress,
    log: StepLog,
    results: dict[str, Any],
) -> Section:
    key, title = "sensitivity", "Sensitivity to informative (MNAR) dropout"
    if not config.get("sensitivity", "enabled"):
        return omitted_section(
            key,
            title,
            "the sensitivity analysis is switched off in the "
            "config ([sensitivity] enabled = false).",
        )
    ratios = [float(r) for r in config.get("sensitivity", "mnar_odds_ratios")]
    if not any(abs(r - 1.0) < 1e-12 for r in ratios):
        ratios = sorted([*ratios, 1.0])  # the missing-at-random reference is always shown
    with (
        progress.step("Sensitivity to informative dropout (bootstrap)"),
        log.record("sensitivity") as step,
    ):
        try:
            sensitivity = delta_sensitivity(
                inputs.panel,
                baseline_wave=config.get("design", "baseline_wave"),
                odds_ratios=ratios,
                ci_level=config.ci_level,
                random_seed=config.seed,
            )
        except MirabalError as err:
            return _failed(key, title, step, err)
    bayes_table = None
    bayes = results.get("bayes")
    if bayes is not None:
        # The model-based version shifts the log-odds of the unfavourable answer by delta =
        # log(odds ratio); it only covers dropouts doing worse (odds ratio >= 1).
        deltas = np.log([r for r in ratios if r >= 1.0])
        with (
            progress.step("Sensitivity of the Bayesian effects to informative dropout"),
            log.record("sensitivity (Bayesian)") as step,
        ):
            try:
                bayes_table = bayes.delta_adjustment(
                    deltas=deltas, level="measure", ci_level=config.ci_level
                )
            except MirabalError as err:
                step.error = f"{type(err).__name__}: {err}"
    return sensitivity_section(sensitivity, bayes_table)


def _diagnostics(log: StepLog, bayes=None) -> Section:
    return diagnostics_section(
        log.steps, sampler_diagnostics=None if bayes is None else bayes.diagnostics()
    )
