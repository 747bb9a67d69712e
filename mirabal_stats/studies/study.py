"""Running a simulation study (:func:`run_study`) and a power curve (:func:`power_curve`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats._results import check_ci_level, make_provenance
from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.studies import _engine
from mirabal_stats.studies.analyses import Analysis, check_analyses
from mirabal_stats.studies.design import MirabalDesign
from mirabal_stats.studies.results import StudyResults

__all__ = ["run_study", "power_curve"]


def _check_design(design: object) -> MirabalDesign:
    if not isinstance(design, MirabalDesign):
        raise SpecificationError(
            f"design must be a MirabalDesign (e.g. MirabalDesign.published()), got "
            f"{type(design).__name__}."
        )
    return design


def _check_count(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise SpecificationError(
            f"{name} must be a whole number of at least {minimum}, got {value!r}; e.g. {name}=200."
        )
    return int(value)


def _entropy(random_seed: object, stored: int | None = None) -> int:
    if random_seed is None:
        return stored if stored is not None else int(np.random.SeedSequence().entropy)
    if isinstance(random_seed, bool) or not isinstance(random_seed, (int, np.integer)):
        raise SpecificationError(
            f"random_seed must be a whole number >= 0 (or None for a fresh seed, recorded in "
            f"the results), got {random_seed!r}."
        )
    if random_seed < 0:
        raise SpecificationError(f"random_seed must be >= 0, got {random_seed!r}.")
    return int(random_seed)


def _check_cluster(client: object, scheduler: object, n_workers: object) -> None:
    if client is not None and scheduler is not None:
        raise SpecificationError(
            "Pass either client= (a dask.distributed.Client) or scheduler= (its address), not both."
        )
    if scheduler is not None and not isinstance(scheduler, str):
        raise SpecificationError(
            f"scheduler must be the address of a Dask scheduler such as 'tcp://127.0.0.1:8786', "
            f"got {scheduler!r}."
        )
    if n_workers is not None:
        _check_count("n_workers", n_workers)
        if client is not None or scheduler is not None:
            raise SpecificationError(
                "n_workers sizes the LocalCluster that run_study starts itself; with client= or "
                "scheduler= the cluster's own workers are used: leave n_workers=None."
            )


def _stored_entropy(store) -> int | None:
    if store is None:
        return None
    import json
    from pathlib import Path

    for path in [Path(store) / "study.json", *sorted(Path(store).glob("*/study.json"))]:
        if path.exists():
            return int(json.loads(path.read_text())["entropy"])
    return None


def _preflight(designs: Sequence[MirabalDesign]) -> None:
    """Draw a tiny data set from each design here, so that a design the simulator refuses
    fails before any cluster starts (calibration is cached, the sample is 2 + 2 women)."""
    for design in designs:
        dataclasses.replace(design, n_intervention=2, n_comparison=2).simulate(random_seed=0)


def _run(
    points: list[tuple[Any, MirabalDesign, tuple]],
    analyses: tuple[Analysis, ...],
    *,
    replicates: dict[int, range],
    entropy: int,
    ci_level: float,
    over: str | None,
    client,
    scheduler,
    n_workers,
    store,
    progress: bool,
    label: str,
) -> pd.DataFrame:
    """Run ``replicates[i]`` of every point ``i``; return the assembled table."""
    from pathlib import Path

    jobs = []
    for index, (value, design, key) in enumerate(points):
        point_store = None
        finished: set[int] = set()
        if store is not None:
            folder = (
                Path(store) if over is None else Path(store) / f"{over}={_engine._plain(value)}"
            )
            point = None if over is None else {"over": over, "value": _engine._plain(value)}
            point_store = _engine.Store(
                folder, _engine.manifest(design, analyses, entropy, ci_level, point)
            )
            finished = point_store.finished()
        for r in replicates[index]:
            jobs.append(
                {
                    "point": index,
                    "design": design,
                    "key": key,
                    "replicate": r,
                    "store": point_store,
                    "finished": finished,
                }
            )
    tables = _engine.execute(
        jobs,
        analyses,
        entropy=entropy,
        ci_level=ci_level,
        client=client,
        scheduler=scheduler,
        n_workers=n_workers,
        progress=progress,
        label=label,
    )
    frames = []
    for index, (value, _, _) in enumerate(points):
        for r in replicates[index]:
            frame = tables[(index, r)]
            if over is not None:
                frame = frame.copy()
                frame.insert(0, over, value)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def run_study(
    design: MirabalDesign,
    analyses: Analysis | Sequence[Analysis],
    *,
    n_replicates: int,
    random_seed: int | None = None,
    ci_level: float = 0.95,
    client=None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    store=None,
    progress: bool = True,
) -> StudyResults:
    """Simulate ``n_replicates`` data sets from ``design`` and run every analysis on each, on Dask.

    One task per replicate (the simulation and every analysis of that data set). Replicate
    ``r`` draws from ``numpy.random.SeedSequence(random_seed).spawn(n_replicates)[r]``, so the
    results are identical whatever the number of workers and the order in which tasks finish.

    Parameters
    ----------
    design : MirabalDesign
        What to simulate.
    analyses : Analysis or sequence of Analysis
        Built with :mod:`mirabal_stats.studies.analyses` (``did``, ``gee``, ``naive``,
        ``weighted_effect``, ``indicator_model``, ``cox``, ``rmst``, ``custom``).
    n_replicates : int
        Data sets to simulate.
    random_seed : int, optional
        The study's seed. ``None``: a fresh one, recorded in ``results.random_seed`` (and, with
        ``store``, in the store, so that resuming continues the same study).
    ci_level : float, default 0.95
        Level of every interval; coverage is judged against it and power is the share of
        intervals excluding 0 (a two-sided test at ``1 - ci_level``).
    client : dask.distributed.Client, optional
        Run on this client's cluster.
    scheduler : str, optional
        Address of a running Dask scheduler (``"tcp://host:8786"``); a client is opened and
        closed here. Its workers must be able to import ``mirabal_stats``.
    n_workers : int, optional
        Size of the LocalCluster started when neither ``client`` nor ``scheduler`` is given
        (processes, one thread each): default one per core available to this process, at most
        one per replicate. A Bayesian analysis uses one core per chain: use
        ``n_workers = cores // chains``.
    store : str or path, optional
        Folder where each finished replicate is written (one Parquet file each) with the
        study's manifest; an interrupted study called again with the same folder resumes where
        it stopped (and a larger ``n_replicates`` extends it). A folder holding another study
        is refused.
    progress : bool, default True
        A text progress bar on stderr.

    Returns
    -------
    StudyResults

    Notes
    -----
    Scripts that start a LocalCluster must protect their entry point with
    ``if __name__ == "__main__":`` (the workers are new Python processes that import the
    script).

    Examples
    --------
    >>> from mirabal_stats.studies import MirabalDesign, analyses, run_study
    >>> design = MirabalDesign(indicators=("slapped_pushed",), n_intervention=40,
    ...                        n_comparison=40)
    >>> study = run_study(design, analyses.naive(), n_replicates=4, random_seed=1,
    ...                   n_workers=1, progress=False)  # doctest: +SKIP
    >>> study.performance_frame()["coverage"]  # doctest: +SKIP
    """
    design = _check_design(design)
    analyses = check_analyses(analyses)
    n_replicates = _check_count("n_replicates", n_replicates)
    ci_level = check_ci_level(ci_level)
    _check_cluster(client, scheduler, n_workers)
    entropy = _entropy(random_seed, _stored_entropy(store))
    _preflight([design])
    table = _run(
        [(None, design, ())],
        analyses,
        replicates={0: range(n_replicates)},
        entropy=entropy,
        ci_level=ci_level,
        over=None,
        client=client,
        scheduler=scheduler,
        n_workers=n_workers,
        store=store,
        progress=progress,
        label="replicates",
    )
    return _results(table, design, {None: design}, None, analyses, n_replicates, entropy, ci_level)


def _results(table, design, designs, over, analyses, n_replicates, entropy, ci_level):
    settings = {
        "design": design.to_dict(),
        "analyses": [a.spec() for a in analyses],
        "n_replicates": n_replicates,
        "ci_level": ci_level,
        "over": over,
        "values": [_engine._plain(v) for v in designs] if over else None,
    }
    return StudyResults(
        table=table,
        design=design,
        designs=designs,
        over=over,
        analyses=tuple(a.name for a in analyses),
        n_replicates=n_replicates,
        random_seed=entropy,
        ci_level=ci_level,
        provenance=make_provenance(random_seed=entropy, settings=settings),
    )


#: Design fields a power curve may vary, besides ``"n_per_group"`` (both groups equal).
_SIZE_FIELDS = ("n_per_group", "n_intervention", "n_comparison")


def design_at(design: MirabalDesign, over: str, value: Any) -> MirabalDesign:
    """The design with ``over`` set to ``value`` (``"n_per_group"``: both groups)."""
    names = {f.name for f in dataclasses.fields(MirabalDesign)}
    if over not in names and over != "n_per_group":
        raise SpecificationError(
            f"over={over!r} is not a field of MirabalDesign; use 'n_per_group' (both groups), "
            f"or one of {sorted(names)}."
        )
    if isinstance(value, np.generic):
        value = value.item()
    if over == "n_per_group":
        return dataclasses.replace(design, n_intervention=value, n_comparison=value)
    return dataclasses.replace(design, **{over: value})


def power_curve(
    design: MirabalDesign,
    analyses: Analysis | Sequence[Analysis],
    *,
    over: str = "n_per_group",
    values: Sequence,
    n_replicates: int,
    random_seed: int | None = None,
    ci_level: float = 0.95,
    client=None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    store=None,
    progress: bool = True,
) -> StudyResults:
    """Run the same study at several values of one design field (group size, effect ...).

    Every point gets ``n_replicates`` replicates with its own seeds
    (``SeedSequence(random_seed, spawn_key=(point, r))``, ``point`` a stable hash of
    ``over=value``), so a point's results do not depend on which other points are run, and the
    points are independent (their Monte-Carlo errors add up as independent errors). All
    replicates of all points run as one pool of tasks on the cluster.

    Parameters
    ----------
    design : MirabalDesign
    analyses : Analysis or sequence of Analysis
    over : str, default "n_per_group"
        ``"n_per_group"`` sets both ``n_intervention`` and ``n_comparison``; any other
        :class:`MirabalDesign` field is set alone (e.g. ``"effect_pp"``, ``"n_intervention"``,
        ``"confounding"``).
    values : sequence
        The values of ``over``.
    n_replicates, random_seed, ci_level, client, scheduler, n_workers, store, progress
        As in :func:`run_study`; with ``store`` each point has its own subfolder
        (``<over>=<value>``).

    Returns
    -------
    StudyResults
        With ``over`` and one design per value; :meth:`StudyResults.plot_power_curve` draws
        power against ``over``.
    """
    design = _check_design(design)
    analyses = check_analyses(analyses)
    n_replicates = _check_count("n_replicates", n_replicates)
    ci_level = check_ci_level(ci_level)
    _check_cluster(client, scheduler, n_workers)
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise SpecificationError(
            f"values must be a non-empty list of values of {over!r}, e.g. values=[50, 100, 200]."
        )
    if len({repr(_engine._plain(v)) for v in values}) != len(values):
        raise SpecificationError(f"values must be distinct, got {list(values)!r}.")
    designs = {v: design_at(design, over, v) for v in values}
    entropy = _entropy(random_seed, _stored_entropy(store))
    _preflight(list(designs.values()))
    points = [(v, d, _engine.point_key(over, v)) for v, d in designs.items()]
    table = _run(
        points,
        analyses,
        replicates={i: range(n_replicates) for i in range(len(points))},
        entropy=entropy,
        ci_level=ci_level,
        over=over,
        client=client,
        scheduler=scheduler,
        n_workers=n_workers,
        store=store,
        progress=progress,
        label=f"replicates over {over}",
    )
    return _results(table, design, designs, over, analyses, n_replicates, entropy, ci_level)
