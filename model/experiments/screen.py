"""The knob census: a Morris screening of every parameter of a scenario, at a small size.

    python -m model screen params/scenarios/bailout.toml --out results/screen
    python -m model screen --all --out results/screen --doc docs/knobs.md

A screen is a sweep like any other: an Experiment built in memory from the scenario file, with one
factor per knob and the Morris design, run by the sweep's runner into ``OUT/<scenario>/`` (so it
shows its progress and resumes where it stopped) and read with the sweep's own Morris indices
(analysis.sensitivity_indices). This module adds what a screen chooses: the knobs' ranges, the
seeds, the outcomes, and when a knob counts as inert.

Ranges: every knob moves around the scenario's value v, by SPAN (a half) of it either way.

* A number: [v/2, 3v/2] (for v < 0, [3v/2, v/2]). A number set to 0: [0, ZERO_RANGES[key]] (or
  the range given there), else [0, the schema's default]; with neither, it is not screened.
* A whole number: four whole levels m apart, v - 2m, v - m, v, v + m, with m = round(|v| / 3) and
  at least 1 (about as wide as a number's range); even levels for ``network.contacts``, which the
  small-world graph needs even.
* True/false: both (a switch; a Morris move always flips it).

Each range is then cut to what the schema allows: the knob's own bounds (an exclusive bound is
approached to 1% of the range) and the rules across knobs (``limits`` and ORDERED; a switch that
would break one is held: divestiture without a threshold below 1, a rescue by guarantee without
lenders), so that every point of the design is a valid scenario. Not screened, and listed with the
reason (NOT_MOVED): the population size and the run's length (the screen's size: ``--users``,
``--steps``), the seed, the choices ("paid" or "ad_funded", ...), a number-or-word knob set to its
word, and the users' price of an ad-funded market (which the schema fixes at 0).

Seeds: every run of a screen uses the same seed (the design's "common" seeds: common random
numbers), so an elementary effect is the change that one knob alone makes to one run, and a knob
that the model never reads moves nothing, exactly. At a small size a small push can tip a market
the other way: an effect says how much a knob moves the run, not a smooth elasticity.

Outcomes (OUTCOMES) are continuous and defined in every run (an event that never happens counts at
the run's end; an empty market's HHI is 0), so a knob that changes a run shows in them.

Effects, per knob and outcome: mu_star (the mean absolute elementary effect, the change of the
outcome when the knob crosses its range) with SALib's 95% bootstrap interval, sigma (the effects'
spread over trajectories: interactions and nonlinearity), and the normalised effect, mu_star over
the outcome's standard deviation across the screen's runs, comparable across outcomes (1: moving
the knob moves the outcome by its typical spread in the screen). A knob is inert in a scenario
when its normalised effect is at most INERT_TOLERANCE (zero up to rounding) for every outcome.
"""

from __future__ import annotations

import difflib
import math
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from model.experiments.spec import Experiment, ExperimentError, Factor, experiment_from_tables, load_params_from_dict
from model.params import Params, flatten, load_params, params_to_dict
from model.params.reference import bounds_of, choices_of, schema_fields, takes_number

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_USERS = 500
DEFAULT_STEPS = 240  # the shipped scenarios' twenty years: growth, lock-in, extraction and the failures after
DEFAULT_TRAJECTORIES = 4
DEFAULT_SEED = 2024
LEVELS = 4  # Morris levels: a move crosses two of them, two thirds of the range
SPAN = 0.5  # a number moves by half its value either way
INERT_TOLERANCE = 1e-9  # normalised effect at most this for every outcome: inert

