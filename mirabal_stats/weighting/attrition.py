"""Attrition weights: inverse probability of responding at each survey wave.

For each wave a logistic model predicts response from baseline covariates and group. A person
who responds at wave t gets weight ``1 / P(respond at t | X)``; non-responders get 0. Under
*monotone* dropout (once gone, never back) the model at wave t is fitted among those still
present at t - 1 and may use the outcome observed at t - 1; the weight is the inverse of the
cumulative product of these conditional probabilities (Robins, Rotnitzky & Zhao 1995). With
``stabilize=True`` weights are multiplied by the wave's response rate, so responders' weights
average about 1.

Outcome models on the panel use the product of these weights and the person's group
(propensity) weights: ``propensity_result * attrition_result`` is a
:class:`~mirabal_stats.weighting.Weights` keyed by (person, wave).

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

from mirabal_stats._results import (
    TABLE_COLUMNS,
    Provenance,
    Results,
    Summary,
    axes_or_new,
    check_ci_level,
    make_provenance,
    normal_table,
)
from mirabal_stats.data.persons import (
    check_id_types,
    person_table,
    plain_value,
    require_columns,
)
from mirabal_stats.exceptions import (
    ESSWarning,
    EstimabilityWarning,
    RowsExcludedWarning,
    SpecificationError,
    WeightingError,
)
from mirabal_stats.weighting._design import (
    build_design,
    check_flag,
    check_number,
    check_trim_quantile,
)
from mirabal_stats.weighting.propensity import fit_logistic
from mirabal_stats.weighting.weights import effective_sample_size

__all__ = ["AttritionWeights", "AttritionWeightsResults"]


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve (c-statistic) by the Mann-Whitney rank formula."""
    n1 = int(y.sum())
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        return np.nan
    ranks = stats.rankdata(p)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _is_panel(data: object) -> bool:
    return hasattr(data, "baseline") and hasattr(data, "responded") and callable(data.baseline)


def _response_table(resp: pd.DataFrame) -> pd.DataFrame:
    """The person x wave table as booleans, refusing anything but True/False/0/1."""
    if resp.isna().any().any():
        holes = resp.isna().stack()
        person, wave = holes[holes].index[0]
        raise SpecificationError(
            f"the response table has {int(resp.isna().sum().sum())} missing cells (e.g. person "
            f"{plain_value(person)!r} at wave {plain_value(wave)!r}); it needs True/False (or "
            "1/0) for every person and wave (False = did not respond)."
        )
    values = resp.to_numpy(dtype=object)
    ok = np.vectorize(lambda v: isinstance(v, (bool, np.bool_)) or v in (0, 1), otypes=[bool])(
        values
    )
    if not ok.all():
        i, j = (int(v[0]) for v in np.nonzero(~ok))
        raise SpecificationError(
            f"the response table must hold True/False (or 1/0), but {int((~ok).sum())} cell(s) "
            f"do not (e.g. {plain_value(values[i, j])!r} for person "
            f"{plain_value(resp.index[i])!r} at wave {plain_value(resp.columns[j])!r}). Recode "
            "it, e.g. table == 'yes'."
        )
    if resp.index.has_duplicates:
        raise SpecificationError(
            f"the response table has {int(resp.index.duplicated().sum())} repeated person(s) (e.g. "
            f"{plain_value(resp.index[resp.index.duplicated()][0])!r}); give one row per person."
        )
    if resp.shape[1] == 0:
        raise SpecificationError("the response table has no waves (columns).")
    return resp.astype(bool)


