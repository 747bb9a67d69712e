"""Provenance for weighting results, with package versions looked up once per process.

``mirabal_stats._results.make_provenance`` reads every tracked package's metadata on each call
(~40 ms); weighting results are created hundreds of times in bootstraps and simulation studies, so
the versions are cached here. The record is otherwise identical to ``make_provenance``'s.
"""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import pandas as pd

from mirabal_stats._results import Provenance, data_fingerprint, package_versions

__all__ = ["weighting_provenance"]


@lru_cache(maxsize=1)
def _versions() -> tuple:
    return tuple(package_versions().items())


def weighting_provenance(
    *,
    random_seed: int | None = None,
    data: pd.DataFrame | None = None,
    settings: dict[str, Any] | None = None,
) -> Provenance:
    """Same fields as :func:`mirabal_stats._results.make_provenance`."""
    return Provenance(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        python=platform.python_version(),
        packages=dict(_versions()),
        random_seed=random_seed,
        data_fingerprint=None if data is None else data_fingerprint(data),
        settings=dict(settings or {}),
    )
