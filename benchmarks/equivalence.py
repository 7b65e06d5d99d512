"""Numerical changes made for speed keep the model's outcomes (issue 19): a distribution check.

    .venv/bin/python benchmarks/equivalence.py                 # check this code against the reference (about 3 minutes on 2 cores)
    .venv/bin/python benchmarks/equivalence.py --record        # make this code the reference (before a numerical change)
    .venv/bin/python benchmarks/equivalence.py --seeds 4 --users 300 --steps 60 --reference /tmp/ref.json --record   # a quick look

A refactor keeps the golden frames bit-identical (tests/test_golden.py). A deliberate numerical
change (single precision, batching, another but equivalent algorithm) changes low digits, and since
a market tips on small differences, the same seed then tells another story: runs can only be
compared as distributions. This runs each scenario of SCENARIOS over seeds 0 .. --seeds - 1 at
--users users and compares the outcomes (distributions.OUTCOMES, and how often the market tips)
with the reference file's (``benchmarks/equivalence.json``, recorded by the code before the change):
Mann-Whitney and Fisher tests, with Holm's correction at a family-wise level of --level (0.05) over
every outcome of every scenario. It prints the table and exits 1 if any test rejects equality.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import in_repository  # noqa: E402
from benchmarks.distributions import OUTCOMES, agreement, describe, holm_rejections, run_outcomes  # noqa: E402
from model import load_params  # noqa: E402
from model.replicates import measure_runs  # noqa: E402

SCENARIOS = ("params/baseline.toml", "params/scenarios/bailout.toml")  # the story, and rescues for the public cost
REFERENCE = ROOT / "benchmarks" / "equivalence.json"


def measure(scenarios, users: int, seeds: int, steps: int | None, processes: int) -> dict[str, list[dict]]:
    """Each scenario's outcomes over seeds 0 .. seeds - 1 (``steps`` months, or the file's)."""
    runs = {}
    for path in scenarios:
        params = load_params(ROOT / path, {"users.count": users, **({"simulation.steps": steps} if steps else {})})
        runs[path] = measure_runs([(params, seed) for seed in range(seeds)], run_outcomes, processes=processes,
                                  progress=True, desc=Path(path).stem)
    return runs


def code_version() -> str:
    """The commit the code was at, and whether it had uncommitted changes."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")


def check(reference: dict, runs: dict[str, list[dict]], level: float) -> tuple[dict, list[str]]:
    """p-values per scenario and test, and the tests Holm's procedure rejects over all of them."""
    tests = {path: agreement(reference["runs"][path], rows) for path, rows in runs.items()}
    flat = {f"{path}: {name}": p for path, found in tests.items() for name, p in found.items()}
    return tests, holm_rejections(flat, level)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="write this code's runs as the reference")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="reference file (default benchmarks/equivalence.json)")
    parser.add_argument("--seeds", type=int, default=48, help="seeds per scenario, from 0 (default 48; checks use the reference's)")
    parser.add_argument("--users", type=int, default=2000, help="users per run (default 2000; checks use the reference's)")
    parser.add_argument("--steps", type=int, default=None, help="months per run (default: the files'; checks use the reference's)")
    parser.add_argument("--level", type=float, default=0.05, help="family-wise level of the tests (default 0.05)")
    parser.add_argument("--processes", type=int, default=2, help="parallel processes (default 2)")
    args = parser.parse_args(argv)
    if args.record:
        runs = measure(SCENARIOS, args.users, args.seeds, args.steps, args.processes)
        record = {"code": code_version(), "users": args.users, "seeds": args.seeds, "steps": args.steps, "outcomes": OUTCOMES,
                  "summary": {path: describe(rows) for path, rows in runs.items()}, "runs": runs}
        args.reference.write_text(json.dumps(record, indent=1) + "\n")
        print(f"reference written to {in_repository(args.reference)} ({record['code']})")
        return 0
    if not args.reference.is_file():
        print(f"{args.reference}: no reference: record one first with --record (before the change)", file=sys.stderr)
        return 2
    reference = json.loads(args.reference.read_text())
    runs = measure(reference["runs"], reference["users"], reference["seeds"], reference.get("steps"), args.processes)
    tests, rejected = check(reference, runs, args.level)
    print(f"\nreference: {reference['code']}; this code: {code_version()}; {reference['seeds']} seeds x "
          f"{reference['users']:,} users per scenario")
    for path, found in tests.items():
        before, after = reference["summary"][path], describe(runs[path])
        print(f"\n{path}: tipped {before['tipped']}/{before['runs']} before, {after['tipped']}/{after['runs']} now")
        for name in OUTCOMES:
            print(f"  {name:24} median {_number(before[name]['median']):>10} -> {_number(after[name]['median']):>10}"
                  f"   Mann-Whitney p = {_number(found[f'{name}_mannwhitney_p'])}")
        print("  " + ", ".join(f"{name} {p:.3f}" for name, p in found.items() if "fisher" in name and p is not None))
        print("  seed by seed, the same value in: " + seed_by_seed(reference["runs"][path], runs[path]))
    if rejected:
        print(f"\nNOT EQUIVALENT at family-wise level {args.level} (Holm): {', '.join(rejected)}")
        return 1
    print(f"\nequivalent: no test rejects equal distributions at family-wise level {args.level} (Holm)")
    return 0


def seed_by_seed(before: list[dict], after: list[dict]) -> str:
    """How many seeds give each outcome the very same value before and after (the same seeds in the same
    order): all of them for a change that leaves runs alone (statistics only); after a change of numerics
    a tipping market may tell another story on the same seed, and only the distributions compare."""
    counts = [f"{name} {sum(b[name] == a[name] for b, a in zip(before, after))}/{len(before)}"
              for name in ("regime", *OUTCOMES)]
    return ", ".join(counts)


def _number(value) -> str:
    return "-" if value is None else f"{value:.4g}"


if __name__ == "__main__":
    raise SystemExit(main())
