"""`PropensityWeights`: specify the weighting on person-level data, fit it, and get weights and
balance diagnostics back in an immutable results object."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import (
    TABLE_COLUMNS,
    Provenance,
    Results,
    Summary,
    check_ci_level,
    make_provenance,
    normal_table,
)
from mirabal_stats.data.persons import GroupCoding, person_table, plain_value
from mirabal_stats.exceptions import (
    BalanceWarning,
    ESSWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting._design import (
    CovariateDesign,
    build_design,
    build_formula_design,
    check_flag,
    check_number,
    check_random_seed,
    check_trim_quantile,
    dependent_columns,
    parse_formula,
)
from mirabal_stats.weighting.balance import (
    DEFAULT_SD_DENOMINATOR,
    SD_DENOMINATORS,
    BalanceTable,
    balance_statistics,
    standardization_factor,
)
from mirabal_stats.weighting.weights import (
    TrimReport,
    check_bounds,
    check_estimand,
    effective_sample_size,
    normalize_weights,
    trim_weights,
    weights_from_propensity,
)

__all__ = ["PropensityWeights", "PropensityWeightsResults", "METHODS"]

METHODS = ("logistic", "gbm", "entropy", "cbps")
_GROUP_LABELS = ((1, "treated"), (0, "control"))


class PropensityWeights:
    """Weights that make the comparison group resemble the intervention group on baseline covariates.

    The constructor checks the data and the specification (cheap: no model is fitted);
    :meth:`fit` estimates the weights and returns a :class:`PropensityWeightsResults` with the
    weights, propensity scores, balance table, effective sample sizes and plots.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person (e.g. ``IndicatorPanel.baseline()``); not modified.
    group : str
        The two-group column (labels such as ``"programme"`` / ``"comparison"``, 0/1, or
        booleans, nullable ``"boolean"`` included). With ``formula=`` it is the formula's left-hand
        side and may be omitted.
    treated : optional
        The intervention group's label in ``group`` (default: ``True``, ``1``, or the one label
        named like "intervention" / "programme" / "treated"; see
        :func:`~mirabal_stats.data.persons.resolve_groups`).
    covariates : list of str, optional
        Baseline covariates. Numbers are used as numbers; booleans, categoricals and text as
        categories (one dummy per level, the first dropped in the propensity model; every level
        of a 3+ level category is shown in the balance table). A text column in which some values
        read as numbers is refused with the column and a value named.
    formula : str, optional
        Instead of ``covariates``: ``"treated ~ age + I(age**2) + C(site) + age:separated"``
        (formulaic syntax; the left-hand side is the group column). Balance is reported on the
        terms of the design. A formula of plain column names joined by ``+`` is the same as
        ``covariates=[...]``.
    person : str, optional
        Column of person ids. Default: the column ``"person"`` when present, else the index.
        Weights are keyed by these labels (:meth:`PropensityWeightsResults.to_weights`).
    estimand : {"ATT", "ATE", "ATO"}, default "ATT"
        ATT reweights the comparison group to the intervention group (treated weights 1); ATE
        reweights both to the whole sample; ATO gives overlap weights (Li et al. 2018).
    method : {"logistic", "gbm", "entropy", "cbps"}, default "logistic"
        ``"logistic"``: unpenalised logistic regression (separation detected and reported).
        ``"gbm"``: gradient-boosted trees (scikit-learn) with the number of trees chosen for
        balance (see :mod:`mirabal_stats.weighting._sklearn` for the defaults).
        ``"entropy"``: entropy balancing (Hainmueller 2012), exact balance on the means (and with
        ``moments=2`` the variances) of the covariates; ATT or ATE.
        ``"cbps"``: just-identified covariate-balancing propensity score (Imai & Ratkovic 2014).
    stabilize : bool, default False
        Stabilised ATE weights (multiplied by the share of each group).
    normalize : bool, default False
        Rescale weights to sum to the group size within each group.
    trim_quantile : float, optional
        Truncate weights above this within-group quantile (0.5 < q < 1, e.g. 0.99).
    propensity_bounds : (float, float), optional
        Give weight 0 to units with propensity outside the bounds (changes the estimand).
    moments : {1, 2}, default 1
        Entropy balancing only: 1 balances means, 2 means and variances.
    missing : {"error", "indicator"}, default "error"
        Missing covariate values: an error naming each column and count, or filled (mean / a
        ``"missing"`` level) with a ``<name>_missing`` indicator added.
    balance_threshold : float, default 0.1
        Absolute SMD (binary covariates: absolute difference in proportions) above which a
        covariate is unbalanced.
    vr_threshold : float, optional
        Variance ratios outside ``[1/vr_threshold, vr_threshold]`` also fail (e.g. 2).
    ess_threshold : float, default 0.2
        Warn when a reweighted group's effective sample size falls below this share (0 to 1) of
        its size; 0 never warns.
    gbm_options : dict, optional
        ``method="gbm"`` only: options for ``sklearn.ensemble.GradientBoostingClassifier``.
    random_seed : int, optional
        Seed for ``method="gbm"``.

    Raises
    ------
    SpecificationError
        An option is invalid, a column is missing, the group column does not hold two groups, the
        covariate terms are collinear.
    WeightingError
        The data cannot support weighting: fewer than 2 persons in a group, no more persons than
        propensity-model terms, missing or unreadable covariate values, a constant covariate.

    References
    ----------
    Rosenbaum, P. R. & Rubin, D. B. (1983). The central role of the propensity score in
    observational studies for causal effects. *Biometrika* 70:41-55. doi:10.1093/biomet/70.1.41
    Hirano, K., Imbens, G. W. & Ridder, G. (2003). Efficient estimation of average treatment
    effects using the estimated propensity score. *Econometrica* 71:1161-1189.
    doi:10.1111/1468-0262.00442
    Li, F., Morgan, K. L. & Zaslavsky, A. M. (2018). Balancing covariates via propensity score
    weighting. *JASA* 113:390-400. doi:10.1080/01621459.2016.1260466
    Hainmueller, J. (2012). Entropy balancing for causal effects. *Political Analysis* 20:25-46.
    doi:10.1093/pan/mpr025
    Imai, K. & Ratkovic, M. (2014). Covariate balancing propensity score. *JRSS B* 76:243-263.
    doi:10.1111/rssb.12027

    Examples
    --------
    >>> import warnings
    >>> from mirabal_stats.datasets import load_lalonde
    >>> from mirabal_stats.weighting import PropensityWeights
    >>> df = load_lalonde()
    >>> spec = PropensityWeights(
    ...     df, group="treat",
    ...     covariates=["age", "educ", "race", "married", "nodegree", "re74", "re75"])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # age stays above |SMD| 0.1: a BalanceWarning
    ...     pw = spec.fit()
    >>> round(float(pw.effective_sample_size().loc["control", "ess"]), 2)
    99.82
    >>> round(float(pw.balance().frame.loc["age", "diff_adj"]), 4)
    0.1188
    >>> pw.to_weights()
    Weights(propensity (ATT, logistic); 614 persons)
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        group: str | None = None,
        treated: object = None,
        covariates: list | None = None,
        formula: str | None = None,
        person: str | None = None,
        estimand: str = "ATT",
        method: str = "logistic",
        stabilize: bool = False,
        normalize: bool = False,
        trim_quantile: float | None = None,
        propensity_bounds: tuple[float, float] | None = None,
        moments: int = 1,
        missing: str = "error",
        balance_threshold: float = 0.1,
        vr_threshold: float | None = None,
        ess_threshold: float = 0.2,
        gbm_options: dict | None = None,
        random_seed: int | None = None,
    ) -> None:
        self._check_options(
            estimand=estimand,
            method=method,
            stabilize=stabilize,
            normalize=normalize,
            trim_quantile=trim_quantile,
            propensity_bounds=propensity_bounds,
            moments=moments,
            balance_threshold=balance_threshold,
            vr_threshold=vr_threshold,
            ess_threshold=ess_threshold,
            gbm_options=gbm_options,
            random_seed=random_seed,
        )
        rhs = None
        if formula is not None:
            if covariates is not None:
                raise SpecificationError(
                    "give either formula= or covariates=, not both (the formula's right-hand side "
                    "names the covariates)."
                )
            lhs, rhs, plain = parse_formula(formula)
            if group is not None and group != lhs:
                raise SpecificationError(
                    f"group={group!r} differs from the left-hand side of formula {formula!r} "
                    f"({lhs!r}); the formula's left-hand side is the group column."
                )
            group = lhs
            if plain is not None:
                covariates, rhs = plain, None
        elif covariates is None:
            raise SpecificationError(
                "PropensityWeights needs covariates=[...] or formula='group ~ ...': the baseline "
                "covariates the comparison group should resemble the intervention group on."
            )
        if group is None:
            raise SpecificationError(
                "PropensityWeights needs group=, the column holding the two groups "
                "(intervention and comparison)."
            )
        self.formula = formula
        self.group = group
        self._table = person_table(
            data, group=group, treated=treated, person=person, source="PropensityWeights"
        )
        keys = self._table.keys
        if rhs is not None:
            self._design = build_formula_design(
                data, rhs, missing=missing, keys=keys, exclude=(group,)
            )
        else:
            listed = [covariates] if isinstance(covariates, str) else covariates
            if any(c == group for c in listed):
                raise SpecificationError(
                    f"the group column {group!r} is listed among the covariates; weighting "
                    "balances covariates between the groups, so remove it from covariates."
                )
            self._design = build_design(data, listed, missing=missing, keys=keys)
        self.covariates = self._design.covariates
        self.missing = missing
        self._check_design()
        self._provenance_data = data[[group, *self.covariates]]

    # ------------------------------------------------------------------ validation
    def _check_options(self, **options: Any) -> None:
        self.estimand = check_estimand(options["estimand"])
        method = options["method"]
        if not isinstance(method, str) or method not in METHODS:
            raise SpecificationError(
                f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}."
            )
        self.method = method
        self.stabilize = check_flag(options["stabilize"], name="stabilize")
        self.normalize = check_flag(options["normalize"], name="normalize")
        if self.stabilize and self.estimand != "ATE":
            raise SpecificationError(
                f"stabilize=True applies to ATE weights only (estimand is {self.estimand!r})."
            )
        if method == "entropy" and self.estimand == "ATO":
            raise SpecificationError(
                "entropy balancing supports estimand 'ATT' or 'ATE'; overlap weights (ATO) come "
                "from a propensity model: use method='logistic'."
            )
        trim_quantile, bounds = options["trim_quantile"], options["propensity_bounds"]
        if trim_quantile is not None and bounds is not None:
            raise SpecificationError("give at most one of trim_quantile= and propensity_bounds=.")
        if method == "entropy" and bounds is not None:
            raise SpecificationError(
                "propensity_bounds needs propensity scores, which method='entropy' does not "
                "estimate; use trim_quantile instead."
            )
        self.trim_quantile = check_trim_quantile(trim_quantile)
        self.propensity_bounds = None if bounds is None else check_bounds(bounds)
        moments = options["moments"]
        if isinstance(moments, bool) or moments not in (1, 2):
            raise SpecificationError(f"moments must be 1 or 2, got {moments!r}.")
        if moments == 2 and method != "entropy":
            raise SpecificationError("moments=2 applies to method='entropy' only.")
        self.moments = int(moments)
        self.balance_threshold = check_number(
            options["balance_threshold"],
            name="balance_threshold",
            lower=0.0,
            lower_open=True,
            example="0.1",
        )
        vr = options["vr_threshold"]
        self.vr_threshold = (
            None
            if vr is None
            else check_number(vr, name="vr_threshold", lower=1.0, lower_open=True, example="2")
        )
        self.ess_threshold = check_number(
            options["ess_threshold"], name="ess_threshold", lower=0.0, upper=1.0, example="0.2"
        )
        gbm_options = options["gbm_options"]
        if gbm_options is not None and not isinstance(gbm_options, dict):
            raise SpecificationError(
                f"gbm_options must be a dict of GradientBoostingClassifier options, got "
                f"{type(gbm_options).__name__}."
            )
        if gbm_options and method != "gbm":
            raise SpecificationError(
                f"gbm_options applies to method='gbm' only (method is {method!r})."
            )
        self.gbm_options = dict(gbm_options or {})
        self.random_seed = check_random_seed(options["random_seed"])

    def _check_design(self) -> None:
        a = self._table.groups.indicator
        groups = self._table.groups
        for code, label in ((1, groups.treated), (0, groups.comparison)):
            members = np.flatnonzero(a == code)
            if members.size < 2:
                raise WeightingError(
                    f"propensity weighting needs at least 2 persons in each group, but group "
                    f"{plain_value(label)!r} of column {self.group!r} has {members.size} (person "
                    f"{plain_value(self._table.keys[members[0]])!r}). No balance or spread can be "
                    "estimated from one person: collect more data, or compare descriptively."
                )
        if self.method == "gbm":
            return
        n, p = a.size, self._design.model_matrix.shape[1]
        if n <= p + 1:
            raise WeightingError(
                f"the propensity model has {p + 1} coefficients (intercept and "
                f"{p} covariate term(s): {', '.join(self._design.model_names[:8])}"
                f"{', ...' if p > 8 else ''}) but the data have only {n} persons; it needs more "
                "persons than coefficients. Use fewer covariates (or coarser categories)."
            )
        names = ["(Intercept)", *self._design.model_names]
        dependent = dependent_columns(
            np.column_stack([np.ones(n), self._design.model_matrix]), names
        )
        if dependent:
            detail = "; ".join(
                f"{col!r} is a linear combination of {', '.join(map(repr, partners)) or 'nothing'}"
                for col, partners in dependent[:3]
            )
            raise SpecificationError(
                f"the covariate terms are collinear ({detail}), so the propensity model's "
                "coefficients are not identified. Remove the redundant term(s) (e.g. a column "
                "that repeats another, or every level of a category plus its total)."
            )

    # ------------------------------------------------------------------ description
    def settings(self) -> dict[str, Any]:
        """The specification as a plain dictionary (recorded in the provenance)."""
        return {
            "group": self.group,
            "treated": self._table.groups.treated,
            "covariates": list(self.covariates),
            "formula": self.formula,
            "person": self._table.person,
            "estimand": self.estimand,
            "method": self.method,
            "stabilize": self.stabilize,
            "normalize": self.normalize,
            "trim_quantile": self.trim_quantile,
            "propensity_bounds": self.propensity_bounds,
            "moments": self.moments,
            "missing": self.missing,
            "balance_threshold": self.balance_threshold,
            "vr_threshold": self.vr_threshold,
            "ess_threshold": self.ess_threshold,
            "gbm_options": self.gbm_options,
            "random_seed": self.random_seed,
        }

    def __repr__(self) -> str:
        return (
            f"PropensityWeights(estimand={self.estimand!r}, method={self.method!r}, "
            f"group={self.group!r}, persons={self._table.n}, "
            f"terms={len(self._design.model_names)})"
        )

    # ------------------------------------------------------------------ fitting
    def fit(self) -> PropensityWeightsResults:
        """Estimate the weights and return them with balance diagnostics.

        Issues :class:`BalanceWarning` (a covariate term fails the threshold),
        :class:`ESSWarning` (a reweighted group's effective sample size below
        ``ess_threshold``) and :class:`SeparationWarning` (the propensity model separates the
        groups); raises :class:`WeightingError` when there is no overlap at all.

        Returns
        -------
        PropensityWeightsResults
        """
        a = np.asarray(self._table.groups.indicator, dtype=int)
        estimate = self._estimate(a, self._design, warn=True)
        results = PropensityWeightsResults(
            spec=self,
            keys=self._table.keys.copy(),
            groups=self._table.groups,
            weight_values=estimate["weights"],
            propensity_values=estimate["propensity"],
            design=self._design,
            logistic_fit=estimate["logistic_fit"],
            entropy_fits=estimate["entropy_fits"],
            trim_report=estimate["trim_report"],
            extra=estimate["extra"],
            provenance=make_provenance(
                random_seed=self.random_seed,
                data=self._provenance_data,
                settings=self.settings(),
            ),
        )
        results._warn()
        return results

    def _estimate(self, a: np.ndarray, design: CovariateDesign, *, warn: bool) -> dict[str, Any]:
        """Weights for group codes ``a`` and a design (the full data, or a bootstrap resample)."""
        logistic_fit = None
        entropy_fits = None
        extra: dict[str, Any] = {}
        propensity = None
        if self.method == "logistic":
            from mirabal_stats.weighting.propensity import fit_logistic

            logistic_fit = fit_logistic(design.model_matrix, a, design.model_names, warn=warn)
            propensity = logistic_fit.propensity
        elif self.method == "cbps":
            from mirabal_stats.weighting.cbps import fit_cbps

            logistic_fit = fit_cbps(
                design.model_matrix, a, design.model_names, estimand=self.estimand
            )
            propensity = logistic_fit.propensity
        elif self.method == "gbm":
            from mirabal_stats.weighting._sklearn import fit_boosted

            scale = standardization_factor(
                design.balance_matrix,
                a,
                binary=design.balance_binary,
                sd_denominator=DEFAULT_SD_DENOMINATOR[self.estimand],
            )
            boosted = fit_boosted(
                design.model_matrix,
                a,
                balance_x=design.balance_matrix,
                balance_scale=scale,
                weight_fn=lambda p: weights_from_propensity(
                    p, a, estimand=self.estimand, stabilize=self.stabilize
                ),
                options=self.gbm_options,
                random_seed=self.random_seed,
            )
            propensity = boosted.propensity
            extra["gbm_n_trees"] = boosted.n_trees
            extra["gbm_options"] = boosted.options
        if propensity is not None:
            _check_overlap(propensity, a, self.group)
            w = weights_from_propensity(
                propensity, a, estimand=self.estimand, stabilize=self.stabilize
            )
            if not np.all(np.isfinite(w)):
                raise WeightingError(
                    f"{int(np.sum(~np.isfinite(w)))} person(s) got an infinite weight: their "
                    "propensity is exactly 0 or 1 (separation, see the SeparationWarning). Drop "
                    "or coarsen the separating covariates, use estimand='ATO' (bounded weights) "
                    "or method='entropy'."
                )
        else:
            from mirabal_stats.weighting.entropy import entropy_balance_groups

            w, entropy_fits = entropy_balance_groups(
                design.model_matrix,
                a,
                estimand=self.estimand,
                moments=self.moments,
                names=design.model_names,
            )
            extra["entropy_max_imbalance"] = max(f.max_imbalance for f in entropy_fits.values())
            extra["entropy_iterations"] = {int(k): f.n_iter for k, f in entropy_fits.items()}
        trim_report = None
        if self.trim_quantile is not None or self.propensity_bounds is not None:
            w, trim_report = trim_weights(
                w,
                a,
                propensity=propensity,
                quantile=self.trim_quantile,
                propensity_bounds=self.propensity_bounds,
                estimand=self.estimand,
            )
            for code, label in ((1, "intervention"), (0, "comparison")):
                if not np.any(w[a == code] > 0):
                    raise WeightingError(
                        f"after trimming ({trim_report.rule}) the {label} group has no persons "
                        "left; widen the propensity bounds."
                    )
        if self.normalize:
            w = normalize_weights(w, a)
        return {
            "weights": np.asarray(w, dtype=float),
            "propensity": propensity,
            "logistic_fit": logistic_fit,
            "entropy_fits": entropy_fits,
            "trim_report": trim_report,
            "extra": extra,
        }


