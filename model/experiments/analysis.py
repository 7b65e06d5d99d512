"""What a sweep says: per-point means with 95% intervals, and Sobol or Morris sensitivity indices.

Replicates are the model's own noise: a point's value is the mean over its successful replicates,
with a Student-t 95% interval (mean +/- t(0.975, n-1) * sd / sqrt(n)). Sensitivity indices are
computed (SALib) on those point means, so they describe how the *expected* outcome depends on the
parameters; the confidence intervals are SALib's bootstrap intervals over the design's points.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from model.experiments.designs import Design
from model.experiments.spec import ExperimentError

CONF_LEVEL = 0.95


def check_outputs(runs: pd.DataFrame, outputs, where: str) -> list[str]:
    """The outputs asked for must be numeric columns of the results; suggest close names otherwise."""
    problems = []
    for name in outputs:
        if name not in runs.columns:
            close = difflib.get_close_matches(name, [c for c in runs.columns if "." not in c], n=3, cutoff=0.5)
            hint = f" — did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            problems.append(f"{where}: no output '{name}'{hint}")
        elif not pd.api.types.is_numeric_dtype(runs[name]):
            problems.append(f"{where}: output '{name}' is not a number")
    if problems:
        raise ExperimentError("\n".join(problems))
    return list(outputs)


def mean_intervals(values) -> pd.DataFrame:
    """Per group of a grouped column: ``n`` values (NaN is no value), ``mean``, ``sd`` and the 95% interval.

    The interval is Student-t, mean +/- t(0.975, n-1) * sd / sqrt(n); its bounds are NaN below two values.
    """
    from scipy import special  # stdtrit is Student's t quantile (scipy.stats.t.ppf's), without scipy.stats' 0.6 s import

    table = pd.DataFrame({"n": values.count(), "mean": values.mean(), "sd": values.std(ddof=1)})
    half = special.stdtrit(np.maximum(table["n"] - 1, 1), 0.5 + CONF_LEVEL / 2) * table["sd"] / np.sqrt(table["n"])
    table["ci95_low"] = table["mean"] - half.where(table["n"] > 1)
    table["ci95_high"] = table["mean"] + half.where(table["n"] > 1)
    return table


def group_summary(runs: pd.DataFrame, by: list[str], outputs: list[str], sort: bool = False) -> pd.DataFrame:
    """One row per group of runs and output, tidy: the ``by`` columns, ``output``, then ``mean_intervals``.

    A group is the runs with the same values in the ``by`` columns (a scenario, a point of a sweep).
    Rows go output by output; within an output, groups in the order they first appear in ``runs``,
    or sorted by their ``by`` values if ``sort``.
    """
    number = runs.groupby(by, sort=sort, dropna=False).ngroup()  # 0, 1, ... in the groups' order
    groups = runs[by].groupby(number).first()
    frames = [groups.join(mean_intervals(runs[output].groupby(number))).assign(output=output) for output in outputs]
    table = pd.concat(frames, ignore_index=True)
    return table[[*by, "output", "n", "mean", "sd", "ci95_low", "ci95_high"]]


def point_summary(runs: pd.DataFrame, keys: list[str], outputs: list[str]) -> pd.DataFrame:
    """One row per point of a sweep and output, tidy (for CSV and charts): ``group_summary`` of the successful runs.

    ``ok`` successful runs, ``n`` of them with a value (an event that never happens, such as a
    lock-in month, is NaN: the mean is over the runs where it happened), ``failed`` runs, ``mean``,
    ``sd`` and the 95% interval of the mean. A point whose runs all failed has a row with n = 0.
    """
    ok = runs[runs["status"] == "ok"]
    points = runs.groupby("point")[keys].first()  # every point, also one whose runs all failed
    every_row = pd.MultiIndex.from_product([outputs, points.index], names=["output", "point"])
    table = group_summary(ok, ["point"], outputs, sort=True).set_index(["output", "point"])
    table = table.reindex(every_row).reset_index("output")
    table["n"] = table["n"].fillna(0).astype(int)
    table["ok"] = ok.groupby("point").size().reindex(table.index, fill_value=0)
    table["failed"] = runs[runs["status"] != "ok"].groupby("point").size().reindex(table.index, fill_value=0)
    columns = [*keys, "output", "ok", "n", "mean", "sd", "ci95_low", "ci95_high", "failed"]
    return table.join(points)[columns].reset_index()


def wide_intervals(summary: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """A tidy summary as one line per group (indexed by the ``by`` columns), each output as 'mean [low, high]'."""
    shown = summary.assign(value=[_interval(m, lo, hi) for m, lo, hi in
                                  summary[["mean", "ci95_low", "ci95_high"]].itertuples(index=False)])
    return shown.pivot(index=by, columns="output", values="value")[list(dict.fromkeys(summary["output"]))]


def wide_summary(summary: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """A sweep's tidy summary as one line per point: its parameters, runs ok and failed, then ``wide_intervals``."""
    meta = summary.groupby("point")[[*keys, "ok", "failed"]].first().rename(columns={"ok": "runs ok"})
    return meta.join(wide_intervals(summary, ["point"])).reset_index()


