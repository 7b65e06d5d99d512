"""Case studies: a real market, its parameter file and the moments it is judged by (DESIGN §6).

A case file (``params/cases/NAME.toml``) is a parameter file with one more table, ``[case]``: the
market it stands for, the calendar year of its first month, the parameters left free for estimation
(with bounds) and its moments: which figure of a run, its target range, the regime (tipped or
contested) the real market was in, whether it is held out of the fit, and the data series it comes
from (``data/``); and charts: a real series beside the model's band (``model.bands``). Facts from different markets are never pooled: each case is judged on its own.

    from model.cases import load_case, moment_table
    case = load_case("params/cases/social_network.toml")
    case.params              # validated Params, as load_params gives them
    moment_table(case, summaries)   # per moment: share of seeds in range, its interval, quartiles

A parameter point is judged by the share of seeds whose moment falls in its target range, counted
among the seeds in the moment's regime, with a Wilson interval: never by one median of a bimodal
outcome (issue 18).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from model.bands import SERIES, selected_rows
from model.data import available_series
from model.params import ParamsError, load_params
from model.params.reference import schema_fields
from model.params.schema import Params
from model.statistics import wilson_interval

# Each moment: where a run's summary (metrics.summarize) holds it, and what it measures.
MOMENTS: dict[str, tuple[str, str]] = {
    "revenue_per_user_rise": ("calibration.revenue_per_user_rise",
                              "leader's revenue per user (12-month mean): its highest after lock-in over its level at lock-in"),
    "ad_revenue_share": ("advertisers.ad_revenue_share_last_5_years",
                         "share of the leader's revenue from advertising over the last five years"),
    "advertiser_squeeze": ("advertisers.surplus_per_dollar_fall",
                           "fall of advertisers' surplus per dollar spent on the leader, from its peak to the end"),
    "impressions_growth_last_year": ("advertisers.impressions_growth_last_year",
                                     "growth of the leader's impressions sold, last year over the year before"),
    "price_per_impression_growth_last_year": ("advertisers.price_per_impression_growth_last_year",
                                              "growth of the leader's price per impression, last year over the year before"),
    "leader_share_at_end": ("leader_final_share", "leader's share of platform users in the last month"),
    "final_hhi": ("final_hhi", "Herfindahl index of user shares in the last month"),
    "burn_multiple_last_growth_year": ("calibration.burn_multiple_last_growth_year",
                                       "leader's costs per dollar of revenue over its last year of growth"),
    "years_to_first_profitable_year": ("calibration.years_to_first_profitable_year",
                                       "years from the start to the leader's first profitable calendar year"),
    "cumulative_losses_in_years_of_peak_revenue": ("calibration.cumulative_losses_in_years_of_peak_revenue",
                                                   "leader's losses before its first profitable year, in years of its peak revenue"),
    "years_to_half_final_users": ("calibration.years_to_half_final_users",
                                  "years from the start until the leader first holds half of its final users"),
}
REGIME_CHOICES = ("tipped", "contested", "any")


class CaseError(ParamsError):
    """A case file that cannot be used; the message names the file, the key and what is allowed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FreeParameter(_Strict):
    """A parameter the estimation may move, within [low, high] (inside the schema's own range)."""

    key: str = Field(description="dotted parameter name, e.g. 'funding.min_share_of_leader'")
    low: float
    high: float

    @model_validator(mode="after")
    def _known_and_ordered(self):
        if self.key not in schema_fields():
            raise ValueError(f"free parameter {self.key!r} is not a parameter of the model")
        if not self.low < self.high:
            raise ValueError(f"free parameter {self.key!r}: low ({self.low}) must be below high ({self.high})")
        return self


class Moment(_Strict):
    """A figure of a run, the range the real market puts it in, and the regime it was observed in."""

    name: str = Field(description="one of model.cases.MOMENTS")
    low: float | None = None
    high: float | None = None
    regime: Literal["tipped", "contested", "any"] = "any"
    held_out: bool = False
    data: str | None = Field(default=None, description="the series in data/ the target comes from")
    source: str = Field(description="the real figure and where it comes from, in words")

    @model_validator(mode="after")
    def _valid(self):
        if self.name not in MOMENTS:
            raise ValueError(f"moment {self.name!r} is unknown; known moments: {sorted(MOMENTS)}")
        if self.low is None and self.high is None:
            raise ValueError(f"moment {self.name!r} needs a target: low, high or both")
        if self.low is not None and self.high is not None and not self.low <= self.high:
            raise ValueError(f"moment {self.name!r}: low ({self.low}) must not exceed high ({self.high})")
        if self.data is not None and self.data not in available_series():
            raise ValueError(f"moment {self.name!r}: no series {self.data!r} in data/ (available: {available_series()})")
        return self

    def in_range(self, values: np.ndarray) -> np.ndarray:
        """Whether each value is in the target range (a missing value, NaN, is not)."""
        values = np.asarray(values, dtype=float)
        inside = np.isfinite(values)
        if self.low is not None:
            inside &= values >= self.low
        if self.high is not None:
            inside &= values <= self.high
        return inside

    @property
    def target(self) -> str:
        if self.high is None:
            return f"at least {self.low:g}"
        if self.low is None:
            return f"at most {self.high:g}"
        return f"{self.low:g} to {self.high:g}"


