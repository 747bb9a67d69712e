"""The key-findings block, the pass/fail checks and the caveats beside affected numbers.

Built from hand-made digests, so every branch is fast and exact; the end-to-end run with a
sampler that really fails its checks is the ``mcmc`` test at the end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.reporting.digests import (
    BayesDigest,
    FrequentistDigest,
    PreTrendDigest,
    SurvivalDigest,
    WeightingDigest,
)
from mirabal_stats.reporting.document import Note, Table
from mirabal_stats.reporting.findings import (
    FAIL,
    PASS,
    add_caveats,
    fmt_interval,
    fmt_probability,
    key_findings_section,
    run_checks,
)
from mirabal_stats.reporting.sections.effects import effects_section
from mirabal_stats.reporting.sections.survival import survival_section

MEASURES = ["communication", "safety"]
INDICATORS = {"negotiates": "communication", "slapped": "safety", "injured": "safety"}
SIGN = pd.Series({"negotiates": 1, "slapped": -1, "injured": -1})


def _effects(shift: float = 0.0, *, prob: bool = True) -> dict:
    def frame(labels, name, est):
        table = pd.DataFrame(
            {
                "estimate": est,
                "lower": np.asarray(est) - 5,
                "upper": np.asarray(est) + 5,
                "ci_level": 0.95,
            },
            index=pd.Index(labels, name=name),
        )
        if prob:
            table["prob_beneficial"] = 0.999
            table["median"] = table["estimate"]
        return table

    pp = {
        ("overall", "pp"): frame(["overall"], "level", [10.0 + shift]),
        ("measure", "pp"): frame(MEASURES, "measure", [8.0 + shift, 12.0 + shift]),
        ("indicator", "pp"): frame(list(INDICATORS), "indicator", [8.0, -12.0, -11.0]),
    }
    ratio = {
        (level, "odds_ratio"): f.assign(estimate=1.5, lower=1.1, upper=2.0)
        for (level, _), f in pp.items()
    }
    return {**pp, **ratio}


def bayes_digest(*, converged: bool) -> BayesDigest:
    return BayesDigest(
        effects=_effects(),
        diagnostics=pd.DataFrame({"r_hat": [1.10 if not converged else 1.002]}),
        max_r_hat=1.10 if not converged else 1.002,
        min_ess_bulk=18.0 if not converged else 900.0,
        min_ess_tail=25.0 if not converged else 800.0,
        divergences=0,
        converged=converged,
        covariates=("age",),
        draws=20,
        tune=20,
        chains=2,
    )


def weighting_digest(*, balanced: bool = True, ess_ratio: float = 0.8) -> WeightingDigest:
    return WeightingDigest(
        estimand="ATT",
        method="logistic",
        covariates=("age",),
        balance=pd.DataFrame({"diff_adj": [0.02 if balanced else 0.3]}, index=["age"]),
        threshold=0.1,
        unbalanced=() if balanced else ("age",),
        ess=pd.DataFrame(
            {"n": [30, 24], "ess": [30.0, 24 * ess_ratio], "ess_ratio": [1.0, ess_ratio]},
            index=pd.Index(["treated", "control"], name="group"),
        ),
        ess_threshold=0.2,
        comparison_weight_range=(0.2, 3.0),
        person_weights=pd.Series([1.0]),
    )


def survival_digest(*, ph_p: float = 0.4, weighted: bool = False) -> SurvivalDigest:
    hr = pd.DataFrame(
        {
            "estimate": [0.69],
            "lower": [0.5],
            "upper": [0.95],
            "ci_level": [0.95],
            "p_value": [0.02],
        },
        index=["hazard ratio (Cox)"],
    )
    return SurvivalDigest(
        kind="right",
        treated="programme",
        reference="comparison",
        weighted=weighted,
        ci_level=0.95,
        hazard_ratio=hr if weighted else hr.assign(estimate=1.145, lower=0.8, upper=1.6),
        hazard_model="Cox",
        n_events=40,
        n_persons=100,
        ph_p_value=ph_p,
        incidence=None,
        rmst=pd.DataFrame({"estimate": [1.2], "lower": [0.1], "upper": [2.3], "ci_level": [0.95]}),
        tau=12.0,
        horizons=(6.0, 12.0),
        dropped_horizons=(),
        max_follow_up=15.0,
    )


ATTRITION = pd.DataFrame(
    {"n_baseline": [30, 24], "n_last": [27, 20], "pct_retained": [90.0, 83.3]},
    index=pd.Index(["programme", "comparison"], name="group"),
)


def checks_for(**overrides):
    args = dict(
        weighting=weighting_digest(),
        weighting_reason="",
        bayes=bayes_digest(converged=True),
        bayes_reason="",
        survival=survival_digest(),
        survival_reason="",
        pretrend=None,
        pretrend_reason="not estimable: only one wave before the programme",
        measure_effects={"Bayesian": _measure(_effects()), "DiD": _measure(_effects(shift=1.0))},
        attrition=ATTRITION,
    )
    args.update(overrides)
    return {c.key: c for c in run_checks(**args)}


def _measure(effects):
    return pd.concat([effects[("overall", "pp")], effects[("measure", "pp")]])


# --------------------------------------------------------------------------- formatting
@pytest.mark.parametrize(
    ("p", "text"),
    [(0.9996, "> 0.99"), (0.995, "> 0.99"), (0.99, "0.99"), (0.004, "< 0.01"), (0.5, "0.50")],
)
def test_probabilities_never_round_to_certainty(p, text):
    assert fmt_probability(p) == text


def test_interval_format():
    assert fmt_interval(12.34, 5.1, 19.0) == "+12.3 (+5.1 to +19.0)"
    assert fmt_interval(0.69, 0.5, 0.95, digits=2, sign=False) == "0.69 (0.50 to 0.95)"
    assert fmt_interval(float("nan"), 0, 1) == "–"


# --------------------------------------------------------------------------- checks
def test_all_checks_pass():
    checks = checks_for()
    assert {k: c.status for k, c in checks.items()} == {
        "balance": PASS,
        "overlap": PASS,
        "convergence": PASS,
        "proportional_hazards": PASS,
        "pre_trends": "not applicable",
        "agreement": PASS,
        "attrition": PASS,
    }


def test_each_failure_names_what_it_affects():
    checks = checks_for(
        weighting=weighting_digest(balanced=False, ess_ratio=0.1),
        bayes=bayes_digest(converged=False),
        survival=survival_digest(ph_p=0.001),
        pretrend=PreTrendDigest(
            test=pd.DataFrame(
                {"statistic": [9.0], "df": [1], "p_value": [0.003]}, index=["safety"]
            ),
            pre_waves=("-3m",),
        ),
        measure_effects={"Bayesian": _measure(_effects()), "GEE": _measure(_effects(shift=20.0))},
        attrition=ATTRITION.assign(pct_retained=[90.0, 60.0]),
    )
    assert all(c.status == FAIL for c in checks.values())
    assert checks["balance"].affects == ("weighted",)
    assert "age" in checks["balance"].detail
    assert checks["overlap"].affects == ("weighted",)
    assert "counts as 2 of its 24 members (10%" in checks["overlap"].detail
    assert checks["convergence"].affects == ("bayes",)
    assert "max R-hat 1.100" in checks["convergence"].detail
    assert checks["proportional_hazards"].affects == ("hazard_ratio",)
    assert "follow-up: p < 0.01 (< 0.05)" in checks["proportional_hazards"].detail
    assert checks["pre_trends"].affects == ("effects",)
    assert checks["agreement"].affects == (
        "measure:overall",
        "measure:communication",
        "measure:safety",
    )
    assert "gap 30 pp" in checks["attrition"].detail


def test_failed_steps_become_rows():
    class Step:
        name, title, status, reason = (
            "survival",
            "Comparing time to reoffending",
            "failed",
            "no events",
        )

    rows = run_checks(
        weighting=None,
        weighting_reason="switched off",
        bayes=None,
        bayes_reason="could not run: x",
        survival=None,
        survival_reason="could not run: no events",
        pretrend=None,
        pretrend_reason="switched off",
        measure_effects={"Bayesian": None},
        attrition=ATTRITION,
        failed_steps=[Step()],
    )
    last = rows[-1]
    assert (last.key, last.status) == ("step:survival", FAIL)
    assert last.detail == "could not run: no events"
    assert [r.status for r in rows[:3]] == ["not run", "not run", "not run"]


# --------------------------------------------------------------------------- caveats
def test_convergence_failure_in_key_findings_and_beside_the_effects():
    bayes = bayes_digest(converged=False)
    did = FrequentistDigest("DiD", _effects(prob=False), weighted=True)
    checks = list(
        checks_for(bayes=bayes, measure_effects={"Bayesian": _measure(bayes.effects)}).values()
    )
    key = key_findings_section(
        checks=checks,
        bayes=bayes,
        gee=None,
        did=did,
        weighting=weighting_digest(),
        crude=survival_digest(),
        weighted=survival_digest(weighted=True),
        reported=None,
        attrition=ATTRITION,
        measures=MEASURES,
        treated="programme",
        comparison="comparison",
        baseline_wave="baseline",
        ci_level=0.95,
        time_unit="months",
    )
    key = add_caveats(key, checks, weighted_survival=True)
    blocks = list(key.blocks)
    summary = blocks[0]
    assert isinstance(summary, Note) and summary.kind == "warning"
    assert "Sampler convergence (Bayesian model)" in summary.text
    table_at = next(
        i for i, b in enumerate(blocks) if isinstance(b, Table) and b.name == "key_effects"
    )
    before = blocks[table_at - 1]
    assert isinstance(before, Note) and before.kind == "warning"
    assert "sampler convergence failed (R-hat 1.10, ESS 18)" in before.text
    effects = blocks[table_at].frame
    assert effects.loc["safety", "check failed"] == "Bayesian: sampler not converged"
    assert effects.loc["safety", "Bayesian (main)"] == "+12.0 (+7.0 to +17.0)"
    assert effects.loc["safety", "P(improved)"] == "> 0.99"
    checks_table = next(b for b in blocks if isinstance(b, Table) and b.name == "checks").frame
    assert checks_table.loc["Sampler convergence (Bayesian model)", "result"] == FAIL
    reoffending = next(b for b in blocks if isinstance(b, Table) and b.name == "key_reoffending")
    assert reoffending.frame.iloc[0]["estimate"] == "0.69 (0.50 to 0.95)"
    assert any(
        "Weighting moved the hazard ratio from 1.15 (crude) to 0.69 (weighted)"
        in getattr(b, "text", "")
        for b in blocks
    )
    confounding = next(b for b in blocks if isinstance(b, Table) and b.name == "confounding").frame
    assert (
        "adjusted for the covariates age inside the model; not weighted"
        in confounding.loc["Bayesian (main)", "confounding"]
    )
    assert confounding.loc["DiD (fixed effects)", "confounding"].startswith("propensity-weighted")

    section = effects_section(bayes=bayes, did=did, benefit_sign=SIGN, ci_level=0.95)
    section = add_caveats(section, checks, weighted_survival=True)
    names = [getattr(b, "name", None) for b in section.blocks]
    for table in ("effects_measure_pp", "effects_measure_or", "effects_indicator_pp"):
        i = names.index(table)
        note = section.blocks[i - 1]
        assert isinstance(note, Note) and "sampler convergence failed" in note.text, table


def test_no_caveat_without_a_failed_check():
    checks = list(checks_for().values())
    section = effects_section(bayes=bayes_digest(converged=True), benefit_sign=SIGN, ci_level=0.95)
    assert add_caveats(section, checks, weighted_survival=False) == section


def test_proportional_hazards_caveat_beside_the_hazard_ratios():
    checks = list(checks_for(survival=survival_digest(ph_p=0.01)).values())
    section = survival_section(
        survival_digest(), survival_digest(weighted=True), time_unit="months"
    )
    section = add_caveats(section, checks, weighted_survival=True)
    texts = [(type(b).__name__, getattr(b, "text", "")) for b in section.blocks]
    side = next(i for i, b in enumerate(section.blocks) if type(b).__name__ == "SideBySide")
    assert texts[side - 1][0] == "Note" and "proportional hazards rejected" in texts[side - 1][1]


def test_balance_caveat_only_beside_weighted_numbers():
    checks = list(checks_for(weighting=weighting_digest(balanced=False)).values())
    crude_only = survival_section(survival_digest(), None, time_unit="months")
    assert add_caveats(crude_only, checks, weighted_survival=False) == crude_only
    weighted = survival_section(
        survival_digest(), survival_digest(weighted=True), time_unit="months"
    )
    annotated = add_caveats(weighted, checks, weighted_survival=True)
    assert (
        sum(isinstance(b, Note) and "covariate balance failed" in b.text for b in annotated.blocks)
        >= 2
    )