# Each outcome: its meaning. From the runs' summary (with_outcomes derives three), model.outcomes.outcomes (FROM_COMPARE)
# and venture_gain.
OUTCOMES = {
    "leader_final_share": "share of platform users held by the leader at the end",
    "failures": "platforms that failed during the run",
    "total_payouts": "payouts to platforms' shareholders over the run, $",
    "hhi_at_end": "HHI of user shares in the last month (0 when nobody uses a platform)",
    "months_to_lock_in": "month in which the leader locks its users in (the run's length if it never does)",
    "leader_peak_ad_load": "highest ad load the eventual leader set (share of the feed)",
    "users_surplus": "consumer surplus summed over the run, $ per potential user",
    "advertisers_surplus": "advertisers' value minus spend summed over the run, $ per potential user",
    "platform_profits": "all platforms' profits summed over the run, $ per potential user",
    "pioneer_multiple": "(paid out + value held) / invested, of the founding rounds' holders (founders too)",
    "venture_gain": "venture investors' paid out + value held - invested (every round; not founders), $ per potential user",
    "public_cost_total": "public cost of rescues: net cash, subsidy in their rates, deadweight cost of taxes, $ per potential user",
    "payouts_after_rescue": "what rescued platforms paid their private holders after the rescue, $ per potential user",
}
# Not public_cost_total: the summary has it already (in $), and a run's extra metrics may not repeat a column.
FROM_COMPARE = ("leader_peak_ad_load", "users_surplus", "advertisers_surplus", "platform_profits",
                 "pioneer_multiple", "payouts_after_rescue")

SIZE = {"users.count": "the population size: the screen's --users (money per potential user scales with it)",
        "simulation.steps": "the run's length: the screen's --steps"}
NOT_MOVED = {**SIZE, "simulation.seed": "the seed: every run of a screen uses the same one (common random numbers)",
             "simulation.measured_users": "the precision of the users' statistics, not the economy (the run is the same)"}

# A number set to 0 has no half to move by: its range is [0, high], or (low, high) where a negative
# value means something (a subsidy). Chosen at what the shipped scenarios set, or a moderate value.
ZERO_RANGES = {
    "users.turnover": 0.02,  # a fiftieth of users replaced a month: a generation in about four years
    "users.reach_growth": 0.5,  # from a fiftieth of users reached to nine in ten in about twelve years
    "network.social_weight": 0.5,
    "regulation.interoperability": 0.7,  # as scenarios/interoperability.toml
    "regulation.excess_profit_tax": 0.5,  # as scenarios/excess_profit_tax.toml
    "advertisers.audience_premium": 1.0,
    "investors.bailout_belief": 0.8,  # as scenarios/bailout.toml
    "funding.winner_take_all": 1.0,
    "cooperative.member_funding_per_user": 3.0,  # as scenarios/cooperative.toml
    "cooperative.public_funding_per_user": 20.0,  # as scenarios/public_platform.toml
    "suppliers.investment_per_user": 10.0,  # as scenarios/ai_circular_finance.toml
    "suppliers.share_issue_limit": 0.02,  # as scenarios/ai_circular_finance.toml
    "platforms.initial_user_price": (-1.0, 1.0),  # a small subsidy to a small price
}
EVEN = {"network.contacts"}  # small-world graphs link contacts / 2 neighbours on each side
# Pairs the schema keeps in order (smaller <= larger): the smaller's range ends where the larger's begins.
ORDERED = (("platforms.min_user_price", "platforms.max_user_price"), ("market.min_sentiment", "market.max_sentiment"),
           ("cooperative.count", "platforms.count"))


@dataclass(frozen=True)
class ScreenPlan:
    """What a screen of one scenario varies: a factor per knob, and the knobs left alone with the reason."""

    name: str  # the scenario file's name without .toml
    path: Path
    base: Params  # the scenario at the screen's size
    factors: tuple[Factor, ...]
    not_screened: dict[str, str]  # knob -> why it is not screened


# -- the knobs' ranges ------------------------------------------------------------------------
def plan_screen(path: str | Path, users: int = DEFAULT_USERS, steps: int = DEFAULT_STEPS,
                knobs: list[str] | None = None, overrides: dict | None = None, span: float = SPAN) -> ScreenPlan:
    """The factors of a screen of the scenario at ``path``, with ``overrides`` (dotted keys), at the
    screen's size: every knob, or only ``knobs`` (the others keep the scenario's values).

    Raises ParamsError naming the file and key for a bad scenario, --users or --steps.
    """
    path = Path(path)
    base = load_params(path, {**(overrides or {}), "users.count": users, "simulation.steps": steps})
    asked = _asked(knobs, str(path))
    values, limits = flatten(base), limits_of(base)
    factors, not_screened = {}, {}
    for key, fld in schema_fields().items():
        if key not in asked:
            continue
        found = knob_range(key, values[key], fld, limits.get(key, {}), base, span)
        if isinstance(found, Factor):
            factors[key] = found
        else:
            not_screened[key] = found
    _keep_in_order(factors, not_screened, values)
    _keep_owned_platforms_within_count(factors, not_screened, values)
    _keep_divestiture_possible(factors, not_screened, values)
    _keep_guarantees_backed(factors, not_screened, values)
    return ScreenPlan(path.stem, path, _inside_ranges(base, factors), tuple(factors.values()), not_screened)


