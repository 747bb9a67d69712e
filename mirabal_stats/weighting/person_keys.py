"""Key person weights by person id before they reach an outcome model.

Propensity weights are fitted on a one-row-per-person table (usually
``IndicatorPanel.baseline()``), whose index is a row position, while the outcome models look
weights up by person id. Matching a row position to a person id would silently give person
``1001`` the weight of whichever row happens to carry the label ``1001``, so this module either
re-keys the weights by the table's ``person`` column or refuses with an explanation, and
looks weights up at the observed answers with one set of checks for every outcome model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirabal_stats.data.validation import plain_value
from mirabal_stats.exceptions import WeightingError

__all__ = ["person_keyed_weights", "weights_at_answers"]


def person_keyed_weights(weights, persons) -> pd.Series:
    """Person weights as a Series indexed by person id, checked against the panel's persons.

    Parameters
    ----------
    weights : PropensityWeightsResults, AttritionWeightsResults or pandas.Series
        A fitted propensity result whose input table had a ``person`` column (re-keyed through
        it), an attrition result (its ``(person, wave)`` Series, passed through), or a Series
        indexed by person id.
    persons : sequence
        The person ids of the panel the weights are for.

    Returns
    -------
    pandas.Series
        The weights indexed by person id (not reordered, not normalised).

    Raises
    ------
    WeightingError
        The weights are indexed by something that is not the panel's person ids (typically the
        row positions ``0, 1, ...`` of the table the weights were fitted on), with the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> person_keyed_weights(pd.Series([1.0, 2.0], index=[11, 12]), [11, 12]).to_dict()
    {11: 1.0, 12: 2.0}
    """
    if hasattr(weights, "by_person"):
        weights = weights.by_person
    elif hasattr(weights, "weights") and not isinstance(weights, pd.Series):
        weights = weights.weights
    if not isinstance(weights, pd.Series):
        raise WeightingError(
            f"person weights must be a fitted weighting result or a pandas Series indexed by "
            f"person id, got {type(weights).__name__}."
        )
    known = pd.Index(list(persons))
    if weights.index.nlevels == 1 and len(known) and not weights.index.isin(known).any():
        shown = ", ".join(repr(v) for v in list(weights.index[:3]))
        raise WeightingError(
            f"the weights are indexed by {shown}, ..., which matches none of the panel's person "
            f"ids (e.g. {', '.join(repr(v) for v in list(known[:3]))}). These look like the row "
            "positions of the table the weights were fitted on. Pass the fitted weighting result "
            "itself (fitted on panel.baseline(), which has a 'person' column), its .by_person, "
            "or re-key the Series: w.set_axis(baseline['person'])."
        )
    return weights


def weights_at_answers(
    weights: pd.Series, person_at, wave_at, *, what: str = "the weights"
) -> np.ndarray:
    """One weight per observed answer, looked up by person or by (person, wave).

    Parameters
    ----------
    weights : pandas.Series
        Indexed by person id (e.g. propensity weights, after :func:`person_keyed_weights`) or by
        a (person, wave) MultiIndex (e.g. attrition weights).
    person_at, wave_at : array-like
        The person id and the wave label of each observed answer.
    what : str
        How the weights are named in error messages (e.g. ``"weights item 1"``).

    Returns
    -------
    numpy.ndarray
        float64 weights, one per answer, not normalised.

    Raises
    ------
    WeightingError
        The index has more than two levels; an answer has no weight (the message gives the count
        and the first person and wave); a weight is zero or negative.

    Examples
    --------
    >>> import pandas as pd
    >>> w = pd.Series([2.0, 3.0], index=pd.MultiIndex.from_tuples([(1, "a"), (1, "b")]))
    >>> weights_at_answers(w, [1, 1, 1], ["a", "b", "a"]).tolist()
    [2.0, 3.0, 2.0]
    """
    person_at = np.asarray(person_at, dtype=object)
    wave_at = np.asarray(wave_at, dtype=object)
    if weights.index.nlevels == 1:
        key, where = pd.Index(person_at), "person"
    elif weights.index.nlevels == 2:
        key, where = pd.MultiIndex.from_arrays([person_at, wave_at]), "(person, wave)"
    else:
        raise WeightingError(
            f"{what} have a {weights.index.nlevels}-level index; index them by person or by "
            "(person, wave)."
        )
    values = weights.reindex(key).to_numpy(dtype=float)
    checks = (
        (
            np.isnan(values),
            "have no value for",
            "Give a weight to every person who answered."
            if where == "person"
            else "Give a weight to every person at every wave they answered.",
        ),
        (
            values <= 0,
            "are zero or negative for",
            "Weights must be positive; drop those persons with panel.subset(persons=...) if they "
            "should not count.",
        ),
    )
    for failing, problem, fix in checks:
        if failing.any():
            j = int(np.flatnonzero(failing)[0])
            raise WeightingError(
                f"{what} (indexed by {where}) {problem} {int(failing.sum())} observed answers, "
                f"e.g. person {plain_value(person_at[j])!r} at wave {plain_value(wave_at[j])!r}. {fix}"
            )
    return values
