"""``evaluate(config)``: run every analysis a config asks for and assemble the report.

This is the one function behind ``mirabal-stats evaluate`` and ``mirabal-stats demo``.

**Pillar calls live here, one small function per analysis step** (``_fit_weights``,
``_fit_bayes``, ``_fit_gee``, ``_fit_did``, ``_fit_pretrends``, ``_compare_records``,
``_compare_reported``, ``_sensitivity``, ``_completion``). Each calls one pillar's public API and copies what the
report needs into a digest (:mod:`mirabal_stats.reporting.digests`); the sections, the checks and
the key findings only read digests. A change in a pillar's API therefore touches one function
of this module.

Each step runs through :meth:`~mirabal_stats.reporting.steps.StepLog.run`: a step that cannot
run on the data (any :class:`~mirabal_stats.exceptions.MirabalError`: no events, no overlap, too
few persons) becomes a section saying why and the rest of the report is written; the report's
:attr:`~mirabal_stats.reporting.report.EvaluationReport.exit_code` says whether every step ran.
Problems with the config or the data files themselves raise
:class:`~mirabal_stats.exceptions.ConfigError` before anything is fitted.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import make_provenance
from mirabal_stats.exceptions import EstimabilityWarning, EstimationError, MirabalError
from mirabal_stats.frequentist import completion_effects, event_study, indicator_gee
from mirabal_stats.frequentist import did as difference_in_differences
from mirabal_stats.frequentist.completion import NAIVE_WARNING, WEAK_INSTRUMENT_F
from mirabal_stats.frequentist.sensitivity import delta_sensitivity
from mirabal_stats.reporting.config import EvaluationConfig, config_error, load_config
from mirabal_stats.reporting.digests import (
    BayesDigest,
    CompletionDigest,
    FrequentistDigest,
    PreTrendDigest,
    SurvivalDigest,
    WeightingDigest,
)
from mirabal_stats.reporting.document import Note, Section, figure_from_matplotlib, omitted_section
from mirabal_stats.reporting.findings import add_caveats, key_findings_section, run_checks
from mirabal_stats.reporting.inputs import EvaluationInputs, load_inputs
from mirabal_stats.reporting.plots import plain_text, survival_plot
from mirabal_stats.reporting.progress import Progress
from mirabal_stats.reporting.report import EvaluationReport
from mirabal_stats.reporting.sections.balance import balance_section
from mirabal_stats.reporting.sections.completion import COMPLETION_TITLE, completion_section
from mirabal_stats.reporting.sections.data import (
    attrition_section,
    attrition_summary,
    data_summary_section,
    prevalence_section,
)
from mirabal_stats.reporting.sections.diagnostics import diagnostics_section
from mirabal_stats.reporting.sections.effects import effects_section
from mirabal_stats.reporting.sections.sensitivity import sensitivity_section
from mirabal_stats.reporting.sections.survival import survival_section
from mirabal_stats.reporting.steps import StepLog, quiet_libraries
from mirabal_stats.weighting import PropensityWeights

__all__ = ["check_options", "evaluate", "planned_steps"]

#: Keys of ``[table] options`` that the config sets elsewhere (so they may not be repeated).
_RESERVED = {
    "weighting": {
        "data": "[data] persons",
        "group": "[columns] group",
        "treated": "[design] treated",
        "covariates": "[design] covariates",
        "formula": "[design] covariates",
        "person": "[columns.persons] person",
        "estimand": "[design] estimand",
        "random_seed": "seed (top level)",
    },
    "bayes": {
        "panel": "[data] survey",
        "baseline_wave": "[design] baseline_wave",
        "covariates": "[design] covariates",
        "weights": "the report (the Bayesian model is covariate-adjusted, not weighted)",
    },
    "frequentist": {
        "panel": "[data] survey",
        "level": "the report (every level is shown)",
        "weights": "[weighting]",
        "baseline_wave": "[design] baseline_wave",
        "ci_level": "ci_level (top level)",
    },
    "survival": {
        "data": "[data] persons",
        "group": "[columns] group",
        "treated": "[design] treated",
        "duration": "[survival] duration",
        "event": "[survival] event",
        "lower": "[survival] lower",
        "upper": "[survival] upper",
        "weights": "[weighting]",
        "ci_level": "ci_level (top level)",
        "random_seed": "seed (top level)",
        "person": "[columns.persons] person",
        "n_boot": "[survival] n_bootstrap",
        "n_bootstrap": "[survival] n_bootstrap",
        "parametric": "[survival] parametric",
    },
}

QUICK_NOTE = (
    "QUICK RUN, NOT FOR REPORTING: the Bayesian model used {chains} chains x {draws} draws "
    "(after {tune} tuning steps), far too few for reliable numbers. Rerun without --quick."
)


def _option_target(table: str) -> Callable:
    """The public callable behind ``[table] options``, whose signature lists the allowed options.

    The Bayesian and survival pillars are imported here and in their steps, not at the top, so
    that importing the reporting package does not load their estimation libraries.
    """
    if table == "bayes":
        from mirabal_stats.bayes import IndicatorModel

        return IndicatorModel
    if table == "survival":
        from mirabal_stats.survival import compare_groups

        return compare_groups
    return {"weighting": PropensityWeights, "frequentist": indicator_gee}[table]


def check_options(config: EvaluationConfig) -> None:
    """Check every ``[table] options`` against the options its analysis accepts (names only).

    Raises
    ------
    ConfigError
        Naming the table, the option, the nearest allowed option and the fix.
    """
    for table in ("weighting", "bayes", "frequentist", "survival"):
        options = config.get(table, "options")
        if not options:
            continue
        target = _option_target(table)
        init = target.__init__ if inspect.isclass(target) else target
        allowed = [
            p.name
            for p in list(inspect.signature(init).parameters.values())[
                (1 if inspect.isclass(target) else 0) :
            ]
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
            and p.name not in _RESERVED[table]
        ]
        for option in options:
            if option in _RESERVED[table]:
                raise config_error(
                    config.source,
                    table,
                    "options",
                    f"{option!r} is set by {_RESERVED[table][option]}, not here",
                    value=options,
                    fix=f"Remove {option} from [{table}] options",
                )
            if option not in allowed:
                raise config_error(
                    config.source,
                    table,
                    "options",
                    f"unknown option {option!r}; allowed: {', '.join(allowed)}",
                    value=options,
                    near=option,
                    options=allowed,
                    quote_suggestion=False,
                )


def planned_steps(
    config: EvaluationConfig, *, waves_before_baseline: int | None = None
) -> list[tuple[str, str, bool, str]]:
    """``[(name, title, will_run, why_not)]`` for every analysis step, in order.

    ``waves_before_baseline`` (known once the data are read) decides whether pre-programme
    trends are estimable: they need at least one wave before the baseline wave.
    """
    bayes = config.get("bayes", "enabled")
    draws, tune, chains = (config.get("bayes", k) for k in ("draws", "tune", "chains"))
    survival = config.get("survival", "enabled")
    reported = survival and config.get("survival", "lower") is not None
    frequentist = config.get("frequentist", "enabled")
    return [
        (
            "weighting",
            "Estimating propensity weights and balance",
            config.get("weighting", "enabled"),
            "switched off ([weighting] enabled = false, or no [design] covariates)",
        ),
        (
            "bayes",
            f"Sampling the Bayesian indicator model ({chains} chains x {tune} tuning + "
            f"{draws} draws; the longest step)",
            bayes,
            "switched off ([bayes] enabled = false)",
        ),
        (
            "gee",
            "GEE cross-check",
            frequentist,
            "switched off ([frequentist] enabled = false)",
        ),
        (
            "did",
            "Fixed-effects DiD cross-check",
            frequentist,
            "switched off ([frequentist] enabled = false)",
        ),
        (
            "pre_trends",
            "Pre-programme trends (event study)",
            frequentist and waves_before_baseline != 0,
            "not estimable: only one wave (the baseline) before the programme; parallel "
            "pre-trends need two or more"
            if waves_before_baseline == 0
            else "switched off ([frequentist] enabled = false)",
        ),
        (
            "survival",
            "Comparing time to reoffending (records)",
            survival,
            "switched off ([survival] enabled = false, or no [data] persons file)",
        ),
        (
            "survival_reported",
            "Comparing reoffending reported by partners (interval-censored)",
            reported,
            "no [survival] lower / upper columns"
            if survival
            else "switched off ([survival] enabled = false, or no [data] persons file)",
        ),
        (
            "sensitivity",
            "Sensitivity to informative dropout",
            config.get("sensitivity", "enabled"),
            "switched off ([sensitivity] enabled = false)",
        ),
        (
            "completion",
            "Programme completion: ITT, naive per-protocol and CACE",
            config.get("design", "completed") is not None,
            "no completion column ([design] completed is not set)",
        ),
    ]


def evaluate(
    config: EvaluationConfig | str | Path,
    *,
    progress: Progress | Callable[[str], None] | None = None,
    debug: bool = False,
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
    debug : bool, default False
        Let an internal error (a bug) propagate with its traceback instead of recording it in
        the report.

    Returns
    -------
    EvaluationReport
        Write it with ``report.write(config.output_dir)``; ``report.exit_code`` is 0 when every
        step ran, 1 when some could not run on these data, 3 when one hit a bug.

    Raises
    ------
    ConfigError
        If the config or the files it names are invalid (nothing is fitted then).

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
    check_options(config)
    config.check_output()
    log = StepLog(progress=progress, debug=debug)
    preload = ("pytensor", "pymc") if config.get("bayes", "enabled") else ()
    with plain_text(), quiet_libraries(log.lines, preload=preload):
        return _evaluate(config, progress, log)


class _CallbackProgress(Progress):
    def __init__(self, callback: Callable[[str], None]) -> None:
        super().__init__(stream=None)
        self._callback = callback

    def message(self, text: str) -> None:
        self._callback(text)


def _evaluate(config: EvaluationConfig, progress: Progress, log: StepLog) -> EvaluationReport:
    inputs = log.run(
        "data", "Reading and checking the data", lambda: load_inputs(config), reraise=True
    )
    panel = inputs.panel
    before = list(panel.waves).index(inputs.baseline_wave)
    plan = planned_steps(config, waves_before_baseline=before)
    progress.message(repr(panel))
    data_notes = [str(w.message) for w in log.steps[-1].ours]

    attrition = attrition_summary(panel)
    enabled = {name: (will, why) for name, _, will, why in plan}
    titles = {name: title for name, title, _, _ in plan}
    weighted_records = enabled["weighting"][0] and enabled["survival"][0]
    # data + every step that will run (+ the weighted survival comparison) + checks + writing
    progress.total = 1 + sum(w for w, _ in enabled.values()) + weighted_records + 2

    def step(name: str, fn: Callable[[], Any]) -> Any | None:
        will, why = enabled[name]
        if not will:
            status = "not applicable" if why.startswith("not estimable") else "skipped"
            log.note(name, titles[name], status, why)
            return None
        return log.run(name, titles[name], fn)

    weighting = step("weighting", lambda: _fit_weights(config, inputs))
    weights = None if weighting is None else weighting.person_weights
    bayes = step("bayes", lambda: _fit_bayes(config, inputs))
    gee = step("gee", lambda: _fit_gee(config, inputs, weights))
    did = step("did", lambda: _fit_did(config, inputs, weights))
    pretrend = step("pre_trends", lambda: _fit_pretrends(config, inputs, weights))
    records = step("survival", lambda: _compare_records(config, inputs, None))
    records_weighted = None
    if records is not None and weights is not None:
        records_weighted = log.run(
            "survival_weighted",
            "Comparing time to reoffending, propensity-weighted",
            lambda: _compare_records(config, inputs, weights),
        )
    reported = step("survival_reported", lambda: _compare_reported(config, inputs, weights))
    sensitivity = step("sensitivity", lambda: _sensitivity(config, inputs, bayes))
    completion = step("completion", lambda: _completion(config, inputs, weights))

    def reason(name: str) -> str:
        record = next((s for s in log.steps if s.name == name), None)
        if record is None:
            return enabled.get(name, (False, "not run"))[1]
        if record.status in ("skipped", "not applicable"):
            return record.reason
        if record.status in ("failed", "bug"):
            return f"could not run: {record.reason}"
        return ""

    quick = (
        QUICK_NOTE.format(**{k: config.get("bayes", k) for k in ("draws", "tune", "chains")})
        if config.quick
        else None
    )
    with progress.step("Checks and report sections"):
        checks = run_checks(
            weighting=weighting,
            weighting_reason=reason("weighting"),
            bayes=bayes,
            bayes_reason=reason("bayes"),
            survival=records_weighted or records,
            survival_reason=reason("survival"),
            pretrend=pretrend,
            pretrend_reason=reason("pre_trends"),
            measure_effects={
                label: _measure_pp(digest)
                for label, digest in (("Bayesian", bayes), ("GEE", gee), ("DiD", did))
            },
            attrition=attrition,
            failed_steps=[s for s in log.steps if s.status in ("failed", "bug")],
            quick=config.quick,
        )
        sections = [
            data_summary_section(
                panel,
                inputs.persons,
                responses=inputs.responses,
                checks=inputs.checks,
                labels=inputs.labels,
                covariate_sources=inputs.covariate_sources,
                notes=data_notes,
            ),
            attrition_section(panel),
            _balance_section(weighting, reason("weighting")),
            prevalence_section(panel, questions=inputs.labels),
            _effects_section(config, panel, bayes, gee, did, reason),
            _survival_section(config, records, records_weighted, reported, reason),
            _sensitivity_section(sensitivity, reason("sensitivity")),
        ]
        if enabled["completion"][0]:
            sections.append(_completion_section(completion, reason("completion")))
        weighted_survival = records_weighted is not None
        sections = [add_caveats(s, checks, weighted_survival=weighted_survival) for s in sections]
        sections.append(diagnostics_section(log.steps, bayes=bayes))
        not_run = [
            f"{s.title}: {'internal error (a bug)' if s.status == 'bug' else 'could not run'}. "
            f"{s.reason}"
            for s in log.steps
            if s.status in ("failed", "bug", "unavailable")
        ]
        key = key_findings_section(
            checks=checks,
            bayes=bayes,
            gee=gee,
            did=did,
            weighting=weighting,
            crude=records,
            weighted=records_weighted,
            reported=reported,
            attrition=attrition,
            measures=list(panel.measures),
            treated=panel.treated,
            comparison=panel.comparison,
            baseline_wave=inputs.baseline_wave,
            ci_level=config.ci_level,
            time_unit=config.get("survival", "time_unit"),
            quick_note=quick,
            not_run=not_run,
            completion=completion,
        )
        key = add_caveats(key, checks, weighted_survival=weighted_survival)
    provenance = make_provenance(
        random_seed=config.seed, data=inputs.survey, settings=config.to_dict()
    )
    return EvaluationReport(
        title=config.title,
        sections=(key, *sections),
        config_text=config.text,
        provenance=provenance,
        steps=tuple(log.steps),
        checks=tuple(checks),
        log_lines=tuple(log.lines),
        quick=quick,
    )


def _measure_pp(digest) -> pd.DataFrame | None:
    if digest is None:
        return None
    parts = [digest.effects.get((level, "pp")) for level in ("overall", "measure")]
    parts = [p for p in parts if p is not None]
    return pd.concat(parts) if parts else None


# --------------------------------------------------------------------------- sections
def _balance_section(weighting: WeightingDigest | None, reason: str) -> Section:
    if weighting is None:
        return omitted_section("balance", "Balance before and after weighting", reason)
    return balance_section(weighting)


def _effects_section(config, panel, bayes, gee, did, reason) -> Section:
    key, title = "effects", "Programme effects per measure and indicator"
    notes: list[Note] = []
    for name, label in (
        ("bayes", "The Bayesian model"),
        ("gee", "The GEE cross-check"),
        ("did", "The DiD cross-check"),
    ):
        why = reason(name)
        if why:
            notes.append(Note(f"{label}: {why}", kind="omitted"))
    if gee is not None and gee.weighted:
        notes.append(
            Note(
                "The GEE and DiD cross-checks use the propensity weights "
                f"({config.get('design', 'estimand')}); the Bayesian model is adjusted for the "
                "covariates instead.",
                kind="info",
            )
        )
    if bayes is None and gee is None and did is None:
        return omitted_section(key, title, " ".join(n.text for n in notes))
    return effects_section(
        bayes=bayes,
        gee=gee,
        did=did,
        benefit_sign=panel.benefit_sign,
        ci_level=config.ci_level,
        notes=tuple(notes),
    )


def _survival_section(config, records, records_weighted, reported, reason) -> Section:
    key, title = "reoffending", "Reoffending: survival curves and hazard ratio"
    notes = []
    for name, label in (
        ("survival", "Police-recorded reoffending"),
        ("survival_weighted", "The weighted comparison"),
        ("survival_reported", "Partners' reports"),
    ):
        why = reason(name)
        if why and not why.startswith("switched off") and not why.startswith("no [survival]"):
            notes.append(Note(f"{label}: {why}", kind="omitted"))
    if records is None and reported is None:
        why = reason("survival") or "the survival analysis did not run"
        return omitted_section(key, title, why)
    return survival_section(
        records,
        records_weighted,
        time_unit=config.get("survival", "time_unit"),
        reported=reported,
        notes=tuple(notes),
    )


def _sensitivity_section(tables, reason: str) -> Section:
    if tables is None:
        return omitted_section("sensitivity", "Sensitivity to informative (MNAR) dropout", reason)
    return sensitivity_section(*tables)


def _completion_section(completion: CompletionDigest | None, reason: str) -> Section:
    if completion is None:
        return omitted_section("completion", COMPLETION_TITLE, reason)
    return completion_section(completion)


# --------------------------------------------------------------------------- analysis steps
# One function per step; each is the only place its pillar is called.
def _fit_weights(config: EvaluationConfig, inputs: EvaluationInputs) -> WeightingDigest:
    """Propensity weights on the person table (pillar: weighting)."""
    table = inputs.persons if inputs.persons is not None else inputs.panel.baseline()
    options = dict(config.get("weighting", "options"))
    fitted = PropensityWeights(
        table,
        group="treated",
        treated=1,
        covariates=list(config.get("design", "covariates")),
        estimand=config.get("design", "estimand"),
        random_seed=config.seed,
        **options,
    ).fit()
    balance = fitted.balance()
    frame = balance.frame
    columns = [
        "type",
        "mean_treated_un",
        "mean_control_un",
        "mean_control_adj",
        "diff_un",
        "diff_adj",
        "vr_adj",
        "balanced",
    ]
    comparison = fitted.weights[fitted.indicator == 0]
    return WeightingDigest(
        estimand=fitted.estimand,
        method=fitted.method,
        covariates=tuple(fitted.covariates),
        balance=frame[[c for c in columns if c in frame]],
        threshold=float(balance.threshold),
        unbalanced=tuple(map(str, balance.unbalanced)),
        ess=fitted.effective_sample_size(),
        ess_threshold=float(fitted.spec.ess_threshold),
        comparison_weight_range=(float(comparison.min()), float(comparison.max())),
        person_weights=fitted.weights.rename_axis("person"),
        love_plot=figure_from_matplotlib(
            fitted.plot_love(),
            name="love-plot",
            caption="Love plot: absolute standardised differences before (open) and after "
            "(filled) weighting; the dashed line is the balance threshold.",
        ),
    )


def _fit_bayes(config: EvaluationConfig, inputs: EvaluationInputs) -> BayesDigest:
    """The Bayesian indicator model, covariate-adjusted and unweighted (pillar: bayes)."""
    from mirabal_stats.bayes import IndicatorModel  # here, not at the top: see _option_target

    panel = inputs.panel
    covariates = list(config.get("design", "covariates"))
    draws, tune, chains = (config.get("bayes", k) for k in ("draws", "tune", "chains"))
    model = IndicatorModel(
        panel,
        baseline_wave=inputs.baseline_wave,
        covariates=covariates or None,
        **dict(config.get("bayes", "options")),
    )
    fitted = model.fit(draws=draws, tune=tune, chains=chains, random_seed=config.seed)
    ci = config.ci_level
    effects = {}
    for level in ("overall", "measure", "indicator"):
        effects[(level, "pp")] = fitted.effects(level=level, scale="pp", ci_level=ci)
        log_odds = fitted.effects(level=level, scale="log_odds", ci_level=ci)
        # Equal-tailed intervals and the median are invariant under exp; the mean is not.
        ratio = log_odds.copy()
        ratio["estimate"] = np.exp(log_odds["median"])
        ratio["lower"] = np.exp(log_odds["lower"])
        ratio["upper"] = np.exp(log_odds["upper"])
        effects[(level, "odds_ratio")] = ratio
    diagnostics = fitted.diagnostics()
    attrs = diagnostics.attrs
    return BayesDigest(
        effects=effects,
        diagnostics=diagnostics,
        max_r_hat=float(attrs["max_r_hat"]),
        min_ess_bulk=float(attrs["min_ess_bulk"]),
        min_ess_tail=float(attrs["min_ess_tail"]),
        divergences=int(attrs["divergences"]),
        converged=bool(attrs["ok"]),
        covariates=tuple(covariates),
        draws=draws,
        tune=tune,
        chains=chains,
        fitted=fitted,
    )


def _fit_gee(
    config: EvaluationConfig, inputs: EvaluationInputs, weights: pd.Series | None
) -> FrequentistDigest:
    """GEE at every level, weighted when weights exist (pillar: frequentist)."""
    panel = inputs.panel
    options = dict(config.get("frequentist", "options"))
    common = dict(weights=weights, baseline_wave=inputs.baseline_wave, ci_level=config.ci_level)
    effects = {}
    for level in ("overall", "measure", "indicator"):
        fitted = indicator_gee(panel, level=level, **common, **options)
        effects[(level, "pp")] = fitted.to_frame(scale="pp")
        effects[(level, "odds_ratio")] = fitted.to_frame(scale="odds_ratio")
    return FrequentistDigest("GEE", effects, weighted=weights is not None)


def _fit_did(
    config: EvaluationConfig, inputs: EvaluationInputs, weights: pd.Series | None
) -> FrequentistDigest:
    """Fixed-effects DiD at every level, weighted when weights exist (pillar: frequentist)."""
    panel = inputs.panel
    common = dict(weights=weights, baseline_wave=inputs.baseline_wave, ci_level=config.ci_level)
    effects = {}
    for level in ("overall", "measure", "indicator"):
        fitted = difference_in_differences(panel, level=level, **common)
        effects[(level, "pp")] = fitted.to_frame(scale="pp")
    return FrequentistDigest("DiD", effects, weighted=weights is not None)


def _fit_pretrends(
    config: EvaluationConfig, inputs: EvaluationInputs, weights: pd.Series | None
) -> PreTrendDigest:
    """Event study and the joint test of the pre-programme wave effects (pillar: frequentist)."""
    panel = inputs.panel
    fitted = event_study(
        panel,
        level="measure",
        weights=weights,
        baseline_wave=inputs.baseline_wave,
        ci_level=config.ci_level,
    )
    test = fitted.pre_trend_test()
    waves = list(panel.waves)
    before = waves[: waves.index(inputs.baseline_wave)]
    return PreTrendDigest(test=test[["statistic", "df", "p_value"]], pre_waves=tuple(before))


def _horizons(config: EvaluationConfig, result) -> tuple[tuple, tuple, float]:
    """The configured horizons within follow-up (kept) and beyond it (dropped, reported)."""
    longest = float(min(result.last_follow_up.values()))
    horizons = sorted(float(h) for h in config.get("survival", "horizons"))
    kept = tuple(h for h in horizons if h <= longest)
    return kept, tuple(h for h in horizons if h > longest), longest


def _require_events(persons: pd.DataFrame, event: str, column_key: str) -> None:
    """Refuse a comparison without reoffences in both groups: a hazard ratio needs them."""
    events = persons.groupby("group", sort=False)[event].sum()
    sizes = persons.groupby("group", sort=False).size()
    if events.sum() == 0:
        raise EstimationError(
            f"no reoffence is recorded ({column_key} is 0 for all {len(persons)} persons), so "
            "there is nothing to compare between the groups. Check the column, or switch the "
            "survival analysis off ([survival] enabled = false)."
        )
    empty = [g for g, n in events.items() if n == 0]
    if empty:
        group = empty[0]
        raise EstimationError(
            f"no reoffence is recorded in group '{group}' (0 of {sizes[group]} persons; "
            f"{column_key}), so the hazard ratio would be 0 or infinite and cannot be estimated."
            " With so few events a comparison of the shares reoffended is the honest summary."
        )


def _survival_figure(
    result,
    persons: pd.DataFrame,
    *,
    times: np.ndarray,
    durations: str | None,
    name: str,
    caption: str,
    time_unit: str,
    treated: object,
):
    """The survival curves drawn by the report (group colours, time unit, aligned at-risk table).

    The curve values come from the pillar's public ``survival_at`` at every time where the curve
    can change, so the steps are exact.
    """
    # Curves are never extrapolated: the grid stops at the last follow-up of the shorter group.
    last = min(result.last_follow_up.values())
    grid = np.unique(
        np.concatenate([[0.0], times[np.isfinite(times) & (times >= 0) & (times <= last)]])
    )
    curves = result.survival_at(grid).reset_index()
    groups = tuple(pd.unique(persons["group"]))
    at_risk = None
    if durations is not None:
        at_risk = {g: persons.loc[persons["group"] == g, durations].to_numpy(float) for g in groups}
    figure = survival_plot(
        curves, groups=groups, treated=treated, time_unit=time_unit, durations=at_risk
    )
    return figure_from_matplotlib(figure, name=name, caption=caption)


def _compare_records(
    config: EvaluationConfig, inputs: EvaluationInputs, weights: pd.Series | None
) -> SurvivalDigest:
    """Kaplan-Meier and Cox on police records, crude or weighted (pillar: survival)."""
    from mirabal_stats.survival import compare_groups  # here, not at the top: see _option_target

    persons = inputs.persons
    duration, event = config.get("survival", "duration"), config.get("survival", "event")
    _require_events(persons, event, f"[survival] event = {event!r}")
    unit = config.get("survival", "time_unit")
    result = compare_groups(
        persons,
        group="group",
        duration=duration,
        event=event,
        treated=inputs.panel.treated,
        person="person",
        weights=weights,
        parametric=(),
        ci_level=config.ci_level,
        n_bootstrap=config.get("survival", "n_bootstrap"),
        random_seed=config.seed,
        **dict(config.get("survival", "options")),
    )
    horizons, dropped, longest = _horizons(config, result)
    cox = result.cox
    hr = cox.hazard_ratio().loc[[cox.group_term]]
    hr.index = ["hazard ratio (Cox)"]
    ph_p = None
    if cox.ph_test is not None and len(cox.ph_test):
        ph = cox.ph_test["p_value"]
        ph_p = float(ph.loc[cox.group_term]) if cox.group_term in ph.index else float(ph.min())
    incidence = result.cumulative_incidence(list(horizons)) if horizons else None
    if incidence is not None:
        incidence = incidence.drop(columns=[c for c in ("p_value",) if c in incidence])
    tau = max(horizons) if horizons else None
    which = "Weighted " if weights is not None else ""
    return SurvivalDigest(
        kind="right",
        treated=result.treated,
        reference=result.reference,
        weighted=weights is not None,
        ci_level=config.ci_level,
        hazard_ratio=hr[["estimate", "lower", "upper", "ci_level", "p_value"]],
        hazard_model="Cox",
        n_events=int(cox.n_events),
        n_persons=len(persons),
        ph_p_value=ph_p,
        incidence=incidence,
        rmst=None if tau is None else result.rmst_difference(tau=tau),
        tau=tau,
        horizons=horizons,
        dropped_horizons=dropped,
        max_follow_up=longest,
        figure=_survival_figure(
            result,
            persons,
            times=persons[duration].to_numpy(float),
            durations=duration,
            name="survival" if weights is None else "survival-weighted",
            caption=f"{which}Kaplan-Meier curves: share not yet reoffended, with pointwise "
            f"{config.ci_level:.0%} bands and the numbers still followed up under each tick; "
            f"time in {unit}.",
            time_unit=unit,
            treated=inputs.panel.treated,
        ),
    )


def _compare_reported(
    config: EvaluationConfig, inputs: EvaluationInputs, weights: pd.Series | None
) -> SurvivalDigest:
    """Turnbull curves and a Weibull model of partners' reports (pillar: survival)."""
    from mirabal_stats.survival import compare_groups  # here, not at the top: see _option_target

    persons = inputs.persons
    lower, upper = config.get("survival", "lower"), config.get("survival", "upper")
    if not np.isfinite(persons[upper].to_numpy(dtype=float)).any():
        raise EstimationError(
            f"no partner reported a reoffence ([survival] upper = {upper!r} is inf or blank for "
            f"all {len(persons)} persons), so there is nothing to compare."
        )
    finite = persons[[lower, upper]].to_numpy(dtype=float)
    parametric = tuple(config.get("survival", "parametric"))
    unit = config.get("survival", "time_unit")
    result = compare_groups(
        persons,
        group="group",
        lower=lower,
        upper=upper,
        treated=inputs.panel.treated,
        person="person",
        weights=weights,
        parametric=parametric,
        ci_level=config.ci_level,
        n_bootstrap=config.get("survival", "n_bootstrap"),
        random_seed=config.seed,
        **dict(config.get("survival", "options")),
    )
    horizons, dropped, longest = _horizons(config, result)
    hazard = None
    if "weibull" in result.models and result.weibull.estimable:
        hr = result.weibull.hazard_ratio().loc[[result.weibull.group_term]]
        hazard = hr[["estimate", "lower", "upper", "ci_level"]].set_axis(
            ["hazard ratio (Weibull, interval-censored)"]
        )
    return SurvivalDigest(
        kind="interval",
        treated=result.treated,
        reference=result.reference,
        weighted=weights is not None,
        ci_level=config.ci_level,
        hazard_ratio=hazard,
        hazard_model="Weibull" if hazard is not None else "",
        n_events=None,
        n_persons=len(persons),
        ph_p_value=None,
        incidence=result.cumulative_incidence(list(horizons)) if horizons else None,
        rmst=None,
        tau=None,
        horizons=horizons,
        dropped_horizons=dropped,
        max_follow_up=longest,
        figure=_survival_figure(
            result,
            persons,
            times=finite.ravel(),
            durations=None,
            name="survival_reported",
            caption="Turnbull (NPMLE) estimate of the share not yet reported to have reoffended, "
            f"from partners' reports between surveys, with {config.ci_level:.0%} bootstrap bands; "
            f"time in {unit}.",
            time_unit=unit,
            treated=inputs.panel.treated,
        ),
    )