def _inside_ranges(base: Params, factors: dict[str, Factor]) -> Params:
    """The base with each screened knob moved into its range, if it lies outside (regulation.max_share = 1).

    No run sees these values (every run sets every screened knob from the design); they keep the
    base a valid scenario for each single move, as an experiment's checks want (spec._check_values).
    """
    values = flatten(base)
    moved = {key: min(max(values[key], f.low), f.high) for key, f in factors.items()
             if not f.switch and not f.low <= values[key] <= f.high}
    return load_params_from_dict(params_to_dict(base), moved) if moved else base


def _asked(knobs: list[str] | None, where: str) -> list[str]:
    every = list(schema_fields())
    if knobs is None:
        return every
    unknown = [key for key in knobs if key not in schema_fields()]
    if unknown:
        hints = [f"'{key}'" + "".join(f" (did you mean '{c}'?)" for c in difflib.get_close_matches(key, every, 1))
                 for key in unknown]
        raise ExperimentError(f"{where}: unknown knob(s) to screen: {', '.join(hints)}")
    return list(knobs)


def limits_of(params: Params) -> dict[str, dict[str, float]]:
    """Bounds that the schema's rules across knobs put on single knobs, at this scenario's values."""
    return {
        "regulation.max_share": {"lt": 1},  # divestiture (a switch the screen flips) needs a threshold below 1
        "cooperative.entry_month": {"lt": params.simulation.steps},  # a cooperative must open before the end
        "network.contacts": {"lt": params.users.count},  # no user knows more users than there are others
    }


def knob_range(key: str, value, fld, limits: dict, params: Params, span: float = SPAN) -> Factor | str:
    """The factor that moves a knob around its value, or why it is not screened."""
    reason = _why_not_moved(key, value, fld, params)
    if reason:
        return reason
    if fld.annotation is bool:
        return Factor(key, values=(False, True), low=0.0, high=1.0)
    edges = Edges.of(bounds_of(fld), limits)
    if fld.annotation is int:
        return _whole_range(key, value, edges, span)
    return _number_range(key, float(value), fld, edges, span)


def _why_not_moved(key: str, value, fld, params: Params) -> str | None:
    if key in NOT_MOVED:
        return NOT_MOVED[key]
    if isinstance(value, str) and takes_number(fld):
        return f'set to "{value}" here, a word, not a number to move'
    if isinstance(value, str):
        choices = " | ".join(f'"{c}"' for c in choices_of(fld))
        return f"a choice ({choices}): not a number to move (compare the choices with `compare`)"
    if key == "platforms.initial_user_price" and params.platforms.market == "ad_funded":
        return 'fixed at 0 in an ad-funded market (platforms.market = "ad_funded"): users pay nothing there'
    return None


