"""The "Key findings and checks" block, the pass/fail checks, and caveats beside affected numbers.

:func:`run_checks` turns the digests of every analysis into :class:`Check` rows (balance,
overlap, sampler convergence, proportional hazards, pre-trends, agreement between the methods,
differential attrition, steps that could not run). Each check names the estimates it affects
(``affects``: tags such as ``"bayes"`` or ``"weighted"``). :func:`add_caveats` repeats every failed
check as a warning note immediately before each table or figure holding an affected number, and
:func:`key_findings_section` opens the report with the effects, reoffending, attrition, the
checks and how each estimate handles confounding and dropout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirabal_stats.reporting.digests import (
    BayesDigest,
    CompletionDigest,
    FrequentistDigest,
    PreTrendDigest,
    SurvivalDigest,
    WeightingDigest,
)
from mirabal_stats.reporting.document import Figure, Note, Paragraph, Section, SideBySide, Table

__all__ = [
    "Check",
    "add_caveats",
    "fmt_interval",
    "fmt_probability",
    "key_findings_section",
    "run_checks",
]

PASS, FAIL, NOT_RUN, NOT_APPLICABLE = "PASS", "FAIL", "not run", "not applicable"

#: Safe limits of the MCMC sampler (Vehtari et al. 2021, doi:10.1214/20-BA1221).
R_HAT_LIMIT = 1.01
ESS_LIMIT = 400
#: Differences in retention between the groups (percentage points of baseline respondents)
#: above which dropout is flagged as differential.
DIFFERENTIAL_ATTRITION_PP = 10.0
#: Significance level of the proportional-hazards and pre-trend tests.
TEST_ALPHA = 0.05


def fmt_probability(p: float) -> str:
    """A probability with two decimals that never rounds to a certainty: ``> 0.99``, ``< 0.01``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    if p > 0.99:
        return "> 0.99"
    if p < 0.01:
        return "< 0.01"
    return f"{p:.2f}"


def fmt_p(p: float) -> str:
    """``p = 0.12``, ``p < 0.01``, ``p > 0.99``."""
    text = fmt_probability(p)
    return f"p {text}" if text[0] in "<>" else f"p = {text}"


def fmt_interval(estimate: float, lower: float, upper: float, *, digits: int = 1, sign=True) -> str:
    """``+12.3 (5.1 to 19.0)``; ``–`` when the estimate is missing."""
    if estimate is None or not np.isfinite(estimate):
        return "–"
    spec = f"{'+' if sign else ''}.{digits}f"
    return f"{estimate:{spec}} ({lower:{spec}} to {upper:{spec}})"


@dataclass(frozen=True)
class Check:
    """One row of the checks table.

    ``affects`` are tags of the estimates a failure concerns: ``bayes``, ``gee``, ``did``,
    ``weighted`` (every propensity-weighted estimate), ``hazard_ratio``, ``effects`` (every
    programme effect), ``measure:<name>``. ``caveat`` is the short text repeated beside them.
    """

    key: str
    name: str
    status: str
    detail: str
    affects: tuple[str, ...] = ()
    caveat: str = ""
    short: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAIL


# --------------------------------------------------------------------------- checks
def _balance_checks(weighting: WeightingDigest | None, reason: str) -> list[Check]:
    if weighting is None:
        return [
            Check("balance", "Covariate balance after weighting", NOT_RUN, reason),
            Check("overlap", "Overlap / effective sample size of the weights", NOT_RUN, reason),
        ]
    n_terms = len(weighting.balance)
    if weighting.all_balanced:
        balance = Check(
            "balance",
            "Covariate balance after weighting",
            PASS,
            f"every one of {n_terms} covariate term(s) has |standardised difference| below "
            f"{weighting.threshold:g} after weighting (largest {weighting.max_abs_smd_after:.3f})",
        )
    else:
        shown = ", ".join(weighting.unbalanced[:6]) + (
            " ..." if len(weighting.unbalanced) > 6 else ""
        )
        balance = Check(
            "balance",
            "Covariate balance after weighting",
            FAIL,
            f"{len(weighting.unbalanced)} of {n_terms} covariate term(s) still differ between the "
            f"groups after weighting (|standardised difference| >= {weighting.threshold:g}): "
            f"{shown}",
            affects=("weighted",),
            caveat=f"covariate balance failed ({shown} still differ after weighting): the "
            "weighted estimates may still be confounded",
            short="balance failed",
        )
    ess = weighting.ess.loc["control"]
    ratio = weighting.comparison_ess_ratio
    detail = (
        f"the weighted comparison group counts as {ess['ess']:.0f} of its {int(ess['n'])} "
        f"members ({ratio:.0%}; Kish effective sample size; limit {weighting.ess_threshold:.0%})"
    )
    if ratio >= weighting.ess_threshold:
        overlap = Check("overlap", "Overlap / effective sample size of the weights", PASS, detail)
    else:
        overlap = Check(
            "overlap",
            "Overlap / effective sample size of the weights",
            FAIL,
            detail + ": a few people carry most of the weight (poor overlap)",
            affects=("weighted",),
            caveat=f"poor overlap: the weighted comparison group counts as only {ess['ess']:.0f} "
            f"of {int(ess['n'])} people, so the weighted estimates are imprecise and unstable",
            short="poor overlap",
        )
    return [balance, overlap]


def _convergence_check(bayes: BayesDigest | None, reason: str, quick: bool) -> Check:
    name = "Sampler convergence (Bayesian model)"
    if bayes is None:
        return Check("convergence", name, NOT_RUN, reason)
    detail = (
        f"max R-hat {bayes.max_r_hat:.3f} (limit {R_HAT_LIMIT}), min bulk ESS "
        f"{bayes.min_ess_bulk:.0f}, min tail ESS {bayes.min_ess_tail:.0f} (limit {ESS_LIMIT}), "
        f"{bayes.divergences} divergent transition(s); {bayes.chains} chains x {bayes.draws} draws"
    )
    if bayes.converged:
        return Check("convergence", name, PASS, detail)
    advice = "rerun without --quick" if quick else "rerun with more [bayes] draws and tune"
    return Check(
        "convergence",
        name,
        FAIL,
        detail + f"; {advice}",
        affects=("bayes",),
        caveat=f"sampler convergence failed (R-hat {bayes.max_r_hat:.2f}, ESS "
        f"{min(bayes.min_ess_bulk, bayes.min_ess_tail):.0f}): the Bayesian numbers are not "
        f"reliable; {advice}",
        short="sampler not converged",
    )


def _hazards_check(survival: SurvivalDigest | None, reason: str) -> Check:
    name = "Proportional hazards (Cox model)"
    if survival is None or survival.ph_p_value is None:
        return Check("proportional_hazards", name, NOT_RUN, reason or "no Cox model was fitted")
    p = survival.ph_p_value
    detail = f"test of a constant hazard ratio over follow-up: {fmt_p(p)}"
    if not p < TEST_ALPHA:
        return Check("proportional_hazards", name, PASS, detail)
    return Check(
        "proportional_hazards",
        name,
        FAIL,
        detail + f" (< {TEST_ALPHA}): the hazard ratio changes over follow-up",
        affects=("hazard_ratio",),
        caveat="proportional hazards rejected: one hazard ratio summarises the difference "
        "poorly; read the curves, the share reoffended and the RMST difference",
        short="hazards not proportional",
    )


