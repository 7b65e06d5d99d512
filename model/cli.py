"""The command line: ``python -m model run | params | validate | calibrate | compare | sweep | summarize | sensitivity | screen``.

``main`` returns the exit code: 0 done, 2 bad parameters, a bad --out or usage, 1 a failure while
writing, 130 interrupted. Parameters and --out are checked before anything runs or is written.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from model.outputs import (
    OutError,
    check_calibration_file,
    check_comparison_folder,
    check_marked_file,
    check_run_folder,
    write_calibration,
    write_marked_file,
)
from model.params import ParamsError, format_reference, load_params, parse_override
from model.params.reference import commented_toml, reference_markdown

TOML_HEADER = """Baseline scenario: an ad-funded platform market (users pay nothing; advertisers pay and get
attached to the platforms they use) with strong network effects, switching costs that grow
with tenure, venture funding and no public bailouts. The paid variant: scenarios/paid.toml.
Five values are the social-network case's estimate (docs/calibration/social_network, fitted to
Meta): network.effect, users.platform_affinity, users.adoption_imitation, switching.cost_per_month
and funding.winner_take_all.
Every parameter is listed with its meaning and unit; `python -m model params` adds the allowed
ranges. Money is in dollars; amounts per potential user scale with users.count. Written by
`python -m model params --toml`."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model", description="Platform economy simulator.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run one scenario and write its results")
    run.add_argument("params", type=Path, help="parameter file (TOML)")
    run.add_argument("--out", type=Path, required=True,
                     help="folder for the results: new, empty, or an earlier run (replaced); anything else is refused")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a parameter, e.g. --set network.effect=3.0 (repeatable)")
    run.add_argument("--seed", type=int, help="random seed (sets simulation.seed)")
    run.add_argument("--steps", type=int, help="months to simulate (sets simulation.steps)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")

    params = commands.add_parser("params", help="print every parameter with its unit, default, range and meaning")
    params.add_argument("--toml", action="store_true", help="print them as a commented TOML file to start a scenario from")
    params.add_argument("--markdown", action="store_true", help="print them as a Markdown table")
    params.add_argument("--odd", type=Path, help="write the Markdown table into this ODD document's parameter section")

    validate = commands.add_parser("validate", help="check parameter files")
    validate.add_argument("files", type=Path, nargs="+")

    calibrate = commands.add_parser(
        "calibrate", help="estimate a case's free parameters (params/cases/), or compare a scenario with the stylised facts")
    calibrate.add_argument("params", type=Path, help="a case file (with a [case] table: estimation into --out FOLDER), "
                                                     "or a parameter file (the stylised facts of DESIGN §6)")
    calibrate.add_argument("--seeds", type=_at_least(1), help="runs, seeds 0 .. N-1 (default 20; for a case, the "
                                                               "statement at the estimate: default 100)")
    calibrate.add_argument("--processes", type=_at_least(1), default=2, help="parallel processes (default 2)")
    calibrate.add_argument("--out", type=Path, help="a case: the results folder (required; resumable). Otherwise: also "
                                                     "write the table as Markdown to this file (new, empty, or written by "
                                                     "calibrate: it is replaced; any other is refused)")
    calibrate.add_argument("--odd", type=Path, help="a case: also write its results' tables into this ODD document "
                                                     "(between <!-- calibration:NAME:start --> and <!-- calibration:NAME:end -->)")
    calibrate.add_argument("--points", type=_at_least(2), default=16, help="a case: points of the search (default 16)")
    calibrate.add_argument("--search-seeds", type=_at_least(1), default=8, help="a case: seeds per search point (default 8)")
    calibrate.add_argument("--search-users", type=_at_least(10), default=1000, help="a case: users per search run (default 1000)")
    calibrate.add_argument("--users", type=_at_least(10), help="a case: users per statement run (default: the case's)")
    calibrate.add_argument("--search-seed", type=int, default=0, help="a case: seed of the search's Latin hypercube (default 0)")
    calibrate.add_argument("--refine", type=_at_least(0), default=0,
                           help="a case: run the search's N best points again on --refine-seeds other seeds at the "
                                "statement's population, and take the best of them (default 0: no refinement)")
    calibrate.add_argument("--refine-seeds", type=_at_least(1), default=40,
                           help="a case: seeds per refined point (default 40)")
    calibrate.add_argument("--zoom", type=_at_least(0), default=0,
                           help="a case: after the search, N more points drawn inside the box its accepted points span, "
                                "at the search's population (default 0: no zoom)")
    calibrate.add_argument("--zoom-seeds", type=_at_least(1), default=16, help="a case: seeds per zoom point (default 16)")
    _add_runner_options(calibrate)
    calibrate.add_argument("--no-progress", action="store_true", help="no progress bar")
    compare = commands.add_parser("compare", help="run scenarios over the same seeds and compare key outcomes (95%% intervals)")
    compare.add_argument("params", type=Path, nargs="+", help="parameter files (TOML), two or more")
    compare.add_argument("--seeds", type=int, default=20, help="runs per scenario, seeds 0 .. N-1 (default 20)")
    compare.add_argument("--processes", type=_at_least(1), default=2, help="parallel processes (default 2)")
    compare.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                         help="override a parameter in every scenario, e.g. --set users.count=2000 (repeatable)")
    compare.add_argument("--steps", type=int, help="months to simulate (sets simulation.steps)")
    compare.add_argument("--out", type=Path, default=Path("results/compare"),
                         help="folder for compare.csv, compare_runs.csv, compare_paired.csv and compare.png (default results/compare): "
                              "new, empty, or an earlier comparison (replaced); anything else is refused")
    _add_experiment_commands(commands)
    return parser


