"""Fixed-effects difference-in-differences and event study on an IndicatorPanel.

Model (linear probability, one indicator ``k``)::

    y_ikt = a_ik + l_kt + tau_k * treated_i * post_t + e_ikt

with person effects ``a_ik``, wave effects ``l_kt`` and the intervention x post-baseline effect
``tau_k`` (Angrist & Pischke 2009, ch. 5). Standard errors are cluster-robust by person.

Stacking (levels ``"measure"`` and ``"overall"``): the indicators of a measure (or all indicators)
are fitted in one regression with *indicator-specific* person effects (entity = person x
indicator), indicator-specific wave effects (indicator x wave) and indicator-specific effects
``tau_k``, clustered by person. This is the fully interacted model, so each ``tau_k`` equals the
separate per-indicator estimate exactly, and the clustering by person gives the covariance between
indicators answered by the same woman. The measure (overall) effect is the equally weighted mean
of the indicator effects oriented so that positive is beneficial,
``mean_k(benefit_sign_k * tau_k)``, with its standard error from that joint covariance. A single
common ``tau`` on stacked data would weight indicators by their number of answers and mix
opposite-signed indicators; the mean of indicator effects is also what a hierarchical model's
measure-level mean estimates.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from mirabal_stats._results import check_ci_level, make_provenance, normal_table
from mirabal_stats.data.persons import plain_value
from mirabal_stats.exceptions import EstimabilityWarning, EstimationError
from mirabal_stats.frequentist._design import (
    analysis_frame,
    check_clusters,
    check_comparison_waves,
    contrast_rows,
    level_groups,
    named,
    resolve_level,
    warn_no_variation,
    within_person_varies,
)
from mirabal_stats.frequentist._panelols import fit_panel_ols
from mirabal_stats.frequentist.results import EventStudyEffects, PanelEffects

__all__ = ["did", "event_study"]


def did(
    panel: object,
    *,
    level: str = "indicator",
    weights: object = None,
    baseline_wave: object = None,
    ci_level: float = 0.95,
) -> PanelEffects:
    """Fixed-effects difference-in-differences of each indicator, measure or the whole panel.

    Linear probability model with person and wave fixed effects and the intervention x
    post-baseline term, fitted by (weighted) least squares with linearmodels ``PanelOLS``;
    standard errors cluster-robust by person with the small-sample factor
    ``G/(G-1) * (N-1)/(N-K)`` (absorbed effects, nested in the clusters, not counted).

    Parameters
    ----------
    panel : IndicatorPanel
        The survey panel.
    level : {"indicator", "measure", "overall"}
        One effect per indicator (raw scale: change in the probability of "yes"), per measure or
        overall (indicators stacked with indicator-specific effects; mean of the indicator
        effects oriented so that positive is beneficial).
    weights : Weights, fitted weighting result or Series, optional
        Anything :class:`~mirabal_stats.weighting.Weights` accepts: person weights (a Series
        indexed by person, e.g. propensity ATT weights, or the fitted ``PropensityWeights``
        result), person x wave weights (indexed by (person, wave), e.g. attrition weights) or a
        product ``w1 * w2``. Looked up by label at every answer and used as least-squares
        weights.
    baseline_wave : wave label, optional
        Last pre-programme wave (default: the first wave). Later waves are "post".
    ci_level : float, default 0.95

    Returns
    -------
    PanelEffects
        Effects in percentage points (scale ``"pp"``), one row per indicator/measure, with
        ``n_persons`` and ``n_obs``; indicator rows also carry ``measure`` and ``benefit_sign``.

    Warns
    -----
    FewClustersWarning
        Fewer than 30 persons in a fit.
    EstimabilityWarning
        An indicator with no within-person variation, or an effect the data do not identify
        (e.g. no intervention-group answers after baseline; no person of a group answering both
        before and after), or a standard error of zero: reported as NaN, named in the message,
        left out of measure and overall averages.
    DataWarning
        A wave with no comparison-group respondents.

    Raises
    ------
    EstimationError
        No effect at all can be estimated (the message says why and what the design needs).
    WeightingError
        A person or answer without a valid weight.

    References
    ----------
    Angrist, J.D. & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*, ch. 5. Princeton UP.
    doi:10.1515/9781400829828
    Cameron, A.C. & Miller, D.L. (2015). A practitioner's guide to cluster-robust inference.
    *J Human Resources* 50:317-372. doi:10.3368/jhr.50.2.317

    Examples
    --------
    >>> from mirabal_stats import frequentist
    >>> from mirabal_stats.datasets import simulate_mirabal
    >>> survey, truth = simulate_mirabal(random_seed=1)
    >>> result = frequentist.did(survey, level="overall")
    >>> list(result.to_frame().columns)[:5]
    ['estimate', 'std_error', 'lower', 'upper', 'ci_level']
    """
    return _fit(panel, level, weights, baseline_wave, ci_level, event=False)


def event_study(
    panel: object,
    *,
    level: str = "overall",
    weights: object = None,
    baseline_wave: object = None,
    ci_level: float = 0.95,
) -> EventStudyEffects:
    """Wave-specific intervention effects relative to the baseline wave (event-study DiD).

    Same model, weights and standard errors as :func:`did`, with ``treated x 1[wave = w]`` for
    every wave except ``baseline_wave`` in place of ``treated x post``. Effects at waves before
    the baseline wave are pre-trend placebo estimates: use
    :meth:`EventStudyEffects.pre_trend_test` (needs two or more pre-programme waves) and
    :meth:`EventStudyEffects.plot_event_study`.

    Parameters
    ----------
    panel, level, weights, baseline_wave, ci_level
        As in :func:`did`.

    Returns
    -------
    EventStudyEffects
        Rows indexed by (indicator/measure, wave) with a ``period`` column (``"pre"``,
        ``"baseline"`` (estimate 0 by construction), ``"post"``), in percentage points.

    References
    ----------
    Freyaldenhoven, S., Hansen, C., Pérez Pérez, J. & Shapiro, J.M. (2021). Visualization,
    identification, and estimation in the linear panel event-study design. NBER WP 29170.
    doi:10.3386/w29170

    Examples
    --------
    >>> from mirabal_stats import frequentist
    >>> from mirabal_stats.datasets import simulate_mirabal
    >>> survey, truth = simulate_mirabal(random_seed=1, indicators=["slapped_pushed", "negotiates"])
    >>> study = frequentist.event_study(survey, level="overall")
    >>> study.to_frame()["period"].iloc[0]
    'baseline'
    """
    return _fit(panel, level, weights, baseline_wave, ci_level, event=True)


def _fit(panel, level, weights, baseline_wave, ci_level, *, event: bool):
    level = resolve_level(level)
    ci_level = check_ci_level(ci_level)
    frame = analysis_frame(panel, baseline_wave=baseline_wave, weights=weights)
    check_comparison_waves(frame, stacklevel=4)
    check_clusters(frame["person"].nunique(), what="The panel", stacklevel=4)
    varies = within_person_varies(frame)
    dead = [k for k in panel.indicators if not varies.get(k, False)]
    warn_no_variation(dead, stacklevel=4)
    waves = frame.attrs["waves"]
    baseline_code = frame.attrs["baseline_code"]
    effect_waves = _effect_waves(frame, baseline_code) if event else [None]
    if event:
        _check_event_waves(frame, effect_waves, baseline_code)

    # Which indicator x wave effects the data identify (the fully interacted model separates
    # by indicator, so each indicator is checked on its own answers).
    identified, reasons = {}, {}
    by_indicator = {k: sub for k, sub in frame.groupby("indicator", sort=False)}
    for k in panel.indicators:
        if k in dead or k not in by_indicator:
            continue
        ok, why = _identified(by_indicator[k], effect_waves, baseline_code, waves)
        identified[k] = ok
        reasons.update({(k, w): text for w, text in why.items()})
    if reasons:
        shown = [
            f"{plain_value(k)!r}"
            + ("" if w is None else f" at wave {plain_value(waves[w])!r}")
            + f" ({text})"
            for (k, w), text in list(reasons.items())[:10]
        ]
        warnings.warn(
            f"{len(reasons)} effect(s) are not identified by these data and are reported as NaN "
            f"(left out of measure and overall averages): {'; '.join(shown)}"
            + (" ..." if len(reasons) > 10 else "")
            + ". Check panel.attrition_table() and panel.prevalence_table().",
            EstimabilityWarning,
            stacklevel=4,
        )

    rows_est, rows_se, rows_n, names, covs = [], [], [], [], []
    failed, zero_se = {}, []
    for name, members in level_groups(panel, level):
        sub = frame[frame["indicator"].isin(members)]
        n_persons, n_obs = sub["person_code"].nunique(), len(sub)
        keys = [(name, w) for w in effect_waves] if event else [name]
        columns = [(k, w) for k in members for w in effect_waves if w in identified.get(k, ())]
        est = np.full(len(keys), np.nan)
        cov = np.full((len(keys), len(keys)), np.nan)
        if columns:
            fit_frame = sub[sub["indicator"].isin({k for k, _ in columns})]
            try:
                fit = _stacked_fit(fit_frame, columns)
            except EstimationError as err:
                failed[name] = str(err)
                fit = None
            if fit is not None:
                # Measure / overall effects: the beneficial contrasts of the indicator effects
                # identified at each wave (the identity at indicator level).
                contrast = np.zeros((len(effect_waves), len(columns)))
                for i, w in enumerate(effect_waves):
                    usable = [k for k, v in columns if v == w]
                    if not usable:
                        continue
                    row = contrast_rows(panel, level, usable).loc[name]
                    for j, (k, v) in enumerate(columns):
                        if v == w:
                            contrast[i, j] = row[k]
                present = np.array([contrast[i].any() for i in range(len(effect_waves))])
                est = np.where(present, 100.0 * contrast @ fit.params.to_numpy(), np.nan)
                cov = 1e4 * contrast @ fit.cov.to_numpy() @ contrast.T
                cov[~present, :] = np.nan
                cov[:, ~present] = np.nan
                variances = np.diag(cov).copy()
                # A zero (or rounding-level) variance means the person and wave effects fit
                # the answers exactly: no residual variation is left to measure uncertainty.
                flat = present & ~(variances > _ZERO_VARIANCE)
                if flat.any():
                    zero_se += [keys[i] for i in np.flatnonzero(flat)]
                    cov[flat, :] = np.nan
                    cov[:, flat] = np.nan
        for i, key in enumerate(keys):
            names.append(key)
            rows_est.append(est[i])
            rows_se.append(np.sqrt(cov[i, i]) if np.isfinite(cov[i, i]) else np.nan)
            rows_n.append((n_persons, n_obs))
        covs.append(pd.DataFrame(cov, index=keys, columns=keys))
    if failed:
        warnings.warn(
            f"the least-squares fit failed for {named(list(failed))}; reported as NaN. "
            + " ".join(f"{plain_value(n)!r}: {text}" for n, text in list(failed.items())[:3]),
            EstimabilityWarning,
            stacklevel=4,
        )
    if zero_se:
        warnings.warn(
            f"{len(zero_se)} effect(s) have a standard error of zero, e.g. {named(zero_se, 3)}: "
            "the person and wave effects reproduce every answer, so no residual variation is "
            "left to measure uncertainty. Their standard error and interval are reported as NaN; "
            "the panel is too small for a cluster-robust interval.",
            EstimabilityWarning,
            stacklevel=4,
        )
    if not np.isfinite(rows_est).any():
        raise EstimationError(
            f"no {'event-study' if event else 'DiD'} effect can be estimated from this panel: "
            + _nothing_estimable(frame, dead, reasons, failed)
            + " A difference-in-differences needs, for at least one indicator, intervention- and "
            "comparison-group persons who answered both at or before the baseline wave and "
            "after it, and answers that change between waves."
        )

    index = (
        pd.MultiIndex.from_tuples(names, names=[level, "wave"])
        if event
        else pd.Index(names, name=level)
    )
    table = normal_table(rows_est, rows_se, index=index, ci_level=ci_level)
    table.index = index  # keep the (name, wave) MultiIndex (issue 14, family 11)
    table["n_persons"] = [n[0] for n in rows_n]
    table["n_obs"] = [n[1] for n in rows_n]
    cov_all = _block_diagonal(covs, index)
    if event:
        groups = level_groups(panel, level)
        table, cov_all = _add_baseline_rows(table, cov_all, groups, waves, baseline_code, level)
    if level == "indicator":
        labels = table.index.get_level_values(0)
        table["measure"] = panel.indicator_measures.reindex(labels).to_numpy()
        table["benefit_sign"] = panel.benefit_sign.reindex(labels).to_numpy()

    settings = {
        "level": level,
        "baseline_wave": waves[baseline_code],
        "weighted": weights is not None,
        "ci_level": ci_level,
        "std_error_type": "cluster-robust by person, G/(G-1)*(N-1)/(N-K)",
    }
    notes = []
    if dead:
        notes.append(f"Not estimable (no within-person variation): {named(dead)}.")
    if reasons:
        notes.append(f"Not identified: {named([k for k, _ in reasons])}.")
    cls = EventStudyEffects if event else PanelEffects
    return cls(
        method="event_study" if event else "did",
        level=level,
        scale="pp",
        tables={"pp": table},
        covariances={"pp": cov_all},
        provenance=make_provenance(
            data=frame[["person_code", "wave_code", "indicator", "response", "weight"]],
            settings=settings,
        ),
        settings=settings,
        notes=tuple(notes),
    )


#: Variances (pp^2) at or below this are rounding noise around zero.
_ZERO_VARIANCE = 1e-16


def _nothing_estimable(frame, dead, reasons, failed) -> str:
    parts = []
    if dead:
        parts.append(f"no indicator's answers change within person ({named(dead)})")
    texts = list(dict.fromkeys(reasons.values()))
    if texts:
        parts.append("; ".join(texts[:3]))
    if failed:
        parts.append(next(iter(failed.values())))
    return ("; ".join(parts) or "no indicator has usable answers") + "."


def _effect_waves(frame: pd.DataFrame, baseline_code: int) -> list:
    """Waves (codes) that get an event-study effect: all but the baseline, with comparison data."""
    waves = frame.attrs["waves"]
    comparison = set(frame.loc[frame["treated"] == 0, "wave_code"])
    treated = set(frame.loc[frame["treated"] == 1, "wave_code"])
    return [
        code
        for code in range(len(waves))
        if code != baseline_code and code in comparison and code in treated
    ]


def _check_event_waves(frame: pd.DataFrame, effect_waves: list, baseline_code: int) -> None:
    """Refuse an event study without any effect wave; name the waves that get none."""
    waves = frame.attrs["waves"]
    if not effect_waves:
        raise EstimationError(
            "no event-study effect can be estimated: apart from the baseline wave "
            f"{plain_value(waves[baseline_code])!r}, no wave has answers from both the "
            "intervention and the comparison group. An event study needs both groups at the "
            "baseline wave and at some other wave; check panel.attrition_table()."
        )
    treated = set(frame.loc[frame["treated"] == 1, "wave_code"])
    lacking = [
        f"{plain_value(waves[code])!r} (no "
        + ("intervention-group" if code not in treated else "comparison-group")
        + " answers)"
        for code in range(len(waves))
        if code != baseline_code and code not in effect_waves
    ]
    if lacking:
        warnings.warn(
            f"no event-study effect at wave(s) {', '.join(lacking)}: those rows are NaN. Check "
            "panel.attrition_table().",
            EstimabilityWarning,
            stacklevel=5,
        )


def _exposure(sub: pd.DataFrame, w) -> np.ndarray:
    """The effect column of one indicator: treated x post (DiD) or treated x 1[wave = w]."""
    treated = sub["treated"].to_numpy(dtype=float)
    if w is None:
        return treated * sub["post"].to_numpy(dtype=float)
    return treated * (sub["wave_code"].to_numpy() == w)


def _identified(sub: pd.DataFrame, effect_waves: list, baseline_code: int, waves: tuple):
    """Which effect columns of one indicator survive its person and wave effects.

    Frisch-Waugh-Lovell: demean the effect columns and the wave dummies within person, take out
    the wave dummies, and keep a column only if what is left of it is not (numerically) zero
    and not a combination of the columns kept before it. Returns the kept waves and, for each
    dropped one, the reason in the user's terms.
    """
    person = sub["person_code"].to_numpy()
    wave = sub["wave_code"].to_numpy()

    def within(matrix: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame(matrix)
        return matrix - frame.groupby(person).transform("mean").to_numpy()

    x = np.column_stack([_exposure(sub, w) for w in effect_waves])
    present = np.unique(wave)
    dummies = np.column_stack([(wave == w).astype(float) for w in present[1:]])
    xt = within(x)
    if dummies.shape[1]:
        dt = within(dummies)
        xt = xt - dt @ np.linalg.lstsq(dt, xt, rcond=None)[0]
    kept, dropped, basis = [], {}, np.zeros((len(sub), 0))
    for j, w in enumerate(effect_waves):
        column = xt[:, j]
        if basis.shape[1]:
            column = column - basis @ np.linalg.lstsq(basis, column, rcond=None)[0]
        scale = max(np.linalg.norm(x[:, j]), 1.0)
        if np.linalg.norm(column) > 1e-8 * scale:
            kept.append(w)
            basis = np.column_stack([basis, column])
        else:
            dropped[w] = _why_not_identified(sub, w, baseline_code)
    return kept, dropped


def _why_not_identified(sub: pd.DataFrame, w, baseline_code: int) -> str:
    treated = sub["treated"].to_numpy() == 1
    if w is None:
        after = sub["post"].to_numpy() == 1
        when = "after the baseline wave"
    else:
        after = sub["wave_code"].to_numpy() == w
        when = "at that wave"
    before = sub["wave_code"].to_numpy() <= baseline_code if w is None else ~after
    persons = sub["person_code"].to_numpy()
    if not (treated & after).any():
        return f"no intervention-group answers {when}"
    if not (~treated & after).any():
        return f"no comparison-group answers {when}"
    both = set(persons[treated & after]) & set(persons[treated & before])
    if not both:
        return f"no intervention-group person answered both {when} and at another wave"
    both = set(persons[~treated & after]) & set(persons[~treated & before])
    if not both:
        return f"no comparison-group person answered both {when} and at another wave"
    return "the effect is a combination of the person and wave effects"


def _stacked_fit(frame: pd.DataFrame, columns: list):
    """One PanelOLS fit with indicator-specific person effects, wave effects and effects."""
    indicator = frame["indicator"].to_numpy()
    data = {}
    for j, (k, w) in enumerate(columns):
        data[f"effect_{j + 1}"] = _exposure(frame, w) * (indicator == k)
    x = pd.DataFrame(data)
    indicators = list(dict.fromkeys(k for k, _ in columns))
    person_codes = pd.factorize(frame["person_code"])[0]
    indicator_codes = pd.Index(indicators).get_indexer(frame["indicator"])
    n_waves = int(frame["wave_code"].max()) + 1
    entity = person_codes * len(indicators) + indicator_codes
    other = indicator_codes * n_waves + frame["wave_code"].to_numpy()
    weights = frame["weight"].to_numpy()
    return fit_panel_ols(
        frame["response"].to_numpy(),
        x,
        entity=entity,
        time=frame["wave_code"].to_numpy(),
        cluster=person_codes,
        weights=None if np.all(weights == 1.0) else weights,
        other_effect=other,
    )


def _block_diagonal(covs: list, index: pd.Index) -> pd.DataFrame:
    out = pd.DataFrame(0.0, index=index, columns=index)
    for block in covs:
        keys = list(block.index)
        positions = [index.get_loc(k) for k in keys]
        out.iloc[positions, positions] = block.to_numpy()
    return out


def _add_baseline_rows(table, cov, groups, waves, baseline_code, level_name):
    """Insert the baseline wave (effect 0 by construction) and label pre/post periods."""
    rows = []
    for name, _ in groups:
        for code, wave in enumerate(waves):
            key = (name, code)
            if key in table.index:
                row = table.loc[[key]].iloc[0].copy()
            else:
                row = pd.Series({c: np.nan for c in table.columns})
                row["ci_level"] = table["ci_level"].iloc[0]
                if code == baseline_code:
                    row[["estimate", "std_error", "lower", "upper"]] = 0.0
                same = table.index.get_level_values(0) == name
                if same.any():
                    row["n_persons"] = table.loc[same, "n_persons"].iloc[0]
                    row["n_obs"] = table.loc[same, "n_obs"].iloc[0]
            row["period"] = (
                "baseline" if code == baseline_code else ("pre" if code < baseline_code else "post")
            )
            rows.append(((name, wave), row, key))
    new_index = pd.MultiIndex.from_tuples([r[0] for r in rows], names=[level_name, "wave"])
    new = pd.DataFrame([r[1] for r in rows])
    new.index = new_index
    new_cov = pd.DataFrame(0.0, index=new_index, columns=new_index)
    present = [(r[0], r[2]) for r in rows if r[2] in cov.index]
    if present:
        new_keys = [p[0] for p in present]
        old_keys = [p[1] for p in present]
        new_cov.loc[new_keys, new_keys] = cov.loc[old_keys, old_keys].to_numpy()
    return new, new_cov
