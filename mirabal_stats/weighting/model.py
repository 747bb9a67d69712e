"""`PropensityWeights`: specify a weighting method, fit it to person-level data, get weights and
balance diagnostics back in an immutable results object."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import Provenance, make_provenance
from mirabal_stats.exceptions import (
    BalanceWarning,
    ESSWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting._design import CovariateDesign, build_design, check_treatment
from mirabal_stats.weighting.balance import (
    DEFAULT_SD_DENOMINATOR,
    BalanceTable,
    balance_frame,
    standardization_factor,
)
from mirabal_stats.weighting.weights import (
    TrimReport,
    check_estimand,
    effective_sample_size,
    normalize_weights,
    trim_weights,
    weights_from_propensity,
)

__all__ = ["PropensityWeights", "PropensityWeightsResults", "METHODS"]

METHODS = ("logistic", "gbm", "entropy", "cbps")
_FORMULA = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*~\s*(.+)$")


def parse_formula(formula: str) -> tuple[str, list]:
    """Split ``"treat ~ a + b + c"`` into the treatment and covariate names.

    Only additive formulas of column names are accepted: categoricals are detected from the
    column type, so ``C(x)`` is not needed; transformations should be made as new columns.
    """
    match = _FORMULA.match(formula)
    if not match:
        raise SpecificationError(
            f"formula {formula!r} is not of the form 'treatment ~ covariate + covariate ...'."
        )
    terms = [t.strip() for t in match.group(2).split("+")]
    bad = [t for t in terms if not re.fullmatch(r"[A-Za-z_][\w.]*", t)]
    if bad:
        raise SpecificationError(
            f"formula terms {bad} are not plain column names. Only additive formulas are "
            "supported: add transformed or interaction columns to the DataFrame first."
        )
    return match.group(1), terms


class PropensityWeights:
    """Weights that make the comparison group resemble the intervention group on baseline covariates.

    Specify the estimand and method here; :meth:`fit` estimates the weights and returns a
    :class:`PropensityWeightsResults` with the weights, propensity scores, balance table,
    effective sample sizes and plots. Construction is cheap and only checks the options.

    Parameters
    ----------
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
        Truncate weights above this within-group quantile (e.g. 0.99).
    propensity_bounds : (float, float), optional
        Give weight 0 to units with propensity outside the bounds (changes the estimand).
    moments : {1, 2}, default 1
        Entropy balancing only: 1 balances means, 2 means and variances.
    missing : {"error", "indicator"}, default "error"
        What to do with missing covariate values (see :func:`build_design`).
    balance_threshold : float, default 0.1
        Absolute SMD (binary covariates: absolute difference in proportions) above which a
        covariate is unbalanced.
    vr_threshold : float, optional
        Variance ratios outside ``[1/vr_threshold, vr_threshold]`` also fail (e.g. 2).
    ess_threshold : float, default 0.2
        Warn when a reweighted group's effective sample size falls below this share of its size.
    gbm_options : dict, optional
        Options for ``sklearn.ensemble.GradientBoostingClassifier``.
    random_seed : int, optional
        Seed for ``method="gbm"`` (and bootstrap refits).

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
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # age stays above |SMD| 0.1: a BalanceWarning
    ...     pw = PropensityWeights(estimand="ATT").fit(
    ...         df, treatment="treat",
    ...         covariates=["age", "educ", "race", "married", "nodegree", "re74", "re75"])
    >>> round(float(pw.effective_sample_size().loc["control", "ess"]), 2)
    99.82
    >>> round(float(pw.balance().to_frame().loc["age", "diff_adj"]), 4)
    0.1188
    """

    def __init__(
        self,
        estimand: str = "ATT",
        method: str = "logistic",
        *,
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
        self.estimand = check_estimand(estimand)
        if method not in METHODS:
            raise SpecificationError(f"method must be one of {', '.join(METHODS)}, got {method!r}.")
        self.method = method
        if stabilize and self.estimand != "ATE":
            raise SpecificationError(
                f"stabilize=True applies to ATE weights only (estimand is {self.estimand!r})."
            )
        if method == "entropy" and self.estimand == "ATO":
            raise SpecificationError(
                "entropy balancing supports estimand 'ATT' or 'ATE'; overlap weights (ATO) come "
                "from a propensity model: use method='logistic'."
            )
        if method == "entropy" and propensity_bounds is not None:
            raise SpecificationError(
                "propensity_bounds needs propensity scores, which method='entropy' does not "
                "estimate; use trim_quantile instead."
            )
        if trim_quantile is not None and propensity_bounds is not None:
            raise SpecificationError("give at most one of trim_quantile= and propensity_bounds=.")
        if moments not in (1, 2):
            raise SpecificationError(f"moments must be 1 or 2, got {moments!r}.")
        if moments == 2 and method != "entropy":
            raise SpecificationError("moments=2 applies to method='entropy' only.")
        if not balance_threshold > 0:
            raise SpecificationError(
                f"balance_threshold must be positive, got {balance_threshold!r}."
            )
        if vr_threshold is not None and not vr_threshold > 1:
            raise SpecificationError(f"vr_threshold must exceed 1 (e.g. 2), got {vr_threshold!r}.")
        self.stabilize = bool(stabilize)
        self.normalize = bool(normalize)
        self.trim_quantile = trim_quantile
        self.propensity_bounds = propensity_bounds
        self.moments = moments
        self.missing = missing
        self.balance_threshold = float(balance_threshold)
        self.vr_threshold = vr_threshold
        self.ess_threshold = float(ess_threshold)
        self.gbm_options = dict(gbm_options or {})
        self.random_seed = random_seed

    def settings(self) -> dict[str, Any]:
        """The specification as a plain dictionary (recorded in the provenance)."""
        return {
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
        return f"PropensityWeights(estimand={self.estimand!r}, method={self.method!r})"

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        data: pd.DataFrame,
        *,
        treatment: str | None = None,
        covariates: list | None = None,
        formula: str | None = None,
        warn: bool = True,
    ) -> PropensityWeightsResults:
        """Estimate the weights.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per person (e.g. ``IndicatorPanel.baseline()``); not modified.
        treatment : str
            0/1 (or boolean) column: 1 = intervention group.
        covariates : list of str
            Baseline covariates; object/categorical/boolean columns are expanded into levels.
        formula : str, optional
            ``"treat ~ age + educ + race"`` instead of ``treatment`` and ``covariates``.
        warn : bool, default True
            Issue balance and ESS warnings (bootstrap refits turn them off).

        Returns
        -------
        PropensityWeightsResults
        """
        if formula is not None:
            if treatment is not None or covariates is not None:
                raise SpecificationError(
                    "give either formula= or treatment= and covariates=, not both."
                )
            treatment, covariates = parse_formula(formula)
        if treatment is None or covariates is None:
            raise SpecificationError("fit() needs treatment= and covariates= (or formula=).")
        a = check_treatment(data, treatment)
        design = build_design(data, list(covariates), missing=self.missing)
        logistic_fit = None
        extra: dict[str, Any] = {}
        propensity = None
        if self.method == "logistic":
            from mirabal_stats.weighting.propensity import fit_logistic

            logistic_fit = fit_logistic(design.model_matrix, a, design.model_names)
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
            _check_overlap(propensity, a, treatment)
            w = weights_from_propensity(
                propensity, a, estimand=self.estimand, stabilize=self.stabilize
            )
        else:
            from mirabal_stats.weighting.entropy import entropy_balance_groups

            w, fits = entropy_balance_groups(
                design.model_matrix,
                a,
                estimand=self.estimand,
                moments=self.moments,
                names=design.model_names,
            )
            extra["entropy_max_imbalance"] = max(f.max_imbalance for f in fits.values())
            extra["entropy_iterations"] = {int(k): f.n_iter for k, f in fits.items()}
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
            for code, label in ((1, "treated"), (0, "comparison")):
                if not np.any(w[a == code] > 0):
                    raise WeightingError(
                        f"after trimming ({trim_report.rule}) the {label} group has no units "
                        "left; widen the propensity bounds."
                    )
        if self.normalize:
            w = normalize_weights(w, a)
        results = PropensityWeightsResults(
            spec=self,
            treatment_name=treatment,
            covariates=tuple(covariates),
            index=data.index.copy(),
            treatment=a,
            weight_values=w,
            propensity_values=propensity,
            design=design,
            logistic_fit=logistic_fit,
            trim_report=trim_report,
            extra=extra,
            data=data[[treatment, *covariates]].copy(),
            person_ids=pd.Index(data["person"], name="person")
            if "person" in data.columns
            else None,
            provenance=make_provenance(
                random_seed=self.random_seed,
                data=data[[treatment, *covariates]],
                settings={
                    **self.settings(),
                    "treatment": treatment,
                    "covariates": list(covariates),
                },
            ),
        )
        if warn:
            results._warn()
        return results


def _check_overlap(propensity: np.ndarray, a: np.ndarray, treatment: str) -> None:
    p1, p0 = propensity[a == 1], propensity[a == 0]
    if p1.min() >= p0.max() or p0.min() >= p1.max():
        raise WeightingError(
            f"no overlap at all: the propensity scores of the two groups in {treatment!r} do not "
            f"intersect (treated {p1.min():.3g} to {p1.max():.3g}, comparison {p0.min():.3g} to "
            f"{p0.max():.3g}). The covariates separate the groups completely, so no weighting can "
            "make them comparable. Restrict the sample to the region of common support or drop "
            "the separating covariates (see the SeparationWarning)."
        )


@dataclass(frozen=True, eq=False)
class PropensityWeightsResults:
    """Fitted weights with balance diagnostics (returned by :meth:`PropensityWeights.fit`).

    ``weights`` has one weight per row of the input, aligned to its index; ``by_person`` holds
    the same weights indexed by person id when the input had a ``person`` column (as
    ``IndicatorPanel.baseline()`` has): pass the results object itself, or ``by_person``, to the
    outcome models (``IndicatorModel(weights=...)``, ``frequentist.did(weights=...)``).

    Attributes
    ----------
    propensity : pandas.Series or None
        Fitted propensity scores (None for entropy balancing).
    estimand, method : str
    trim_report : TrimReport or None
    provenance : Provenance
    """

    spec: PropensityWeights
    treatment_name: str
    covariates: tuple
    index: pd.Index
    treatment: np.ndarray
    weight_values: np.ndarray
    propensity_values: np.ndarray | None
    design: CovariateDesign
    logistic_fit: Any
    trim_report: TrimReport | None
    extra: dict
    data: pd.DataFrame = field(repr=False)
    provenance: Provenance = field(repr=False)
    person_ids: pd.Index | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for arr in (self.treatment, self.weight_values, self.propensity_values):
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
    def weights(self) -> pd.Series:
        """Weights aligned to the input index (a new Series on every access)."""
        return pd.Series(np.array(self.weight_values), index=self.index, name="weights")

    @property
    def by_person(self) -> pd.Series:
        """Weights indexed by person id (the ``person`` column of the fitted table).

        This is what the outcome models look weights up by; ``weights`` keeps the input's index
        for :func:`weighted_effect` on the same table.
        """
        if self.person_ids is None:
            raise WeightingError(
                "the table the weights were fitted on has no 'person' column, so the weights "
                "cannot be keyed by person id. Fit on IndicatorPanel.baseline() (which has one) "
                "or re-key: fitted.weights.set_axis(table['person'])."
            )
        return pd.Series(np.array(self.weight_values), index=self.person_ids, name="weights")

    @property
    def propensity(self) -> pd.Series | None:
        if self.propensity_values is None:
            return None
        return pd.Series(np.array(self.propensity_values), index=self.index, name="propensity")

    def effective_sample_size(self) -> pd.DataFrame:
        """Kish effective sample size per group: ``n``, ``ess``, ``ess_ratio`` (ess / n)."""
        rows = {}
        for code, label in ((1, "treated"), (0, "control")):
            w = self.weight_values[self.treatment == code]
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
        p, a = self.propensity_values, self.treatment
        lo = max(p[a == 1].min(), p[a == 0].min())
        hi = min(p[a == 1].max(), p[a == 0].max())
        rows = {}
        for code, label in ((1, "treated"), (0, "control")):
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
        frame = balance_frame(
            self.design.balance_matrix,
            self.treatment,
            self.weight_values,
            names=self.design.balance_names,
            binary=self.design.balance_binary,
            sd_denominator=denom,
        )
        return BalanceTable(
            frame=frame,
            estimand=self.estimand,
            sd_denominator=denom,
            threshold=self.spec.balance_threshold if threshold is None else float(threshold),
            vr_threshold=self.spec.vr_threshold if vr_threshold is None else vr_threshold,
            ess=self.effective_sample_size()["ess"],
        )

    def to_frame(self) -> pd.DataFrame:
        """Per-unit table: ``treatment``, ``propensity`` (NaN for entropy) and ``weights``."""
        return pd.DataFrame(
            {
                "treatment": np.array(self.treatment),
                "propensity": np.nan
                if self.propensity_values is None
                else np.array(self.propensity_values),
                "weights": np.array(self.weight_values),
            },
            index=self.index,
        )

    def summary(self) -> str:
        """Plain-language description of the weights, their spread, ESS and balance."""
        ess = self.effective_sample_size()
        bal = self.balance()
        target = {
            "ATT": "the comparison group was reweighted to resemble the intervention group",
            "ATE": "both groups were reweighted to resemble the whole sample",
            "ATO": "both groups were reweighted to the overlap population",
        }[self.estimand]
        method = {
            "logistic": "a logistic propensity model",
            "gbm": f"gradient-boosted trees ({self.extra.get('gbm_n_trees')} trees, chosen for balance)",
            "entropy": "entropy balancing"
            + (" of means and variances" if self.spec.moments == 2 else " of means"),
            "cbps": "a covariate-balancing propensity score (just-identified)",
        }[self.method]
        lines = [
            f"Propensity weighting for the {self.estimand}: {target}, using {method} on "
            f"{', '.join(self.covariates)}.",
            f"Weights in the comparison group range from {self.weight_values[self.treatment == 0].min():.3g} "
            f"to {self.weight_values[self.treatment == 0].max():.3g}; effective sample sizes: treated "
            f"{ess.loc['treated', 'ess']:.1f} of {ess.loc['treated', 'n']}, comparison "
            f"{ess.loc['control', 'ess']:.1f} of {ess.loc['control', 'n']}.",
        ]
        if self.trim_report is not None:
            lines.append(f"Trimming: {self.trim_report.describe()}.")
        if self.design.missing_report:
            lines.append(
                "Missing covariate values were filled and flagged with indicators: "
                + ", ".join(f"{k} ({v})" for k, v in self.design.missing_report.items())
                + "."
            )
        lines.append(bal.summary())
        return "\n".join(lines)

    # ------------------------------------------------------------------ plots
    def plot_love(self, *, ax=None, absolute: bool = True, stat: str = "diff"):
        """Love plot (balance statistic per covariate before/after weighting); returns the Axes."""
        return self.balance().plot_love(ax=ax, absolute=absolute, stat=stat)

    def plot_propensity(self, *, ax=None, bins: int = 30, weighted: bool = False):
        """Histograms of the propensity score by group; returns the Axes."""
        from mirabal_stats.weighting.plots import propensity_plot

        return propensity_plot(self, ax=ax, bins=bins, weighted=weighted)

    # ------------------------------------------------------------------ refit (bootstrap)
    def refit(self, data: pd.DataFrame) -> PropensityWeightsResults:
        """Fit the same specification to new data (bootstrap resamples), without warnings."""
        return self.spec.fit(
            data, treatment=self.treatment_name, covariates=list(self.covariates), warn=False
        )

    # ------------------------------------------------------------------ warnings
    def _warn(self) -> None:
        ess = self.effective_sample_size()
        reweighted = ["control"] if self.estimand == "ATT" else ["treated", "control"]
        for label in reweighted:
            ratio = ess.loc[label, "ess_ratio"]
            if ratio < self.spec.ess_threshold:
                warnings.warn(
                    f"The effective sample size of the {label} group collapsed to "
                    f"{ess.loc[label, 'ess']:.1f} of {ess.loc[label, 'n']} units "
                    f"({100 * ratio:.0f}% < {100 * self.spec.ess_threshold:.0f}%): a few units carry "
                    "most of the weight, so estimates will be noisy. Check overlap "
                    "(plot_propensity()), trim extreme weights (trim_quantile=0.99) or use "
                    "estimand='ATO'.",
                    ESSWarning,
                    stacklevel=3,
                )
        bal = self.balance()
        if not bal.all_balanced:
            table = bal.to_frame()
            bad = table.loc[~table["balanced"], "diff_adj"]
            detail = ", ".join(f"{k} ({v:+.3f})" for k, v in bad.items())
            warnings.warn(
                f"Balance after weighting fails |diff| < {bal.threshold:g} for {len(bad)} covariate "
                f"term(s): {detail}. Outcome estimates may still be confounded by them. Add "
                "interactions or squares, try method='entropy', or adjust for them in the outcome "
                "model (weighted_effect(..., covariates=[...])).",
                BalanceWarning,
                stacklevel=3,
            )
