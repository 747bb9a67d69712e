"""The study engine on real Dask clusters: a tiny CI study on a 2-worker LocalCluster, identical
tables on 1 and 2 workers, a killed study resumed from its store, and a scheduler plus two
workers started with the ``dask`` command line on localhost."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mirabal_stats.exceptions import SpecificationError
from mirabal_stats.studies import MirabalDesign, StudyResults, analyses, power_curve, run_study
from tests._contract import assert_results_contract
from tests.studies._slow_analysis import sleepy_mean

ROOT = Path(__file__).resolve().parents[2]
DESIGN = MirabalDesign(
    indicators=("slapped_pushed", "feels_very_safe"), n_intervention=40, n_comparison=30
)
ANALYSES = [analyses.naive(level="indicator"), analyses.naive(level="overall")]
N, SEED = 6, 123


def _study(**options) -> StudyResults:
    return run_study(DESIGN, ANALYSES, n_replicates=N, random_seed=SEED, progress=False, **options)


def _same(a: StudyResults, b: StudyResults) -> None:
    pd.testing.assert_frame_equal(
        a.to_frame().drop(columns=["seconds", "cpu_seconds"]),
        b.to_frame().drop(columns=["seconds", "cpu_seconds"]),
        check_exact=True,
    )
    pd.testing.assert_frame_equal(a.performance_frame(), b.performance_frame(), check_exact=True)
    assert str(a.summary()) == str(b.summary())


@pytest.fixture(scope="module")
def client():
    # One 2-worker cluster shared by the tests that do not test the default LocalCluster path.
    import logging

    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    with Client(cluster, set_as_default=False) as dask_client:
        yield dask_client
    cluster.close()


@pytest.fixture(scope="module")
def two_workers() -> StudyResults:
    # The CI study: run_study starts a 2-worker LocalCluster (processes) and closes it.
    return _study(n_workers=2)


def test_tiny_study_on_a_two_worker_local_cluster(two_workers):
    table = two_workers.to_frame()
    assert len(table) == N * 3  # 2 indicator rows + 1 overall row per replicate
    assert table["error"].isna().all()
    assert sorted(table["replicate"].unique()) == list(range(N))
    assert table["covered"].isin([True, False]).all()
    perf = two_workers.performance_frame()
    assert list(perf.index.get_level_values("estimand")) == [
        "slapped_pushed",
        "feels_very_safe",
        "overall",
    ]
    assert (perf["n"] == N).all() and (perf["n_failed"] == 0).all()
    assert_results_contract(two_workers)
    assert two_workers.provenance.random_seed == SEED


def test_one_and_two_workers_give_identical_tables(two_workers):
    _same(_study(n_workers=1), two_workers)


def test_results_do_not_depend_on_the_number_of_replicates_asked(client, two_workers):
    # Replicate r has the same seed in a study of 3 and in a study of 6 replicates.
    short = run_study(
        DESIGN, ANALYSES, n_replicates=3, random_seed=SEED, client=client, progress=False
    ).to_frame()
    full = two_workers.to_frame()
    cols = ["estimate", "lower", "upper", "truth", "replicate", "estimand"]
    pd.testing.assert_frame_equal(
        short[cols], full[full["replicate"] < 3][cols].reset_index(drop=True)
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def test_a_killed_study_resumes_from_its_store(tmp_path, client):
    store = tmp_path / "study"
    slow = [analyses.naive(level="overall"), analyses.custom(sleepy_mean, name="sleepy")]
    n = 10
    script = textwrap.dedent(
        f"""
        from mirabal_stats.studies import MirabalDesign, analyses, run_study
        from tests.studies._slow_analysis import sleepy_mean
        if __name__ == "__main__":
            design = MirabalDesign(indicators=("slapped_pushed", "feels_very_safe"),
                                   n_intervention=40, n_comparison=30)
            run_study(design, [analyses.naive(level="overall"),
                               analyses.custom(sleepy_mean, name="sleepy")],
                      n_replicates={n}, random_seed={SEED}, n_workers=1, store={str(store)!r},
                      progress=False)
        """
    )
    path = tmp_path / "run.py"
    path.write_text(script)
    proc = subprocess.Popen(
        [sys.executable, str(path)], env=_env(), cwd=ROOT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(store.glob("replicate-*.parquet"))) < 2:
            assert proc.poll() is None, "the study ended before it could be interrupted"
            assert time.monotonic() < deadline, "no replicate finished in 120 s"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the study, its cluster and its worker
        proc.wait()
    done = len(list(store.glob("replicate-*.parquet")))
    assert 2 <= done < n
    assert not list(store.glob(".*tmp*"))  # atomic writes: no half file
    resumed = run_study(
        DESIGN, slow, n_replicates=n, random_seed=SEED, client=client, store=store, progress=False
    )
    assert len(list(store.glob("replicate-*.parquet"))) == n
    uninterrupted = run_study(
        DESIGN, slow, n_replicates=n, random_seed=SEED, client=client, progress=False
    )
    _same(resumed, uninterrupted)
    # Another study in the same folder is refused, naming what differs.
    with pytest.raises(SpecificationError, match="holds the replicates of another study .*entropy"):
        run_study(DESIGN, slow, n_replicates=n, random_seed=SEED + 1, store=store, progress=False)


def test_a_scheduler_and_two_workers_started_from_the_command_line(two_workers):
    dask = Path(sys.executable).with_name("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = {
        "env": _env(),
        "cwd": ROOT,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
    }
    procs = [
        subprocess.Popen(
            [str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            **common,
        )
    ]
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [str(dask), "worker", address, "--nthreads", "1", "--no-dashboard"], **common
                )
            )
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            assert len(client.scheduler_info()["workers"]) == 2
        study = _study(scheduler=address)
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    _same(study, two_workers)


def test_power_curve_points_have_their_own_seeds(client):
    curve = power_curve(
        DESIGN,
        analyses.naive(level="overall"),
        values=[20, 40],
        n_replicates=3,
        random_seed=5,
        client=client,
        progress=False,
    )
    table = curve.to_frame()
    assert list(table["n_per_group"].unique()) == [20, 40]
    assert curve.designs[40].n_comparison == 40
    first = table[table["n_per_group"] == 20]["estimate"].to_numpy()
    second = table[table["n_per_group"] == 40]["estimate"].to_numpy()
    assert not np.allclose(first, second)
    perf = curve.performance_frame()
    assert perf.index.names == ["n_per_group", "analysis", "estimand", "scale"]
    assert_results_contract(curve)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"n_replicates": 0}, "n_replicates must be a whole number of at least 1"),
        ({"n_replicates": 2, "random_seed": -1}, "random_seed must be >= 0"),
        ({"n_replicates": 2, "random_seed": 1.5}, "random_seed must be a whole number"),
        ({"n_replicates": 2, "client": object(), "scheduler": "tcp://x:1"}, "not both"),
        ({"n_replicates": 2, "scheduler": 8786}, "address of a Dask scheduler"),
        ({"n_replicates": 2, "ci_level": 95}, "ci_level must be a number strictly between"),
    ],
)
def test_bad_study_options_are_named(options, match):
    with pytest.raises(SpecificationError, match=match):
        run_study(DESIGN, ANALYSES, progress=False, **options)


def test_a_design_the_simulator_refuses_fails_before_a_cluster_starts():
    bad = MirabalDesign(indicators=("slapped_pushed",), effect_pp=95.0)
    start = time.perf_counter()
    with pytest.raises(SpecificationError, match="not reachable for indicator 'slapped_pushed'"):
        run_study(bad, ANALYSES, n_replicates=2, random_seed=1, progress=False)
    assert time.perf_counter() - start < 30


@pytest.mark.slow  # the client waits 20 s for the scheduler before giving up
def test_an_unreachable_scheduler_is_named():
    with pytest.raises(SpecificationError, match="could not connect to the Dask scheduler"):
        run_study(
            DESIGN,
            ANALYSES,
            n_replicates=1,
            random_seed=1,
            progress=False,
            scheduler=f"tcp://127.0.0.1:{_free_port()}",
        )


TINY = MirabalDesign(indicators=("slapped_pushed",), n_waves=2, attrition="none")


def test_sample_size_result_follows_the_contract(client):
    from mirabal_stats.studies import sample_size
    from tests.studies._slow_analysis import known_power

    result = sample_size(
        TINY,
        analyses.custom(known_power, name="known"),
        scale="z",
        n_range=(20, 200),
        n_replicates=10,
        max_rounds=1,
        random_seed=3,
        client=client,
        progress=False,
    )
    curve = result.curve_frame()
    assert int(curve["n_replicates"].sum()) == len(result.study.to_frame())
    assert result.rounds == 1 and len(curve) == 5
    assert list(result.to_frame().columns[:5]) == [
        "estimate",
        "std_error",
        "lower",
        "upper",
        "ci_level",
    ]
    assert_results_contract(result)


@pytest.mark.slow  # about 700 replicates of a tiny design
def test_sample_size_finds_the_analytic_answer(client):
    from mirabal_stats.studies import sample_size
    from tests.studies._slow_analysis import known_power

    result = sample_size(
        TINY,
        analyses.custom(known_power, name="known"),
        scale="z",
        n_range=(20, 200),
        n_replicates=100,
        max_rounds=3,
        random_seed=4,
        client=client,
        progress=False,
    )
    row = result.to_frame().iloc[0]
    assert abs(row["estimate"] - 62.8) <= 3 * row["std_error"], row
    assert row["std_error"] < 6