class AttritionWeights:
    """Inverse-probability-of-response weights per person and wave.

    The constructor checks the data and the specification (cheap); :meth:`fit` fits one
    response model per wave.

    Parameters
    ----------
    data : IndicatorPanel or pandas.DataFrame
        A panel (its ``baseline()`` and who responded at each wave), or a person x wave table of
        booleans (index: person, columns: waves in order), or a long table with columns
        ``person, wave, responded``.
    baseline : pandas.DataFrame, optional
        With a DataFrame: one row per person (person column or index) holding the group and the
        covariates.
    person, wave, responded : str, optional
        Column names of a long response table (``"person"``, ``"wave"``, ``"responded"``); the
        person column of ``baseline`` (default: ``"person"`` when present, else its index).
    group : str, default "group"
        The two-group column of ``baseline`` (a panel uses its own groups).
    treated : optional
        The intervention group's label in ``group``.
    covariates : list of str, optional
        Baseline covariates of the response models. For an ``IndicatorPanel`` the default is
        all its covariates; for DataFrames they must be named.
    include_group : bool, default True
        Add the group (1 = intervention) to every response model (dropout often differs by arm).
    monotone : bool, default False
        Sequential models for monotone dropout (see module docstring); refuses data in which
        some person returns after missing a wave.
    stabilize : bool, default True
        Multiply by each wave's response rate.
    trim_quantile : float, optional
        Truncate weights above this quantile within each wave (0.5 < q < 1, e.g. 0.99).
    ess_threshold : float, default 0.2
        Warn when a wave's ESS among responders falls below this share (0 to 1) of its
        responders; 0 never warns.
    prior_outcome : pandas.DataFrame, optional
        ``monotone=True`` only: a person x wave table of an outcome summary; the response
        model at wave t uses its value at wave t - 1.

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
    ...                           2: [True, True, False, True, True, True, False, True]},
    ...                          index=baseline.index)
    >>> aw = AttritionWeights(responded, baseline=baseline, covariates=["age"]).fit()
    >>> float(aw.weights.loc[(2, 2)])
    0.0
    >>> aw.to_weights()
    Weights(attrition; 14 person-waves)
    """

    def __init__(
        self,
        data: object,
        *,
        baseline: pd.DataFrame | None = None,
        person: str | None = None,
        wave: str = "wave",
        responded: str = "responded",
        group: str = "group",
        treated: object = None,
        covariates: list | None = None,
        include_group: bool = True,
        monotone: bool = False,
        stabilize: bool = True,
        trim_quantile: float | None = None,
        ess_threshold: float = 0.2,
        prior_outcome: pd.DataFrame | None = None,
    ) -> None:
        self.include_group = check_flag(include_group, name="include_group")
        self.monotone = check_flag(monotone, name="monotone")
        self.stabilize = check_flag(stabilize, name="stabilize")
        self.trim_quantile = check_trim_quantile(trim_quantile)
        self.ess_threshold = check_number(
            ess_threshold, name="ess_threshold", lower=0.0, upper=1.0, example="0.2"
        )
        if covariates is not None:
            covariates = [covariates] if isinstance(covariates, str) else list(covariates)
            covariates = [plain_value(c) for c in covariates]
        self.covariates = covariates
        if prior_outcome is not None and not self.monotone:
            raise SpecificationError(
                "prior_outcome needs monotone=True: under intermittent missingness the previous "
                "outcome is unobserved for some persons at risk."
            )
        resp, base, group_col, covs, indicator = self._inputs(
            data, baseline, person, wave, responded, group, treated
        )
        self._responses = resp
        self.group = group_col
        if self.include_group:
            covs = [c for c in covs if c != group_col]
        terms = list(covs)
        frame = base.reindex(columns=covs).copy()
        if self.include_group:
            frame.insert(0, group_col, indicator)
            terms = [group_col, *covs]
        if not terms:
            raise SpecificationError("the response models need covariates or include_group=True.")
        self._terms = terms
        self._design = build_design(frame, terms, missing="error", keys=resp.index)
        self._provenance_data = frame
        r = resp.to_numpy(dtype=bool)
        if self.monotone:
            returns = np.any(~r[:, :-1] & r[:, 1:], axis=1)
            if returns.any():
                raise WeightingError(
                    f"monotone=True but {int(returns.sum())} person(s) respond again after missing "
                    f"a wave (e.g. {plain_value(resp.index[returns][0])!r}). Use monotone=False "
                    "for intermittent missingness."
                )
        self._prior = self._check_prior(prior_outcome, resp)

    # ------------------------------------------------------------------ inputs
    def _inputs(self, data, baseline, person, wave, responded, group, treated):
        if _is_panel(data):
            if baseline is not None:
                raise SpecificationError(
                    "an IndicatorPanel carries its own baseline; pass baseline= only with a "
                    "DataFrame of responses."
                )
            table = person_table(
                data.baseline(),
                group="group",
                treated=data.treated,
                person="person",
                source="AttritionWeights",
            )
            resp = _response_table(data.responded())
            covs = list(data.covariate_names) if self.covariates is None else self.covariates
            base = table.data.set_axis(table.keys, axis=0)
            indicator = pd.Series(table.groups.indicator.astype(float), index=table.keys)
            return resp, base, "treated", covs, indicator.reindex(resp.index).to_numpy()
        if not isinstance(data, pd.DataFrame):
            raise SpecificationError(
                "AttritionWeights takes an IndicatorPanel or a DataFrame of responses, got "
                f"{type(data).__name__}."
            )
        if baseline is None:
            raise SpecificationError(
                "with a DataFrame of responses, pass baseline= (one row per person, indexed by "
                "person or with a 'person' column, holding the group and covariates)."
            )
        long_person = person or "person"
        if {long_person, wave, responded} <= set(data.columns):
            require_columns(
                data,
                {"person": long_person, "wave": wave, "responded": responded},
                source="AttritionWeights",
            )
            check_id_types(data[long_person], column=long_person, error=SpecificationError)
            dupes = data.duplicated([long_person, wave])
            if dupes.any():
                row = data.loc[dupes].iloc[0]
                raise SpecificationError(
                    f"{int(dupes.sum())} duplicated (person, wave) rows in the long response data "
                    f"(e.g. person {plain_value(row[long_person])!r} at wave "
                    f"{plain_value(row[wave])!r}); give one row per person and wave."
                )
            resp = data.pivot(index=long_person, columns=wave, values=responded)
        else:
            resp = data
        resp = _response_table(resp)
        covs = list(self.covariates or [])
        columns = {f"covariates[{j}]": c for j, c in enumerate(covs)}
        if self.include_group:
            table = person_table(
                baseline,
                group=group,
                treated=treated,
                person=person,
                columns=columns,
                source="AttritionWeights (baseline)",
            )
            keys, base = table.keys, table.data
            indicator = pd.Series(table.groups.indicator.astype(float), index=keys)
        else:
            require_columns(baseline, {"person": person, **columns}, source="AttritionWeights")
            column = person or ("person" if "person" in baseline.columns else None)
            keys = baseline.index if column is None else pd.Index(baseline[column].to_numpy())
            if keys.has_duplicates:
                raise SpecificationError(
                    "baseline has more than one row for person "
                    f"{plain_value(keys[keys.duplicated()][0])!r}; give one row per person."
                )
            base, indicator = baseline, pd.Series(np.nan, index=keys)
        base = base.set_axis(keys, axis=0)
        missing = resp.index.difference(keys)
        if len(missing):
            raise SpecificationError(
                f"baseline has no row for {len(missing)} person(s) of the response table (e.g. "
                f"{plain_value(missing[0])!r}). Add them to baseline, or check that both use the "
                "same person ids (and the same type: 7 vs '7')."
            )
        extra = keys.difference(resp.index)
        if len(extra):
            warnings.warn(
                f"{len(extra)} baseline person(s) are not in the response table (e.g. "
                f"{plain_value(extra[0])!r}) and get no attrition weights.",
                RowsExcludedWarning,
                stacklevel=4,
            )
        return resp, base.reindex(resp.index), group, covs, indicator.reindex(resp.index).to_numpy()

    def _check_prior(self, prior: pd.DataFrame | None, resp: pd.DataFrame) -> np.ndarray | None:
        if prior is None:
            return None
        if not isinstance(prior, pd.DataFrame):
            raise SpecificationError(
                f"prior_outcome must be a person x wave DataFrame, got {type(prior).__name__}."
            )
        table = prior.reindex(index=resp.index, columns=resp.columns)
        try:
            values = table.apply(pd.to_numeric).to_numpy(dtype=float)
        except (TypeError, ValueError) as err:
            raise SpecificationError(
                f"prior_outcome must hold numbers; convert it with pandas.to_numeric ({err})."
            ) from err
        r = resp.to_numpy(dtype=bool)
        # The model at wave t uses the value at wave t - 1 of everyone still present then.
        needed = r[:, :-1]
        holes = needed & np.isnan(values[:, :-1])
        if holes.any():
            i, j = (int(v[0]) for v in np.nonzero(holes))
            raise WeightingError(
                f"prior_outcome is missing for {int(holes.sum())} person-wave(s) where the person "
                f"responded (e.g. person {plain_value(resp.index[i])!r} at wave "
                f"{plain_value(resp.columns[j])!r}); the next wave's response model needs it."
            )
        return values

    def settings(self) -> dict:
        return {
            "group": self.group,
            "covariates": self.covariates,
            "terms": list(self._terms),
            "include_group": self.include_group,
            "monotone": self.monotone,
            "stabilize": self.stabilize,
            "trim_quantile": self.trim_quantile,
            "ess_threshold": self.ess_threshold,
            "prior_outcome": self._prior is not None,
        }

    def __repr__(self) -> str:
        n, t = self._responses.shape
        return f"AttritionWeights(persons={n}, waves={t}, terms={self._terms})"

    # ------------------------------------------------------------------ fitting
    def fit(self) -> AttritionWeightsResults:
        """Fit one response model per wave and return the weights.

        Issues :class:`SeparationWarning` when a wave's response model separates responders from
        non-responders, :class:`EstimabilityWarning` when nobody responded at a wave, and
        :class:`ESSWarning` when responders' weights collapse.
        """
        resp, design = self._responses, self._design
        r = resp.to_numpy(dtype=bool)
        n, t_count = r.shape
        waves = list(resp.columns)
        prob = np.ones((n, t_count))
        rows = []
        coefficients = []
        for t in range(t_count):
            at_risk = np.ones(n, dtype=bool) if not self.monotone or t == 0 else r[:, t - 1]
            y = r[at_risk, t].astype(float)
            x = design.model_matrix[at_risk]
            names = list(design.model_names)
            if self._prior is not None and t > 0:
                x = np.column_stack([x, self._prior[at_risk, t - 1]])
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
                # Terms without variation among those at risk cannot enter this wave's model.
                keep = x.std(axis=0) > 0
                fit = fit_logistic(
                    x[:, keep],
                    y,
                    [nm for nm, k in zip(names, keep) if k],
                    context=f"response model for wave {plain_value(waves[t])!r}",
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
                coefficients.append((waves[t], fit))
            elif y.size and y.sum() == 0:
                warnings.warn(
                    f"nobody responded at wave {plain_value(waves[t])!r}; its weights are all 0 "
                    "and no outcome model can use that wave.",
                    EstimabilityWarning,
                    stacklevel=2,
                )
            prev_prob = prob[:, t - 1] if self.monotone and t > 0 else np.ones(n)
            prob[:, t] = prev_prob
            prob[at_risk, t] = prev_prob[at_risk] * cond
            rows.append(info)
        with np.errstate(divide="ignore"):
            w = np.where(r, 1.0 / prob, 0.0)
        infinite = r & ~np.isfinite(w)
        if infinite.any():
            i, t = (int(v[0]) for v in np.nonzero(infinite))
            raise WeightingError(
                f"the response model{'s up to' if self.monotone else ' of'} wave "
                f"{plain_value(waves[t])!r} give{'' if self.monotone else 's'} "
                f"{int(infinite[:, t].sum())} responder(s) a response probability of 0 (e.g. "
                f"person {plain_value(resp.index[i])!r}), so "
                "their inverse-probability weight is infinite: the covariates separate responders "
                "from non-responders (see the SeparationWarning). Use fewer covariates or coarser "
                "categories in the response models, or more persons per wave."
            )
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
            fits=tuple(coefficients),
            provenance=make_provenance(data=self._provenance_data, settings=self.settings()),
        )
        results._warn()
        return results


