"""The command line: ``python -m model run | params | validate | calibrate``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from model.params import ParamsError, format_reference, load_params, parse_override
from model.params.reference import commented_toml, reference_markdown

TOML_HEADER = """Baseline scenario: a platform market with strong network effects, switching costs that grow
with tenure, venture funding and no public bailouts. Every parameter is listed with its meaning
and unit; `python -m model params` adds the allowed ranges. Money is in dollars; amounts per
potential user scale with users.count. Written by `python -m model params --toml`."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model", description="Platform economy simulator.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run one scenario and write its results")
    run.add_argument("params", type=Path, help="parameter file (TOML)")
    run.add_argument("--out", type=Path, required=True, help="folder for the results")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a parameter, e.g. --set network.effect=3.0 (repeatable)")
    run.add_argument("--seed", type=int, help="random seed (simulation.seed)")
    run.add_argument("--steps", type=int, help="months to simulate (simulation.steps)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")

    params = commands.add_parser("params", help="print every parameter with its unit, default, range and meaning")
    params.add_argument("--toml", action="store_true", help="print them as a commented TOML file to start a scenario from")
    params.add_argument("--markdown", action="store_true", help="print them as a Markdown table")
    params.add_argument("--odd", type=Path, help="write the Markdown table into this ODD document's parameter section")

    validate = commands.add_parser("validate", help="check parameter files")
    validate.add_argument("files", type=Path, nargs="+")

    calibrate = commands.add_parser("calibrate", help="compare a scenario over seeds with the stylised facts (DESIGN §6)")
    calibrate.add_argument("params", type=Path)
    calibrate.add_argument("--seeds", type=int, default=20)
    calibrate.add_argument("--processes", type=int, default=2)
    calibrate.add_argument("--out", type=Path, help="also write the table as Markdown to this file")
    calibrate.add_argument("--odd", type=Path, help="write the table into this ODD document's calibration section")
    return parser


def _overrides(args) -> dict:
    overrides = dict(parse_override(text) for text in args.overrides)
    if args.seed is not None:
        overrides["simulation.seed"] = args.seed
    if args.steps is not None:
        overrides["simulation.steps"] = args.steps
    return overrides


def _run(args) -> int:
    params = load_params(args.params, _overrides(args))  # everything is checked before anything is written
    from model.economy import PlatformEconomy
    from model.outputs import write_run

    show = not args.no_progress and sys.stderr.isatty()
    economy = PlatformEconomy(params).run(progress=show)
    out = write_run(economy, args.out)
    summary = economy.summary()
    phases = ", ".join(f"{k} at month {v}" for k, v in summary["phase_transitions"].items() if v is not None)
    print(f"{params.simulation.steps} months, seed {params.simulation.seed}: {phases or 'no phase change detected'}")
    print(f"leader: platform {summary['leader_id']} with {summary['leader_final_share']:.0%} of users; "
          f"final HHI {summary['final_hhi']:.2f}; public cost {summary['public_cost']['net']:,.0f} $")
    print(f"results in {out}")
    return 0


def _validate(args) -> int:
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

    params = load_params(args.params)
    table = calibrate(params, args.seeds, args.processes, progress=sys.stderr.isatty())
    markdown = calibration_markdown(table, args.seeds)
    print(markdown)
    if args.out:
        args.out.write_text(markdown, encoding="utf-8")
    if args.odd:
        replace_section(args.odd, "calibration", markdown)
    return 0


def replace_section(path: Path, name: str, content: str) -> None:
    """Replace what stands between <!-- name:start --> and <!-- name:end --> in a document."""
    text = path.read_text(encoding="utf-8")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        raise ParamsError(f"{path}: no '{start}' ... '{end}' section to write into")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{content}{end}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "params":
            if args.odd:
                replace_section(args.odd, "parameters", reference_markdown())
            elif args.markdown:
                print(reference_markdown())
            else:
                print(commented_toml(header=TOML_HEADER) if args.toml else format_reference())
            return 0
        if args.command == "validate":
            return _validate(args)
        if args.command == "calibrate":
            return _calibrate(args)
    except ParamsError as error:
        print(error, file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