def _at_least(least: int):
    """An argparse type: a whole number no smaller than ``least``."""
    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value

    return whole_number


# -- sweep, summarize, sensitivity (model.experiments) ----------------------------------------
def _add_experiment_commands(commands) -> None:
    from model.experiments.spec import LARGE_SWEEP

    sweep = commands.add_parser("sweep", help="run a batch experiment (params/experiments/*.toml) on Dask; resumes if interrupted")
    sweep.add_argument("experiment", type=Path, help="experiment file (TOML)")
    sweep.add_argument("--out", type=Path, required=True, help="results folder (the same command resumes into it)")
    _add_runner_options(sweep)
    sweep.add_argument("--batch-size", type=int, default=100, help="runs per Parquet part file (default 100)")
    sweep.add_argument("--retry-failed", action="store_true", help="run again the runs recorded as failed")
    sweep.add_argument("--yes", action="store_true", help=f"confirm a sweep of more than {LARGE_SWEEP:,} runs")
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    for name, text in (("summarize", "per-point means with 95%% intervals, and charts, of a sweep's results"),
                       ("sensitivity", "Sobol or Morris sensitivity indices (SALib) of a sweep's results")):
        command = commands.add_parser(name, help=text)
        command.add_argument("results", type=Path, help="results folder written by `sweep`")
        command.add_argument("--outputs", help="comma-separated outputs (default: the experiment's keep.outputs)")
        command.add_argument("--no-charts", action="store_true", help="only the table (CSV)")
    commands.choices["sensitivity"].add_argument("--method", choices=["sobol", "morris"],
                                                 help="default: the experiment's design")
    _add_screen_command(commands)