def _pretrend_check(pretrend: PreTrendDigest | None, reason: str) -> Check:
    name = "Parallel pre-programme trends"
    if pretrend is None:
        status = NOT_APPLICABLE if reason.startswith("not estimable") else NOT_RUN
        return Check("pre_trends", name, status, reason)
    p = pretrend.test["p_value"].astype(float)
    bad = [str(k) for k, v in p.items() if v < TEST_ALPHA]
    waves = ", ".join(map(str, pretrend.pre_waves))
    if not bad:
        return Check(
            "pre_trends",
            name,
            PASS,
            f"no difference in trends before the baseline wave (waves {waves}; smallest "
            f"{fmt_p(float(p.min()))})",
        )
    return Check(
        "pre_trends",
        name,
        FAIL,
        f"the groups' trends already differed before the programme for {', '.join(bad)} "
        f"(p < {TEST_ALPHA}; waves {waves})",
        affects=("effects",),
        caveat="pre-programme trends differ between the groups: difference-in-differences "
        "effects may be biased",
        short="pre-trends differ",
    )


def _overlapping(a: pd.Series, b: pd.Series) -> bool:
    return not (a["upper"] < b["lower"] or b["upper"] < a["lower"])


def _agreement_check(estimates: dict[str, pd.DataFrame]) -> Check:
    name = "Agreement of the Bayesian, GEE and DiD estimates"
    methods = [m for m, frame in estimates.items() if frame is not None]
    if len(methods) < 2:
        return Check(
            "agreement",
            name,
            NOT_RUN,
            f"needs two methods; only {methods[0] if methods else 'none'} produced estimates",
        )
    disagree: list[str] = []
    for i, m1 in enumerate(methods):
        for m2 in methods[i + 1 :]:
            a, b = estimates[m1], estimates[m2]
            for label in a.index.intersection(b.index):
                if not _overlapping(a.loc[label], b.loc[label]):
                    disagree.append(f"{label} ({m1} vs {m2})")
    compared = " and ".join([", ".join(methods[:-1]), methods[-1]]) if len(methods) > 1 else ""
    if not disagree:
        return Check(
            "agreement",
            name,
            PASS,
            f"the intervals of {compared} overlap for every measure and overall",
        )
    labels = tuple(dict.fromkeys(d.split(" (")[0] for d in disagree))
    return Check(
        "agreement",
        name,
        FAIL,
        f"intervals do not overlap for {', '.join(disagree)}; the methods target slightly "
        "different quantities and handle dropout differently",
        affects=tuple(f"measure:{label}" for label in labels),
        caveat=f"the methods disagree for {', '.join(labels)} (intervals do not overlap)",
        short="methods disagree",
    )


def _attrition_check(attrition: pd.DataFrame | None) -> Check:
    name = "Differential dropout"
    if attrition is None or attrition.empty:
        return Check("attrition", name, NOT_RUN, "no attrition table")
    pct = attrition["pct_retained"]
    gap = float(pct.max() - pct.min())
    text = ", ".join(
        f"'{g}' {row['pct_retained']:.0f}% ({int(row['n_last'])} of {int(row['n_baseline'])})"
        for g, row in attrition.iterrows()
    )
    detail = f"share of baseline respondents answering at the last wave: {text}"
    if gap <= DIFFERENTIAL_ATTRITION_PP:
        return Check("attrition", name, PASS, detail + f"; gap {gap:.0f} pp")
    return Check(
        "attrition",
        name,
        FAIL,
        detail + f"; gap {gap:.0f} pp (> {DIFFERENTIAL_ATTRITION_PP:.0f} pp)",
        affects=("effects",),
        caveat=f"dropout differs between the groups by {gap:.0f} pp: see the sensitivity "
        "section before relying on the follow-up effects",
        short="differential dropout",
    )


