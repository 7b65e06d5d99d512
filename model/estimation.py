"""Estimating a case's free parameters against its moments (issue 18, DESIGN §6).

    python -m model calibrate params/cases/search.toml --out results/search            # 100 seeds at the estimate
    python -m model calibrate params/cases/search.toml --points 8 --search-seeds 4 --seeds 20 --out /tmp/quick

1. **Search.** A Latin hypercube of ``points`` points over the free parameters' bounds, each run with
   the same ``search_seeds`` seeds (common random numbers: points differ by their parameters, not
   by luck) at ``search_users`` users: a sweep on the project's runner (``OUT/search``: a local Dask
   cluster, a scheduler, or serially; resumable like any sweep, with a progress bar). The story must
   not depend on the population size (DESIGN §5), so the search may use a small one.
2. **Score.** For each point and fitted moment, the share of its seeds in range among the seeds in
   the moment's regime (:func:`model.cases.moment_table`); and for each regime a fitted moment names
   (tipped, contested), the share of the point's seeds in it: the real market was in that regime. A
   point's score is the smallest of these shares' 95 % Wilson lower bounds, so a point whose seeds
   rarely reach the regime, or meet a moment by one lucky seed, scores low. The **estimate** is the best point (the first
   of equals); the **accepted** points are those whose weakest moment's Wilson upper bound reaches
   the estimate's share on that moment: points the search's seeds cannot tell from the estimate. Each
   free parameter's range is its span over the accepted points (an approximate Bayesian computation
   with a data-driven tolerance). A parameter is **identified** when its accepted points span at
   most half of its bounds and the best point scored above zero: otherwise the moments did not tell
   its values apart, and its estimate is no more than one point of the search.
   With ``zoom`` (``--zoom N``), a second Latin hypercube of N points is drawn inside the box the
   accepted points span (:func:`zoom_box`: at least a tenth of each parameter's bounds, around the
   estimate), each run on ``zoom_seeds`` seeds spawned from the search's seed + 2 at the search's
   population (``OUT/zoom``, resumable; its points numbered after the search's); the estimate and the
   accepted points are then chosen among both stages' points. A coarse hypercube over several
   parameters leaves the best region sampled by one or two points; the zoom looks closer there.
   With ``refine`` (``--refine K``), the search's K best points are run again on ``refine_seeds`` other
   seeds (spawned from the search's seed + 1, so neither the search's nor the statement's) at the
   statement's population, and scored the same way (``OUT/refine/point-N``, resumable); the estimate
   is the best of them. The best of many points scored on a few seeds flatters itself: a point that
   met a moment by luck on 8 seeds rarely does so on 40.
3. **Statement.** At the estimate, ``seeds`` seeds (at least 100 for a statement, fewer only for a
   quick look) at the case's own population (``OUT/statement``, resumable): every moment, fitted and
   held out, with the share of seeds in range and its interval, the model's quartiles, and how often
   each regime occurred. Written to ``OUT/calibration.json``; :func:`results_markdown` reads it as the
   tables of ``docs/ODD.md`` section 7 (``--odd``). A case **meets the bar** of issue 18 when each
   fitted moment is in range in at least 60 % of the seeds of its regime, and each regime a fitted
   moment names occurs in at least 60 % of the seeds (:func:`meets_bar`).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model.bands import SERIES, band_frequency, model_band, real_points
from model.calibration import regime_frequencies
from model.cases import MOMENTS, Case, moment_column, moment_table
from model.experiments.runner import run_experiment
from model.experiments.spec import Experiment, Factor, experiment_from_tables
from model.experiments.store import OK, ResultStore
from model.params import params_to_dict
from model.statistics import wilson_interval

STATEMENT_SEEDS = 100  # seeds of a statement at the estimate (issue 18); fewer make a quick look only
BAR = 0.6  # a fitted moment meets the bar when in range in at least this share of its regime's seeds (issue 18)
IDENTIFIED_SPAN = 0.5  # identified: the accepted points span at most this share of the parameter's bounds
ZOOM_LEAST_SPAN = 0.1  # a zoom's box spans at least this share of each parameter's bounds
RESULTS_FILE = "calibration.json"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SearchSettings:
    """How hard to look: points of the Latin hypercube, seeds per point, users per run, its seed."""

    points: int = 16
    seeds: int = 8
    users: int = 1000
    seed: int = 0
    refine: int = 0  # the best points run again on refine_seeds other seeds at the statement's population (0: none)
    refine_seeds: int = 40
    zoom: int = 0  # points of a second hypercube inside the accepted points' box (0: none)
    zoom_seeds: int = 16


def case_fingerprint(case: Case) -> str:
    """A hash of what a case's results depend on: its [case] table and its resolved parameters (so an
    edit of the case file, or of a file it extends, shows as results that no longer match). The free
    parameters' own values in the files are left out: every run draws them, so no result depends on them
    (the baseline may take a case's estimate without making that case's results stale)."""
    params = params_to_dict(case.params)
    for free in case.spec.free:
        table, key = free.key.split(".")
        params[table].pop(key)
    content = {"case": case.spec.model_dump(mode="json"), "params": params}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def search_experiment(case: Case, settings: SearchSettings) -> Experiment:
    """The search's experiment: a Latin hypercube over the free parameters, common seeds at every point."""
    base = case.params.model_copy(update={"users": case.params.users.model_copy(update={"count": settings.users})})
    factors = tuple(Factor(key=free.key, low=free.low, high=free.high) for free in case.spec.free)
    drawn = Experiment(path=str(case.path), base=base, factors=factors, design="latin", seed=settings.seed,
                       samples=settings.points, replicates=settings.seeds, seeds="common",
                       description=f"calibration search of {case.name}")
    return experiment_from_tables(drawn.resolved(), case.path)


