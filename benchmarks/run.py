"""Benchmark of the platform economy (issues 6 and 19): the full model beside two references, and a sweep.

    .venv/bin/python benchmarks/run.py                 # the issue's sizes (long: the sweep takes most of it)
    .venv/bin/python benchmarks/run.py --quick         # everything at small sizes (about a minute)
    .venv/bin/python benchmarks/run.py --sizes 10000,100000 --steps 60 --no-sweep
    .venv/bin/python benchmarks/run.py --profile 100000 --sizes 100000 --no-sweep

In one run, on one machine, it measures

1. the full baseline model (``PlatformEconomy``) at each size of ``--sizes``: construction time,
   then ``--steps`` months, timed with ``time.perf_counter``: user-steps per second (potential
   users x months / stepping time), milliseconds per month, and the peak memory of the process;
2. the same user-choice rule (benchmarks/rule.py) as a bare numpy kernel (benchmarks/kernel.py)
   at the same sizes and months, and written the usual Mesa way, one Agent per user and
   ``shuffle_do`` (benchmarks/reference_mesa.py), at each size of ``--mesa-users`` and on fewer
   months (it is slow), so that the targets' sizes (2,000 and 100,000 users) are compared with it at the same size;
3. a sweep of ``--sweep-runs`` runs of the baseline (``--sweep-users`` users, ``--sweep-steps``
   months) on a local Dask cluster of ``--sweep-workers`` workers (model.experiments.run_experiment):
   runs per minute, the cluster's start included.

Every measurement runs in a fresh Python process, so that its peak memory (getrusage's
ru_maxrss of that process) is its own. Each timing of items 1 and 2 is repeated ``--repeats``
times (default 3), each time in a fresh process; the run with the median stepping time is
reported, with every run's time and their spread beside it. A sanity check first runs the three implementations on the
same parameters and compares their market shares after a few months: they are three codings of one
rule, so they must agree within sampling noise. The script prints a table with the ratios
(full model / Mesa reference, full model / kernel), the month's fixed cost (the full model's
milliseconds a month at its smallest size, 1,000 users by default, where the users cost little) and
issue 19's targets, met or missed and by how much, and writes everything as JSON (default benchmarks/results/latest.json) with a description of
the machine. ``--profile N`` also profiles the full model at N users with pyinstrument (the
``bench`` extra) and writes the profile beside the JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform as host
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `model` and `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import in_repository  # noqa: E402

BASELINE = ROOT / "params" / "baseline.toml"
RESULTS = ROOT / "benchmarks" / "results"
RESULT_MARK = "BENCHMARK-RESULT "
SCHEMA = 1

# Issue 19's targets (measured on a 2-core machine, ratios in one run).
CLASSROOM_USERS = 2_000
TARGET_CLASSROOM_RATIO = 3.0  # full model at 2,000 users: at least 3 x the plain-Mesa reference's user-steps/s at 2,000
TARGET_MESA_RATIO = 50.0  # full model at 100k users: at least 50 x the plain-Mesa reference's user-steps/s
TARGET_USERS = 100_000
BIG_USERS, BIG_STEPS = 1_000_000, 240
TARGET_BIG_SECONDS = 20.0  # 1M users x 240 months in under 20 s
TARGET_BIG_PEAK_MB = 1000.0  # ... with a peak memory under 1 GB (10^9 bytes: the stricter reading)
SWEEP_RUNS, SWEEP_USERS, SWEEP_STEPS = 200, 10_000, 240
TARGET_SWEEP_MINUTES = 3.0  # the 200-run sweep in under 3 minutes
FIXED_COST_USERS = 1_000  # the month's fixed cost: the full model's ms a month at this size

# The sanity check turns the full model into a market of users alone, on the choice rule's terms:
# everyone adopts in month 1 (and makes a first choice with no network yet, as the references'
# users do when they enter), platforms keep their levers ("fixed") and their quality (spending that
# sustains exactly the initial quality, no spread of efficiency), and a user price makes the outside
# option matter. The references' month k is then the full model's month k + 1.
SANITY_PRICE = 1.0


# -- measurements (each runs in its own process) ----------------------------------------------
def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (10^6 bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak * (1 if sys.platform == "darwin" else 1024) / 1e6


def load(params_path: str, overrides: dict):
    from model import load_params

    return load_params(params_path, overrides=overrides)


def seed_overrides(seed: int | None) -> dict:
    return {} if seed is None else {"simulation.seed": seed}


def timed_steps(step, steps: int) -> list[float]:
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return times


def describe_timing(implementation: str, users: int, steps: int, construct: float, times: list[float], imports: float) -> dict:
    stepping = sum(times)
    ordered = sorted(times)
    return {
        "implementation": implementation,
        "users": users,
        "steps": steps,
        "construct_seconds": construct,
        "step_seconds": stepping,
        "total_seconds": construct + stepping,
        "user_steps_per_second": users * steps / stepping if stepping > 0 else math.nan,
        "ms_per_step": 1000.0 * stepping / steps if steps else math.nan,
        "ms_per_step_median": 1000.0 * ordered[len(ordered) // 2] if ordered else math.nan,
        "ms_per_step_max": 1000.0 * ordered[-1] if ordered else math.nan,
        # A fresh process's first step pays one-off costs (the full model's: numba loading its compiled loops).
        "first_step_seconds": times[0] if times else math.nan,
        "later_ms_per_step": 1000.0 * sum(times[1:]) / (len(times) - 1) if len(times) > 1 else math.nan,
        "peak_mb": peak_mb(),
        "import_peak_mb": imports,
    }


def measure_full(task: dict) -> dict:
    from model import PlatformEconomy

    params = load(task["params"], {"users.count": task["users"], "simulation.steps": task["steps"], **seed_overrides(task["seed"])})
    imports = peak_mb()
    started = time.perf_counter()
    economy = PlatformEconomy(params)
    construct = time.perf_counter() - started
    times = timed_steps(economy.step, task["steps"])
    result = describe_timing("full", task["users"], task["steps"], construct, times, imports)
    # In the baseline users adopt over the years (Bass diffusion): count the user-steps of adopters too.
    adopted = float(economy.model_frame()["adopted_users"].sum())
    result["adopted_user_steps"] = adopted
    result["adopted_user_steps_per_second"] = adopted / result["step_seconds"] if result["step_seconds"] > 0 else math.nan
    return result


def measure_reference(task: dict) -> dict:
    params = load(task["params"], seed_overrides(task["seed"]))
    if task["task"] == "kernel":
        from benchmarks.kernel import KernelMarket as Market
    else:
        from benchmarks.reference_mesa import MesaChoiceMarket as Market
    imports = peak_mb()
    started = time.perf_counter()
    market = Market(params, task["users"])
    construct = time.perf_counter() - started
    times = timed_steps(market.step, task["steps"])
    return describe_timing(task["task"], task["users"], task["steps"], construct, times, imports)


def sanity_overrides(params_path: str, users: int, seed: int | None) -> dict:
    base = load(params_path, {}).platforms
    sustaining = base.quality_spend_half * base.initial_quality / (base.quality_max - base.initial_quality)
    return {
        "users.count": users,
        "users.adoption_innovation": 1.0,
        "platforms.strategy": "fixed",
        "platforms.quality_efficiency_spread": 0.0,
        "platforms.initial_quality_spend": sustaining,
        "platforms.market": "paid",  # the references price users: the sanity check compares all three on it
        "platforms.initial_user_price": SANITY_PRICE,
        "entry.entrants": 0,  # the references choose among the platforms of the start: no slots kept for entrants
        **seed_overrides(seed),
    }


def compare(shares: dict[str, list[float]], users: int, sort_platforms: bool) -> dict:
    """Largest difference in any share between any two implementations, against sampling noise.

    A share estimated from N users has a standard deviation of at most 0.5 / sqrt(N), so the
    difference of two independent runs at most 0.71 / sqrt(N); the tolerance is five of those (plus
    half a point for the few months of feedback through the network). With identical platforms,
    which one leads is chance: the platforms' shares are compared sorted, the outside option apart.
    """
    import numpy as np

    arrays = {}
    for name, values in shares.items():
        values = np.asarray(values, dtype=float)
        arrays[name] = np.append(np.sort(values[:-1])[::-1], values[-1]) if sort_platforms else values
    names = list(arrays)
    worst = max((float(np.abs(arrays[a] - arrays[b]).max()) for a in names for b in names if a < b), default=0.0)
    tolerance = 5 * math.sqrt(0.5) / math.sqrt(users) + 0.005
    return {"shares": shares, "sorted": sort_platforms, "max_difference": worst, "tolerance": tolerance,
            "passed": worst <= tolerance}


def measure_sanity(task: dict) -> dict:
    import numpy as np

    from model import PlatformEconomy

    from benchmarks.kernel import KernelMarket
    from benchmarks.reference_mesa import MesaChoiceMarket
    from benchmarks.rule import FixedOffers

    users, steps, seed = task["users"], task["steps"], task["seed"]
    params = load(task["params"], sanity_overrides(task["params"], users, seed))
    economy = PlatformEconomy(params)
    for _ in range(steps + 1):  # month 1 is the references' construction (everyone's first choice)
        economy.step()
    frame = economy.platform_frame()
    last = frame[frame["step"] == frame["step"].max()].sort_values("platform_id")
    on = last["users"].to_numpy(dtype=float)
    full = np.append(on, users - on.sum()) / users
    offers = FixedOffers.from_params(params)
    seen = {"quality": sorted(set(frame["quality"].round(9))), "ad_load": sorted(set(frame["ad_load"].round(9))),
            "user_price": sorted(set(frame["user_price"].round(9)))}
    symmetric = {"full": full.tolist()}
    asymmetric = {}
    for name, Market in (("kernel", KernelMarket), ("mesa", MesaChoiceMarket)):
        for shares, market_offers in ((symmetric, offers), (asymmetric, FixedOffers.from_params(params, quality_spread=0.2))):
            market = Market(params, users, offers=market_offers)
            for _ in range(steps):
                market.step()
            shares[name] = market.shares().tolist()
    return {
        "users": users,
        "steps": steps,
        "scenario": sanity_overrides(task["params"], users, seed),
        "offers": {"quality": list(offers.quality), "ad_load": list(offers.ad_load), "user_price": list(offers.user_price)},
        "full_model_offers_seen": seen,
        "symmetric": compare(symmetric, users, sort_platforms=True),
        "asymmetric_references": {
            "quality": list(FixedOffers.from_params(params, quality_spread=0.2).quality),
            **compare(asymmetric, users, sort_platforms=False),
        },
    }


def sweep_spec(params_path: str, runs: int, users: int, steps: int, seed: int) -> str:
    import tomli_w

    return tomli_w.dumps({
        "experiment": {"description": f"Benchmark: {runs} runs of the baseline, {users} users, {steps} months",
                       "base": str(Path(params_path).resolve()), "design": "grid", "replicates": runs, "seed": seed},
        "set": {"users.count": users},
        "vary": {"simulation.steps": [steps]},  # one point: the design needs a varied parameter
        "keep": {"model_frame": False},
    })


def measure_sweep(task: dict) -> dict:
    import logging

    from model.experiments import load_runs, run_experiment

    logging.getLogger("distributed").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="benchmark-sweep-") as folder:
        spec = Path(folder) / "sweep.toml"
        seed = load(task["params"], {}).simulation.seed if task["seed"] is None else task["seed"]
        spec.write_text(sweep_spec(task["params"], task["runs"], task["users"], task["steps"], seed))
        started = time.perf_counter()
        report = run_experiment(spec, Path(folder) / "out", workers=task["workers"], serial=task["serial"], progress=False)
        wall = time.perf_counter() - started
        runs = load_runs(Path(folder) / "out")
    seconds = runs["run_seconds"].to_numpy(dtype=float)
    return {
        "runs": task["runs"],
        "users": task["users"],
        "steps": task["steps"],
        "workers": 1 if task["serial"] else task["workers"],
        "serial": task["serial"],
        "completed": int((runs["status"] == "ok").sum()),
        "failed": int(report.failed),
        "wall_seconds": wall,
        "minutes": wall / 60.0,
        "runs_per_minute": task["runs"] / (wall / 60.0),
        "run_seconds_mean": float(seconds.mean()) if seconds.size else math.nan,
        "run_seconds_max": float(seconds.max()) if seconds.size else math.nan,
        "busy_share": float(seconds.sum() / (wall * task["workers"])) if wall > 0 else math.nan,
    }


def measure_profile(task: dict) -> dict:
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("--profile needs pyinstrument: .venv/bin/pip install -e '.[bench]'") from None
    from model import PlatformEconomy

    params = load(task["params"], {"users.count": task["users"], "simulation.steps": task["steps"], **seed_overrides(task["seed"])})
    profiler = Profiler(interval=0.001)
    profiler.start()
    economy = PlatformEconomy(params)
    for _ in range(task["steps"]):
        economy.step()
    profiler.stop()
    out = Path(task["folder"])
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"profile-full-{task['users']}"
    tree = profiler.output_text()
    own = self_times(profiler.last_session.root_frame())
    ranking = "\n".join(f"{seconds:9.3f}  {name}" for name, seconds in own[:40])
    stem.with_suffix(".txt").write_text(
        f"Full model, {task['users']} users x {task['steps']} months\n\n== functions by self time (s) ==\n{ranking}\n\n"
        f"== call tree ==\n{tree}", encoding="utf-8")
    profiler.write_html(stem.with_suffix(".html"))
    lines = tree.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"\s*\d+\.\d+ ", line)), 0)
    return {"users": task["users"], "steps": task["steps"], "seconds": profiler.last_session.duration,
            "text": str(stem.with_suffix(".txt")), "html": str(stem.with_suffix(".html")),
            "top_self_time": [{"function": name, "seconds": seconds} for name, seconds in own[:25]],
            "call_tree": [line.rstrip() for line in lines[start:start + 60] if line.strip()]}


def self_times(root) -> list[tuple[str, float]]:
    """Seconds spent in each function itself (not in what it calls), largest first."""
    totals: dict[str, float] = {}
    stack = [root] if root is not None else []
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        if frame.is_synthetic:  # pyinstrument's "[self]" leaves: already in their parent's self time
            continue
        name = f"{frame.function}  {frame.file_path_short}:{frame.line_no}"
        totals[name] = totals.get(name, 0.0) + frame.total_self_time
    return sorted(totals.items(), key=lambda item: -item[1])


WORKERS = {"full": measure_full, "kernel": measure_reference, "mesa": measure_reference, "sanity": measure_sanity,
           "sweep": measure_sweep, "profile": measure_profile}


def worker(task_json: str) -> None:
    task = json.loads(task_json)
    result = WORKERS[task["task"]](task)
    print(RESULT_MARK + json.dumps(result), flush=True)


# -- the conductor ------------------------------------------------------------------------------
def in_fresh_process(task: dict, verbose: bool) -> dict:
    """Run one measurement in a new Python process; its last marked line is the result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(task)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True)
    if verbose and done.stderr.strip():
        print(done.stderr, file=sys.stderr)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"measurement {task} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(lines[-1][len(RESULT_MARK):])