def run_checks(
    *,
    weighting: WeightingDigest | None,
    weighting_reason: str,
    bayes: BayesDigest | None,
    bayes_reason: str,
    survival: SurvivalDigest | None,
    survival_reason: str,
    pretrend: PreTrendDigest | None,
    pretrend_reason: str,
    measure_effects: dict[str, pd.DataFrame],
    attrition: pd.DataFrame | None,
    failed_steps: Sequence = (),
    quick: bool = False,
) -> list[Check]:
    """Every check of the evaluation, in the order of the checks table.

    ``measure_effects`` maps a method ("Bayesian", "GEE", "DiD") to its measure and overall
    effects in pp (None where the method did not run). ``failed_steps`` are step records whose
    status is ``failed`` or ``bug``.
    """
    checks = [
        *_balance_checks(weighting, weighting_reason),
        _convergence_check(bayes, bayes_reason, quick),
        _hazards_check(survival, survival_reason),
        _pretrend_check(pretrend, pretrend_reason),
        _agreement_check(measure_effects),
        _attrition_check(attrition),
    ]
    for step in failed_steps:
        what = (
            "internal error (a bug in mirabal_stats)" if step.status == "bug" else "could not run"
        )
        checks.append(
            Check(
                f"step:{step.name}",
                f"{step.title}",
                FAIL,
                f"{what}: {step.reason}",
            )
        )
    return checks


# --------------------------------------------------------------------------- caveats
#: Tags of the numbers in each table or figure of the report (by name).
BLOCK_TAGS: dict[str, tuple[str, ...]] = {
    "key_effects": ("bayes", "gee", "did", "weighted", "effects"),
    "effects_measure_pp": ("bayes", "gee", "did", "weighted", "effects"),
    "effects_measure_or": ("bayes", "gee", "weighted", "effects"),
    "effects_indicator_pp": ("bayes", "gee", "did", "weighted", "effects"),
    "effects_indicator_or": ("bayes", "gee", "weighted", "effects"),
    "effects-measure-pp": ("bayes", "gee", "did", "weighted", "effects"),
    "effects-measure-or": ("bayes", "gee", "weighted", "effects"),
    "effects-indicator-pp": ("bayes", "gee", "did", "weighted", "effects"),
    "effects-indicator-or": ("bayes", "gee", "weighted", "effects"),
    "key_reoffending": ("hazard_ratio", "weighted"),
    "hazard_ratio_weighted": ("hazard_ratio", "weighted"),
    "hazard_ratio_crude": ("hazard_ratio",),
    "hazard_ratio": ("hazard_ratio",),
    "cumulative_incidence": ("weighted",),
    "rmst_difference": ("weighted",),
    "survival": ("weighted",),
    "survival-weighted": ("weighted",),
    "hazard_ratio_reported": ("weighted",),
    "cumulative_incidence_reported": ("weighted",),
    "survival_reported": ("weighted",),
    "sensitivity_bayes": ("bayes",),
    "sensitivity-bayes": ("bayes",),
    "sensitivity_bayes_tipping": ("bayes",),
}

#: Tags that only apply when the block's numbers are weighted (survival without weights).
_WEIGHTED_ONLY = {"cumulative_incidence", "rmst_difference", "survival"}


def _block_names(block) -> list[str]:
    if isinstance(block, (Table, Figure)):
        return [block.name]
    if isinstance(block, SideBySide):
        return [name for _, inner in block.columns for name in _block_names(inner)]
    return []


def caveats_for(names: Sequence[str], checks: Sequence[Check], *, labels=()) -> list[str]:
    """Caveat texts of the failed checks that affect blocks ``names`` (or rows ``labels``)."""
    tags = {t for name in names for t in BLOCK_TAGS.get(name, ())}
    tags |= {f"measure:{label}" for label in labels}
    found = []
    for check in checks:
        if check.failed and check.caveat and tags.intersection(check.affects):
            found.append(check.caveat)
    return list(dict.fromkeys(found))


