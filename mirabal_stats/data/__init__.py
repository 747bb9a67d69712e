"""The one door for raw user data: :class:`IndicatorPanel` and its validation."""

from mirabal_stats.data.arrays import PanelArrays
from mirabal_stats.data.panel import IndicatorPanel
from mirabal_stats.data.responses import DEFAULT_RESPONSE_MAP

__all__ = ["IndicatorPanel", "PanelArrays", "DEFAULT_RESPONSE_MAP"]