def machine() -> dict:
    """What the figures were measured on."""
    import mesa
    import numpy

    cpu = host.processor() or host.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = round(int(line.split()[1]) * 1024 / 1e9, 1)
    except OSError:
        pass
    if ram is None:
        try:
            import psutil

            ram = round(psutil.virtual_memory().total / 1e9, 1)
        except ImportError:
            pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_gb": ram,
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "os": host.platform(),
        "python": host.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def git(*args: str) -> str | None:
    """Read-only git queries (the commit measured); None outside a repository."""
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def ratios(measurements: list[dict]) -> list[dict]:
    """Full model / references at each size: user-steps per second over user-steps per second.

    Each size is compared with the Mesa reference at the same size if it was measured there, else with
    the largest size it was measured at (the nearest to the sizes it is too slow to run at; its
    user-steps per second fall slowly as the population grows); ``mesa_users`` says which. The
    targets take only same-size ratios (:func:`mesa_target`).
    """
    mesas = {m["users"]: m for m in measurements if m["implementation"] == "mesa"}
    kernels = {m["users"]: m for m in measurements if m["implementation"] == "kernel"}
    rows = []
    for full in (m for m in measurements if m["implementation"] == "full"):
        kernel = kernels.get(full["users"])
        mesa = mesas.get(full["users"]) or (mesas[max(mesas)] if mesas else None)
        rows.append({
            "users": full["users"],
            "mesa_users": mesa["users"] if mesa else None,
            "full_over_mesa": full["user_steps_per_second"] / mesa["user_steps_per_second"] if mesa else None,
            "full_over_kernel": full["user_steps_per_second"] / kernel["user_steps_per_second"] if kernel else None,
        })
    return rows


