"""Sweeps: the same rows however they run (serially, on 1 or 2 Dask workers), failures recorded, a
worker's death survived, flat driver memory, and Mesa's batch_run. Killed workers and drivers:
test_sweep_faults.py."""

import gc
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

from model.experiments import ExperimentError, ResultStore, load_experiment, load_runs, load_steps, run_experiment
from tests.sweeps import NETWORK_ONLY, comparable, rows_on_disk, write_experiment

ROOT = Path(__file__).resolve().parent.parent


def experiment_file(tmp_path: Path, users=200, steps=24, replicates=10, effects=(1.0, 2.0, 3.0),
                    costs=(0.0, 0.5, 1.0), keep_frame=False, name="exp.toml") -> Path:
    return write_experiment(tmp_path, seed=11, users=users, steps=steps, replicates=replicates,
                            vary={"network.effect": effects, "switching.base_cost": costs}, keep_frame=keep_frame, name=name)


# -- a real Dask cluster (2 worker processes on loopback), shared by the tests of this file ----
@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0") as local, Client(local) as client:
        yield client


NOTEBOOK_CELL = """
def extra_metrics(economy):
    # defined as in a notebook (module __main__): cloudpickle must ship it to the workers by value
    if economy.params.network.effect == 2.0 and economy.params.switching.base_cost == 0.5:
        raise RuntimeError("deliberate failure at one point")
    return {"final_adopted": float(economy.model_frame()["adopted_users"].iloc[-1])}
"""


def notebook_function(source: str, name: str, **globals_):
    namespace = {"__name__": "__main__", **globals_}
    exec(source, namespace)  # noqa: S102 - a stand-in for a notebook cell
    return namespace[name]


def test_cluster_sweep_of_90_runs_records_the_failing_point_and_goes_on(tmp_path, cluster):
    metrics = notebook_function(NOTEBOOK_CELL, "extra_metrics")
    assert metrics.__module__ == "__main__"
    out = tmp_path / "out"
    report = run_experiment(experiment_file(tmp_path), out, client=cluster, metrics=metrics, batch_size=20, progress=False)
    runs = load_runs(out)
    assert report.total == report.ran == 90 and rows_on_disk(out) == 90
    assert sorted(runs["run_id"]) == list(range(90)) and runs["run_id"].is_unique
    failing = (runs["network.effect"] == 2.0) & (runs["switching.base_cost"] == 0.5)
    assert (runs.loc[failing, "status"] == "failed").all() and failing.sum() == 10 == report.failed
    assert runs.loc[failing, "error"].str.contains("RuntimeError: deliberate failure at one point").all()
    assert (runs.loc[~failing, "status"] == "ok").all() and runs.loc[~failing, "final_adopted"].eq(200).all()
    for _, point in runs.groupby("point"):  # each point's replicates have their own seeds and results
        assert point["seed"].is_unique and len(point) == 10
        assert point["simulation.seed"].equals(point["seed"])
    tipped = runs[~failing].groupby("network.effect")["final_hhi"].mean()
    assert tipped[3.0] > tipped[1.0] + 0.2  # theory: beta*J = 4.5 tips the market, beta*J = 1.5 does not


def test_same_rows_serially_on_one_and_two_workers(tmp_path, cluster, monkeypatch):
    """The two clusters are reached as a user would reach a running one: by its scheduler's address."""
    from distributed import LocalCluster

    path = experiment_file(tmp_path, replicates=3, effects=(1.0, 3.0), keep_frame=True)
    run_experiment(path, tmp_path / "serial", serial=True, progress=False)
    tasks_seen = lambda: cluster.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_counter)  # noqa: E731
    before = tasks_seen()
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler.address)
    run_experiment(path, tmp_path / "two", batch_size=4, progress=False)
    assert tasks_seen() > before, "the runs went to the scheduler named by DASK_SCHEDULER_ADDRESS"
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
    with LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0") as one:
        run_experiment(path, tmp_path / "one", scheduler=one.scheduler_address, batch_size=5, progress=False)
        assert one.scheduler.transition_counter > 0, "the runs went to the scheduler at --scheduler ADDRESS"
    serial = comparable(tmp_path / "serial")
    assert len(serial) == 18 and (serial["status"] == "ok").all()
    for other in ("one", "two"):
        pd.testing.assert_frame_equal(comparable(tmp_path / other), serial)
        pd.testing.assert_frame_equal(load_steps(tmp_path / other), load_steps(tmp_path / "serial"))


DIE_ONCE = """
import os
from pathlib import Path

def die_once(economy):
    # the worker process dies (as if its machine were lost) the first time it runs this point
    marker = Path(MARKER)
    if economy.params.network.effect == 3.0 and not marker.exists():
        marker.touch()
        os._exit(1)
    return {}
"""


def test_a_worker_that_dies_has_its_run_retried(tmp_path, cluster):
    die_once = notebook_function(DIE_ONCE, "die_once", MARKER=str(tmp_path / "died"))
    out = tmp_path / "out"
    report = run_experiment(experiment_file(tmp_path, replicates=1, effects=(1.0, 3.0), costs=(0.0,)), out,
                            client=cluster, metrics=die_once, progress=False)
    assert (tmp_path / "died").exists()  # a worker did die
    runs = load_runs(out)
    assert report.failed == 0 and list(runs["status"]) == ["ok", "ok"] and rows_on_disk(out) == 2


