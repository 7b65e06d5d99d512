"""Running an experiment: on Dask (a local cluster or an existing one) or serially, streaming to Parquet.

Why not Mesa's ``batch_run``: it keeps every result in memory, starts from zero after a crash and
uses one machine. Here every finished run goes to disk in batches, a crashed or interrupted sweep
resumes where it stopped, and the runs can spread over any Dask cluster.

A results folder holds::

    manifest.json       what made the folder (the experiment's fingerprint): resume only the same
    experiment.toml     the resolved experiment, base scenario inline: load it to repeat the sweep
    design.parquet      one row per point: the varied values (and SALib's raw design matrix)
    runs/part-*.parquet one row per run: run_id, point, replicate, seed, status, error, every
                        parameter (dotted names) and the run's summary outputs
    steps/part-*.parquet (if kept) every run's per-month model frame, with run_id, point, replicate

Part files appear atomically (written to a temporary name, then renamed), so a killed sweep leaves
only whole batches; the runs of a batch that was not written are simply run again on resume. A
run's id is ``point * replicates + replicate`` and its seed comes from the design (designs.py), so
a resumed sweep gives exactly the rows of an uninterrupted one.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.experiments.designs import Design, make_design, run_id, run_seed
from model.experiments.spec import Experiment, ExperimentError, load_experiment, load_params_from_dict
from model.params import ParamsError, params_to_dict
from model.params.reference import choices_of, schema_fields, takes_number

RUN_COLUMNS = ["run_id", "point", "replicate", "seed", "status", "error", "run_seconds"]
OK, FAILED = "ok", "failed"
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


# -- the results folder -----------------------------------------------------------------------
class ResultStore:
    """A results folder: created for one experiment, resumed only by the same experiment."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.runs_dir = self.folder / "runs"
        self.steps_dir = self.folder / "steps"

    # opening
    def check(self, experiment: Experiment, metrics_name: str | None) -> None:
        """Refuse a folder that is not this experiment's (before anything is written)."""
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise ExperimentError(f"--out {folder}: exists and is not a folder")
        manifest = folder / "manifest.json"
        if folder.is_dir() and any(folder.iterdir()) and not manifest.is_file():
            raise ExperimentError(f"--out {folder}: folder is not empty and holds no experiment (no manifest.json); "
                                  "choose a new folder")
        if manifest.is_file():
            found = json.loads(manifest.read_text(encoding="utf-8"))
            if found.get("fingerprint") != experiment.fingerprint():
                raise ExperimentError(
                    f"--out {folder}: holds results of a different experiment ({found.get('source')}, "
                    f"fingerprint {found.get('fingerprint')}; {experiment.path} has {experiment.fingerprint()}): "
                    "resuming would mix two experiments. Choose a new folder, or delete this one to start over."
                    + _differences(folder / "experiment.toml", experiment))
            if found.get("metrics") != metrics_name:
                raise ExperimentError(f"--out {folder}: was run with the metrics function {found.get('metrics')}, "
                                      f"not {metrics_name}; choose a new folder")

    def create(self, experiment: Experiment, design: Design, metrics_name: str | None) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if experiment.keep_model_frame:
            self.steps_dir.mkdir(exist_ok=True)
        manifest = {"fingerprint": experiment.fingerprint(), "source": experiment.path, "design": experiment.design,
                    "points": len(design.points), "replicates": experiment.replicates,
                    "runs": len(design.points) * experiment.replicates, "metrics": metrics_name,
                    "parameters": experiment.keys}
        _atomic_write(self.folder / "manifest.json", json.dumps(manifest, indent=2).encode())
        _atomic_write(self.folder / "experiment.toml", experiment.to_toml().encode())
        table = pa.Table.from_pandas(_storable(design.frame()), preserve_index=False)
        _atomic_write(self.folder / "design.parquet", lambda path: pq.write_table(table, path))
        self._discard_partial_batches()

    def _discard_partial_batches(self) -> None:
        """Temporary files of a killed writer, and steps of a batch whose runs never made it to disk."""
        for folder in (self.runs_dir, self.steps_dir):
            for leftover in folder.glob(".*.tmp") if folder.is_dir() else []:
                leftover.unlink()
        if self.steps_dir.is_dir():
            for part in self.steps_dir.glob("part-*.parquet"):
                if not (self.runs_dir / part.name).exists():
                    part.unlink()

    # reading
    def run_parts(self) -> list[Path]:
        return sorted(self.runs_dir.glob("part-*.parquet"))

    def finished(self, retry_failed: bool = False) -> set[int]:
        """Run ids already on disk (reading only two columns of each part file)."""
        done: set[int] = set()
        for part in self.run_parts():
            table = pq.read_table(part, columns=["run_id", "status"])
            ids = table.column("run_id").to_numpy()
            if retry_failed:
                ids = ids[np.asarray(table.column("status").to_pylist()) == OK]
            done.update(int(i) for i in ids)
        return done

    def runs(self) -> pd.DataFrame:
        """Every run, one row each, in run-id order (a failed run later redone counts once, as ok)."""
        parts = [pd.read_parquet(part) for part in self.run_parts()]
        if not parts:
            return pd.DataFrame(columns=RUN_COLUMNS)
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.sort_values(["run_id", "status"], key=_ok_first, kind="stable")
        return frame.drop_duplicates("run_id").sort_values("run_id").reset_index(drop=True)

    def steps(self, columns: list[str] | None = None) -> pd.DataFrame:
        parts = sorted(self.steps_dir.glob("part-*.parquet")) if self.steps_dir.is_dir() else []
        if not parts:
            raise ExperimentError(f"{self.folder}: no per-month frames stored (set keep.model_frame = true)")
        frame = pd.concat([pd.read_parquet(p, columns=columns) for p in parts], ignore_index=True)
        return frame.drop_duplicates(["run_id", "step"]).sort_values(["run_id", "step"]).reset_index(drop=True)

    def experiment(self) -> Experiment:
        return load_experiment(self.folder / "experiment.toml")

    def design(self) -> Design:
        return Design.from_frame(pd.read_parquet(self.folder / "design.parquet"), self.experiment())

    # writing
    def write_batch(self, results: list[RunResult]) -> None:
        """One part file per batch; the steps part first, so a runs part always has its steps."""
        if not results:
            return
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        frames = [r.steps for r in results if r.steps is not None]
        if frames:
            self.steps_dir.mkdir(exist_ok=True)
            steps = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
            _atomic_write(self.steps_dir / name, lambda path: pq.write_table(steps, path))
        runs = pa.Table.from_pandas(_storable(pd.DataFrame([r.row for r in results])), preserve_index=False)
        _atomic_write(self.runs_dir / name, lambda path: pq.write_table(runs, path))


