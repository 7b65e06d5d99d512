"""Sweeps under faults: workers killed, the driver killed, runs that kill their worker.

Whatever dies, the rows on disk at the end are those of a sweep nothing disturbed (same run ids,
seeds, parameters and outputs): nothing lost, nothing repeated. Small runs (200 users, 12 months)
so that the deaths and restarts, not the model, take the time.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dask
import pandas as pd
import pytest

from model.experiments import load_steps, run_experiment
from tests.sweeps import comparable, rows_on_disk, write_experiment

ROOT = Path(__file__).resolve().parent.parent


def experiment_file(folder: Path, replicates: int = 2, effects=(1.0, 3.0, 2.0), keep_frame: bool = False) -> Path:
    return write_experiment(folder, seed=3, users=200, steps=12, replicates=replicates,
                            vary={"network.effect": effects}, keep_frame=keep_frame)


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory):
    """The rows of the experiment run serially, in this process, with nothing killed."""
    folder = tmp_path_factory.mktemp("undisturbed")
    run_experiment(experiment_file(folder), folder / "out", serial=True, progress=False)
    return comparable(folder / "out")


@pytest.fixture(scope="module")
def fragile_cluster():
    """Two worker processes. Dask gives a run up (KilledWorker) after the second death of a worker
    it was on (allowed-failures = 1; the default 3 behaves the same, with more deaths to wait for).
    Workers start from a fork server that has imported the model, so a killed one is back in a
    second rather than after a fresh interpreter has imported it all again."""
    import multiprocessing

    from distributed import Client, LocalCluster
    from distributed.utils import get_mp_context

    settings = {"distributed.scheduler.allowed-failures": 1, "distributed.worker.multiprocessing-method": "forkserver"}
    with dask.config.set(settings):
        get_mp_context()  # Dask's own preload list, which this one replaces
        multiprocessing.get_context("forkserver").set_forkserver_preload(["distributed", "model.economy"])
        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0") as local, \
                Client(local) as client:
            yield client


def notebook_function(source: str, name: str, **globals_):
    namespace = {"__name__": "__main__", **globals_}
    exec(source, namespace)  # noqa: S102 - a stand-in for a notebook cell, shipped to the workers by value
    return namespace[name]


KILLERS = """
import os, signal
from pathlib import Path

def kill_worker(economy):
    # Kill this worker process, as a segfault would: point 1 (network effect 3.0) every time,
    # point 2 (2.0) the first time each of its runs gets here.
    effect = economy.params.network.effect
    marker = Path(MARKERS) / str(economy.params.simulation.seed)
    if effect == 3.0 or effect == 2.0 and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return {}
"""


def test_workers_killed_mid_sweep_lose_only_the_runs_that_kill_them(tmp_path, fragile_cluster, undisturbed):
    """Both runs of point 1 kill their worker each time they run: with two workers, every worker dies
    at once. Both runs of point 2 kill their worker once. The runs of point 1 are recorded as failed,
    saying why; every other row is the undisturbed sweep's."""
    kill_worker = notebook_function(KILLERS, "kill_worker", MARKERS=str(tmp_path))
    out = tmp_path / "out"
    report = run_experiment(experiment_file(tmp_path), out, client=fragile_cluster, metrics=kill_worker, progress=False)
    runs = comparable(out)
    assert len(list(tmp_path.glob("[0-9]*"))) == 4, "all four runs of points 1 and 2 killed a worker"
    killers = runs["point"] == 1
    assert report.failed == 2 and list(runs.loc[killers, "status"]) == ["failed", "failed"], runs[["run_id", "status", "error"]].to_string()
    assert runs.loc[killers, "error"].str.startswith("KilledWorker: the worker died running this run").all()
    assert (runs.loc[~killers, "status"] == "ok").all(), runs.loc[~killers, "error"].tolist()
    assert rows_on_disk(out) == 6  # each run once
    pd.testing.assert_frame_equal(runs[~killers], undisturbed[~killers])


def test_a_driver_killed_mid_sweep_resumes_to_the_rows_of_an_undisturbed_sweep(tmp_path):
    """The sweep command on a local Dask cluster, killed with SIGKILL (no chance to clean up, its
    workers die with it), then the same command again."""
    path = experiment_file(tmp_path, replicates=3, effects=(1.0, 3.0, 2.0, 1.5), keep_frame=True)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "model", "sweep", str(path), "--out", str(out), "--workers", "1",
               "--batch-size", "2", "--no-progress"]
    driver = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list((out / "runs").glob("part-*.parquet")) and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its local cluster, as if the machine were lost
    driver.wait()
    assert driver.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    before = rows_on_disk(out)
    assert 0 < before < 12
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{12 - before} run now, {before} before" in resumed.stdout
    run_experiment(path, tmp_path / "whole", serial=True, progress=False)
    assert rows_on_disk(out) == 12  # none lost, none repeated
    pd.testing.assert_frame_equal(comparable(out), comparable(tmp_path / "whole"))
    pd.testing.assert_frame_equal(load_steps(out), load_steps(tmp_path / "whole"))
