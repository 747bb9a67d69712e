"""Results of an :class:`~mirabal_stats.bayes.IndicatorModel` fit: effects, prevalences, checks.

Orientation conventions (also in docs/bayes.md):

- ``effects(level="indicator")``: effect on the log-odds (or percentage points) of answering
  "yes", as the data are coded, with ``benefit_sign`` beside it; ``prob_beneficial`` is the
  posterior probability that the effect goes in the beneficial direction.
- ``effects(level="measure" | "overall")``: the mean over the measure's (all) indicators of the
  *beneficial* effects ``benefit_sign * effect`` (positive = the programme helps), so that
  indicators where a fall is good and those where a rise is good can be averaged; computed as
  ``draws @ C.T`` with ``C`` from :func:`~mirabal_stats.data.beneficial.beneficial_contrasts`.

Every interval is an equal-tailed posterior interval at ``ci_level`` (default 0.95).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirabal_stats._results import (
    DEFAULT_CI_LEVEL,
    Summary,
    axes_or_new,
    check_ci_level,
    group_colour,
)
from mirabal_stats.bayes.posterior_summaries import (
    att_pp_draws,
    delta_adjusted_att,
    person_probabilities,
    replicate_prevalence,
    thin_indices,
)
from mirabal_stats.bayes.results import BayesResults, draws_table, stack_draws
from mirabal_stats.bayes.sampling import Posterior, whole_number
from mirabal_stats.exceptions import SpecificationError

__all__ = ["IndicatorResults"]

_LEVELS = ("indicator", "measure", "overall")
_SCALES = ("log_odds", "pp")


class IndicatorResults(BayesResults):
    """Posterior of an :class:`~mirabal_stats.bayes.IndicatorModel`.

    Costly summaries on the percentage-point scale use at most ``max_draws`` evenly spaced
    posterior draws (default 400): enough for a Monte-Carlo error well below the posterior SD.
    """

    max_draws = 400

    def __init__(self, *, posterior: Posterior, model) -> None:
        super().__init__(posterior=posterior)
        self._model = model
        self._pp_cache = None
        self._pp_wave_cache = None

    @property
    def model(self):
        """The :class:`IndicatorModel` that was fitted."""
        return self._model

    # ------------------------------------------------------------------ draws
    def _draws(self, name: str) -> np.ndarray:
        return stack_draws(self.idata, name)

    def _thinned(self):
        idx = thin_indices(self.n_draws, self.max_draws)
        effect = self._draws(self._model.programme_effect_name)[idx]
        return self._draws("cell_logit")[idx], self._draws("person_offset")[idx], effect

    def _response_draws(self):
        """Draws of the person-specific programme response (shared model), thinned; else None."""
        if "programme_response" not in self.idata.posterior:
            return None
        return self._draws("programme_response")[thin_indices(self.n_draws, self.max_draws)]

    def _pp_draws(self) -> np.ndarray:
        if self._pp_cache is None:
            F, off, effect = self._thinned()
            self._pp_cache = att_pp_draws(
                F, off, effect, self._model.design, response=self._response_draws()
            )
        return self._pp_cache

    def _pp_wave_draws(self) -> np.ndarray:
        if self._pp_wave_cache is None:
            F, off, effect = self._thinned()
            self._pp_wave_cache = att_pp_draws(
                F, off, effect, self._model.design, response=self._response_draws(), by_wave=True
            )
        return self._pp_wave_cache

    def _parameter_draws(self):
        arr = self._model.design.arrays
        blocks, labels, keys = [], [], []

        def add(name, label_fn, index=None):
            values = self._draws(name)
            if values.ndim == 1:
                blocks.append(values[:, None])
                labels.append(label_fn(None))
                keys.append(name)
            else:
                for j, lab in enumerate(index):
                    blocks.append(values[:, j][:, None])
                    labels.append(label_fn(lab))
                    keys.append(f"{name}[{lab}]")

        add("effect_overall_mean", lambda _: "effect_overall_mean")
        add("effect_measure_mean", lambda m: f"effect_measure_mean[{m}]", arr.measures)
        if "effect_measure_sd" in self.idata.posterior:
            add("effect_measure_sd", lambda _: "effect_measure_sd")
        add("effect_sd", lambda _: "effect_sd")
        add("effect", lambda k: f"effect[{k}]", arr.indicators)
        add("person_sd", lambda _: "person_sd")
        add("wave_sd", lambda _: "wave_sd")
        names = self._model.design.covariate_names
        if names:
            add("covariate_severity", lambda c: f"covariate_severity[{c}]", names)
            add("covariate_change", lambda c: f"covariate_change[{c}]", names)
        if self._model.attrition == "shared":
            add("selection", lambda _: "selection")
            add("selection_response", lambda _: "selection_response")
            add("programme_response_sd", lambda _: "programme_response_sd")
            add("response_group", lambda _: "response_group")
        if self._model.effect_by_wave:
            add("effect_wave_sd", lambda _: "effect_wave_sd")
        return np.hstack(blocks), labels, keys

    # ------------------------------------------------------------------ effects
    def effects(
        self,
        *,
        level: str = "indicator",
        scale: str = "log_odds",
        ci_level: float = DEFAULT_CI_LEVEL,
    ) -> pd.DataFrame:
        """Programme effects per indicator, per measure or overall.

        Parameters
        ----------
        level : {"indicator", "measure", "overall"}
            Indicator rows are on the "yes" scale; measure and overall rows average the
            beneficial effects of their indicators (positive = improvement).
        scale : {"log_odds", "pp"}
            ``"log_odds"``: the difference-in-differences coefficient ``d_k`` (conditional on
            the person). ``"pp"``: effect on the treated in percentage points, averaging the
            change in P(yes) over every intervention person's posterior person effect and the
            post-baseline waves (population-averaged; see
            :func:`~mirabal_stats.bayes.posterior_summaries.att_pp_draws`).
        ci_level : float, default 0.95
            Level of the equal-tailed posterior interval.

        Returns
        -------
        pandas.DataFrame
            ``estimate, std_error, lower, upper, ci_level, median, prob_beneficial`` plus
            ``measure``/``benefit_sign`` (indicator level), ``scale`` and ``orientation``.
        """
        self._check_effect_options(level, scale, ci_level)
        draws = self._draws("effect") if scale == "log_odds" else self._pp_draws()
        return self._summarise(draws, level, scale, ci_level)

    def effects_by_wave(
        self, *, level: str = "overall", scale: str = "pp", ci_level: float = DEFAULT_CI_LEVEL
    ) -> pd.DataFrame:
        """Programme effects at each post-baseline wave (how the effect builds up or fades).

        With ``IndicatorModel(effect_by_wave=True)`` the log-odds effect has its own value per
        post wave (a measure-level wave profile around the indicator's average effect). Without
        it the log-odds effect is the same at every post wave, but the percentage-point effect
        still differs between waves because the prevalence it acts on does.

        Parameters
        ----------
        level : {"indicator", "measure", "overall"}
        scale : {"log_odds", "pp"}, default "pp"
        ci_level : float, default 0.95

        Returns
        -------
        pandas.DataFrame
            The columns of :meth:`effects`, indexed by (indicator | measure | level, wave).

        Examples
        --------
        >>> result.effects_by_wave(level="measure", scale="pp")  # doctest: +SKIP
        """
        self._check_effect_options(level, scale, ci_level)
        design = self._model.design
        post_codes = np.flatnonzero(design.post_wave)
        if scale == "pp":
            draws = self._pp_wave_draws()
        elif self._model.effect_by_wave:
            draws = self._draws("effect_wave")
        else:
            draws = np.repeat(self._draws("effect")[:, :, None], len(post_codes), axis=2)
        tables = []
        for j, t in enumerate(post_codes):
            table = self._summarise(draws[:, :, j], level, scale, ci_level)
            table.insert(0, "wave", design.arrays.waves[t])
            tables.append(table.set_index("wave", append=True))
        units = tables[0].index.get_level_values(0)
        order = pd.MultiIndex.from_product(
            [units, [design.arrays.waves[t] for t in post_codes]], names=[units.name, "wave"]
        )
        return pd.concat(tables).reindex(order)

    @staticmethod
    def _check_effect_options(level, scale, ci_level) -> None:
        if level not in _LEVELS:
            raise SpecificationError(f"level must be one of {_LEVELS}, got {level!r}.")
        if scale not in _SCALES:
            raise SpecificationError(f"scale must be one of {_SCALES}, got {scale!r}.")
        check_ci_level(ci_level)

    def _summarise(
        self, draws: np.ndarray, level: str, scale: str, ci_level: float
    ) -> pd.DataFrame:
        """Summary table of indicator effect draws (draws, K) at the requested level."""
        arr = self._model.design.arrays
        if level == "indicator":
            table = draws_table(
                draws, index=pd.Index(arr.indicators, name="indicator"), ci_level=ci_level
            )
            # P(effect in the indicator's beneficial direction): fewer "yes" for a harm.
            table["prob_beneficial"] = (draws * arr.benefit_sign[None, :] > 0).mean(axis=0)
            table.insert(0, "measure", [arr.measures[m] for m in arr.indicator_measure])
            table["benefit_sign"] = arr.benefit_sign.astype(int)
            orientation = "yes"
        else:
            C = self._model.design.contrasts(level)
            table = draws_table(
                draws @ C.to_numpy().T,
                index=pd.Index(C.index, name="measure" if level == "measure" else "level"),
                ci_level=ci_level,
                prob_positive=True,
            )
            if level == "measure":
                table["n_indicators"] = (C.to_numpy() != 0).sum(axis=1)
            orientation = "beneficial"
        table["scale"] = scale
        table["orientation"] = orientation
        return table

    # ------------------------------------------------------------------ prevalence
    def prevalence(self, *, ci_level: float = DEFAULT_CI_LEVEL) -> pd.DataFrame:
        """Model-implied % "yes" per group x wave x indicator beside the observed % and its n.

        ``model_pct`` averages P(yes) over *all* persons of the group (including those who did
        not answer at that wave), each with their posterior person effect: the prevalence had
        everyone answered, under the model's missingness assumption. ``observed_pct`` is among
        those who answered. They differ where dropout is selective.
        """
        level = check_ci_level(ci_level)
        arr = self._model.design.arrays
        F, off, _ = self._thinned()
        probs = person_probabilities(F, off, self._model.design)  # (D, n, K, T)
        obs = self._model.panel.prevalence_table().set_index(["indicator", "group", "wave"])
        rows = []
        tail = (1 - level) / 2
        for gi, label in ((1, self._model.panel.treated), (0, self._model.panel.comparison)):
            persons = arr.person_group == gi
            pct = 100.0 * probs[:, persons].mean(axis=1)  # (D, K, T)
            mean = pct.mean(axis=0)
            lo, hi = np.quantile(pct, [tail, 1 - tail], axis=0)
            for k, ind in enumerate(arr.indicators):
                for t, wave in enumerate(arr.waves):
                    o = obs.loc[(ind, label, wave)]
                    rows.append(
                        {
                            "indicator": ind,
                            "measure": arr.measures[arr.indicator_measure[k]],
                            "group": label,
                            "wave": wave,
                            "model_pct": mean[k, t],
                            "lower": lo[k, t],
                            "upper": hi[k, t],
                            "ci_level": level,
                            "observed_pct": o["pct_yes"],
                            "n": int(o["n"]),
                        }
                    )
        return pd.DataFrame(rows)

    def ppc_prevalence(
        self, *, by: str = "group_wave", ci_level: float = DEFAULT_CI_LEVEL, random_seed: int = 0
    ) -> pd.DataFrame:
        """Posterior predictive check of the observed % "yes".

        Answers are replicated from the posterior at the observed cells; the replicated % "yes"
        is compared with the observed one, per group x wave (``by="group_wave"``, averaging the
        indicators' percentages) or per group x wave x indicator (``by="indicator"``).
        ``p_value`` is the posterior predictive P(replicated >= observed); values near 0 or 1
        flag misfit.
        """
        if by not in ("group_wave", "indicator"):
            raise SpecificationError(f"by must be 'group_wave' or 'indicator', got {by!r}.")
        level = check_ci_level(ci_level)
        random_seed = whole_number(
            "random_seed", random_seed, low=0, high=2**63 - 1, hint="Pass e.g. random_seed=0."
        )
        arr = self._model.design.arrays
        design = self._model.design
        F, off, _ = self._thinned()
        rng = np.random.default_rng(random_seed)
        rep = replicate_prevalence(F, off, design, rng)  # (D, 2, T, K)
        K, T = arr.n_indicators, arr.n_waves
        key = (arr.group.astype(np.int64) * T + arr.wave) * K + arr.indicator
        n = np.bincount(key, minlength=2 * T * K).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            observed = (
                100.0 * np.bincount(key, weights=arr.response, minlength=2 * T * K) / n
            ).reshape(2, T, K)
        tail = (1 - level) / 2
        labels = {0: self._model.panel.comparison, 1: self._model.panel.treated}
        rows = []
        for gi in (1, 0):
            for t, wave in enumerate(arr.waves):
                if by == "group_wave":
                    valid = np.isfinite(observed[gi, t])
                    if not valid.any():
                        continue
                    r = np.nanmean(rep[:, gi, t, valid], axis=1)
                    o = float(np.mean(observed[gi, t, valid]))
                    rows.append(self._ppc_row(labels[gi], wave, None, o, r, tail, level))
                else:
                    for k, ind in enumerate(arr.indicators):
                        if not np.isfinite(observed[gi, t, k]):
                            continue
                        rows.append(
                            self._ppc_row(
                                labels[gi],
                                wave,
                                ind,
                                observed[gi, t, k],
                                rep[:, gi, t, k],
                                tail,
                                level,
                            )
                        )
        table = pd.DataFrame(rows)
        if by == "group_wave":
            table = table.drop(columns="indicator")
        return table

    @staticmethod
    def _ppc_row(group, wave, indicator, observed, rep, tail, level):
        return {
            "group": group,
            "wave": wave,
            "indicator": indicator,
            "observed_pct": observed,
            "replicated_pct": float(rep.mean()),
            "lower": float(np.quantile(rep, tail)),
            "upper": float(np.quantile(rep, 1 - tail)),
            "ci_level": level,
            "p_value": float((rep >= observed).mean()),
        }

    # ------------------------------------------------------------------ sensitivity
    def delta_adjustment(
        self, *, deltas=None, level: str = "overall", ci_level: float = DEFAULT_CI_LEVEL
    ) -> pd.DataFrame:
        """Delta-adjustment (tipping-point) sensitivity analysis for MNAR dropout.

        Missing post-baseline answers of the intervention group are assumed worse than the
        model predicts by ``delta`` on the log-odds scale (harmful direction), observed answers
        are kept, and the beneficial effect on the treated (percentage points) is recomputed for
        every posterior draw. The *tipping point* is the smallest ``delta`` at which the lower
        end of the interval reaches zero (the effect is no longer clearly beneficial), by linear
        interpolation on the grid; ``inf`` if it is never reached.

        Parameters
        ----------
        deltas : array-like, optional
            Grid of shifts (default 0, 0.25, ..., 4).
        level : {"overall", "measure"}
        ci_level : float, default 0.95

        Returns
        -------
        pandas.DataFrame
            One row per delta (and measure): ``delta, estimate, std_error, lower, upper,
            ci_level, prob_beneficial``; ``frame.attrs["tipping_point"]`` maps each name to its
            tipping point.

        References
        ----------
        Carpenter, J. R., Roger, J. H. & Kenward, M. G. (2013). Analysis of longitudinal trials
        with protocol deviation: a framework for relevant, accessible assumptions, and inference
        via multiple imputation. *J Biopharm Stat* 23(6):1352-1371.
        doi:10.1080/10543406.2013.834911
        """
        if level not in ("overall", "measure"):
            raise SpecificationError(f"level must be 'overall' or 'measure', got {level!r}.")
        check_ci_level(ci_level)
        deltas = np.arange(0.0, 4.01, 0.25) if deltas is None else _shifts(deltas)
        deltas = np.sort(deltas)
        F, off, effect = self._thinned()
        adjusted = delta_adjusted_att(
            F, off, effect, self._model.design, deltas, response=self._response_draws()
        )  # (J, D, K), on the "yes" scale
        C = self._model.design.contrasts(level)
        beneficial = adjusted @ C.to_numpy().T  # (J, D, rows): means of beneficial effects
        frames, tipping = [], {}
        for j, name in enumerate(C.index):
            draws = beneficial[:, :, j].T  # (D, J)
            table = draws_table(
                draws, index=pd.Index(deltas, name="delta"), ci_level=ci_level, prob_positive=True
            )
            table.insert(0, "name", name)
            frames.append(table.reset_index())
            tipping[name] = _crossing(deltas, table["lower"].to_numpy())
        out = pd.concat(frames, ignore_index=True)
        out.attrs["tipping_point"] = tipping
        return out

    # ------------------------------------------------------------------ plots
    def plot_prevalence(self, *, indicators=None, ci_level: float = DEFAULT_CI_LEVEL, ax=None):
        """Model-implied % "yes" by wave per group (lines, bands) with the observed % (points).

        One panel per indicator (``indicators``; default: the first 6), three per row.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            The first panel. With several indicators the other panels are added to the figure
            of ``ax`` in the grid cell ``ax`` occupies (its subplot spec is split into the panel
            grid); without ``ax`` a new figure is made.

        Returns
        -------
        matplotlib.axes.Axes
            The first panel; ``ax.figure`` holds them all.
        """
        table = self.prevalence(ci_level=ci_level)
        arr = self._model.design.arrays
        chosen = list(indicators) if indicators is not None else list(arr.indicators[:6])
        unknown = [k for k in chosen if k not in arr.indicators]
        if not chosen or unknown:
            raise SpecificationError(
                f"indicators must name indicators of the model, got {unknown or chosen!r}; the "
                f"model has {list(arr.indicators)}."
            )
        ncol = min(3, len(chosen))
        nrow = int(np.ceil(len(chosen) / ncol))
        first = axes_or_new(ax, figsize=(4 * ncol, 3 * nrow))
        panels = [first]
        if len(chosen) > 1:
            spec = first.get_subplotspec()
            if spec is None:
                raise SpecificationError(
                    f"plot_prevalence draws {len(chosen)} panels and needs an ax that is part of "
                    "a subplot grid (e.g. from plt.subplots()), or ax=None, or one indicator."
                )
            grid = spec.subgridspec(nrow, ncol)
            first.set_subplotspec(grid[0, 0])
            for j in range(1, len(chosen)):
                panels.append(first.figure.add_subplot(grid[j // ncol, j % ncol], sharey=first))
        x = np.arange(arr.n_waves)
        for panel_ax, ind in zip(panels, chosen):
            for label, treated in (
                (self._model.panel.treated, True),
                (self._model.panel.comparison, False),
            ):
                colour = group_colour(treated)
                block = table[(table["indicator"] == ind) & (table["group"] == label)]
                panel_ax.plot(x, block["model_pct"], color=colour, label=f"{label} (model)")
                panel_ax.fill_between(x, block["lower"], block["upper"], color=colour, alpha=0.2)
                panel_ax.scatter(x, block["observed_pct"], color=colour, marker="o", s=15)
            panel_ax.set_title(str(ind), fontsize=9)
            panel_ax.set_xticks(x, [str(w) for w in arr.waves])
            panel_ax.set_ylim(0, 100)
        first.set_ylabel(f'% "yes" ({round(100 * check_ci_level(ci_level))}% interval)')
        first.legend(fontsize=7)
        return first

    def plot_effects(self, *, scale: str = "log_odds", ci_level: float = DEFAULT_CI_LEVEL, ax=None):
        """Forest plot of the beneficial indicator effects grouped by measure, with measure means.

        Returns the matplotlib Axes drawn on (``ax``, or a new figure's).
        """
        ind = self.effects(level="indicator", scale=scale, ci_level=ci_level)
        meas = self.effects(level="measure", scale=scale, ci_level=ci_level)
        rows, labels, styles = [], [], []
        for m in meas.index:
            rows.append(meas.loc[m, ["estimate", "lower", "upper"]].to_numpy(float))
            labels.append(f"{m} (measure mean)")
            styles.append("measure")
            block = ind[ind["measure"] == m]
            for k, r in block.iterrows():
                # Drawn in the beneficial direction, like the measure means (right = better).
                b = r["benefit_sign"]
                lo, hi = sorted((b * r["lower"], b * r["upper"]))
                rows.append(np.array([b * r["estimate"], lo, hi]))
                labels.append(f"  {k}")
                styles.append("indicator")
        rows = np.array(rows)
        ax = axes_or_new(ax, figsize=(7, 0.25 * len(rows) + 1))
        y = np.arange(len(rows))[::-1]
        for yi, r, st in zip(y, rows, styles):
            colour = "black" if st == "measure" else "C0"
            ax.plot([r[1], r[2]], [yi, yi], color=colour, lw=2 if st == "measure" else 1)
            ax.plot(
                r[0],
                yi,
                "D" if st == "measure" else "o",
                color=colour,
                ms=5 if st == "measure" else 3,
            )
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(y, labels, fontsize=7)
        unit = "log-odds" if scale == "log_odds" else "percentage points"
        ax.set_xlabel(
            f"beneficial effect ({unit}; {round(100 * ci_level)}% interval); right = improvement"
        )
        return ax

    # ------------------------------------------------------------------ summary
    def summary(self, *, ci_level: float = DEFAULT_CI_LEVEL) -> Summary:
        """The headline in words an evaluator could paste, then the measure table."""
        level = check_ci_level(ci_level)
        pct = round(100 * level)
        overall_pp = self.effects(level="overall", scale="pp", ci_level=level).iloc[0]
        overall_lo = self.effects(level="overall", scale="log_odds", ci_level=level).iloc[0]
        meas = self.effects(level="measure", scale="pp", ci_level=level)
        arr = self._model.design.arrays
        panel = self._model.panel
        headline = (
            f"Across {arr.n_indicators} indicators in {arr.n_measures} measures, the "
            f"{panel.treated} group improved by {overall_pp['estimate']:.1f} percentage points more "
            f"than the {panel.comparison} group on average ({pct}% credible interval "
            f"{overall_pp['lower']:.1f} to {overall_pp['upper']:.1f}; on the log-odds scale "
            f"{overall_lo['estimate']:.2f}, {overall_lo['lower']:.2f} to {overall_lo['upper']:.2f}). "
            f"The posterior probability that the programme effect is beneficial overall is "
            f"{overall_pp['prob_beneficial']:.2f}."
        )
        attrition = (
            "missing at random given the model"
            if self._model.attrition == "mar"
            else "a shared-parameter (MNAR) selection model"
        )
        covariates = (
            "; covariates " + ", ".join(self._model.covariates) if self._model.covariates else ""
        )
        weights = (
            "; weighted pseudo-likelihood (intervals not calibrated, docs/bayes.md 'Weights')"
            if self._model.answer_weights is not None
            else ""
        )
        model_line = (
            f"Model: Bayesian difference in differences with a person random intercept, "
            f"{arr.n_persons} persons, {arr.n_waves} waves, {arr.n_obs} answers; attrition "
            f"handled as {attrition}{covariates}{weights}."
        )
        lines = ["Beneficial change by measure (percentage points, positive = improvement):"]
        for m, r in meas.iterrows():
            lines.append(
                f"  {m}: {r['estimate']:+.1f} ({r['lower']:+.1f} to {r['upper']:+.1f}), "
                f"P(beneficial) = {r['prob_beneficial']:.2f}"
            )
        return Summary(
            "\n".join([headline, model_line, *lines, self._diagnostics_sentence()]),
            paragraphs=[headline, model_line, self._diagnostics_sentence()],
            tables=[("beneficial change by measure (pp)", meas)],
        )


def _shifts(deltas) -> np.ndarray:
    """The delta grid as floats: finite, non-negative numbers (text and NaN are refused)."""
    values = np.atleast_1d(np.asarray(deltas, dtype=object))
    numeric = values.ndim == 1 and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in values
    )
    grid = values.astype(float) if numeric else np.array([np.nan])
    if values.size == 0 or not numeric or not np.isfinite(grid).all() or (grid < 0).any():
        raise SpecificationError(
            f"deltas must be a non-empty list of finite, non-negative shifts on the log-odds "
            f"scale, e.g. [0, 0.5, 1, 2], got {deltas!r}."
        )
    return grid


def _crossing(x: np.ndarray, y: np.ndarray) -> float:
    """First x where y falls to <= 0, linearly interpolated; inf if never; x[0] if already."""
    if y[0] <= 0:
        return float(x[0])
    below = np.flatnonzero(y <= 0)
    if below.size == 0:
        return float("inf")
    j = below[0]
    return float(x[j - 1] + (x[j] - x[j - 1]) * y[j - 1] / (y[j - 1] - y[j]))
