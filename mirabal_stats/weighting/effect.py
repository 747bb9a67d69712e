"""Weighted effect estimation: weighted difference in means or weighted regression, with
standard errors that either treat the weights as fixed (robust sandwich, as R's
``survey::svyglm``) or account for their estimation (stacked M-estimation, or a bootstrap that
re-fits the weights).

Which standard error?
    ``"robust"`` treats the weights as known. It matches ``svyglm(y ~ treat, design =
    svydesign(ids = ~1, weights = ~w))``: the HC0 sandwich times ``n / (n - 1)``.
    ``"m_estimation"`` stacks the logistic score equations of the propensity model with the
    weighted outcome equations and takes the HC0 sandwich of the whole system (Lunceford &
    Davidian 2004; R's WeightIt ``lm_weightit``/``glm_weightit``). For the ATE, ignoring the
    estimation of the propensity score gives conservative intervals; for the ATT and ATO the
    fixed-weight SE can be too small *or* too large (Reifeis & Hudgens 2022), so when the
    weights come from a fitted model this is the one to report.
    ``"bootstrap"`` resamples persons within group, re-fits the weights on each resample and takes
    the SD of the estimates: the choice for gradient boosting, entropy balancing, CBPS or
    trimmed weights, for which the M-estimation equations are not implemented.

References
----------
Lumley, T. (2004). Analysis of complex survey samples. *Journal of Statistical Software* 9(8).
doi:10.18637/jss.v009.i08
Lunceford, J. K. & Davidian, M. (2004). Stratification and weighting via the propensity score in
estimation of causal treatment effects. *Statistics in Medicine* 23:2937-2960.
doi:10.1002/sim.1903
Stefanski, L. A. & Boos, D. D. (2002). The calculus of M-estimation. *The American Statistician*
56:29-38. doi:10.1198/000313002753631330
Reifeis, S. A. & Hudgens, M. G. (2022). On variance of the treatment effect in the treated when
estimated by inverse probability weighting. *American Journal of Epidemiology* 191:1092-1097.
doi:10.1093/aje/kwac014
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import Provenance, check_ci_level, make_provenance, normal_table
from mirabal_stats.exceptions import (
    RowsExcludedWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting._design import build_design, check_treatment
from mirabal_stats.weighting.model import PropensityWeightsResults
from mirabal_stats.weighting.weights import (
    effective_sample_size,
    weight_derivative,
    weights_from_propensity,
)

__all__ = ["weighted_effect", "WeightedEffect", "SE_METHODS"]

SE_METHODS = ("robust", "m_estimation", "bootstrap")


@dataclass(frozen=True, eq=False)
class WeightedEffect:
    """A weighted treatment-effect estimate (returned by :func:`weighted_effect`).

    Attributes
    ----------
    estimate, std_error : float
        The coefficient of the treatment (the weighted difference in means without covariates).
    ci_level : float
    se_method : str
    estimand : str or None
        From the weights' specification when a :class:`PropensityWeightsResults` was passed.
    coefficients : pandas.DataFrame
        Every term of the weighted regression in the standard table layout.
    n_treated, n_control : int
    ess_treated, ess_control : float
    bootstrap_estimates : numpy.ndarray or None
    provenance : Provenance
    """

    treatment_name: str
    outcome_name: str
    estimate: float
    std_error: float
    ci_level: float
    se_method: str
    estimand: str | None
    coefficients: pd.DataFrame
    n_treated: int
    n_control: int
    ess_treated: float
    ess_control: float
    covariates: tuple = ()
    bootstrap_estimates: np.ndarray | None = field(default=None, repr=False)
    provenance: Provenance | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row (the treatment): ``estimate, std_error, lower, upper, ci_level, p_value``,
        plus ``estimand`` and ``se_method``."""
        table = normal_table(
            [self.estimate], [self.std_error], index=[self.treatment_name], ci_level=self.ci_level
        )
        table.index.name = "term"
        table["estimand"] = self.estimand
        table["se_method"] = self.se_method
        return table

    def summary(self) -> str:
        """A paragraph an evaluator can paste, and the table."""
        row = self.to_frame().iloc[0]
        se_text = {
            "robust": "a robust (sandwich) standard error that treats the weights as fixed, as "
            "survey::svyglm does",
            "m_estimation": "a standard error that accounts for estimating the propensity score "
            "(stacked M-estimation, HC0)",
            "bootstrap": f"a bootstrap standard error that re-fits the weights "
            f"({0 if self.bootstrap_estimates is None else len(self.bootstrap_estimates)} resamples)",
        }[self.se_method]
        what = (
            "weighted difference in means"
            if not self.covariates
            else ("weighted regression adjusting for " + ", ".join(self.covariates))
        )
        target = f"{self.estimand} " if self.estimand else ""
        text = (
            f"The {target}estimate of the effect of {self.treatment_name} on {self.outcome_name} "
            f"({what}) is {row['estimate']:.4g} with {se_text}: {row['std_error']:.4g}; "
            f"{100 * self.ci_level:g}% CI {row['lower']:.4g} to {row['upper']:.4g} "
            f"(p = {row['p_value']:.3g}). Groups: {self.n_treated} treated (ESS "
            f"{self.ess_treated:.1f}) and {self.n_control} comparison (ESS {self.ess_control:.1f})."
        )
        return text + "\n" + self.to_frame().to_string(float_format=lambda v: f"{v:.4g}")


