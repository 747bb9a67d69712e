"""Bayesian logistic regression with random intercepts (and slopes), specified by a formula.

``BinaryMixedModel(data, formula="y ~ trt * time + (1 | patient)")`` is the general front end used for
reproductions and designs that are not an :class:`~mirabal_stats.IndicatorPanel`. It shares the
likelihood (:mod:`mirabal_stats.bayes.likelihood`), the sampling module and the results
conventions of :class:`~mirabal_stats.bayes.IndicatorModel`:

    logit P(y_n = 1) = F[cell_n] + b[group_n],    F = X_unique @ beta,   b_j ~ Normal(0, sd)

where ``X_unique`` holds the distinct rows of the fixed-effect design matrix (``cell_n`` says which
row observation ``n`` has), so the fixed part is computed once per distinct covariate pattern.
With random slopes, ``(1 + time | patient)``, the group term is ``z_n' b[group_n]`` with
``b_j ~ MvNormal(0, Sigma)``, Sigma from an LKJ prior on the correlations and the ``sd`` prior on
each standard deviation (lme4's default structure, correlated intercept and slopes).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import DEFAULT_CI_LEVEL, Summary, check_ci_level
from mirabal_stats.bayes.priors import make_prior, merge_priors, prior_text
from mirabal_stats.bayes.results import BayesResults, stack_draws
from mirabal_stats.bayes.sampling import Posterior, fit_posterior
from mirabal_stats.data.persons import check_id_types, nearest, plain_value
from mirabal_stats.exceptions import RowsExcludedWarning, SpecificationError

__all__ = ["BinaryMixedModel", "MixedModelResults", "DEFAULT_MIXED_PRIORS"]

#: Default priors. ``fixed`` is scaled per column: Normal(0, 2.5 / sd(column)) as in Gelman et
#: al. (2008) / rstanarm, so the prior is weakly informative whatever the units of a covariate.
#: A user-supplied ``fixed`` prior is used as given (no scaling).
DEFAULT_MIXED_PRIORS: dict[str, tuple] = {
    "intercept": ("normal", 0.0, 5.0),
    "fixed": ("normal", 0.0, 2.5),
    "sd": ("halfnormal", 2.5),
    "lkj_eta": ("lkj", 2.0),
}
_SUPPORTS = {"intercept": "real", "fixed": "real", "sd": "positive", "lkj_eta": "correlation"}

_RANDOM_TERM = re.compile(r"\(\s*([^|()]+?)\s*\|\s*([^|()]+?)\s*\)")


def _parse_formula(formula: str) -> tuple[str, str, str]:
    """Split ``"y ~ x + (1 + t | g)"`` into the fixed formula ``"y ~ x"``, ``"1 + t"`` and ``"g"``."""
    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(
            f"formula must be a string like 'y ~ trt * time + (1 | patient)', got {formula!r}."
        )
    randoms = _RANDOM_TERM.findall(formula)
    if len(randoms) != 1:
        raise SpecificationError(
            f"formula {formula!r} must contain exactly one random-effect term such as "
            f"'(1 | group)' or '(1 + time | group)'; found {len(randoms)}. Several grouping "
            "factors (crossed or nested) are not supported."
        )
    lhs_random, group = randoms[0]
    compact = lhs_random.replace(" ", "")
    if compact.startswith(("0+", "-1+")) or compact.endswith(("+0", "-1")):
        raise SpecificationError(
            f"Random term '({lhs_random} | {group})' removes the random intercept; random slopes "
            f"without a random intercept are not supported. Use '(1 + ... | {group})'."
        )
    fixed = _RANDOM_TERM.sub("", formula)
    # Tidy the '+' left behind by removing the random term.
    fixed = re.sub(r"\+\s*(\+|$)", r"\1", fixed).strip()
    fixed = re.sub(r"~\s*\+", "~ ", fixed)
    fixed = re.sub(r"\+\s*$", "", fixed).strip()
    if fixed.endswith("~"):
        fixed += " 1"
    return fixed, lhs_random.strip(), group.strip()


class BinaryMixedModel:
    """Bayesian random-intercept logistic regression from a formula.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation. Rows with a missing value in a used column are excluded with a
        :class:`~mirabal_stats.exceptions.RowsExcludedWarning`.
    formula : str
        ``"y ~ <fixed effects> + (1 | group)"``. The fixed part is any formulaic formula
        (interactions ``a * b``, ``C(x)`` ...); the response must be coded 0/1 (or
        True/False). One grouping factor with at least two levels, with a random intercept
        ``(1 | group)`` or a random intercept and slopes ``(1 + time | group)`` (as in lme4,
        ``(time | group)`` includes the intercept; the intercept and slopes are correlated).
    priors : dict, optional
        Overrides of :data:`DEFAULT_MIXED_PRIORS`, by role (``"intercept"``, ``"fixed"``, ``"sd"``,
        ``"lkj_eta"``) or by fixed-effect term name (e.g. ``"trt:time"``), each a tuple
        ``(family, *params)`` (see :mod:`mirabal_stats.bayes.priors`); ``"sd"`` applies to every
        random-effect SD, ``("lkj", eta)`` is the LKJ prior of their correlations (random slopes
        only; default 2, which mildly favours small correlations). Example of vague priors:
        ``{"intercept": ("normal", 0, 10), "fixed": ("normal", 0, 10), "sd": ("exponential", 0.1)}``.
    parametrization : {"noncentered", "centered"}, default "noncentered"
        How the random intercepts enter the sampler. Non-centred suits groups with few
        observations each (the toenail trial: about 6.5 binary visits per patient); centred suits
        groups with many observations (see ``docs/bayes.md``).

    Notes
    -----
    Construction parses and validates the formula and builds the PyMC model; nothing is sampled
    until :meth:`fit`. ``print(model)`` shows the likelihood, priors and data counts.

    References
    ----------
    Gelman, A., Jakulin, A., Pittau, M. G. & Su, Y.-S. (2008). A weakly informative default prior
    distribution for logistic and other regression models. *Ann. Appl. Stat.* 2(4):1360-1383.
    doi:10.1214/08-AOAS191

    Lesaffre, E. & Spiessens, B. (2001). On the effect of the number of quadrature points in a
    logistic random-effects model: an example. *JRSS C* 50(3):325-335. doi:10.1111/1467-9876.00237

    Examples
    --------
    >>> from mirabal_stats.datasets import load_toenail
    >>> from mirabal_stats.bayes import BinaryMixedModel
    >>> model = BinaryMixedModel(load_toenail(), formula="y ~ trt * time + (1 | patient)")
    >>> model.n_obs, model.n_groups
    (1908, 294)
    >>> result = model.fit(draws=500, tune=500, chains=2, random_seed=1)  # doctest: +SKIP
    >>> result.to_frame().loc["trt:time", "estimate"]  # doctest: +SKIP
    -0.14...
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        formula: str,
        priors: Mapping[str, Any] | None = None,
        parametrization: str = "noncentered",
    ):
        if not isinstance(data, pd.DataFrame):
            raise SpecificationError(
                f"BinaryMixedModel expects a pandas DataFrame as data, got {type(data).__name__}."
            )
        if parametrization not in ("noncentered", "centered"):
            raise SpecificationError(
                f"parametrization must be 'noncentered' or 'centered', got {parametrization!r}."
            )
        from formulaic import Formula

        fixed, random_lhs, group = _parse_formula(formula)
        self.formula = formula
        self.group = group
        self.parametrization = parametrization
        try:
            parsed = Formula(fixed)
        except Exception as exc:  # formulaic raises several parser error types
            raise SpecificationError(
                f"Cannot parse the fixed part {fixed!r} of the formula: {exc}"
            ) from exc
        try:
            random_parsed = Formula(random_lhs)
        except Exception as exc:
            raise SpecificationError(f"Cannot parse the random term {random_lhs!r}: {exc}") from exc
        if not hasattr(parsed, "lhs") or not parsed.lhs.required_variables:
            raise SpecificationError(
                f"formula {formula!r} has no response on the left of '~'; write e.g. "
                "'y ~ trt * time + (1 | patient)'."
            )
        needed = sorted(
            set(parsed.required_variables) | set(random_parsed.required_variables) | {group}
        )
        if data.columns.duplicated().any():
            repeated = list(data.columns[data.columns.duplicated()].unique())
            raise SpecificationError(
                f"data have duplicate column labels {repeated}; rename them so that the formula "
                "names one column each."
            )
        if len(data) == 0:
            raise SpecificationError("BinaryMixedModel: the data have no rows.")
        missing = [c for c in needed if c not in data.columns]
        if missing:
            hints = "".join(nearest(c, data.columns) for c in missing[:1])
            raise SpecificationError(
                f"The formula names column(s) {missing} that are not in data{hints} (columns: "
                f"{list(data.columns)}). Fix the spelling or add the column."
            )
        frame = self._complete_rows(data, needed)
        response = str(parsed.lhs).strip()
        if response in frame.columns:  # a bare column (not an expression such as I(x > 2))
            _check_binary_column(frame[response], response)
        check_id_types(frame[group], column=group, what="group", error=SpecificationError)
        y, X, self.terms, self.response, Z = self._design(parsed, random_parsed, frame)
        self.random_terms = list(Z.model_spec.column_names)
        # (1 | g) keeps the fused-kernel likelihood; slopes need a per-observation loading matrix.
        self._Z = None if self.random_terms == ["Intercept"] else np.asarray(Z, dtype=float)
        codes, levels = pd.factorize(frame[group], sort=True)
        if len(levels) < 2:
            raise SpecificationError(
                f"The grouping factor {group!r} has a single level "
                f"({plain_value(levels[0])!r}) in the rows used; a random effect needs at least "
                "two groups (its SD is estimated from the spread between them). Use a logistic "
                "regression without the random term, or a grouping factor with several levels."
            )
        unique_rows, cell = np.unique(X, axis=0, return_inverse=True)
        self._X_unique = unique_rows
        self._cell = cell.astype(np.int32).ravel()
        self._person = codes.astype(np.int32)
        self._y = y
        self._levels = list(levels)
        self._frame = frame

        intercept = [t for t in self.terms if t == "Intercept"]
        non_intercept = [t for t in self.terms if t != "Intercept"]
        self.priors = merge_priors(
            DEFAULT_MIXED_PRIORS,
            _SUPPORTS,
            priors,
            extra_roles={t: "real" for t in self.terms},
        )
        user = dict(priors or {})
        term_priors = {}
        for t in self.terms:
            if t in user:
                term_priors[t] = self.priors[t]
            elif t in intercept:
                term_priors[t] = self.priors["intercept"]
            elif "fixed" in user:
                term_priors[t] = self.priors["fixed"]
            else:  # default: autoscale by the column's SD
                sd = float(X[:, self.terms.index(t)].std())
                fam, mu, sigma = self.priors["fixed"]
                term_priors[t] = (fam, mu, sigma / sd if sd > 0 else sigma)
        self.term_priors = term_priors
        self._non_intercept = non_intercept
        self._compiled: dict = {}
        self.model = self._build()

    @staticmethod
    def _complete_rows(data: pd.DataFrame, needed: list[str]) -> pd.DataFrame:
        """The used columns of the rows without a missing value (the others are reported)."""
        incomplete = data[needed].isna().any(axis=1)
        empty = [c for c in needed if data[c].isna().all()]
        if incomplete.all():
            raise SpecificationError(
                f"every one of the {len(data)} rows has a missing value in a column the formula "
                f"uses ({needed}), so no row is left to fit"
                + (
                    f"; column(s) {empty} are missing in every row. Check the column names and "
                    "the data read."
                    if empty
                    else ". Impute the missing values or drop the column from the formula."
                )
            )
        if incomplete.any():
            warnings.warn(
                f"{int(incomplete.sum())} of {len(data)} rows have a missing value in "
                f"{[c for c in needed if data[c].isna().any()]} and are excluded from the model.",
                RowsExcludedWarning,
                stacklevel=3,
            )
        return data.loc[~incomplete, needed].reset_index(drop=True)

    @staticmethod
    def _design(parsed, random_parsed, frame: pd.DataFrame):
        """Response, fixed-effect matrix (and its term names), response name, random-effect
        matrix: checked to be one 0/1 column, finite numbers and of full column rank."""
        from formulaic import model_matrix

        try:
            mm = model_matrix(parsed, frame)
            Z = model_matrix(random_parsed, frame)
        except Exception as exc:  # formulaic's errors for unknown functions, bad terms ...
            raise SpecificationError(
                f"Cannot build the design matrix of the formula: {type(exc).__name__}: {exc}"
            ) from exc
        response = str(parsed.lhs)
        lhs = np.asarray(mm.lhs, dtype=float)
        if lhs.ndim != 2 or lhs.shape[1] != 1:
            raise SpecificationError(
                f"The response {response} must be one 0/1 column, but the formula turns it into "
                f"{lhs.shape[1]} columns (text categories?). Code it 0/1 first, e.g. "
                "data['y'] = (data['y'] == 'yes').astype(int)."
            )
        y = lhs[:, 0]
        binary = np.isin(y, (0.0, 1.0))
        if not binary.all():
            bad = np.unique(y[~binary])[:5]
            raise SpecificationError(
                f"The response {response} must be 0/1, but it holds {bad.tolist()}. Recode it, "
                "e.g. (data['y'] == 'yes').astype(int)."
            )
        if y.min() == y.max():
            raise SpecificationError(
                f"The response {response} is {int(y[0])} in every one of the {y.size} rows used, "
                "so there is nothing to model: the fixed effects would be set by the priors "
                "alone. Check the data (a filter?) and the coding of the response."
            )
        X = np.asarray(mm.rhs, dtype=float)
        terms = list(mm.rhs.model_spec.column_names)
        infinite = ~np.isfinite(X).all(axis=0)
        if infinite.any():
            raise SpecificationError(
                f"The fixed-effect term(s) {[t for t, bad in zip(terms, infinite) if bad]} hold "
                "infinite values; replace them in the data (or transform the column)."
            )
        if np.linalg.matrix_rank(X) < X.shape[1]:
            raise SpecificationError(
                f"The fixed-effect design {terms} is rank deficient (collinear columns, or a "
                "column constant in the rows used); remove redundant terms."
            )
        return y, X, terms, response, Z

    # ------------------------------------------------------------------ model
    @property
    def n_obs(self) -> int:
        return int(self._y.shape[0])

    @property
    def n_groups(self) -> int:
        return len(self._levels)

    def _build(self):
        import pymc as pm
        import pytensor.tensor as pt

        from mirabal_stats.bayes.likelihood import logit_cells_loglik

        coords = {"term": self.terms, self.group: self._levels}
        if self._Z is not None:
            coords["random_term"] = self.random_terms
            coords["random_pair"] = [f"{a},{b}" for a, b in self.random_pairs]
        with pm.Model(coords=coords) as model:
            coefs = [make_prior(f"beta_{i}", self.term_priors[t]) for i, t in enumerate(self.terms)]
            beta = pm.Deterministic("beta", pt.stack(coefs), dims="term")
            if self._Z is not None:
                self._build_slopes(beta)
                return model
            sd = make_prior("sd", self.priors["sd"])
            if self.parametrization == "noncentered":
                z = pm.Normal("z", 0.0, 1.0, dims=self.group)
                b = pm.Deterministic("b", z * sd, dims=self.group)
            else:
                b = pm.Normal("b", 0.0, sd, dims=self.group)
            F = pt.dot(pt.as_tensor_variable(self._X_unique), beta)
            pm.Potential(
                "loglik",
                logit_cells_loglik(
                    F,
                    b,
                    cell=self._cell,
                    person=self._person,
                    sign=np.ones(self.n_obs),
                    y=self._y,
                ),
            )
        return model

    @property
    def random_pairs(self) -> list[tuple[str, str]]:
        """Pairs of random terms whose correlation is estimated (upper triangle, row order)."""
        q = len(self.random_terms)
        return [
            (self.random_terms[i], self.random_terms[j]) for i in range(q) for j in range(i + 1, q)
        ]

    def _build_slopes(self, beta) -> None:
        """Random intercept and slopes, correlated: b_j = L z_j (non-centred), L the Cholesky
        factor of Sigma with an LKJ prior on the correlations and the ``sd`` prior on each SD."""
        import pymc as pm
        import pytensor.tensor as pt

        from mirabal_stats.bayes.likelihood import bernoulli_logit_loglik
        from mirabal_stats.bayes.priors import prior_dist

        q = len(self.random_terms)
        chol, corr, sds = pm.LKJCholeskyCov(
            "random_cov",
            n=q,
            eta=self.priors["lkj_eta"][1],
            sd_dist=prior_dist(self.priors["sd"], shape=q),
            compute_corr=True,
        )
        pm.Deterministic("sd_random", sds, dims="random_term")
        upper = np.triu_indices(q, k=1)
        pm.Deterministic("corr_random", corr[upper], dims="random_pair")
        z = pm.Normal("z", 0.0, 1.0, dims=("random_term", self.group))
        b = pm.Deterministic("b", pt.dot(chol, z).T, dims=(self.group, "random_term"))
        F = pt.dot(pt.as_tensor_variable(self._X_unique), beta)
        eta = F[self._cell] + pt.sum(pt.as_tensor_variable(self._Z) * b[self._person], axis=1)
        pm.Potential("loglik", bernoulli_logit_loglik(eta, self._y))

    def __repr__(self) -> str:
        lines = [
            f"BinaryMixedModel: {self.formula}",
            f"  likelihood: {self.response} ~ Bernoulli(logit^-1(X beta + b[{self.group}]))",
            f"  data: {self.n_obs} observations, {self.n_groups} levels of {self.group}, "
            f"{int(self._y.sum())} events, {self._X_unique.shape[0]} distinct covariate patterns",
            "  priors:",
        ]
        for t in self.terms:
            lines.append(f"    {t:<20} ~ {prior_text(self.term_priors[t])}")
        if self._Z is None:
            lines.append(f"    {'sd(' + self.group + ')':<20} ~ {prior_text(self.priors['sd'])}")
            lines.append(
                f"    b[{self.group}] ~ Normal(0, sd({self.group})), {self.parametrization} parametrization"
            )
        else:
            terms = ", ".join(self.random_terms)
            lines[1] = (
                f"  likelihood: {self.response} ~ Bernoulli(logit^-1(X beta + z' b[{self.group}])),"
                f" z = ({terms})"
            )
            for label in self.random_labels[: len(self.random_terms)]:
                lines.append(f"    {label:<20} ~ {prior_text(self.priors['sd'])}")
            lines.append(f"    correlations         ~ {prior_text(self.priors['lkj_eta'])}")
            lines.append(f"    b[{self.group}] ~ MvNormal(0, Sigma), non-centred (b = L z)")
        return "\n".join(lines)

    @property
    def random_labels(self) -> list[str]:
        """Row names of the random-effect SDs (and correlations) in ``to_frame()``."""
        if self._Z is None:
            return [f"sd({self.group})"]
        sds = [
            f"sd({self.group})" if t == "Intercept" else f"sd({t}|{self.group})"
            for t in self.random_terms
        ]
        return sds + [f"cor({a},{b}|{self.group})" for a, b in self.random_pairs]

    __str__ = __repr__

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        sampler: str = "nutpie",
        random_seed: int | None = None,
        sampler_kwargs: dict[str, Any] | None = None,
    ) -> MixedModelResults:
        """Sample the posterior with NUTS and return a :class:`MixedModelResults`.

        Settings as in :meth:`IndicatorModel.fit <mirabal_stats.bayes.IndicatorModel.fit>`
        (sampler defaults: the sampler's own). Warns
        (:class:`~mirabal_stats.exceptions.SamplingWarning`) with advice when R-hat > 1.01,
        an ESS < 400 or there are divergent transitions.
        """
        slopes = self._Z is not None
        posterior = fit_posterior(
            self.model,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            random_seed=random_seed,
            sampler_kwargs=sampler_kwargs,
            monitored=["beta", "sd_random", "corr_random"] if slopes else ["beta", "sd"],
            data=self._frame,
            model_settings=dict(
                model="BinaryMixedModel",
                formula=self.formula,
                priors=self.term_priors,
                sd_prior=self.priors["sd"],
                parametrization=self.parametrization,
            ),
            compiled_cache=self._compiled,
        )
        return MixedModelResults(posterior=posterior, model=self)

    def compile_logp(self):
        """Compiled joint log-density of the free (transformed) parameters (for tests)."""
        return self.model.compile_logp()


