"""Moral hazard in the public bill (DESIGN §2, issue 17 item 1): does belief in rescues make them more
frequent or larger?

    .venv/bin/python benchmarks/moral_hazard.py                 # bailout.toml, 400 seeds at 2,000 users, belief 0.9 against 0 (about 4.5 minutes on 2 cores)
    .venv/bin/python benchmarks/moral_hazard.py --seeds 8 --users 1000   # a quick look
    .venv/bin/python benchmarks/moral_hazard.py --first-seed-only       # add this processor's seed 0 to the table

Runs the scenario (``--params``, default ``params/scenarios/bailout.toml``) over seeds 0 .. --seeds - 1
with ``investors.bailout_belief`` at 0 and at ``--belief`` (common random numbers: the same seed both
ways) and compares, seed by seed, the rescues, the public money disbursed, the public cost in full,
the money all platforms raised, the money the eventual leader raised and the failures: in how many
seeds each is higher and lower with belief, a one-sided sign test (ties left out), the means, and the
mean of the paired differences (with belief less without, seed by seed) with its 95 % bootstrap
interval. Writes the table as JSON (``--out``).

Issue 17 asks, with belief 0.9 against 0 in ``bailout.toml``, for more funding raised (by the
platform investors expect to be rescued: the eventual leader) and a larger public exposure (rescues
and the public money disbursed). The effect on the public bill is smaller than the seed-to-seed
noise, so it takes hundreds of seeds: seeds 0-99 alone show it in the means, not seed by seed.

The suite checks that the committed table is of the current code by running its first seed again, both
ways. Repeating a run to the last digit needs a processor whose maths is the table's
(``benchmarks.processor_maths``), so the file keeps seed 0's figures per kind of processor
(``first_seed``): a full run writes its own; ``--first-seed-only`` runs seed 0 both ways on this
processor and adds its figures to the committed file, table untouched, when the file is of the current
scenario. A full run keeps another processor's figures only if its own seed 0 gives the figures the file
had for its kind (the code did not change); otherwise they are dropped, and that processor's check is
skipped until someone runs ``--first-seed-only`` on one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import in_repository, processor_maths  # noqa: E402
from model import load_params, metrics  # noqa: E402
from model.params import params_to_dict  # noqa: E402
from model.replicates import measure_runs  # noqa: E402
from model.statistics import paired_differences  # noqa: E402

MEASURES = {
    "rescues": "rescues of platforms over the run",
    "public_disbursed": "public money disbursed, $ per potential user",
    "public_cost_total": "public cost in full (net, subsidy, deadweight), $ per potential user",
    "funding_raised": "money all platforms raised from investors, $ per potential user",
    "leader_funding_raised": "money the eventual leader (the platform that can be systemic) raised from investors, "
                             "$ per potential user",
    "failures": "platforms that failed",
}


def public_bill(economy) -> dict:
    """A finished run's MEASURES (a module-level function: it runs in other processes)."""
    frame, per_user = economy.model_frame(), 1.0 / economy.params.users.count
    last = frame.iloc[-1]
    leader = metrics.leader_series(economy.platform_frame())
    return {"rescues": float(last["rescues"]), "public_disbursed": float(last["public_disbursed"] * per_user),
            "public_cost_total": float(last["public_cost_total"] * per_user),
            "funding_raised": float(frame["funding_raised"].sum() * per_user),
            "leader_funding_raised": float(leader["funding_raised"].sum() * per_user), "failures": float(last["failures"])}