def _resolve_weights(data: pd.DataFrame, weights: Any) -> np.ndarray:
    if isinstance(weights, PropensityWeightsResults):
        series = weights.weights
    elif isinstance(weights, str):
        if weights not in data.columns:
            raise SpecificationError(f"weights column {weights!r} is not in the data.")
        series = data[weights]
    elif isinstance(weights, pd.Series):
        series = weights
    else:
        arr = np.asarray(weights, dtype=float)
        if arr.shape != (len(data),):
            raise SpecificationError(
                f"weights has shape {arr.shape} but the data have {len(data)} rows; pass a Series "
                "aligned to the data index (e.g. PropensityWeightsResults.weights)."
            )
        series = pd.Series(arr, index=data.index)
    if not series.index.equals(data.index):
        missing = data.index.difference(series.index)
        if len(missing):
            raise SpecificationError(
                f"weights are not available for {len(missing)} row(s) of the data (e.g. index "
                f"{missing[0]!r}); fit the weights on the same rows, or pass a Series indexed like "
                "the data."
            )
        series = series.reindex(data.index)
    w = series.to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise WeightingError(
            f"weights must be finite and non-negative; {int(bad.sum())} are not (e.g. index "
            f"{data.index[bad][0]!r}: {w[bad][0]!r})."
        )
    return w


def _wls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares: coefficients, residuals and the bread ``X'WX``."""
    bread = (x * w[:, None]).T @ x
    beta = np.linalg.solve(bread, (x * w[:, None]).T @ y)
    return beta, y - x @ beta, bread


