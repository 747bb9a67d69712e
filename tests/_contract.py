"""Run-time checks of the results contract, shared by the pillars' tests.

``tests/test_api_contract.py`` checks signatures; :func:`assert_results_contract` checks a fitted
result object: its estimate table, its summary and its plots.
"""

from __future__ import annotations

import inspect

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from mirabal_stats._results import TABLE_COLUMNS, Results, Summary


def assert_results_contract(result, *, plot_kwargs: dict | None = None) -> None:
    """Fail unless ``result`` follows the shared results contract.

    ``plot_kwargs`` maps a ``plot_*`` method name to the keyword arguments it needs.
    """
    assert isinstance(result, Results), f"{type(result).__name__} does not derive from Results"
    table = result.to_frame()
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns[: len(TABLE_COLUMNS)]) == TABLE_COLUMNS, list(table.columns)
    summary = result.summary()
    assert isinstance(summary, Summary), type(summary)
    assert str(summary).strip()
    assert "<" in summary._repr_html_()
    assert result.provenance is not None
    plot_kwargs = dict(plot_kwargs or {})
    for name, method in inspect.getmembers(result, inspect.ismethod):
        if not name.startswith("plot_"):
            continue
        fig, ax = plt.subplots()
        try:
            returned = method(ax=ax, **plot_kwargs.get(name, {}))
            assert returned is ax, (
                f"{type(result).__name__}.{name} did not return the Axes it drew on"
            )
        finally:
            plt.close("all")
