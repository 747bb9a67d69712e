"""Running replicates on Dask: seeds, tasks, the cluster, the store and the progress bar.

Reproducibility: replicate ``r`` of a study with seed ``s`` draws everything from
``numpy.random.SeedSequence(s, spawn_key=(r,))``, which is
``numpy.random.SeedSequence(s).spawn(n_replicates)[r]``; a power curve or a sample-size search
adds one key per design point (``spawn_key=(point, r)``). The replicate's own sequence is split
into one seed for the simulation and one per analysis (the sampler seed of a Bayesian fit).
Nothing depends on the worker that runs a task or on the order in which tasks finish: the table
is sorted by design point and replicate when it is assembled.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats.exceptions import SpecificationError

__all__ = ["replicate_seed", "run_replicate", "execute", "Store", "point_key"]

_STORE_VERSION = 1
_TEXT_COLUMNS = ("analysis", "level", "estimand", "scale", "warnings", "error")


def replicate_seed(entropy: int, key: tuple, replicate: int) -> np.random.SeedSequence:
    """The seed sequence of one replicate (see the module docstring)."""
    return np.random.SeedSequence(entropy, spawn_key=(*key, int(replicate)))


def point_key(over: str, value: Any) -> tuple[int]:
    """A stable integer key of a design point (``over=value``) for the seed sequence."""
    text = json.dumps([over, _plain(value)], sort_keys=True)
    return (int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big"),)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    return value


def run_replicate(design, analyses, entropy: int, key: tuple, replicate: int, ci_level: float):
    """Simulate one data set and run every analysis on it (the task sent to a worker)."""
    children = replicate_seed(entropy, key, replicate).spawn(1 + len(analyses))
    panel, truth = design.simulate(random_seed=int(children[0].generate_state(1, np.uint64)[0]))
    frames = [
        analysis.run(
            panel,
            truth,
            ci_level=ci_level,
            random_seed=int(child.generate_state(1, np.uint32)[0]),
        )
        for analysis, child in zip(analyses, children[1:])
    ]
    table = pd.concat(frames, ignore_index=True)
    table.insert(1, "replicate", int(replicate))
    return normalise(table)


def normalise(table: pd.DataFrame) -> pd.DataFrame:
    """Fixed dtypes (text columns as objects with None, numbers as float64), so that a table
    read back from the store equals the one computed."""
    table = table.copy()
    for column in table.columns:
        if column in _TEXT_COLUMNS:
            values = table[column].astype(object)
            table[column] = values.where(values.notna(), None)
        elif column == "replicate":
            table[column] = table[column].astype("int64")
        else:
            table[column] = pd.to_numeric(table[column], errors="coerce").astype("float64")
    return table


# --------------------------------------------------------------------------- store
class Store:
    """A folder holding one Parquet file per finished replicate and the study's manifest.

    The manifest (``study.json``) records the design, the analyses, the seed and the interval
    level; a folder that holds another study is refused, so a resumed study can only continue
    the same one. Files are written atomically (temporary file, then rename), so a study
    killed while writing leaves no half file.
    """

    def __init__(self, folder: str | os.PathLike, manifest: dict) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise SpecificationError(
                f"store={str(folder)!r} cannot be used as the study's folder ({err}); pass a "
                "folder you can write to."
            ) from err
        path = self.folder / "study.json"
        if path.exists():
            recorded = json.loads(path.read_text())
            differences = [
                k
                for k in ("design", "analyses", "entropy", "ci_level", "point")
                if recorded.get(k) != manifest.get(k)
            ]
            if recorded.get("version") != _STORE_VERSION or differences:
                raise SpecificationError(
                    f"store={str(folder)!r} holds the replicates of another study (it differs in: "
                    f"{', '.join(differences) or 'format version'}). Use a new folder for this "
                    "study, or delete the old one to start again."
                )
        else:
            tmp = path.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
            os.replace(tmp, path)

    def path(self, replicate: int) -> Path:
        return self.folder / f"replicate-{replicate:06d}.parquet"

    def finished(self) -> set[int]:
        done = set()
        for path in self.folder.glob("replicate-*.parquet"):
            with contextlib.suppress(ValueError):
                done.add(int(path.stem.split("-")[1]))
        return done

    def read(self, replicate: int) -> pd.DataFrame:
        return normalise(pd.read_parquet(self.path(replicate)))

    def write(self, replicate: int, table: pd.DataFrame) -> None:
        target = self.path(replicate)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        table.to_parquet(tmp, index=False)
        os.replace(tmp, target)


def manifest(design, analyses, entropy: int, ci_level: float, point: dict | None) -> dict:
    return {
        "version": _STORE_VERSION,
        "design": json.loads(json.dumps(design.to_dict(), default=str)),
        "analyses": json.loads(json.dumps([a.spec() for a in analyses], default=str)),
        "entropy": str(entropy),
        "ci_level": ci_level,
        "point": point,
    }


# --------------------------------------------------------------------------- progress
class Progress:
    """A plain-text progress bar on stderr (a line every 10% when stderr is not a terminal)."""

    def __init__(self, total: int, *, enabled: bool, label: str, stream=None) -> None:
        self.total, self.enabled, self.label = total, enabled and total > 0, label
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last_decile = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        fraction = done / self.total
        decile = int(10 * fraction)
        if not self.tty and decile == self.last_decile and done < self.total:
            return
        self.last_decile = decile
        elapsed = time.perf_counter() - self.start
        left = elapsed / done * (self.total - done) if done else float("nan")
        bar = "#" * int(30 * fraction) + "." * (30 - int(30 * fraction))
        text = (
            f"{self.label}: {done}/{self.total} [{bar}] {100 * fraction:3.0f}% "
            f"{_clock(elapsed)} elapsed" + (f", ~{_clock(left)} left" if done < self.total else "")
        )
        self.stream.write(("\r" + text) if self.tty else (text + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


# --------------------------------------------------------------------------- cluster
def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _import_distributed():
    try:
        import distributed
    except ImportError as err:
        raise ImportError(
            "mirabal_stats.studies runs replicates with Dask: install it with "
            "pip install 'dask[distributed]' (or the mirabal-stats 'studies' extra)."
        ) from err
    return distributed


@contextlib.contextmanager
def cluster_client(client, scheduler, n_workers: int | None, n_tasks: int) -> Iterator[Any]:
    """The Dask client to use: the caller's, one connected to ``scheduler``, or a LocalCluster
    (processes, one thread each, one per core unless ``n_workers``) started and closed here."""
    if client is not None:
        yield client
        return
    distributed = _import_distributed()
    if scheduler is not None:
        try:
            own = distributed.Client(scheduler, timeout="20s", set_as_default=False)
        except OSError as err:
            raise SpecificationError(
                f"could not connect to the Dask scheduler at {scheduler!r} ({err}); start it "
                "with `dask scheduler` and pass the address it prints (tcp://host:8786)."
            ) from err
        try:
            yield own
        finally:
            own.close()
        return
    workers = n_workers or max(1, min(_cpu_count(), n_tasks))
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    own = distributed.Client(cluster, set_as_default=False)
    try:
        yield own
    finally:
        own.close()
        cluster.close()


def execute(
    jobs: list[dict],
    analyses,
    *,
    entropy: int,
    ci_level: float,
    client,
    scheduler,
    n_workers: int | None,
    progress: bool,
    label: str,
) -> dict[tuple[int, int], pd.DataFrame]:
    """Run the jobs (``point``, ``design``, ``key``, ``replicate``, ``store``) not yet in their
    store; return every table keyed by (point, replicate)."""
    results: dict[tuple[int, int], pd.DataFrame] = {}
    pending = []
    for job in jobs:
        store = job["store"]
        if store is not None and job["replicate"] in job["finished"]:
            results[(job["point"], job["replicate"])] = store.read(job["replicate"])
        else:
            pending.append(job)
    bar = Progress(len(jobs), enabled=progress, label=label)
    bar.update(len(results))
    if pending:
        distributed = _import_distributed()
        token = uuid.uuid4().hex[:8]
        with cluster_client(client, scheduler, n_workers, len(pending)) as dask_client:
            futures = {}
            for job in pending:
                future = dask_client.submit(
                    run_replicate,
                    job["design"],
                    analyses,
                    entropy,
                    job["key"],
                    job["replicate"],
                    ci_level,
                    key=f"mirabal-replicate-{token}-{job['point']}-{job['replicate']}",
                    pure=False,
                )
                futures[future] = job
            try:
                for future in distributed.as_completed(list(futures), loop=dask_client.loop):
                    job = futures[future]
                    table = future.result()
                    if job["store"] is not None:
                        job["store"].write(job["replicate"], table)
                    results[(job["point"], job["replicate"])] = table
                    bar.update(len(results))
            finally:
                unfinished = [f for f in futures if not f.done()]
                if unfinished:
                    dask_client.cancel(unfinished)
    bar.close()
    return results