def weighted_effect(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    weights: Any,
    covariates: list | None = None,
    ci_level: float = 0.95,
    se_method: str = "robust",
    n_bootstrap: int = 500,
    random_seed: int | None = None,
) -> WeightedEffect:
    """Weighted treatment effect with a robust, M-estimation or bootstrap standard error.

    Fits ``outcome ~ treatment (+ covariates)`` by weighted least squares; without covariates the
    treatment coefficient is the weighted difference in means.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person; not modified.
    outcome, treatment : str
        Column names; treatment is 0/1.
    weights : pandas.Series, str, array-like or PropensityWeightsResults
        Weights aligned to ``data.index`` (a column name, or the fitted weights object itself,
        which ``se_method="m_estimation"`` and ``"bootstrap"`` need).
    covariates : list of str, optional
        Adjust for these in the weighted regression ("doubly robust" in the sense of Kang &
        Schafer 2007 for entropy or propensity weights).
    ci_level : float, default 0.95
    se_method : {"robust", "m_estimation", "bootstrap"}, default "robust"
        See the module docstring for which to choose.
    n_bootstrap : int, default 500
    random_seed : int, optional
        Seed of the bootstrap.

    Returns
    -------
    WeightedEffect

    References
    ----------
    Lumley (2004), doi:10.18637/jss.v009.i08; Lunceford & Davidian (2004), doi:10.1002/sim.1903;
    Reifeis & Hudgens (2022), doi:10.1093/aje/kwac014.

    Examples
    --------
    >>> import warnings
    >>> from mirabal_stats.datasets import load_lalonde
    >>> from mirabal_stats.weighting import PropensityWeights, weighted_effect
    >>> df = load_lalonde()
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     pw = PropensityWeights(estimand="ATT").fit(
    ...         df, treatment="treat",
    ...         covariates=["age", "educ", "race", "married", "nodegree", "re74", "re75"])
    >>> eff = weighted_effect(df, outcome="re78", treatment="treat", weights=pw,
    ...                       se_method="m_estimation")
    >>> round(eff.estimate, 1), round(eff.std_error, 1)
    (1214.1, 798.2)
    """
    level = check_ci_level(ci_level)
    if se_method not in SE_METHODS:
        raise SpecificationError(
            f"se_method must be one of {', '.join(SE_METHODS)}, got {se_method!r}."
        )
    a = check_treatment(data, treatment)
    if outcome not in data.columns:
        raise SpecificationError(f"outcome column {outcome!r} is not in the data.")
    if not pd.api.types.is_numeric_dtype(data[outcome]):
        raise SpecificationError(
            f"outcome column {outcome!r} must be numeric (0/1 for binary outcomes), "
            f"got dtype {data[outcome].dtype}."
        )
    w_all = _resolve_weights(data, weights)
    fitted = weights if isinstance(weights, PropensityWeightsResults) else None
    if fitted is not None and se_method != "robust" and not fitted.index.equals(data.index):
        raise SpecificationError(
            f"se_method={se_method!r} needs the data the weights were fitted on, in the same row "
            "order (the index differs); pass that DataFrame, with the outcome column added."
        )
    covariates = list(covariates or [])
    y_all = data[outcome].to_numpy(dtype=float)
    used = np.isfinite(y_all)
    if covariates:
        design = build_design(data, covariates, missing="error")
        xcov_all = design.model_matrix
        cov_names = design.model_names
    else:
        xcov_all = np.empty((len(data), 0))
        cov_names = []
    n_dropped = int((~used).sum())
    if n_dropped:
        warnings.warn(
            f"{n_dropped} row(s) with missing {outcome!r} excluded from the effect estimate "
            f"({int(np.sum(~used & (a == 1)))} treated, {int(np.sum(~used & (a == 0)))} comparison). "
            "If outcomes are missing not at random, combine these weights with AttritionWeights.",
            RowsExcludedWarning,
            stacklevel=2,
        )
    for code, label in ((1, "treated"), (0, "comparison")):
        if not np.any((w_all > 0) & used & (a == code)):
            raise WeightingError(
                f"the {label} group has no rows with positive weight and an observed {outcome!r}."
            )
    names = ["(Intercept)", treatment, *cov_names]
    x_all = np.column_stack([np.ones(len(data)), a, xcov_all])
    x, y, w = x_all[used], y_all[used], w_all[used]
    beta, resid, bread = _wls(x, y, w)
    n = int(used.sum())
    if se_method == "robust":
        scores = x * (w * resid)[:, None]
        bread_inv = np.linalg.inv(bread)
        # survey::svyglm's with-replacement single-stage variance: HC0 times n / (n - 1).
        vcov = bread_inv @ (scores.T @ scores) @ bread_inv * n / (n - 1)
        se = np.sqrt(np.diag(vcov))
        boot = None
    elif se_method == "m_estimation":
        vcov_full = _m_estimation_vcov(fitted, a, x_all, y_all, used, beta, covariates)
        se = np.sqrt(np.diag(vcov_full))
        boot = None
    else:
        boot = _bootstrap(fitted, a, x_all, y_all, used, n_bootstrap, random_seed)
        se_t = float(np.std(boot, ddof=1))
        se = np.full(beta.size, np.nan)
        se[1] = se_t
    coefficients = normal_table(beta, se, index=names, ci_level=level)
    coefficients.index.name = "term"
    a_used = a[used]
    return WeightedEffect(
        treatment_name=treatment,
        outcome_name=outcome,
        estimate=float(beta[1]),
        std_error=float(se[1]),
        ci_level=level,
        se_method=se_method,
        estimand=None if fitted is None else fitted.estimand,
        coefficients=coefficients,
        n_treated=int(np.sum(a_used == 1)),
        n_control=int(np.sum(a_used == 0)),
        ess_treated=effective_sample_size(w[a_used == 1]),
        ess_control=effective_sample_size(w[a_used == 0]),
        covariates=tuple(covariates),
        bootstrap_estimates=boot,
        provenance=make_provenance(
            random_seed=random_seed,
            data=data[[outcome, treatment, *covariates]],
            settings={
                "outcome": outcome,
                "treatment": treatment,
                "covariates": covariates,
                "se_method": se_method,
                "ci_level": level,
                "n_bootstrap": n_bootstrap if se_method == "bootstrap" else None,
                "weights": None if fitted is None else fitted.spec.settings(),
            },
        ),
    )


