"""Bundled public data sets (``load_*``) and simulated designs with known truth (``simulate_*``)."""

from mirabal_stats.datasets.example import (
    load_mirabal_example,
    load_mirabal_persons,
    load_mirabal_survey,
    load_mirabal_truth,
)
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
from mirabal_stats.datasets.mirabal_design import MEASURES, indicator_catalogue, wave_months
from mirabal_stats.datasets.simulate import COVARIATES, MirabalTruth, simulate_mirabal

__all__ = [
    "DatasetInfo",
    "list_datasets",
    "load_lalonde",
    "load_recid",
    "load_respiratory",
    "load_rossi",
    "load_toenail",
    "verify_bundled_files",
    "MEASURES",
    "indicator_catalogue",
    "wave_months",
    "COVARIATES",
    "MirabalTruth",
    "simulate_mirabal",
    "load_mirabal_example",
    "load_mirabal_persons",
    "load_mirabal_survey",
    "load_mirabal_truth",
]