def _sensitivity(config: EvaluationConfig, inputs: EvaluationInputs, bayes: BayesDigest | None):
    """Model-free (and, with the Bayesian model, model-based) MNAR delta adjustment."""
    ratios = [float(r) for r in config.get("sensitivity", "mnar_odds_ratios")]
    if not any(abs(r - 1.0) < 1e-12 for r in ratios):
        ratios = sorted([*ratios, 1.0])  # the missing-at-random reference is always shown
    sensitivity = delta_sensitivity(
        inputs.panel,
        baseline_wave=inputs.baseline_wave,
        odds_ratios=ratios,
        ci_level=config.ci_level,
        random_seed=config.seed,
    )
    bayes_table = None
    if bayes is not None:
        # The model-based version shifts the log-odds of the unfavourable answer by delta =
        # log(odds ratio); it only covers dropouts doing worse (odds ratio >= 1).
        deltas = np.log([r for r in ratios if r >= 1.0])
        try:
            bayes_table = bayes.fitted.delta_adjustment(
                deltas=deltas, level="measure", ci_level=config.ci_level
            )
        except MirabalError as err:
            warnings.warn(
                f"The model-based (Bayesian) sensitivity analysis could not run: {err}; only the "
                "model-free version is shown.",
                EstimabilityWarning,
                stacklevel=2,
            )
    return sensitivity, bayes_table