def _require_fitted(
    fitted: PropensityWeightsResults | None, se_method: str
) -> PropensityWeightsResults:
    if fitted is None:
        raise SpecificationError(
            f"se_method={se_method!r} needs to know how the weights were estimated: pass the fitted "
            "object (weights=pw, where pw = PropensityWeights(...).fit(...)), not a Series of weights."
        )
    return fitted


def _m_estimation_vcov(
    fitted: PropensityWeightsResults | None,
    a: np.ndarray,
    x_all: np.ndarray,
    y_all: np.ndarray,
    used: np.ndarray,
    beta: np.ndarray,
    covariates: list,
) -> np.ndarray:
    """HC0 sandwich of the stacked (propensity score, weighted outcome) estimating equations.

    theta = (gamma, beta). For person i (Stefanski & Boos 2002):
      psi_gamma,i = z_i (a_i - p_i)                       (logistic score)
      psi_beta,i  = w_i(gamma) x_i (y_i - x_i' beta)      (weighted least squares; 0 if y missing)
    A = -d(sum psi)/d theta':
      A_gg = sum p(1-p) z z',  A_gb = 0,
      A_bg = -sum x_i r_i (dw_i/deta_i) z_i',  A_bb = sum w x x'.
    V = A^-1 B A^-T with B = sum psi psi'. Returns the block of V for beta.
    """
    fitted = _require_fitted(fitted, "m_estimation")
    if fitted.method != "logistic":
        raise SpecificationError(
            f"se_method='m_estimation' is implemented for method='logistic' weights, not "
            f"{fitted.method!r}; use se_method='bootstrap', which re-fits the weights."
        )
    if fitted.trim_report is not None:
        raise SpecificationError(
            "se_method='m_estimation' does not cover trimmed or truncated weights (the weights are "
            "not a smooth function of the propensity model); use se_method='bootstrap'."
        )
    if covariates and (fitted.spec.normalize or fitted.spec.stabilize):
        raise SpecificationError(
            "with covariates in the outcome model, se_method='m_estimation' needs unnormalised, "
            "unstabilised weights (normalize=False, stabilize=False), because rescaling the weights "
            "within group changes the regression; without covariates it does not matter."
        )
    lf = fitted.logistic_fit
    z = lf.design
    p = np.asarray(fitted.propensity_values)
    if not np.array_equal(np.asarray(fitted.treatment), a):
        raise SpecificationError(
            "the treatment column differs from the one the weights were fitted with; pass the same data."
        )
    # Raw formula weights: normalisation and stabilisation rescale within group, which leaves the
    # weighted group means (and so the estimate without covariates) unchanged.
    w = weights_from_propensity(p, a, estimand=fitted.estimand) * used
    dw = weight_derivative(p, a, estimand=fitted.estimand) * used
    y = np.where(used, y_all, 0.0)
    beta_raw = np.linalg.solve((x_all * w[:, None]).T @ x_all, (x_all * w[:, None]).T @ y)
    if not np.allclose(beta_raw[1], beta[1], rtol=1e-8, atol=1e-8 * (1 + abs(beta[1]))):
        raise SpecificationError(
            "the weights passed differ from those implied by the fitted propensity model; "
            "se_method='m_estimation' applies to the fitted weights unchanged."
        )
    resid = (y - x_all @ beta_raw) * used
    psi_g = z * (a - p)[:, None]
    psi_b = x_all * (w * resid)[:, None]
    psi = np.hstack([psi_g, psi_b])
    k, m = z.shape[1], x_all.shape[1]
    big_a = np.zeros((k + m, k + m))
    big_a[:k, :k] = (z * (p * (1 - p))[:, None]).T @ z
    big_a[k:, :k] = -(x_all * (resid * dw)[:, None]).T @ z
    big_a[k:, k:] = (x_all * w[:, None]).T @ x_all
    a_inv = np.linalg.inv(big_a)
    vcov = a_inv @ (psi.T @ psi) @ a_inv.T
    return vcov[k:, k:]