def fixed_cost(measurements: list[dict]) -> dict | None:
    """The month's fixed cost: milliseconds a month of the full model at its smallest size, if that is at
    most FIXED_COST_USERS users (where the users' arrays cost little beside the platforms' decisions)."""
    smallest = min((m for m in measurements if m["implementation"] == "full"), key=lambda m: m["users"], default=None)
    if smallest is None or smallest["users"] > FIXED_COST_USERS:
        return None
    return {"users": smallest["users"], "steps": smallest["steps"], "ms_per_month": smallest["ms_per_step"]}


def target(name: str, wanted: str, measured, status: str, detail: str) -> dict:
    return {"target": name, "wanted": wanted, "measured": measured, "status": status, "detail": detail}


def judge(ok: bool, projected: bool = False) -> str:
    state = "met" if ok else "missed"
    return f"projected {state}" if projected else state


def short_of(wanted: int, measured: int) -> str:
    return f"{measured} months, not {wanted}"


def mesa_target(measurements: list[dict], rows: list[dict], users: int, wanted: float) -> dict:
    """Full model / Mesa reference at ``users`` against ``wanted``, the reference measured at the same size:
    its user-steps per second fall as the population grows (a Python object per user), so a reference
    measured at another size would misstate the ratio."""
    at = {row["users"]: row for row in rows}.get(users)
    full = next((m for m in measurements if m["implementation"] == "full" and m["users"] == users), None)
    name = f"full model / Mesa reference at {users:,} users (the reference at the same size)"
    if not at or at["full_over_mesa"] is None or at["mesa_users"] != users:
        need = f"needs --sizes with {users} and --mesa-users with {users}"
        return target(name, f">= {wanted:g}x", None, "not measured", need)
    short = full["steps"] != BIG_STEPS
    note = f" ({short_of(BIG_STEPS, full['steps'])}: not comparable)" if short else ""
    got = at["full_over_mesa"]
    detail = (f"{got:.1f}x, {got / wanted:.2f} times the target" if got >= wanted
              else f"{got:.1f}x: missed by {100 * (1 - got / wanted):.0f}% (needs {wanted / got:.2f} times the speed)")
    return target(name, f">= {wanted:g}x", got, "indicative only" if short else judge(got >= wanted), detail + note)