def _ok_first(column: pd.Series) -> pd.Series:
    return column.map({OK: 0, FAILED: 1}) if column.name == "status" else column


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Arrow strings even when empty, so part files share one schema."""
    for column in frame.columns:
        if column == "error" or frame[column].dtype == object and frame[column].map(type).eq(str).any():
            frame[column] = frame[column].astype("string")
    return frame


def _atomic_write(path: Path, content) -> None:
    """Write to a hidden temporary file, then rename: readers see the whole file or none of it."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    if callable(content):
        content(temporary)
    else:
        temporary.write_bytes(content)
    os.replace(temporary, path)


def _differences(stored: Path, experiment: Experiment) -> str:
    """Which tables differ between the stored experiment and this one (to help the user see why)."""
    try:
        old = load_experiment(stored).resolved()
    except (ParamsError, OSError):
        return ""
    new = experiment.resolved()
    changed = [table for table in new if old.get(table) != new[table]]
    return f" Differences in: {', '.join(f'[{t}]' for t in changed)}." if changed else ""


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
) -> SweepReport:
    """Run every run of the experiment not yet in ``out``; returns what was done.

    Where: ``serial=True`` in this process; ``client`` an existing ``distributed.Client``;
    ``scheduler`` (or $DASK_SCHEDULER_ADDRESS) the address of a running Dask scheduler; otherwise
    a local Dask cluster with ``workers`` processes (default: one per core). ``metrics(economy)``
    may return extra numbers per run (a function defined in a notebook works: cloudpickle ships it).
    Results are written every ``batch_size`` runs or ``flush_seconds``, whichever comes first.
    Ctrl-C stops cleanly: finished runs are written, and the same call resumes.
    """
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    design = make_design(experiment)
    check_points(experiment, design)
    store = ResultStore(out)
    metrics_name = _name_of(metrics)
    store.check(experiment, metrics_name)
    store.create(experiment, design, metrics_name)
    done = store.finished(retry_failed)
    tasks = pending_tasks(experiment, design, done)
    total = len(design.points) * experiment.replicates
    report = SweepReport(store.folder, total, len(done), 0, 0)
    base = params_to_dict(experiment.base)
    if report.already_done == total:  # nothing to do: do not start a cluster
        return report
    if serial:
        results = (execute_run(task, base, experiment.keep_model_frame, metrics) for task in tasks)
        _collect(results, store, report, batch_size, flush_seconds, progress)
        return report
    with _dask_client(client, scheduler, workers) as dask_client:
        results = dask_results(dask_client, tasks, base, experiment, metrics)
        _collect(results, store, report, batch_size, flush_seconds, progress)
    return report


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
class _dask_client:
    """A context giving a Client: the one passed in, one to a scheduler's address, or a new local cluster."""

    def __init__(self, client, scheduler: str | None, workers: int | None):
        self.client, self.scheduler, self.workers = client, scheduler, workers
        self.owned: list = []

    def __enter__(self):
        if self.client is not None:
            return self.client
        from distributed import Client, LocalCluster

        address = self.scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
        if address:
            client = Client(address)
        else:
            cluster = LocalCluster(n_workers=self.workers or os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, host="127.0.0.1", dashboard_address=":0",
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
            self.owned.append(cluster)
        self.owned.insert(0, client)
        return client

    def __exit__(self, *exc) -> None:
        for thing in self.owned:
            thing.close()


def dask_results(client, tasks: Iterator[RunTask], base: dict, experiment: Experiment, metrics) -> Iterator[RunResult]:
    """Results as runs finish, with a bounded number in flight (the driver's memory stays flat).

    A worker that dies mid-run has its run moved to another worker by the scheduler; a run that
    kills workers again and again (Dask's allowed-failures) is recorded as failed.
    """
    from distributed import as_completed

    shared_base = client.scatter([base], broadcast=True, hash=False)[0]
    window = max(4, 2 * sum(client.nthreads().values()))
    prefix = f"run-{experiment.fingerprint()[:10]}"

    def submit(task: RunTask):
        future = client.submit(execute_run, task, shared_base, experiment.keep_model_frame, metrics,
                               key=f"{prefix}-{task.run_id}", pure=False)
        submitted[future.key] = task
        return future

    submitted: dict[str, RunTask] = {}
    running = as_completed([submit(task) for task in _take(tasks, window)])
    for future in running:
        task = submitted.pop(future.key)
        try:
            result = future.result()
        except Exception as error:  # noqa: BLE001 - e.g. KilledWorker: recorded, the sweep goes on
            result = _failed_outside(task, base, error)
        future.release()
        yield result
        for task in _take(tasks, 1):
            running.add(submit(task))


def _take(iterator: Iterator, count: int) -> list:
    taken = []
    for item in iterator:
        taken.append(item)
        if len(taken) == count:
            break
    return taken


def _failed_outside(task: RunTask, base: dict, error: BaseException) -> RunResult:
    params_row = _parameter_columns({**_flat_tables(base), **task.values, "simulation.seed": task.seed})
    row = {"run_id": task.run_id, "point": task.point, "replicate": task.replicate, "seed": task.seed,
           "status": FAILED, "error": _describe(error), "run_seconds": np.nan}
    return RunResult({**row, **params_row})
