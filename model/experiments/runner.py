"""Running an experiment: on Dask (a local cluster or an existing one) or serially, streaming to Parquet.

Why not Mesa's ``batch_run``: it keeps every result in memory, starts from zero after a crash and
uses one machine. Here every finished run goes to disk in batches, a crashed or interrupted sweep
resumes where it stopped, and the runs can spread over any Dask cluster.

Where the results go, and how a killed or damaged folder is resumed, is store.py's; how a
cluster is reached, cluster.py's. A run's id is ``point * replicates + replicate`` and its seed
comes from the design (designs.py), so a resumed sweep gives exactly the rows of an uninterrupted one.
"""

from __future__ import annotations

import gc
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.experiments.cluster import CONNECT_TIMEOUT, local_client, scheduler_address, scheduler_client
from model.experiments.designs import Design, make_design, point_count, run_id, run_seed
from model.experiments.spec import LARGE_SWEEP, Experiment, ExperimentError, load_experiment, load_params_from_dict
from model.experiments.store import FAILED, OK, RUN_COLUMNS, ResultStore
from model.params import ParamsError, params_to_dict
from model.params.reference import choices_of, schema_fields, takes_number

Metrics = Callable[[object], dict]


# -- one run (this is what a worker executes) -------------------------------------------------
@dataclass(frozen=True)
class RunTask:
    run_id: int
    point: int
    replicate: int
    seed: int
    values: dict  # the varied parameters at this point


@dataclass
class RunResult:
    row: dict
    steps: pd.DataFrame | None = None


def execute_run(task: RunTask, base: dict, keep_model_frame: bool = False, metrics: Metrics | None = None) -> RunResult:
    """Run the model once; an exception becomes a 'failed' row with the error, never a crash."""
    from model.economy import PlatformEconomy

    started = time.perf_counter()
    params_row = _parameter_columns({**_flat_tables(base), **task.values, "simulation.seed": task.seed})
    head = {"run_id": task.run_id, "point": task.point, "replicate": task.replicate, "seed": task.seed}
    try:
        params = load_params_from_dict(base, {**task.values, "simulation.seed": task.seed})
        economy = PlatformEconomy(params).run(progress=False)
        outputs = summary_outputs(economy.summary())
        if metrics is not None:
            outputs.update(_extra_metrics(metrics(economy), set(outputs) | set(params_row)))
        steps = _steps_frame(economy, head) if keep_model_frame else None
    except Exception as error:  # noqa: BLE001 - a failed run is data: it is recorded, the sweep goes on
        row = {**head, "status": FAILED, "error": _describe(error), "run_seconds": time.perf_counter() - started}
        return RunResult({**row, **params_row})
    row = {**head, "status": OK, "error": None, "run_seconds": time.perf_counter() - started}
    return RunResult({**row, **params_row, **outputs}, steps)


def summary_outputs(summary: dict) -> dict[str, float]:
    """The nested summary as flat numeric columns: ``lock_in_month``, ``public_cost_net``, ... (None -> NaN).

    Phase transitions become ``<phase>_month``; other nested entries ``<table>_<key>``.
    """
    flat: dict = {}
    for key, value in summary.items():
        if key == "seed":  # the run's seed is already a column
            continue
        if key == "phase_transitions":
            flat.update({f"{phase.replace('-', '_')}_month": month for phase, month in value.items()})
        elif isinstance(value, dict):  # keys such as a parameter's dotted name become words: bounds_platforms_max_ad_load
            flat.update({f"{key}_{name}".replace(".", "_"): v for name, v in _flatten_nested(value).items()})
        else:
            flat[key] = value
    return {key: _number(value) for key, value in flat.items()}


def _flatten_nested(table: dict) -> dict:
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{name}": v for name, v in _flatten_nested(value).items()})
        else:
            flat[key] = value
    return flat