def zoom_box(case: Case, estimate: dict[str, float], ranges: dict[str, list[float]]) -> dict[str, list[float]]:
    """Where the zoom looks: for each free parameter, the span of the accepted points, widened where it
    is narrower than ZOOM_LEAST_SPAN of the parameter's bounds to that width around the estimate (within
    the bounds), so that a search with one accepted point still has a box to look in."""
    box = {}
    for free in case.spec.free:
        low, high = ranges[free.key]
        least = ZOOM_LEAST_SPAN * (free.high - free.low)
        if high - low < least:
            low = min(max(estimate[free.key] - least / 2, free.low), free.high - least)
            high = low + least
        box[free.key] = [float(low), float(high)]
    return box


def zoom_experiment(case: Case, settings: SearchSettings, box: dict[str, list[float]]) -> Experiment:
    """The zoom's experiment: a Latin hypercube of ``settings.zoom`` points inside ``box``, common seeds
    spawned from the search's seed + 2 (neither the search's nor the refinement's), the search's population."""
    base = case.params.model_copy(update={"users": case.params.users.model_copy(update={"count": settings.users})})
    factors = tuple(Factor(key=key, low=low, high=high) for key, (low, high) in box.items())
    drawn = Experiment(path=str(case.path), base=base, factors=factors, design="latin", seed=settings.seed + 2,
                       samples=settings.zoom, replicates=settings.zoom_seeds, seeds="common",
                       description=f"calibration zoom of {case.name}")
    return experiment_from_tables(drawn.resolved(), case.path)


def accepted_ranges(accepted: pd.DataFrame, keys) -> dict[str, list[float]]:
    """Each free parameter's span over the accepted points."""
    return {key: [float(accepted[key].min()), float(accepted[key].max())] for key in keys}


