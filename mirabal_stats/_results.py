"""Shared pieces of every results object: the standard estimate table and provenance.

Every results object in the library reports estimates in one table layout,
``estimate, std_error, lower, upper, ci_level`` (plus optional columns such as ``p_value``), whatever
the interval level, so tables from different pillars can be stacked and compared.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "TABLE_COLUMNS",
    "normal_table",
    "check_ci_level",
    "Provenance",
    "make_provenance",
    "data_fingerprint",
]

TABLE_COLUMNS = ["estimate", "std_error", "lower", "upper", "ci_level"]

_TRACKED_PACKAGES = (
    "mirabal_stats",
    "numpy",
    "pandas",
    "scipy",
    "pymc",
    "pytensor",
    "arviz",
    "lifelines",
    "linearmodels",
    "statsmodels",
    "scikit-learn",
    "nutpie",
)


def check_ci_level(ci_level: float) -> float:
    """Return ``ci_level`` as a float after checking it lies strictly between 0 and 1."""
    level = float(ci_level)
    if not 0.0 < level < 1.0:
        raise ValueError(
            f"ci_level must lie strictly between 0 and 1 (e.g. 0.95), got {ci_level!r}."
        )
    return level


def normal_table(
    estimate: Any,
    std_error: Any,
    *,
    index: Any,
    ci_level: float = 0.95,
    with_p_value: bool = True,
) -> pd.DataFrame:
    """Build the standard estimate table with Wald (normal) intervals.

    Parameters
    ----------
    estimate, std_error : array-like
        Point estimates and their standard errors.
    index : array-like
        Row labels (term, indicator, measure ...).
    ci_level : float, default 0.95
        Level of the two-sided interval ``estimate ± z * std_error``.
    with_p_value : bool, default True
        Add a two-sided ``p_value`` column for the null of zero (computed with the survival
        function, not ``1 - cdf``, so tiny p-values keep their precision).

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate, std_error, lower, upper, ci_level`` (and ``p_value``).

    Examples
    --------
    >>> normal_table([0.5], [0.1], index=["fin"]).round(3)["lower"].item()
    0.304
    """
    level = check_ci_level(ci_level)
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2.0)
    table = pd.DataFrame(
        {
            "estimate": est,
            "std_error": se,
            "lower": est - z * se,
            "upper": est + z * se,
            "ci_level": level,
        },
        index=pd.Index(index),
    )
    if with_p_value:
        with np.errstate(divide="ignore", invalid="ignore"):
            table["p_value"] = 2.0 * stats.norm.sf(np.abs(est / se))
    return table


def data_fingerprint(frame: pd.DataFrame) -> str:
    """Return a short SHA-256 fingerprint of a DataFrame's values, index and column names."""
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    digest = hashlib.sha256(hashed.tobytes())
    digest.update("|".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Provenance:
    """Where a result came from: package versions, seed, data fingerprint and settings."""

    created: str
    python: str
    packages: dict[str, str]
    random_seed: int | None = None
    data_fingerprint: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the provenance as a plain dictionary (JSON-serialisable)."""
        return {
            "created": self.created,
            "python": self.python,
            "packages": dict(self.packages),
            "random_seed": self.random_seed,
            "data_fingerprint": self.data_fingerprint,
            "settings": {k: _jsonable(v) for k, v in self.settings.items()},
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return repr(value)


def package_versions() -> dict[str, str]:
    """Versions of the packages that can change a result (looked up once per process)."""
    return dict(_package_versions())


@lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    # Reading package metadata costs ~40 ms; results are built many times in bootstraps.
    versions = {}
    for name in _TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return tuple(versions.items())


def make_provenance(
    *,
    random_seed: int | None = None,
    data: pd.DataFrame | None = None,
    settings: dict[str, Any] | None = None,
) -> Provenance:
    """Record package versions, the seed, a fingerprint of ``data`` and the settings used."""
    return Provenance(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        python=platform.python_version(),
        packages=package_versions(),
        random_seed=random_seed,
        data_fingerprint=None if data is None else data_fingerprint(data),
        settings=dict(settings or {}),
    )
