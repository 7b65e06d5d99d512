"""Scenarios side by side: each run over the same seeds, key outcomes with 95% confidence intervals.

    python -m model compare params/baseline.toml params/scenarios/ad_cap.toml --seeds 20 --out results/compare

Every scenario runs once per seed (0 .. seeds-1, the same seeds for all: common random numbers),
in parallel processes; each run is reduced to the outcomes below; the table gives each
scenario's mean over seeds with a 95% interval that stays inside what it describes
(:mod:`model.statistics`): a bootstrap percentile interval for a mean, a Wilson interval for how
often the market tipped. The chart shows every seed's value beside the mean, so that two regimes
show as two clusters. Money is per potential user, so scenarios of different sizes compare.

Because every scenario runs on the same seeds, each is also set against the first seed by seed
(:func:`paired_table`): the mean difference with its interval, and in how many seeds the outcome is
higher and lower, with a sign test. Pairing removes the spread the scenarios share, so an effect too
small for the scenarios' own intervals to separate is often clear there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import altair as alt
import pandas as pd

from model.charts import chart_title, inline_data, save_png
from model.experiments.analysis import group_summary, wide_intervals
from model.outcomes import OUTCOMES, outcomes
from model.outputs import COMPARISON, replacing_folder
from model.params import Params
from model.replicates import measure_runs
from model.statistics import bootstrap_mean_interval, paired_differences, wilson_interval

def compare(scenarios: dict[str, Params], seeds: int = 20, processes: int = 2, progress: bool = False,
            measure: Callable = outcomes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs, summary): one row per scenario and seed; one row per scenario and outcome, with 95% intervals.

    ``measure`` reduces each finished run to a dict holding at least the keys of OUTCOMES (the summary's
    outcomes); its other keys become more columns of ``runs`` (``model.outcomes.outcomes_and_summary``
    keeps each run's summary). With more than one process it is sent to the workers, so it must then be a
    module-level function of an importable module.
    """
    pairs = [(name, seed) for name in scenarios for seed in range(seeds)]
    measured = measure_runs([(scenarios[name], seed) for name, seed in pairs], measure, processes=processes,
                            progress=progress, desc="runs")
    runs = pd.DataFrame(measured)
    runs.insert(0, "seed", [seed for _, seed in pairs])
    runs.insert(0, "scenario", [name for name, _ in pairs])
    return runs, seed_intervals(runs, group_summary(runs, ["scenario"], list(OUTCOMES)))


FREQUENCIES = ("tipped",)  # outcomes that are 0 or 1 per run: their mean is a frequency


