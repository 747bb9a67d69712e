"""The results of a simulation study: the per-replicate table and its performance summary."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import TABLE_COLUMNS, Provenance, Results, Summary, axes_or_new
from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.studies.performance import MEASURES, performance_measures

__all__ = ["StudyResults"]

_ID_COLUMNS = ["analysis", "level", "estimand", "scale", "replicate"]
_TAIL_COLUMNS = ["warnings", "error", "seconds", "cpu_seconds"]


class StudyResults(Results):
    """Every replicate's estimates and the performance of each analysis (from
    :func:`~mirabal_stats.studies.run_study` or :func:`~mirabal_stats.studies.power_curve`).

    - :meth:`to_frame`: one row per replicate x analysis x estimand x scale:
      ``estimate, std_error, lower, upper, ci_level, p_value, truth, covered, rejected``, then
      ``analysis, level, estimand, scale`` (and the design value of a power curve),
      ``replicate``, the analysis' extra columns (``prob_beneficial``, ``rhat_max`` ...),
      ``warnings`` (warning classes raised by the fit, with counts), ``error`` (why a fit
      failed), ``seconds`` and ``cpu_seconds`` (wall and CPU time of the analysis: the only
      columns that depend on the machine);
    - :meth:`performance_frame`: per analysis x estimand x scale, bias, empirical and model SE,
      RMSE, coverage, mean interval width and power, each with its Monte-Carlo SE
      (:mod:`mirabal_stats.studies.performance`);
    - :meth:`summary`, :meth:`plot_power_curve`, :meth:`failures_frame`.

    Attributes
    ----------
    design : MirabalDesign
        The design (of the first point of a power curve).
    designs : dict
        Design of each point of a power curve (``{value: design}``; one entry otherwise).
    over : str or None
        The design field a power curve varies (``"n_per_group"`` ...).
    analyses : tuple of str
    n_replicates : int
        Replicates per design point.
    random_seed : int
        The study's seed (the recorded entropy when none was given).
    ci_level : float
    provenance : Provenance
    """

    def __init__(
        self,
        *,
        table: pd.DataFrame,
        design,
        designs: dict,
        over: str | None,
        analyses: tuple[str, ...],
        n_replicates: int,
        random_seed: int,
        ci_level: float,
        provenance: Provenance,
    ) -> None:
        self._table = table
        self.design = design
        self.designs = dict(designs)
        self.over = over
        self.analyses = tuple(analyses)
        self.n_replicates = int(n_replicates)
        self.random_seed = random_seed
        self.ci_level = float(ci_level)
        self.provenance = provenance

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """One row per replicate x analysis x estimand x scale (see the class docstring)."""
        table = self._table.copy()
        table["ci_level"] = self.ci_level
        table["covered"] = (table["lower"] <= table["truth"]) & (table["truth"] <= table["upper"])
        table["rejected"] = (table["lower"] > 0) | (table["upper"] < 0)
        invalid = table["estimate"].isna()
        table["covered"] = table["covered"].where(~invalid, other=np.nan).astype(object)
        table["rejected"] = table["rejected"].where(~invalid, other=np.nan).astype(object)
        ids = ([self.over] if self.over else []) + _ID_COLUMNS
        first = [*TABLE_COLUMNS, "p_value", "truth", "covered", "rejected", *ids]
        extras = [c for c in table.columns if c not in first and c not in _TAIL_COLUMNS]
        return table[first + extras + _TAIL_COLUMNS].reset_index(drop=True)

    def failures_frame(self) -> pd.DataFrame:
        """The fits that failed: design point, analysis, replicate and the error."""
        keys = ([self.over] if self.over else []) + ["analysis", "replicate", "error"]
        failed = self._table[self._table["error"].notna()]
        return failed[keys].drop_duplicates().reset_index(drop=True)

    def performance_frame(self) -> pd.DataFrame:
        """Performance per (design value,) analysis, estimand and scale.

        Columns: ``level``, ``n`` (replicates with an estimate), ``n_missing`` (an estimand not
        estimated in a replicate, e.g. no variation), ``n_failed`` (the analysis raised an
        error: no row), ``truth`` (mean over replicates), ``mean_estimate``, then ``bias,
        empirical_se, model_se, rmse, coverage, mean_width, power``, each followed by
        ``<measure>_mcse``.
        """
        table = self._table
        keys = ([self.over] if self.over else []) + ["analysis"]
        failed = (
            table[table["error"].notna()].groupby(keys, sort=False)["replicate"].nunique().to_dict()
        )
        rows = []
        ok = table[table["error"].isna()]
        grouped = ok.groupby([*keys, "estimand", "scale"], sort=False, dropna=False)
        seen = set()
        for key, block in grouped:
            head = key[: len(keys)]
            seen.add(head)
            measures = performance_measures(
                block["estimate"],
                block["std_error"],
                block["lower"],
                block["upper"],
                block["truth"],
            )
            row = dict(zip([*keys, "estimand", "scale"], key))
            row["level"] = block["level"].iloc[0]
            row["n_failed"] = int(failed.get(head if len(keys) > 1 else head[0], 0))
            row.update(measures)
            rows.append(row)
        for head, count in failed.items():
            head = head if isinstance(head, tuple) else (head,)
            if head not in seen:  # every replicate of this analysis failed
                row = dict(zip(keys, head))
                row.update({"estimand": None, "scale": None, "level": None, "n_failed": count})
                rows.append(row)
        columns = [*keys, "estimand", "scale", "level", "n", "n_missing", "n_failed", "truth"]
        columns += ["mean_estimate"]
        for name in MEASURES:
            columns += [name, f"{name}_mcse"]
        frame = pd.DataFrame(rows).reindex(columns=columns)
        order = {name: i for i, name in enumerate(self.analyses)}
        frame["_order"] = frame["analysis"].map(order)
        sort = ([self.over] if self.over else []) + ["_order"]
        frame = frame.sort_values(sort, kind="stable").drop(columns="_order")
        return frame.set_index([*keys, "estimand", "scale"])

    # ------------------------------------------------------------------ summary
    def summary(self) -> Summary:
        """What was simulated, how many fits failed, whether coverage is nominal, and the
        performance table."""
        perf = self.performance_frame()
        design = self.design
        points = (
            f" at {len(self.designs)} values of {self.over} ({', '.join(map(str, self.designs))})"
            if self.over
            else ""
        )
        lines = [
            f"{self.n_replicates} replicates{points} of a simulated evaluation with "
            f"{design.n_intervention} intervention and {design.n_comparison} comparison women, "
            f"{design.n_waves} waves, {len(design.indicators or ()) or 34} indicators and "
            f"{design.attrition.upper()} dropout (seed {self.random_seed}); "
            f"{100 * self.ci_level:g}% intervals. Analyses: {', '.join(self.analyses)}.",
            "Bias, RMSE, coverage, mean width and power (share of intervals excluding 0) with "
            "their Monte-Carlo standard errors (_mcse; Morris, White & Crowther 2019, Stat Med "
            "38:2074). Truths are the design's sample effects on the treated (beneficial "
            "orientation).",
        ]
        valid = perf.dropna(subset=["coverage"])
        if len(valid):
            # The verdict uses the MC SE under the nominal coverage (a test of coverage =
            # nominal), which stays positive when every interval covered.
            nominal_mcse = np.sqrt(self.ci_level * (1 - self.ci_level) / valid["n"])
            off = valid[(valid["coverage"] - self.ci_level).abs() > 2 * nominal_mcse]
            text = (
                f"Coverage is within 2 MC SE (at the nominal level) of the nominal "
                f"{100 * self.ci_level:g}% for "
                f"{len(valid) - len(off)} of {len(valid)} rows"
            )
            if len(off):
                shown = [
                    f"{' / '.join(str(k) for k in idx)} ({100 * r['coverage']:.1f}%)"
                    for idx, r in off.head(6).iterrows()
                ]
                text += "; outside: " + "; ".join(shown) + (" ..." if len(off) > 6 else "")
            lines.append(text + ".")
        n_failed = len(self.failures_frame())
        if n_failed:
            lines.append(
                f"{n_failed} fits failed and are left out of the measures (failures_frame() "
                "gives their errors)."
            )
        shown = perf.drop(columns=[c for c in ("empirical_se_mcse", "model_se_mcse") if c in perf])
        return Summary.build(*lines, tables={"performance": shown})

    # ------------------------------------------------------------------ plot
    def plot_power_curve(
        self,
        *,
        ax=None,
        analysis: str | None = None,
        estimand: str | None = None,
        scale: str | None = None,
        target_power: float | None = None,
    ):
        """Power (share of intervals excluding 0) against the design value of a power curve
        (or the intervention group size of a single study), one line per analysis x estimand x
        scale, with +-2 Monte-Carlo SE bars. ``analysis``, ``estimand`` and ``scale`` select
        lines; ``target_power`` draws a horizontal reference line.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = axes_or_new(ax)
        perf = self.performance_frame().reset_index()
        perf = perf[perf["estimand"].notna()]
        for column, value in (("analysis", analysis), ("estimand", estimand), ("scale", scale)):
            if value is not None:
                if value not in set(perf[column]):
                    raise SpecificationError(
                        f"plot_power_curve({column}={value!r}): no such {column} in this study; "
                        f"choose from {sorted(set(map(str, perf[column])))}."
                    )
                perf = perf[perf[column] == value]
        x_name = self.over or "n_intervention"
        if not self.over:
            perf = perf.assign(n_intervention=self.design.n_intervention)
        lines = list(perf.groupby(["analysis", "estimand", "scale"], sort=False))
        for (name, est, sc), block in lines:
            block = block.sort_values(x_name)
            x = block[x_name].to_numpy(dtype=float)
            ax.errorbar(
                x,
                block["power"],
                yerr=2 * block["power_mcse"],
                marker="o",
                capsize=3,
                label=f"{name}: {est} ({sc})",
            )
        if target_power is not None:
            ax.axhline(target_power, color="0.5", linestyle="--", linewidth=1)
        ax.set_xlabel(x_name.replace("_", " "))
        ax.set_ylabel(f"power (interval at {100 * self.ci_level:g}% excludes 0)")
        ax.set_ylim(-0.02, 1.02)
        if 0 < len(lines) <= 12:
            ax.legend(fontsize="small")
        return ax

    def __repr__(self) -> str:
        return (
            f"StudyResults({self.n_replicates} replicates x {len(self.designs)} design point(s), "
            f"analyses {list(self.analyses)})"
        )

    def _settings(self) -> dict[str, Any]:
        return dict(self.provenance.settings)