class Chart(_Strict):
    """A real series set beside the model's band on the real calendar (model.bands)."""

    data: str = Field(description="the series in data/")
    per: str | None = Field(default=None, description="a series of data/ that divides it, period by period")
    # Left out of a dump when it chooses nothing: a chart written before it existed keeps its case's fingerprint.
    where: dict[str, str] = Field(default_factory=dict, exclude_if=lambda where: not where,
                                  description="the rows of the series to draw, by label column "
                                  "(e.g. company = \"uber\"): needed where it has several rows a period")
    model: str = Field(description="the model's series beside it: one of model.bands.SERIES")
    regime: Literal["tipped", "contested", "any"] = Field(default="any", description="the runs the band is drawn from")
    title: str = Field(description="what the chart compares, in a sentence")

    @model_validator(mode="after")
    def _valid(self):
        for series in (self.data, self.per):
            if series is not None and series not in available_series():
                raise ValueError(f"chart: no series {series!r} in data/ (available: {available_series()})")
        selected_rows(self.data, self.where)  # a column it lacks, a value no row has, or periods left repeated
        if self.model not in SERIES:
            raise ValueError(f"chart: model series {self.model!r} is unknown; known: {sorted(SERIES)}")
        return self


class CaseSpec(_Strict):
    """The ``[case]`` table of a case file."""

    name: str
    market: str = Field(description="the real market the case stands for, in a sentence")
    start_year: int = Field(ge=1990, le=2100, description="calendar year of the run's first month")
    free: list[FreeParameter] = Field(min_length=1)
    moments: list[Moment] = Field(min_length=2)
    charts: list[Chart] = Field(default_factory=list, description="real series beside the model's band")

    @model_validator(mode="after")
    def _one_held_out_and_one_fitted(self):
        held = [m.held_out for m in self.moments]
        if not any(held) or all(held):
            raise ValueError("a case needs at least one moment fitted and at least one held out (held_out = true)")
        return self


class Case(BaseModel):
    """A case study: its specification and its parameters."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    path: Path
    spec: CaseSpec
    params: Params

    @property
    def name(self) -> str:
        return self.spec.name


def load_case(path: str | Path) -> Case:
    """The case file at ``path``: its ``[case]`` table validated, its parameters as load_params reads them.

    Raises CaseError naming the file and every problem, or ParamsError for the parameters.
    """
    path = Path(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("case")
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CaseError(f"{path}: {error}") from None
    if not isinstance(table, dict):
        raise CaseError(f"{path}: no [case] table: a case file is a parameter file with a [case] table "
                        "(market, start_year, [[case.free]], [[case.moments]]; see params/cases/README.md)")
    try:
        spec = CaseSpec.model_validate(table)
    except ValidationError as error:
        lines = [f"{path}: case.{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}" if problem["loc"]
                 else f"{path}: case: {problem['msg']}" for problem in error.errors()]
        raise CaseError("\n".join(lines)) from None
    params = load_params(path, ignore_tables=("case",))
    _check_free_parameters_in_schema_range(spec, params, path)
    return Case(path=path, spec=spec, params=params)


def _check_free_parameters_in_schema_range(spec: CaseSpec, params: Params, path: Path) -> None:
    """Each free parameter's bounds must be values the schema accepts."""
    problems = []
    for free in spec.free:
        for bound in (free.low, free.high):
            try:
                load_params(path, {free.key: bound}, ignore_tables=("case",))
            except ParamsError as error:
                problems.append(f"{path}: case.free {free.key!r}: bound {bound:g} is not allowed ({error})")
    if problems:
        raise CaseError("\n".join(problems))


def moment_value(summary: dict, name: str) -> float:
    """A run's value of the moment ``name`` (NaN if the run does not have it, e.g. never profitable)."""
    value = summary
    for part in MOMENTS[name][0].split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return float(value) if value is not None else float("nan")


def moment_column(name: str) -> str:
    """The column of a sweep's runs (model.experiments.runner.summary_outputs) that holds moment ``name``."""
    return MOMENTS[name][0].replace(".", "_")


def _values_and_regimes(runs, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Each run's value of the moment and its regime, from run summaries or a sweep's runs (a frame)."""
    if isinstance(runs, pd.DataFrame):
        column = moment_column(name)
        values = runs[column].astype(float).to_numpy() if column in runs else np.full(len(runs), np.nan)
        return values, runs["regime"].astype(str).to_numpy()
    return (np.array([moment_value(s, name) for s in runs], dtype=float),
            np.array([str(s.get("regime")) for s in runs]))


def moment_table(case: Case, runs) -> pd.DataFrame:
    """Per moment: its target and regime, the runs in that regime, the share of them in range with a
    95% Wilson interval, the model's quartiles over those runs and how many lack the moment.

    ``runs``: run summaries (``economy.summary()``, a list) or a sweep's runs (a frame with the
    flattened outputs, as model.experiments writes them)."""
    rows = []
    for moment in case.spec.moments:
        all_values, regimes = _values_and_regimes(runs, moment.name)
        values = all_values if moment.regime == "any" else all_values[regimes == moment.regime]
        inside = int(moment.in_range(values).sum())
        low, high = wilson_interval(inside, len(values))
        finite = values[np.isfinite(values)]
        quartiles = np.percentile(finite, [25, 50, 75]) if finite.size else [np.nan] * 3
        rows.append({
            "moment": moment.name, "target": moment.target, "regime": moment.regime, "held_out": moment.held_out,
            "runs": len(values), "in_range": inside, "share_in_range": inside / len(values) if len(values) else np.nan,
            "share_low": low, "share_high": high, "q25": quartiles[0], "median": quartiles[1], "q75": quartiles[2],
            "missing": int(np.isnan(values).sum()),
        })
    return pd.DataFrame(rows)


def available_cases(directory: Path | None = None) -> list[Path]:
    """The case files in ``params/cases/`` (or ``directory``)."""
    folder = Path(directory or Path(__file__).resolve().parent.parent / "params" / "cases")
    return sorted(folder.glob("*.toml"))
