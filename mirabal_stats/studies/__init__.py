"""Design, power and calibration studies: simulate an evaluation many times, on Dask.

- :class:`MirabalDesign`: what to simulate (groups, waves, indicators, effects, dropout ...);
- :mod:`~mirabal_stats.studies.analyses`: named estimators from the pillars (``naive``, ``did``,
  ``gee``, ``weighted_effect``, ``indicator_model``, ``cox``, ``rmst``, ``custom``);
- :func:`run_study` -> :class:`StudyResults` (per-replicate table, bias, RMSE, coverage, width
  and power with Monte-Carlo SEs); :func:`power_curve`; :func:`sample_size`.

Replicates run as tasks on a ``dask.distributed`` cluster: a LocalCluster started and closed by
the call, or yours (``client=`` / ``scheduler=``). Dask is imported only when a study runs.
"""

from mirabal_stats.studies import analyses
from mirabal_stats.studies.analyses import Analysis
from mirabal_stats.studies.design import MirabalDesign
from mirabal_stats.studies.performance import performance_measures
from mirabal_stats.studies.results import StudyResults
from mirabal_stats.studies.sample_size import SampleSizeResult, sample_size
from mirabal_stats.studies.study import power_curve, run_study

__all__ = [
    "MirabalDesign",
    "Analysis",
    "analyses",
    "run_study",
    "power_curve",
    "sample_size",
    "StudyResults",
    "SampleSizeResult",
    "performance_measures",
]