def _interval(mean, low, high) -> str:
    if pd.isna(mean):
        return "n/a"
    return f"{mean:.3g}" if pd.isna(low) else f"{mean:.3g} [{low:.3g}, {high:.3g}]"


# -- sensitivity ------------------------------------------------------------------------------
def point_means(runs: pd.DataFrame, design: Design, output: str) -> np.ndarray:
    """The output's mean over successful replicates at every point of the design, in design order.

    Sobol and Morris estimators need every point: a point with no value is an error that says which.
    """
    means = runs[runs["status"] == "ok"].groupby("point")[output].mean().reindex(design.points.index)
    missing = means.index[means.isna()]
    if len(missing):
        shown = ", ".join(str(p) for p in missing[:8]) + (" ..." if len(missing) > 8 else "")
        raise ExperimentError(
            f"output '{output}' has no value at {len(missing)} of {len(means)} points ({shown}): runs failed, are not "
            "done yet, or the output is undefined there (e.g. a phase that never starts); the indices need every point")
    return means.to_numpy(dtype=float)


def sensitivity_indices(design: Design, runs: pd.DataFrame, outputs: list[str], method: str | None = None,
                        num_resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Sensitivity indices with 95% intervals, one row per output, parameter and index (tidy)."""
    method = method or design.method
    if method not in ("sobol", "morris") or design.method != method:
        wanted = f"a '{method}' design" if method in ("sobol", "morris") else "a 'sobol' or 'morris' design"
        raise ExperimentError(
            f"sensitivity indices need {wanted}; this experiment's design is '{design.method}' "
            "(use `summarize` for a grid or Latin hypercube, or set design = \"sobol\" or \"morris\")")
    analyse = _sobol if method == "sobol" else _morris
    frames = [analyse(design, point_means(runs, design, output), num_resamples, seed).assign(output=output)
              for output in outputs]
    table = pd.concat(frames, ignore_index=True)
    return table[["output", "parameter", "index", "estimate", "ci95_low", "ci95_high"]]


def _sobol(design: Design, y: np.ndarray, num_resamples: int, seed: int) -> pd.DataFrame:
    from SALib.analyze import sobol

    second = (design.options or {}).get("second_order", True)
    result = sobol.analyze(design.problem, y, calc_second_order=second, num_resamples=num_resamples,
                           conf_level=CONF_LEVEL, seed=seed)
    names = design.problem["names"]
    rows = [(name, index, result[index][i], result[f"{index}_conf"][i])
            for index in ("S1", "ST") for i, name in enumerate(names)]
    if second:
        rows += [(f"{names[i]} x {names[j]}", "S2", result["S2"][i, j], result["S2_conf"][i, j])
                 for i in range(len(names)) for j in range(i + 1, len(names))]
    return _tidy(rows)


def _morris(design: Design, y: np.ndarray, num_resamples: int, seed: int) -> pd.DataFrame:
    from SALib.analyze import morris

    levels = (design.options or {}).get("levels", 4)
    result = morris.analyze(design.problem, design.samples, y, num_resamples=num_resamples, conf_level=CONF_LEVEL,
                            num_levels=levels, seed=seed)
    names = design.problem["names"]
    rows = [(name, "mu_star", result["mu_star"][i], result["mu_star_conf"][i]) for i, name in enumerate(names)]
    rows += [(name, index, result[index][i], np.nan) for index in ("mu", "sigma") for i, name in enumerate(names)]
    return _tidy(rows)


def _tidy(rows) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["parameter", "index", "estimate", "half_width"])
    table["ci95_low"] = table["estimate"] - table["half_width"]
    table["ci95_high"] = table["estimate"] + table["half_width"]
    return table.drop(columns="half_width")


# -- a results folder -------------------------------------------------------------------------
def summarize_folder(folder, outputs: list[str] | None = None, charts: bool = True) -> tuple[pd.DataFrame, list]:
    """Per-point means and intervals of a sweep: ``analysis/summary.csv`` and charts; returns (table, files)."""
    from model.experiments.store import ResultStore

    store = ResultStore(folder)
    experiment = store.experiment()
    runs = _runs_of(store)
    outputs = check_outputs(runs, outputs or experiment.outputs, str(folder))
    summary = point_summary(runs, experiment.keys, outputs)
    target = AnalysisFolder(folder)
    summary.to_csv(target.file("summary.csv"), index=False)
    files = [target.file("summary.csv")]
    if charts:
        files += _summary_charts(summary, experiment, target)
    return summary, files


def sensitivity_folder(folder, outputs: list[str] | None = None, method: str | None = None,
                       charts: bool = True) -> tuple[pd.DataFrame, list]:
    """Sobol or Morris indices of a sweep: ``analysis/sensitivity.csv`` and a chart; returns (table, files)."""
    from model.charts import save_png
    from model.experiments import charts as experiment_charts
    from model.experiments.store import ResultStore

    store = ResultStore(folder)
    experiment = store.experiment()
    runs = _runs_of(store)
    outputs = check_outputs(runs, outputs or experiment.outputs, str(folder))
    design = store.design()
    indices = sensitivity_indices(design, runs, outputs, method, seed=experiment.seed)
    target = AnalysisFolder(folder)
    indices.to_csv(target.file("sensitivity.csv"), index=False)
    files = [target.file("sensitivity.csv")]
    if charts:
        chart = (experiment_charts.sobol_chart if design.method == "sobol" else experiment_charts.morris_chart)(indices)
        files.append(save_png(chart, target.file("sensitivity.png")))
    return indices, files


class AnalysisFolder:
    """``analysis/`` inside a results folder, and the files written there.

    Their names come from the folder's own contents (output and parameter names), which a crafted
    folder could fill with paths ('x/../../elsewhere'): a name keeps only letters, digits, '.', '-'
    and '_', and every file must resolve inside the results folder (a symbolic link out is refused).
    """

    def __init__(self, results):
        self.results = Path(results)
        self.folder = self._inside(self.results / "analysis")
        self.folder.mkdir(exist_ok=True)

    def file(self, *parts: str, suffix: str = "") -> Path:
        """``analysis/<parts joined by '_'><suffix>``, each part made a safe file-name piece."""
        name = "_".join(re.sub(r"[^A-Za-z0-9._-]", "_", str(part)) for part in parts) + suffix
        return self._inside(self.folder / name.lstrip("."))

    def _inside(self, path: Path) -> Path:
        if not path.resolve().is_relative_to(self.results.resolve()):
            raise ExperimentError(f"{path}: leads outside the results folder {self.results} (to {path.resolve()}); "
                                  "refusing to write there")
        return path


def _runs_of(store) -> pd.DataFrame:
    runs = store.runs()
    if runs.empty:
        raise ExperimentError(f"{store.folder}: no runs on disk yet (run `python -m model sweep` first)")
    return runs


def _summary_charts(summary: pd.DataFrame, experiment, target: AnalysisFolder) -> list:
    """Grids: a heat map over the first two numeric parameters and lines over each; sampled designs: scatters."""
    from model.charts import save_png
    from model.experiments import charts as experiment_charts

    keys = experiment.keys
    numeric = [k for k in keys if pd.api.types.is_numeric_dtype(summary[k]) and not pd.api.types.is_bool_dtype(summary[k])]
    files = []
    for output in summary["output"].unique():
        if experiment.design != "grid":
            for key in numeric:
                files.append(save_png(experiment_charts.scatter_chart(summary, key, output),
                                      target.file("scatter", output, key, suffix=".png")))
            continue
        if len(keys) >= 2:
            files.append(save_png(experiment_charts.heatmap_chart(summary, keys[0], keys[1], output, keys),
                                  target.file("heatmap", output, suffix=".png")))
        for key in numeric:
            colour = next((k for k in keys if k != key), None)
            chart = experiment_charts.lines_chart(summary, key, output, keys, colour)
            files.append(save_png(chart, target.file("lines", output, key, suffix=".png")))
    return files
