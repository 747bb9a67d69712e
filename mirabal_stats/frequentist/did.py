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

import numpy as np
import pandas as pd

from mirabal_stats._results import check_ci_level, make_provenance, normal_table
from mirabal_stats.frequentist._design import (
    analysis_frame,
    check_clusters,
    check_comparison_waves,
    resolve_level,
    warn_no_variation,
    within_person_varies,
)
from mirabal_stats.frequentist._panelols import fit_panel_ols
from mirabal_stats.frequentist.results import EventStudyEffects, PanelEffects

__all__ = ["did", "event_study"]


def did(
    indicator_panel: object,
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
    indicator_panel : IndicatorPanel
        The survey panel.
    level : {"indicator", "measure", "overall"}
        One effect per indicator (raw scale: change in the probability of "yes"), per measure or
        overall (indicators stacked with indicator-specific effects; mean of the indicator
        effects oriented so that positive is beneficial).
    weights : Series, or list of Series, optional
        Person weights (index: person, e.g. propensity ATT weights) and/or person-wave weights
        (index: (person, wave), e.g. inverse-probability-of-response weights); a list is
        multiplied. Used as least-squares weights.
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
        An indicator with no within-person variation (reported as NaN, left out of averages).
    DataWarning
        A wave with no comparison-group respondents.

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
    return _fit(indicator_panel, level, weights, baseline_wave, ci_level, event=False)


def event_study(
    indicator_panel: object,
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
    indicator_panel, level, weights, baseline_wave, ci_level
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
    return _fit(indicator_panel, level, weights, baseline_wave, ci_level, event=True)


def _fit(panel, level, weights, baseline_wave, ci_level, *, event: bool):
    level = resolve_level(level)
    ci_level = check_ci_level(ci_level)
    frame = analysis_frame(panel, baseline_wave=baseline_wave, weights=weights)
    check_comparison_waves(frame, stacklevel=4)
    check_clusters(frame["person"].nunique(), what="The panel", stacklevel=4)
    varies = within_person_varies(frame)
    dead = [k for k in panel.indicators if not varies.get(k, False)]
    warn_no_variation(dead, stacklevel=4)
    indicators = [k for k in panel.indicators if k not in dead]
    measures = panel.indicator_measures
    waves = frame.attrs["waves"]
    baseline_code = frame.attrs["baseline_code"]
    effect_waves = _effect_waves(frame, baseline_code) if event else [None]

    if level == "indicator":
        groups = [(k, [k]) for k in panel.indicators]
    elif level == "measure":
        groups = [(m, [k for k in panel.indicators if measures[k] == m]) for m in panel.measures]
    else:
        groups = [("overall", list(panel.indicators))]

    rows_est, rows_se, rows_n, names, covs = [], [], [], [], []
    for name, members in groups:
        usable = [k for k in members if k in set(indicators)]
        sub = frame[frame["indicator"].isin(members)]
        n_persons, n_obs = sub["person"].nunique(), len(sub)
        keys = [(name, w) for w in effect_waves] if event else [name]
        if not usable:
            for key in keys:
                names.append(key)
                rows_est.append(np.nan)
                rows_se.append(np.nan)
                rows_n.append((n_persons, n_obs))
            covs.append(pd.DataFrame(np.nan, index=keys, columns=keys))
            continue
        fit_frame = sub[sub["indicator"].isin(usable)]
        fit, columns = _stacked_fit(fit_frame, usable, effect_waves)
        # Contrast: equal-weight mean of oriented indicator effects (identity for one indicator
        # at indicator level, where the raw scale is kept).
        if level == "indicator":
            signs = {k: 1.0 for k in usable}
        else:
            signs = dict(zip(usable, panel.benefit_sign[usable].astype(float)))
        contrast = np.zeros((len(effect_waves), len(columns)))
        for j, (k, w) in enumerate(columns):
            contrast[effect_waves.index(w), j] = signs[k] / len(usable)
        est = 100.0 * contrast @ fit.params.to_numpy()
        cov = 1e4 * contrast @ fit.cov.to_numpy() @ contrast.T
        for key, e, v in zip(keys, est, np.diag(cov)):
            names.append(key)
            rows_est.append(e)
            rows_se.append(np.sqrt(v))
            rows_n.append((n_persons, n_obs))
        covs.append(pd.DataFrame(cov, index=keys, columns=keys))

    index = (
        pd.MultiIndex.from_tuples(names, names=[level, "wave"])
        if event
        else pd.Index(names, name=level)
    )
    table = normal_table(rows_est, rows_se, index=index, ci_level=ci_level)
    table["n_persons"] = [n[0] for n in rows_n]
    table["n_obs"] = [n[1] for n in rows_n]
    cov_all = _block_diagonal(covs, index)
    if event:
        table, cov_all = _add_baseline_rows(table, cov_all, groups, waves, baseline_code, level)
    if level == "indicator":
        labels = table.index.get_level_values(0)
        table["measure"] = [measures[k] for k in labels]
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
        notes.append(f"Not estimable (no within-person variation): {', '.join(map(str, dead))}.")
    cls = EventStudyEffects if event else PanelEffects
    return cls(
        method="event_study" if event else "did",
        level=level,
        scale="pp",
        tables={"pp": table},
        covariances={"pp": cov_all},
        provenance=make_provenance(
            data=frame[["person", "wave", "indicator", "response", "weight"]], settings=settings
        ),
        settings=settings,
        notes=tuple(notes),
    )


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


def _stacked_fit(frame: pd.DataFrame, indicators: list, effect_waves: list):
    """One PanelOLS fit with indicator-specific person effects, wave effects and effects."""
    indicator = frame["indicator"].to_numpy()
    treated = frame["treated"].to_numpy(dtype=float)
    columns, data = [], {}
    for k in indicators:
        is_k = (indicator == k).astype(float)
        for w in effect_waves:
            if w is None:
                exposure = frame["post"].to_numpy(dtype=float)
            else:
                exposure = (frame["wave_code"].to_numpy() == w).astype(float)
            columns.append((k, w))
            data[f"effect_{len(columns)}"] = treated * exposure * is_k
    x = pd.DataFrame(data)
    person_codes = pd.factorize(frame["person"])[0]
    indicator_codes = pd.factorize(frame["indicator"])[0]
    n_waves = int(frame["wave_code"].max()) + 1
    entity = person_codes * len(indicators) + indicator_codes
    other = indicator_codes * n_waves + frame["wave_code"].to_numpy()
    weights = frame["weight"].to_numpy()
    fit = fit_panel_ols(
        frame["response"].to_numpy(),
        x,
        entity=entity,
        time=frame["wave_code"].to_numpy(),
        cluster=person_codes,
        weights=None if np.all(weights == 1.0) else weights,
        other_effect=other,
    )
    return fit, columns


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
