"""Calibration against DESIGN §6: run the baseline over many seeds, compare with the stylised facts.

    python -m model calibrate params/baseline.toml --seeds 20 --out docs/calibration.md
"""

from __future__ import annotations

import pandas as pd

from model import metrics
from model.params.schema import Params
from model.replicates import measure_runs


def summaries_over_seeds(params: Params, seeds, processes: int = 2, progress: bool = False) -> list[dict]:
    """Run ``params`` once per seed (in parallel processes) and return each run's summary, in seed order."""
    return measure_runs([(params, seed) for seed in seeds], processes=processes, progress=progress, desc="seeds")


def calibration_markdown(table: pd.DataFrame, seeds: int) -> str:
    """The calibration table as Markdown: target range beside the baseline's median and range."""
    lines = [
        f"| stylised fact | target | baseline median | baseline range ({seeds} seeds) | in range |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in table.itertuples():
        spread = f"{row.min:.2f} to {row.max:.2f}" + (f" ({row.missing} runs without it)" if row.missing else "")
        lines.append(f"| {row.fact} | {row.target} | {row.median:.2f} | {spread} | {'yes' if row.in_range else 'no'} |")
    return "\n".join(lines) + "\n"


def calibrate(params: Params, seeds: int = 20, processes: int = 2, progress: bool = False) -> pd.DataFrame:
    return metrics.calibration_table(summaries_over_seeds(params, range(seeds), processes, progress))