def _number(value):
    """Outputs are floats (so every part file has the same column types); None is NaN."""
    if value is None:
        return np.nan
    if isinstance(value, (bool, int, float, np.number)):
        return float(value)
    return str(value)


def _extra_metrics(values, taken: set[str]) -> dict[str, float]:
    if not isinstance(values, dict):
        raise TypeError(f"the metrics function must return a dict of numbers, got {type(values).__name__}")
    extra = {}
    for name, value in values.items():
        if name in taken or name in RUN_COLUMNS:
            raise ValueError(f"the metrics function returned '{name}', which is already a column")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) and value is not None:
            raise TypeError(f"the metrics function returned {name} = {value!r}: expected a number")
        extra[name] = _number(value)
    return extra


def _describe(error: BaseException) -> str:
    """The error and the last frames of its traceback: enough to find the cause, short enough to store."""
    frames = traceback.format_exception(error)
    return "".join([f"{type(error).__name__}: {error}\n", *frames[-3:]])[:4000]


def _flat_tables(tables: dict) -> dict:
    return {f"{table}.{key}": value for table, values in tables.items() for key, value in values.items()}


def _mixed_fields() -> set[str]:
    """Parameters that take a number or a word (e.g. outside_utility = 0 or "none"): stored as text."""
    return {key for key, fld in schema_fields().items() if choices_of(fld) and takes_number(fld)}


def _parameter_columns(flat: dict) -> dict:
    mixed = _mixed_fields()
    return {key: str(value) if key in mixed else value for key, value in flat.items()}


def _steps_frame(economy, head: dict) -> pd.DataFrame:
    frame = economy.model_frame()
    for position, (name, value) in enumerate(head.items()):
        if name != "seed":
            frame.insert(position, name, value)
    return frame


# -- the sweep --------------------------------------------------------------------------------
@dataclass
class SweepReport:
    folder: Path
    total: int
    already_done: int
    ran: int
    failed: int
    interrupted: bool = False

    def __str__(self) -> str:
        state = "interrupted" if self.interrupted else "done"
        return (f"{state}: {self.already_done + self.ran} of {self.total} runs on disk "
                f"({self.ran} run now, {self.already_done} before, {self.failed} failed now) in {self.folder}")