def targets(measurements: list[dict], rows: list[dict], sweep: dict | None) -> list[dict]:
    """The issue's targets, each met or missed and by how much (or not measured by this run).

    The targets are for the baseline run, 240 months. A shorter run of the full model cannot
    stand for it: early on few users have adopted (Bass diffusion), so a month costs less than
    later. Such a run is reported as "indicative only" (speed ratios) or "not measured" (wall
    time, memory), unless its partial figure already misses the target, which then is certain.
    A shorter sweep (fewer runs of the same size) is projected linearly: its runs are alike.
    """
    found = []
    for users, wanted in ((CLASSROOM_USERS, TARGET_CLASSROOM_RATIO), (TARGET_USERS, TARGET_MESA_RATIO)):
        found.append(mesa_target(measurements, rows, users, wanted))
    big = next((m for m in measurements if m["implementation"] == "full" and m["users"] == BIG_USERS), None)
    name = f"full model, {BIG_USERS:,} users x {BIG_STEPS} months: wall time"
    memory = f"full model, {BIG_USERS:,} users x {BIG_STEPS} months: peak memory"
    if big:
        short = big["steps"] < BIG_STEPS
        seconds = big["total_seconds"]
        if short and seconds < TARGET_BIG_SECONDS:
            found.append(target(name, f"< {TARGET_BIG_SECONDS:g} s", None, "not measured",
                                f"ran {short_of(BIG_STEPS, big['steps'])} ({seconds:.0f} s); later months cost more as users adopt"))
        else:
            detail = (f"{seconds:.0f} s ({seconds / 60:.1f} min), construction included"
                      + (f", in {big['steps']} months only" if short else "")
                      + ("" if seconds < TARGET_BIG_SECONDS else f": missed by {seconds - TARGET_BIG_SECONDS:.0f} s "
                         f"({100 * (seconds / TARGET_BIG_SECONDS - 1):.0f}%)"))
            found.append(target(name, f"< {TARGET_BIG_SECONDS:g} s", seconds, judge(seconds < TARGET_BIG_SECONDS), detail))
        peak = big["peak_mb"]
        if short and peak < TARGET_BIG_PEAK_MB:
            found.append(target(memory, f"< {TARGET_BIG_PEAK_MB:g} MB", None, "not measured",
                                f"ran {short_of(BIG_STEPS, big['steps'])} ({peak:.0f} MB so far)"))
        else:
            detail = (f"{peak:.0f} MB (the whole process)" + (f", after {big['steps']} months only" if short else "")
                      + ("" if peak < TARGET_BIG_PEAK_MB else f": missed by {peak - TARGET_BIG_PEAK_MB:.0f} MB "
                         f"({100 * (peak / TARGET_BIG_PEAK_MB - 1):.0f}%)"))
            found.append(target(memory, f"< {TARGET_BIG_PEAK_MB:g} MB", peak, judge(peak < TARGET_BIG_PEAK_MB), detail))
    else:
        found.append(target(name, f"< {TARGET_BIG_SECONDS:g} s", None, "not measured", f"needs --sizes with {BIG_USERS}"))
        found.append(target(memory, f"< {TARGET_BIG_PEAK_MB:g} MB", None, "not measured", f"needs --sizes with {BIG_USERS}"))
    name = f"sweep of {SWEEP_RUNS} runs ({SWEEP_USERS:,} users, {SWEEP_STEPS} months) on 2 workers"
    if sweep and sweep["users"] == SWEEP_USERS and sweep["steps"] == SWEEP_STEPS and sweep["workers"] == 2 and not sweep["serial"]:
        projected = sweep["runs"] != SWEEP_RUNS
        minutes = SWEEP_RUNS / sweep["runs_per_minute"]
        detail = (f"{minutes:.1f} min, {sweep['runs_per_minute']:.1f} runs/min, the cluster's start included"
                  + (f", projected from {sweep['runs']} runs" if projected else "")
                  + ("" if minutes < TARGET_SWEEP_MINUTES else f": missed by {minutes - TARGET_SWEEP_MINUTES:.1f} min "
                     f"({100 * (minutes / TARGET_SWEEP_MINUTES - 1):.0f}%)")
                  + (f"; {sweep['failed']} runs failed" if sweep["failed"] else ""))
        found.append(target(name, f"< {TARGET_SWEEP_MINUTES:g} min", minutes,
                            judge(minutes < TARGET_SWEEP_MINUTES and not sweep["failed"], projected), detail))
    else:
        found.append(target(name, f"< {TARGET_SWEEP_MINUTES:g} min", None, "not measured",
                            f"needs --sweep-users {SWEEP_USERS} --sweep-steps {SWEEP_STEPS} --sweep-workers 2"))
    return found


