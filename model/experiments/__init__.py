"""Batch experiments: sweeps over parameters, on Dask, streamed to Parquet, resumable; their analysis.

    from model.experiments import load_experiment, run_experiment, load_runs
    report = run_experiment("params/experiments/smoke.toml", "results/smoke")
    runs = load_runs("results/smoke")          # one row per run: ids, seed, every parameter, outputs

The same from the command line: ``python -m model sweep | summarize | sensitivity``.
"""

import importlib

# Each name is imported from its module when first used: the command line builds its parser from
# small modules (spec, cluster) without importing pandas, Mesa and the model.
_HOMES = {
    "point_summary": "analysis", "sensitivity_folder": "analysis", "sensitivity_indices": "analysis",
    "summarize_folder": "analysis", "Design": "designs", "make_design": "designs", "point_count": "designs",
    "run_seed": "designs", "MesaBatchModel": "mesa_batch", "SweepReport": "runner", "execute_run": "runner",
    "run_experiment": "runner", "LARGE_SWEEP": "spec", "Experiment": "spec", "ExperimentError": "spec",
    "Factor": "spec", "SweepUnavailable": "spec", "load_experiment": "spec", "ResultStore": "store",
}

__all__ = sorted([*_HOMES, "load_runs", "load_steps"])


def load_runs(folder):
    """One row per run of a results folder (pandas), in run-id order."""
    from model.experiments.store import ResultStore

    return ResultStore(folder).runs()


def load_steps(folder, columns=None):
    """The per-month model frames of a results folder (if the experiment kept them)."""
    from model.experiments.store import ResultStore

    return ResultStore(folder).steps(columns)


def __getattr__(name):
    if name not in _HOMES:
        raise AttributeError(f"module 'model.experiments' has no attribute {name!r}")
    return getattr(importlib.import_module(f"model.experiments.{_HOMES[name]}"), name)
