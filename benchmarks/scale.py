"""Scale invariance (DESIGN §5, §7): the same parameters at several population sizes tell the same story.

    .venv/bin/python benchmarks/scale.py                      # 96 seeds (200-295) at 2,000, 10,000, 20,000 and 200,000 users (about 4 minutes on 2 cores)
    .venv/bin/python benchmarks/scale.py --seeds 8 --sizes 1000,4000 --steps 120   # a quick look
    .venv/bin/python benchmarks/scale.py --help

The simulated population stands for a market of any size, so no rule may depend on how many users
a run simulates. This runs the baseline (``--params``) over the same seeds (``--first-seed`` ..
``--first-seed + --seeds - 1``) at each size of ``--sizes`` and compares each size with the next:

- how often the market tips (leader at least 0.8 of platform users at the end), with Wilson
  intervals, and Fisher's exact test of equal frequencies;
- the leader's final share, the lock-in month and the leader's peak ad load: medians with
  bootstrap intervals of the mean, and the Mann-Whitney test of equal distributions;
- the leader's share of platform users in months 6 and 12, when the first adopters are few: the
  network term reads each platform's share of them (ODD 4, Scale); and, within each size, the rank
  correlation of that early lead with the lock-in month.

Outcomes are bimodal (tipped or contested markets), so runs at different sizes differ by seed
even when nothing depends on the size: a p-value above 0.05 says the sizes agree within sampling
error. The table is printed and written as JSON (``--out``, default benchmarks/scale.json).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import in_repository  # noqa: E402
from benchmarks.distributions import agreement, describe, run_outcomes  # noqa: E402
from model import load_params  # noqa: E402
from model.replicates import measure_runs  # noqa: E402

OUTCOMES = ("leader_final_share", "lock_in_month", "leader_peak_ad_load")  # of distributions.OUTCOMES
EARLY_MONTHS = (6, 12)  # months of the early market whose leader's share is reported
EARLY = tuple(f"leader_share_month_{month}" for month in EARLY_MONTHS)


def scale_outcomes(economy) -> dict:
    """run_outcomes, and the largest platform's share of platform users in each of EARLY_MONTHS."""
    frame = economy.platform_frame()
    early = {}
    for month, name in zip(EARLY_MONTHS, EARLY):
        users = frame.loc[frame["step"] == month, "users"].to_numpy(dtype=float)
        early[name] = float(users.max() / users.sum()) if users.size and users.sum() > 0 else None
    return {**run_outcomes(economy), **early}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", default=str(ROOT / "params" / "baseline.toml"), help="parameter file (default: the baseline)")
    parser.add_argument("--sizes", default="2000,10000,20000,200000", help="population sizes, comma-separated (default 2000,10000,20000,200000)")
    parser.add_argument("--seeds", type=int, default=96, help="seeds per size (default 96)")
    parser.add_argument("--first-seed", type=int, default=200, help="first seed (default 200)")
    parser.add_argument("--steps", type=int, default=None, help="months (default: the file's)")
    parser.add_argument("--processes", type=int, default=2, help="parallel processes (default 2)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "scale.json"), help="JSON file written")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    results = {}
    for size in sizes:
        overrides = {"users.count": size, **({"simulation.steps": args.steps} if args.steps else {})}
        params = load_params(args.params, overrides)
        rows = measure_runs([(params, seed) for seed in seeds], scale_outcomes, processes=args.processes, progress=True,
                            desc=f"{size:,} users")
        results[size] = {"runs": rows, "summary": describe(rows, OUTCOMES + EARLY)}
    pairs = list(zip(sizes, sizes[1:]))
    report = {
        "params": in_repository(args.params),
        "seeds": [seeds.start, seeds.stop - 1], "steps": args.steps, "machine": platform.node(),
        "sizes": {str(size): result["summary"] for size, result in results.items()},
        "tests": {f"{small} vs {large}": agreement(results[small]["runs"], results[large]["runs"], OUTCOMES + EARLY)
                  for small, large in pairs},
        "runs": {str(size): result["runs"] for size, result in results.items()},
    }
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{'users':>8} {'tipped':>22} " + " ".join(f"{name + ' (median)':>28}" for name in OUTCOMES + EARLY))
    for size in sizes:
        s = results[size]["summary"]
        low, high = s["tipped_interval"]
        print(f"{size:>8} {s['tipped']:>3}/{s['runs']:<3} [{low:.2f}, {high:.2f}]      "
              + " ".join(f"{s[name]['median'] if s[name]['median'] is not None else float('nan'):>28.3g}"
                         for name in OUTCOMES + EARLY))
    print("\nthe leader's share in month 6 against the lock-in month, within each size (Spearman):")
    for size in sizes:
        rows = [row for row in results[size]["runs"] if row[EARLY[0]] is not None and row["lock_in_month"] is not None]
        if len(rows) > 2:
            early_lead = stats.spearmanr([row[EARLY[0]] for row in rows], [row["lock_in_month"] for row in rows])
            print(f"{size:>8}  rho {early_lead.statistic:+.2f} (p = {early_lead.pvalue:.2g}, {len(rows)} runs)")
    for pair, tests in report["tests"].items():
        print(f"\nequal at {pair} users (p-values):", ", ".join(f"{k} {v:.3f}" for k, v in tests.items() if v is not None))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
