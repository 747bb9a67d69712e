"""The one results base of the library: the estimate table, the summary, provenance.

Every results object (:class:`Results` subclasses, in every pillar) follows one contract, pinned
by ``tests/test_api_contract.py``:

- ``to_frame()`` is the estimate table: ``estimate, std_error, lower, upper, ci_level`` first,
  whatever the interval level, plus extra columns (``p_value``, ``median`` ...), so tables from
  different pillars can be stacked and compared; per-unit tables (weights, curves) have other names;
- ``summary()`` returns a :class:`Summary`: it prints as plain text and renders as HTML in a
  notebook;
- every ``plot_*`` method takes ``ax=`` and returns the matplotlib Axes it drew on;
- ``ci_level`` defaults to 0.95 in every pillar;
- ``provenance`` records package versions, seed, data fingerprint and settings.
"""

from __future__ import annotations

import abc
import hashlib
import html
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
    "Results",
    "Summary",
    "TABLE_COLUMNS",
    "DEFAULT_CI_LEVEL",
    "normal_table",
    "check_ci_level",
    "Provenance",
    "make_provenance",
    "data_fingerprint",
    "axes_or_new",
    "GROUP_COLOURS",
    "group_colour",
]

TABLE_COLUMNS = ["estimate", "std_error", "lower", "upper", "ci_level"]

#: The interval level of every estimate unless the user asks for another (the report may choose
#: 0.9 through its config).
DEFAULT_CI_LEVEL = 0.95

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
    from mirabal_stats.exceptions import SpecificationError

    scalar = isinstance(ci_level, (int, float, np.integer, np.floating)) and not isinstance(
        ci_level, (bool, np.bool_)
    )
    level = float(ci_level) if scalar else np.nan
    if not 0.0 < level < 1.0:
        raise SpecificationError(
            f"ci_level must be a number strictly between 0 and 1 (e.g. 0.95 for 95% intervals), "
            f"got {ci_level!r}."
        )
    return level


class Summary(str):
    """A results summary: plain text when printed, an HTML block in a notebook.

    It is a ``str`` (so ``print(result.summary())`` and ``"effect" in result.summary()`` work)
    that also carries its tables for the HTML view.

    Examples
    --------
    >>> import pandas as pd
    >>> s = Summary.build("Two rows.", tables={"estimates": pd.DataFrame({"estimate": [1.0, 2.0]})})
    >>> print(s.splitlines()[0])
    Two rows.
    >>> "<table" in s._repr_html_()
    True
    """

    paragraphs: tuple[str, ...]
    tables: tuple[tuple[str, pd.DataFrame], ...]

    def __new__(cls, text: str, *, paragraphs=(), tables=()):
        obj = super().__new__(cls, text)
        obj.paragraphs = tuple(paragraphs) or (str(text),)
        obj.tables = tuple(tables)
        return obj

    @classmethod
    def build(
        cls, *paragraphs: str, tables: dict[str, pd.DataFrame] | None = None, digits: int = 4
    ) -> Summary:
        """Text paragraphs followed by tables (rounded to ``digits`` in the text view)."""
        tables = dict(tables or {})
        parts = [p for p in paragraphs if p]
        for frame in tables.values():
            parts.append(frame.round(digits).to_string() if len(frame) else "(no rows)")
        return cls(
            "\n".join(parts), paragraphs=[p for p in paragraphs if p], tables=tuple(tables.items())
        )

    def __repr__(self) -> str:
        # At the prompt a summary should read as text, not as a quoted string.
        return str(self)

    def _repr_html_(self) -> str:
        blocks = [f"<p>{html.escape(p)}</p>" for p in self.paragraphs]
        for name, frame in self.tables:
            blocks.append(
                f"<details open><summary>{html.escape(str(name))}</summary>"
                f"{frame.to_html(float_format=lambda v: f'{v:.4g}')}</details>"
            )
        return "<div class='mirabal-summary'>" + "".join(blocks) + "</div>"


class Results(abc.ABC):
    """Base class of every results object (see the module docstring for the contract).

    Subclasses provide ``to_frame()`` (the estimate table), ``summary()`` (a :class:`Summary`)
    and a ``provenance`` attribute; plots are ``plot_*`` methods taking ``ax=``.
    """

    provenance: Provenance

    @abc.abstractmethod
    def to_frame(self) -> pd.DataFrame:
        """The estimate table: ``estimate, std_error, lower, upper, ci_level`` first."""

    @abc.abstractmethod
    def summary(self) -> Summary:
        """Plain-language summary with the estimate table."""

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


#: One colour per group in every figure of every pillar and of the report (colour-blind safe).
GROUP_COLOURS = {"treated": "#2f5d8a", "comparison": "#d9822b"}


def group_colour(is_treated: bool) -> str:
    """The colour of the intervention (``True``) or the comparison group (``False``)."""
    return GROUP_COLOURS["treated" if is_treated else "comparison"]


def axes_or_new(ax=None, *, figsize: tuple[float, float] = (6.4, 4.0)):
    """The Axes to draw on: ``ax`` itself, or the Axes of a new figure (``plot_*`` convention)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


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
