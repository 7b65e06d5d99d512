"""An adapter so that Mesa's own ``batch_run`` can run this model.

``mesa.batch_run`` builds each model as ``model_cls(**parameters, rng=seed)`` and reads
``model.datacollector``. ``PlatformEconomy`` takes one ``Params`` object instead, so this subclass
takes the parameters as keywords: dotted names (``**{"network.effect": 3.0}``) or with ``__`` for
the dot (``network__effect=3.0``), plus ``base``, the scenario file they change::

    from mesa.batchrunner import batch_run
    from model.experiments import MesaBatchModel

    rows = batch_run(MesaBatchModel,
                     parameters={"base": "params/classroom/network_only.toml", "users.count": 1000,
                                 "network.effect": [1.0, 2.0, 3.0]},
                     rng=[1, 2, 3], max_steps=60, data_collection_period=-1, number_processes=1)

Each row holds the month's model-frame columns; the last month's row also carries the run's
summary (``final_hhi``, ``lock_in_month``, ...). The run stops at ``simulation.steps`` or at
``max_steps``, whichever comes first. For large sweeps use ``run_experiment`` instead, which
streams to disk, resumes and spreads over a Dask cluster.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

import mesa
from model.economy import PlatformEconomy
from model.experiments.runner import summary_outputs
from model.params import load_params

BASELINE = Path(__file__).resolve().parents[2] / "params" / "baseline.toml"


class MesaBatchModel(PlatformEconomy):
    """``PlatformEconomy`` built from keyword parameters, with a Mesa DataCollector, for ``batch_run``."""

    def __init__(self, base: str | Path = BASELINE, rng=None, **parameters):
        overrides = {key.replace("__", "."): value for key, value in parameters.items()}
        if rng is not None:  # Mesa passes one seed per replicate; None keeps the file's seed
            overrides["simulation.seed"] = int(rng)
        super().__init__(load_params(base, overrides))
        self.datacollector = mesa.DataCollector()  # replaced after the first month, when the columns are known
        self._summary: dict = {}

    def step(self) -> None:
        super().step()
        if self.month >= self.params.simulation.steps:
            self.running = False
            self._summary = summary_outputs(self.summary())
        if not self.datacollector.model_reporters:
            columns = [*self.recorder.model_rows[-1], *summary_outputs(self.summary())]
            self.datacollector = mesa.DataCollector(model_reporters={c: partial(_reported, column=c) for c in columns})
        self.datacollector.collect(self)

    def reported(self, column: str):
        """This month's value of a model-frame column, or (in the last month) of a summary output."""
        row = self.recorder.model_rows[-1]
        if column in row:
            return row[column]
        return self._summary.get(column, np.nan)


def _reported(model: MesaBatchModel, column: str):
    """A module-level reporter (Mesa's multiprocessing pickles reporters; a lambda would not do)."""
    return model.reported(column)