def params_fingerprint(path: str, users: int) -> str:
    """A hash of the scenario's resolved parameters at ``users`` users, belief aside: the committed table
    is stale when it no longer matches (tests/test_benchmarks.py)."""
    params = params_to_dict(load_params(path, {"users.count": users, "investors.bailout_belief": 0.0}))
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def compare(doubting: list[dict], believing: list[dict]) -> dict:
    """Per measure: seeds higher and lower with belief, the sign test's one-sided p-values, the means."""
    table = {}
    for name in MEASURES:
        paired = paired_differences([row[name] for row in doubting], [row[name] for row in believing])
        paired.pop("pairs")
        table[name] = {key.replace("mean_before", "mean_without").replace("mean_after", "mean_with"): value
                       for key, value in paired.items()}
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", default=str(ROOT / "params" / "scenarios" / "bailout.toml"))
    parser.add_argument("--seeds", type=int, default=400)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--belief", type=float, default=0.9, help="investors.bailout_belief compared with 0 (default 0.9)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "moral_hazard.json"))
    parser.add_argument("--first-seed-only", action="store_true",
                        help="run seed 0 both ways on this processor and add its figures to --out (its table untouched)")
    args = parser.parse_args(argv)
    if args.first_seed_only:
        return add_first_seed(Path(args.out))
    rows = {}
    for belief in (0.0, args.belief):
        params = [(load_params(args.params, {"users.count": args.users, "investors.bailout_belief": belief}), seed)
                  for seed in range(args.seeds)]
        rows[belief] = measure_runs(params, public_bill, processes=args.processes, progress=True,
                                    desc=f"belief {belief:g}")
    table = compare(rows[0.0], rows[args.belief])
    print(f"{in_repository(args.params)}, {args.users} users, seeds 0-{args.seeds - 1}: belief {args.belief:g} against 0")
    for name, row in table.items():
        low, high = row["mean_difference_interval"]
        print(f"  {name:21} higher in {row['higher']:3}, lower in {row['lower']:3} (sign test p {row['p_higher']:.2g} / "
              f"{row['p_lower']:.2g}); mean {row['mean_without']:.3f} -> {row['mean_with']:.3f}, "
              f"difference {row['mean_difference']:+.3f} (95 % interval {low:+.3f} to {high:+.3f})")
    report = {"params": in_repository(args.params), "params_fingerprint": params_fingerprint(args.params, args.users),
              "users": args.users, "seeds": args.seeds, "belief": args.belief,
              "measures": MEASURES, "table": table, "runs": {str(belief): found for belief, found in rows.items()}}
    report["processor_maths"] = processor_maths()
    report["first_seed"] = first_seeds(report, previous=_read(Path(args.out)))
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(f"written to {in_repository(args.out)}")
    return 0


def first_seed_of(runs: dict) -> dict:
    """Seed 0's figures, both ways, from a report's runs ({belief: [figures per seed]})."""
    return {belief: found[0] for belief, found in runs.items()}


def first_seeds(report: dict, previous: dict | None) -> dict:
    """The report's ``first_seed`` table: its own processor's seed 0, and another processor's from the previous
    file only if this processor's seed 0 is what that file had for it (then the code did not change)."""
    mine = first_seed_of(report["runs"])
    kept = (previous or {}).get("first_seed", {})
    unchanged = kept.get(report["processor_maths"]) == mine
    return {**(kept if unchanged else {}), report["processor_maths"]: mine}


def add_first_seed(path: Path) -> int:
    """``--first-seed-only``: seed 0 both ways on this processor, added to the committed file's ``first_seed``."""
    report = _read(path)
    if report is None:
        raise SystemExit(f"{in_repository(path)}: no table to add to: run benchmarks/moral_hazard.py first")
    scenario = str(ROOT / report["params"])
    if report["params_fingerprint"] != params_fingerprint(scenario, report["users"]):
        raise SystemExit(f"{in_repository(path)} was measured on another {report['params']}: re-run the whole table")
    figures = {}
    for belief in report["runs"]:
        params = load_params(scenario, {"users.count": report["users"], "investors.bailout_belief": float(belief)})
        (figures[belief],) = measure_runs([(params, 0)], public_bill, processes=1)
    kind = processor_maths()
    report.setdefault("first_seed", {})[kind] = figures
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(f"seed 0 on this processor ({kind}) added to {in_repository(path)}")
    return 0


def _read(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


if __name__ == "__main__":
    raise SystemExit(main())
