"""A sweep's results folder: made for one experiment, resumed only by it, one sweep at a time.

A results folder holds::

    manifest.json       what made the folder (the experiment's fingerprint): resume only the same
    experiment.toml     the resolved experiment, base scenario inline: load it to repeat the sweep
    design.parquet      one row per point: the varied values (and SALib's raw design matrix)
    runs/part-*.parquet one row per run: run_id, point, replicate, seed, status, error, every
                        parameter (dotted names) and the run's summary outputs
    steps/part-*.parquet (if kept) every run's per-month model frame, with run_id, point, replicate
    .sweep.lock         held (an OS lock) by the sweep writing into the folder
    analysis/           what `summarize` and `sensitivity` write

Part files appear atomically (written to a hidden temporary name, flushed to disk, then renamed),
so a killed sweep leaves only whole batches; the runs of a batch that was not written are simply
run again on resume. A part damaged later (truncated, emptied, bytes overwritten: every page
carries a checksum) is found when the sweep resumes, renamed ``*.damaged`` with a warning, and its
runs are run again.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.experiments.designs import Design, run_id
from model.experiments.spec import Experiment, ExperimentError, SweepUnavailable, load_experiment
from model.params import ParamsError

if TYPE_CHECKING:
    from model.experiments.runner import RunResult

RUN_COLUMNS = ["run_id", "point", "replicate", "seed", "status", "error", "run_seconds"]
OK, FAILED = "ok", "failed"
LOCK_NAME = ".sweep.lock"
DAMAGED = ".damaged"  # suffix of a part file set aside
TEMPORARY = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")  # the name _atomic_write writes to before renaming

log = logging.getLogger("model.experiments")


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
        if folder.is_dir() and any(p.name != LOCK_NAME for p in folder.iterdir()) and not manifest.is_file():
            raise ExperimentError(f"--out {folder}: folder is not empty and holds no experiment (no manifest.json); "
                                  "choose a new folder")
        if manifest.is_file():
            found = self.manifest()
            if found.get("fingerprint") != experiment.fingerprint():
                raise ExperimentError(
                    f"--out {folder}: holds results of a different experiment ({found.get('source')}, "
                    f"fingerprint {found.get('fingerprint')}; {experiment.path} has {experiment.fingerprint()}): "
                    "resuming would mix two experiments. Choose a new folder, or delete this one to start over."
                    + _differences(folder / "experiment.toml", experiment))
            if found.get("metrics") != metrics_name:
                raise ExperimentError(f"--out {folder}: was run with the metrics function {found.get('metrics')}, "
                                      f"not {metrics_name}; choose a new folder")

    def manifest(self) -> dict:
        """The folder's manifest.json; a clear error naming it if it is not a JSON object."""
        path = self.folder / "manifest.json"
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ExperimentError(f"{path}: not a manifest written by `python -m model sweep` ({error})") from None
        if not isinstance(found, dict):
            raise ExperimentError(f"{path}: not a manifest written by `python -m model sweep` "
                                  f"(a JSON object was expected, found {type(found).__name__})")
        return found

    @contextmanager
    def locked(self):
        """Hold the folder for this sweep (an OS lock, released however the process ends)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = self.folder / LOCK_NAME
        handle = open(lock, "a")  # noqa: SIM115 - held open for the whole sweep
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SweepUnavailable(f"--out {self.folder}: in use by another sweep (it holds {lock}); "
                                   "wait for it to end, or choose another folder") from None
        try:
            yield self
        finally:
            handle.close()  # releases the lock

    def create(self, experiment: Experiment, design: Design, metrics_name: str | None) -> None:
        """Write what describes the folder, and tidy what a killed or damaged earlier sweep left."""
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
        _atomic_write(self.folder / "design.parquet", lambda handle: _write_part(table, handle))
        self._set_aside_damaged(experiment, len(design.points))
        self._discard_partial_batches()

    def _discard_partial_batches(self) -> None:
        """Temporary files of a killed writer, and steps of a batch whose runs never made it to disk."""
        for folder in (self.folder, self.runs_dir, self.steps_dir):
            for leftover in folder.glob(".*.tmp") if folder.is_dir() else []:
                if TEMPORARY.fullmatch(leftover.name):  # ours (see _atomic_write), not a user's file
                    leftover.unlink()
        if self.steps_dir.is_dir():
            for part in self.steps_dir.glob("part-*.parquet"):
                if not (self.runs_dir / part.name).exists():
                    part.unlink()

    def _set_aside_damaged(self, experiment: Experiment, points: int) -> None:
        """Read every part back whole; a batch whose runs or steps do not read back is renamed *.damaged."""
        for part in self.run_parts():
            steps = self.steps_dir / part.name
            damaged, problem = part, _runs_problem(part, experiment.replicates, points)
            if problem is None and steps.exists():
                damaged, problem = steps, _steps_problem(steps, part)
            if problem is None:
                continue
            for path in (part, steps):
                if path.exists():
                    path.rename(path.with_name(path.name + DAMAGED))
            log.warning("%s: damaged part file (%s): set aside as %s%s; its batch's runs will be run again",
                        damaged, problem, damaged.name, DAMAGED)

    # reading
    def run_parts(self) -> list[Path]:
        return sorted(self.runs_dir.glob("part-*.parquet"))

    def finished(self, retry_failed: bool = False) -> set[int]:
        """Run ids already on disk (reading only two columns of each part file)."""
        done: set[int] = set()
        for part in self.run_parts():
            table = read_part(part, columns=["run_id", "status"])
            ids = table.column("run_id").to_numpy()
            if retry_failed:
                ids = ids[np.asarray(table.column("status").to_pylist()) == OK]
            done.update(int(i) for i in ids)
        return done

    def runs(self) -> pd.DataFrame:
        """Every run, one row each, in run-id order (a failed run later redone counts once, as ok)."""
        parts = [read_part(part).to_pandas() for part in self.run_parts()]
        if not parts:
            return pd.DataFrame(columns=RUN_COLUMNS)
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.sort_values(["run_id", "status"], key=_ok_first, kind="stable")
        return frame.drop_duplicates("run_id").sort_values("run_id").reset_index(drop=True)

    def steps(self, columns: list[str] | None = None) -> pd.DataFrame:
        parts = sorted(self.steps_dir.glob("part-*.parquet")) if self.steps_dir.is_dir() else []
        if not parts:
            raise ExperimentError(f"{self.folder}: no per-month frames stored (set keep.model_frame = true)")
        frame = pd.concat([read_part(p, columns).to_pandas() for p in parts], ignore_index=True)
        return frame.drop_duplicates(["run_id", "step"]).sort_values(["run_id", "step"]).reset_index(drop=True)

    def experiment(self) -> Experiment:
        return load_experiment(self.folder / "experiment.toml")

    def design(self) -> Design:
        return Design.from_frame(read_part(self.folder / "design.parquet").to_pandas(), self.experiment())

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
            _atomic_write(self.steps_dir / name, lambda handle: _write_part(steps, handle))
        runs = pa.Table.from_pandas(_storable(pd.DataFrame([r.row for r in results])), preserve_index=False)
        _atomic_write(self.runs_dir / name, lambda handle: _write_part(runs, handle))


# -- part files -------------------------------------------------------------------------------
def _write_part(table: pa.Table, handle) -> None:
    pq.write_table(table, handle, write_page_checksum=True)  # so overwritten bytes are found on reading


_READ_ERRORS = (pa.ArrowException, OSError, ValueError)


def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(path, columns=columns, page_checksum_verification=True)


def _reason(error: BaseException) -> str:
    """Arrow's words, without the file name it repeats."""
    text = re.sub(r"^Could not open Parquet input source '[^']*': ", "", str(error).strip())
    return text or type(error).__name__