def statement_experiment(case: Case, estimate: dict[str, float], seeds: int, users: int | None = None,
                         seed: int = 0, charts: bool = True, what: str = "statement") -> Experiment:
    """The statement's experiment: the estimate (one grid point), ``seeds`` seeds spawned from ``seed``, the
    case's population unless ``users`` says otherwise; every month kept when the case has ``charts``."""
    base = case.params.model_copy(update={"users": case.params.users.model_copy(
        update={"count": users or case.params.users.count})})
    factors = tuple(Factor(key=key, values=(float(value),)) for key, value in estimate.items())
    drawn = Experiment(path=str(case.path), base=base, factors=factors, design="grid", replicates=seeds, seed=seed,
                       seeds="common", keep_model_frame=charts and bool(case.spec.charts),  # the bands need every month
                       description=f"calibration {what} of {case.name}")
    return experiment_from_tables(drawn.resolved(), case.path)


def refine(case: Case, scores: pd.DataFrame, search: SearchSettings, users: int | None, out: Path,
           progress: bool = True, **where) -> pd.DataFrame:
    """The ``search.refine`` best points of the search (and its zoom; by score, the first of equals), each run again on
    ``search.refine_seeds`` seeds spawned from ``search.seed + 1`` at the statement's population, and
    scored as the search scores (:func:`point_scores`); one row per point, its search number kept."""
    best = scores.sort_values(["score", "point"], ascending=[False, True]).head(search.refine)
    keys = [free.key for free in case.spec.free]
    rows = []
    for _, point in best.iterrows():
        folder = out / f"point-{int(point['point'])}"
        experiment = statement_experiment(case, {key: point[key] for key in keys}, search.refine_seeds, users,
                                          seed=search.seed + 1, charts=False, what="refinement")
        _completed(run_experiment(experiment, folder, progress=progress, **where))
        rows.append(point_scores(case, finished_runs(folder)).assign(point=int(point["point"])))
    return pd.concat(rows, ignore_index=True)


def finished_runs(folder: Path) -> pd.DataFrame:
    """A sweep folder's successful runs, with the free parameters as columns."""
    runs = ResultStore(folder).runs()
    return runs[runs["status"] == OK].reset_index(drop=True)


