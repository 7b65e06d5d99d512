"""Experiment files: what to run (base scenario, varied parameters, design, replicates, outputs).

An experiment is a TOML file under ``params/experiments/``::

    [experiment]
    description = "Network effect x switching cost"
    base = "../baseline.toml"           # the scenario every run starts from (relative to this file)
    design = "grid"                     # "grid", "latin" (hypercube), "sobol" (Saltelli) or "morris"
    replicates = 10                     # runs per point, each with its own seed
    seed = 2024                         # master seed: every run's seed is spawned from it

    [set]                               # changes to the base applied to every run
    "users.count" = 2000

    [vary]                              # a list of values, or a range {low, high, num}
    "network.effect" = [1.0, 2.0, 3.0]  # (sampled designs: a range {low, high}; true/false: [false, true])
    "switching.cost_per_month" = { low = 0.0, high = 0.12, num = 4 }

    [keep]
    model_frame = false                 # also store every run's per-month model frame
    outputs = ["final_hhi", "lock_in_month"]   # what `summarize` and `sensitivity` report by default

Everything is checked when the file is loaded, before any run starts: an unknown key (with the
closest valid name), an empty range, an unknown design, fewer than one replicate, a value the
parameter does not allow, an unknown output in keep.outputs, and ``simulation.seed`` in [set] or
[vary] (every run's seed comes from the design: see designs.run_seed). Every problem is a line
naming the file and the key.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from model.params import Params, ParamsError, load_params, params_to_dict
from model.params.reference import choices_of, schema_fields, takes_number

DESIGNS = ("grid", "latin", "sobol", "morris")
DESIGN_ALIASES = {"lhs": "latin", "latin_hypercube": "latin", "saltelli": "sobol", "full_grid": "grid", "factorial": "grid"}
SAMPLED = ("latin", "sobol", "morris")  # designs that draw points from ranges {low, high}
DEFAULT_OUTPUTS = ("final_hhi", "leader_final_share", "lock_in_month", "extraction_month", "public_cost_net")
# Every run's summary outputs (runner.summary_outputs of economy.summary()); a test checks them against a run.
MODEL_OUTPUTS = (
    "steps", "lock_in_month", "extraction_month", "decline_month", "final_hhi", "leader_id", "leader_final_share",
    "regime", "bounds_platforms_max_ad_load", "bounds_regulation_ad_load_cap", "bounds_platforms_min_user_price",
    "bounds_platforms_max_user_price", "bounds_platforms_max_quality_spend", "bounds_market_min_sentiment",
    "bounds_market_max_sentiment", "active_platforms", "failures", "peaks_leader_user_surplus", "peaks_leader_advertiser_surplus",
    "peaks_leader_advertiser_surplus_per_dollar", "peaks_leader_profit", "advertisers_ad_revenue_share_last_5_years",
    "advertisers_surplus_per_dollar_fall", "advertisers_impressions_growth_last_year",
    "advertisers_price_per_impression_growth_last_year", "public_cost_disbursed", "public_cost_recovered", "public_cost_net", "public_cost_subsidy",
    "public_cost_deadweight", "public_cost_total", "public_cost_guaranteed_at_end", "public_cost_rescues", "public_cost_supplier_rescues",
    "public_cost_payouts_after_rescue",
    "public_revenue", "acquisitions", "blocked_mergers", "entries", "pioneer_share_of_payouts", "total_payouts",
    "calibration_burn_multiple_last_growth_year", "calibration_years_to_first_profitable_year",
    "calibration_cumulative_losses_in_years_of_peak_revenue", "calibration_leader_share_at_end",
    "calibration_revenue_per_user_rise", "calibration_years_to_half_final_users",
)
SEED_KEY = "simulation.seed"  # set by the design for every run (designs.run_seed), never by [set] or [vary]
MAX_AXIS_VALUES = 1_000_000  # values of one grid range { low, high, num }: more is surely a typo
LARGE_SWEEP = 100_000  # runs; a larger sweep must be confirmed (sweep --yes, run_experiment(allow_large=True))

_TABLES = {
    "experiment": {"description", "base", "design", "replicates", "seed", "samples", "second_order", "levels", "seeds"},
    "set": None,  # parameter keys
    "vary": None,
    "keep": {"model_frame", "outputs"},
    "base": None,  # a resolved experiment (written into a results folder) carries its base inline
}
_RANGE_KEYS = {"low", "high", "num", "log"}


class ExperimentError(ParamsError):
    """An experiment file that cannot be run; the message names the file and the key."""


class SweepUnavailable(ExperimentError):
    """Something a sweep needs is not available now: its folder is in use, or no scheduler answers."""


@dataclass(frozen=True)
class Factor:
    """One varied parameter: explicit ``values`` (a grid axis) or ``low``/``high`` bounds (sampled).

    A sampled design takes a true/false parameter as ``[false, true]``: both, with bounds 0 and 1.
    """

    key: str
    values: tuple = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False

    def as_toml(self):
        return list(self.values) if self.values else {"low": self.low, "high": self.high}

    @property
    def switch(self) -> bool:
        """A true/false parameter of a sampled design: drawn on [0, 1], true from 0.5 up."""
        return self.low is not None and self.values == (False, True)


@dataclass(frozen=True)
class Experiment:
    """A loaded, validated experiment. ``base`` holds the resolved base parameters (with [set])."""

    path: str
    base: Params
    factors: tuple[Factor, ...]
    design: str = "grid"
    replicates: int = 1
    seed: int = 0
    samples: int | None = None
    second_order: bool = True
    levels: int = 4
    seeds: str = "independent"
    keep_model_frame: bool = False
    outputs: tuple[str, ...] = DEFAULT_OUTPUTS
    description: str = ""
    settings: dict = field(default_factory=dict)  # the [set] table as written, for the record

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.factors]

    def resolved(self) -> dict:
        """The experiment as plain tables, with the whole base scenario inline (``[base]``).

        Written into the results folder as ``experiment.toml``: loading that file repeats the
        experiment exactly, and its fingerprint tells whether a folder may be resumed.
        """
        experiment = {"description": self.description, "design": self.design, "replicates": self.replicates,
                      "seed": self.seed, "seeds": self.seeds}
        if self.design in SAMPLED:
            experiment["samples"] = self.samples
        if self.design == "sobol":
            experiment["second_order"] = self.second_order
        if self.design == "morris":
            experiment["levels"] = self.levels
        return {
            "experiment": experiment,
            "vary": {f.key: f.as_toml() for f in self.factors},
            "keep": {"model_frame": self.keep_model_frame, "outputs": list(self.outputs)},
            "base": params_to_dict(self.base),
        }

    def to_toml(self) -> str:
        header = f"# Resolved from {self.path}; load it with load_experiment() to repeat the experiment.\n"
        return header + tomli_w.dumps(self.resolved())

    def fingerprint(self) -> str:
        """A hash of what determines the runs (not where the file lives or its description)."""
        content = self.resolved()
        content["experiment"].pop("description")
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


# -- loading ----------------------------------------------------------------------------------
def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file; raises ExperimentError listing every problem."""
    path = Path(path)
    return experiment_from_tables(_read(path), path)