def _bootstrap(
    fitted: PropensityWeightsResults | None,
    a: np.ndarray,
    x_all: np.ndarray,
    y_all: np.ndarray,
    used: np.ndarray,
    n_bootstrap: int,
    random_seed: int | None,
) -> np.ndarray:
    """Treatment coefficients over resamples of persons within group, re-fitting the weights."""
    fitted = _require_fitted(fitted, "bootstrap")
    if n_bootstrap < 50:
        raise SpecificationError(f"n_bootstrap must be at least 50, got {n_bootstrap}.")
    rng = np.random.default_rng(random_seed)
    treated = np.flatnonzero(a == 1)
    control = np.flatnonzero(a == 0)
    base = fitted.data.reset_index(drop=True)
    estimates = []
    failures = 0
    for _ in range(n_bootstrap):
        # Resampling within group keeps both groups at their observed sizes.
        idx = np.concatenate([rng.choice(treated, treated.size), rng.choice(control, control.size)])
        try:
            # Refits warn about balance/separation in some resamples; the warnings concern one
            # resample each and would drown the user's output, so they are silenced here and
            # failures are counted instead.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                refit = fitted.refit(base.iloc[idx].reset_index(drop=True))
        except (WeightingError, np.linalg.LinAlgError):
            failures += 1
            continue
        w = refit.weight_values * used[idx]
        x, y = x_all[idx], np.where(used[idx], y_all[idx], 0.0)
        try:
            beta, _, _ = _wls(x, y, w)
        except np.linalg.LinAlgError:
            failures += 1
            continue
        estimates.append(beta[1])
    if failures > 0.1 * n_bootstrap:
        raise WeightingError(
            f"{failures} of {n_bootstrap} bootstrap refits failed (no overlap or singular designs in "
            "the resample); the bootstrap standard error would be unreliable. Simplify the model."
        )
    if failures:
        warnings.warn(
            f"{failures} of {n_bootstrap} bootstrap refits failed and were skipped.",
            RowsExcludedWarning,
            stacklevel=3,
        )
    return np.asarray(estimates)