def _add_screen_command(commands) -> None:
    from model.experiments.screen import DEFAULT_SEED, DEFAULT_STEPS, DEFAULT_TRAJECTORIES, DEFAULT_USERS

    screen = commands.add_parser("screen", help="the knob census: Morris screening of every knob of scenarios at a "
                                                "small size (which knobs move which outcomes, which move nothing)")
    screen.add_argument("scenarios", type=Path, nargs="*", help="scenario files (TOML)")
    screen.add_argument("--all", action="store_true", help="the baseline and every scenario in params/scenarios/")
    screen.add_argument("--out", type=Path, required=True, help="results folder: each scenario's runs in OUT/NAME/ "
                                                                "(the same command resumes them), screen.csv and screen.md")
    screen.add_argument("--trajectories", type=_at_least(1), default=DEFAULT_TRAJECTORIES,
                        help=f"Morris trajectories per scenario, each about one run per knob (default {DEFAULT_TRAJECTORIES})")
    screen.add_argument("--users", type=int, default=DEFAULT_USERS, help=f"users.count of every run (default {DEFAULT_USERS})")
    screen.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=f"months of every run (default {DEFAULT_STEPS})")
    screen.add_argument("--seed", type=_at_least(0), default=DEFAULT_SEED, help=f"master seed (default {DEFAULT_SEED})")
    screen.add_argument("--doc", type=Path, help="also write the census of every knob to this Markdown file "
                                                 "(docs/knobs.md: new, or written by screen --doc)")
    _add_runner_options(screen)
    screen.add_argument("--no-progress", action="store_true", help="no progress bar")


def _sweep(args) -> int:
    """Exit 2 for a bad experiment or option, 1 when its folder is in use or no scheduler answers."""
    import signal

    from model.experiments import SweepUnavailable, load_experiment, run_experiment
    from model.experiments.runner import size_of

    experiment = load_experiment(args.experiment)  # every problem is reported before anything runs
    print(f"{args.experiment}: {size_of(experiment)} into {args.out}", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)  # a scheduler's kill: stop as after Ctrl-C
    show = not args.no_progress and sys.stderr.isatty()
    try:
        report = run_experiment(experiment, args.out, scheduler=args.scheduler, workers=args.workers,
                                serial=args.serial, batch_size=args.batch_size, retry_failed=args.retry_failed,
                                progress=show, allow_large=args.yes, connect_timeout=args.connect_timeout)
    except SweepUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    print(report)
    if report.interrupted:
        print("interrupted: the runs above are on disk; run the same command to resume", file=sys.stderr)
        return 130
    return 0


def _add_runner_options(command) -> None:
    """Where a sweep's runs run (sweep, screen): a Dask scheduler, a local cluster, or this process."""
    from model.experiments.cluster import CONNECT_TIMEOUT

    command.add_argument("--scheduler", help="address of a running Dask scheduler you trust (default: "
                                             "$DASK_SCHEDULER_ADDRESS, else a local cluster)")
    command.add_argument("--connect-timeout", type=float, default=CONNECT_TIMEOUT, metavar="SECONDS",
                         help=f"give up on a scheduler that does not answer within this time (default {CONNECT_TIMEOUT:g})")
    command.add_argument("--workers", type=int, help="worker processes of the local cluster (default: one per core)")
    command.add_argument("--serial", action="store_true", help="run in this process, one run after another (no Dask)")


def _screen(args) -> int:
    """Screen each scenario into OUT/NAME/, then write the tables (and the census with --doc).

    Exit 2 for a bad scenario or option (all checked before any run), 1 when a folder is in use or no
    scheduler answers, 130 when interrupted (the same command resumes).
    """
    import signal
    import time

    from model.experiments import SweepUnavailable
    from model.experiments import census, screen
    from model.experiments.runner import size_of

    started = time.monotonic()
    plans = [screen.plan_screen(path, args.users, args.steps) for path in _screened_files(args)]
    experiments = [screen.screen_experiment(plan, args.trajectories, args.seed) for plan in plans]
    if args.out.exists() and not args.out.is_dir():
        raise ParamsError(f"--out {args.out}: exists and is not a folder")
    if args.doc:
        check_marked_file(args.doc, census.MARKER, "screen", "--doc", "knobs.md")
    signal.signal(signal.SIGTERM, _interrupt)
    show = not args.no_progress and sys.stderr.isatty()
    ran = 0
    for plan, experiment in zip(plans, experiments):
        print(f"{plan.name}: {len(plan.factors)} knobs, {size_of(experiment)} into {args.out / plan.name}", flush=True)
        try:
            report = screen.run_screen(experiment, args.out / plan.name, scheduler=args.scheduler, workers=args.workers,
                                       serial=args.serial, progress=show, connect_timeout=args.connect_timeout)
        except SweepUnavailable as error:
            print(error, file=sys.stderr)
            return 1
        ran += report.ran
        if report.interrupted:
            print("interrupted: the runs done are on disk; run the same command to resume", file=sys.stderr)
            return 130
    effects, files = census.write_tables(plans, args.out, args.trajectories, args.seed)
    print(census.inert_summary(effects))
    if args.doc:
        provenance = census.provenance(_screen_command(args), time.monotonic() - started, ran, plans, args.out)
        markdown = census.census_markdown(effects, plans, args.trajectories, args.seed, provenance)
        files.append(write_marked_file(args.doc, census.MARKER, markdown, "screen", "--doc", "knobs.md"))
    print("written: " + ", ".join(str(f) for f in files))
    return 0


