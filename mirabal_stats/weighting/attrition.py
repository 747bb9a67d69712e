"""Attrition weights: inverse probability of responding at each survey wave.

For each wave a logistic model predicts response from baseline covariates and group. A person
who responds at wave t gets weight ``1 / P(respond at t | X)``; non-responders get 0. Under
*monotone* dropout (once gone, never back) the model at wave t is fitted among those still
present at t - 1 and may use the outcome observed at t - 1; the weight is the inverse of the
cumulative product of these conditional probabilities (Robins, Rotnitzky & Zhao 1995). With
``stabilize=True`` weights are multiplied by the wave's response rate, so responders' weights
average about 1.

Outcome models on the panel use the product of these weights and the person's group
(propensity) weights: :func:`combine_weights`.

References
----------
Robins, J. M., Rotnitzky, A. & Zhao, L. P. (1995). Analysis of semiparametric regression models
for repeated outcomes in the presence of missing data. *JASA* 90:106-121.
doi:10.1080/01621459.1995.10476493
Seaman, S. R. & White, I. R. (2013). Review of inverse probability weighting for dealing with
missing data. *Statistical Methods in Medical Research* 22:278-295. doi:10.1177/0962280210395740
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from mirabal_stats._results import Provenance, make_provenance
from mirabal_stats.exceptions import (
    ESSWarning,
    EstimabilityWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting._design import build_design
from mirabal_stats.weighting.propensity import fit_logistic
from mirabal_stats.weighting.weights import effective_sample_size

__all__ = ["AttritionWeights", "AttritionWeightsResults", "combine_weights"]


def combine_weights(attrition: pd.Series, group: pd.Series) -> pd.Series:
    """Product of person x wave attrition weights and person-level group weights.

    Parameters
    ----------
    attrition : pandas.Series
        MultiIndex ``(person, wave)`` (e.g. ``AttritionWeightsResults.weights``).
    group : pandas.Series
        Indexed by person (e.g. ``PropensityWeightsResults.weights`` fitted on
        ``panel.baseline().set_index("person")``).

    Returns
    -------
    pandas.Series
        MultiIndex ``(person, wave)``, named ``weights``.
    """
    if not isinstance(attrition.index, pd.MultiIndex) or attrition.index.nlevels != 2:
        raise SpecificationError("attrition weights must have a (person, wave) MultiIndex.")
    persons = attrition.index.get_level_values(0)
    missing = pd.Index(persons.unique()).difference(group.index)
    if len(missing):
        raise SpecificationError(
            f"group weights are missing for {len(missing)} person(s) (e.g. {missing[0]!r}); index "
            "the group weights by person (fit on panel.baseline().set_index('person'))."
        )
    product = attrition.to_numpy(dtype=float) * group.reindex(persons).to_numpy(dtype=float)
    return pd.Series(product, index=attrition.index, name="weights")


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve (c-statistic) by the Mann-Whitney rank formula."""
    n1 = int(y.sum())
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        return np.nan
    ranks = stats.rankdata(p)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _is_panel(data: object) -> bool:
    return hasattr(data, "baseline") and hasattr(data, "to_arrays") and callable(data.baseline)