def point_scores(case: Case, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per point of the search: its free parameters, its score (the weakest Wilson lower bound
    of the fitted moments' shares in range and of their regimes' frequencies), the weakest of them
    ("regime: tipped" for a regime), its share and its Wilson upper bound."""
    keys = [free.key for free in case.spec.free]
    fitted = [moment.name for moment in case.spec.moments if not moment.held_out]
    regimes = sorted({moment.regime for moment in case.spec.moments if not moment.held_out} - {"any"})
    rows = []
    for point, point_runs in runs.groupby("point", sort=True):
        table = moment_table(case, point_runs).set_index("moment").loc[fitted]
        # A moment observed in a regime also asks for that regime: the real market was in it.
        table = pd.concat([table[["share_in_range", "share_low", "share_high"]], _regime_rows(point_runs, regimes)])
        lower = table["share_low"].fillna(0.0)  # no seed in the moment's regime: nothing in range
        weakest = lower.idxmin()
        rows.append({"point": int(point), **{key: float(point_runs[key].iloc[0]) for key in keys},
                     "score": float(lower.min()), "weakest_moment": weakest,
                     "weakest_share": float(np.nan_to_num(table.loc[weakest, "share_in_range"])),
                     "weakest_upper": float(np.nan_to_num(table.loc[weakest, "share_high"]))})
    return pd.DataFrame(rows)


def _regime_rows(runs: pd.DataFrame, regimes: list[str]) -> pd.DataFrame:
    """For each regime: the share of the runs in it, with its Wilson interval (rows named "regime: NAME")."""
    rows = {}
    for name in regimes:
        count = int((runs["regime"] == name).sum())
        low, high = wilson_interval(count, len(runs))
        rows[f"regime: {name}"] = {"share_in_range": count / len(runs), "share_low": low, "share_high": high}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["share_in_range", "share_low", "share_high"])


def choose(case: Case, scores: pd.DataFrame) -> tuple[dict[str, float], pd.DataFrame]:
    """The estimate (the best-scoring point, the first of equals) and the accepted points (those whose
    weakest moment's Wilson upper bound reaches the estimate's share on its weakest moment)."""
    keys = [free.key for free in case.spec.free]
    best = scores.loc[scores["score"].idxmax()]
    accepted = scores[scores["weakest_upper"] >= best["weakest_share"]]
    return {key: float(best[key]) for key in keys}, accepted


def calibrate_case(case: Case, out: str | Path, search: SearchSettings = SearchSettings(),
                   seeds: int = STATEMENT_SEEDS, users: int | None = None, progress: bool = True, **where) -> dict:
    """Search, choose, state (module docstring); write and return ``OUT/calibration.json``'s content.
    ``where``: run_experiment's options (scheduler, workers, serial, connect_timeout)."""
    out = Path(out)
    _completed(run_experiment(search_experiment(case, search), out / "search", progress=progress, **where))
    scores = point_scores(case, finished_runs(out / "search")).assign(stage="search")
    if scores.empty:
        raise RuntimeError(f"{out / 'search'}: no run of the search succeeded (see its runs' 'error' column)")
    estimate, accepted = choose(case, scores)
    box = zoom_box(case, estimate, accepted_ranges(accepted, estimate)) if search.zoom else None
    if box is not None:
        _completed(run_experiment(zoom_experiment(case, search, box), out / "zoom", progress=progress, **where))
        zoomed = point_scores(case, finished_runs(out / "zoom"))
        zoomed = zoomed.assign(point=zoomed["point"] + search.points, stage="zoom")  # numbered after the search's
        scores = pd.concat([scores, zoomed], ignore_index=True)
        estimate, accepted = choose(case, scores)
    ranges = accepted_ranges(accepted, estimate)
    best_score = float(scores["score"].max())
    refined = refine(case, scores, search, users, out / "refine", progress, **where) if search.refine else None
    if refined is not None:
        estimate, _ = choose(case, refined)
    _completed(run_experiment(statement_experiment(case, estimate, seeds, users), out / "statement", progress=progress,
                              **where))
    statement = finished_runs(out / "statement")
    results = {
        "case": case.name,
        "market": case.spec.market,
        "file": _relative(case.path),
        "fingerprint": case_fingerprint(case),
        "start_year": case.spec.start_year,
        "code": _code_version(),
        "search": {"design": "latin", "points": search.points, "seeds_per_point": search.seeds, "users": search.users,
                   "seed": search.seed, "points_finished": int((scores["stage"] == "search").sum()),
                   "score": "the weakest 95% Wilson lower bound among the fitted moments' shares of seeds in range "
                            "and the frequencies of the regimes they name"},
        **({"zoom": {"points": search.zoom, "seeds_per_point": search.zoom_seeds, "users": search.users,
                     "seed": search.seed + 2, "box": box, "points_finished": int((scores["stage"] == "zoom").sum())}}
           if box is not None else {}),
        **({"refine": {"points": int(len(refined)), "seeds_per_point": search.refine_seeds,
                       "users": int(users or case.params.users.count), "seed": search.seed + 1,
                       "chosen_point": int(refined.loc[refined["score"].idxmax(), "point"]),
                       "scores": refined.to_dict("records")}} if refined is not None else {}),
        "estimate": estimate,
        "ranges": ranges,
        "bounds": {free.key: [free.low, free.high] for free in case.spec.free},
        "identified": identified(case, ranges, best_score),
        "best_score": best_score,
        "accepted_points": int(len(accepted)),
        "statement": {"seeds": int(len(statement)), "users": int(users or case.params.users.count),
                      "enough": bool(len(statement) >= STATEMENT_SEEDS)},
        "moments": _moment_records(case, statement),
        "regimes": _regime_records(statement),
        "statement_first_run": first_run_record(case, statement),
    }
    (out / RESULTS_FILE).write_text(json.dumps(results, indent=2, allow_nan=True) + "\n", encoding="utf-8")
    scores.to_csv(out / "search_scores.csv", index=False)
    if case.spec.charts:
        write_charts(case, statement, ResultStore(out / "statement").steps(), out)
    return results


def chart_tables(case: Case, statement: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """For each chart of the case: the model's band (source "model": median and quartiles over the
    runs of the chart's regime, per period) and the real series (source "real"), in one frame."""
    last_step = case.params.simulation.steps
    parts = []
    for number, chart in enumerate(case.spec.charts):
        real = real_points(chart.data, chart.per, case.spec.start_year, last_step, chart.where)
        runs = statement if chart.regime == "any" else statement[statement["regime"] == chart.regime]
        chosen = steps[steps["run_id"].isin(runs["run_id"])].rename(columns={"run_id": "run"})
        frequency = band_frequency(list(real["period"]))
        band = (model_band(SERIES[chart.model], chosen, case.spec.start_year, frequency) if len(chosen)
                else pd.DataFrame(columns=["period", "time", "q25", "median", "q75", "runs"]))
        parts += [band.assign(source="model"), real.assign(source="real")]
        for part in parts[-2:]:
            part.insert(0, "chart", number)
    return pd.concat(parts, ignore_index=True)[["chart", "source", "period", "time", "value", "median", "q25", "q75", "runs"]]


def write_charts(case: Case, statement: pd.DataFrame, steps: pd.DataFrame, out: Path) -> None:
    """``OUT/series.csv`` (:func:`chart_tables`) and ``OUT/chart.png``: each real series beside the model's band."""
    from model.charts import case_chart, save_png

    tables = chart_tables(case, statement, steps)
    tables.to_csv(out / "series.csv", index=False)
    save_png(case_chart(case, tables), out / "chart.png")


def identified(case: Case, ranges: dict[str, list[float]], best_score: float) -> dict[str, bool]:
    """For each free parameter, whether the search told its values apart (module docstring, step 2)."""
    return {free.key: bool(best_score > 0 and ranges[free.key][1] - ranges[free.key][0]
                           <= IDENTIFIED_SPAN * (free.high - free.low)) for free in case.spec.free}


def meets_bar(results: dict) -> bool:
    """Whether every fitted moment is in range in at least ``BAR`` of the seeds of its regime, and each
    regime a fitted moment names occurs in at least ``BAR`` of the seeds: the real market was in it, so
    it counts as a moment, as in the search's score (a market that tips in one seed of five does not
    stand for a tipped one, however well those few seeds fit)."""
    fitted = [moment for moment in results["moments"] if not moment["held_out"]]
    shares = {regime["regime"]: regime["share"] for regime in results["regimes"]}
    regimes = {moment["regime"] for moment in fitted} - {"any"}
    return (all(moment["share_in_range"] is not None and moment["share_in_range"] >= BAR for moment in fitted)
            and all((shares.get(regime) or 0.0) >= BAR for regime in regimes))


def results_markdown(results: dict) -> str:
    """``calibration.json`` as Markdown: the free parameters, every moment at the estimate, the regimes
    and whether the case meets the bar. The tables of ``docs/ODD.md`` section 7, one per case."""
    search, statement = results["search"], results["statement"]
    lines = [f"**{results['case']}** (`{results['file']}`, code {results['code']}): search of "
             f"{search['points_finished']} points x {search['seeds_per_point']} seeds x {search['users']:,} users "
             f"(seed {search['seed']}), {results['accepted_points']} accepted; "
             + (f"a zoom of {results['zoom']['points_finished']} points x {results['zoom']['seeds_per_point']} seeds "
                f"inside the box of the search's accepted points; " if "zoom" in results else "")
             + (f"its {results['refine']['points']} best run again on {results['refine']['seeds_per_point']} other "
                f"seeds x {results['refine']['users']:,} users, the estimate the best of them (point "
                f"{results['refine']['chosen_point']}); " if "refine" in results else "")
             + f"statement at the estimate over {statement['seeds']} seeds x {statement['users']:,} users.", "",
             "| free parameter | bounds | estimate | accepted range | identified |", "| --- | --- | --- | --- | --- |"]
    for key, value in results["estimate"].items():
        (low, high), (bound_low, bound_high) = results["ranges"][key], results["bounds"][key]
        lines.append(f"| `{key}` | {bound_low:.3g} to {bound_high:.3g} | {value:.3g} | {low:.3g} to {high:.3g} | "
                     f"{'yes' if results['identified'][key] else 'no'} |")
    lines += ["", "| moment | fitted or held out | target | regime | runs in the regime | in range (95 % interval) "
                  "| model's quartiles |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for moment in results["moments"]:
        share, (low, high) = moment["share_in_range"], moment["interval"]
        in_range = "no run" if share is None else f"{share:.0%} ({low:.0%} to {high:.0%})"
        quartiles = " / ".join("-" if q is None else f"{q:.3g}" for q in moment["quartiles"])
        lines.append(f"| {moment['name']} | {'held out' if moment['held_out'] else 'fitted'} | {moment['target']} | "
                     f"{moment['regime']} | {moment['runs']} | {in_range} | {quartiles} |")
    regimes = "; ".join(f"{r['regime']} {r['runs']} ({r['share']:.0%}, {r['interval'][0]:.0%} to {r['interval'][1]:.0%})"
                        for r in results["regimes"] if r["runs"])
    lines += ["", f"Regimes over {statement['seeds']} runs: {regimes}. "
                  f"Meets the bar (every fitted moment in range in at least {BAR:.0%} of its regime's seeds, and "
                  f"that regime in at least {BAR:.0%} of all seeds): "
                  f"{'yes' if meets_bar(results) else 'no'}."]
    return "\n".join(lines) + "\n"


def first_run_record(case: Case, statement: pd.DataFrame) -> dict:
    """The statement's first run (its first replicate): its seed, regime and every moment's value. A test
    runs it again with the code as it is and finds the same, or the committed results are stale."""
    first = statement.sort_values("replicate").iloc[0]
    return {"seed": int(first["seed"]), "regime": str(first["regime"]),
            "moments": {moment.name: _number(float(first[moment_column(moment.name)]))
                        if moment_column(moment.name) in statement else None for moment in case.spec.moments}}


def _completed(report) -> None:
    """An interrupted sweep (Ctrl-C, SIGTERM) stops the estimation: what ran is on disk, and the same call resumes."""
    if report.interrupted:
        raise KeyboardInterrupt


def _moment_records(case: Case, runs: pd.DataFrame) -> list[dict]:
    table = moment_table(case, runs)
    records = []
    for moment, row in zip(case.spec.moments, table.itertuples()):
        records.append({
            "name": moment.name, "measures": MOMENTS[moment.name][1], "target": moment.target,
            "low": moment.low, "high": moment.high, "regime": moment.regime, "held_out": moment.held_out,
            "data": moment.data, "source": moment.source, "runs": int(row.runs), "in_range": int(row.in_range),
            "share_in_range": _number(row.share_in_range), "interval": [_number(row.share_low), _number(row.share_high)],
            "quartiles": [_number(row.q25), _number(row.median), _number(row.q75)], "missing": int(row.missing),
        })
    return records


def _regime_records(runs: pd.DataFrame) -> list[dict]:
    regimes = regime_frequencies(runs[["regime"]].to_dict("records"))
    return [{"regime": name, "runs": int(row.runs), "share": _number(row.share), "interval": [_number(row.low), _number(row.high)]}
            for name, row in regimes.iterrows()]


def _number(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _relative(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _code_version() -> str:
    """The commit the code was at ("unknown" outside a git checkout), flagged when what the results
    depend on (the package, the parameter files, the data) has uncommitted changes; documents do not
    count (``--odd`` itself rewrites one)."""
    try:
        found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = found.stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "model", "params", "data"],
                           cwd=ROOT, capture_output=True, text=True)
    return commit + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