def experiment_from_tables(data: dict, path: str | Path) -> Experiment:
    """Check an experiment given as tables (an experiment file read, or built in memory) and make it.

    ``path`` names it in messages, and a relative ``experiment.base`` is read from its folder.
    """
    path = Path(path)
    problems: list[str] = []
    where = str(path)
    _check_tables(data, where, problems)
    head = data.get("experiment", {}) if isinstance(data.get("experiment"), dict) else {}
    settings = _dotted(data.get("set", {}), where, "set", problems)
    base = _base(data, head, settings, path, problems)
    check = _value_checker(data, head, settings, path)
    design = _design(head, where, problems)
    replicates = _whole(head, "replicates", 1, 1, where, problems)
    seed = _whole(head, "seed", 0, 0, where, problems)
    seeds = head.get("seeds", "independent")
    if seeds not in ("independent", "common"):
        problems.append(f"{where}: experiment.seeds = {seeds!r}: must be \"independent\" (a seed per run) "
                        "or \"common\" (the same seeds at every point: common random numbers)")
    samples = _samples(head, design, where, problems)
    levels = _whole(head, "levels", 4, 2, where, problems)
    second_order = head.get("second_order", True)
    if not isinstance(second_order, bool):
        problems.append(f"{where}: experiment.second_order = {second_order!r}: must be true or false")
    factors = _factors(data.get("vary", {}), design, where, problems)
    keep = data.get("keep", {}) if isinstance(data.get("keep"), dict) else {}
    keep_frame, outputs = _keep(keep, where, problems)
    if base is not None and factors:
        _check_values(check, base, factors, where, problems)
    if problems:
        raise ExperimentError("\n".join(problems))
    return Experiment(
        path=where, base=base, factors=tuple(factors), design=design, replicates=replicates, seed=seed,
        samples=samples, second_order=second_order, levels=levels, seeds=seeds, keep_model_frame=keep_frame,
        outputs=outputs, description=str(head.get("description", "")), settings=settings,
    )


