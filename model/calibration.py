"""Calibration against DESIGN §6: run the baseline over many seeds, compare with the stylised facts.

    python -m model calibrate params/baseline.toml --seeds 20 --out docs/calibration.md
"""

from __future__ import annotations

import pandas as pd

from model import metrics
from model.params.schema import Params
from model.replicates import measure_runs
from model.statistics import wilson_interval


def summaries_over_seeds(params: Params, seeds, processes: int = 2, progress: bool = False) -> list[dict]:
    """Run ``params`` once per seed (in parallel processes) and return each run's summary, in seed order."""
    return measure_runs([(params, seed) for seed in seeds], processes=processes, progress=progress, desc="seeds")


def regime_frequencies(summaries: list[dict]) -> pd.DataFrame:
    """How often each regime (tipped, contested, empty) occurs over the runs, with 95% Wilson intervals.

    The same parameters give both main regimes by chance (DESIGN §4): a median over seeds hides
    which one a run is in, so the frequencies are reported beside the medians."""
    runs = len(summaries)
    rows = []
    for name in metrics.REGIMES:
        count = sum(summary.get("regime") == name for summary in summaries)
        low, high = wilson_interval(count, runs)
        rows.append({"regime": name, "runs": count, "share": count / runs if runs else float("nan"), "low": low, "high": high})
    return pd.DataFrame(rows).set_index("regime")


def regimes_sentence(regimes: pd.DataFrame) -> str:
    """"Regimes over 20 runs: tipped 9 (45 %, 95 % interval 26 to 66 %), ..." (regimes that occurred)."""
    runs = int(regimes["runs"].sum())
    parts = [f"{name} {int(row.runs)} ({row.share:.0%}, 95% interval {row.low:.0%} to {row.high:.0%})"
             for name, row in regimes.iterrows() if row.runs]
    return f"Regimes over {runs} runs: " + "; ".join(parts) + "."


def calibration_markdown(table: pd.DataFrame, seeds: int, regimes: pd.DataFrame | None = None) -> str:
    """The calibration table as Markdown: target range beside the baseline's median and range, then
    how often each regime occurred (``regimes``, from :func:`regime_frequencies`), if given."""
    lines = [
        f"| stylised fact | target | baseline median | baseline range ({seeds} seeds) | in range |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in table.itertuples():
        spread = f"{row.min:.2f} to {row.max:.2f}" + (f" ({row.missing} runs without it)" if row.missing else "")
        lines.append(f"| {row.fact} | {row.target} | {row.median:.2f} | {spread} | {'yes' if row.in_range else 'no'} |")
    if regimes is not None:
        lines += ["", regimes_sentence(regimes)]
    return "\n".join(lines) + "\n"


def calibrate(params: Params, seeds: int = 20, processes: int = 2, progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The calibration table over seeds 0 .. seeds-1, and the regimes' frequencies (:func:`regime_frequencies`)."""
    summaries = summaries_over_seeds(params, range(seeds), processes, progress)
    return metrics.calibration_table(summaries), regime_frequencies(summaries)
