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

Degenerate designs are refused or flagged, never answered silently: fewer than 2 persons with an
observed response in a group, a covariate collinear with the group or with other covariates, or
no more persons than coefficients raise :class:`EstimationError`; a response that does not vary
within a group, or a group whose weights rest on fewer than :data:`MIN_ESS` effective persons,
gives the estimate with a warning saying why its standard error is not trustworthy.

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

from mirabal_stats._results import (
    Provenance,
    Results,
    Summary,
    check_ci_level,
    make_provenance,
    normal_table,
)
from mirabal_stats.data.persons import PersonTable, person_table, plain_value
from mirabal_stats.exceptions import (
    ESSWarning,
    EstimabilityWarning,
    EstimationError,
    MirabalError,
    RowsExcludedWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting._design import (
    build_design,
    check_magnitude,
    check_number,
    check_random_seed,
    dependent_columns,
)
from mirabal_stats.weighting.model import PropensityWeightsResults
from mirabal_stats.weighting.weights import (
    effective_sample_size,
    weight_derivative,
    weights_from_propensity,
)

__all__ = ["weighted_effect", "WeightedEffect", "SE_METHODS", "MIN_ESS"]

SE_METHODS = ("robust", "m_estimation", "bootstrap")

#: Below this Kish effective sample size in a group, the sandwich and bootstrap standard errors
#: rest on too few persons to be trusted (a warning says so).
MIN_ESS = 5.0


@dataclass(frozen=True, eq=False)
class WeightedEffect(Results):
    """A weighted treatment-effect estimate (returned by :func:`weighted_effect`).

    ``to_frame()`` has one row, the effect of the group (index: the group column):
    ``estimate, std_error, lower, upper, ci_level, p_value, estimand, se_method``.

    Attributes
    ----------
    group, response : str
        The group and response columns.
    estimate, std_error : float
        The coefficient of the group indicator (the weighted difference in means without
        covariates).
    ci_level : float
    se_method : str
    estimand : str or None
        From the weights' specification when a :class:`PropensityWeightsResults` was passed.
    coefficients : pandas.DataFrame
        Every term of the weighted regression in the standard table layout.
    n_treated, n_control : int
        Persons with an observed response in each group.
    ess_treated, ess_control : float
    weights_source : str
        Where the weights came from (e.g. ``"propensity (ATT, logistic)"``).
    bootstrap_estimates : numpy.ndarray or None
    provenance : Provenance
    """

    group: str
    response: str
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
    weights_source: str = "user"
    bootstrap_estimates: np.ndarray | None = field(default=None, repr=False)
    provenance: Provenance | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row (the group effect): ``estimate, std_error, lower, upper, ci_level, p_value``,
        plus ``estimand`` and ``se_method``."""
        table = normal_table(
            [self.estimate], [self.std_error], index=[self.group], ci_level=self.ci_level
        )
        table.index.name = "term"
        table["estimand"] = self.estimand
        table["se_method"] = self.se_method
        return table

    def summary(self) -> Summary:
        """A paragraph an evaluator can paste, and the table."""
        row = self.to_frame().iloc[0]
        se_text = {
            "robust": "a robust (sandwich) standard error that treats the weights as fixed, as "
            "survey::svyglm does",
            "m_estimation": "a standard error that accounts for estimating the propensity score "
            "(stacked M-estimation, HC0)",
            "bootstrap": "a bootstrap standard error that re-fits the weights "
            f"({0 if self.bootstrap_estimates is None else len(self.bootstrap_estimates)} "
            "resamples)",
        }[self.se_method]
        what = (
            "weighted difference in means"
            if not self.covariates
            else ("weighted regression adjusting for " + ", ".join(map(str, self.covariates)))
        )
        target = f"{self.estimand} " if self.estimand else ""
        text = (
            f"The {target}estimate of the effect of {self.group} on {self.response} "
            f"({what}, weights: {self.weights_source}) is {row['estimate']:.4g} with {se_text}: "
            f"{row['std_error']:.4g}; {100 * self.ci_level:g}% CI {row['lower']:.4g} to "
            f"{row['upper']:.4g} (p = {row['p_value']:.3g}). Groups: {self.n_treated} in the "
            f"intervention group (ESS {self.ess_treated:.1f}) and {self.n_control} in the "
            f"comparison group (ESS {self.ess_control:.1f})."
        )
        return Summary.build(text, tables={"effect": self.to_frame()})


# --------------------------------------------------------------------------- inputs
def _response_values(table: PersonTable, response: str) -> np.ndarray:
    column = table.data[response]
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    numeric = pd.to_numeric(column, errors="coerce")
    text = numeric.isna() & column.notna()
    if text.any():
        j = int(np.flatnonzero(text.to_numpy())[0])
        raise SpecificationError(
            f"response column {response!r} must be numeric (0/1 for a binary response), but "
            f"{int(text.sum())} value(s) are not numbers (e.g. {plain_value(column.iloc[j])!r} for "
            f"person {plain_value(table.keys[j])!r}). Recode it, e.g. data[{response!r}] = "
            f"(data[{response!r}] == 'yes').astype(int)."
        )
    values = numeric.to_numpy(dtype=float, na_value=np.nan)
    check_magnitude(values, name=f"response column {response!r}", keys=table.keys)
    return values


def _row_weights(
    table: PersonTable, weights: Any, fitted: PropensityWeightsResults | None
) -> tuple[np.ndarray, np.ndarray, str]:
    """One weight per row (aligned by person label), rows kept, and the weights' source."""
    from mirabal_stats.weighting.analysis_weights import Weights

    if weights is None:
        raise SpecificationError(
            "weighted_effect needs weights=: a fitted PropensityWeights result, a Weights, a "
            "Series indexed by person, or the name of a weights column."
        )
    keep = np.ones(table.n, dtype=bool)
    if fitted is not None and np.any(fitted.weight_values == 0):
        # Persons trimmed by propensity_bounds carry weight 0: they leave the estimate, openly.
        zero = fitted.weights[fitted.weight_values == 0].index
        keep = ~table.keys.isin(zero)
        if (~keep).any():
            reason = (
                fitted.trim_report.rule
                if fitted.trim_report is not None and fitted.trim_report.lower is not None
                else "their propensity is exactly 0 or 1 (the propensity model separates them; "
                "see the SeparationWarning)"
            )
            warnings.warn(
                f"{int((~keep).sum())} person(s) excluded from the effect estimate: their weight "
                f"is 0 because {reason} (e.g. person {plain_value(table.keys[~keep][0])!r}).",
                RowsExcludedWarning,
                stacklevel=3,
            )
        source = Weights(fitted).sources[0]
        positive = Weights(fitted.weights[fitted.weight_values > 0], source=source)
        values = np.full(table.n, np.nan)
        values[keep] = positive.for_persons(table.keys[keep], where=f"persons ({table.key_source})")
        return values, keep, source
    if isinstance(weights, str):
        return table.weights(weights), keep, f"column {weights!r}"
    source = Weights(weights).sources
    return table.weights(weights), keep, " x ".join(source)


def _check_estimable(
    a: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    names: list,
    keys: pd.Index,
    *,
    group: str,
    labels: tuple,
) -> None:
    for code, label in ((1, labels[1]), (0, labels[0])):
        members = np.flatnonzero(a == code)
        if members.size < 2:
            raise EstimationError(
                f"weighted_effect needs at least 2 persons with an observed response in each "
                f"group, but group {plain_value(label)!r} of {group!r} has {members.size}"
                + (f" (person {plain_value(keys[members[0]])!r})" if members.size else "")
                + ": a group's mean and its sampling variance cannot both be estimated from one "
                "person."
            )
    n, m = x.shape
    if n <= m:
        raise EstimationError(
            f"the outcome model has {m} coefficients but only {n} persons with an observed "
            "response; it needs more persons than coefficients. Adjust for fewer covariates."
        )
    dependent = dependent_columns(x, names)
    if dependent:
        column, partners = dependent[0]
        involves_group = group in partners or column == group
        raise EstimationError(
            f"the outcome model's design is singular: {column!r} is a linear combination of "
            f"{', '.join(map(repr, partners)) or 'nothing (it is all zero)'}"
            + (
                ". A covariate that is determined by the group (the same for everyone in a "
                "group) cannot be adjusted for: its effect and the group's are the same thing. "
                "Remove it from covariates."
                if involves_group
                else ". Remove the redundant covariate(s)."
            )
        )


def _warn_degenerate(
    a: np.ndarray, y: np.ndarray, w: np.ndarray, *, response: str, labels: tuple
) -> None:
    for code, label in ((1, labels[1]), (0, labels[0])):
        values = y[a == code]
        if np.ptp(values) == 0:
            warnings.warn(
                f"{response!r} takes the single value {values[0]:g} in group "
                f"{plain_value(label)!r}: its sampling variance there is estimated as 0, so the "
                "standard error ignores that group's uncertainty and the interval is too narrow "
                "(as a Wald interval for a proportion of 0 or 1 is). Report the estimate with an "
                "exact or bootstrap interval, or with more data.",
                EstimabilityWarning,
                stacklevel=3,
            )
        ess = effective_sample_size(w[a == code])
        if ess < MIN_ESS:
            warnings.warn(
                f"group {plain_value(label)!r} has an effective sample size of {ess:.1f} (Kish "
                f"ESS of its weights; {values.size} persons): the estimate rests on very few "
                f"persons and its standard error is not reliable below an ESS of {MIN_ESS:g}. "
                "With few persons, collect more data; with a few very large weights, trim them "
                "or use estimand='ATO'.",
                ESSWarning,
                stacklevel=3,
            )


def _wls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares: coefficients, residuals and the bread ``X'WX``."""
    bread = (x * w[:, None]).T @ x
    try:
        beta = np.linalg.solve(bread, (x * w[:, None]).T @ y)
    except np.linalg.LinAlgError as err:
        raise EstimationError(
            f"the weighted outcome model could not be solved ({err}); its design is singular."
        ) from err
    return beta, y - x @ beta, bread


# --------------------------------------------------------------------------- the estimator
def weighted_effect(
    data: pd.DataFrame,
    *,
    response: str,
    group: str,
    treated: object = None,
    weights: Any,
    covariates: list | None = None,
    person: str | None = None,
    ci_level: float = 0.95,
    se_method: str = "robust",
    n_bootstrap: int = 500,
    random_seed: int | None = None,
) -> WeightedEffect:
    """Weighted treatment effect with a robust, M-estimation or bootstrap standard error.

    Fits ``response ~ group (+ covariates)`` by weighted least squares; without covariates the
    group coefficient is the weighted difference in means (intervention minus comparison).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person; not modified.
    response : str
        Numeric response column (0/1 or booleans for a binary response). Rows where it is missing
        are excluded with a :class:`RowsExcludedWarning` giving the counts.
    group : str
        The two-group column; ``treated`` is the intervention group's label (see
        :func:`~mirabal_stats.data.persons.resolve_groups`).
    treated : optional
    weights : PropensityWeightsResults, Weights, pandas.Series or str
        Matched to rows by person label (the ``person`` column or the index), never by
        position: a fitted weighting result (which ``se_method="m_estimation"`` and
        ``"bootstrap"`` need), a :class:`~mirabal_stats.weighting.Weights`, a Series indexed by
        person, or the name of a weights column. Arrays and lists are refused.
    covariates : list of str, optional
        Adjust for these in the weighted regression ("doubly robust" in the sense of Kang &
        Schafer 2007 for entropy or propensity weights).
    person : str, optional
        Column of person ids (default: ``"person"`` when present, else the index).
    ci_level : float, default 0.95
    se_method : {"robust", "m_estimation", "bootstrap"}, default "robust"
        See the module docstring for which to choose.
    n_bootstrap : int, default 500
        Resamples for ``se_method="bootstrap"`` (at least 50).
    random_seed : int, optional
        Seed of the bootstrap.

    Returns
    -------
    WeightedEffect

    Raises
    ------
    EstimationError
        Fewer than 2 persons with a response in a group; a covariate collinear with the group or
        with other covariates; no more persons than coefficients; an M-estimation variance that
        cannot be computed (e.g. a separated propensity model).

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
    ...     pw = PropensityWeights(
    ...         df, group="treat",
    ...         covariates=["age", "educ", "race", "married", "nodegree", "re74", "re75"]).fit()
    >>> eff = weighted_effect(df, response="re78", group="treat", weights=pw,
    ...                       se_method="m_estimation")
    >>> round(eff.estimate, 1), round(eff.std_error, 1)
    (1214.1, 798.2)
    """
    level = check_ci_level(ci_level)
    if not isinstance(se_method, str) or se_method not in SE_METHODS:
        raise SpecificationError(
            f"se_method must be one of {', '.join(map(repr, SE_METHODS))}, got {se_method!r}."
        )
    n_bootstrap = int(
        check_number(n_bootstrap, name="n_bootstrap", lower=50, integer=True, example="500")
    )
    random_seed = check_random_seed(random_seed)
    if isinstance(response, str) and response == group:
        raise SpecificationError(
            f"response and group are the same column ({response!r}); the response is the "
            "outcome measured after the programme."
        )
    table = person_table(
        data,
        group=group,
        treated=treated,
        person=person,
        columns={"response": response},
        source="weighted_effect",
    )
    covariates = list(
        [covariates] if isinstance(covariates, str) else (covariates if covariates else [])
    )
    for c in covariates:
        if c in (group, response):
            raise SpecificationError(
                f"covariates may not include the {'group' if c == group else 'response'} column "
                f"{c!r}."
            )
    fitted = weights if isinstance(weights, PropensityWeightsResults) else None
    if se_method != "robust" and fitted is None:
        raise SpecificationError(
            f"se_method={se_method!r} needs to know how the weights were estimated: pass the "
            "fitted object (weights=pw, where pw = PropensityWeights(...).fit()), not a Series "
            "or Weights."
        )
    a_all = np.asarray(table.groups.indicator, dtype=int)
    y_all = _response_values(table, response)
    w_all, keep, source = _row_weights(table, weights, fitted)
    if covariates:
        design = build_design(data, covariates, missing="error", keys=table.keys)
        xcov_all, cov_names = design.model_matrix, design.model_names
    else:
        xcov_all, cov_names = np.empty((table.n, 0)), []
    observed = np.isfinite(y_all)
    n_dropped = int((keep & ~observed).sum())
    if n_dropped:
        gone = keep & ~observed
        warnings.warn(
            f"{n_dropped} row(s) with missing {response!r} excluded from the effect estimate "
            f"({int(np.sum(gone & (a_all == 1)))} intervention, "
            f"{int(np.sum(gone & (a_all == 0)))} comparison; e.g. person "
            f"{plain_value(table.keys[gone][0])!r}). If responses are missing not at random, "
            "multiply these weights by AttritionWeights.",
            RowsExcludedWarning,
            stacklevel=2,
        )
    used = keep & observed
    names = ["(Intercept)", str(group), *cov_names]
    x_all = np.column_stack([np.ones(table.n), a_all, xcov_all])
    x, y, w, a = x_all[used], y_all[used], w_all[used], a_all[used]
    labels = table.groups.labels
    _check_estimable(a, y, x, names, table.keys[used], group=str(group), labels=labels)
    beta, resid, bread = _wls(x, y, w)
    n = int(used.sum())
    boot = None
    if se_method == "robust":
        scores = x * (w * resid)[:, None]
        try:
            bread_inv = np.linalg.inv(bread)
        except np.linalg.LinAlgError as err:
            raise EstimationError(f"the robust variance could not be computed ({err}).") from err
        # survey::svyglm's with-replacement single-stage variance: HC0 times n / (n - 1).
        vcov = bread_inv @ (scores.T @ scores) @ bread_inv * n / (n - 1)
        se = _standard_errors(vcov, se_method)
    elif se_method == "m_estimation":
        aligned = _FittedOrder(fitted, table, x_all, y_all, used)
        se = _standard_errors(_m_estimation_vcov(fitted, aligned, covariates), se_method)
    else:
        aligned = _FittedOrder(fitted, table, x_all, y_all, used)
        boot = _bootstrap(fitted, aligned, n_bootstrap, random_seed)
        se = np.full(beta.size, np.nan)
        se[1] = float(np.std(boot, ddof=1))
    _warn_degenerate(a, y, w, response=str(response), labels=labels)
    coefficients = normal_table(beta, se, index=names, ci_level=level)
    coefficients.index.name = "term"
    return WeightedEffect(
        group=str(group),
        response=str(response),
        estimate=float(beta[1]),
        std_error=float(se[1]),
        ci_level=level,
        se_method=se_method,
        estimand=None if fitted is None else fitted.estimand,
        coefficients=coefficients,
        n_treated=int(np.sum(a == 1)),
        n_control=int(np.sum(a == 0)),
        ess_treated=effective_sample_size(w[a == 1]),
        ess_control=effective_sample_size(w[a == 0]),
        covariates=tuple(covariates),
        weights_source=source,
        bootstrap_estimates=boot,
        provenance=make_provenance(
            random_seed=random_seed,
            data=data[[response, group, *covariates]],
            settings={
                "response": response,
                "group": group,
                "treated": table.groups.treated,
                "covariates": covariates,
                "se_method": se_method,
                "ci_level": level,
                "n_bootstrap": n_bootstrap if se_method == "bootstrap" else None,
                "weights": source if fitted is None else fitted.spec.settings(),
            },
        ),
    )


def _standard_errors(vcov: np.ndarray, se_method: str) -> np.ndarray:
    diag = np.diag(vcov)
    if not np.all(np.isfinite(diag)) or np.any(diag < 0):
        raise EstimationError(
            f"the {se_method} variance of the effect is not a finite, non-negative number (the "
            "weights are probably extreme: a few persons with enormous weights). Check the "
            "weights and their effective sample size, trim them, or use se_method='bootstrap'."
        )
    return np.sqrt(diag)


class _FittedOrder:
    """The outcome data placed in the row order of the fitted weights (persons of the propensity
    model without an observed response in ``data`` get ``used = False``)."""

    def __init__(self, fitted, table: PersonTable, x_all, y_all, used) -> None:
        positions = fitted.keys.get_indexer(table.keys)
        if np.any(positions < 0):
            j = int(np.flatnonzero(positions < 0)[0])
            raise WeightingError(
                f"person {plain_value(table.keys[j])!r} of the data is not among the persons the "
                "weights were fitted on; fit the weights on the same persons."
            )
        differs = np.asarray(fitted.groups.indicator)[positions] != table.groups.indicator
        if differs.any():
            j = int(np.flatnonzero(differs)[0])
            raise SpecificationError(
                f"the group of {int(differs.sum())} person(s) differs from the group the weights "
                f"were fitted with (e.g. person {plain_value(table.keys[j])!r}); pass the same "
                "group column and treated label."
            )
        n = fitted.keys.size
        x = np.zeros((n, x_all.shape[1]))
        y = np.zeros(n)
        u = np.zeros(n, dtype=bool)
        x[positions] = x_all
        y[positions] = np.where(used, y_all, 0.0)
        u[positions] = used
        self.x, self.y, self.used = x, y, u


def _m_estimation_vcov(
    fitted: PropensityWeightsResults, aligned: _FittedOrder, covariates: list
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
    a = np.asarray(fitted.groups.indicator, dtype=int)
    p = np.asarray(fitted.propensity_values)
    used, x_all, y = aligned.used, aligned.x, aligned.y
    # Raw formula weights: normalisation and stabilisation rescale within group, which leaves the
    # weighted group means (and so the estimate without covariates) unchanged.
    # Infinite derivatives (a propensity of 0 or 1) make the Jacobian non-finite: detected below.
    with np.errstate(invalid="ignore"):
        w = weights_from_propensity(p, a, estimand=fitted.estimand) * used
        dw = np.where(used, weight_derivative(p, a, estimand=fitted.estimand), 0.0)
    separated = (
        " The propensity model is (quasi-)separated (see the SeparationWarning), so its "
        "information matrix is singular."
        if lf.separated
        else ""
    )
    fix = (
        " Use se_method='bootstrap' (or 'robust', which treats the weights as fixed), or remove "
        "the covariates that separate the groups."
    )
    if lf.separated:
        # The propensity MLE does not exist, so the sandwich has nothing to linearise around;
        # whether inverting the Jacobian fails or returns a huge finite number is only rounding.
        raise EstimationError(
            f"the M-estimation variance is not defined for these weights.{separated}{fix}"
        )
    try:
        with np.errstate(all="ignore"):
            beta_raw = np.linalg.solve((x_all * w[:, None]).T @ x_all, (x_all * w[:, None]).T @ y)
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
            vcov = (a_inv @ (psi.T @ psi) @ a_inv.T)[k:, k:]
    except (np.linalg.LinAlgError, ValueError) as err:
        raise EstimationError(
            f"the M-estimation variance cannot be computed: the stacked estimating equations "
            f"have a singular Jacobian ({err}).{separated}{fix}"
        ) from err
    diag = np.diag(vcov)
    if not np.all(np.isfinite(diag)) or np.any(diag < 0):
        raise EstimationError(
            "the M-estimation variance is not a finite, non-negative number (the stacked "
            f"Jacobian is numerically singular).{separated}{fix}"
        )
    return vcov


def _bootstrap(
    fitted: PropensityWeightsResults,
    aligned: _FittedOrder,
    n_bootstrap: int,
    random_seed: int | None,
) -> np.ndarray:
    """Group coefficients over resamples of persons within group, re-fitting the weights."""
    rng = np.random.default_rng(random_seed)
    a = np.asarray(fitted.groups.indicator, dtype=int)
    treated = np.flatnonzero(a == 1)
    control = np.flatnonzero(a == 0)
    estimates = []
    failures = 0
    reasons: dict[str, int] = {}
    for _ in range(n_bootstrap):
        # Resampling within group keeps both groups at their observed sizes.
        idx = np.concatenate([rng.choice(treated, treated.size), rng.choice(control, control.size)])
        try:
            # Refits warn about balance/separation in some resamples; those warnings concern one
            # resample each and would drown the output, so they are silenced and failures counted.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = fitted._refit(idx)
        except MirabalError as err:
            failures += 1
            kind = type(err).__name__
            reasons[kind] = reasons.get(kind, 0) + 1
            continue
        w = w * aligned.used[idx]
        x, y = aligned.x[idx], aligned.y[idx]
        root = np.sqrt(w)
        beta, _, rank, _ = np.linalg.lstsq(x * root[:, None], y * root, rcond=None)
        if rank < x.shape[1]:
            failures += 1
            reasons["singular design"] = reasons.get("singular design", 0) + 1
            continue
        estimates.append(beta[1])
    detail = ", ".join(f"{k}: {v}" for k, v in reasons.items())
    if failures > 0.1 * n_bootstrap:
        raise EstimationError(
            f"{failures} of {n_bootstrap} bootstrap refits failed ({detail}): no overlap or a "
            "singular design in the resample. The bootstrap standard error would be unreliable; "
            "simplify the propensity or outcome model."
        )
    if failures:
        warnings.warn(
            f"{failures} of {n_bootstrap} bootstrap refits failed and were skipped ({detail}); "
            f"the standard error uses the other {n_bootstrap - failures}.",
            EstimabilityWarning,
            stacklevel=3,
        )
    return np.asarray(estimates)