def _read(path: Path) -> dict:
    if not path.is_file():
        raise ExperimentError(f"{path}: no such experiment file" if not path.exists() else f"{path}: is not a file")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ExperimentError(f"{path}: malformed TOML: {error}") from None


def _close(name: str, names) -> str:
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def _check_tables(data: dict, where: str, problems: list[str]) -> None:
    for table, value in data.items():
        if table not in _TABLES:
            problems.append(f"{where}: unknown table [{table}]{_close(table, _TABLES)} (allowed: "
                            + ", ".join(f"[{t}]" for t in _TABLES if t != "base") + ")")
        elif not isinstance(value, dict):
            problems.append(f"{where}: {table} must be a table [{table}], got {value!r}")
        elif _TABLES[table] is not None:
            for key in value:
                if key not in _TABLES[table]:
                    problems.append(f"{where}: unknown key '{table}.{key}'{_close(key, _TABLES[table])}")


def _dotted(table, where: str, name: str, problems: list[str]) -> dict:
    """Parameter keys of [set] or [vary] as dotted names: "network.effect" or [vary.network] effect."""
    if not isinstance(table, dict):
        return {}
    flat: dict = {}
    for key, value in table.items():
        if key in Params.model_fields and isinstance(value, dict) and not set(value) <= _RANGE_KEYS:
            flat.update({f"{key}.{sub}": v for sub, v in value.items()})
        else:
            flat[key] = value
    if SEED_KEY in flat:
        problems.append(f"{where}: [{name}] {SEED_KEY}: every run's seed is spawned from experiment.seed (one per "
                        "point and replicate); set experiment.replicates for more seeds per point, experiment.seeds = "
                        '"common" for the same seeds at every point, or experiment.seed for another set of seeds')
        flat.pop(SEED_KEY)
    for key in [k for k in flat if k not in schema_fields()]:
        close = difflib.get_close_matches(key, list(schema_fields()), n=3, cutoff=0.6)
        hint = f" — did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        problems.append(f"{where}: [{name}] unknown parameter '{key}'{hint} (`python -m model params` lists them)")
    return {k: v for k, v in flat.items() if k in schema_fields()}


def _base(data: dict, head: dict, settings: dict, path: Path, problems: list[str]) -> Params | None:
    """The base scenario with [set] applied: from ``experiment.base`` (a file) or an inline [base]."""
    where = str(path)
    if "base" in data:  # a resolved experiment from a results folder
        if not _is_table_of_tables(data["base"], where, problems):
            return None
        try:
            return load_params_from_dict(data["base"], settings)
        except ParamsError as error:
            problems.append(f"{where}: [base]: {error}")
            return None
    if "base" not in head:
        problems.append(f"{where}: experiment.base is missing: the scenario file every run starts from, "
                        'e.g. base = "../baseline.toml"')
        return None
    if not isinstance(head["base"], str):
        problems.append(f"{where}: experiment.base = {head['base']!r}: expected the path of a parameter file")
        return None
    base_path = path.parent / head["base"]
    try:
        return load_params(base_path, settings)
    except ParamsError as error:
        problems.extend(_reword(str(error), base_path, where, "[set]"))
        return None


def _is_table_of_tables(base, where: str, problems: list[str]) -> bool:
    """An inline [base] holds one table per kind of agent: [base.users], [base.network], ..."""
    if not isinstance(base, dict):
        return False  # _check_tables has said so
    bad = [name for name, values in base.items() if not isinstance(values, dict)]
    for name in bad:
        problems.append(f"{where}: [base] {name} = {base[name]!r}: must be a table of parameters [base.{name}]")
    return not bad