class AttritionWeights:
    """Inverse-probability-of-response weights per person and wave.

    Parameters
    ----------
    covariates : list of str, optional
        Baseline covariates of the response models. For an ``IndicatorPanel`` the default is
        all its covariates; for DataFrames they must be named.
    include_group : bool, default True
        Add the group to every response model (dropout often differs by arm).
    monotone : bool, default False
        Sequential models for monotone dropout (see module docstring); fails if some person
        returns after missing a wave.
    stabilize : bool, default True
        Multiply by each wave's response rate.
    trim_quantile : float, optional
        Truncate weights above this quantile within each wave (e.g. 0.99).
    ess_threshold : float, default 0.2
        Warn when a wave's ESS among responders falls below this share of its responders.

    References
    ----------
    Robins, Rotnitzky & Zhao (1995), doi:10.1080/01621459.1995.10476493; Seaman & White (2013),
    doi:10.1177/0962280210395740.

    Examples
    --------
    >>> import pandas as pd
    >>> from mirabal_stats.weighting import AttritionWeights
    >>> baseline = pd.DataFrame({"group": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                          "age": [30, 41, 25, 36, 52, 29, 44, 38]},
    ...                         index=pd.Index(range(8), name="person"))
    >>> responded = pd.DataFrame({1: [True] * 8,
    ...                           2: [True, True, False, True, True, False, True, True]},
    ...                          index=baseline.index)
    >>> aw = AttritionWeights(covariates=["age"]).fit(responded, baseline=baseline)
    >>> float(aw.weights.loc[(2, 2)])
    0.0
    """

    def __init__(
        self,
        *,
        covariates: list | None = None,
        include_group: bool = True,
        monotone: bool = False,
        stabilize: bool = True,
        trim_quantile: float | None = None,
        ess_threshold: float = 0.2,
    ) -> None:
        if trim_quantile is not None and not 0.5 < trim_quantile < 1:
            raise SpecificationError(f"trim_quantile must lie in (0.5, 1), got {trim_quantile!r}.")
        self.covariates = None if covariates is None else list(covariates)
        self.include_group = bool(include_group)
        self.monotone = bool(monotone)
        self.stabilize = bool(stabilize)
        self.trim_quantile = trim_quantile
        self.ess_threshold = float(ess_threshold)

    def settings(self) -> dict:
        return {
            "covariates": self.covariates,
            "include_group": self.include_group,
            "monotone": self.monotone,
            "stabilize": self.stabilize,
            "trim_quantile": self.trim_quantile,
            "ess_threshold": self.ess_threshold,
        }

    # ------------------------------------------------------------------ inputs
    def _inputs(self, data, baseline, person, wave, responded, group):
        if _is_panel(data):
            base = data.baseline().set_index("person")
            if hasattr(data, "responded"):
                resp = data.responded()
            else:
                arrays = data.to_arrays()
                resp = pd.DataFrame(
                    arrays.responded,
                    index=pd.Index(arrays.persons, name="person"),
                    columns=pd.Index(arrays.waves, name="wave"),
                )
            group_col = "treated"
            covs = list(data.covariate_names) if self.covariates is None else self.covariates
            return resp.astype(bool), base, group_col, covs
        if not isinstance(data, pd.DataFrame):
            raise SpecificationError(
                f"fit() takes an IndicatorPanel or a DataFrame of responses, got {type(data).__name__}."
            )
        if baseline is None:
            raise SpecificationError(
                "with a DataFrame of responses, pass baseline= (one row per person, indexed by "
                "person or with a 'person' column, holding the group and covariates)."
            )
        if {person, wave, responded} <= set(data.columns):
            dupes = int(data.duplicated([person, wave]).sum())
            if dupes:
                raise SpecificationError(
                    f"{dupes} duplicated (person, wave) rows in the long response data."
                )
            resp = data.pivot(index=person, columns=wave, values=responded)
        else:
            resp = data
        if resp.isna().any().any():
            raise SpecificationError(
                f"the response table has {int(resp.isna().sum().sum())} missing cells; it needs "
                "True/False for every person and wave (False = did not respond)."
            )
        base = baseline.set_index(person) if person in baseline.columns else baseline
        missing = resp.index.difference(base.index)
        if len(missing):
            raise SpecificationError(
                f"baseline has no row for {len(missing)} person(s) of the response table (e.g. "
                f"{missing[0]!r})."
            )
        if group not in base.columns and self.include_group:
            raise SpecificationError(
                f"group column {group!r} is not in baseline; name it with group= or pass "
                "include_group=False."
            )
        return resp.astype(bool), base, group, list(self.covariates or [])

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        data,
        *,
        baseline: pd.DataFrame | None = None,
        person: str = "person",
        wave: str = "wave",
        responded: str = "responded",
        group: str = "group",
        prior_outcome: pd.DataFrame | None = None,
    ) -> AttritionWeightsResults:
        """Fit one response model per wave and return the weights.

        Parameters
        ----------
        data : IndicatorPanel or pandas.DataFrame
            A panel (uses ``baseline()`` and who responded at each wave), or a person x wave
            table of booleans (index person, columns waves in order), or a long table with
            columns ``person, wave, responded``.
        baseline : pandas.DataFrame, optional
            Person-level group and covariates (needed with DataFrame input).
        person, wave, responded, group : str
            Column names for DataFrame input.
        prior_outcome : pandas.DataFrame, optional
            ``monotone=True`` only: a person x wave table of an outcome summary; the response
            model at wave t uses its value at wave t - 1.
        """
        resp, base, group_col, covs = self._inputs(data, baseline, person, wave, responded, group)
        if prior_outcome is not None and not self.monotone:
            raise SpecificationError(
                "prior_outcome needs monotone=True: under intermittent missingness the previous "
                "outcome is unobserved for some persons at risk."
            )
        terms = ([group_col] if self.include_group else []) + [c for c in covs if c != group_col]
        if not terms:
            raise SpecificationError("the response models need covariates or include_group=True.")
        base = base.reindex(resp.index)
        design = build_design(base, terms, missing="error")
        r = resp.to_numpy(dtype=bool)
        n, t_count = r.shape
        waves = list(resp.columns)
        if self.monotone:
            returns = np.any(~r[:, :-1] & r[:, 1:], axis=1)
            if returns.any():
                raise WeightingError(
                    f"monotone=True but {int(returns.sum())} person(s) respond again after missing a "
                    f"wave (e.g. {resp.index[returns][0]!r}). Use monotone=False for intermittent "
                    "missingness."
                )
        prob = np.ones((n, t_count))
        rows = []
        for t in range(t_count):
            at_risk = np.ones(n, dtype=bool) if not self.monotone or t == 0 else r[:, t - 1]
            y = r[at_risk, t].astype(float)
            x = design.model_matrix[at_risk]
            names = list(design.model_names)
            if self.monotone and prior_outcome is not None and t > 0:
                prev = prior_outcome.reindex(resp.index)[waves[t - 1]].to_numpy(dtype=float)[
                    at_risk
                ]
                if np.isnan(prev).any():
                    raise WeightingError(
                        f"prior_outcome at wave {waves[t - 1]!r} is missing for "
                        f"{int(np.isnan(prev).sum())} person(s) who responded then."
                    )
                x = np.column_stack([x, prev])
                names.append("prior_outcome")
            info = {
                "wave": waves[t],
                "n_at_risk": int(at_risk.sum()),
                "n_responded": int(y.sum()),
                "response_rate": float(y.mean()) if y.size else np.nan,
                "auc": np.nan,
                "pseudo_r2": np.nan,
                "separated": False,
                "modelled": False,
            }
            cond = np.ones(int(at_risk.sum()))
            if y.size and 0 < y.sum() < y.size:
                keep = x.std(axis=0) > 0
                fit = fit_logistic(
                    x[:, keep],
                    y,
                    [nm for nm, k in zip(names, keep) if k],
                    context=f"response model for wave {waves[t]!r}",
                )
                cond = fit.propensity
                ybar = y.mean()
                null_ll = y.size * (ybar * np.log(ybar) + (1 - ybar) * np.log(1 - ybar))
                info.update(
                    auc=_auc(y, cond),
                    pseudo_r2=1 - fit.log_likelihood / null_ll,
                    separated=fit.separated,
                    modelled=True,
                )
            elif y.size and y.sum() == 0:
                warnings.warn(
                    f"nobody responded at wave {waves[t]!r}; its weights are all 0.",
                    EstimabilityWarning,
                    stacklevel=2,
                )
            prev_prob = prob[:, t - 1] if self.monotone and t > 0 else np.ones(n)
            prob[:, t] = prev_prob
            prob[at_risk, t] = prev_prob[at_risk] * cond
            rows.append(info)
        with np.errstate(divide="ignore"):
            w = np.where(r, 1.0 / prob, 0.0)
        if self.stabilize:
            w = w * r.mean(axis=0)
        if self.trim_quantile is not None:
            for t in range(t_count):
                if r[:, t].any():
                    cap = np.quantile(w[r[:, t], t], self.trim_quantile)
                    w[:, t] = np.minimum(w[:, t], cap)
        index = pd.MultiIndex.from_product([resp.index, waves], names=["person", "wave"])
        results = AttritionWeightsResults(
            spec=self,
            index=index,
            responded_values=r,
            probability_values=prob,
            weight_values=w,
            models=pd.DataFrame(rows).set_index("wave"),
            provenance=make_provenance(data=base[terms], settings=self.settings()),
        )
        results._warn()
        return results


