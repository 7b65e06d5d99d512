"""Batch experiments: sweeps over parameters, on Dask, streamed to Parquet, resumable; their analysis.

    from model.experiments import load_experiment, run_experiment, load_runs
    report = run_experiment("params/experiments/smoke.toml", "results/smoke")
    runs = load_runs("results/smoke")          # one row per run: ids, seed, every parameter, outputs

The same from the command line: ``python -m model sweep | summarize | sensitivity``.
"""

from model.experiments.analysis import point_summary, sensitivity_folder, sensitivity_indices, summarize_folder
from model.experiments.designs import Design, make_design, run_seed
from model.experiments.runner import ResultStore, SweepReport, execute_run, run_experiment
from model.experiments.spec import Experiment, ExperimentError, Factor, load_experiment

__all__ = [
    "Design", "Experiment", "ExperimentError", "Factor", "MesaBatchModel", "ResultStore", "SweepReport",
    "execute_run", "load_experiment", "load_runs", "load_steps", "make_design", "point_summary", "run_experiment",
    "run_seed", "sensitivity_folder", "sensitivity_indices", "summarize_folder",
]


def load_runs(folder):
    """One row per run of a results folder (pandas), in run-id order."""
    return ResultStore(folder).runs()


def load_steps(folder, columns=None):
    """The per-month model frames of a results folder (if the experiment kept them)."""
    return ResultStore(folder).steps(columns)


def __getattr__(name):
    # Imported lazily: it imports Mesa and the model, which `python -m model sweep --help` does not need.
    if name == "MesaBatchModel":
        from model.experiments.mesa_batch import MesaBatchModel

        return MesaBatchModel
    raise AttributeError(name)