def load_params_from_dict(tables: dict, overrides: dict | None = None) -> Params:
    """Parameters from plain tables (e.g. a resolved experiment's [base]) with dotted overrides."""
    from pydantic import ValidationError

    data = {table: dict(values) for table, values in tables.items()}
    for key, value in (overrides or {}).items():
        table, name = key.split(".")
        data.setdefault(table, {})[name] = value
    try:
        return Params.model_validate(data)
    except ValidationError as error:
        raise ParamsError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())) from None


def _reword(message: str, base_path: Path, where: str, table: str) -> list[str]:
    """load_params names the override source '<base> (override)'; name the experiment file instead."""
    prefix = f"{base_path} (override): "
    return [f"{where}: {table} {line.removeprefix(prefix)}" if line.startswith(prefix) else f"{where}: base: {line}"
            for line in message.splitlines()]


def _design(head: dict, where: str, problems: list[str]) -> str:
    design = head.get("design", "grid")
    design = DESIGN_ALIASES.get(design, design) if isinstance(design, str) else design
    if design not in DESIGNS:
        problems.append(f"{where}: experiment.design = {design!r} is not a design{_close(str(design), DESIGNS)} "
                        f"(allowed: {', '.join(repr(d) for d in DESIGNS)})")
        return "grid"
    return design


def _whole(head: dict, key: str, default: int, least: int, where: str, problems: list[str]) -> int:
    value = head.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        problems.append(f"{where}: experiment.{key} = {value!r}: must be a whole number >= {least}")
        return default
    return value


def _samples(head: dict, design: str, where: str, problems: list[str]) -> int | None:
    if design not in SAMPLED:
        if "samples" in head:
            problems.append(f"{where}: experiment.samples is only used by the latin, sobol and morris designs")
        return None
    if "samples" not in head:
        what = {"latin": "points", "sobol": "base samples N (a power of 2)", "morris": "trajectories"}[design]
        problems.append(f"{where}: experiment.samples is missing: the design '{design}' needs the number of {what}")
        return None
    samples = _whole(head, "samples", 0, 1, where, problems)
    if design == "sobol" and samples and samples & (samples - 1):
        problems.append(f"{where}: experiment.samples = {samples}: Sobol sequences need a power of 2 "
                        f"(e.g. {2 ** round(math.log2(samples))})")
    return samples


def _factors(vary, design: str, where: str, problems: list[str]) -> list[Factor]:
    flat = _dotted(vary, where, "vary", problems)
    if not flat and not any("[vary]" in p for p in problems):
        problems.append(f"{where}: [vary] is empty: name at least one parameter to vary")
    return [factor for key, spec in flat.items() if (factor := _factor(key, spec, design, where, problems))]


def _factor(key: str, spec, design: str, where: str, problems: list[str]) -> Factor | None:
    fld = schema_fields()[key]
    integer = fld.annotation is int
    numeric = takes_number(fld)  # also a number-or-word parameter (users.outside_utility)
    name = f"[vary] {key}"
    if isinstance(spec, list):
        if design in SAMPLED:
            if fld.annotation is bool and _both_booleans(spec):
                return Factor(key, values=(False, True), low=0.0, high=1.0)
            problems.append(f"{where}: {name}: the design '{design}' samples from a range; "
                            "write {{ low = ..., high = ... }} instead of a list (a true/false parameter: [false, true])")
            return None
        if not spec:
            problems.append(f"{where}: {name} = []: empty list of values")
            return None
        if len(set(map(repr, spec))) < len(spec):
            problems.append(f"{where}: {name} = {spec}: a value is repeated")
            return None
        return Factor(key, values=tuple(spec), integer=integer)
    if not isinstance(spec, dict):
        problems.append(f"{where}: {name} = {spec!r}: expected a list of values or a range {{ low, high, num }}")
        return None
    unknown = set(spec) - _RANGE_KEYS
    if unknown:
        problems.append(f"{where}: {name}: unknown range key(s) {sorted(unknown)} (allowed: low, high, num, log)")
        return None
    if not numeric:
        allowed = " | ".join(repr(c) for c in choices_of(fld)) or "true | false"
        problems.append(f"{where}: {name}: not a number; list the values to try instead ({allowed})")
        return None
    low, high = spec.get("low"), spec.get("high")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
        problems.append(f"{where}: {name}: a range needs numbers low and high, got low = {low!r}, high = {high!r}")
        return None
    if design in SAMPLED:
        if not low < high:
            problems.append(f"{where}: {name}: empty range: low = {low} must be below high = {high}")
            return None
        return Factor(key, low=float(low), high=float(high), integer=integer)
    return _grid_axis(key, spec, low, high, integer, where, problems)


