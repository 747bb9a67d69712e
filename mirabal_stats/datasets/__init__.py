"""Bundled public data sets (``load_*``) and simulated designs with known truth (``simulate_*``)."""

from mirabal_stats.datasets.loaders import (
    DatasetInfo,
    list_datasets,
    load_lalonde,
    load_recid,
    load_respiratory,
    load_rossi,
    load_toenail,
    verify_bundled_files,
)

__all__ = [
    "DatasetInfo",
    "list_datasets",
    "load_lalonde",
    "load_recid",
    "load_respiratory",
    "load_rossi",
    "load_toenail",
    "verify_bundled_files",
]
