"""`Weights`: the one weights value that crosses from the weighting pillar to every outcome model.

Weights are keyed by *label*, never by row position: by person (propensity weights, user weights)
and/or by (person, wave) (attrition weights). A fitted weighting result, a labelled Series or a
product of those (``w1 * w2``) all become a :class:`Weights`; every outcome model
(``weighted_effect``, ``compare_groups``, ``did``, ``event_study``, ``gee``, ``indicator_gee``,
``IndicatorModel``, ``PiecewiseExponentialModel``) looks its weights up here, so a missing,
zero, negative or non-finite weight, or a person without one, gets the same message everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mirabal_stats.data.persons import plain_value
from mirabal_stats.exceptions import WeightingError

__all__ = ["Weights"]

_FIX_POSITIONS = (
    "Weights are matched to the data by person label, never by row position: pass the fitted "
    "weighting result itself (fitted on a table with a 'person' column, such as "
    "panel.baseline()), or a Series indexed by person id, e.g. w.set_axis(table['person'])."
)


def _as_float_series(values: pd.Series, *, source: str) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise WeightingError(
                f"weights from {source} must be one column, got a DataFrame with {values.shape[1]} "
                "columns; pass the weights column, e.g. frame['weight']."
            )
        values = values.iloc[:, 0]
    numeric = pd.to_numeric(values, errors="coerce")
    text = numeric.isna() & values.notna()
    if text.any():
        raise WeightingError(
            f"weights from {source} must be numbers, but {int(text.sum())} are not (e.g. "
            f"{plain_value(values[text].iloc[0])!r} for {plain_value(values.index[text][0])!r}). "
            "Convert them with pandas.to_numeric."
        )
    if values.index.has_duplicates:
        repeated = values.index[values.index.duplicated()]
        raise WeightingError(
            f"weights from {source} give {len(repeated)} label(s) more than one weight (e.g. "
            f"{plain_value(repeated[0])!r}); give each person (or person and wave) one weight."
        )
    if values.index.nlevels > 2:
        raise WeightingError(
            f"weights from {source} have a {values.index.nlevels}-level index; index them by "
            "person or by (person, wave)."
        )
    return pd.Series(numeric.to_numpy(dtype=float), index=values.index.copy())


class Weights:
    """Analysis weights keyed by person and/or by (person, wave), with where they came from.

    Parameters
    ----------
    weights : Weights, fitted weighting result or pandas.Series
        A :class:`~mirabal_stats.weighting.PropensityWeightsResults` (keyed by person), an
        :class:`~mirabal_stats.weighting.AttritionWeightsResults` (keyed by (person, wave)), a
        Series indexed by person id or by a (person, wave) MultiIndex, or another
        :class:`Weights`. Arrays, lists and tuples are refused: they carry no labels.
    source : str, optional
        Where the weights came from, for summaries and provenance (default: taken from the
        fitted result, or ``"user"`` for a Series).

    Notes
    -----
    ``w1 * w2`` multiplies weights label by label: person weights with person weights, person x
    wave weights with person x wave weights, and a person weight applies at every wave of that
    person. The values are checked where an outcome model looks them up (the persons, and
    waves, it analyses): a missing, zero, negative or infinite weight there is a
    :class:`~mirabal_stats.exceptions.WeightingError`; weights of persons the model does not
    use are ignored. Outcome models normalise as their estimator needs (least squares and the survival
    models use the weights as given; the Bayesian pseudo-likelihood rescales them to mean 1).

    Examples
    --------
    >>> import pandas as pd
    >>> from mirabal_stats.weighting import Weights
    >>> w = Weights(pd.Series([1.0, 2.5], index=[101, 102]))
    >>> w.for_persons([102, 101]).tolist()
    [2.5, 1.0]
    >>> attrition = pd.Series([2.0], index=pd.MultiIndex.from_tuples([(102, 3)]))
    >>> (w * Weights(attrition, source="attrition")).at_answers([102], [3]).tolist()
    [5.0]
    """

    def __init__(self, weights: object, *, source: str | None = None) -> None:
        if isinstance(weights, Weights):
            self._person, self._person_wave = weights._person, weights._person_wave
            self._sources = weights._sources if source is None else (source,)
            return
        if hasattr(weights, "to_weights") and not isinstance(weights, (pd.Series, pd.DataFrame)):
            made = weights.to_weights()
            self._person, self._person_wave = made._person, made._person_wave
            self._sources = made._sources if source is None else (source,)
            return
        if not isinstance(weights, (pd.Series, pd.DataFrame)):
            kind = type(weights).__name__
            raise WeightingError(
                f"weights must be a Weights, a fitted weighting result or a pandas Series indexed "
                f"by person (or by person and wave), got a {kind}. "
                + (
                    _FIX_POSITIONS
                    if isinstance(weights, (np.ndarray, list, tuple))
                    else "Build one with Weights(pd.Series(values, index=person_ids))."
                )
                + (
                    " To multiply weights, write w1 * w2."
                    if isinstance(weights, (list, tuple))
                    else ""
                )
            )
        label = source or "user"
        series = _as_float_series(weights, source=label)
        self._sources = (label,)
        if series.index.nlevels == 1:
            self._person, self._person_wave = series.rename_axis("person"), None
        else:
            self._person = None
            self._person_wave = series.rename_axis(["person", "wave"])

    # ------------------------------------------------------------------ description
    @property
    def person(self) -> pd.Series | None:
        """The person-level factor (index: person), or None."""
        return None if self._person is None else self._person.copy()

    @property
    def person_wave(self) -> pd.Series | None:
        """The person x wave factor (index: person, wave), or None."""
        return None if self._person_wave is None else self._person_wave.copy()

    @property
    def sources(self) -> tuple[str, ...]:
        """Where each factor came from, e.g. ``("propensity (ATT, logistic)", "attrition")``."""
        return self._sources

    @property
    def by_wave(self) -> bool:
        """True when the weights differ between waves (a person x wave factor is present)."""
        return self._person_wave is not None

    def __repr__(self) -> str:
        parts = []
        if self._person is not None:
            parts.append(f"{len(self._person)} persons")
        if self._person_wave is not None:
            parts.append(f"{len(self._person_wave)} person-waves")
        return f"Weights({' x '.join(self._sources)}; {', '.join(parts)})"

    def weights_frame(self) -> pd.DataFrame:
        """The factors as a table: one row per person (and wave), a column per factor."""
        frames = []
        if self._person is not None:
            frames.append(self._person.rename("person_weight").reset_index())
        if self._person_wave is not None:
            pw = self._person_wave.rename("person_wave_weight").reset_index()
            frames = [pw.merge(frames[0], on="person", how="left")] if frames else [pw]
        return frames[0]

    # ------------------------------------------------------------------ products
    def __mul__(self, other: object) -> Weights:
        other = Weights(other)
        product = Weights.__new__(Weights)
        product._sources = self._sources + other._sources
        product._person = _multiply(self._person, other._person)
        product._person_wave = _multiply(self._person_wave, other._person_wave)
        return product

    def __rmul__(self, other: object) -> Weights:
        return Weights(other) * self

    # ------------------------------------------------------------------ look-ups
    def for_persons(self, persons: Sequence, *, where: str = "the data") -> np.ndarray:
        """One weight per person label in ``persons`` (one row per person).

        Raises
        ------
        WeightingError
            The weights vary by wave (they need the wave of each row); or a person has no
            weight, or a zero, negative or non-finite one.
        """
        if self._person_wave is not None:
            raise WeightingError(
                "these weights differ between waves (they include person x wave factors, such as "
                f"attrition weights), but {where} have one row per person. Pass person-level "
                "weights (e.g. the propensity weights alone) to this analysis."
            )
        keys = pd.Index(list(persons) if not isinstance(persons, pd.Index) else persons)
        values = self._person.reindex(keys).to_numpy(dtype=float)
        check_weight_values(values, keys, index=self._person.index, where=where, what=self._what())
        return values

    def at_answers(
        self, person_at: Sequence, wave_at: Sequence, *, where: str = "the observed answers"
    ) -> np.ndarray:
        """One weight per answer, from its person and wave: the product of the factors."""
        persons = pd.Index(np.asarray(person_at, dtype=object))
        waves = np.asarray(wave_at, dtype=object)
        values = np.ones(len(persons))
        if self._person is not None:
            values = values * self._person.reindex(persons).to_numpy(dtype=float)
            index = self._person.index
        if self._person_wave is not None:
            key = pd.MultiIndex.from_arrays([persons, waves])
            values = values * self._person_wave.reindex(key).to_numpy(dtype=float)
            index = self._person_wave.index.get_level_values(0)
        check_weight_values(values, persons, waves, index=index, where=where, what=self._what())
        return values

    def _what(self) -> str:
        return f"the weights ({' x '.join(self._sources)})"


def _multiply(a: pd.Series | None, b: pd.Series | None) -> pd.Series | None:
    if a is None or b is None:
        return a if b is None else b
    # Outer alignment: a label in one factor only gets NaN, which is refused when it is looked up
    # (that person has no complete weight), not silently treated as 1.
    return a.mul(b)


def check_weight_values(
    values: np.ndarray,
    persons: pd.Index,
    waves=None,
    *,
    index: pd.Index | None = None,
    where: str,
    what: str,
) -> None:
    """The one check of weights looked up for some rows (same message in every outcome model).

    ``persons`` (and ``waves``) label the rows; ``index`` is what the weights were keyed by (to
    explain a complete mismatch such as row positions).
    """
    missing = np.isnan(values)
    if missing.all() and len(values) and index is not None:
        known = pd.Index(index).unique()
        hint = _POSITION_HINT if _looks_positional(known) else ""
        hint = _type_hint(known, persons) or hint
        raise WeightingError(
            f"{what} match none of the persons of {where}: the weights are keyed by "
            f"{_shown(known)}, the data's persons are {_shown(persons.unique())}. {hint}"
            + _FIX_POSITIONS
        )
    checks = (
        (
            missing,
            "have no weight",
            "Give every person (at every wave they answered) a weight, or drop those persons from "
            "the data first.",
        ),
        (
            ~missing & ~np.isfinite(values),
            "have an infinite weight",
            "Check how the weights were computed (a propensity of exactly 0 or 1?).",
        ),
        (
            np.isfinite(values) & (values < 0),
            "have a negative weight",
            "Weights are never negative: check how they were computed.",
        ),
        (
            values == 0,
            "have a zero weight",
            "A zero weight would drop a person silently: remove those persons from the data "
            "instead (rows of a person table; panel.subset(persons=...) for a panel), or trim "
            "with trim_quantile rather than propensity_bounds.",
        ),
    )
    for failing, problem, fix in checks:
        if failing.any():
            j = int(np.flatnonzero(failing)[0])
            at = "" if waves is None else f" at wave {plain_value(waves[j])!r}"
            unit = "row(s)" if waves is None else "answer(s)"
            raise WeightingError(
                f"{int(failing.sum())} {unit} of {where} {problem} in {what}, e.g. person "
                f"{plain_value(persons[j])!r}{at}. {fix}"
            )


_POSITION_HINT = "They look like row positions (0, 1, 2, ...). "


def _looks_positional(index: pd.Index) -> bool:
    return (
        pd.api.types.is_integer_dtype(index)
        and len(index) > 0
        and index.min() == 0
        and index.is_monotonic_increasing
    )


def _type_hint(known: pd.Index, persons: pd.Index) -> str:
    as_text = {str(plain_value(v)) for v in known}
    if any(str(plain_value(p)) in as_text for p in persons[:50]):
        kind_w = type(plain_value(known[0])).__name__
        kind_d = type(plain_value(persons[0])).__name__
        return (
            f"The ids look the same but have different types ({kind_w} in the weights, {kind_d} "
            "in the data): convert one side, e.g. w.index = w.index.astype(type_of_data_ids). "
        )
    return ""


def _shown(values, k: int = 3) -> str:
    values = list(values)
    text = ", ".join(repr(plain_value(v)) for v in values[:k])
    return text + (", ..." if len(values) > k else "")
