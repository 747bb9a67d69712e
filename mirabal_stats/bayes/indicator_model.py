"""The evaluation model for repeated binary indicators: difference in differences per indicator,
partially pooled by measure, with a person random intercept (latent severity) and attrition models.

Linear predictor of person i, indicator k, wave t (log-odds of "yes"):

    eta[i,k,t] = a_k + w[k,t] + c_k g_i + d_k g_i post_t                   (cell table F[k,t,g])
                 + s_k (u_i - post_t x_i' gamma)                            (person offset)

- ``a_k`` indicator intercept; ``w[k,t] = b_k (W[m(k),t] + tau_w e[k,t])`` wave effects, zero at the
  baseline wave, partially pooled towards the measure's wave effect (beneficial orientation);
- ``c_k`` group difference at baseline; ``d_k`` the difference-in-differences effect of the
  programme on the log-odds of "yes";
- ``b_k`` = benefit sign (+1 if more "yes" is good), ``s_k = -b_k``: the latent severity ``u_i``
  raises harmful answers and lowers positive ones;
- ``u_i ~ Normal(x_i' lambda, sigma)``: latent severity, regressed on the baseline covariates
  (centred parametrisation), constrained to sum to zero within each group;
- ``x_i' gamma``: covariate-specific beneficial change after baseline (conditional parallel trends).

Partial pooling of the beneficial effects ``delta_k = b_k d_k``:
``delta_k ~ Normal(mu_m(k), tau)`` (non-centred unless ``centred_effects=True``),
``mu_m ~ Normal(mu, tau_measure)`` (centred).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from mirabal_stats.bayes.indicator_design import answer_weights, build_design, check_covariates
from mirabal_stats.bayes.priors import centred_zero_sum_normal, make_prior, merge_priors, prior_text
from mirabal_stats.bayes.sampling import fit_posterior, whole_number
from mirabal_stats.exceptions import SpecificationError

if TYPE_CHECKING:
    from mirabal_stats.bayes.indicator_results import IndicatorResults

__all__ = ["IndicatorModel", "DEFAULT_INDICATOR_PRIORS"]

#: Default priors (log-odds scale), chosen for binary survey indicators whose prevalences lie
#: between about 1% and 99% and whose programme effects can be large (the published Mirabal
#: changes reach 80 percentage points, about 4 on the log-odds scale). See docs/bayes.md,
#: "Priors", for the prior predictive check.
DEFAULT_INDICATOR_PRIORS: dict[str, tuple] = {
    "intercept": ("normal", 0.0, 2.5),
    "wave": ("normal", 0.0, 1.0),
    "wave_sd": ("halfnormal", 0.5),
    "group": ("normal", 0.0, 1.5),
    "effect_overall": ("normal", 0.0, 2.0),
    "effect_measure_sd": ("halfnormal", 1.5),
    "effect_indicator_sd": ("halfnormal", 1.5),
    "person_sd": ("halfnormal", 2.0),
    "covariate": ("normal", 0.0, 1.0),
    "attrition": ("normal", 0.0, 2.5),
    "selection": ("normal", 0.0, 1.0),
    "programme_response_sd": ("halfnormal", 1.0),
    "effect_wave_sd": ("halfnormal", 0.5),
}
_SUPPORTS = {
    k: ("positive" if v[0] in ("halfnormal", "exponential", "halfstudent_t") else "real")
    for k, v in DEFAULT_INDICATOR_PRIORS.items()
}

_ATTRITION = ("mar", "shared")

# fit() defaults. target_accept 0.9: the measure-level scale (few measures) has a mild funnel
# that gave occasional divergences at the usual 0.8 in the recovery fits (docs/bayes.md). nutpie's
# low-rank modified mass matrix adapts to the correlation between the measure means and the
# effects they pool; on the bundled example (4 x 1000 draws) it raised the measure means' bulk
# ESS from 359-573 to 2018-3650 and brought every R-hat to <= 1.008 (docs/bayes.md,
# "Parametrisation").
_SAMPLER_DEFAULTS = {
    "nutpie": {"target_accept": 0.9, "low_rank_modified_mass_matrix": True},
    "pymc": {"target_accept": 0.9},
    "numpyro": {"target_accept": 0.9},
}


def _flag(name: str, value: Any, *, optional: bool = False) -> bool | None:
    """A True/False option (None allowed when ``optional``: chosen from the data)."""
    if value is None and optional:
        return None
    if not isinstance(value, (bool, np.bool_)):
        raise SpecificationError(
            f"{name} must be True or False{' (or None: chosen from the data)' if optional else ''}"
            f", got {value!r}."
        )
    return bool(value)


# Unique names for the covariate matrices' shared variables (nutpie keys shared data by name).
_data_counter = itertools.count()


class IndicatorModel:
    """Bayesian difference-in-differences model for a panel of binary indicators.

    Parameters
    ----------
    panel : IndicatorPanel
        Intervention and comparison persons answering binary indicators at several waves.
    baseline_wave : wave label, optional
        The last pre-programme wave (default: the first wave). Later waves are "post".
    covariates : list of str, optional
        Baseline covariates of the panel (person level), each listed once. Each enters twice: in the latent
        severity (level) and in the post-baseline change (so that the comparison group's change
        is adjusted for covariate differences: conditional parallel trends). Categorical
        covariates are dummy coded. This is the recommended way to adjust for confounding.
    weights : Weights, fitted weighting result or pandas.Series, optional
        Analysis weights, matched to the panel by person label (never by position) through
        :class:`~mirabal_stats.weighting.Weights`: person weights (propensity weights: the
        fitted :class:`~mirabal_stats.weighting.PropensityWeightsResults` or a Series indexed by
        person) and/or person x wave weights (attrition weights:
        :class:`~mirabal_stats.weighting.AttritionWeightsResults` or a Series indexed by
        (person, wave)); multiply several with ``w1 * w2`` (lists are refused). Normalisation:
        the person factor to mean 1 over the panel's persons, the person x wave factor to mean
        1 over the observed answers. The model then uses a *weighted pseudo-likelihood*: each
        answer's log-likelihood contribution is multiplied by its weight. This targets the
        weighted population, but the posterior is not a true posterior and its intervals are
        not calibrated in general (see docs/bayes.md, "Weights").
    attrition : {"mar", "shared"}, default "mar"
        ``"mar"``: observed-data likelihood, valid if dropout is missing at random given the
        model (group, wave, covariates and observed answers). ``"shared"``: a shared-parameter
        selection model. The answers get a person-specific programme response ``v_i`` (treated
        persons, beneficial log-odds added to every indicator's effect after baseline,
        ``v ~ Normal(0, programme_response_sd)`` summing to zero over the treated), and whether
        a person who answered wave t-1 answers wave t follows
        ``logit = r_t + r_g g_i + x_i' rho + lambda u_i + lambda_v v_i``, so dropout related to
        the latent severity or to how much the person's situation responds to the programme
        (MNAR) is modelled.
    priors : dict, optional
        Overrides of :data:`DEFAULT_INDICATOR_PRIORS` by role, each ``(family, *params)`` with
        finite numbers as parameters (:mod:`mirabal_stats.bayes.priors`).
    drop_invariant : bool, default False
        Indicators with no variation in the observed answers raise an error; with True they are
        dropped with a warning.
    effect_by_wave : bool, default False
        Let the programme effect differ between post-baseline waves:
        ``d[k,t] = b_k (delta_k + omega[m(k),t])`` with a measure-level wave profile ``omega``
        that sums to zero over the post-baseline waves (``omega ~ ZeroSumNormal(effect_wave_sd)``),
        so ``delta_k`` keeps its meaning (the effect averaged over the post waves) and the
        wave profile is shared by the indicators of a measure. Summaries per wave:
        :meth:`IndicatorResults.effects_by_wave`. Needs two or more post-baseline waves.
    pool_measures : bool, optional
        Pool the measure means towards an overall mean with an estimated between-measure SD
        (``mu_m ~ Normal(mu, effect_measure_sd)``). Default: only with three or more measures.
        With one or two, that SD is the spread of one or two numbers, which the data cannot
        inform and which makes a funnel the sampler cannot cross; the measure means then get
        independent ``effect_overall`` priors and ``effect_overall_mean`` is their average.
    centred_effects : bool, optional
        Sample the indicator effects ``delta_k`` directly (centred) instead of as
        ``mu_m + tau z_k`` (non-centred). Same model and posterior, different geometry. Default
        (None): chosen from the data before sampling
        (:func:`~mirabal_stats.bayes.parametrisation.effect_informativeness`): centred when
        each effect's crude standard error is under half the crude spread of the effects within
        measures (large samples: at 2,000 persons non-centred effects did not converge), else
        non-centred (the centred form diverged on small panels whose effects are similar).

    Notes
    -----
    Construction validates the panel and builds the PyMC model; nothing is sampled until
    :meth:`fit`. The severities ``u_i`` are sampled directly (centred parametrisation, with the
    covariate effects a regression on them) and sum to zero within each group, which removes
    the ridge between the intercepts, the group differences and the mean person effect
    (measured in ``docs/bayes.md``); the intercepts ``a_k`` and ``c_k`` then refer to a person
    of average severity in the group, while ``d_k`` keeps its meaning.

    References
    ----------
    Gelman, A. & Hill, J. (2007). *Data Analysis Using Regression and Multilevel/Hierarchical
    Models*. Cambridge University Press. doi:10.1017/CBO9780511790942

    Wu, M. C. & Carroll, R. J. (1988). Estimation and comparison of changes in the presence of
    informative right censoring by modeling the censoring process. *Biometrics* 44(1):175-188.
    doi:10.2307/2531905

    Little, R. J. A. (1995). Modeling the drop-out mechanism in repeated-measures studies.
    *JASA* 90(431):1112-1121. doi:10.1080/01621459.1995.10476615

    Examples
    --------
    >>> from mirabal_stats.datasets import simulate_mirabal
    >>> from mirabal_stats.bayes import IndicatorModel
    >>> panel, truth = simulate_mirabal(random_seed=1, indicators=["negotiates", "slapped_pushed"])
    >>> model = IndicatorModel(panel)
    >>> model.n_obs > 0
    True
    >>> result = model.fit(draws=500, tune=500, chains=2, random_seed=1)  # doctest: +SKIP
    >>> result.effects(level="indicator")  # doctest: +SKIP
    """

    def __init__(
        self,
        panel,
        *,
        baseline_wave=None,
        covariates: list[str] | None = None,
        weights=None,
        attrition: str = "mar",
        priors: Mapping[str, Any] | None = None,
        drop_invariant: bool = False,
        centred_effects: bool | None = None,
        effect_by_wave: bool = False,
        pool_measures: bool | None = None,
    ):
        from mirabal_stats.data.panel import IndicatorPanel

        if not isinstance(panel, IndicatorPanel):
            raise SpecificationError(
                f"IndicatorModel expects an IndicatorPanel, got {type(panel).__name__}. Build one "
                "from the survey table with IndicatorPanel.from_long(data, ...) or from_wide."
            )
        if not isinstance(attrition, str) or attrition not in _ATTRITION:
            raise SpecificationError(f"attrition must be 'mar' or 'shared', got {attrition!r}.")
        self.panel = panel
        self.attrition = attrition
        self.effect_by_wave = _flag("effect_by_wave", effect_by_wave)
        drop_invariant = _flag("drop_invariant", drop_invariant)
        centred_effects = _flag("centred_effects", centred_effects, optional=True)
        pool_measures = _flag("pool_measures", pool_measures, optional=True)
        self.covariates = check_covariates(covariates, panel.covariate_names)
        self.baseline_wave = baseline_wave
        self.priors = merge_priors(DEFAULT_INDICATOR_PRIORS, _SUPPORTS, priors)
        self.design = build_design(
            panel,
            baseline_wave=baseline_wave,
            covariates=self.covariates,
            drop_invariant=drop_invariant,
        )
        arr = self.design.arrays
        if centred_effects is None:
            from mirabal_stats.bayes.parametrisation import effect_informativeness

            self.effect_informativeness = effect_informativeness(self.design)
            centred_effects = self.effect_informativeness.centred
        else:
            self.effect_informativeness = None
        self.centred_effects = bool(centred_effects)
        self.pool_measures = arr.n_measures >= 3 if pool_measures is None else pool_measures
        self.answer_weights = None if weights is None else answer_weights(weights, arr)
        self._weight_sources = None
        if weights is not None:
            from mirabal_stats.weighting.analysis_weights import Weights

            self._weight_sources = Weights(weights).sources
        if self.effect_by_wave and int(self.design.post_wave.sum()) < 2:
            raise SpecificationError(
                "effect_by_wave=True needs at least two post-baseline waves; this panel has "
                f"{int(self.design.post_wave.sum())}. Use the default (one effect per indicator)."
            )
        if attrition == "shared" and self.design.response_y.size == 0:
            raise SpecificationError("attrition='shared' needs post-baseline waves to model.")
        self._compiled: dict = {}
        self.model = self._build()

    # ------------------------------------------------------------------ sizes
    @property
    def arrays(self):
        return self.design.arrays

    @property
    def programme_effect_name(self) -> str:
        """Name of the model variable holding the programme term of the answers: ``"effect"``
        (indicator) or, with ``effect_by_wave``, ``"effect_wave"`` (indicator x post wave)."""
        return "effect_wave" if self.effect_by_wave else "effect"

    @property
    def n_obs(self) -> int:
        return self.design.arrays.n_obs

    def _coords(self) -> dict:
        arr = self.design.arrays
        return {
            "indicator": list(arr.indicators),
            "measure": list(arr.measures),
            "wave": list(arr.waves),
            "other_wave": [arr.waves[t] for t in self.design.other_waves],
            "post_wave": [w for w, p in zip(arr.waves, self.design.post_wave) if p],
            "group": [self.panel.comparison, self.panel.treated],
            "person": list(arr.persons),
            "period": ["pre", "post"],
            "covariate": list(self.design.covariate_names),
        }

    # ------------------------------------------------------------------ model
    def _build(self):
        import pymc as pm
        import pytensor.tensor as pt

        from mirabal_stats.bayes.likelihood import logit_cells_loglik

        d = self.design
        arr = d.arrays
        K, T, n = arr.n_indicators, arr.n_waves, arr.n_persons
        pri = self.priors
        im = arr.indicator_measure
        benefit = arr.benefit_sign.astype(float)
        g = np.array([0.0, 1.0])
        post = d.post_wave.astype(float)
        with pm.Model(coords=self._coords()) as model:
            a = make_prior("intercept", pri["intercept"], dims="indicator")
            # Wave effects in the beneficial orientation, pooled within measure (non-centred:
            # each deviation is informed by one indicator at one wave only).
            wave_measure = make_prior("wave_measure", pri["wave"], dims=("measure", "other_wave"))
            wave_sd = make_prior("wave_sd", pri["wave_sd"])
            wave_raw = pm.Normal("wave_raw", 0.0, 1.0, dims=("indicator", "other_wave"))
            w_other = benefit[:, None] * (wave_measure[im] + wave_sd * wave_raw)
            w = pt.set_subtensor(pt.zeros((K, T))[:, d.other_waves], w_other)
            c = make_prior("group_diff", pri["group"], dims="indicator")
            # Beneficial effects delta_k ~ N(mu_m, tau), mu_m ~ N(mu, tau_measure). The measure level
            # is centred (non-centred, the overall mean mixed poorly: ESS ~50 per 1000 draws). The
            # indicator level is non-centred by default: on 13-indicator simulations (3 measures)
            # the centred form diverged (up to 176 divergences, R-hat 1.2 in 2 x 500 draws), the
            # effect SD being small there. On the bundled example (34 indicators, 6 measures) the
            # centred form mixes better (measure means' bulk ESS >= 470 instead of 178-226 per
            # 2000 draws): centred_effects=True (docs/bayes.md, "Parametrisation").
            if self.pool_measures:
                mu = make_prior("effect_overall_mean", pri["effect_overall"])
                tau_m = make_prior("effect_measure_sd", pri["effect_measure_sd"])
                mu_m = pm.Normal("effect_measure_mean", mu, tau_m, dims="measure")
            else:
                # One or two measures: their SD would be estimated from one or two numbers, a
                # funnel the sampler cannot cross (2 measures, 500 persons: R-hat 1.23 and 367
                # divergences pooled, 1.03 and 40 unpooled; docs/bayes.md "Parametrisation").
                mu_m = make_prior("effect_measure_mean", pri["effect_overall"], dims="measure")
                mu = pm.Deterministic("effect_overall_mean", mu_m.mean())
            tau = make_prior("effect_sd", pri["effect_indicator_sd"])
            if self.centred_effects:
                delta = pm.Normal("effect_beneficial", mu_m[im], tau, dims="indicator")
            else:
                z = pm.Normal("effect_raw", 0.0, 1.0, dims="indicator")
                delta = pm.Deterministic("effect_beneficial", mu_m[im] + tau * z, dims="indicator")
            effect = pm.Deterministic("effect", benefit * delta, dims="indicator")
            programme = effect[:, None] * post[None, :]  # (indicator, wave)
            if self.effect_by_wave:
                # Wave profile per measure, zero-sum over the post waves so that delta_k stays the
                # average post-baseline effect; non-centred because the profile SD can be ~0.
                tau_t = make_prior("effect_wave_sd", pri["effect_wave_sd"])
                profile_raw = pm.ZeroSumNormal(
                    "effect_wave_raw", sigma=1.0, dims=("measure", "post_wave")
                )
                by_wave = pm.Deterministic(
                    "effect_wave",
                    benefit[:, None] * (delta[:, None] + tau_t * profile_raw[im]),
                    dims=("indicator", "post_wave"),
                )
                programme = pt.set_subtensor(
                    pt.zeros((K, T))[:, np.flatnonzero(d.post_wave)], by_wave
                )
            F = (
                a[:, None, None]
                + w[:, :, None]
                + c[:, None, None] * g[None, None, :]
                + programme[:, :, None] * g[None, None, :]
            )
            F = pm.Deterministic("cell_logit", F, dims=("indicator", "wave", "group"))

            # Person severities, centred parametrisation (each person answers ~70-200 cells, so
            # the data pin u_i down): the sampler moves u_i itself, and the covariate effects
            # lambda are a regression on the well-determined u_i, u_i ~ Normal(x_i'lambda, sigma).
            # Writing u = x'lambda + e instead (the previous form) makes lambda and e a ridge:
            # moving lambda needs every e_i to move back (bulk ESS 117 for lambda on the bundled
            # example, docs/bayes.md "Parametrisation"). u sums to zero within each group (the
            # level covariates are centred within group, so x'lambda does too); this removes the
            # ridge between the intercepts, the group differences and the mean person effect.
            sigma = make_prior("person_sd", pri["person_sd"])
            u = pt.zeros(n)
            lam = None
            # The covariate matrices are data (shared variables, not constants baked into the
            # graph), so that a model of the same design on another panel reuses the compiled
            # model from the session's compile cache (bayes/sampling.py) with its data swapped in.
            X_change = self._shared_data("X_change", d.X_change)
            if d.covariate_names:
                lam = make_prior("covariate_severity", pri["covariate"], dims="covariate")
            for label, index in (("treated", d.treated_index), ("comparison", d.comparison_index)):
                X_level = self._shared_data(f"X_level_{label}", d.X_level[index])
                mean = pt.dot(X_level, lam) if lam is not None else pt.zeros(len(index))
                u_g = centred_zero_sum_normal(f"severity_{label}", mean, sigma, size=len(index))
                u = pt.set_subtensor(u[index], u_g)
            change = pt.zeros(n)
            if d.covariate_names:
                gam = make_prior("covariate_change", pri["covariate"], dims="covariate")
                change = pt.dot(X_change, gam)
            u = pm.Deterministic("severity", u, dims="person")
            v = None
            if self.attrition == "shared":
                # Person-specific programme response v_i of the treated (beneficial log-odds added
                # to every indicator's effect after baseline), summing to zero over the treated so
                # that d_k stays the effect of the sample's average response. Non-centred: its SD
                # can be near zero (a common effect), where the centred form has a funnel.
                tau_v = make_prior("programme_response_sd", pri["programme_response_sd"])
                v_t = tau_v * pm.ZeroSumNormal(
                    "programme_response_raw", sigma=1.0, shape=len(d.treated_index)
                )
                v = pt.set_subtensor(pt.zeros(n)[d.treated_index], v_t)
                v = pm.Deterministic("programme_response", v, dims="person")
                change = change + v
            # sign = s_k = -b_k, so s_k * (-change) = b_k * change: a beneficial change.
            offset = pm.Deterministic(
                "person_offset", pt.stack([u, u - change], axis=1), dims=("person", "period")
            )
            F_flat, offset_flat = F.flatten(), offset.flatten()
            if self.answer_weights is None:
                loglik = logit_cells_loglik(
                    F_flat,
                    offset_flat,
                    cell=d.cell,
                    person=d.offset_index,
                    sign=d.sign,
                    y=d.y,
                )
            else:
                loglik = self._weighted_loglik(F_flat, offset_flat)
            pm.Potential("loglik", loglik)

            if self.attrition == "shared":
                r = make_prior("response_wave", pri["attrition"], dims="post_wave")
                r_g = make_prior("response_group", pri["attrition"])
                lam_sel = make_prior("selection", pri["selection"])
                lam_v = make_prior("selection_response", pri["selection"])
                R = r[:, None] + r_g * g[None, :]  # cell table (post wave, group)
                resp_offset = lam_sel * u + lam_v * v
                if d.covariate_names:
                    rho = make_prior("response_covariate", pri["covariate"], dims="covariate")
                    resp_offset = resp_offset + pt.dot(X_change, rho)
                resp_cell = (d.response_wave * 2 + arr.person_group[d.response_at_risk]).astype(
                    np.int32
                )
                pm.Potential(
                    "response_loglik",
                    logit_cells_loglik(
                        R.flatten(),
                        resp_offset,
                        cell=resp_cell,
                        person=d.response_at_risk,
                        sign=np.ones(resp_cell.shape[0]),
                        y=d.response_y.astype(float),
                    ),
                )
        return model

    @staticmethod
    def _shared_data(name, values):
        import pytensor

        return pytensor.shared(
            np.ascontiguousarray(values, dtype=float),
            name=f"indicator_{name}_{next(_data_counter)}",
        )

    def _weighted_loglik(self, F_flat, offset_flat):
        # Weighted pseudo-likelihood sum_n w_person(n) * loglik_n on the same gathered linear
        # predictor (the fused kernel has no weight argument).
        from mirabal_stats.bayes.likelihood import bernoulli_logit_loglik

        d = self.design
        eta = F_flat[d.cell] + d.sign * offset_flat[d.offset_index]
        return bernoulli_logit_loglik(eta, d.y, weights=self.answer_weights)

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        arr = self.design.arrays
        n_t, n_c = len(self.design.treated_index), len(self.design.comparison_index)
        lines = [
            "IndicatorModel: Bayesian difference in differences for binary indicators",
            "  likelihood: response[i,k,t] ~ Bernoulli(logit^-1(a_k + w[k,t] + c_k g_i "
            "+ d_k g_i post_t + s_k (u_i - post_t x_i'gamma)))",
            *(
                [
                    "    effect by wave: d_k -> d[k,t] = b_k (delta_k + omega[measure,t]), omega ~ "
                    "ZeroSumNormal(effect_wave_sd) over post waves"
                ]
                if self.effect_by_wave
                else []
            ),
            "    d_k = benefit_k * delta_k; delta_k ~ Normal(mu_measure, effect_sd); "
            + (
                "mu_measure ~ Normal(mu, effect_measure_sd)"
                if self.pool_measures
                else f"mu_measure ~ {prior_text(self.priors['effect_overall'])} each (not pooled: "
                f"{self.design.arrays.n_measures} measure(s)), mu = their mean"
            ),
            "    u_i ~ Normal(x_i'lambda, person_sd), summing to zero within each group",
            f"  attrition: {self.attrition}"
            + (
                " (observed-data likelihood, MAR)"
                if self.attrition == "mar"
                else " (shared-parameter selection model: logit P(respond) = r_t + r_g g + x'rho"
                " + lambda u + lambda_v v;\n    programme response: + b_k v_i g_i post_t in the answers,"
                " v ~ Normal(0, programme_response_sd) summing to zero over the treated)"
            ),
            "  weights: "
            + (
                "none"
                if self._weight_sources is None
                else f"weighted pseudo-likelihood ({' x '.join(self._weight_sources)})"
            ),
            f"  data: {arr.n_obs} observed answers, {arr.n_persons} persons ({self.panel.treated}: "
            f"{n_t}, {self.panel.comparison}: {n_c}), {arr.n_waves} waves (baseline "
            f"{arr.waves[arr.baseline_wave]!r}), {arr.n_indicators} indicators in "
            f"{arr.n_measures} measures, {len(self.design.covariate_names)} covariate columns",
            f"  parametrisation: indicator effects {'centred' if self.centred_effects else 'non-centred'}"
            + (
                ""
                if self.effect_informativeness is None
                else f" (chosen: crude effect SE {self.effect_informativeness.median_se:.2f} vs spread "
                f"{self.effect_informativeness.tau:.2f})"
            ),
            "  priors:",
        ]
        shared_only = ("attrition", "selection", "programme_response_sd")
        used = [k for k in self.priors if k not in shared_only or self.attrition == "shared"]
        if not self.effect_by_wave:
            used = [k for k in used if k != "effect_wave_sd"]
        if not self.pool_measures:
            used = [k for k in used if k != "effect_measure_sd"]
        if not self.design.covariate_names:
            used = [k for k in used if k != "covariate"]
        for role in used:
            lines.append(f"    {role:<20} ~ {prior_text(self.priors[role])}")
        return "\n".join(lines)

    __str__ = __repr__

    # ------------------------------------------------------------------ fit
    def _monitored(self) -> list[str]:
        """Model variables whose R-hat / ESS the fit reports (and warns about)."""
        monitored = [
            "effect_overall_mean",
            "effect_measure_mean",
            "effect_measure_sd",
            "effect_sd",
            "effect",
            "person_sd",
            "wave_sd",
        ]
        if not self.pool_measures:
            monitored.remove("effect_measure_sd")
        if self.design.covariate_names:
            monitored += ["covariate_severity", "covariate_change"]
        if self.attrition == "shared":
            monitored += [
                "selection",
                "selection_response",
                "programme_response_sd",
                "response_group",
            ]
        if self.effect_by_wave:
            monitored += ["effect_wave_sd", "effect_wave"]
        return monitored

    def fit(
        self,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        sampler: str = "nutpie",
        random_seed: int | None = None,
        sampler_kwargs: dict[str, Any] | None = None,
    ) -> IndicatorResults:
        """Sample the posterior with NUTS; returns an :class:`~mirabal_stats.bayes.IndicatorResults`.

        Parameters
        ----------
        draws, tune : int, default 1000
            Draws kept and tuning steps, per chain (1 to 1,000,000).
        chains : int, default 4
            Independent chains (1 to 64); R-hat needs at least 2.
        sampler : {"nutpie", "pymc", "numpyro"}, default "nutpie"
            See :mod:`mirabal_stats.bayes.sampling`.
        random_seed : int, optional
            Non-negative integer; the same seed gives the same draws.
        sampler_kwargs : dict, optional
            Options passed to the sampler. Defaults: ``target_accept=0.9`` and, with nutpie,
            the low-rank modified mass matrix (``low_rank_modified_mass_matrix=True``).

        Notes
        -----
        Warns (:class:`~mirabal_stats.exceptions.SamplingWarning`) with advice when R-hat >
        1.01, an ESS < 400 or there are divergent transitions; raises
        :class:`~mirabal_stats.exceptions.SpecificationError` for invalid settings and
        :class:`~mirabal_stats.exceptions.EstimationError` when the sampler fails.
        """
        from mirabal_stats.bayes.indicator_results import IndicatorResults

        posterior = fit_posterior(
            self.model,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            random_seed=random_seed,
            sampler_kwargs=sampler_kwargs,
            sampler_defaults=_SAMPLER_DEFAULTS,
            monitored=self._monitored(),
            data=self.panel.to_long(include_missing=False),
            model_settings=dict(
                model="IndicatorModel",
                attrition=self.attrition,
                covariates=self.covariates,
                priors=self.priors,
                weights=None if self._weight_sources is None else list(self._weight_sources),
                baseline_wave=self.baseline_wave,
                centred_effects=self.centred_effects,
                effect_by_wave=self.effect_by_wave,
                pool_measures=self.pool_measures,
            ),
            compiled_cache=self._compiled,
        )
        return IndicatorResults(posterior=posterior, model=self)

    def prior_predictive(self, *, draws: int = 500, random_seed: int | None = None):
        """Prior predictive check: what the priors imply before seeing the answers.

        Returns a table with the 5%, 50% and 95% prior quantiles of (a) the % "yes" per group and
        wave averaged over indicators and persons, and (b) the overall beneficial effect in
        percentage points. Sensible priors put the prevalences over most of 0-100% without
        piling up at 0 and 100, and the effect within +/- 100 points with most mass well inside.
        """
        import warnings as _warnings

        import pandas as pd
        import pymc as pm

        draws = whole_number(
            "draws", draws, low=1, high=100_000, hint="500 prior draws are usually enough."
        )
        if random_seed is not None:
            random_seed = whole_number(
                "random_seed", random_seed, low=0, high=2**63 - 1, hint="Pass e.g. random_seed=1."
            )
        with self.model, _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            prior = pm.sample_prior_predictive(
                draws=draws,
                random_seed=random_seed,
                var_names=["cell_logit", "person_offset", self.programme_effect_name]
                + (["programme_response"] if self.attrition == "shared" else []),
            ).prior
        F = prior["cell_logit"].values.reshape((-1,) + prior["cell_logit"].shape[2:])
        off = prior["person_offset"].values.reshape((-1,) + prior["person_offset"].shape[2:])
        from mirabal_stats.bayes.posterior_summaries import person_probabilities

        arr = self.design.arrays
        rows = []
        probs = person_probabilities(F, off, self.design)  # (draws, n, K, T)
        for gi, label in ((1, self.panel.treated), (0, self.panel.comparison)):
            persons = arr.person_group == gi
            for t, wave in enumerate(arr.waves):
                # probs[:, persons][..., t], not probs[:, persons, :, t]: mixing a boolean mask and an
                # integer split by a slice moves the persons axis first (numpy advanced indexing).
                pct = 100.0 * probs[:, persons][..., t].mean(axis=(1, 2))
                q = np.quantile(pct, [0.05, 0.5, 0.95])
                rows.append(
                    {
                        "quantity": f"% yes, {label}, wave {wave}",
                        "q05": q[0],
                        "q50": q[1],
                        "q95": q[2],
                    }
                )
        from mirabal_stats.bayes.posterior_summaries import att_pp_draws

        response = (
            prior["programme_response"].values.reshape(-1, arr.n_persons)
            if self.attrition == "shared"
            else None
        )
        effect = prior[self.programme_effect_name].values
        pp = att_pp_draws(
            F, off, effect.reshape((-1,) + effect.shape[2:]), self.design, response=response
        )
        overall = pp @ self.design.contrasts("overall").to_numpy().T  # beneficial mean
        q = np.quantile(overall[:, 0], [0.05, 0.5, 0.95])
        rows.append(
            {"quantity": "overall beneficial effect (pp)", "q05": q[0], "q50": q[1], "q95": q[2]}
        )
        return pd.DataFrame(rows).set_index("quantity")