@dataclass(frozen=True, eq=False)
class AttritionWeightsResults(Results):
    """Fitted attrition weights (returned by :meth:`AttritionWeights.fit`).

    ``to_frame()`` is the estimate table of the response models: one row per wave and term
    (index ``wave, term``), logistic coefficients with standard errors from the inverse
    information; waves where everyone (or nobody) at risk responded have no model and no rows.
    The per-person, per-wave weights are :meth:`weights_frame` (and the :attr:`weights` Series);
    :meth:`to_weights` gives them as a :class:`~mirabal_stats.weighting.Weights` keyed by
    (person, wave), responders only.
    """

    __pandas_priority__ = 5000  # so that ``series * result`` is delegated to __rmul__

    spec: AttritionWeights
    index: pd.MultiIndex
    responded_values: np.ndarray
    probability_values: np.ndarray
    weight_values: np.ndarray
    models: pd.DataFrame
    fits: tuple = ()
    provenance: Provenance = field(default=None, repr=False)

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

    def to_weights(self):
        """The weights of the responders as a :class:`~mirabal_stats.weighting.Weights` keyed by
        (person, wave), with source ``"attrition"``."""
        from mirabal_stats.weighting.analysis_weights import Weights

        series = self.weights[self.responded_values.ravel()]
        return Weights(series, source="attrition")

    def __mul__(self, other: object):
        return self.to_weights() * other

    def __rmul__(self, other: object):
        from mirabal_stats.weighting.analysis_weights import Weights

        return Weights(other) * self.to_weights()

    def to_frame(self, *, ci_level: float = 0.95) -> pd.DataFrame:
        """Coefficients of the response model of each wave (index ``wave, term``)."""
        level = check_ci_level(ci_level)
        parts = []
        for wave_label, fit in self.fits:
            part = normal_table(fit.coef, fit.std_error, index=fit.names, ci_level=level)
            part.index = pd.MultiIndex.from_product(
                [[wave_label], part.index], names=["wave", "term"]
            )
            parts.append(part)
        if not parts:
            return pd.DataFrame(
                {c: pd.Series(dtype=float) for c in [*TABLE_COLUMNS, "p_value"]},
                index=pd.MultiIndex.from_tuples([], names=["wave", "term"]),
            )
        return pd.concat(parts)

    def weights_frame(self) -> pd.DataFrame:
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

    def summary(self) -> Summary:
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
            if row["n_responded"]:
                spread = f"weights {row['min']:.3g} to {row['max']:.3g}, ESS {row['ess']:.1f}"
            else:
                spread = "no responders"
            lines.append(
                f"wave {plain_value(wave_label)}: {int(row['n_responded'])} of "
                f"{int(m['n_at_risk'])} responded; {spread}{auc}."
            )
        tables = {"weights by wave": ws, "response models": models}
        if len(self.to_frame()):
            tables["coefficients"] = self.to_frame()
        return Summary.build(" ".join(lines[:1]), "\n".join(lines[1:]), tables=tables)

    def plot_weights(self, *, ax=None):
        """Box plot of responders' weights per wave; returns the Axes."""
        ax = axes_or_new(ax)
        waves = list(self.index.get_level_values("wave").unique())
        data = [self.weight_values[self.responded_values[:, t], t] for t in range(len(waves))]
        shown = [j for j, d in enumerate(data) if d.size]
        if shown:
            ax.boxplot([data[j] for j in shown], positions=[j + 1 for j in shown])
        ax.set_xticks(range(1, len(waves) + 1))
        ax.set_xticklabels(list(map(str, waves)))
        ax.set_xlim(0.5, len(waves) + 0.5)
        ax.set_xlabel("wave")
        ax.set_ylabel("attrition weight (responders)")
        ax.set_title("Attrition weights by wave")
        return ax

    def _warn(self) -> None:
        ws = self.weight_summary()
        low = ws[ws["ess_ratio"] < self.spec.ess_threshold]
        if len(low):
            detail = ", ".join(
                f"wave {plain_value(k)}: {r['ess']:.1f} of {int(r['n_responded'])}"
                for k, r in low.iterrows()
            )
            warnings.warn(
                f"Attrition weights leave a low effective sample size among responders ({detail}; "
                f"below ess_threshold={self.spec.ess_threshold:g} of the responders). A few "
                "responders stand in for many dropouts; consider trim_quantile=0.99 or fewer "
                "covariates in the response models.",
                ESSWarning,
                stacklevel=3,
            )