def test_resume_refuses_a_folder_made_by_another_experiment(tmp_path):
    out = tmp_path / "out"
    run_experiment(experiment_file(tmp_path, replicates=1, effects=(1.0,), costs=(0.0,)), out, serial=True, progress=False)
    other = experiment_file(tmp_path, replicates=2, effects=(1.0,), costs=(0.0,), name="other.toml")
    with pytest.raises(ExperimentError, match="holds results of a different experiment") as error:
        run_experiment(other, out, serial=True, progress=False)
    assert "[experiment]" in str(error.value) and rows_on_disk(out) == 1
    (tmp_path / "stranger").mkdir()
    (tmp_path / "stranger" / "notes.txt").write_text("mine")
    with pytest.raises(ExperimentError, match="holds no experiment"):
        run_experiment(other, tmp_path / "stranger", serial=True, progress=False)


def test_the_resolved_experiment_in_the_folder_repeats_the_experiment(tmp_path):
    path = experiment_file(tmp_path, replicates=2, effects=(1.0, 3.0), costs=(0.0,))
    out = tmp_path / "out"
    run_experiment(path, out, serial=True, progress=False)
    stored = load_experiment(out / "experiment.toml")
    assert stored.fingerprint() == load_experiment(path).fingerprint()
    assert run_experiment(stored, out, serial=True, progress=False).ran == 0  # resumable from its own record


def driver_memory_over_a_sweep(folder: Path) -> tuple[list[int], float]:
    """Traced memory of the driver after each batch of a 24-run serial sweep, and what 18 more results take."""
    held_after: list[int] = []
    write_batch = ResultStore.write_batch

    def measured(store, results):
        write_batch(store, results)
        gc.collect()  # finished runs are cycles (agents and markets point at their model): count what is held, not garbage
        held_after.append(tracemalloc.get_traced_memory()[0])

    ResultStore.write_batch = measured
    path = experiment_file(folder, users=50, steps=60, replicates=24, effects=(2.0,), costs=(0.0,), keep_frame=True)
    warm = experiment_file(folder, users=50, steps=60, replicates=2, effects=(2.0,), costs=(0.0,), name="warm.toml")
    run_experiment(warm, folder / "warm", serial=True, progress=False)  # imports and caches
    tracemalloc.start()
    try:
        run_experiment(path, folder / "out", serial=True, batch_size=3, progress=False)
    finally:
        tracemalloc.stop()
        ResultStore.write_batch = write_batch
    assert rows_on_disk(folder / "out") == 24 and len(held_after) >= 8
    runs, steps = load_runs(folder / "out"), load_steps(folder / "out")
    return held_after, float(0.75 * (runs.memory_usage(deep=True).sum() + steps.memory_usage(deep=True).sum()))


def test_driver_memory_stays_flat_as_the_number_of_runs_grows(tmp_path):
    """What the driver holds does not grow with the number of runs: results go to disk in batches.

    Traced memory (tracemalloc) of the driver, serial executor (every run in this process), read
    after each batch is written, over a sweep of 4N runs: after 4N runs it must exceed what it was
    after N runs by less than a fifth of what holding the extra 3N results would take (a runner
    that kept them, like Mesa's batch_run, needs all of it and more). The peak within a batch is a
    single model run's and depends on its seed, so it is not the measure here. Measured in a fresh
    process: threads and caches that other tests leave behind (a Dask client's loop) allocate as
    time passes, and tracemalloc would count them as the driver's.
    """
    import json
    import subprocess
    import sys

    script = ("import json, sys; from pathlib import Path; "
              "from tests.test_experiments_runs import driver_memory_over_a_sweep; "
              "print(json.dumps(driver_memory_over_a_sweep(Path(sys.argv[1]))))")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    held_after, extra_results = json.loads(done.stdout.strip().splitlines()[-1])
    after_n, after_4n = held_after[1], held_after[-1]  # after 6 runs, after 24 runs
    assert after_4n - after_n < 0.2 * extra_results, (held_after, extra_results)


def test_mesa_batch_run_runs_the_model(tmp_path):
    from mesa.batchrunner import batch_run

    from model.experiments import MesaBatchModel

    rows = batch_run(MesaBatchModel, parameters={"base": str(NETWORK_ONLY), "users.count": 200, "simulation.steps": 12,
                                                 "network.effect": [1.0, 3.0]},
                     rng=[1, 2], max_steps=100, data_collection_period=-1, number_processes=1, display_progress=False)
    frame = pd.DataFrame(rows)
    assert len(frame) == 4 and set(frame["network.effect"]) == {1.0, 3.0} and (frame["step"] == 12).all()
    assert frame["final_hhi"].equals(frame["hhi"])
    # the same run as the model's own API with that seed
    from model import PlatformEconomy, load_params

    params = load_params(NETWORK_ONLY, {"users.count": 200, "simulation.steps": 12, "network.effect": 3.0,
                                        "simulation.seed": 2})
    expected = PlatformEconomy(params).run().summary()["final_hhi"]
    got = frame[(frame["network.effect"] == 3.0) & (frame["iteration"] == 1)]["final_hhi"].item()
    assert got == expected
