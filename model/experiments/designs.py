"""Sampling designs: the points of an experiment, and the seed of every run.

A *point* is one combination of the varied parameters; each point is run ``replicates`` times with
different seeds. Points come from a full grid (every combination of the listed values) or from
SALib: a Latin hypercube, Saltelli's extension of Sobol sequences (for Sobol indices) or Morris
trajectories (for elementary effects). Sampled values of whole-number parameters are rounded; a
true/false parameter is drawn on [0, 1] and true from 0.5 up (Morris' levels are an even number,
so every move of it flips it).

Seeds are spawned from the experiment's master seed with numpy's ``SeedSequence``: run
(point p, replicate r) uses ``SeedSequence(master, spawn_key=(p, r))``, which is exactly child r of
child p of ``SeedSequence(master).spawn(...)``. So a run's seed depends only on its place in the
design, never on the order or the machine it ran on, and resuming repeats it exactly.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.experiments.spec import Experiment, Factor

RAW = "sample:"  # prefix of the unrounded design-matrix columns kept for the SALib analysis


@dataclass(frozen=True)
class Design:
    """The points of an experiment: ``points`` has one row per point (index = point id)."""

    method: str
    factors: tuple[Factor, ...]
    points: pd.DataFrame
    samples: np.ndarray | None = None  # SALib's design matrix, unrounded (None for a grid)
    options: dict | None = None  # second_order (sobol), levels (morris)

    @property
    def problem(self) -> dict:
        """SALib's description of the inputs."""
        return salib_problem(self.factors)

    def values(self, point: int) -> dict:
        """The varied parameters at one point, as plain Python values (the schema is strict)."""
        return {f.key: _plain(self.points.at[point, f.key]) for f in self.factors}

    def frame(self) -> pd.DataFrame:
        """Points with the raw samples, to store beside the results."""
        frame = self.points.copy()
        if self.samples is not None:  # joined at once: a screen has a column per knob
            raw = pd.DataFrame(self.samples, index=frame.index, columns=[RAW + f.key for f in self.factors])
            frame = pd.concat([frame, raw], axis=1)
        frame.index.name = "point"
        return frame.reset_index()

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, experiment: Experiment) -> Design:
        """The design stored in a results folder (so the analysis does not depend on SALib's version)."""
        points = frame.set_index("point")[experiment.keys]
        raw = [RAW + key for key in experiment.keys]
        samples = frame[raw].to_numpy() if all(c in frame for c in raw) else None
        return cls(experiment.design, experiment.factors, points, samples, _options(experiment))


def salib_problem(factors) -> dict:
    return {"num_vars": len(factors), "names": [f.key for f in factors],
            "bounds": [[f.low, f.high] for f in factors]}


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _options(experiment: Experiment) -> dict:
    return {"second_order": experiment.second_order, "levels": experiment.levels}


# -- the designs ------------------------------------------------------------------------------
def make_design(experiment: Experiment) -> Design:
    """The points of an experiment, always the same for the same file."""
    if experiment.design == "grid":
        return grid_design(experiment.factors)
    return sampled_design(experiment.design, experiment.factors, experiment.samples, experiment.seed, _options(experiment))


def point_count(experiment: Experiment) -> int:
    """How many points the design has, counted from the factors alone (nothing is built).

    SALib's sizes: a Latin hypercube N points, Saltelli N (2k + 2) with second-order indices and
    N (k + 2) without, Morris N (k + 1) for k factors.
    """
    k, n = len(experiment.factors), experiment.samples
    if experiment.design == "grid":
        return math.prod(len(f.values) for f in experiment.factors)
    if experiment.design == "latin":
        return n
    if experiment.design == "sobol":
        return n * (2 * k + 2 if experiment.second_order else k + 2)
    return n * (k + 1)  # morris


def grid_design(factors) -> Design:
    """Every combination of the listed values; the first parameter varies slowest."""
    rows = list(itertools.product(*(f.values for f in factors)))
    points = pd.DataFrame(rows, columns=[f.key for f in factors], dtype=object)
    return Design("grid", tuple(factors), _typed(points, factors))


def sampled_design(method: str, factors, samples: int, master_seed: int, options: dict | None = None) -> Design:
    """A SALib design over the factors' ranges; ``samples`` is N in SALib's sense."""
    from SALib.sample import latin, morris, sobol

    options = {"second_order": True, "levels": 4, **(options or {})}
    problem = salib_problem(factors)
    seed = design_seed(master_seed)
    if method == "latin":
        matrix = latin.sample(problem, samples, seed=seed)
    elif method == "sobol":
        matrix = sobol.sample(problem, samples, calc_second_order=options["second_order"], seed=seed)
    elif method == "morris":
        matrix = morris.sample(problem, samples, num_levels=options["levels"], seed=seed)
    else:
        raise ValueError(f"unknown sampled design {method!r}")
    points = pd.DataFrame({f.key: _sampled_values(f, matrix[:, i]) for i, f in enumerate(factors)})
    return Design(method, tuple(factors), points, matrix, options)


def _sampled_values(factor: Factor, column: np.ndarray) -> np.ndarray:
    """A factor's values from its column of the design matrix: rounded if whole, true from 0.5 if a switch."""
    if factor.switch:
        return column >= 0.5
    return np.round(column).astype(int) if factor.integer else column


def _typed(points: pd.DataFrame, factors) -> pd.DataFrame:
    """Numeric grid axes as numeric columns; choices (strings, booleans) stay as they are."""
    for f in factors:
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in f.values):
            points[f.key] = pd.to_numeric(points[f.key])
    return points


# -- seeds ------------------------------------------------------------------------------------
def design_seed(master_seed: int) -> int:
    """The seed of the design's sampler: its own stream, apart from the runs' (spawn key ())."""
    return int(np.random.SeedSequence(master_seed).generate_state(1, np.uint32)[0])


def run_seed(master_seed: int, point: int, replicate: int, mode: str = "independent") -> int:
    """The seed of one run (a 63-bit integer), from its place in the design alone.

    "independent": every run has its own stream. "common": replicate r uses the same seed at every
    point (common random numbers: differences between points are not blurred by luck).
    """
    key = (point, replicate) if mode == "independent" else (replicate,)
    state = np.random.SeedSequence(master_seed, spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def run_id(point: int, replicate: int, replicates: int) -> int:
    """Runs are numbered point by point: deterministic, so a resumed sweep knows what is done."""
    return point * replicates + replicate
