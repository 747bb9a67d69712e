"""Evaluation reports: the config, the analyses, the sections and the self-contained HTML.

The command line (``mirabal-stats evaluate``) is a thin layer over :func:`evaluate`::

    from mirabal_stats.reporting import load_config, evaluate
    report = evaluate(load_config("evaluation.toml"))
    report.write("evaluation_report")
"""

from mirabal_stats.reporting.config import EvaluationConfig, load_config, parse_config
from mirabal_stats.reporting.demo import demo_config
from mirabal_stats.reporting.document import Figure, Note, Paragraph, Section, SideBySide, Table
from mirabal_stats.reporting.evaluate import evaluate
from mirabal_stats.reporting.progress import Progress
from mirabal_stats.reporting.report import EvaluationReport, WrittenReport

__all__ = [
    "EvaluationConfig",
    "EvaluationReport",
    "Figure",
    "Note",
    "Paragraph",
    "Progress",
    "Section",
    "SideBySide",
    "Table",
    "WrittenReport",
    "demo_config",
    "evaluate",
    "load_config",
    "parse_config",
]