def seed_intervals(runs: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """The summary's 95% intervals, made to respect the outcomes: Wilson for a frequency, bootstrap for a mean."""
    summary = summary.copy()
    for row in summary.itertuples():
        values = runs.loc[runs["scenario"] == row.scenario, row.output].dropna()
        if row.output in FREQUENCIES:
            low, high = wilson_interval(int(values.sum()), len(values))
        else:
            low, high = bootstrap_mean_interval(values)
        summary.loc[row.Index, ["ci95_low", "ci95_high"]] = low, high
    return summary


def paired_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Each scenario after the first against the first, seed by seed: one row per scenario and outcome
    with :func:`model.statistics.paired_differences` (pairs, seeds higher, lower and the same, one-sided
    sign tests, means, the mean difference and its 95 % interval) and ``p_sign``, the two-sided sign test."""
    scenarios = list(dict.fromkeys(runs["scenario"]))
    reference = runs[runs["scenario"] == scenarios[0]].set_index("seed")
    rows = []
    for name in scenarios[1:]:
        other = runs[runs["scenario"] == name].set_index("seed").reindex(reference.index)
        for key in OUTCOMES:
            paired = paired_differences(reference[key], other[key])
            one_sided = [p for p in (paired["p_higher"], paired["p_lower"]) if p is not None]
            rows.append({"scenario": name, "against": scenarios[0], "output": key, **paired,
                         "p_sign": min(1.0, 2.0 * min(one_sided)) if one_sided else None})
    return pd.DataFrame(rows)


def paired_summary(paired: pd.DataFrame) -> pd.DataFrame:
    """:func:`paired_table` for the terminal: outcomes as rows, one column per scenario set against the
    first, each cell 'difference [low, high], higher in H and lower in L seeds (sign test p)'."""
    cells = {}
    for row in paired.itertuples():
        low, high = row.mean_difference_interval
        p = "-" if row.p_sign is None or pd.isna(row.p_sign) else f"{row.p_sign:.2g}"
        cells.setdefault(f"{row.scenario} - {row.against}", {})[OUTCOMES[row.output][0]] = (
            f"{row.mean_difference:+.3g} [{low:+.3g}, {high:+.3g}], {row.higher} up {row.lower} down (p {p})")
    table = pd.DataFrame(cells)
    table.index.name = "outcome"
    return table


def comparison_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Outcomes as rows, scenarios as columns, each cell 'mean [low, high]' (for the terminal)."""
    scenarios = list(dict.fromkeys(summary["scenario"]))
    table = wide_intervals(summary, ["scenario"]).T[scenarios]
    table = table.rename(index={key: label for key, (label, _) in OUTCOMES.items()})
    table.index.name = "outcome"
    return table


def comparison_chart(summary: pd.DataFrame, runs: pd.DataFrame | None = None) -> alt.ConcatChart:
    """One small panel per outcome: each scenario's mean with its 95% interval, and every seed's value."""
    order = list(dict.fromkeys(summary["scenario"]))
    panels = []
    for key, (label, meaning) in OUTCOMES.items():
        data = summary[summary["output"] == key][["scenario", "mean", "ci95_low", "ci95_high"]]
        base = alt.Chart(inline_data(data)).encode(y=alt.Y("scenario:N", sort=order, title=None))
        bars = base.mark_rule(strokeWidth=2).encode(x=alt.X("ci95_low:Q", title=label, scale=alt.Scale(zero=False)),
                                                    x2=alt.X2("ci95_high:Q"))
        points = base.mark_point(filled=True, size=60).encode(
            x=alt.X("mean:Q"), color=alt.Color("scenario:N", sort=order, legend=None),
            tooltip=[alt.Tooltip("scenario:N"), alt.Tooltip("mean:Q", format=".3g"), alt.Tooltip("ci95_low:Q", format=".3g"),
                     alt.Tooltip("ci95_high:Q", format=".3g")])
        layers = [bars, points]
        if runs is not None and key in runs:
            seeds = runs[["scenario", "seed", key]].dropna()
            layers.append(alt.Chart(inline_data(seeds)).mark_tick(opacity=0.45, thickness=1, size=14).encode(
                x=alt.X(f"{key}:Q"), y=alt.Y("scenario:N", sort=order, title=None),
                color=alt.Color("scenario:N", sort=order, legend=None),
                tooltip=[alt.Tooltip("scenario:N"), alt.Tooltip("seed:Q"), alt.Tooltip(f"{key}:Q", format=".3g")]))
        panels.append(alt.layer(*layers).properties(width=260, height=22 * len(order), title=chart_title(label, meaning)))
    # Channels as objects, not "field:type" strings, and one grid rather than rows of rows: Altair
    # parses each string against its whole schema and copies every nested chart (1.2 s for this chart).
    return alt.concat(*panels, columns=3).properties(title=chart_title(
        "Scenarios compared over the same seeds",
        "Dot: mean over seeds; line: its 95% interval; ticks: each seed (two clusters: two regimes)."))


def write_comparison(runs: pd.DataFrame, summary: pd.DataFrame, out: str | Path,
                     paired: pd.DataFrame | None = None) -> list[Path]:
    """compare_runs.csv, compare.csv (tidy summary), compare_paired.csv (:func:`paired_table`) and compare.png
    in ``out``, a new or empty folder or an earlier comparison, replaced whole (``model.outputs``: anything
    else is refused with OutError). ``paired``: the paired table if already computed."""
    out = Path(out)
    names = ["compare_runs.csv", "compare.csv", "compare_paired.csv", "compare.png"]
    with replacing_folder(out, COMPARISON) as staging:
        runs.to_csv(staging / names[0], index=False)
        summary.to_csv(staging / names[1], index=False)
        (paired_table(runs) if paired is None else paired).to_csv(staging / names[2], index=False)
        save_png(comparison_chart(summary, runs), staging / names[3])
    return [out / name for name in names]