def _check_overlap(propensity: np.ndarray, a: np.ndarray, group: str) -> None:
    p1, p0 = propensity[a == 1], propensity[a == 0]
    # Ranges that share even one point overlap (identical propensities are perfect overlap).
    if p1.min() > p0.max() or p0.min() > p1.max():
        raise WeightingError(
            f"no overlap at all: the propensity scores of the two groups in {group!r} do not "
            f"intersect (intervention {p1.min():.3g} to {p1.max():.3g}, comparison {p0.min():.3g} "
            f"to {p0.max():.3g}). The covariates separate the groups completely, so no weighting "
            "can make them comparable. Restrict the sample to the region of common support or "
            "drop the separating covariates (see the SeparationWarning)."
        )


@dataclass(frozen=True, eq=False)
class PropensityWeightsResults(Results):
    """Fitted weights with balance diagnostics (returned by :meth:`PropensityWeights.fit`).

    Weights are keyed by person label (the ``person`` column of the fitted table, or its index):
    pass the results object itself to any outcome model (``weights=pw``), or
    :meth:`to_weights`, or multiply it with attrition weights (``pw * aw``).

    ``to_frame()`` is the propensity model's coefficient table (``term`` index;
    ``estimate, std_error, lower, upper, ci_level, p_value``):

    - ``method="logistic"``: maximum-likelihood coefficients with standard errors from the
      inverse information (as R's ``glm``);
    - ``method="cbps"``: coefficients with the just-identified GMM sandwich standard errors;
    - ``method="entropy"``: the dual parameters (Lagrange multipliers) of the balance constraints,
      on the covariates' scale, with NaN standard errors, and a ``group`` column saying which
      group they reweight (two sets for the ATE);
    - ``method="gbm"``: no coefficients: an empty table with the same columns.

    The per-person weights are :meth:`weights_frame` (and the :attr:`weights` Series).

    Attributes
    ----------
    keys : pandas.Index
        The person label of each fitted row.
    groups : GroupCoding
        The group labels (``groups.treated``, ``groups.comparison``) and the 0/1 indicator.
    logistic_fit : LogisticFit or None
        The propensity model (logistic and CBPS).
    entropy_fits : dict or None
        ``{group code: EntropyFit}`` for entropy balancing.
    trim_report : TrimReport or None
    provenance : Provenance
    """

    __pandas_priority__ = 5000  # so that ``series * result`` is delegated to __rmul__

    spec: PropensityWeights
    keys: pd.Index
    groups: GroupCoding
    weight_values: np.ndarray
    propensity_values: np.ndarray | None
    design: CovariateDesign
    logistic_fit: Any
    entropy_fits: dict | None
    trim_report: TrimReport | None
    extra: dict
    provenance: Provenance = field(repr=False)

    def __post_init__(self) -> None:
        for arr in (self.weight_values, self.propensity_values):
            if arr is not None:
                arr.setflags(write=False)

    # ------------------------------------------------------------------ basic quantities
    @property
    def estimand(self) -> str:
        return self.spec.estimand

    @property
    def method(self) -> str:
        return self.spec.method

    @property
    def group(self) -> str:
        """The two-group column the weights were fitted on."""
        return self.spec.group

    @property
    def covariates(self) -> tuple:
        """The data columns the propensity model reads."""
        return self.design.covariates

    @property
    def indicator(self) -> np.ndarray:
        """0/1 per fitted person (1 = intervention group), in the order of :attr:`keys`."""
        out = np.asarray(self.groups.indicator, dtype=int).copy()
        out.setflags(write=False)
        return out

    @property
    def weights(self) -> pd.Series:
        """Weights keyed by person label (a new Series on every access)."""
        return pd.Series(np.array(self.weight_values), index=self.keys, name="weights")

    @property
    def propensity(self) -> pd.Series | None:
        """Fitted propensity scores keyed by person label (None for entropy balancing)."""
        if self.propensity_values is None:
            return None
        return pd.Series(np.array(self.propensity_values), index=self.keys, name="propensity")

    def to_weights(self):
        """The weights as a :class:`~mirabal_stats.weighting.Weights`, keyed by person label.

        Examples
        --------
        >>> import pandas as pd
        >>> from mirabal_stats.weighting import PropensityWeights
        >>> data = pd.DataFrame({"person": [1, 2, 3, 4, 5, 6], "treated": [1, 1, 1, 0, 0, 0],
        ...                      "age": [30, 41, 25, 36, 52, 29]})
        >>> w = PropensityWeights(data, group="treated", covariates=["age"]).fit().to_weights()
        >>> w.sources
        ('propensity (ATT, logistic)',)
        >>> w.for_persons([1, 2]).tolist()
        [1.0, 1.0]
        """
        from mirabal_stats.weighting.analysis_weights import Weights

        return Weights(self.weights, source=f"propensity ({self.estimand}, {self.method})")

    def __mul__(self, other: object):
        return self.to_weights() * other

    def __rmul__(self, other: object):
        from mirabal_stats.weighting.analysis_weights import Weights

        return Weights(other) * self.to_weights()

    def effective_sample_size(self) -> pd.DataFrame:
        """Kish effective sample size per group: ``n``, ``ess``, ``ess_ratio`` (ess / n)."""
        rows = {}
        a = self.groups.indicator
        for code, label in _GROUP_LABELS:
            w = self.weight_values[a == code]
            ess = effective_sample_size(w)
            rows[label] = {"n": int(w.size), "ess": ess, "ess_ratio": ess / w.size}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("group")

    def overlap(self) -> pd.DataFrame:
        """Propensity-score distribution per group and units outside the other group's range.

        Columns ``n, min, q05, median, q95, max, n_outside_common_support`` (units whose score
        lies outside the range shared by both groups). Empty for entropy balancing.
        """
        if self.propensity_values is None:
            return pd.DataFrame()
        p, a = self.propensity_values, self.groups.indicator
        lo = max(p[a == 1].min(), p[a == 0].min())
        hi = min(p[a == 1].max(), p[a == 0].max())
        rows = {}
        for code, label in _GROUP_LABELS:
            pg = p[a == code]
            rows[label] = {
                "n": int(pg.size),
                "min": pg.min(),
                "q05": np.quantile(pg, 0.05),
                "median": np.median(pg),
                "q95": np.quantile(pg, 0.95),
                "max": pg.max(),
                "n_outside_common_support": int(np.sum((pg < lo) | (pg > hi))),
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("group")

    def balance(
        self,
        *,
        threshold: float | None = None,
        vr_threshold: float | None = None,
        sd_denominator: str | None = None,
    ) -> BalanceTable:
        """Balance table before and after weighting (cobalt conventions; see :class:`BalanceTable`).

        Parameters
        ----------
        threshold : float, optional
            Defaults to the ``balance_threshold`` of the specification (0.1).
        vr_threshold : float, optional
        sd_denominator : {"treated", "control", "pooled"}, optional
            Defaults to ``"treated"`` for the ATT and ``"pooled"`` for the ATE and ATO.
        """
        denom = sd_denominator or DEFAULT_SD_DENOMINATOR[self.estimand]
        if denom not in SD_DENOMINATORS:
            raise SpecificationError(
                f"sd_denominator must be one of {', '.join(map(repr, SD_DENOMINATORS))}, got "
                f"{sd_denominator!r}."
            )
        threshold = (
            self.spec.balance_threshold
            if threshold is None
            else check_number(threshold, name="threshold", lower=0.0, lower_open=True)
        )
        vr_threshold = (
            self.spec.vr_threshold
            if vr_threshold is None
            else check_number(vr_threshold, name="vr_threshold", lower=1.0, lower_open=True)
        )
        frame = balance_statistics(
            self.design.balance_matrix,
            self.groups.indicator,
            self.weight_values,
            names=self.design.balance_names,
            binary=self.design.balance_binary,
            sd_denominator=denom,
        )
        return BalanceTable(
            statistics=frame,
            estimand=self.estimand,
            sd_denominator=denom,
            threshold=threshold,
            vr_threshold=vr_threshold,
            ess=self.effective_sample_size()["ess"],
        )

    # ------------------------------------------------------------------ tables
    def to_frame(self, *, ci_level: float = 0.95) -> pd.DataFrame:
        """The propensity model's estimate table (see the class docstring for each method)."""
        level = check_ci_level(ci_level)
        if self.logistic_fit is not None:
            fit = self.logistic_fit
            table = normal_table(fit.coef, fit.std_error, index=fit.names, ci_level=level)
        elif self.entropy_fits is not None:
            parts = []
            for code, fit in sorted(self.entropy_fits.items(), reverse=True):
                part = normal_table(
                    fit.dual, np.full(fit.dual.shape, np.nan), index=fit.names, ci_level=level
                )
                part["group"] = "intervention" if code == 1 else "comparison"
                parts.append(part)
            table = pd.concat(parts)
        else:
            table = pd.DataFrame(
                {c: pd.Series(dtype=float) for c in [*TABLE_COLUMNS, "p_value"]},
                index=pd.Index([], dtype=object),
            )
        table.index.name = "term"
        return table

    def weights_frame(self) -> pd.DataFrame:
        """One row per person (index: person label): ``group`` (label), ``treated`` (0/1),
        ``propensity`` (NaN for entropy balancing) and ``weights``."""
        labels = np.where(
            self.groups.indicator == 1,
            np.asarray([self.groups.treated], dtype=object),
            np.asarray([self.groups.comparison], dtype=object),
        )
        return pd.DataFrame(
            {
                "group": labels,
                "treated": np.asarray(self.groups.indicator, dtype=int),
                "propensity": np.nan
                if self.propensity_values is None
                else np.array(self.propensity_values),
                "weights": np.array(self.weight_values),
            },
            index=self.keys.copy(),
        )

    def summary(self) -> Summary:
        """Plain-language description of the weights, their spread, ESS, balance and model."""
        ess = self.effective_sample_size()
        # The ESS is stated in its own sentence below, not again in the balance paragraph.
        bal = replace(self.balance(), ess=pd.Series(dtype=float))
        target = {
            "ATT": "the comparison group was reweighted to resemble the intervention group",
            "ATE": "both groups were reweighted to resemble the whole sample",
            "ATO": "both groups were reweighted to the overlap population",
        }[self.estimand]
        method = {
            "logistic": "a logistic propensity model",
            "gbm": f"gradient-boosted trees ({self.extra.get('gbm_n_trees')} trees, chosen for "
            "balance)",
            "entropy": "entropy balancing"
            + (" of means and variances" if self.spec.moments == 2 else " of means"),
            "cbps": "a covariate-balancing propensity score (just-identified)",
        }[self.method]
        on = (
            f"formula {self.spec.formula!r}"
            if self.design.formula is not None
            else ", ".join(map(str, self.covariates))
        )
        comparison = self.weight_values[self.groups.indicator == 0]
        paragraphs = [
            f"Propensity weighting for the {self.estimand}: {target}, using {method} on {on}.",
            f"Weights in the comparison group range from {comparison.min():.3g} to "
            f"{comparison.max():.3g}; effective sample sizes: intervention "
            f"{ess.loc['treated', 'ess']:.1f} of {ess.loc['treated', 'n']}, comparison "
            f"{ess.loc['control', 'ess']:.1f} of {ess.loc['control', 'n']}.",
        ]
        if self.trim_report is not None:
            paragraphs.append(f"Trimming: {self.trim_report.describe()}.")
        if self.design.missing_report:
            paragraphs.append(
                "Missing covariate values were filled and flagged with indicators: "
                + ", ".join(f"{k} ({v})" for k, v in self.design.missing_report.items())
                + "."
            )
        paragraphs.append(bal.summary().paragraphs[0])
        tables = {"balance": bal.summary().tables[0][1], "effective sample size": ess}
        if len(self.to_frame()):
            tables["propensity model"] = self.to_frame()
        return Summary.build(*paragraphs, tables=tables)

    # ------------------------------------------------------------------ plots
    def plot_love(self, *, ax=None, absolute: bool = True, stat: str = "diff"):
        """Love plot (balance statistic per covariate before/after weighting); returns the Axes."""
        return self.balance().plot_love(ax=ax, absolute=absolute, stat=stat)

    def plot_propensity(self, *, ax=None, bins: int = 30, weighted: bool = False):
        """Histograms of the propensity score by group; returns the Axes.

        For entropy balancing (no propensity score) it draws the comparison weights instead.
        """
        from mirabal_stats.weighting.plots import propensity_plot

        return propensity_plot(self, ax=ax, bins=bins, weighted=weighted)

    # ------------------------------------------------------------------ bootstrap refits
    def _refit(self, rows: np.ndarray) -> np.ndarray:
        """Weights of the same specification re-fitted on rows ``rows`` (a bootstrap resample,
        positions into :attr:`keys`), without warnings."""
        a = np.asarray(self.groups.indicator, dtype=int)[rows]
        return self.spec._estimate(a, self.design.take(rows), warn=False)["weights"]

    # ------------------------------------------------------------------ warnings
    def _warn(self) -> None:
        ess = self.effective_sample_size()
        reweighted = ["control"] if self.estimand == "ATT" else ["treated", "control"]
        names = {"treated": "intervention", "control": "comparison"}
        for label in reweighted:
            ratio = ess.loc[label, "ess_ratio"]
            if ratio < self.spec.ess_threshold:
                warnings.warn(
                    f"The effective sample size of the {names[label]} group collapsed to "
                    f"{ess.loc[label, 'ess']:.1f} of {ess.loc[label, 'n']} units "
                    f"({100 * ratio:.0f}% < {100 * self.spec.ess_threshold:.0f}%, "
                    "ess_threshold): a few units carry most of the weight, so estimates will be "
                    "noisy. Check overlap (plot_propensity()), trim extreme weights "
                    "(trim_quantile=0.99) or use estimand='ATO'.",
                    ESSWarning,
                    stacklevel=3,
                )
        bal = self.balance()
        if not bal.all_balanced:
            warnings.warn(
                f"Balance after weighting fails |diff| < {bal.threshold:g} for "
                f"{len(bal.unbalanced)} covariate term(s): {bal.describe_unbalanced()}. Outcome "
                "estimates may still be confounded by them. Add interactions or squares (a "
                "formula such as 'group ~ age + I(age**2)'), try method='entropy', or adjust for "
                "them in the outcome model (weighted_effect(..., covariates=[...])).",
                BalanceWarning,
                stacklevel=3,
            )
