"""The one definition of measure-level and overall effects: means of *beneficial* indicator effects.

An indicator's effect is estimated on the scale its answers are coded ("yes" to "slapped you"):
a fall is good for a harm indicator, a rise for a positive one ("negotiates"). To average
indicators, each effect is first turned in the beneficial direction (multiplied by its
``benefit_sign``, +1 or -1), so that a positive measure or overall effect means the programme
helped. Every pillar (the Bayesian posterior draws, the frequentist estimates and covariances,
the report) aggregates through the matrix built here, so the sign flip is written once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mirabal_stats.exceptions import SpecificationError

__all__ = ["LEVELS", "beneficial_contrasts", "check_level"]

LEVELS = ("indicator", "measure", "overall")


def check_level(level: str) -> str:
    """Return ``level`` after checking it is ``"indicator"``, ``"measure"`` or ``"overall"``."""
    if level not in LEVELS:
        raise SpecificationError(
            f"level={level!r} is not available; use one of {', '.join(map(repr, LEVELS))}."
        )
    return level


def beneficial_contrasts(
    indicator_measures: pd.Series, benefit_sign: pd.Series, *, level: str
) -> pd.DataFrame:
    """Weights that turn indicator effects into effects at ``level``.

    Parameters
    ----------
    indicator_measures : pandas.Series
        The measure of each indicator (index: indicator), e.g.
        :attr:`IndicatorPanel.indicator_measures`.
    benefit_sign : pandas.Series
        +1 where more "yes" is beneficial, -1 where less is (index: indicator).
    level : {"indicator", "measure", "overall"}
        ``"indicator"``: the identity (effects stay on the scale the answers are coded);
        ``"measure"``: one row per measure, the mean of its indicators' beneficial effects;
        ``"overall"``: one row, the mean over all indicators' beneficial effects.

    Returns
    -------
    pandas.DataFrame
        Rows: the estimates at ``level``; columns: the indicators. ``C @ effects`` gives the
        estimates, ``C @ cov @ C.T`` their covariance; for posterior draws ``draws @ C.T``.

    Examples
    --------
    >>> import pandas as pd
    >>> measures = pd.Series(["safety", "safety", "talk"], index=["slapped", "threatened", "negotiates"])
    >>> signs = pd.Series([-1, -1, 1], index=measures.index)
    >>> beneficial_contrasts(measures, signs, level="measure")
            slapped  threatened  negotiates
    safety     -0.5        -0.5         0.0
    talk        0.0         0.0         1.0
    """
    check_level(level)
    indicators = list(indicator_measures.index)
    signs = benefit_sign.reindex(indicators).to_numpy(dtype=float)
    if level == "indicator":
        return pd.DataFrame(np.eye(len(indicators)), index=indicators, columns=indicators)
    if level == "overall":
        return pd.DataFrame([signs / len(indicators)], index=["overall"], columns=indicators)
    measures = list(dict.fromkeys(indicator_measures))
    rows = []
    for measure in measures:
        member = (indicator_measures == measure).to_numpy()
        rows.append(np.where(member, signs / member.sum(), 0.0))
    return pd.DataFrame(rows, index=measures, columns=indicators)