@dataclass(frozen=True, eq=False)
class AttritionWeightsResults:
    """Fitted attrition weights (returned by :meth:`AttritionWeights.fit`)."""

    spec: AttritionWeights
    index: pd.MultiIndex
    responded_values: np.ndarray
    probability_values: np.ndarray
    weight_values: np.ndarray
    models: pd.DataFrame
    provenance: Provenance = field(repr=False)

    @property
    def weights(self) -> pd.Series:
        """Weights with MultiIndex ``(person, wave)``; 0 where the person did not respond."""
        return pd.Series(self.weight_values.ravel().copy(), index=self.index, name="weights")

    @property
    def response_probability(self) -> pd.Series:
        """Modelled probability of responding (cumulative under monotone dropout)."""
        return pd.Series(
            self.probability_values.ravel().copy(), index=self.index, name="response_probability"
        )

    def to_frame(self) -> pd.DataFrame:
        """Long table: ``person, wave, responded, response_probability, weights``."""
        return pd.DataFrame(
            {
                "responded": self.responded_values.ravel(),
                "response_probability": self.probability_values.ravel(),
                "weights": self.weight_values.ravel(),
            },
            index=self.index,
        ).reset_index()

    def response_models(self) -> pd.DataFrame:
        """Per wave: persons at risk, responders, response rate, AUC and McFadden pseudo-R²."""
        return self.models.copy()

    def weight_summary(self) -> pd.DataFrame:
        """Per wave, among responders: ``n_responded, min, mean, max, ess, ess_ratio``."""
        rows = {}
        waves = self.index.get_level_values("wave").unique()
        for t, label in enumerate(waves):
            w = self.weight_values[self.responded_values[:, t], t]
            ess = effective_sample_size(w) if w.size else 0.0
            rows[label] = {
                "n_responded": int(w.size),
                "min": w.min() if w.size else np.nan,
                "mean": w.mean() if w.size else np.nan,
                "max": w.max() if w.size else np.nan,
                "ess": ess,
                "ess_ratio": ess / w.size if w.size else np.nan,
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("wave")

    def combine(self, group_weights: pd.Series) -> pd.Series:
        """Product with person-level group weights (see :func:`combine_weights`)."""
        return combine_weights(self.weights, group_weights)

    def summary(self) -> str:
        ws = self.weight_summary()
        models = self.models
        lines = [
            "Attrition weights: inverse probability of responding at each wave"
            + (" (monotone dropout, sequential models)" if self.spec.monotone else "")
            + ("; stabilised by the wave's response rate" if self.spec.stabilize else "")
            + "."
        ]
        for wave_label, row in ws.iterrows():
            m = models.loc[wave_label]
            auc = "" if np.isnan(m["auc"]) else f", response-model AUC {m['auc']:.2f}"
            lines.append(
                f"wave {wave_label}: {int(row['n_responded'])} of {int(m['n_at_risk'])} responded; "
                f"weights {row['min']:.3g} to {row['max']:.3g}, ESS {row['ess']:.1f}{auc}"
            )
        return "\n".join(lines)

    def plot_weights(self, *, ax=None):
        """Box plot of responders' weights per wave; returns the Axes."""
        from matplotlib.figure import Figure

        if ax is None:
            ax = Figure(figsize=(6, 4)).add_subplot(1, 1, 1)
        waves = list(self.index.get_level_values("wave").unique())
        data = [self.weight_values[self.responded_values[:, t], t] for t in range(len(waves))]
        ax.boxplot(data)
        ax.set_xticks(range(1, len(waves) + 1))
        ax.set_xticklabels(list(map(str, waves)))
        ax.set_xlabel("wave")
        ax.set_ylabel("attrition weight (responders)")
        ax.set_title("Attrition weights by wave")
        return ax

    def _warn(self) -> None:
        ws = self.weight_summary()
        low = ws[ws["ess_ratio"] < self.spec.ess_threshold]
        if len(low):
            detail = ", ".join(
                f"wave {k}: {r['ess']:.1f} of {int(r['n_responded'])}" for k, r in low.iterrows()
            )
            warnings.warn(
                f"Attrition weights leave a low effective sample size among responders ({detail}). "
                "A few responders stand in for many dropouts; consider trim_quantile=0.99 or "
                "fewer covariates in the response models.",
                ESSWarning,
                stacklevel=3,
            )