def _both_booleans(spec: list) -> bool:
    """[false, true] in either order: a true/false parameter drawn by a sampled design."""
    return len(spec) == 2 and all(isinstance(v, bool) for v in spec) and set(spec) == {False, True}


def _grid_axis(key, spec, low, high, integer, where, problems) -> Factor | None:
    import numpy as np

    name = f"[vary] {key}"
    num = spec.get("num")
    if not isinstance(num, int) or isinstance(num, bool) or num < 1:
        problems.append(f"{where}: {name}: a grid range needs num = the number of values (a whole number >= 1), got {num!r}")
        return None
    if num > MAX_AXIS_VALUES:
        problems.append(f"{where}: {name}: num = {num:,} values; a grid range takes at most {MAX_AXIS_VALUES:,}")
        return None
    if low > high or (num > 1 and low == high):
        problems.append(f"{where}: {name}: empty range: low = {low}, high = {high} with num = {num}")
        return None
    if spec.get("log"):
        if low <= 0:
            problems.append(f"{where}: {name}: a log range needs low > 0")
            return None
        values = np.geomspace(low, high, num)
    else:
        values = np.linspace(low, high, num)
    values = [int(round(v)) for v in values] if integer else [float(v) for v in values]
    if len(set(values)) < len(values):
        problems.append(f"{where}: {name}: {num} whole numbers do not fit between {low} and {high}")
        return None
    return Factor(key, values=tuple(values), integer=integer)


def _keep(keep: dict, where: str, problems: list[str]) -> tuple[bool, tuple[str, ...]]:
    frame = keep.get("model_frame", False)
    if not isinstance(frame, bool):
        problems.append(f"{where}: keep.model_frame = {frame!r}: must be true or false")
    outputs = keep.get("outputs", list(DEFAULT_OUTPUTS))
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        problems.append(f"{where}: keep.outputs = {outputs!r}: must be a non-empty list of output names")
        outputs = list(DEFAULT_OUTPUTS)
    for name in outputs:
        if name not in MODEL_OUTPUTS:
            problems.append(f"{where}: keep.outputs: unknown output '{name}'{_close(name, MODEL_OUTPUTS)} (allowed: "
                            f"{', '.join(MODEL_OUTPUTS)}; a metrics function's outputs are summarized with "
                            "`summarize --outputs`)")
    return frame is True, tuple(outputs)


def _value_checker(data: dict, head: dict, settings: dict, path: Path):
    """A function that raises ParamsError, in the parameter module's words, for a bad override."""
    if "base" in data:
        return lambda overrides: load_params_from_dict(data["base"], {**settings, **overrides})
    base_path = path.parent / str(head.get("base"))
    return lambda overrides: load_params(base_path, {**settings, **overrides})


def _check_values(check, base: Params, factors: list[Factor], where: str, problems: list[str]) -> None:
    """Every value (or both bounds) of every factor must be allowed, with the others at base.

    Each value is tried on the loaded base (fast: a range may hold many values); one that fails is
    checked again by ``check``, for the parameter module's own words.
    """
    tables = params_to_dict(base)
    for factor in factors:
        for value in factor.values or (factor.low, factor.high):
            value = int(round(value)) if factor.integer and isinstance(value, float) else value
            try:
                load_params_from_dict(tables, {factor.key: value})
            except ParamsError:
                try:
                    check({factor.key: value})
                except ParamsError as error:
                    problems.extend(f"{where}: [vary] {line.split(' (override): ', 1)[-1]}"
                                    for line in str(error).splitlines())
