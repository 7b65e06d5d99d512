"""A case's real series beside the model's band on the real calendar (model.bands, issue 18)."""

import numpy as np
import pandas as pd
import pytest

from model.bands import SERIES, band_frequency, calendar_time, model_band, period_months, real_points, selected_rows


@pytest.mark.parametrize("period, months", [
    ("2016", (2016 * 12, 2017 * 12)),
    ("2013Q1", (2013 * 12, 2013 * 12 + 3)),
    ("2013Q4", (2013 * 12 + 9, 2014 * 12)),
    ("2025H1", (2025 * 12, 2025 * 12 + 6)),
    ("2025H2", (2025 * 12 + 6, 2026 * 12)),
    ("2019-02", (2019 * 12 + 1, 2019 * 12 + 2)),
    ("2023-12", (2023 * 12 + 11, 2024 * 12)),
])
def test_a_period_covers_its_calendar_months(period, months):
    assert period_months(period) == months


def test_a_period_is_drawn_at_its_middle():
    assert calendar_time(*period_months("2013Q2")) == pytest.approx(2013.375)
    assert calendar_time(*period_months("2016")) == pytest.approx(2016.5)


@pytest.mark.parametrize("period", ["2013Q5", "13", "2013-13", "2013-1", "2013H3", ""])
def test_a_period_the_data_cannot_mean_is_an_error(period):
    with pytest.raises(ValueError, match="expected a year"):
        period_months(period)


def test_quarters_only_when_every_real_figure_is_a_quarter():
    assert band_frequency(["2013Q1", "2014Q4"]) == "quarter"
    assert band_frequency(["2025H1", "2025"]) == "year"
    assert band_frequency(["2009", "2020"]) == "year"


def months_of(runs: dict[str, list[dict]]) -> pd.DataFrame:
    """Stacked model frames: ``runs`` maps a run to its months' columns (step 1, 2, ...)."""
    return pd.concat([pd.DataFrame(months).assign(run=run, step=np.arange(1, len(months) + 1))
                      for run, months in runs.items()], ignore_index=True)


def test_the_band_is_the_median_and_quartiles_over_runs_of_each_periods_value():
    # Five runs of 24 months from January 2010; run k's leader holds k/10 in 2010 and k/5 in 2011.
    steps = months_of({f"r{k}": [{"leader_share": k / 10 if month < 12 else k / 5} for month in range(24)]
                       for k in range(1, 6)})
    band = model_band(SERIES["leader_share"], steps, start_year=2010, frequency="year")
    assert list(band["period"]) == ["2010", "2011"] and list(band["runs"]) == [5, 5]
    assert band["median"].tolist() == pytest.approx([0.3, 0.6])
    assert band["q25"].tolist() == pytest.approx([0.2, 0.4]) and band["q75"].tolist() == pytest.approx([0.4, 0.8])
    assert band["time"].tolist() == pytest.approx([2010.5, 2011.5])


def test_a_flow_per_user_sums_the_periods_revenue_over_its_mean_users():
    # One quarter: revenue 10, 20, 30 and platform users 100, 200, 300 -> 60 / 200 = 0.3 a user.
    steps = months_of({"a": [{"platform_revenue": 10.0 * m, "platform_users": 100 * m} for m in (1, 2, 3)]})
    band = model_band(SERIES["revenue_per_platform_user"], steps, start_year=2004, frequency="quarter")
    assert list(band["period"]) == ["2004Q1"] and band["median"].iloc[0] == pytest.approx(0.3)


def test_a_margin_is_the_periods_profit_over_its_revenue():
    steps = months_of({"a": [{"leader_profit": p, "leader_revenue": 10.0} for p in [-5.0] * 6 + [1.0] * 6]})
    margin = model_band(SERIES["leader_operating_margin"], steps, start_year=2009, frequency="year")
    loss = model_band(SERIES["leader_loss_per_revenue"], steps, start_year=2009, frequency="year")
    assert margin["median"].iloc[0] == pytest.approx(-24 / 120) and loss["median"].iloc[0] == pytest.approx(24 / 120)


def test_a_period_the_run_covers_only_in_part_has_no_band():
    # 14 months from January 2010: 2010 whole, 2011 two months only.
    steps = months_of({"a": [{"leader_share": 0.5}] * 14})
    assert list(model_band(SERIES["leader_share"], steps, start_year=2010)["period"]) == ["2010"]


def test_a_run_without_revenue_has_no_margin_and_is_not_counted():
    steps = months_of({"a": [{"leader_profit": -1.0, "leader_revenue": 0.0}] * 12,
                       "b": [{"leader_profit": 1.0, "leader_revenue": 4.0}] * 12})
    band = model_band(SERIES["leader_operating_margin"], steps, start_year=2020)
    assert band["runs"].iloc[0] == 1 and band["median"].iloc[0] == pytest.approx(0.25)


def test_real_points_are_the_series_inside_the_runs_window():
    shares = real_points("search_share_us_google", None, start_year=1998, last_step=276)  # 1998-2020
    assert list(shares["period"]) == ["2009", "2020"] and shares["value"].tolist() == pytest.approx([0.80, 0.892])
    assert list(real_points("search_share_us_google", None, start_year=1998, last_step=144)["period"]) == ["2009"]


def test_a_series_with_several_rows_a_period_is_drawn_by_its_label():
    """rideshare_share_us holds Uber's and Lyft's shares, month by month: ``where`` picks Uber's."""
    uber = real_points("rideshare_share_us", None, start_year=2009, last_step=180, where={"company": "uber"})  # 2009-2023
    assert list(uber["period"]) == ["2017-09", "2018-10", "2019-02", "2019-10", "2020-05", "2020-10", "2021-05",
                                    "2021-07", "2023-09"]
    assert uber["value"].tolist() == pytest.approx([0.74, 0.692, 0.673, 0.70, 0.71, 0.71, 0.68, 0.69, 0.74])
    assert uber["time"].iloc[0] == pytest.approx(2017 + 8.5 / 12)  # the middle of September


@pytest.mark.parametrize("where, message", [
    ({}, r"several rows for period\(s\) \['2017-09'.*choose one with where = \{column = value\} on its label column\(s\) \['company'\]"),
    ({"firm": "uber"}, r"no label column 'firm' to choose rows by \(its label columns: \['company'\]\)"),
    ({"company": "via"}, r"no row has company = 'via' \(it has \['lyft', 'uber'\]\)"),
])
def test_a_label_choice_that_leaves_repeated_periods_or_names_nothing_is_an_error(where, message):
    with pytest.raises(ValueError, match=r"^data/rideshare_share_us.csv: " + message):
        selected_rows("rideshare_share_us", where)


def test_a_series_of_one_row_a_period_needs_no_label():
    from model.data import read_series

    assert selected_rows("search_share_us_google", {}).equals(read_series("search_share_us_google")[0])


def test_a_real_series_divided_by_another_is_matched_period_by_period():
    burn = real_points("openai_cash_burn", "openai_revenue", start_year=2020, last_step=72)  # 2020-2025
    assert list(burn["period"]) == ["2025H1", "2025"]
    assert burn["value"].tolist() == pytest.approx([2.5 / 4.3, 8.5 / 13.07])