def _screened_files(args) -> list[Path]:
    """The scenario files given, then (--all) the shipped ones; each once, their names (file stems) distinct."""
    from model.experiments.screen import shipped_scenarios

    paths = [*args.scenarios, *(shipped_scenarios() if args.all else [])]
    if not paths:
        raise ParamsError("screen: give scenario files, or --all for the baseline and every scenario in params/scenarios/")
    unique, seen = [], set()
    for path in paths:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    names: dict[str, Path] = {}
    for path in unique:
        if names.setdefault(path.stem, path) is not path:
            raise ParamsError(f"screen: {names[path.stem]} and {path} have the same name '{path.stem}' (their runs "
                              "would share OUT/NAME/): screen them into different --out folders")
    return unique


def _screen_command(args) -> str:
    """The command that repeats this screen (its defaults spelt out)."""
    files = " ".join(str(path) for path in args.scenarios) + (" --all" if args.all else "")
    doc = f" --doc {args.doc}" if args.doc else ""
    return (f"python -m model screen {files.strip()} --out {args.out} --trajectories {args.trajectories} "
            f"--users {args.users} --steps {args.steps} --seed {args.seed}{doc}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _results_folder(folder: Path) -> None:
    from model.experiments.store import ResultStore

    if not (folder / "manifest.json").is_file():
        raise ParamsError(f"{folder}: not a results folder of `python -m model sweep` (no manifest.json)")
    ResultStore(folder).manifest()  # a clear error if it is not one


def _outputs(args) -> list[str] | None:
    return [name.strip() for name in args.outputs.split(",") if name.strip()] if args.outputs else None


def _summarize(args) -> int:
    import pandas as pd

    from model.experiments.analysis import summarize_folder, wide_summary
    from model.experiments.store import ResultStore

    _results_folder(args.results)
    table, files = summarize_folder(args.results, _outputs(args), charts=not args.no_charts)
    wide = wide_summary(table, ResultStore(args.results).experiment().keys)
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        print(wide.head(60).to_string(index=False))
    if len(wide) > 60:
        print(f"... {len(wide) - 60} more points")
    print("written: " + ", ".join(str(f) for f in files))
    return 0


def _sensitivity(args) -> int:
    import pandas as pd

    from model.experiments.analysis import sensitivity_folder

    _results_folder(args.results)
    table, files = sensitivity_folder(args.results, _outputs(args), args.method, charts=not args.no_charts)
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    print("written: " + ", ".join(str(f) for f in files))
    return 0


# -- run --------------------------------------------------------------------------------------
def _overrides(args) -> dict:
    """--set pairs, then --seed and --steps (which win over a --set of the same key)."""
    overrides = dict(parse_override(text) for text in args.overrides)
    if getattr(args, "seed", None) is not None:
        overrides["simulation.seed"] = args.seed
    if args.steps is not None:
        overrides["simulation.steps"] = args.steps
    return overrides


def _run(args) -> int:
    params = load_params(args.params, _overrides(args))
    check_run_folder(args.out)  # write_run checks again; this refuses a user's folder before the run, not after
    # Imported only now: Mesa and the charts are slow to import, and `params`/`validate` need neither.
    from model.economy import PlatformEconomy
    from model.outputs import write_run

    show = not args.no_progress and sys.stderr.isatty()
    economy = PlatformEconomy(params)
    try:
        economy.run(progress=show)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            write_run(economy, args.out)
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return 130
    except OSError as error:
        print(f"--out {args.out}: cannot write the results (nothing was changed): {error}", file=sys.stderr)
        return 1
    for warning in caught:  # e.g. an earlier run that could not all be removed
        print(f"warning: {warning.message}", file=sys.stderr)
    print(_summary_lines(params, economy.summary()))
    print(f"results in {args.out}")
    return 0


def _summary_lines(params, summary: dict) -> str:
    """A few lines from ``economy.summary()``; missing entries are left out rather than failing."""
    phases = ", ".join(f"{name} at month {month}" for name, month in (summary.get("phase_transitions") or {}).items()
                       if month is not None)
    lines = [f"{params.simulation.steps} months, seed {params.simulation.seed}: {phases or 'no phase change detected'}"]
    facts = []
    if summary.get("leader_id") is not None and summary.get("leader_final_share") is not None:
        regime = f" ({summary['regime']})" if summary.get("regime") else ""
        facts.append(f"leader: platform {summary['leader_id']} with {summary['leader_final_share']:.0%} of users{regime}")
    if summary.get("final_hhi") is not None:
        facts.append(f"final HHI {summary['final_hhi']:.2f}")
    if isinstance(summary.get("public_cost"), dict) and summary["public_cost"].get("net") is not None:
        facts.append(f"public cost {summary['public_cost']['net']:,.0f} $")
    return "\n".join(lines + (["; ".join(facts)] if facts else []))


# -- the other commands -----------------------------------------------------------------------
def _params(args) -> int:
    if args.odd:
        replace_section(args.odd, "parameters", reference_markdown())
    elif args.markdown:
        print(reference_markdown())
    else:
        print(commented_toml(header=TOML_HEADER) if args.toml else format_reference())
    return 0


def _validate(args) -> int:
    """Every file is checked, even after a bad one."""
    status = 0
    for path in args.files:
        try:
            load_params(path)
            print(f"{path}: ok")
        except ParamsError as error:
            print(error, file=sys.stderr)
            status = 2
    return status


def _calibrate(args) -> int:
    from model.calibration import calibrate, calibration_markdown

    if _is_case(args.params):
        return _estimate(args)
    args.seeds = args.seeds or 20
    params = load_params(args.params)
    if args.out:
        check_calibration_file(args.out)
    if args.odd:
        raise ParamsError(f"calibrate: --odd writes a case's results (params/cases/); the stylised facts of "
                          f"{args.params} go to the terminal, or to a file with --out FILE")
    try:
        table, regimes = calibrate(params, args.seeds, args.processes, progress=sys.stderr.isatty())
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return 130
    markdown = calibration_markdown(table, args.seeds, regimes)
    print(markdown)
    if args.out:
        write_calibration(args.out, markdown)
    return 0


def _is_case(path: Path) -> bool:
    """Whether a parameter file is a case study (it has a [case] table)."""
    import tomllib

    try:
        return "case" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # load_params reports what is wrong with it


def _estimate(args) -> int:
    """Estimate a case into --out (model.estimation). Exit 2 for a bad case or option, 1 when no scheduler
    answers or the folder is in use, 130 when interrupted (the same command resumes)."""
    import signal

    from model.cases import load_case
    from model.estimation import STATEMENT_SEEDS, SearchSettings, calibrate_case, results_markdown
    from model.experiments import SweepUnavailable

    case = load_case(args.params)
    if args.out is None:
        raise ParamsError(f"{args.params}: a case is estimated into a results folder: give --out FOLDER")
    if args.odd:
        _document_with_section(args.odd, f"calibration:{case.name}")
    seeds = args.seeds or STATEMENT_SEEDS
    if seeds < STATEMENT_SEEDS:
        print(f"note: {seeds} seeds at the estimate make a quick look, not a statement (that takes {STATEMENT_SEEDS})",
              file=sys.stderr)
    search = SearchSettings(points=args.points, seeds=args.search_seeds, users=args.search_users, seed=args.search_seed,
                            refine=args.refine, refine_seeds=args.refine_seeds, zoom=args.zoom, zoom_seeds=args.zoom_seeds)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        results = calibrate_case(case, args.out, search, seeds=seeds, users=args.users,
                                 progress=not args.no_progress and sys.stderr.isatty(), scheduler=args.scheduler,
                                 workers=args.workers, serial=args.serial, connect_timeout=args.connect_timeout)
    except SweepUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the runs so far are on disk; run the same command to resume", file=sys.stderr)
        return 130
    markdown = results_markdown(results)
    print(markdown)
    print(f"written: {args.out / 'calibration.json'}")
    if args.odd:
        replace_section(args.odd, f"calibration:{case.name}", markdown)
        print(f"written: {args.odd} (calibration:{case.name})")
    return 0


def replace_section(path: Path, name: str, content: str) -> None:
    """Replace what stands between <!-- name:start --> and <!-- name:end --> in a document."""
    text = _document_with_section(path, name)
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    written = path.with_name(f".{path.name}.partial")  # replaced whole, never half-written
    written.write_text(f"{head}{start}\n{content}{end}{tail}", encoding="utf-8")
    written.replace(path)


def _document_with_section(path: Path, name: str) -> str:
    """The text of a document with a <!-- name:start --> ... <!-- name:end --> section; ParamsError if there is none."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise ParamsError(f"{path}: cannot read it ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise ParamsError(f"{path}: not UTF-8 text (bad byte at offset {error.start})") from None
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text.split(start, 1)[1]:
        raise ParamsError(f"{path}: no '{start}' ... '{end}' section to write into")
    return text


def _compare(args) -> int:
    if len(args.params) < 2:
        raise ParamsError("compare: give two or more parameter files")
    _each_file_once(args.params)
    names = [path.stem for path in args.params]
    if len(set(names)) < len(names):
        names = [str(path) for path in args.params]  # same file names in different folders
    overrides = _overrides(args)
    if args.seeds < 2:
        raise ParamsError(f"--seeds {args.seeds}: at least 2 seeds are needed for a confidence interval")
    scenarios = {name: load_params(path, overrides) for name, path in zip(names, args.params)}  # all checked first
    check_comparison_folder(args.out)
    from model.compare import compare, comparison_table, paired_summary, paired_table, write_comparison

    try:
        runs, summary = compare(scenarios, args.seeds, args.processes, progress=sys.stderr.isatty())
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return 130
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", None, "display.max_colwidth", 40):
        print(comparison_table(summary).to_string())
        print(f"\nSeed by seed against {names[0]}: mean difference [95% interval], seeds up and down (two-sided sign test)")
        paired = paired_table(runs)
        print(paired_summary(paired).to_string())
    files = write_comparison(runs, summary, args.out, paired)
    print(f"{args.seeds} seeds per scenario; mean [95% interval]; written: {', '.join(str(f) for f in files)}")
    return 0


def _each_file_once(paths: list[Path]) -> None:
    """Refuse a scenario file given twice: it would run once and be compared with itself."""
    seen: dict[Path, Path] = {}
    for path in paths:
        same = seen.setdefault(path.resolve(), path)
        if same is not path:
            also = "" if str(same) == str(path) else f" (as {same} too)"
            raise ParamsError(f"compare: {path} is given twice{also}: give each scenario once")


COMMANDS = {"run": _run, "params": _params, "validate": _validate, "calibrate": _calibrate, "compare": _compare}
COMMANDS.update({"sweep": _sweep, "summarize": _summarize, "sensitivity": _sensitivity, "screen": _screen})


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (``python -m model`` exits with it)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # usage errors and --help: return the code instead of exiting
        return 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 2
    try:
        return COMMANDS[args.command](args)
    except ParamsError as error:
        print(error, file=sys.stderr)
        return 2
    except OutError as error:
        print(f"--out {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