def read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A part file, read whole (its page checksums verified); a clear error naming it if damaged."""
    try:
        return _read(path, columns)
    except _READ_ERRORS as error:
        raise ExperimentError(f"{path}: damaged part file ({_reason(error)}); run the same `sweep` command again: "
                              "it sets damaged parts aside and runs their runs again") from None


def _runs_problem(part: Path, replicates: int, points: int) -> str | None:
    """Why a runs part cannot be trusted (None if it can): it must read back whole and hold runs of this design."""
    try:
        table = _read(part)
    except _READ_ERRORS as error:
        return _reason(error)
    missing = [column for column in RUN_COLUMNS if column not in table.column_names]
    if missing or table.num_rows == 0:
        return f"missing columns {missing}" if missing else "no rows"
    head = table.select(["run_id", "point", "replicate", "status"]).to_pandas()
    place = head[["run_id", "point", "replicate"]]
    if place.isna().any().any() or not all(pd.api.types.is_integer_dtype(place[c]) for c in place):
        return "run ids missing or not whole numbers"
    expected = [run_id(p, r, replicates) for p, r in zip(head["point"], head["replicate"])]
    if (list(head["run_id"]) != expected or not head["run_id"].is_unique
            or not head["replicate"].between(0, replicates - 1).all() or not head["point"].between(0, points - 1).all()
            or not head["status"].isin([OK, FAILED]).all()):
        return "its rows are not runs of this experiment's design"
    return None


def _steps_problem(steps: Path, runs_part: Path) -> str | None:
    """Why a steps part cannot be trusted: it must read back whole and hold only its batch's runs."""
    try:
        table = _read(steps)
    except _READ_ERRORS as error:
        return _reason(error)
    runs = set(_read(runs_part, ["run_id"]).column("run_id").to_pylist())
    if "run_id" not in table.column_names or not set(table.column("run_id").to_pylist()) <= runs:
        return "its rows are not the steps of its batch's runs"
    return None


def _ok_first(column: pd.Series) -> pd.Series:
    return column.map({OK: 0, FAILED: 1}) if column.name == "status" else column


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Arrow strings even when empty, so part files share one schema."""
    for column in frame.columns:
        if column == "error" or frame[column].dtype == object and frame[column].map(type).eq(str).any():
            frame[column] = frame[column].astype("string")
    return frame


def _atomic_write(path: Path, content) -> None:
    """Write a hidden temporary file, flush it to disk, then rename: the file is whole or absent, even
    after a power cut. ``content`` is bytes or a function writing to a binary file."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(temporary, "wb") as handle:
        if callable(content):
            content(handle)
        else:
            handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself
    finally:
        os.close(folder)


def _differences(stored: Path, experiment: Experiment) -> str:
    """Which tables differ between the stored experiment and this one (to help the user see why)."""
    try:
        old = load_experiment(stored).resolved()
    except (ParamsError, OSError):
        return ""
    new = experiment.resolved()
    changed = [table for table in new if old.get(table) != new[table]]
    return f" Differences in: {', '.join(f'[{t}]' for t in changed)}." if changed else ""
