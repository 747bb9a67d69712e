"""The config of ``mirabal-stats demo``: the bundled Mirabal-design example."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mirabal_stats.reporting.config import EvaluationConfig, parse_config

__all__ = ["DEMO_CONFIG", "QUICK_BAYES", "demo_config"]

#: File name of the demo config, shipped next to the example data in ``mirabal_stats.datasets``.
DEMO_CONFIG = "mirabal_demo.toml"

#: MCMC settings of ``--quick`` (``demo`` and ``evaluate``): enough to exercise every step, far
#: too few for inference; the report and the terminal say "not for reporting".
QUICK_BAYES = {"draws": 40, "tune": 40, "chains": 2}


def demo_config(*, quick: bool = False) -> EvaluationConfig:
    """The validated demo config; ``quick=True`` swaps in tiny MCMC settings (for tests).

    Examples
    --------
    >>> demo_config().get("design", "treated")
    'intervention'
    """
    files = resources.files("mirabal_stats.datasets").joinpath("files")
    text = files.joinpath(DEMO_CONFIG).read_text(encoding="utf-8")
    # The example CSVs live beside the config inside the installed package.
    config = parse_config(text, base_dir=Path(str(files)), source=DEMO_CONFIG)
    if quick:
        config = config.with_quick(QUICK_BAYES)
    return config