class MixedModelResults(BayesResults):
    """Posterior of a :class:`BinaryMixedModel`: ``to_frame()`` has one row per fixed effect and
    random-effect SD (and correlation), named as in lme4."""

    def __init__(self, *, posterior: Posterior, model: BinaryMixedModel) -> None:
        super().__init__(posterior=posterior)
        self._model = model

    @property
    def model(self) -> BinaryMixedModel:
        """The :class:`BinaryMixedModel` that was fitted."""
        return self._model

    def _parameter_draws(self):
        m = self._model
        beta = stack_draws(self.idata, "beta")
        labels = list(m.terms) + m.random_labels
        keys = [f"beta[{t}]" for t in m.terms]
        if m._Z is None:
            blocks = [beta, stack_draws(self.idata, "sd")[:, None]]
            keys.append("sd")
        else:
            blocks = [
                beta,
                stack_draws(self.idata, "sd_random"),
                stack_draws(self.idata, "corr_random").reshape(beta.shape[0], -1),
            ]
            keys += [f"sd_random[{t}]" for t in m.random_terms]
            keys += [f"corr_random[{a},{b}]" for a, b in m.random_pairs]
        return np.hstack(blocks), labels, keys

    def summary(self, *, ci_level: float = DEFAULT_CI_LEVEL) -> Summary:
        """The fixed effects and the random-effect SDs in words, then the table."""
        level = check_ci_level(ci_level)
        table = self.to_frame(ci_level=level)
        pct = round(100 * level)
        kind = "intercept" if self._model._Z is None else "intercept and slope"
        head = (
            f"Bayesian random-{kind} logistic regression: {self._model.formula}. "
            f"{self._model.n_obs} observations in {self._model.n_groups} groups "
            f"({self._model.group})."
        )
        lines = [
            f"  {label}: posterior mean {row['estimate']:.3f} (SD {row['std_error']:.3f}; "
            f"median {row['median']:.3f}; {pct}% interval {row['lower']:.3f} to {row['upper']:.3f})"
            for label, row in table.iterrows()
        ]
        diagnostics = self._diagnostics_sentence()
        return Summary(
            "\n".join([head, *lines, diagnostics]),
            paragraphs=[head, diagnostics],
            tables=[("posterior", table)],
        )


def _check_binary_column(values: pd.Series, column: str) -> None:
    """The response column itself: 0/1 numbers or booleans (text is refused with the fix)."""
    if pd.api.types.is_bool_dtype(values):
        return
    if not pd.api.types.is_numeric_dtype(values):
        shown = [plain_value(v) for v in pd.unique(values)[:4]]
        raise SpecificationError(
            f"The response column {column!r} holds text ({', '.join(map(repr, shown))}); the "
            f"model needs it coded 0/1. Recode it first, e.g. data[{column!r}] = "
            f"(data[{column!r}] == 'yes').astype(int)."
        )