def _completion(
    config: EvaluationConfig, inputs: EvaluationInputs, weights: pd.Series | None
) -> CompletionDigest:
    """ITT, naive per-protocol and CACE, overall and per measure (pillar: frequentist).

    Adjusted for ``[design] covariates`` and, when weighting ran, weighted by the propensity
    weights, like the frequentist cross-checks.
    """
    column = config.get("design", "completed")
    completed = inputs.persons.set_index("person")[column]
    covariates = list(config.get("design", "covariates"))
    effects, first_stage = [], []
    for level in ("overall", "measure"):
        fitted = completion_effects(
            inputs.panel,
            completed=completed,
            level=level,
            covariates=covariates or None,
            weights=weights,
            baseline_wave=inputs.baseline_wave,
            ci_level=config.ci_level,
        )
        effects.append(fitted.to_frame().rename_axis(["estimand", "analysis"]))
        first_stage.append(fitted.first_stage_table().rename_axis("estimand"))
    return CompletionDigest(
        effects=pd.concat(effects),
        first_stage=pd.concat(first_stage),
        column=column,
        ci_level=config.ci_level,
        weighted=weights is not None,
        covariates=tuple(covariates),
        outcome=fitted.outcome,
        naive_warning=NAIVE_WARNING,
        weak_f=WEAK_INSTRUMENT_F,
    )
