"""Replicated runs: scenarios over many seeds, in parallel processes, each run reduced to numbers.

Used by ``calibrate`` (the stylised facts over seeds) and ``compare`` (scenarios side by side).
A ``measure`` is a module-level function of a finished economy (so that it can be sent to
another process); seeds set ``simulation.seed``, so a run is the same wherever it executes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from tqdm.auto import tqdm

from model.params.schema import Params


def run_summary(economy) -> dict:
    return economy.summary()


def _measured_run(job: tuple[dict, int, Callable]):
    from model.economy import PlatformEconomy

    data, seed, measure = job
    params = Params.model_validate(data)
    params.simulation.seed = seed
    return measure(PlatformEconomy(params).run())


def measure_runs(runs: Iterable[tuple[Params, int]], measure: Callable = run_summary, processes: int = 2,
                 progress: bool = False, desc: str = "runs") -> list:
    """``measure`` of each (parameters, seed) run, in the order given, on ``processes`` processes."""
    jobs = [(params.model_dump(), int(seed), measure) for params, seed in runs]
    if processes <= 1:
        return [_measured_run(job) for job in tqdm(jobs, desc=desc, disable=not progress)]
    # spawn, not fork: forking a process that runs threads (progress bars, Dask, Jupyter) can deadlock
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(tqdm(pool.map(_measured_run, jobs), total=len(jobs), desc=desc, disable=not progress))
