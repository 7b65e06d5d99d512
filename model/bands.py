"""A case's real series beside the model's band, on the real calendar (issue 18).

A case file may name charts (``[[case.charts]]``): a series of ``data/`` (optionally divided by
another, period by period, e.g. operating income per dollar of revenue), the model's series set
beside it (:data:`SERIES`) and the regime of the seeds it is compared with. The model's month ``m``
(1, 2, ...) is month ``m`` of the calendar from January of the case's ``start_year``; each run's
months are grouped into the real series' periods (quarters when every real figure is a quarter,
else years), each period gets one value a run, and the band is the median and interquartile range
of those values over the runs.

    from model.bands import model_band, real_points
    band = model_band(SERIES["leader_share"], steps, start_year=1998, frequency="year")
    real = real_points(chart, start_year=1998, last_step=276)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from model.data import read_series


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


@dataclass(frozen=True)
class Series:
    """A model series: what it measures, its unit, and its value over one period of one run's months."""

    measures: str
    unit: str
    value: Callable[[pd.DataFrame], float]
    symlog: bool = False  # drawn on a symmetric log scale: per dollar of a revenue that may be near nothing


SERIES: dict[str, Series] = {
    "leader_share": Series("the leader's share of platform users (mean over the period)", "share of platform users",
                           lambda months: float(months["leader_share"].mean())),
    "revenue_per_platform_user": Series(
        "platforms' revenue in the period over their mean number of users", "$ a user in the period",
        lambda months: _ratio(months["platform_revenue"].sum(), months["platform_users"].mean())),
    "leader_operating_margin": Series(
        "the leader's profit per dollar of its revenue in the period", "$ per $ of revenue",
        lambda months: _ratio(months["leader_profit"].sum(), months["leader_revenue"].sum()), symlog=True),
    "leader_loss_per_revenue": Series(
        "the leader's losses per dollar of its revenue in the period", "$ per $ of revenue",
        lambda months: _ratio(-months["leader_profit"].sum(), months["leader_revenue"].sum()), symlog=True),
}

_PERIOD = re.compile(r"^(\d{4})(?:(Q)([1-4])|(H)([12])|-(0[1-9]|1[0-2]))?$")


def period_months(period: str) -> tuple[int, int]:
    """The calendar months a period covers, counted from January of year 0: [first, last + 1).
    "2013Q2" is April to June 2013, "2025H1" January to June, "2019-02" February 2019, "2016" the whole year."""
    found = _PERIOD.match(str(period).strip())
    if not found:
        raise ValueError(f"period {period!r}: expected a year (2016), a quarter (2013Q2), a half (2025H1) "
                         "or a month (2019-02)")
    year = int(found.group(1)) * 12
    if found.group(2):
        quarter = int(found.group(3)) - 1
        return year + 3 * quarter, year + 3 * quarter + 3
    if found.group(4):
        half = int(found.group(5)) - 1
        return year + 6 * half, year + 6 * half + 6
    if found.group(6):
        month = int(found.group(6)) - 1
        return year + month, year + month + 1
    return year, year + 12


def calendar_time(first_month: int, end_month: int) -> float:
    """A period's middle as a fractional year (2013Q2 -> 2013.375)."""
    return (first_month + end_month) / 24.0


def real_points(data: str, per: str | None, start_year: int, last_step: int, where: dict[str, str] | None = None) -> pd.DataFrame:
    """The real series (its rows whose label columns have the values ``where`` gives, divided by ``per``
    period by period, if given) inside the run's window: one row a period (``period``, ``time``,
    ``value``); periods the run does not cover are left out."""
    values = selected_rows(data, where or {}).set_index("period")["value"]
    if per is not None:
        divisor, _ = read_series(per)
        values = (values / divisor.set_index("period")["value"]).dropna()
    window = (start_year * 12, start_year * 12 + last_step)
    rows = []
    for period, value in values.items():
        first, end = period_months(period)
        if window[0] <= first and end <= window[1]:
            rows.append({"period": str(period), "time": calendar_time(first, end), "value": float(value)})
    return pd.DataFrame(rows, columns=["period", "time", "value"]).sort_values("time", kind="stable", ignore_index=True)


def selected_rows(data: str, where: dict[str, str]) -> pd.DataFrame:
    """The rows of series ``data`` whose label columns hold the values ``where`` gives (every row if it
    gives none), one a period. Raises ValueError naming the file and what is wrong: a column it does not
    have, a value no row has, or several rows left for one period (a label column still to choose on)."""
    frame, _ = read_series(data)
    labels = [column for column in frame.columns  # text columns that tell rows apart (data/README.md)
              if column not in ("period", "value", "ref") and not pd.api.types.is_numeric_dtype(frame[column])]
    for column, value in where.items():
        if column not in labels:
            raise ValueError(f"data/{data}.csv: no label column {column!r} to choose rows by (its label columns: {labels})")
        if value not in set(frame[column].astype(str)):
            raise ValueError(f"data/{data}.csv: no row has {column} = {value!r} "
                             f"(it has {sorted(set(frame[column].astype(str)))})")
        frame = frame[frame[column].astype(str) == value]
    repeated = sorted(set(frame.loc[frame["period"].duplicated(), "period"]))
    if repeated:
        rest = [column for column in labels if column not in where]
        raise ValueError(f"data/{data}.csv: several rows for period(s) {repeated}: choose one with where = "
                         f"{{column = value}} on its label column(s) {rest}")
    return frame


def band_frequency(periods: list[str]) -> str:
    """Quarters when every real figure is a quarter, else years."""
    return "quarter" if periods and all("Q" in str(p) for p in periods) else "year"


def model_band(series: Series, steps: pd.DataFrame, start_year: int, frequency: str = "year") -> pd.DataFrame:
    """The model's band: for each whole period of the runs' window (``frequency`` quarter or year), the
    median and quartiles over runs of ``series``' value, with the number of runs that have one.

    ``steps``: the runs' model frames stacked, with a ``run`` column naming each run and ``step``
    (1, 2, ...) its month."""
    length = {"quarter": 3, "year": 12}[frequency]
    frame = steps.assign(_period=(start_year * 12 + steps["step"] - 1) // length)
    last_step = int(steps["step"].max())
    whole = frame.groupby(["run", "_period"])["step"].transform("size") == length
    per_run = (frame[whole].groupby(["_period", "run"]).apply(series.value, include_groups=False)
               .rename("value").reset_index())
    rows = []
    for period, values in per_run.groupby("_period")["value"]:
        finite = values.to_numpy(dtype=float)
        finite = finite[np.isfinite(finite)]
        first = int(period) * length
        quartiles = np.percentile(finite, [25, 50, 75]) if finite.size else [np.nan] * 3
        rows.append({"period": _label(first, frequency), "time": calendar_time(first, first + length),
                     "q25": quartiles[0], "median": quartiles[1], "q75": quartiles[2], "runs": int(finite.size)})
    band = pd.DataFrame(rows, columns=["period", "time", "q25", "median", "q75", "runs"])
    return band[band["time"] * 12 <= start_year * 12 + last_step].reset_index(drop=True)


def _label(first_month: int, frequency: str) -> str:
    year, month = divmod(first_month, 12)
    return f"{year}Q{month // 3 + 1}" if frequency == "quarter" else str(year)