def add_caveats(section: Section, checks: Sequence[Check], *, weighted_survival: bool) -> Section:
    """``section`` with a warning note before every table or figure that a failed check affects."""
    blocks: list = []
    for block in section.blocks:
        names = _block_names(block)
        if not weighted_survival:
            names = [n for n in names if n not in _WEIGHTED_ONLY]
        labels = ()
        if isinstance(block, Table) and block.name.startswith(("effects_measure", "key_effects")):
            labels = tuple(map(str, block.frame.index))
        texts = caveats_for(names, checks, labels=labels)
        if texts:
            blocks.append(Note("Check failed: " + " · ".join(texts) + ".", kind="warning"))
        blocks.append(block)
    return Section(section.key, section.title, tuple(blocks))


# --------------------------------------------------------------------------- key findings
def _effect_rows(
    bayes: BayesDigest | None,
    gee: FrequentistDigest | None,
    did: FrequentistDigest | None,
    checks: Sequence[Check],
    measures: Sequence,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Display table (text) and CSV table (numbers) of the overall and measure effects."""
    methods = {
        "Bayesian (main)": (bayes, "bayes"),
        "GEE": (gee, "gee"),
        "DiD": (did, "did"),
    }
    frames = {}
    for label, (digest, _) in methods.items():
        if digest is None:
            continue
        overall = digest.effects.get(("overall", "pp"))
        measure = digest.effects.get(("measure", "pp"))
        parts = [f for f in (overall, measure) if f is not None]
        if parts:
            frames[label] = pd.concat(parts)
    order = ["overall", *[m for m in measures if m != "overall"]]
    display_rows, csv_rows = [], []
    failed = {c.key: c for c in checks if c.failed}
    for row in order:
        shown = {"": "all indicators" if row == "overall" else str(row)}
        numbers = {"row": row}
        notes = []
        for label, (_, tag) in methods.items():
            frame = frames.get(label)
            if frame is None or row not in frame.index:
                if frame is not None:
                    shown[label] = "–"
                continue
            r = frame.loc[row]
            shown[label] = fmt_interval(r["estimate"], r["lower"], r["upper"])
            for stat in ("estimate", "lower", "upper"):
                numbers[f"{tag}_{stat}"] = float(r[stat])
            if tag == "bayes" and "prob_beneficial" in r:
                shown["P(improved)"] = fmt_probability(float(r["prob_beneficial"]))
                numbers["bayes_prob_beneficial"] = float(r["prob_beneficial"])
        weighted = (gee is not None and gee.weighted) or (did is not None and did.weighted)
        for check in failed.values():
            tags = set(check.affects)
            short = check.short or check.name
            if "effects" in tags or f"measure:{row}" in tags:
                notes.append(short)
            elif "bayes" in tags and "Bayesian (main)" in frames:
                notes.append(f"Bayesian: {short}")
            elif "weighted" in tags and weighted:
                notes.append(f"GEE and DiD: {short}")
        shown["check failed"] = "; ".join(dict.fromkeys(notes)) or "–"
        numbers["check_failed"] = "; ".join(dict.fromkeys(notes))
        display_rows.append(shown)
        csv_rows.append(numbers)
    display = pd.DataFrame(display_rows).set_index("")
    display.index.name = "measure"
    csv = pd.DataFrame(csv_rows).set_index("row")
    csv.index.name = "measure"
    return display, csv


def _confounding_table(
    *,
    bayes: BayesDigest | None,
    gee: FrequentistDigest | None,
    did: FrequentistDigest | None,
    weighting: WeightingDigest | None,
    survival_weighted: bool,
    has_survival: bool,
) -> pd.DataFrame:
    weights = (
        f"propensity-weighted ({weighting.estimand}, {weighting.method} model on "
        f"{', '.join(weighting.covariates)})"
        if weighting is not None
        else "not weighted (no propensity weights)"
    )
    rows = []
    if bayes is not None:
        adjusted = (
            f"adjusted for the covariates {', '.join(bayes.covariates)} inside the model; not "
            "weighted"
            if bayes.covariates
            else "no covariates; not weighted"
        )
        rows.append(
            (
                "Bayesian (main)",
                f"{adjusted}; stable differences between the groups cancel in the difference in "
                "differences",
                "uses every answer given; assumes dropout is missing at random given each "
                "person's other answers and covariates (MAR)",
            )
        )
    if gee is not None:
        rows.append(
            (
                "GEE",
                f"{weights if gee.weighted else 'not weighted'}; baseline differences cancel in "
                "the difference in differences",
                "each wave's respondents; no dropout weights, so it assumes dropout unrelated to "
                "the answers (MCAR given the weights)",
            )
        )
    if did is not None:
        rows.append(
            (
                "DiD (fixed effects)",
                f"{weights if did.weighted else 'not weighted'}; person fixed effects remove "
                "every stable difference between persons",
                "each person's answered waves; assumes dropout unrelated to changes in the answers",
            )
        )
    if has_survival:
        rows.append(
            (
                "Cox hazard ratio",
                (f"main estimate {weights}; the crude (unweighted) ratio is shown beside it")
                if survival_weighted
                else "crude (unweighted): not adjusted for baseline differences",
                "people without a reoffence are censored at the end of their follow-up, assumed "
                "unrelated to their risk",
            )
        )
    return pd.DataFrame(
        rows, columns=["estimate", "confounding", "dropout and censoring"]
    ).set_index("estimate")


def _reoffending_rows(
    crude: SurvivalDigest | None,
    weighted: SurvivalDigest | None,
    reported: SurvivalDigest | None,
    time_unit: str,
) -> tuple[pd.DataFrame | None, list[str]]:
    rows, notes = [], []
    main = weighted or crude
    if main is None and reported is None:
        return None, notes
    for label, digest in (("weighted Cox (main)", weighted), ("crude Cox", crude)):
        if digest is None or digest.hazard_ratio is None:
            continue
        hr = digest.hazard_ratio.iloc[0]
        rows.append(
            {
                "quantity": f"hazard ratio, {label}",
                "estimate": fmt_interval(
                    hr["estimate"], hr["lower"], hr["upper"], digits=2, sign=False
                ),
                "meaning": "below 1: lower rate of reoffending in the programme group",
            }
        )
    if (
        weighted is not None
        and crude is not None
        and crude.hazard_ratio is not None
        and weighted.hazard_ratio is not None
    ):
        hw, hc = (
            float(weighted.hazard_ratio["estimate"].iloc[0]),
            float(crude.hazard_ratio["estimate"].iloc[0]),
        )
        if (hw - 1) * (hc - 1) < 0 or abs(math.log(hw / hc)) > math.log(1.25):
            notes.append(
                f"Weighting moved the hazard ratio from {hc:.2f} (crude) to {hw:.2f} (weighted): "
                "the groups differed at baseline in ways related to reoffending, so the crude "
                "comparison is confounded; the weighted ratio adjusts for the covariates, as far "
                "as the balance check below allows."
            )
    if main is not None and main.rmst is not None and not main.rmst.empty:
        r = main.rmst.iloc[0]
        rows.append(
            {
                "quantity": f"RMST difference up to {main.tau:g} {time_unit}",
                "estimate": fmt_interval(r["estimate"], r["lower"], r["upper"], digits=2),
                "meaning": f"extra {time_unit} without reoffending in the programme group "
                f"({'weighted' if main.weighted else 'crude'})",
            }
        )
    if reported is not None and reported.hazard_ratio is not None:
        hr = reported.hazard_ratio.iloc[0]
        rows.append(
            {
                "quantity": "hazard ratio, partners' reports (Weibull)",
                "estimate": fmt_interval(
                    hr["estimate"], hr["lower"], hr["upper"], digits=2, sign=False
                ),
                "meaning": "interval-censored between surveys",
            }
        )
    if not rows:
        return None, notes
    return pd.DataFrame(rows).set_index("quantity"), notes


def key_findings_section(
    *,
    checks: Sequence[Check],
    bayes: BayesDigest | None,
    gee: FrequentistDigest | None,
    did: FrequentistDigest | None,
    weighting: WeightingDigest | None,
    crude: SurvivalDigest | None,
    weighted: SurvivalDigest | None,
    reported: SurvivalDigest | None,
    attrition: pd.DataFrame | None,
    measures: Sequence,
    treated: object,
    comparison: object,
    baseline_wave: object,
    ci_level: float,
    time_unit: str,
    quick_note: str | None = None,
    not_run: Sequence[str] = (),
    completion: CompletionDigest | None = None,
) -> Section:
    """The block at the top of the report: findings first, then every check, pass or fail."""
    blocks: list = []
    if quick_note:
        blocks.append(Note(quick_note, kind="warning"))
    failed = [c for c in checks if c.failed]
    if failed:
        blocks.append(
            Note(
                f"{len(failed)} check(s) failed: "
                + "; ".join(f"{c.name}" for c in failed)
                + ". Each is repeated beside the numbers it affects.",
                kind="warning",
            )
        )
    pct = f"{ci_level:.0%}"
    blocks.append(
        Paragraph(
            f"Programme effects are differences in differences: how much more the share of "
            f"answers pointing to improvement changed from the baseline wave ({baseline_wave}) "
            f"to the later waves in the programme group '{treated}' than in the comparison "
            f"group '{comparison}', in percentage points (pp), averaged over each measure's "
            f"indicators (first row: over every indicator). Positive = improvement; for harm "
            f"indicators that means fewer 'yes' answers. The Bayesian estimate is the effect "
            f"on the programme group (averaged over its members); intervals are {pct} "
            f"(Bayesian: credible; GEE and DiD: confidence). P(improved) is the posterior "
            f"probability that the effect is beneficial."
        )
    )
    if any(d is not None for d in (bayes, gee, did)):
        display, csv = _effect_rows(bayes, gee, did, checks, measures)
        blocks.append(
            Table(
                "key_effects",
                f"Effect by measure (pp, {pct} interval).",
                display,
                csv_frame=csv,
            )
        )
    else:
        blocks.append(Note("No programme effect could be estimated; see below.", kind="warning"))
    if completion is not None and ("overall", "cace") in completion.effects.index:
        cace = completion.effects.loc[("overall", "cace")]
        blocks.append(
            Paragraph(
                f"Programme completion, overall CACE: {cace['estimate']:+.1f} pp ({pct} interval "
                f"{cace['lower']:+.1f} to {cace['upper']:+.1f}), the effect among those who "
                "complete, under assumptions (see 'Programme completion'); the effects above are "
                "for everyone referred."
            )
        )
    reoffending, notes = _reoffending_rows(crude, weighted, reported, time_unit)
    if reoffending is not None:
        blocks.append(Table("key_reoffending", "Reoffending.", reoffending))
        blocks.extend(Paragraph(n) for n in notes)
    if attrition is not None and not attrition.empty:
        shown = attrition.rename(
            columns={
                "n_baseline": "answered at baseline",
                "n_last": "answered at the last wave",
                "pct_retained": "% retained",
            }
        )
        blocks.append(
            Table("key_attrition", "Attrition by group (persons answering).", shown, digits=0)
        )
    table = pd.DataFrame(
        [(c.name, c.status, c.detail) for c in checks], columns=["check", "result", "detail"]
    ).set_index("check")
    blocks.append(Table("checks", "Checks: pass, fail or not run.", table))
    blocks.append(
        Table(
            "confounding",
            "How each estimate handles confounding and dropout.",
            _confounding_table(
                bayes=bayes,
                gee=gee,
                did=did,
                weighting=weighting,
                survival_weighted=weighted is not None,
                has_survival=(crude or weighted) is not None,
            ),
        )
    )
    blocks.extend(Note(text, kind="omitted") for text in not_run)
    return Section("key-findings", "Key findings and checks", tuple(blocks))