def run_experiment(
    experiment: Experiment | str | Path,
    out: str | Path,
    *,
    scheduler: str | None = None,
    client=None,
    workers: int | None = None,
    serial: bool = False,
    metrics: Metrics | None = None,
    batch_size: int = 100,
    flush_seconds: float = 10.0,
    retry_failed: bool = False,
    progress: bool = True,
    allow_large: bool = False,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> SweepReport:
    """Run every run of the experiment not yet in ``out``; returns what was done.

    Where: ``serial=True`` in this process; ``client`` an existing ``distributed.Client``;
    ``scheduler`` (or $DASK_SCHEDULER_ADDRESS) the address of a running Dask scheduler, which must
    answer within ``connect_timeout`` seconds; otherwise a local Dask cluster with ``workers``
    processes (default: one per core). ``metrics(economy)`` may return extra numbers per run (a
    function defined in a notebook works: cloudpickle ships it). Results are written every
    ``batch_size`` runs or ``flush_seconds``, whichever comes first. Ctrl-C stops cleanly: finished
    runs are written, and the same call resumes. A sweep of more than LARGE_SWEEP runs needs
    ``allow_large=True``. Everything is checked, and the scheduler reached, before ``out`` is touched;
    while the sweep runs, ``out`` is locked against a second sweep.
    """
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    check_options(workers=workers, batch_size=batch_size, flush_seconds=flush_seconds, connect_timeout=connect_timeout)
    check_size(experiment, allow_large)  # counted from the factors: a refused design is never built
    design = make_design(experiment)
    check_points(experiment, design)
    store = ResultStore(out)
    metrics_name = _name_of(metrics)
    store.check(experiment, metrics_name)
    address = None if serial or client is not None else scheduler_address(scheduler)
    with ExitStack() as stack:
        if address:
            client = stack.enter_context(scheduler_client(address, connect_timeout))
        stack.enter_context(store.locked())
        store.check(experiment, metrics_name)  # again: another sweep may have written before the lock was ours
        store.create(experiment, design, metrics_name)
        done = store.finished(retry_failed)
        report = SweepReport(store.folder, len(design.points) * experiment.replicates, len(done), 0, 0)
        if report.already_done == report.total:  # nothing to do: do not start a cluster
            return report
        tasks = pending_tasks(experiment, design, done)
        base = params_to_dict(experiment.base)
        if serial:
            results = (execute_run(task, base, experiment.keep_model_frame, metrics) for task in tasks)
        else:
            client = client if client is not None else stack.enter_context(local_client(workers))
            results = dask_results(client, tasks, base, experiment, metrics)
        _collect(results, store, report, batch_size, flush_seconds, progress)
    return report


POSITIVE_OPTIONS = {"workers": ("worker processes", int), "batch_size": ("runs per part file", int),
                    "flush_seconds": ("seconds between writes", float),
                    "connect_timeout": ("seconds to reach the scheduler", float)}


def check_options(**options) -> None:
    """Counts and times must be positive: zero or less is a mistake, never quietly made a default."""
    problems = []
    for name, value in options.items():
        meaning, kind = POSITIVE_OPTIONS[name]
        if value is None and name == "workers":  # one per core
            continue
        number = isinstance(value, int if kind is int else (int, float)) and not isinstance(value, bool)
        if not number or not value > 0:
            need = "a whole number >= 1" if kind is int else "a number > 0"
            problems.append(f"--{name.replace('_', '-')} {value}: the {meaning} must be {need}")
    if problems:
        raise ExperimentError("\n".join(problems))


def size_of(experiment: Experiment) -> str:
    """How many runs an experiment means, in words: '18 runs (6 points x 3 replicates)'."""
    points = point_count(experiment)
    return f"{points * experiment.replicates:,} runs ({points:,} points x {experiment.replicates} replicates)"


def check_size(experiment: Experiment, allow_large: bool = False) -> None:
    """Refuse a sweep larger than LARGE_SWEEP runs unless it is confirmed."""
    if point_count(experiment) * experiment.replicates > LARGE_SWEEP and not allow_large:
        raise ExperimentError(f"{experiment.path}: {size_of(experiment)}, more than {LARGE_SWEEP:,}: if that is "
                              "what you mean, confirm with `sweep --yes` (allow_large=True in Python)")


def check_points(experiment: Experiment, design: Design) -> None:
    """Every point must be valid parameters (rules across keys too), before any run starts."""
    base = params_to_dict(experiment.base)
    problems = []
    for point in design.points.index:
        values = design.values(point)
        try:
            load_params_from_dict(base, values)
        except ParamsError as error:
            shown = ", ".join(f"{k} = {v!r}" for k, v in values.items())
            problems.append(f"{experiment.path}: point {point} ({shown}): {error}")
    if problems:
        more = f"\n... and {len(problems) - 5} more points" if len(problems) > 5 else ""
        raise ExperimentError("\n".join(problems[:5]) + more)


def pending_tasks(experiment: Experiment, design: Design, done: set[int]) -> Iterator[RunTask]:
    """The runs not on disk yet, generated one at a time (nothing proportional to the runs is held)."""
    replicates = experiment.replicates
    for point in design.points.index:
        values = None
        for replicate in range(replicates):
            identifier = run_id(point, replicate, replicates)
            if identifier in done:
                continue
            values = values or design.values(point)
            yield RunTask(identifier, int(point), replicate, run_seed(experiment.seed, point, replicate, experiment.seeds), values)


def _collect(results, store: ResultStore, report: SweepReport, batch_size: int, flush_seconds: float, progress: bool) -> None:
    """Write results as they come, in batches; on Ctrl-C write what is finished and stop."""
    from tqdm.auto import tqdm

    batch: list[RunResult] = []
    last_flush = time.monotonic()
    bar = tqdm(total=report.total, initial=report.already_done, unit="run", desc="runs", disable=not progress,
               dynamic_ncols=True, smoothing=0.05)
    try:
        for result in results:
            batch.append(result)
            report.ran += 1
            report.failed += result.row["status"] == FAILED
            bar.update()
            bar.set_postfix(failed=report.failed, refresh=False)
            if len(batch) >= batch_size or time.monotonic() - last_flush >= flush_seconds:
                store.write_batch(batch)
                batch, last_flush = [], time.monotonic()
                gc.collect()  # finished models hold reference cycles: free them now, not at some later full collection
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        store.write_batch(batch)
        bar.close()


def _name_of(function) -> str | None:
    return None if function is None else f"{function.__module__}.{function.__qualname__}"


# -- Dask -------------------------------------------------------------------------------------
def dask_results(client, tasks: Iterator[RunTask], base: dict, experiment: Experiment, metrics) -> Iterator[RunResult]:
    """Results as runs finish, with a bounded number in flight (the driver's memory stays flat).

    Every task carries the base parameters itself (a few kB), so no worker holds anything the
    others need: workers may die, all at once even, and the runs go on when they are replaced. A
    run on a worker that dies is moved to another worker by the scheduler, which gives it up
    (KilledWorker) after ``distributed.scheduler.allowed-failures`` deaths. The scheduler blames
    every run that was on the dying worker, the one that killed it and any queued beside it, so a
    run given up is tried again at the end, alone: only a run whose worker dies then too is
    recorded as failed.
    """
    from distributed import KilledWorker, as_completed

    window = max(4, 2 * sum(client.nthreads().values()))
    prefix = f"run-{experiment.fingerprint()[:10]}"
    submitted: dict[str, RunTask] = {}

    def submit(task: RunTask, suffix: str = ""):
        future = client.submit(execute_run, task, base, experiment.keep_model_frame, metrics,
                               key=f"{prefix}-{task.run_id}{suffix}", pure=False)
        submitted[future.key] = task
        return future

    given_up: list[RunTask] = []
    running = as_completed([submit(task) for task in _take(tasks, window)])
    for future in running:
        task = submitted.pop(future.key)
        try:
            yield _result_of(future, task, base)
        except KilledWorker:
            given_up.append(task)
        for task in _take(tasks, 1):
            running.add(submit(task))
    for task in given_up:  # one at a time: nothing else of this sweep runs beside it
        future = submit(task, f"-alone-{uuid.uuid4().hex[:8]}")
        submitted.pop(future.key)
        try:
            yield _result_of(future, task, base)
        except KilledWorker as error:
            yield _failed_outside(task, base, "KilledWorker: the worker died running this run, also with no other "
                                              f"run beside it ({error.allowed_failures + 1} workers died each time); "
                                              "see the workers' logs")


def _result_of(future, task: RunTask, base: dict) -> RunResult:
    """The run's result, or a failed row for any error but KilledWorker (which the caller handles)."""
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker:
        raise
    except Exception as error:  # noqa: BLE001 - e.g. a cancelled future: recorded, the sweep goes on
        return _failed_outside(task, base, _describe(error))
    finally:
        future.release()


def _take(iterator: Iterator, count: int) -> list:
    taken = []
    for item in iterator:
        taken.append(item)
        if len(taken) == count:
            break
    return taken


def _failed_outside(task: RunTask, base: dict, error: str) -> RunResult:
    params_row = _parameter_columns({**_flat_tables(base), **task.values, "simulation.seed": task.seed})
    row = {"run_id": task.run_id, "point": task.point, "replicate": task.replicate, "seed": task.seed,
           "status": FAILED, "error": error, "run_seconds": np.nan}
    return RunResult({**row, **params_row})