def number(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.{max(digits, 2)}f}M"
    return f"{value:,.{digits}f}"


def table(report: dict) -> str:
    """The report as text: measurements with their ratios, the sweep, the sanity check, the targets."""
    rows = {(r["users"]): r for r in report["ratios"]}
    lines = [f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, {report['machine']['ram_gb']} GB RAM, "
             f"Python {report['machine']['python']}, numpy {report['machine']['numpy']}, Mesa {report['machine']['mesa']}, "
             f"load average at start {report['machine']['load_average_at_start']}", ""]
    head = (f"{'implementation':<15}{'users':>11}{'steps':>7}{'build s':>9}{'step s':>9}{'user-steps/s':>14}"
            f"{'ms/step':>10}{'peak MB':>9}{'full/Mesa':>11}{'full/kernel':>13}")
    lines += [head, "-" * len(head)]
    for m in report["measurements"]:
        ratio = rows.get(m["users"]) if m["implementation"] == "full" else None
        lines.append(
            f"{m['implementation']:<15}{m['users']:>11,}{m['steps']:>7}{m['construct_seconds']:>9.2f}{m['step_seconds']:>9.2f}"
            f"{number(m['user_steps_per_second']):>14}{m['ms_per_step']:>10.2f}{m['peak_mb']:>9.0f}"
            f"{(number(ratio['full_over_mesa'], 1) + 'x') if ratio and ratio['full_over_mesa'] else '':>11}"
            f"{(number(ratio['full_over_kernel'], 2) + 'x') if ratio and ratio['full_over_kernel'] else '':>13}")
    repeated = [m for m in report["measurements"] if len(m.get("repeat_step_seconds", [])) > 1]
    if repeated:
        lines.append(f"  each row is the median of {len(repeated[0]['repeat_step_seconds'])} fresh runs; their stepping times "
                     "spread (max - min, over the median) by " + ", ".join(
                         f"{m['implementation']} {m['users']:,}: {100 * m['repeat_spread']:.0f}%" for m in repeated))
    for m in report["measurements"]:
        if m["implementation"] == "full" and m.get("first_step_seconds") is not None:
            lines.append(f"  full model at {m['users']:,} users: the first month {m['first_step_seconds']:.2f} s "
                         f"(in a fresh process: numba loads its compiled loops), each later month {m['later_ms_per_step']:.2f} ms")
    for m in report["measurements"]:
        if m["implementation"] == "full" and m.get("adopted_user_steps") is not None:
            lines.append(f"  full model at {m['users']:,} users: {100 * m['adopted_user_steps'] / (m['users'] * m['steps']):.0f}% of its "
                         f"user-steps are by adopted users ({number(m['adopted_user_steps_per_second'])} adopted user-steps/s); "
                         "the rest are still to adopt (Bass diffusion). The references' users are all adopted.")
    sweep = report.get("sweep")
    if sweep:
        lines += ["", f"Sweep: {sweep['runs']} runs x {sweep['users']:,} users x {sweep['steps']} months "
                      + ("in one process (serial)" if sweep["serial"] else f"on {sweep['workers']} Dask workers")
                      + f": {sweep['minutes']:.2f} min, {sweep['runs_per_minute']:.1f} runs/min "
                      f"(a run {sweep['run_seconds_mean']:.1f} s on average; workers busy {100 * sweep['busy_share']:.0f}% "
                      f"of the time; {sweep['failed']} failed)"]
    sanity = report.get("sanity")
    if sanity:
        lines += ["", f"Sanity: market shares after {sanity['steps']} months, {sanity['users']:,} users "
                      "(platforms sorted, then the outside option):"]
        for name, shares in sanity["symmetric"]["shares"].items():
            ordered = sorted(shares[:-1], reverse=True) + shares[-1:]
            lines.append(f"  {name:<8}" + " ".join(f"{s:.4f}" for s in ordered))
        for key, label in (("symmetric", "identical platforms, all three"), ("asymmetric_references", "platforms of different quality, kernel vs Mesa")):
            check = sanity[key]
            lines.append(f"  {label}: largest difference {check['max_difference']:.4f}, tolerance {check['tolerance']:.4f}: "
                         + ("agree" if check["passed"] else "DISAGREE"))
    cost = report.get("fixed_cost")
    if cost:
        lines += ["", f"The month's fixed cost: {cost['ms_per_month']:.1f} ms a month at {cost['users']:,} users "
                      f"({cost['steps']} months of the full model)"]
    lines += ["", "Targets (issue 19; the notebooks' and the suite's times are measured by the test suite, not here):"]
    for t in report["targets"]:
        lines.append(f"  [{t['status']:<17}] {t['target']} {t['wanted']}: {t['detail']}")
    profile = report.get("profile")
    if profile:
        lines += ["", f"Profile of the full model at {profile['users']:,} users x {profile['steps']} months "
                      f"({profile['html']}, {profile['text']}):", *("  " + line for line in profile["call_tree"][:30]),
                  "", "  functions by self time:",
                  *(f"  {row['seconds']:9.3f} s  {row['function']}" for row in profile["top_self_time"][:12])]
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int]:
    sizes = [int(float(part.replace("_", ""))) for part in text.split(",") if part.strip()]
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--sizes {text!r}: a comma-separated list of user counts, e.g. 10000,100000")
    return sizes


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="Defaults are the issue's sizes: the full run lasts a few minutes plus the sweep "
                                            "(200 model runs on 2 workers: up to 20 minutes on 2 cores).")
    parser.add_argument("--params", default=str(BASELINE), help="parameter file of the model and the references (default: the baseline)")
    parser.add_argument("--seed", type=int, default=None, help="seed (default: the file's simulation.seed)")
    parser.add_argument("--sizes", type=parse_sizes, default=[FIXED_COST_USERS, CLASSROOM_USERS, 10_000, 100_000, 1_000_000],
                        help="users of the full model and the kernel, comma-separated (default 1000,2000,10000,100000,1000000)")
    parser.add_argument("--steps", type=int, default=240, help="months of the full model and the kernel (default 240)")
    parser.add_argument("--mesa-users", type=parse_sizes, default=[CLASSROOM_USERS, 10_000, TARGET_USERS],
                        help="users of the Mesa reference, comma-separated (default 2000,10000,100000: the targets compare at 2,000 and 100,000)")
    parser.add_argument("--mesa-steps", type=int, default=10, help="months of the Mesa reference (default 10)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="fresh runs of each timing (Mesa, kernel, full model); the median is reported (default 3)")
    parser.add_argument("--sanity-users", type=int, default=50_000, help="users of the sanity check (default 50000)")
    parser.add_argument("--sanity-steps", type=int, default=5, help="months of the sanity check (default 5)")
    parser.add_argument("--sweep-runs", type=int, default=SWEEP_RUNS, help=f"runs of the sweep (default {SWEEP_RUNS})")
    parser.add_argument("--sweep-users", type=int, default=SWEEP_USERS, help=f"users of each sweep run (default {SWEEP_USERS})")
    parser.add_argument("--sweep-steps", type=int, default=SWEEP_STEPS, help=f"months of each sweep run (default {SWEEP_STEPS})")
    parser.add_argument("--sweep-workers", type=int, default=2, help="workers of the local Dask cluster (default 2)")
    parser.add_argument("--sweep-serial", action="store_true", help="run the sweep in one process, without Dask (for tests)")
    parser.add_argument("--no-sweep", action="store_true", help="skip the sweep")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes to check that everything works: 10k and 100k users x 24 months, "
                             "Mesa 5000 x 3, sanity 20000 x 5, sweep of 10 runs x 10k users x 24 months")
    parser.add_argument("--profile", type=int, metavar="USERS", default=None,
                        help="also profile the full model at USERS users (--steps months) with pyinstrument")
    parser.add_argument("--out", default=str(RESULTS / "latest.json"), help="JSON file to write (default benchmarks/results/latest.json)")
    parser.add_argument("--verbose", action="store_true", help="show the measurements' own output (warnings, logs)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.steps, args.mesa_users, args.mesa_steps = [1_000, 10_000, 100_000], 24, [5_000], 3
        args.sanity_users, args.sweep_runs, args.sweep_steps, args.repeats = 20_000, 10, 24, 1
    for name in ("steps", "repeats", "mesa_steps", "sanity_users", "sanity_steps", "sweep_runs", "sweep_users",
                 "sweep_steps", "sweep_workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv=None) -> int:
    args = arguments(argv)
    if args.worker:
        worker(args.worker)
        return 0
    params = str(Path(args.params).resolve())
    out = Path(args.out).resolve()
    common = {"params": params, "seed": args.seed}

    def measure(task: dict, label: str) -> dict:
        print(f"  {label} ...", end="", flush=True)
        started = time.perf_counter()
        result = in_fresh_process({**common, **task}, args.verbose)
        print(f" {time.perf_counter() - started:.1f} s", flush=True)
        return result

    settings = {k: v for k, v in vars(args).items() if k != "worker"}
    settings["params"], settings["out"] = in_repository(args.params), in_repository(args.out)
    report = {"schema": SCHEMA, "machine": machine(), "settings": settings}
    print(f"Benchmark of the platform economy, {report['machine']['date']}; results to {out}")
    report["sanity"] = measure({"task": "sanity", "users": args.sanity_users, "steps": args.sanity_steps},
                               f"sanity check ({args.sanity_users:,} users x {args.sanity_steps} months, three implementations)")
    def repeated(task: dict, label: str) -> dict:
        """The run with the median stepping time of ``--repeats`` fresh runs (of an even number, the slower
        middle one), with every run's time beside it: on a shared machine one run can be off by 10-20%."""
        runs = [measure(task, label + (f" ({k + 1}/{args.repeats})" if args.repeats > 1 else "")) for k in range(args.repeats)]
        chosen = sorted(runs, key=lambda run: run["step_seconds"])[len(runs) // 2]
        times = [run["step_seconds"] for run in runs]
        return {**chosen, "repeat_step_seconds": times,
                "repeat_spread": (max(times) - min(times)) / chosen["step_seconds"] if chosen["step_seconds"] > 0 else 0.0}

    measurements = [repeated({"task": "mesa", "users": users, "steps": args.mesa_steps},
                             f"Mesa reference, {users:,} users x {args.mesa_steps} months") for users in args.mesa_users]
    for users in args.sizes:
        measurements.append(repeated({"task": "kernel", "users": users, "steps": args.steps}, f"kernel, {users:,} users x {args.steps} months"))
        measurements.append(repeated({"task": "full", "users": users, "steps": args.steps}, f"full model, {users:,} users x {args.steps} months"))
    report["measurements"] = measurements
    report["sweep"] = None if args.no_sweep else measure(
        {"task": "sweep", "runs": args.sweep_runs, "users": args.sweep_users, "steps": args.sweep_steps, "workers": args.sweep_workers,
         "serial": args.sweep_serial},
        f"sweep, {args.sweep_runs} runs x {args.sweep_users:,} users x {args.sweep_steps} months "
        + ("in one process" if args.sweep_serial else f"on {args.sweep_workers} workers"))
    if args.profile:
        report["profile"] = measure({"task": "profile", "users": args.profile, "steps": args.steps, "folder": str(out.parent)},
                                    f"profile of the full model, {args.profile:,} users x {args.steps} months")
    report["ratios"] = ratios(measurements)
    report["fixed_cost"] = fixed_cost(measurements)
    report["targets"] = targets(measurements, report["ratios"], report["sweep"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print()
    print(table(report))
    print(f"\nWritten {out}")
    sanity_ok = report["sanity"]["symmetric"]["passed"] and report["sanity"]["asymmetric_references"]["passed"]
    if not sanity_ok:
        print("The sanity check failed: the implementations disagree on market shares (see above).", file=sys.stderr)
    return 0 if sanity_ok else 1


if __name__ == "__main__":
    sys.exit(main())