@dataclass(frozen=True)
class Edges:
    """Where a knob may go: the tightest lower and upper bounds, each inclusive (ge, le) or not (gt, lt)."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False

    @classmethod
    def of(cls, *bound_sets: dict) -> Edges:
        """The tightest of several sets of bounds such as {"gt": 0, "le": 1} (the schema's, then limits)."""
        lows = [(b[k], k == "gt") for b in bound_sets for k in ("ge", "gt") if k in b]
        highs = [(b[k], k == "lt") for b in bound_sets for k in ("le", "lt") if k in b]
        low = max(lows, key=lambda edge: (edge[0], edge[1]), default=(None, False))
        high = min(highs, key=lambda edge: (edge[0], not edge[1]), default=(None, False))
        return cls(low[0], low[1], high[0], high[1])

    def clip(self, low: float, high: float) -> tuple[float, float]:
        """[low, high] inside the edges; an open edge is approached to 1% of the range."""
        if self.high is not None and high >= self.high:
            high = low + 0.99 * (self.high - low) if self.high_open else self.high
        if self.low is not None and low <= self.low:
            low = high - 0.99 * (high - self.low) if self.low_open else self.low
        return float(low), float(high)

    def whole(self) -> tuple[int | None, int | None]:
        """The lowest and highest whole numbers inside: ge 1 is 1, gt 1 is 2, lt 60 is 59."""
        low = None if self.low is None else math.floor(self.low) + 1 if self.low_open else math.ceil(self.low)
        high = None if self.high is None else math.ceil(self.high) - 1 if self.high_open else math.floor(self.high)
        return low, high

    def __str__(self) -> str:
        low = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        high = "" if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        return " and ".join(part for part in (low, high) if part) or "none"


def _number_range(key: str, value: float, fld, edges: Edges, span: float) -> Factor | str:
    if value == 0:
        zero = ZERO_RANGES.get(key, fld.default if isinstance(fld.default, float) else 0.0)
        low, high = zero if isinstance(zero, tuple) else (0.0, float(zero))
        if low == high:
            return "set to 0, with no step known to move it by (add one to screen.ZERO_RANGES)"
    else:
        low, high = sorted((value * (1 - span), value * (1 + span)))
    low, high = edges.clip(low, high)
    return Factor(key, low=low, high=high) if low < high else f"no room to move it within its bounds ({edges})"


def _whole_range(key: str, value: int, edges: Edges, span: float) -> Factor | str:
    """Four whole levels m apart, v - 2m to v + m, shifted (or cut) to fit the edges."""
    step = max(1, round(2 * span * abs(value) / 3))
    if key in EVEN:
        step += step % 2
    lowest, highest = edges.whole()
    low = value - 2 * step if lowest is None else max(lowest, value - 2 * step)
    high = low + 3 * step
    if highest is not None and high > highest:
        high = highest
        low = highest - 3 * step if lowest is None else max(lowest, highest - 3 * step)
    if low >= high:
        return f"no room to move it within its bounds ({edges})"
    return Factor(key, low=float(low), high=float(high), integer=True)


def _keep_in_order(factors: dict[str, Factor], not_screened: dict[str, str], values: dict) -> None:
    """The smaller of each ORDERED pair ends where the larger begins (its fixed value if not screened)."""
    for smaller, larger in ORDERED:
        if smaller not in factors:
            continue
        start = factors[larger].low if larger in factors else values[larger]
        factor = factors[smaller]
        if factor.high > start:
            if factor.low >= start:
                del factors[smaller]
                not_screened[smaller] = f"no room to move it below {larger} (the schema keeps it at most that)"
            else:
                factors[smaller] = replace(factor, high=float(start))


def _keep_owned_platforms_within_count(factors: dict[str, Factor], not_screened: dict[str, str], values: dict) -> None:
    """parent.platforms + cooperative.count <= platforms.count: the cooperatives' range leaves room for the scenario's
    parents' platforms, and the parents' range ends where the cooperatives' leaves none."""
    if "parent.platforms" not in factors and "cooperative.count" not in factors:
        return
    platforms = factors["platforms.count"].low if "platforms.count" in factors else values["platforms.count"]
    if "cooperative.count" in factors:
        _cut_below("cooperative.count", platforms - values["parent.platforms"], "platforms.count less parent.platforms",
                   factors, not_screened)
    cooperatives = factors["cooperative.count"].high if "cooperative.count" in factors else values["cooperative.count"]
    if "parent.platforms" in factors:
        _cut_below("parent.platforms", platforms - cooperatives, "platforms.count less cooperative.count",
                   factors, not_screened)


def _cut_below(key: str, most: float, what: str, factors: dict[str, Factor], not_screened: dict[str, str]) -> None:
    """The knob's range ends at ``most``; if that leaves it no room, it is not screened."""
    factor = factors[key]
    if factor.high <= most:
        return
    if factor.low >= most:
        del factors[key]
        not_screened[key] = f"no room to move it below {what} (the schema keeps it at most that)"
    else:
        factors[key] = replace(factor, high=float(most))


def _keep_divestiture_possible(factors: dict[str, Factor], not_screened: dict[str, str], values: dict) -> None:
    """Divestiture splits platforms above regulation.max_share: it cannot be on while that is held at 1."""
    if "regulation.divestiture" in factors and "regulation.max_share" not in factors and values["regulation.max_share"] >= 1:
        del factors["regulation.divestiture"]
        not_screened["regulation.divestiture"] = "needs regulation.max_share below 1, which this screen holds at 1"


def _keep_guarantees_backed(factors: dict[str, Factor], not_screened: dict[str, str], values: dict) -> None:
    """A rescue by guarantee (bailout.form = "guarantee") guarantees lenders' loans: no point without lenders."""
    if values["bailout.form"] != "guarantee":
        return
    if values["lending.enabled"]:
        if "lending.enabled" in factors and (values["bailout.enabled"] or "bailout.enabled" in factors):
            del factors["lending.enabled"]
            not_screened["lending.enabled"] = 'held on: bailout.form = "guarantee" guarantees the loans of lenders'
    elif "bailout.enabled" in factors:
        del factors["bailout.enabled"]
        not_screened["bailout.enabled"] = ('held off: bailout.form = "guarantee" needs lending.enabled, '
                                           "which is off here")


# -- the screen: an experiment, its runs and its effects --------------------------------------
def screen_experiment(plan: ScreenPlan, trajectories: int = DEFAULT_TRAJECTORIES, seed: int = DEFAULT_SEED) -> Experiment:
    """The Morris experiment of a plan, one run per point, every run with the same seed; checked as
    an experiment file is (an error names the scenario file and the key)."""
    if not plan.factors:
        raise ExperimentError(f"{plan.path}: no knob to screen")
    drawn = Experiment(path=str(plan.path), base=plan.base, factors=plan.factors, design="morris", seed=seed,
                       samples=trajectories, levels=LEVELS, seeds="common", description=f"knob census of {plan.name}")
    return experiment_from_tables(drawn.resolved(), plan.path)


def screen_outcomes(economy) -> dict[str, float]:
    """The outcomes that a run's summary lacks (the runner adds them to every run's row): model.outcomes.outcomes', and
    the venture investors' gain."""
    from model.outcomes import outcomes

    found = outcomes(economy)
    gain = venture_gain(economy.investor_frame()) / economy.params.users.count
    return {**{name: found[name] for name in FROM_COMPARE}, "venture_gain": gain}


def venture_gain(holdings: pd.DataFrame) -> float:
    """What venture investors got back (paid out and value held) less what they put in, in $. Founders (who paid
    nothing) and the state are not venture investors: how value is split between founders and investors shows
    here, and a market without venture capital (all cooperatives) has a gain of 0, not an undefined multiple."""
    if holdings.empty:
        return 0.0
    venture = holdings[holdings["holder"].str.startswith("investor:")]
    return float(venture["paid_out"].sum() + venture["holding_value"].sum() - venture["invested"].sum())


def with_outcomes(runs: pd.DataFrame, users: int) -> pd.DataFrame:
    """The runs with the outcomes derived from their summary: an event that never happens is at the run's end, and
    the public cost of rescues (the summary's, in $) is per potential user of the screen's ``users``, as
    model.outcomes.outcomes gives it."""
    return runs.assign(hhi_at_end=runs["final_hhi"].fillna(0.0),
                       months_to_lock_in=runs["lock_in_month"].fillna(runs["steps"]),
                       public_cost_total=runs["public_cost_total"] / users)


def run_screen(experiment: Experiment, out: str | Path, **where):
    """Run a screen's experiment into ``out`` (resuming what is there); ``where``: run_experiment's options."""
    from model.experiments.runner import run_experiment

    return run_experiment(experiment, out, metrics=screen_outcomes, **where)


def knob_effects(folder: str | Path, scenario: str, resamples: int = 1000) -> pd.DataFrame:
    """Per knob and outcome of a screen's results folder (tidy): ``scenario``, ``knob``, ``outcome``,
    ``mu_star`` and ``mu_star_conf`` (the half-width of its 95% interval), ``sigma`` and ``normalised_effect``."""
    from model.experiments.store import ResultStore

    store = ResultStore(folder)
    design, runs, experiment = store.design(), store.runs(), store.experiment()
    _check_complete(runs, len(design.points), folder)
    return effects_of(design, with_outcomes(runs, experiment.base.users.count), scenario, list(OUTCOMES), resamples,
                      experiment.seed)


def effects_of(design, runs: pd.DataFrame, scenario: str, outcomes: list[str], resamples: int = 1000,
               seed: int = 0) -> pd.DataFrame:
    """knob_effects' table from a Morris design and its runs (one per point, with the outcomes as columns)."""
    import pandas as pd

    table = pd.concat([_effects_on(outcome, design, runs, resamples, seed) for outcome in outcomes], ignore_index=True)
    table.insert(0, "scenario", scenario)
    order = {key: place for place, key in enumerate(schema_fields())}
    return table.sort_values("knob", key=lambda knobs: knobs.map(order), kind="stable").reset_index(drop=True)


def _effects_on(outcome: str, design, runs: pd.DataFrame, resamples: int, seed: int) -> pd.DataFrame:
    """Every knob's Morris indices on one outcome (analysis.sensitivity_indices), and its normalised effect."""
    import numpy as np
    import pandas as pd

    from model.experiments.analysis import point_means, sensitivity_indices

    knobs = [f.key for f in design.factors]
    if runs.loc[runs["status"] == "ok", outcome].isna().any():
        # Undefined at some point (the pioneers' multiple in a market where no platform has shareholders): Morris
        # needs every point, so the outcome gets no effect in this screen (n/a), rather than none.
        return pd.DataFrame({"knob": knobs, "outcome": outcome, "mu_star": np.nan, "mu_star_conf": np.nan,
                             "sigma": np.nan, "normalised_effect": np.nan})
    with warnings.catch_warnings():  # one trajectory has no spread: sigma is NaN, and numpy says so
        warnings.simplefilter("ignore", RuntimeWarning)
        indices = sensitivity_indices(design, runs, [outcome], method="morris", num_resamples=resamples, seed=seed)
    estimate = indices.pivot(index="parameter", columns="index", values="estimate")
    mu_star = indices[indices["index"] == "mu_star"].set_index("parameter")
    spread = float(np.std(point_means(runs, design, outcome), ddof=1))  # over the screen's runs
    return pd.DataFrame({
        "knob": knobs, "outcome": outcome, "mu_star": estimate.loc[knobs, "mu_star"].to_numpy(),
        "mu_star_conf": ((mu_star["ci95_high"] - mu_star["ci95_low"]) / 2).loc[knobs].to_numpy(),
        "sigma": estimate.loc[knobs, "sigma"].to_numpy(),
        "normalised_effect": estimate.loc[knobs, "mu_star"].to_numpy() / spread if spread > 0 else 0.0,
    })


def _check_complete(runs, points: int, folder) -> None:
    """Every point must have its run, and every run must have succeeded: Morris needs them all."""
    from model.experiments.store import FAILED

    failed = runs[runs["status"] == FAILED]
    if len(failed):
        raise ExperimentError(f"{folder}: {len(failed)} of {len(runs)} runs failed, e.g. run {failed['run_id'].iloc[0]}: "
                              f"{str(failed['error'].iloc[0]).splitlines()[0]} (the runs' 'error' column has them all)")
    if len(runs) < points:
        raise ExperimentError(f"{folder}: {len(runs)} of {points} runs on disk: run the same command to finish the screen")


def inert_knobs(effects: pd.DataFrame) -> pd.DataFrame:
    """(scenario, knob) pairs whose normalised effect is at most INERT_TOLERANCE on every outcome."""
    largest = effects.groupby(["scenario", "knob"], sort=False)["normalised_effect"].max()
    return largest[largest <= INERT_TOLERANCE].reset_index()[["scenario", "knob"]]


def knobs_inert_everywhere(effects: pd.DataFrame) -> list[str]:
    """Knobs screened somewhere and inert wherever they were screened."""
    largest = effects.groupby("knob", sort=False)["normalised_effect"].max()
    return list(largest.index[largest <= INERT_TOLERANCE])


# -- a command's screens: the files it writes ---------------------------------------------------
PARAMS = Path(__file__).resolve().parents[2] / "params"  # the repository's, when the package is installed from it


def shipped_scenarios() -> list[Path]:
    """The baseline and every scenario in params/scenarios/ (named relative to the working folder when inside it)."""
    paths = [PARAMS / "baseline.toml", *sorted((PARAMS / "scenarios").glob("*.toml"))]
    here = Path.cwd().resolve()
    return [path.relative_to(here) if path.is_relative_to(here) else path for path in paths]
